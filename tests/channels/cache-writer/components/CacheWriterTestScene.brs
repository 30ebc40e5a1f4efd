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
    ' An orphan from a previous run: the writer must sweep it at start.
    fs = CreateObject("roFileSystem")
    fs.CreateDirectory("tmp:/cw")
    fs.CreateDirectory(plan.writer.cacheDir)
    WriteAsciiFile(plan.writer.cacheDir + "/seg-orphan.bin", "left over")
    m.relayed = 0
    m.writer = CreateObject("roSGNode", "sabrCacheWriterTask")
    m.writer.config = plan.writer
    m.writer.observeField("ready", "onWriterReady")
    m.writer.observeField("response", "onWriterResponse")
    m.driver = CreateObject("roSGNode", "CacheWriterDriver")
    m.driver.observeField("outbox", "onDriverOutbox")
    m.driver.observeField("done", "onDriverDone")
    m.writer.control = "RUN"
    m.driver.control = "RUN"
end sub

sub onWriterReady()
    m.driver.writerReady = m.writer.ready
end sub

' The writer answers a request batch in one set ({ messages: [...], sets }).
sub onWriterResponse(event as object)
    for each msg in event.getData().messages
        if msg.type = "FLUSH_RESULT"
            m.driver.writerStats = m.writer.stats
        end if
        m.driver.inbox = msg
    end for
end sub

' One writer.request set ({ messages: [msg] }) per driver outbox set; "STOP" stops the writer instead.
sub onDriverOutbox()
    msg = m.driver.outbox
    if msg.type = "STOP"
        m.writer.stop = true
        return
    end if
    m.relayed = m.relayed + 1
    m.driver.relayedCount = m.relayed
    m.writer.request = { messages: [msg] }
end sub

sub onDriverDone()
    m.top.done = true
end sub
