// The host side of the device probe without a device: reading the report out of console lines,
// the report receiver, and the origin's probe routes.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConsoleReader, missingKeys, REPORT_KEYS } from "../../../tools/device-probe/report.ts";
import { startReportReceiver, type ReportReceiver } from "../../../tools/device-probe/receiver.ts";
import { startOrigin, type OriginHandle } from "../../../tools/origin/server.ts";

const REPORT = { probe: { version: 1 }, "byteArray.hasIfArraySlice": true, note: 'a "quoted" value' };

/** Feeds lines until one settles the run. */
function readAll(lines: string[]) {
    const reader = new ConsoleReader();
    for (const line of lines) {
        const verdict = reader.feed(line);
        if (verdict) return { verdict, reader };
    }
    return { verdict: undefined, reader };
}

describe("ConsoleReader", () => {
    it("takes a report printed on one line", () => {
        const { verdict } = readAll(["[probe] asking device", `[probe] report ${JSON.stringify(REPORT)}`]);
        assert.deepEqual(verdict, { kind: "report", report: REPORT });
    });

    it("joins a report printed in parts, in any order and with other lines between them", () => {
        const text = JSON.stringify(REPORT);
        const parts = [text.slice(0, 10), text.slice(10, 30), text.slice(30)];
        const { verdict } = readAll([
            "[probe] report-begin parts=3 chars=" + text.length,
            `[probe] report-part 2/3 ${parts[1]}`,
            "some other thread printing",
            `[probe] report-part 1/3 ${parts[0]}`,
            `[probe] report-part 3/3 ${parts[2]}`,
            "[probe] report-end",
        ]);
        assert.deepEqual(verdict, { kind: "report", report: REPORT });
    });

    it("fails on a missing part, unreadable JSON and a BrightScript crash", () => {
        const missing = readAll(["[probe] report-begin parts=2 chars=9", '[probe] report-part 1/2 {"a":', "[probe] report-end"]);
        assert.deepEqual(missing.verdict, { kind: "failed", reason: "the console report is incomplete (parts missing: 2)" });
        const broken = readAll(['[probe] report {"a": tru']);
        assert.equal(broken.verdict?.kind, "failed");
        assert.match(broken.verdict?.kind === "failed" ? broken.verdict.reason : "", /the report is not JSON/);
        const crash = readAll([
            "[probe] asking spool.cancel",
            "Member function not found in BrightScript Component or interface. (runtime error &hf4) in pkg:/components/ProbeTask.brs(12)",
        ]);
        assert.equal(crash.verdict?.kind, "failed");
        assert.match(
            crash.verdict?.kind === "failed" ? crash.verdict.reason : "",
            /^BrightScript error: Member function not found.*runtime error &hf4/,
        );
    });

    it("does not stop on BRIGHTSCRIPT: ERROR/WARNING lines, and remembers the last progress line", () => {
        const { verdict, reader } = readAll([
            "BRIGHTSCRIPT: WARNING: roDeviceInfo.GetVersion: This function is deprecated",
            "BRIGHTSCRIPT: ERROR: Runtime: FAILED TO CREATE OBJECT roAppMemoryMonitor",
            "[probe] asking socket.bindInUse",
        ]);
        assert.equal(verdict, undefined);
        assert.equal(reader.lastProgress, "[probe] asking socket.bindInUse");
    });

    it("names the keys a report lacks", () => {
        const full = Object.fromEntries(REPORT_KEYS.map((key) => [key, null]));
        assert.deepEqual(missingKeys(full), []);
        const { device: _device, ...partial } = full;
        assert.deepEqual(missingKeys(partial), ["device"]);
    });
});

describe("the report receiver", () => {
    let receiver: ReportReceiver;
    before(async () => {
        receiver = await startReportReceiver("127.0.0.1");
    });
    after(async () => {
        await receiver.close();
    });

    it("refuses what is not a JSON object and accepts the report", async () => {
        const url = `http://127.0.0.1:${receiver.port}/report`;
        assert.equal((await fetch(url)).status, 405);
        assert.equal((await fetch(`http://127.0.0.1:${receiver.port}/other`, { method: "POST", body: "{}" })).status, 404);
        assert.equal((await fetch(url, { method: "POST", body: "not json" })).status, 400);
        assert.equal((await fetch(url, { method: "POST", body: "[1, 2]" })).status, 400);
        const answer = await fetch(url, { method: "POST", body: JSON.stringify(REPORT), headers: { "Content-Type": "application/json" } });
        assert.equal(answer.status, 200);
        assert.deepEqual(await receiver.received, REPORT);
    });
});

describe("the origin's probe routes", () => {
    let origin: OriginHandle;
    before(async () => {
        origin = await startOrigin({ port: 0 });
    });
    after(async () => {
        await origin.close();
    });

    it("GET /probe/slow sends the asked number of pattern bytes", async () => {
        const answer = await fetch(`${origin.url}/probe/slow?bytes=1000&ms=20&chunks=4`);
        assert.equal(answer.status, 200);
        assert.equal(answer.headers.get("content-length"), "1000");
        const body = Buffer.from(await answer.arrayBuffer());
        assert.equal(body.length, 1000);
        assert.ok(body.every((byte, index) => byte === index % 251));
    });

    it("POST /probe/slow reads the request body and says how long it was", async () => {
        const answer = await fetch(`${origin.url}/probe/slow?bytes=16&ms=0`, { method: "POST", body: Buffer.alloc(1024, 7) });
        assert.equal(answer.status, 200);
        assert.equal(answer.headers.get("x-probe-request-bytes"), "1024");
        assert.equal((await answer.arrayBuffer()).byteLength, 16);
    });

    it("/probe/503 answers 503 with Retry-After, a body and a header sent twice", async () => {
        const answer = await fetch(`${origin.url}/probe/503?retryAfter=9&bytes=100`);
        assert.equal(answer.status, 503);
        assert.equal(answer.headers.get("retry-after"), "9");
        assert.equal(answer.headers.get("x-probe-twice"), "first, second");
        assert.equal((await answer.text()).length, 100);
        assert.equal((await fetch(`${origin.url}/probe/nothing`)).status, 404);
        assert.ok(origin.log().some((entry) => entry.outcome.startsWith("probe-503")));
    });
});
