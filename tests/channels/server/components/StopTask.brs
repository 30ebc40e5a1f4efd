sub init()
    m.top.functionName = "waitForStop"
end sub

sub waitForStop()
    port = CreateObject("roMessagePort")
    address = CreateObject("roSocketAddress")
    address.SetAddress("127.0.0.1:7019")
    listener = CreateObject("roStreamSocket")
    listener.SetMessagePort(port)
    listener.SetAddress(address)
    listener.Listen(1)
    listener.NotifyReadable(true)
    while true
        msg = wait(0, port)
        if type(msg) = "roSocketEvent"
            client = listener.Accept()
            if client <> invalid
                client.Close()
                m.top.stopRequested = true
                return
            end if
        end if
    end while
end sub
