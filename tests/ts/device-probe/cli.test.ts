// npm run device-probe against the local Roku stand-in: digest-auth sideload, the ECP launch with
// the probe's launch parameters, and the report read from a scripted console or POSTed.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { runTool, type ToolResult } from "../support/run-tool.ts";
import { fakeRokusForThisFile, standInEnvironment, standInPortFlags, type ConsoleStep, type FakeRoku } from "../support/fake-roku.ts";

const OUT_DIR = "out/test-results/device-probe";
const REPORT = {
    probe: { name: "ytsabr-device-probe", version: 1 },
    device: { model: "4800X", osVersion: { major: "14", minor: "1", revision: "4", build: "4178" } },
    "byteArray.hasIfArraySlice": true,
    "longInteger.and64": { type: "LongInteger", toStr: "9223372032559808512" },
    "spool.cancel": { error: 'a "quoted" failure', code: 244 },
};
const START: ConsoleStep[] = [
    "------ Running dev 'ytsabr device probe' main ------",
    "[probe] start originUrl=http://127.0.0.1:1 reportUrl=http://127.0.0.1:2/report listenPort=7095 (from launch)",
    "[probe] asking device",
    "BRIGHTSCRIPT: WARNING: roDeviceInfo.GetVersion: This function is deprecated",
    "[probe] asking spool.cancel",
];

const standIns = fakeRokusForThisFile();

function fakeRoku(launchScript: ConsoleStep[]): Promise<FakeRoku> {
    return standIns.start({ launchScript });
}

function runProbe(roku: FakeRoku, out: string, args: string[] = []): Promise<ToolResult> {
    const options = ["--zip", standIns.zip, "--out", out, "--timeout", "20", "--host-address", "127.0.0.1", ...standInPortFlags(roku)];
    const env = standInEnvironment("secret");
    return runTool("tools/device-probe/cli.ts", [...options, ...args], { env, timeoutMs: 90_000 });
}

/** The launch parameters the stand-in received through ECP. */
function launchParams(roku: FakeRoku): URLSearchParams {
    const url = roku.launchUrls[0] ?? "";
    assert.match(url, /^\/launch\/dev\?/);
    return new URL(url, "http://roku.invalid").searchParams;
}

function readJson(path: string): Record<string, unknown> {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
}

