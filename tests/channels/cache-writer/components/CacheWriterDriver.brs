sub init()
    m.top.functionName = "drive"
end sub

' Every wait below is a guard against a hang (60 s), not a measure: a busy machine slows each
' field set, so a tight guard would let the machine's load decide the result.
sub drive()
    plan = ParseJson(ReadAsciiFile("pkg:/cache-writer-test.json"))
    summary = { steps: [] }
    if plan.benchIndexEntries <> invalid
        benchIndexLoad(plan, summary)
        print "CACHE-WRITER-BENCH "; FormatJson(summary)
    else
        runPlan(plan, summary)
        print "CACHE-WRITER-SUMMARY "; FormatJson(summary)
    end if
    m.top.done = true
end sub

' The bench: the writer starts over a kept index (written by the scene); a query sent at once
' (for a title it does not hold) is answered once the load is done. Reports the load figures.
sub benchIndexLoad(plan as object, summary as object)
    port = CreateObject("roMessagePort")
    m.top.observeField("inbox", port)
    m.responses = []
    if not waitFor(port, 900000)
        summary.steps.Push("writer never became ready")
        return
    end if
    clock = CreateObject("roTimespan")
    send({ type: "CACHE_QUERY", requestId: 1, keyPrefix: "other-title|" })
    if not waitForDone(port, 1, 900000)
        summary.steps.Push("no complete CACHE_INDEX answer")
    end if
    answeredMs = clock.TotalMilliseconds()
    send({ type: "FLUSH_REQUEST", requestId: 2 })
    if not waitForCount(port, "FLUSH_RESULT", 1, 60000)
        summary.steps.Push("no FLUSH_RESULT")
    end if
    stats = m.top.writerStats
    summary.Append({ entries: stats.entries, queryAnsweredMs: answeredMs, indexLoad: stats.indexLoad })
    send({ type: "STOP" })
end sub

sub runPlan(plan as object, summary as object)
    fs = CreateObject("roFileSystem")
    config = plan.writer
    ' The scene wrote this orphan before starting the writer.
    orphan = config.cacheDir + "/seg-orphan.bin"

    port = CreateObject("roMessagePort")
    m.top.observeField("inbox", port)
    m.responses = []
    if not waitFor(port, 60000)
        summary.steps.Push("writer never became ready")
        return
    end if

    ' The spool ships in the package: in the simulator only one thread may create files in
    ' tmp:/ (see the scene), and that is the writer.
    spool = CreateObject("roByteArray")
    spool.ReadFile(plan.spoolPath)
    expected = CreateObject("roByteArray")
    for each chunk in plan.chunks
        expected.Append(spool.Slice(chunk.offset, chunk.offset + chunk.length))
    end for

    ' The burst: one `request` set per message, nothing awaited in between.
    for i = 1 to plan.stores
        send({
            type: "STORE_REQUEST"
            requestId: i
            cacheKey: plan.keyPrefix + i.ToStr()
            spoolPath: plan.spoolPath
            chunks: plan.chunks
            contentLength: expected.Count()
            pinned: i = plan.pinnedRequestId
            meta: { sequence: i, isInit: i = plan.pinnedRequestId, label: plan.keyPrefix + i.ToStr() }
        })
    end for
    if not waitForCount(port, "STORE_RESULT", plan.stores, 60000)
        summary.steps.Push("not every STORE_RESULT arrived")
    end if

    send({ type: "CACHE_TOUCH", cacheKeys: plan.touchKeys })
    for i = 1 to plan.snapshots
        send({ type: "SNAPSHOT_REQUEST", snapshot: { seq: i, playerTimeMs: 1000 * i, url: "https://example.invalid/videoplayback?rn=" + i.ToStr() } })
    end for
    send({ type: "STORE_REQUEST", requestId: 999, cacheKey: 5 })
    send({ type: "FILE_RELEASE", path: plan.spoolPath })
    send({ type: "FLUSH_REQUEST", requestId: 1000 })
    if not waitForCount(port, "FLUSH_RESULT", 1, 60000)
        summary.steps.Push("no FLUSH_RESULT")
    end if
    ' FLUSH finished the start-up load, whose sweep deletes files no entry refers to.
    summary.AddReplace("orphanSwept", not fs.Exists(orphan))
    ' Like the server: an evicted file is deleted once nothing reads it (here: at once).
    released = releaseEvicted(m.responses)
    summary.AddReplace("releasedEvicted", released)
    send({ type: "FLUSH_REQUEST", requestId: 1001 })
    if not waitForCount(port, "FLUSH_RESULT", 2, 60000)
        summary.steps.Push("no second FLUSH_RESULT")
    end if

    stats = m.top.writerStats
    summary.AddReplace("relayed", m.top.relayedCount)
    summarize(summary, plan, m.responses, stats, expected)
    relaunch(port, summary, plan, expected)
    send({ type: "STOP" })
