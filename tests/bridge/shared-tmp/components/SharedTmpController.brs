' Starts tasks a, b, c and d at once and relays: a wrote -> b deletes; a and b finished -> c (and
' this render thread) list and read tmp:/shared; c listed -> d downloads while c tails the .tmp.
sub onControl()
    if m.top.control <> "RUN"
        return
    end if
    config = ParseJson(ReadAsciiFile("pkg:/config.json"))
    fs = CreateObject("roFileSystem")
    fs.CreateDirectory("tmp:/shared")
    fs.CreateDirectory("tmp:/xthread")
    fs.CreateDirectory("tmp:/grow")
    m.writersDone = 0
    m.lastDone = 0
    m.tasks = {}
    for each role in ["a", "b", "c", "d"]
        task = CreateObject("roSGNode", "SharedTmpTask")
        task.role = role
        task.count = config.count
        task.url = config.url
        m.tasks[role] = task
    end for
    m.tasks.a.observeField("wrote", "onAWrote")
    m.tasks.a.observeField("finished", "onWriterFinished")
    m.tasks.b.observeField("finished", "onWriterFinished")
    m.tasks.c.observeField("wrote", "onCWrote")
    m.tasks.c.observeField("listed", "onCListed")
    m.tasks.c.observeField("finished", "onLastFinished")
    m.tasks.d.observeField("finished", "onLastFinished")
    for each role in ["a", "b", "c", "d"]
        m.tasks[role].control = "RUN"
    end for
end sub

sub onAWrote(event as object)
    if event.getData() = true
        m.tasks.b.goDelete = true
    end if
end sub

sub onWriterFinished(event as object)
    if event.getData() <> true
        return
    end if
    m.writersDone = m.writersDone + 1
    if m.writersDone = 2
        m.tasks.c.goRead = true
        printSharedListing("SHARED-R")
    end if
end sub

' Files written by task c after it started are read here; files written here are read by task c.
sub onCWrote(event as object)
    if event.getData() <> true
        return
    end if
    print "XTHREAD render-read tmp=" + ReadAsciiFile("tmp:/xthread/from-c.txt") + " cachefs=" + ReadAsciiFile("cachefs:/from-c.txt")
    token = CreateObject("roDeviceInfo").GetRandomUUID()
    WriteAsciiFile("tmp:/xthread/from-render.txt", "r-" + token)
    WriteAsciiFile("cachefs:/from-render.txt", "rc-" + token)
    print "XTHREAD render-wrote=" + token
    m.tasks.c.renderWrote = true
end sub

sub onCListed(event as object)
    if event.getData() = true
        m.tasks.d.goDownload = true
    end if
end sub

sub onLastFinished(event as object)
    if event.getData() <> true
        return
    end if
    m.lastDone = m.lastDone + 1
    if m.lastDone = 2
        print "SHARED-DONE"
        m.top.done = true
    end if
end sub
