' Downloads pkg:/config.json's urls into tmp:/ with AsyncGetToFile / AsyncPostFromFileToFile, tails
' <target>.tmp while it grows (printing every new size: the test server sends the next part of the
' body only once it has seen the file reach the previous one), then prints the final size and the
' SHA-256 of the file as read back in 1 MiB slices (roByteArray.ReadFile + roEVPDigest), for the
' TypeScript test to compare.
sub init()
    m.top.functionName = "runBigFiles"
end sub

sub runBigFiles()
    config = ParseJson(ReadAsciiFile("pkg:/config.json"))
    m.fs = CreateObject("roFileSystem")
    for i = 1 to config.rounds
        fetchBig("GET", config.url, "tmp:/big-get.bin", i)
        fetchBig("POST", config.url, "tmp:/big-post.bin", i)
    end for
    print "BIGFILE-DONE"
    m.top.done = true
end sub

function fileSize(path as string) as integer
    stat = m.fs.Stat(path)
    if stat = invalid or stat.size = invalid
        return -1
    end if
    return stat.size
end function

sub fetchBig(method as string, url as string, target as string, round as integer)
    port = CreateObject("roMessagePort")
    key = method + "-" + round.ToStr()
    ut = CreateObject("roUrlTransfer")
    ut.setUrl(url + "?key=" + key)
    ut.setMessagePort(port)
    if method = "GET"
        ok = ut.AsyncGetToFile(target)
    else
        WriteAsciiFile("tmp:/big-request.txt", "request-body")
        ok = ut.AsyncPostFromFileToFile("tmp:/big-request.txt", target)
    end if
    steps = 0
    lastSize = -1
    clock = CreateObject("roTimespan")
    msg = invalid
    while ok and clock.TotalMilliseconds() < 120000
        msg = wait(20, port)
        if type(msg) = "roUrlEvent"
            exit while
        end if
        size = fileSize(target + ".tmp")
        if size > lastSize and size > 0
            steps = steps + 1
            lastSize = size
            print "BIGFILE-TMP key=" + key + " size=" + size.ToStr()
        end if
    end while
    code = -999
    if type(msg) = "roUrlEvent"
        code = msg.GetResponseCode()
    end if
    size = fileSize(target)
    digest = CreateObject("roEVPDigest")
    digest.Setup("sha256")
    slice = CreateObject("roByteArray")
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
    print "BIGFILE method=" + method + " round=" + round.ToStr() + " code=" + code.ToStr() + " size=" + size.ToStr() + " steps=" + steps.ToStr() + " lastTmpSize=" + lastSize.ToStr() + " tmpAfter=" + fileSize(target + ".tmp").ToStr() + " sha256=" + digest.Final()
    m.fs.Delete(target)
end sub
