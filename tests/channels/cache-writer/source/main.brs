' Cache writer test channel: the scene runs CacheWriterDriver, which drives a real
' sabrCacheWriterTask with the plan in pkg:/cache-writer-test.json and prints one summary line.
sub Main()
    screen = CreateObject("roSGScreen")
    port = CreateObject("roMessagePort")
    screen.setMessagePort(port)
    scene = screen.CreateScene("CacheWriterTestScene")
    screen.show()
    scene.observeField("done", port)
    while true
        msg = wait(0, port)
        if type(msg) = "roSGNodeEvent" and msg.getField() = "done"
            print "CACHE-WRITER-TEST-EXIT"
            screen.close()
            return
        end if
    end while
end sub
