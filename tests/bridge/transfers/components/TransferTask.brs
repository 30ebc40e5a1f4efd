' Exercises asynchronous roUrlTransfer against the test's HTTP server (its base URL is in
' pkg:/config.json) and prints one result line per scenario for the TypeScript test to check.
sub init()
    m.top.functionName = "runTransfers"
end sub

sub runTransfers()
    config = ParseJson(ReadAsciiFile("pkg:/config.json"))
    base = config.base
    m.fs = CreateObject("roFileSystem")
    trickle(base)
    overlap(base)
    cancelMidBody(base)
    deadServer(config.deadBase)
    requestShapes(base)
    print "TRANSFERS-DONE"
    m.top.done = true
end sub

function newTransfer(url as string, port as object) as object
    ut = CreateObject("roUrlTransfer")
    ut.setUrl(url)
    ut.setMessagePort(port)
    return ut
end function

function fileSize(path as string) as integer
    stat = m.fs.Stat(path)
    if stat = invalid or stat.size = invalid
        return -1
    end if
    return stat.size
end function

' Tails <target>.tmp while the body trickles in: the file must grow before the roUrlEvent. Every
' new size is printed: the test server sends the next part only once it has seen the last one.
sub trickle(base as string)
    port = CreateObject("roMessagePort")
    ut = newTransfer(base + "/trickle", port)
    target = "tmp:/trickle.bin"
    ut.AsyncGetToFile(target)
    sizes = {}
    growth = 0
    lastSize = -1
    clock = CreateObject("roTimespan")
    msg = invalid
    while clock.TotalMilliseconds() < 120000
        msg = wait(50, port)
        if type(msg) = "roUrlEvent"
            exit while
        end if
        size = fileSize(target + ".tmp")
        if size > lastSize and size > 0
            growth = growth + 1
            lastSize = size
            print "TRICKLE-TMP size=" + size.ToStr()
        end if
    end while
    code = -999
    if type(msg) = "roUrlEvent"
        code = msg.GetResponseCode()
    end if
    print "TRICKLE code=" + code.ToStr() + " growthSteps=" + growth.ToStr() + " lastTmpSize=" + lastSize.ToStr() + " final=" + fileSize(target).ToStr() + " tmpAfter=" + fileSize(target + ".tmp").ToStr()
end sub

' Four transfers started together on one port; the server answers none before all four arrived.
sub overlap(base as string)
    port = CreateObject("roMessagePort")
    transfers = {}
    for i = 1 to 4
        ut = newTransfer(base + "/slow?n=" + i.ToStr(), port)
        ut.AsyncGetToString()
        transfers[ut.GetIdentity().ToStr()] = ut
    end for
    codes = []
    bodies = []
    clock = CreateObject("roTimespan")
    while codes.Count() < 4 and clock.TotalMilliseconds() < 120000
        msg = wait(100, port)
        if type(msg) = "roUrlEvent" and transfers.DoesExist(msg.GetSourceIdentity().ToStr())
            codes.Push(msg.GetResponseCode().ToStr())
            bodies.Push(msg.GetString())
        end if
    end while
    bodies.Sort()
    print "OVERLAP done=" + codes.Count().ToStr() + " codes=" + codes.Join(",") + " bodies=" + bodies.Join(",") + " ms=" + clock.TotalMilliseconds().ToStr()
end sub

' Cancels a body that never ends once some of it has arrived; no event may follow.
sub cancelMidBody(base as string)
    port = CreateObject("roMessagePort")
    ut = newTransfer(base + "/endless", port)
    target = "tmp:/endless.bin"
    ut.AsyncGetToFile(target)
    clock = CreateObject("roTimespan")
    sizeAtCancel = -1
    while clock.TotalMilliseconds() < 60000
        msg = wait(20, port)
        if type(msg) = "roUrlEvent"
            exit while
        end if
        size = fileSize(target + ".tmp")
        if size >= 4096
            sizeAtCancel = size
            ut.AsyncCancel()
            exit while
        end if
    end while
    events = 0
    clock.Mark()
    while clock.TotalMilliseconds() < 700
        if type(wait(50, port)) = "roUrlEvent"
            events = events + 1
        end if
    end while
    print "CANCEL sizeAtCancel=" + sizeAtCancel.ToStr() + " eventsAfter=" + events.ToStr() + " targetExists=" + fileSize(target).ToStr()
end sub

sub deadServer(deadBase as string)
    port = CreateObject("roMessagePort")
    ut = newTransfer(deadBase + "/nothing", port)
    ut.AsyncGetToString()
    msg = wait(10000, port)
    if type(msg) = "roUrlEvent"
        print "DEAD code=" + msg.GetResponseCode().ToStr() + " reason=" + msg.GetFailureReason()
    else
        print "DEAD no-event"
    end if
end sub

function awaitEvent(port as object) as object
    msg = wait(10000, port)
    if type(msg) = "roUrlEvent"
        return msg
    end if
    return invalid
end function

' Verbs, headers, bodies from strings and files, HEAD, and error bodies with and without retention.
sub requestShapes(base as string)
    port = CreateObject("roMessagePort")
    ut = newTransfer(base + "/echo", port)
    ut.AddHeader("X-Test", "bridge")
    ut.AsyncPostFromString("hello-post")
    msg = awaitEvent(port)
    print "POST-STRING code=" + msg.GetResponseCode().ToStr() + " body=" + msg.GetString()

    ut = newTransfer(base + "/echo", port)
    ut.SetRequest("PUT")
    ut.AsyncPostFromString("hello-put")
    msg = awaitEvent(port)
    print "PUT-STRING code=" + msg.GetResponseCode().ToStr() + " body=" + msg.GetString()

    request = CreateObject("roByteArray")
    request.FromAsciiString("file-body-0123456789")
    request.WriteFile("tmp:/request.bin")
    ut = newTransfer(base + "/echo", port)
    ut.AsyncPostFromFileToFile("tmp:/request.bin", "tmp:/response.bin")
    msg = awaitEvent(port)
    print "POST-FILE-TO-FILE code=" + msg.GetResponseCode().ToStr() + " file=" + ReadAsciiFile("tmp:/response.bin")

    ut = newTransfer(base + "/echo", port)
    ut.AsyncPostFromFile("tmp:/request.bin")
    msg = awaitEvent(port)
    print "POST-FILE code=" + msg.GetResponseCode().ToStr() + " body=" + msg.GetString()

    ut = newTransfer(base + "/trickle", port)
    ut.AsyncHead()
    msg = awaitEvent(port)
    headers = msg.GetResponseHeaders()
    print "HEAD code=" + msg.GetResponseCode().ToStr() + " length=" + headers["content-length"] + " body=[" + msg.GetString() + "]"

    ut = newTransfer(base + "/missing", port)
    ut.AsyncGetToString()
    msg = awaitEvent(port)
    print "ERROR-DROPPED code=" + msg.GetResponseCode().ToStr() + " body=[" + msg.GetString() + "] reason=" + msg.GetFailureReason()

    ut = newTransfer(base + "/missing", port)
    ut.RetainBodyOnError(true)
    ut.AsyncGetToString()
    msg = awaitEvent(port)
    print "ERROR-RETAINED code=" + msg.GetResponseCode().ToStr() + " body=[" + msg.GetString() + "]"
end sub
