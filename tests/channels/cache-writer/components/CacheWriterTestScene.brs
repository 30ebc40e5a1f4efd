' Starts the writer and relays between it and the driver task. Two simulator limits shape this
' channel (brs-engine 2.2.0, brs-scenegraph 0.1.0):
' - A task thread cannot use another Task node: every Task node syncs as type "task", which the
'   render thread resolves to the calling task itself, so sets and reads reach the wrong node,
'   and a task started from a task thread never runs. The render thread relays each message.
' - tmp:/ is one zenfs store shared by all threads, but each thread numbers new inodes from what
'   it has seen (StoreFS.allocNew keeps a per-thread _lastID), so files created by two threads
'   overwrite each other. Here only the render thread (before the writer starts) and then the
'   writer create files; the spool is a package file.
sub init()
    plan = ParseJson(ReadAsciiFile("pkg:/cache-writer-test.json"))
    m.config = plan.writer
    ' A cache left by an earlier run goes first (cachefs: may outlive a run); then an orphan
    ' from a "previous launch" that the writer must sweep at start.
    fs = CreateObject("roFileSystem")
    for each dir in [plan.writer.cacheDir, "tmp:/cw"]
        for each name in fs.GetDirectoryListing(dir)
            fs.Delete(dir + "/" + name)
        end for
    end for
    fs.CreateDirectory("tmp:/cw")
    fs.CreateDirectory("cachefs:/cw")
    fs.CreateDirectory(plan.writer.cacheDir)
    WriteAsciiFile(plan.writer.cacheDir + "/seg-orphan.bin", "left over")
    if plan.benchIndexEntries <> invalid
        ' The bench: a kept index of that many entries for the writer to load.
        now = CreateObject("roDateTime")
        writeIndexFixture(plan.writer.cacheDir, plan.benchIndexEntries, now.AsSeconds() * 1000&)
    end if
    m.relayed = 0
    m.driver = CreateObject("roSGNode", "CacheWriterDriver")
    m.driver.observeField("outbox", "onDriverOutbox")
    m.driver.observeField("done", "onDriverDone")
    startWriter()
    m.driver.control = "RUN"
end sub

' A new sabrCacheWriterTask with the plan's config (the same folders as any earlier one).
sub startWriter()
    m.writer = CreateObject("roSGNode", "sabrCacheWriterTask")
    m.writer.config = m.config
    m.writer.observeField("ready", "onWriterReady")
    m.writer.observeField("response", "onWriterResponse")
    m.writer.control = "RUN"
end sub

sub onWriterReady()
    m.driver.writerReady = m.writer.ready
end sub

' The writer answers a request batch in one set ({ messages: [...], sets }); CACHE_INDEX batches
' come in sets of their own. Its stats go first, so the driver sees them with the answers.
sub onWriterResponse(event as object)
    m.driver.writerStats = m.writer.stats
    for each msg in event.getData().messages
        m.driver.inbox = msg
    end for
end sub

' One writer.request set ({ messages: [msg] }) per driver outbox set; "STOP" stops the writer
' instead, "RESTART" stops it and starts a new instance once the old thread has ended.
sub onDriverOutbox()
    msg = m.driver.outbox
    if msg.type = "STOP"
        m.writer.stop = true
        return
    end if
    if msg.type = "RESTART"
        m.driver.writerReady = false
        m.writer.observeField("stopped", "onWriterStopped")
        m.writer.stop = true
        return
    end if
    m.relayed = m.relayed + 1
    m.driver.relayedCount = m.relayed
    m.writer.request = { messages: [msg] }
end sub

' The stopped writer wrote its index and snapshot: a new launch of it.
sub onWriterStopped()
    if m.writer.stopped = true
        m.writer.unobserveField("stopped")
        m.writer.unobserveField("ready")
        m.writer.unobserveField("response")
        m.driver.writerStats = m.writer.stats
        startWriter()
    end if
end sub

sub onDriverDone()
    m.top.done = true
end sub