end sub

' The next launch: one kept file vanishes (as the system may delete any cachefs: file), the
' writer is stopped and a new instance started over the same folders; it must list the kept
' entries with their meta when asked, and not the vanished one.
sub relaunch(port as object, summary as object, plan as object, expected as object)
    ' The newest kept key vanishes. The result is built here: a dot assignment would lower the
    ' key's case in the JSON.
    vanishedKey = summary.survivors[summary.survivors.Count() - 1]
    result = { steps: [], vanishedKey: vanishedKey, batches: [], entries: [], stats: invalid, bytesMatch: false }
    summary.AddReplace("relaunch", result)
    pathOf = {}
    for each msg in m.responses
        if msg.type = "STORE_RESULT" and msg.storedPath <> ""
            pathOf[msg.cacheKey] = msg.storedPath
        end if
    end for
    ' The writer deletes it: only one thread creates or deletes files at a time here.
    send({ type: "FILE_RELEASE", path: pathOf[vanishedKey] })
    send({ type: "RESTART" })
    if not waitFor(port, 60000)
        result.steps.Push("the new writer never became ready")
        return
    end if
    m.responses = []
    send({ type: "CACHE_QUERY", requestId: 2000, keyPrefix: plan.keyPrefix })
    send({ type: "CACHE_QUERY", requestId: 2001, keyPrefix: "no-such-title|" })
    if not waitForCount(port, "CACHE_INDEX", 2, 60000) or not lastIndexDone(2001)
        result.steps.Push("no complete CACHE_INDEX answer")
    end if
    send({ type: "FLUSH_REQUEST", requestId: 2002 })
    if not waitForCount(port, "FLUSH_RESULT", 1, 60000)
        result.steps.Push("no FLUSH_RESULT from the new writer")
    end if
    fs = CreateObject("roFileSystem")
    for each msg in m.responses
        if msg.type = "CACHE_INDEX"
            result.batches.Push({ requestId: msg.requestId, entries: msg.entries.Count(), done: msg.done, error: msg.error })
            for each entry in msg.entries
                result.entries.Push({ cacheKey: entry.cacheKey, path: entry.path, bytes: entry.bytes, meta: entry.meta })
            end for
        end if
    end for
    if result.entries.Count() > 0 and fs.Exists(result.entries[0].path)
        stored = CreateObject("roByteArray")
        stored.ReadFile(result.entries[0].path)
        result.AddReplace("bytesMatch", stored.ToHexString() = expected.ToHexString())
    end if
    result.AddReplace("stats", m.top.writerStats)
end sub

' Waits until the last CACHE_INDEX for requestId (done) was collected.
function waitForDone(port as object, requestId as integer, timeoutMs as integer) as boolean
    clock = CreateObject("roTimespan")
    while clock.TotalMilliseconds() < timeoutMs
        if lastIndexDone(requestId)
            return true
        end if
        collect(wait(50, port))
    end while
    return lastIndexDone(requestId)
end function

' True when the last CACHE_INDEX for requestId has arrived (done).
function lastIndexDone(requestId as integer) as boolean
    for each msg in m.responses
        if msg.type = "CACHE_INDEX" and msg.requestId = requestId and msg.done
            return true
        end if
    end for
    return false
end function

' Sends FILE_RELEASE for the file of every key a STORE_RESULT or FLUSH_RESULT reported evicted.
function releaseEvicted(responses as object) as integer
    pathOf = {}
    released = 0
    for each msg in responses
        if msg.type = "STORE_RESULT" and msg.storedPath <> ""
            pathOf[msg.cacheKey] = msg.storedPath
        end if
    end for
    for each msg in responses
        if msg.type = "STORE_RESULT" or msg.type = "FLUSH_RESULT"
            for each key in msg.evicted
                if pathOf.DoesExist(key)
                    send({ type: "FILE_RELEASE", path: pathOf[key] })
                    released = released + 1
                end if
            end for
        end if
    end for
    return released
end function

