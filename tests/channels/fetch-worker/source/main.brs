' Fetch worker test channel: a driver task runs sabrFetchWorkerTask through the scenarios in
' pkg:/fetch-worker.json and prints one FW line per message; the channel exits when it is done.
sub Main()
    screen = CreateObject("roSGScreen")
    port = CreateObject("roMessagePort")
    screen.setMessagePort(port)
    scene = screen.CreateScene("FetchWorkerTestScene")
    screen.show()
    scene.observeField("done", port)
    while true
        msg = wait(0, port)
        if type(msg) = "roSGNodeEvent" and msg.getField() = "done"
            print "FW-EXIT"
            screen.close()
            return
        end if
    end while
end sub
