' One task of the shared tmp:/ test; m.top.role says which. Every step is reported through a field
' the render thread observes and relays to the other tasks.
sub init()
    m.top.functionName = "runRole"
end sub

sub runRole()
    m.fs = CreateObject("roFileSystem")
    m.fieldPort = CreateObject("roMessagePort")
    role = m.top.role
    if role = "a"
        runWriterA(m.top.count)
    else if role = "b"
        runWriterB(m.top.count)
    else if role = "c"
        runReaderC()
    else if role = "d"
        runDownloaderD()
    end if
    m.top.finished = true
end sub

' Waits until the render thread sets the boolean field `name` (polled: see the simulator notes).
function waitForFlag(name as string, timeoutMs as integer) as boolean
    m.top.observeField(name, m.fieldPort)
    clock = CreateObject("roTimespan")
    while clock.TotalMilliseconds() < timeoutMs
        if m.top.getField(name) = true
            return true
        end if
        wait(10, m.fieldPort)
    end while
    print "SHARED-ERR " + m.top.role + " timed out waiting for " + name
    return false
end function

' Creates a-<n>, reports, then renames every odd one to r-<n> while b deletes the even ones.
sub runWriterA(count as integer)
    for n = 0 to count - 1
        if not WriteAsciiFile(sharedName("a", n), sharedContent("a", n))
            print "SHARED-ERR a cannot write " + sharedName("a", n)
        end if
    end for
    m.top.wrote = true
    for n = 1 to count - 1 step 2
        if not m.fs.Rename(sharedName("a", n), sharedName("r", n))
            print "SHARED-ERR a cannot rename " + sharedName("a", n)
        end if
    end for
end sub

' Creates b-<n> in the same directory at the same time, then deletes every even a-<n>.
sub runWriterB(count as integer)
    for n = 0 to count - 1
        if not WriteAsciiFile(sharedName("b", n), sharedContent("b", n))
            print "SHARED-ERR b cannot write " + sharedName("b", n)
        end if
    end for
    if not waitForFlag("goDelete", 120000)
        return
    end if
    for n = 0 to count - 1 step 2
        if not m.fs.Delete(sharedName("a", n))
            print "SHARED-ERR b cannot delete " + sharedName("a", n)
        end if
    end for
end sub

' Cross-thread files, then the listing of tmp:/shared, then tails the growing download.
sub runReaderC()
    token = CreateObject("roDeviceInfo").GetRandomUUID()
    WriteAsciiFile("tmp:/xthread/from-c.txt", "c-" + token)
    WriteAsciiFile("cachefs:/from-c.txt", "cc-" + token)
    print "XTHREAD c-wrote=" + token
    m.top.wrote = true
    if waitForFlag("renderWrote", 60000)
        print "XTHREAD task-read tmp=" + ReadAsciiFile("tmp:/xthread/from-render.txt") + " cachefs=" + ReadAsciiFile("cachefs:/from-render.txt")
    end if
    if not waitForFlag("goRead", 180000)
        return
    end if
    printSharedListing("SHARED-C")
    m.top.listed = true
    tailGrowingFile("tmp:/grow/big.bin")
end sub

function fileSize(path as string) as integer
    stat = m.fs.Stat(path)
    if stat = invalid or stat.size = invalid
        return -1
    end if
    return stat.size
end function

' Reads records of <target>.tmp with ReadFile(path, offset, length) while task d's download
' appends to it, then the SHA-256 of the final file (1 MiB slices). Each size at which all three
' records read back right is printed once (GROW-SEEN): the test server sends the next part of the
' body only after it saw that line for the previous part.
sub tailGrowingFile(target as string)
    partial = target + ".tmp"
    slice = CreateObject("roByteArray")
    checks = 0
    bad = 0
    sizes = 0
    lastSize = -1
    reportedSize = -1
    clock = CreateObject("roTimespan")
    while clock.TotalMilliseconds() < 120000 and not m.fs.Exists(target)
        size = fileSize(partial)
        if size >= 16
            if size <> lastSize
                sizes = sizes + 1
                lastSize = size
            end if
            records = size \ 16
            good = 0
            for each k in [records - 1, records \ 2, 0]
                if slice.ReadFile(partial, k * 16, 16)
                    if slice.ToAsciiString() = growRecord(k)
                        checks = checks + 1
                        good = good + 1
                    else
                        bad = bad + 1
                        print "GROW-BAD record=" + k.ToStr() + " size=" + size.ToStr() + " got=" + slice.ToHexString()
                    end if
                end if
            end for
            if good = 3 and size <> reportedSize
                reportedSize = size
                print "GROW-SEEN size=" + size.ToStr()
            end if
        end if
        sleep(5)
    end while
    print "GROW-TAIL checks=" + checks.ToStr() + " bad=" + bad.ToStr() + " sizes=" + sizes.ToStr() + " lastTmpSize=" + lastSize.ToStr()
    size = fileSize(target)
    digest = CreateObject("roEVPDigest")
    digest.Setup("sha256")
    offset = 0
    while size > 0 and offset < size
        length = 1048576
        if size - offset < length
            length = size - offset
        end if
        slice.ReadFile(target, offset, length)
        digest.Update(slice)
        offset = offset + length
    end while
    print "GROW-FINAL size=" + size.ToStr() + " sha256=" + digest.Final()
end sub

' Downloads the test server's body to tmp:/grow/big.bin (bridged: it grows as big.bin.tmp).
sub runDownloaderD()
    if not waitForFlag("goDownload", 240000)
        return
    end if
    port = CreateObject("roMessagePort")
    ut = CreateObject("roUrlTransfer")
    ut.SetUrl(m.top.url)
    ut.SetMessagePort(port)
    code = -999
    if ut.AsyncGetToFile("tmp:/grow/big.bin")
        clock = CreateObject("roTimespan")
        while clock.TotalMilliseconds() < 120000
            msg = wait(20, port)
            if type(msg) = "roUrlEvent"
                code = msg.GetResponseCode()
                exit while
            end if
        end while
    end if
    print "GROW-DOWNLOAD code=" + code.ToStr() + " size=" + fileSize("tmp:/grow/big.bin").ToStr()
end sub
