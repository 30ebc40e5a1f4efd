sub init()
    m.top.functionName = "downloadFixtures"
end sub

sub downloadFixtures()
    CreateObject("roFileSystem").CreateDirectory("tmp:/fixtures")
    port = CreateObject("roMessagePort")
    for each file in m.top.files
        transfer = CreateObject("roUrlTransfer")
        transfer.SetUrl(file.url)
        transfer.SetMessagePort(port)
        transfer.AsyncGetToFile(file.path)
        msg = wait(60000, port)
        if type(msg) <> "roUrlEvent" or msg.GetResponseCode() <> 200
            m.top.error = "GET " + file.url + " failed"
            exit for
        end if
    end for
    m.top.done = true
end sub
