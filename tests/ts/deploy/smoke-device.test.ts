// make smoke-device against the local Roku stand-in: sideload, ECP launch, console verdicts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runTool, type ToolResult } from "../support/run-tool.ts";
import { fakeRokusForThisFile, standInEnvironment, standInPortFlags, type ConsoleStep, type FakeRoku } from "../support/fake-roku.ts";
import { SmokeJudge } from "../../../tools/deploy/smoke-device.ts";

const standIns = fakeRokusForThisFile();

const player = (state: string, position: number) =>
    `[VideoPlayer] state=${state} position=${position.toFixed(1)} duration=180.0 buffer=100 bitrate=1250000`;
const START: ConsoleStep[] = [
    "------ Running dev 'ytsabr' main ------",
    "[MainScene] status: starting the workers for http://192.168.1.20:8090/manifest/sabrOrigin1.mpd",
    "[MainScene] status: serving http://127.0.0.1:7010/manifest.mpd",
    player("buffering", 0),
];

function fakeRoku(launchScript: ConsoleStep[], extra: { launchStatus?: number; consoleLog?: string[] } = {}): Promise<FakeRoku> {
    return standIns.start({ launchScript, ...extra });
}

function runSmoke(roku: FakeRoku, args: string[] = []): Promise<ToolResult> {
    const ports = standInPortFlags(roku);
    const env = standInEnvironment("secret");
    return runTool("tools/deploy/smoke-device.ts", ["--zip", standIns.zip, "--timeout", "5", ...ports, ...args], {
        env,
        timeoutMs: 60_000,
    });
}

describe("make smoke-device against the stand-in", () => {
    it("passes once the printed position advanced 10 s, after one install and one ECP launch", async () => {
        const roku = await fakeRoku([
            ...START,
            { waitMs: 100 },
            player("playing", 0.5),
            { waitMs: 100 },
            player("playing", 5.5),
            { waitMs: 100 },
            player("playing", 10.6),
        ]);
        const result = await runSmoke(roku);
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /smoke-device: PASS: position advanced 10\.6 s \(0\.0 -> 10\.6\)/);
        assert.equal(roku.installs.length, 1);
        assert.deepEqual(roku.launches, ["dev"]);
        assert.deepEqual(roku.launchUrls, ["/launch/dev"]);
        // The console is streamed to stdout for the person watching.
        assert.match(result.stdout, /\[MainScene\] status: serving/);
    });

    it("fails on a BrightScript crash line", async () => {
        const roku = await fakeRoku([
            ...START,
            'Type Mismatch. Operator "+" can\'t be applied to "String" and "Integer". (runtime error &h18) in pkg:/components/VideoPlayer/VideoPlayer.brs(42)',
            "Brightscript Debugger> ",
            player("playing", 20),
        ]);
        const result = await runSmoke(roku);
        assert.equal(result.code, 1, result.stdout + result.stderr);
        assert.match(result.stderr, /smoke-device: FAIL: BrightScript error: Type Mismatch\..*runtime error &h18/);
    });

    it("fails on a player error line and on a channel error status", async () => {
        for (const line of [
            "[VideoPlayer] error -3 buffer timeout",
            "[VideoPlayer] pipeline error: fetch: 503 from the origin",
            "[MainScene] status: error: manifest: 502 Bad Gateway",
        ]) {
            const roku = await fakeRoku([...START, player("playing", 2), line, player("playing", 30)]);
            const result = await runSmoke(roku);
            assert.equal(result.code, 1, `${line}: ${result.stdout}${result.stderr}`);
            assert.ok(result.stderr.includes(`FAIL: `) && result.stderr.includes(line), result.stderr);
        }
    });

    it("fails when the position stalls, naming where it stopped", async () => {
        const roku = await fakeRoku([...START, player("playing", 3), player("buffering", 3.2), player("buffering", 3.2)]);
        const started = Date.now();
        const result = await runSmoke(roku, ["--timeout", "2"]);
        assert.equal(result.code, 1, result.stdout + result.stderr);
        assert.match(result.stderr, /FAIL: position did not advance 10 s within 2 s of the launch \(last position 3\.2, advanced 3\.2 s\)/);
        assert.ok(Date.now() - started >= 2000);
    });

    it("fails when no position line comes at all", async () => {
        const roku = await fakeRoku(START.slice(0, 3));
        const result = await runSmoke(roku, ["--timeout", "1"]);
        assert.equal(result.code, 1);
        assert.match(result.stderr, /no \[VideoPlayer\] position line was printed/);
    });

    it("takes the required advance from --advance", async () => {
        const script = [...START, player("playing", 4), player("playing", 8)];
        const strict = await runSmoke(await fakeRoku(script), ["--timeout", "1"]);
        assert.equal(strict.code, 1, strict.stderr);
        const lenient = await runSmoke(await fakeRoku(script), ["--advance", "8"]);
        assert.equal(lenient.code, 0, lenient.stdout + lenient.stderr);
        assert.match(lenient.stdout, /PASS: position advanced 8\.0 s/);
    });

    it("fails clearly when ECP refuses the launch", async () => {
        const roku = await fakeRoku([...START, player("playing", 30)], { launchStatus: 403 });
        const result = await runSmoke(roku);
        assert.equal(result.code, 1);
        assert.match(result.stderr, /ECP launch on 127\.0\.0\.1:\d+ answered 403 .*Control by mobile apps/);
        assert.deepEqual(roku.launches, []);
    });

    it("rejects a bad option with the usage", async () => {
        const roku = await fakeRoku([]);
        const result = await runSmoke(roku, ["--advance", "soon"]);
        assert.equal(result.code, 1);
        assert.match(result.stderr, /--advance must be a positive number/);
        assert.equal(roku.installs.length, 0);
    });
});

