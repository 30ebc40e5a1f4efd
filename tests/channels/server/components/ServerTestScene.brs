sub init()
    m.testConfig = ParseJson(ReadAsciiFile("pkg:/server-test.json"))
    m.fixtures = CreateObject("roSGNode", "FixtureTask")
    m.fixtures.files = m.testConfig.files
    m.fixtures.observeField("done", "onFixturesReady")
    m.fixtures.control = "RUN"
end sub

sub onFixturesReady()
    if m.fixtures.error <> ""
        print "SERVER-TEST-ERROR "; m.fixtures.error
        m.top.done = true
        return
    end if
    m.server = CreateObject("roSGNode", "ytsabrServerTask")
    m.server.config = m.testConfig.server
    m.server.observeField("status", "onServerStatus")
    m.server.control = "RUN"
    m.stopper = CreateObject("roSGNode", "StopTask")
    m.stopper.observeField("stopRequested", "onStopRequested")
    m.stopper.control = "RUN"
end sub

sub onServerStatus()
    status = m.server.status
    print "SERVER-STATUS "; FormatJson(status)
    if status.state = "failed" or status.state = "stopped"
        m.top.done = true
    end if
end sub

sub onStopRequested()
    m.server.stop = true
end sub
