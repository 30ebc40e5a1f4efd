' Server test channel: downloads the fixture files named in pkg:/server-test.json into tmp:/,
' runs ytsabrServerTask with that config, and exits when a client connects to the stop port.
sub Main()
    screen = CreateObject("roSGScreen")
    port = CreateObject("roMessagePort")
    screen.setMessagePort(port)
    scene = screen.CreateScene("ServerTestScene")
    screen.show()
    scene.observeField("done", port)
    while true
        msg = wait(0, port)
        if type(msg) = "roSGNodeEvent" and msg.getField() = "done"
            print "SERVER-TEST-EXIT"
            screen.close()
            return
        end if
    end while
end sub
