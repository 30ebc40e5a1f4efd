' Tasks are started and wired from the render thread: here field sets from one task to another
' task did not arrive in the simulator, so the scene relays driver -> worker and worker -> driver.
' It prints one FW line per worker message (with the MD5 of each ready segment's bytes, read
' from the spool when SEGMENT_READY arrives) using one clock for every timestamp. When a fetch
' ends cancelled after announcing segments, it reads them again (FW-KEPT): they must outlive the cancel.
sub init()
    m.clock = CreateObject("roTimespan")
    m.scenario = ""
    m.announced = {}
    m.worker = CreateObject("roSGNode", "sabrFetchWorkerTask")
    m.worker.config = { maxConcurrentFetches: 4, pollMs: 10 }
    m.worker.observeField("ready", "onWorkerReady")
    m.worker.observeField("response", "onWorkerResponse")
    m.worker.control = "RUN"
end sub

sub onWorkerReady()
    if m.driver <> invalid or not m.worker.ready
        return
    end if
    print "FW-READY ms=" + m.clock.TotalMilliseconds().ToStr()
    m.driver = CreateObject("roSGNode", "FetchDriverTask")
    m.driver.observeField("outbound", "onDriverOutbound")
    m.driver.observeField("done", "onDriverDone")
    m.driver.control = "RUN"
end sub

sub onDriverOutbound(event as object)
    msg = event.getData()
    if msg.type = "SCENARIO"
        m.scenario = msg.name
        return
    end if
    if msg.type = "STOP"
        m.worker.stop = true
        return
    end if
    print "FW-SENT " + FormatJson({ t: m.clock.TotalMilliseconds(), scenario: m.scenario, type: msg.type, requestId: msg.requestId })
    m.worker.request = { messages: [msg] }
end sub

' The worker sends what one pass of its loop produced in one set ({ messages: [...], sets }).
sub onWorkerResponse(event as object)
    for each msg in event.getData().messages
        onWorkerMessage(msg)
    end for
end sub

sub onWorkerMessage(msg as object)
    record = { t: m.clock.TotalMilliseconds(), scenario: m.scenario, msg: msg }
    ' brs-engine's FormatJson does not escape quotes (mime types carry codecs="...").
    if msg.type = "FETCH_RESULT"
        for each format in msg.effects.formats
            format.mimeType = format.mimeType.Replace(Chr(34), "'")
        end for
    end if
    if msg.error <> invalid
        msg.error = msg.error.Replace(Chr(34), "'")
    end if
    if msg.type = "SEGMENT_READY"
        digests = []
        for each segment in msg.segments
            digests.Push(segmentDigest(msg.spoolPath, segment))
        end for
        record.AddReplace("digests", digests)
        key = msg.requestId.ToStr()
        if not m.announced.DoesExist(key)
            m.announced[key] = []
        end if
        m.announced[key].Push(msg)
    end if
    print "FW " + FormatJson(record)
    if msg.type = "FETCH_RESULT" and msg.outcome = "cancelled" and m.announced.DoesExist(msg.requestId.ToStr())
        printKept(msg.requestId)
    end if
    if m.driver <> invalid
        m.driver.inbound = msg
    end if
end sub

' MD5 of the segment's bytes as its chunks locate them in the spool ("missing" if unreadable).
function segmentDigest(spoolPath as string, segment as object) as string
    digest = CreateObject("roEVPDigest")
    digest.Setup("md5")
    for each chunk in segment.chunks
        bytes = Sabr_readSpoolRange(spoolPath, chunk.offset, chunk.length)
        if bytes = invalid
            return "missing"
        end if
        digest.Update(bytes)
    end for
    return digest.Final()
end function

' The digests of every segment the cancelled fetch announced, read after its FETCH_RESULT.
sub printKept(requestId as integer)
    kept = []
    for each ready in m.announced[requestId.ToStr()]
        for each segment in ready.segments
            kept.Push({ itag: segment.itag, sequence: segment.sequence, digest: segmentDigest(ready.spoolPath, segment) })
        end for
    end for
    print "FW-KEPT " + FormatJson({ requestId: requestId, segments: kept })
end sub

sub onDriverDone()
    m.top.done = true
end sub
