' Bridge test channel entry: runs the Task named by the manifest's bridge_task and exits when it is done.
sub Main()
    screen = CreateObject("roSGScreen")
    port = CreateObject("roMessagePort")
    screen.setMessagePort(port)
    scene = screen.CreateScene("BridgeScene")
    screen.show()
    taskName = CreateObject("roAppInfo").GetValue("bridge_task")
    task = CreateObject("roSGNode", taskName)
    task.observeField("done", port)
    task.control = "RUN"
    while true
        msg = wait(0, port)
        if type(msg) = "roSGNodeEvent" and msg.getField() = "done" and msg.getData() = true
            print "BRIDGE-CHANNEL-EXIT " + taskName
            screen.close()
            return
        end if
    end while
end sub
