' Echo server on port 7010 in the style of Roku's roStreamSocket sample: one message port, a listen
' socket, non-blocking connections whose interest follows their state (readable while idle,
' writable while echoing a partially sent chunk). A connection to port 7019 stops the server.
sub init()
    m.top.functionName = "serveEcho"
end sub

sub serveEcho()
    port = CreateObject("roMessagePort")
    listener = listenOn(7010, port)
    control = listenOn(7019, port)
    if listener = invalid or control = invalid
        print "ECHO-ERROR cannot listen"
        m.top.done = true
        return
    end if
    print "ECHO-LISTENING 7010"
    conns = {}
    stats = { accepted: 0, closed: 0, partialSends: 0, bytes: 0, maxOpen: 0 }
    running = true
    while running
        msg = wait(1000, port)
        if type(msg) = "roSocketEvent"
            id = msg.getSocketID()
            if id = listener.getID()
                acceptAll(listener, port, conns, stats)
            else if id = control.getID()
                running = false
            else if conns.DoesExist(Str(id))
                serviceConnection(conns, Str(id), stats)
            end if
        end if
    end while
    for each key in conns
        conns[key].sock.close()
    end for
    listener.close()
    control.close()
    print "ECHO-STATS accepted=" + stats.accepted.ToStr() + " closed=" + stats.closed.ToStr() + " partialSends=" + stats.partialSends.ToStr() + " bytes=" + stats.bytes.ToStr() + " maxOpen=" + stats.maxOpen.ToStr()
    m.top.done = true
end sub

function listenOn(portNumber as integer, port as object) as object
    address = CreateObject("roSocketAddress")
    address.setPort(portNumber)
    sock = CreateObject("roStreamSocket")
    sock.setMessagePort(port)
    sock.setReuseAddr(true)
    ' setAddress is the bind() call: a port in use fails here (Listen alone would take another port).
    if not sock.setAddress(address) or not sock.listen(8)
        print "ECHO-LISTEN-FAILED " + portNumber.ToStr() + " status=" + sock.status().ToStr()
        return invalid
    end if
    sock.notifyReadable(true)
    return sock
end function

sub acceptAll(listener as object, port as object, conns as object, stats as object)
    while true
        sock = listener.accept()
        if sock = invalid
            return
        end if
        sock.setMessagePort(port)
        sock.notifyReadable(true)
        sock.notifyWritable(false)
        buf = CreateObject("roByteArray")
        buf[65535] = 0
        conns[Str(sock.getID())] = { sock: sock, buf: buf, pending: 0, off: 0, peerDone: false }
        stats.accepted = stats.accepted + 1
        if conns.Count() > stats.maxOpen
            stats.maxOpen = conns.Count()
        end if
    end while
end sub

sub serviceConnection(conns as object, key as string, stats as object)
    c = conns[key]
    ok = true
    if c.pending > c.off
        ok = flushPending(c, stats)
    else if not c.peerDone
        n = c.sock.receive(c.buf, 0, 65536)
        if n > 0
            c.pending = n
            c.off = 0
            stats.bytes = stats.bytes + n
            ok = flushPending(c, stats)
        else if n = 0 and c.sock.eSuccess()
            c.peerDone = true
        else if not c.sock.eOK()
            closeConnection(conns, key, stats)
            return
        end if
    end if
    if not ok or c.sock.isException()
        closeConnection(conns, key, stats)
        return
    end if
    ' Half-close: echo everything that was received, then close.
    if c.peerDone and c.pending <= c.off
        closeConnection(conns, key, stats)
        return
    end if
    busy = c.pending > c.off
    c.sock.notifyReadable(not busy)
    c.sock.notifyWritable(busy)
end sub

' Sends what is pending; false on a hard error (peer gone), true when sent or would block.
function flushPending(c as object, stats as object) as boolean
    sent = c.sock.send(c.buf, c.off, c.pending - c.off)
    if sent > 0
        c.off = c.off + sent
        if c.off < c.pending
            stats.partialSends = stats.partialSends + 1
        end if
        return true
    end if
    return c.sock.eOK()
end function

sub closeConnection(conns as object, key as string, stats as object)
    conns[key].sock.close()
    conns.Delete(key)
    stats.closed = stats.closed + 1
end sub