describe("SmokeJudge", () => {
    it("counts progress from the lowest position, so a relaunch at 0 starts over", () => {
        const judge = new SmokeJudge(10);
        assert.equal(judge.feed(player("playing", 8)), undefined);
        assert.equal(judge.feed(player("playing", 0)), undefined);
        assert.equal(judge.feed(player("playing", 9.9)), undefined);
        assert.deepEqual(judge.feed(player("playing", 10)), { ok: true, reason: "position advanced 10.0 s (0.0 -> 10.0)" });
    });

    it("ignores lines that only look alike and honours --allow", () => {
        const judge = new SmokeJudge(10, [/BRIGHTSCRIPT: ERROR: roSGNode.AddReplace/]);
        assert.equal(judge.feed("[VideoPlayer] recovered premature finish at 61.2"), undefined);
        assert.equal(judge.feed("[MainScene] status: loading the manifest (no error yet)"), undefined);
        assert.equal(judge.feed('BRIGHTSCRIPT: ERROR: roSGNode.AddReplace: "x": Type mismatch'), undefined);
        assert.equal(judge.feed("BRIGHTSCRIPT: ERROR: roSGNode.ObserveField: no such field")?.ok, false);
    });

    it("says on a timeout that the channel exited", () => {
        const judge = new SmokeJudge(10);
        judge.feed(player("playing", 1));
        judge.feed("------ Finished 'ytsabr' execution [EXIT_USER_NAV] ------");
        assert.match(judge.timedOut(90).reason, /last position 1\.0, advanced 0\.0 s; the channel exited/);
    });

    it("sends --manifest-url as the manifestUrl launch parameter", async () => {
        const roku = await fakeRoku([...START, { waitMs: 50 }, player("playing", 0.5), { waitMs: 50 }, player("playing", 11)]);
        const url = "http://192.168.1.20:8090/manifest/sabrOrigin2.mpd?variant=multi";
        const result = await runSmoke(roku, ["--manifest-url", url]);
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.deepEqual(roku.launchUrls, [`/launch/dev?manifestUrl=${encodeURIComponent(url)}`]);
    });
});
