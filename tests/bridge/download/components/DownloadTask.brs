' Benchmark helper: downloads pkg:/config.json's url to tmp:/ `count` times and prints the time taken.
sub init()
    m.top.functionName = "download"
end sub

sub download()
    config = ParseJson(ReadAsciiFile("pkg:/config.json"))
    fs = CreateObject("roFileSystem")
    port = CreateObject("roMessagePort")
    clock = CreateObject("roTimespan")
    total = 0
    for i = 1 to config.count
        ut = CreateObject("roUrlTransfer")
        ut.setUrl(config.url)
        ut.setMessagePort(port)
        ut.AsyncGetToFile("tmp:/download.bin")
        msg = wait(60000, port)
        if type(msg) <> "roUrlEvent" or msg.GetResponseCode() <> 200
            print "DOWNLOAD-FAILED"
            m.top.done = true
            return
        end if
        total = total + fs.Stat("tmp:/download.bin").size
        fs.Delete("tmp:/download.bin")
    end for
    print "DOWNLOAD bytes=" + total.ToStr() + " ms=" + clock.TotalMilliseconds().ToStr()
    m.top.done = true
end sub
