' Resume test channel: the real MainScene (with the product's src/ and components/), started on
' a registry that already holds what earlier launches kept: the simulator's Video node cannot
' play DASH, so no run of it could keep a position itself. pkg:/resume-seed.json maps registry
' sections to { key: text } and is written (and flushed) before the scene starts.
sub Main(args as object)
    seedRegistry(ParseJson(ReadAsciiFile("pkg:/resume-seed.json")))
    screen = CreateObject("roSGScreen")
    port = CreateObject("roMessagePort")
    screen.setMessagePort(port)
    scene = screen.CreateScene("MainScene")
    scene.launchArgs = args
    screen.show()
    scene.observeField("exitRequested", port)
    while true
        msg = wait(0, port)
        if type(msg) = "roSGNodeEvent" and msg.getField() = "exitRequested"
            screen.close()
            return
        end if
    end while
end sub

sub seedRegistry(sections as object)
    for each name in sections
        section = CreateObject("roRegistrySection", name)
        for each key in sections[name]
            section.Write(key, sections[name][key])
        end for
        section.Flush()
    end for
end sub