describe("npm run device-probe against the stand-in", () => {
    it("sideloads, launches with the probe's parameters and writes the report printed on the console", async () => {
        const roku = await fakeRoku([...START, `[probe] report ${JSON.stringify(REPORT)}`, "[probe] done"]);
        const out = `${OUT_DIR}/console.json`;
        const result = await runProbe(roku, out);
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.equal(roku.installs.length, 1);
        assert.deepEqual(roku.launches, ["dev"]);
        const params = launchParams(roku);
        assert.match(params.get("reportUrl") ?? "", /^http:\/\/127\.0\.0\.1:\d+\/report$/);
        assert.match(params.get("originUrl") ?? "", /^http:\/\/127\.0\.0\.1:\d+$/);
        assert.equal(params.get("listenPort"), "7095");

        const written = readJson(out);
        const { collectedBy, ...report } = written;
        assert.deepEqual(report, REPORT);
        assert.deepEqual({ ...(collectedBy as Record<string, unknown>), at: "" }, { target: "127.0.0.1", via: "console", at: "" });
        // stdout is the pretty JSON alone; the console and progress go to stderr.
        assert.deepEqual(JSON.parse(result.stdout), written);
        assert.match(result.stderr, /\[probe\] asking spool\.cancel/);
        assert.match(result.stderr, /device-probe: report received via console, written to .*console\.json/);
    });

    it("reads a report printed in numbered parts", async () => {
        const text = JSON.stringify(REPORT);
        const size = Math.ceil(text.length / 3);
        const parts = [0, 1, 2].map((i) => text.slice(i * size, (i + 1) * size));
        const roku = await fakeRoku([
            ...START,
            `[probe] report-begin parts=3 chars=${text.length}`,
            ...parts.map((part, i) => `[probe] report-part ${i + 1}/3 ${part}`),
            "[probe] report-end",
        ]);
        const out = `${OUT_DIR}/parts.json`;
        const result = await runProbe(roku, out);
        assert.equal(result.code, 0, result.stdout + result.stderr);
        const { collectedBy: _collectedBy, ...report } = readJson(out);
        assert.deepEqual(report, REPORT);
    });

    it("takes a POSTed report, and serves the probe routes on the origin it named", async () => {
        // The console says nothing after the start: the report can only come as a POST.
        const roku = await fakeRoku(START);
        const out = `${OUT_DIR}/post.json`;
        const running = runProbe(roku, out);
        while (roku.launchUrls.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
        const params = launchParams(roku);
        const origin = params.get("originUrl") ?? "";
        const slow = await fetch(`${origin}/probe/503?retryAfter=7&bytes=10`);
        assert.equal(slow.status, 503);
        assert.equal(slow.headers.get("retry-after"), "7");
        assert.equal((await fetch(params.get("reportUrl") ?? "", { method: "POST", body: "{broken" })).status, 400);
        const posted = await fetch(params.get("reportUrl") ?? "", {
            method: "POST",
            body: JSON.stringify(REPORT),
            headers: { "Content-Type": "application/json" },
        });
        assert.equal(posted.status, 200);
        const result = await running;
        assert.equal(result.code, 0, result.stdout + result.stderr);
        const { collectedBy, ...report } = readJson(out);
        assert.deepEqual(report, REPORT);
        assert.equal((collectedBy as { via: string }).via, "post");
    });

    it("fails with one line naming the crash", async () => {
        const roku = await fakeRoku([
            ...START,
            'Type Mismatch. Operator "+" can\'t be applied to "String" and "Integer". (runtime error &h18) in pkg:/components/ProbeTask.brs(42)',
            "Brightscript Debugger> ",
        ]);
        const result = await runProbe(roku, `${OUT_DIR}/crash.json`);
        assert.equal(result.code, 1, result.stdout + result.stderr);
        const failure = result.stderr.split("\n").filter((line) => line.startsWith("device-probe: FAIL:"));
        assert.equal(failure.length, 1, result.stderr);
        assert.match(failure[0] ?? "", /FAIL: BrightScript error: Type Mismatch\..*runtime error &h18.*ProbeTask\.brs\(42\)$/);
        assert.equal(result.stdout, "");
    });

    it("fails on a timeout, naming the last thing the probe said", async () => {
        const roku = await fakeRoku(START);
        const result = await runProbe(roku, `${OUT_DIR}/timeout.json`, ["--timeout", "1"]);
        assert.equal(result.code, 1, result.stdout + result.stderr);
        assert.match(
            result.stderr,
            /device-probe: FAIL: no report within 1 s of the launch; last probe line: \[probe\] asking spool\.cancel\n/,
        );
    });

    it("needs ROKU_DEV_TARGET and ROKU_DEV_PASSWORD, and checks its options", async () => {
        const env = { ...process.env, ROKU_DEV_TARGET: "", ROKU_DEV_PASSWORD: "" };
        const missing = await runTool("tools/device-probe/cli.ts", ["--zip", standIns.zip], { env, timeoutMs: 60_000 });
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /device-probe: FAIL: set ROKU_DEV_TARGET/);
        const bad = await runTool("tools/device-probe/cli.ts", ["--timeout", "soon"], { env, timeoutMs: 60_000 });
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /--timeout must be a positive number of seconds/);
        const help = await runTool("tools/device-probe/cli.ts", ["--help"], { env, timeoutMs: 60_000 });
        assert.equal(help.code, 0);
        assert.match(help.stdout, /--sim[\s\S]*--timeout[\s\S]*--out[\s\S]*ROKU_DEV_TARGET[\s\S]*ROKU_DEV_PASSWORD/);
    });
});
