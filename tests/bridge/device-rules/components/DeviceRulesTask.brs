' Asks the platform each question a device rule (tools/sim/device-rules.ts) answers differently
' from the kind simulator, and prints one line per question for the TypeScript test to compare.
' The test's servers are in pkg:/config.json: base (http) and secureBase (https, a test CA).
sub init()
    m.top.functionName = "askAll"
end sub

sub askAll()
    config = ParseJson(ReadAsciiFile("pkg:/config.json"))
    m.fs = CreateObject("roFileSystem")
    numbers()
    slice()
    rename()
    bind()
    receiveWhenEmpty()
    errorHeaders(config.base)
    cancelPartial(config.base)
    https(config.secureBase)
    print "RULES-DONE"
    m.top.done = true
end sub

sub numbers()
    print "NUMBERS str=[" + Str(1759049839859420&) + "] int=" + Int(16777217&).ToStr() + " fix=" + Fix(-16777219#).ToStr()
end sub

sub slice()
    ba = CreateObject("roByteArray")
    ba.FromAsciiString("abc")
    print "SLICE has=" + (GetInterface(ba, "ifArraySlice") <> invalid).ToStr()
end sub

sub rename()
    WriteAsciiFile("tmp:/rule-from.txt", "from")
    WriteAsciiFile("tmp:/rule-to.txt", "to")
    renamed = m.fs.Rename("tmp:/rule-from.txt", "tmp:/rule-to.txt")
    print "RENAME onto-existing=" + renamed.ToStr() + " target=" + ReadAsciiFile("tmp:/rule-to.txt")
end sub

sub bind()
    first = boundSocket(7031)
    second = boundSocket(7031)
    print "BIND first=" + first.bound.ToStr() + " second=" + second.bound.ToStr() + " status=" + second.socket.Status().ToStr()
    first.socket.Close()
    second.socket.Close()
end sub

function boundSocket(portNumber as integer) as object
    address = CreateObject("roSocketAddress")
    address.SetAddress("127.0.0.1:" + portNumber.ToStr())
    socket = CreateObject("roStreamSocket")
    socket.SetReuseAddr(true)
    bound = socket.SetAddress(address)
    if bound
        socket.Listen(4)
    end if
    return { socket: socket, bound: bound }
end function

' The test connects to port 7032 and sends nothing: what does Receive say with nothing to read?
sub receiveWhenEmpty()
    port = CreateObject("roMessagePort")
    address = CreateObject("roSocketAddress")
    address.SetAddress("127.0.0.1:7032")
    listener = CreateObject("roStreamSocket")
    listener.SetMessagePort(port)
    listener.SetAddress(address)
    listener.Listen(4)
    listener.NotifyReadable(true)
    print "RECEIVE-LISTENING"
    connection = invalid
    clock = CreateObject("roTimespan")
    while connection = invalid and clock.TotalMilliseconds() < 30000
        wait(100, port)
        connection = listener.Accept()
    end while
    if connection = invalid
        print "RECEIVE no-connection"
        return
    end if
    connection.SetMessagePort(port)
    buffer = CreateObject("roByteArray")
    buffer[1023] = 0
    n = connection.Receive(buffer, 0, 1024)
    print "RECEIVE n=" + n.ToStr() + " eOK=" + connection.eOK().ToStr() + " eSuccess=" + connection.eSuccess().ToStr()
    connection.Close()
    listener.Close()
end sub

sub errorHeaders(base as string)
    event = transferEvent(base + "/unavailable", "")
    if event = invalid
        print "HEADERS no-event"
        return
    end if
    fromArray = ""
    for each header in event.GetResponseHeadersArray()
        if header.DoesExist("Retry-After")
            fromArray = header["Retry-After"]
        end if
    end for
    print "HEADERS code=" + event.GetResponseCode().ToStr() + " plain=" + event.GetResponseHeaders().Count().ToStr() + " arrayRetryAfter=" + fromArray
end sub

' The test's /partial sends 4 KiB and holds the rest: cancel once the .tmp has it, then look.
sub cancelPartial(base as string)
    port = CreateObject("roMessagePort")
    transfer = CreateObject("roUrlTransfer")
    transfer.SetUrl(base + "/partial")
    transfer.SetMessagePort(port)
    target = "tmp:/rule-partial.bin"
    transfer.AsyncGetToFile(target)
    clock = CreateObject("roTimespan")
    seen = -1
    while seen < 4096 and clock.TotalMilliseconds() < 30000
        wait(20, port)
        seen = fileSize(target + ".tmp")
    end while
    transfer.AsyncCancel()
    print "CANCEL seen=" + seen.ToStr() + " tmpAfter=" + fileSize(target + ".tmp").ToStr()
end sub

sub https(secureBase as string)
    bare = transferEvent(secureBase + "/hello", "")
    withBundle = transferEvent(secureBase + "/hello", "common:/certs/ca-bundle.crt")
    print "HTTPS bare=" + codeOf(bare) + " bundle=" + codeOf(withBundle)
end sub

function transferEvent(url as string, certificates as string) as object
    port = CreateObject("roMessagePort")
    transfer = CreateObject("roUrlTransfer")
    transfer.SetUrl(url)
    transfer.SetMessagePort(port)
    if certificates <> ""
        transfer.SetCertificatesFile(certificates)
        transfer.InitClientCertificates()
    end if
    transfer.AsyncGetToString()
    event = wait(30000, port)
    if type(event) <> "roUrlEvent"
        return invalid
    end if
    return event
end function

function codeOf(event as object) as string
    if event = invalid
        return "none"
    end if
    return event.GetResponseCode().ToStr()
end function

function fileSize(path as string) as integer
    stat = m.fs.Stat(path)
    if stat = invalid or stat.size = invalid
        return -1
    end if
    return stat.size
end function
