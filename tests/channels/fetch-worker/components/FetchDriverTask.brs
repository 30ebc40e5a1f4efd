' Runs the scenarios of pkg:/fetch-worker.json: sets the origin's faults (POST /__faults) before
' each, sends its messages, sleeps, and waits for FETCH_RESULTs relayed back by the scene.
sub init()
    m.top.functionName = "runScenarios"
end sub

sub runScenarios()
    config = ParseJson(ReadAsciiFile("pkg:/fetch-worker.json"))
    m.clock = CreateObject("roTimespan")
    CreateObject("roFileSystem").CreateDirectory("tmp:/fw")
    m.port = CreateObject("roMessagePort")
    m.top.observeField("inbound", m.port)
    m.results = {}
    m.announced = {}
    for each scenario in config.scenarios
        setFaults(config.origin, scenario.faults)
        m.top.outbound = { type: "SCENARIO", name: scenario.name }
        print "FW-SCENARIO " + scenario.name
        for each action in scenario.actions
            runAction(action)
        end for
    end for
    m.top.outbound = { type: "STOP" }
    drainFor(300)
    print "FW-DONE"
    m.top.done = true
end sub

sub runAction(action as object)
    if action.send <> invalid
        m.top.outbound = action.send
    else if action.sleepMs <> invalid
        drainFor(action.sleepMs)
    else if action.awaitResult <> invalid
        awaitKey(m.results, action.awaitResult.ToStr(), action.timeoutMs)
    else if action.awaitReady <> invalid
        awaitKey(m.announced, action.awaitReady.ToStr(), action.timeoutMs)
    end if
end sub

' Handles events until `table` has `key` (a FETCH_RESULT or a SEGMENT_READY of that request).
sub awaitKey(table as object, key as string, timeoutMs as integer)
    deadline = m.clock.TotalMilliseconds() + timeoutMs
    while not table.DoesExist(key) and m.clock.TotalMilliseconds() < deadline
        handleEvent(wait(10, m.port))
    end while
    if not table.DoesExist(key)
        print "FW-TIMEOUT " + key
    end if
end sub

sub drainFor(ms as integer)
    deadline = m.clock.TotalMilliseconds() + ms
    while m.clock.TotalMilliseconds() < deadline
        handleEvent(wait(10, m.port))
    end while
end sub

sub handleEvent(event as dynamic)
    if type(event) <> "roSGNodeEvent" or event.getField() <> "inbound"
        return
    end if
    msg = event.getData()
    if msg.type = "FETCH_RESULT"
        m.results[msg.requestId.ToStr()] = true
    else if msg.type = "SEGMENT_READY"
        ' Waiting for "ready" means for the target: earlier segments may come in messages of their own.
        for each segment in msg.segments
            if segment.target = true
                m.announced[msg.requestId.ToStr()] = true
            end if
        end for
    end if
end sub

sub setFaults(origin as string, faults as string)
    port = CreateObject("roMessagePort")
    transfer = CreateObject("roUrlTransfer")
    transfer.SetMessagePort(port)
    transfer.SetUrl(origin + "/__faults")
    transfer.AsyncPostFromString(faults)
    event = wait(10000, port)
    if type(event) = "roUrlEvent"
        print "FW-FAULTS " + faults + " -> " + event.GetResponseCode().ToStr()
    else
        print "FW-FAULTS " + faults + " -> no answer"
    end if
end sub