sub summarize(summary as object, plan as object, responses as object, stats as object, expected as object)
    fs = CreateObject("roFileSystem")
    config = plan.writer
    results = []
    order = []
    errors = []
    flush = invalid
    bytesMatch = invalid
    for each msg in responses
        order.Push(msg.type)
        if msg.type = "STORE_RESULT"
            results.Push({ requestId: msg.requestId, cacheKey: msg.cacheKey, storedPath: msg.storedPath, cacheBytesWritten: msg.cacheBytesWritten, evicted: msg.evicted, removed: msg.maintenanceSummary.removed, remainingBytes: msg.maintenanceSummary.remainingBytes, error: msg.error })
            if bytesMatch = invalid and msg.storedPath <> "" and fs.Exists(msg.storedPath)
                stored = CreateObject("roByteArray")
                stored.ReadFile(msg.storedPath)
                bytesMatch = stored.ToHexString() = expected.ToHexString()
            end if
        else if msg.type = "MESSAGE_ERROR"
            errors.Push({ requestId: msg.requestId, receivedType: msg.receivedType, error: msg.error })
        else if msg.type = "FLUSH_RESULT"
            if flush = invalid
                flush = { requestId: msg.requestId, storesCompleted: msg.storesCompleted, snapshotWritten: msg.snapshotWritten, error: msg.error }
            end if
        end if
    end for
    survivors = []
    for each result in results
        if result.storedPath <> "" and fs.Exists(result.storedPath)
            survivors.Push(result.cacheKey)
        end if
    end for
    ' Segment files only: sidecars and the index file are the writer's own.
    cacheFiles = 0
    cacheBytes = 0
    cacheNames = []
    for each name in fs.GetDirectoryListing(config.cacheDir)
        cacheNames.Push(name)
        if Right(name, 4) = ".bin"
            cacheFiles = cacheFiles + 1
            cacheBytes = cacheBytes + fs.Stat(config.cacheDir + "/" + name).size
        end if
    end for
    snapshotDirFiles = []
    for each name in fs.GetDirectoryListing(plan.snapshotDir)
        snapshotDirFiles.Push(name)
    end for
    ' Parsed here: brs-engine's FormatJson does not escape quotes inside strings.
    snapshot = invalid
    if fs.Exists(config.snapshotPath)
        snapshot = ParseJson(ReadAsciiFile(config.snapshotPath))
    end if
    summary.Append({
        results: results
        order: order
        messageErrors: errors
        flush: flush
        stats: copyStats(stats)
        bytesMatch: bytesMatch = true
        survivors: survivors
        cacheFiles: cacheFiles
        cacheBytes: cacheBytes
        cacheNames: cacheNames
        snapshotDirFiles: snapshotDirFiles
        snapshot: snapshot
        spoolKept: fs.Exists(plan.spoolPath)
    })
end sub

function copyStats(stats as dynamic) as dynamic
    if stats = invalid
        return invalid
    end if
    return { messages: stats.messages, rejected: stats.rejected, storesCompleted: stats.storesCompleted, storesFailed: stats.storesFailed, maintenanceRuns: stats.maintenanceRuns, snapshotWrites: stats.snapshotWrites, indexWrites: stats.indexWrites, entries: stats.entries, totalBytes: stats.totalBytes, budgetBytes: stats.budgetBytes }
end function

' Sets the outbox once per message: the scene relays each set to writer.request.
sub send(msg as object)
    m.top.outbox = msg
end sub

' Waits until the writer is ready, collecting responses meanwhile.
function waitFor(port as object, timeoutMs as integer) as boolean
    clock = CreateObject("roTimespan")
    while clock.TotalMilliseconds() < timeoutMs
        if m.top.writerReady = true
            return true
        end if
        collect(wait(20, port))
    end while
    return false
end function

' Waits until `count` responses of `kind` were collected.
function waitForCount(port as object, kind as string, count as integer, timeoutMs as integer) as boolean
    clock = CreateObject("roTimespan")
    while clock.TotalMilliseconds() < timeoutMs
        if countOf(kind) >= count
            return true
        end if
        collect(wait(50, port))
    end while
    return countOf(kind) >= count
end function

function countOf(kind as string) as integer
    n = 0
    for each msg in m.responses
        if msg.type = kind
            n = n + 1
        end if
    end for
    return n
end function

sub collect(msg as dynamic)
    if type(msg) = "roSGNodeEvent" and msg.getField() = "inbox"
        m.responses.Push(msg.getData())
    end if
end sub
