' Helpers shared by the render thread and the tasks of the shared tmp:/ test.

' The exact content of file <role>-<n>: distinct for every file, of varying length.
function sharedContent(role as string, n as integer) as string
    text = UCase(role) + "|" + n.ToStr() + "|"
    for i = 0 to n mod 13
        text = text + role + (n * 7 + i).ToStr() + ";"
    end for
    return text
end function

function sharedName(prefix as string, n as integer) as string
    return "tmp:/shared/" + prefix + "-" + n.ToStr()
end function

' Lists tmp:/shared and prints every entry with its content, for the TypeScript test to compare.
sub printSharedListing(tag as string)
    names = ListDir("tmp:/shared")
    print tag + " count=" + names.Count().ToStr()
    for each name in names
        print tag + " " + name + " " + ReadAsciiFile("tmp:/shared/" + name)
    end for
end sub

' Record k of the growing download: 15 decimal digits and a newline (16 bytes).
function growRecord(k as integer) as string
    return Right("000000000000000" + k.ToStr(), 15) + Chr(10)
end function
