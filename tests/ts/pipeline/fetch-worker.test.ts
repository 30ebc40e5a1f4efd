// Runs the real sabrFetchWorkerTask in the simulator, through the network bridge, against the
// local SABR origin: early SEGMENT_READY, byte-exact chunks, cancel, in-job retry, bad messages
// and a connection reset mid-media. The driver channel is tests/channels/fetch-worker. Where an
// assertion is about order in time, the origin holds the body (F16 mode=hold) until this test has
// seen what it waits for, so no assertion depends on how fast the machine is.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { buildTestChannel } from "../support/test-channels.ts";
import { Simulator, type RunResult } from "../../../tools/sim/simulator.ts";
import { startOrigin, type LogEntry, type OriginHandle } from "../../../tools/origin/server.ts";
import type { SabrPayload } from "../../../tools/origin/manifest.ts";
import type { AbrRequestPlan, FetchRequest, FetchResult, FormatRef, ReadySegment } from "../../../tools/messages/contracts.ts";

const TITLE = "sabrOrigin1";
const VIDEO_ITAG = 160;
const AUDIO_ITAG = 140;

interface Logged {
    t: number;
    scenario: string;
    msg: { type: string; requestId: number; segments?: ReadySegment[] };
    digests?: string[];
}

let origin: OriginHandle;
let simulator: Simulator;
let result: RunResult;
let records: Logged[] = [];
const sources = new Map<number, Buffer>();
/** Set when the held scenario's body was released because the target's SEGMENT_READY was seen. */
let releasedOnTarget = false;

/** Releases the held scenario's body once the worker has announced its target segment. */
function onLine(line: string): void {
    if (releasedOnTarget || !line.startsWith("FW {")) return;
    const record = JSON.parse(line.slice(3)) as Logged;
    if (record.scenario === "held" && record.msg.type === "SEGMENT_READY" && record.msg.segments?.some((segment) => segment.target)) {
        releasedOnTarget = origin.releaseHeld() > 0;
    }
}

async function manifestPayload(): Promise<SabrPayload> {
    const xml = await (await fetch(`${origin.url}/manifest/${TITLE}.mpd`)).text();
    const match = /schemeIdUri="urn:youtube:sabr" value="([^"]+)"/.exec(xml);
    assert.ok(match, "the manifest has no SABR payload");
    return JSON.parse(Buffer.from(match[1]!, "base64").toString("utf8")) as SabrPayload;
}

function formatRef(payload: SabrPayload, itag: number): FormatRef {
    const format = payload.adaptiveFormats.find((candidate) => candidate.itag === itag);
    assert.ok(format, `no itag ${itag} in the payload`);
    return { itag, xtags: String(format.xtags ?? ""), lastModified: String(format.lastModified) };
}

function firstPlan(payload: SabrPayload): AbrRequestPlan {
    return {
        playerTimeMs: 0,
        timeSinceLastSeekMs: -1,
        enabledTrackTypes: 0,
        stickyResolution: 144,
        audioFormat: formatRef(payload, AUDIO_ITAG),
        videoFormat: formatRef(payload, VIDEO_ITAG),
        selectedFormats: [],
        bufferedRanges: [],
        ustreamerConfig: payload.ustreamerConfig,
        clientInfo: payload.clientInfo,
        poToken: payload.poToken,
        playbackCookie: "",
        contexts: [],
        unsentContexts: [],
    };
}

function fetchRequest(payload: SabrPayload, requestId: number, rnFloor: number, sequence = 1): FetchRequest {
    return {
        type: "FETCH_REQUEST",
        requestId,
        scope: "root",
        url: payload.serverAbrStreamingUrl,
        rnFloor,
        request: firstPlan(payload),
        target: { itag: VIDEO_ITAG, xtags: "", isInit: false, sequence },
        spoolPath: `tmp:/fw-r${requestId}.ump`,
        maxAttempts: 3,
    };
}

before(async () => {
    origin = await startOrigin({ port: 0 });
    for (const itag of [VIDEO_ITAG, AUDIO_ITAG]) {
        const response = await fetch(`${origin.url}/__source/${TITLE}/${itag}`);
        sources.set(itag, Buffer.from(await response.arrayBuffer()));
    }
    const payload = await manifestPayload();
    const config = {
        origin: origin.url,
        scenarios: [
            {
                // The body stops right after the target's MEDIA_END until the test sees its SEGMENT_READY.
                name: "held",
                faults: `F16:mode=hold:itag=${VIDEO_ITAG}:seq=1@times=1`,
                actions: [{ send: fetchRequest(payload, 1, 0) }, { awaitResult: 1, timeoutMs: 120_000 }],
            },
            {
                name: "retry",
                faults: "F16:mode=status:status=503@times=1",
                actions: [{ send: fetchRequest(payload, 2, 10) }, { awaitResult: 2, timeoutMs: 30_000 }],
            },
            {
                // The origin sends no byte until the connection closes: only the cancel can end it.
                name: "cancel",
                faults: "F16:mode=hold@times=1",
                actions: [
                    { send: fetchRequest(payload, 3, 20) },
                    { sleepMs: 800 },
                    { send: { type: "CANCEL", requestId: 3 } },
                    { awaitResult: 3, timeoutMs: 120_000 },
                ],
            },
            {
                name: "bad",
                faults: "",
                actions: [
                    { send: { type: "FETCH_REQUEST", requestId: 40 } },
                    { send: { type: "HELLO", requestId: 41 } },
                    { send: { type: "FILE_RELEASE", path: "tmp:/fw/x.ump" } },
                    { send: fetchRequest(payload, 4, 30) },
                    { awaitResult: 4, timeoutMs: 30_000 },
                ],
            },
            {
                name: "reset",
                faults: "F4@times=1,F16:mode=trickle:bps=131072@times=1",
                actions: [{ send: fetchRequest(payload, 5, 40) }, { awaitResult: 5, timeoutMs: 30_000 }],
            },
            {
                // The body stops after the target; the fetch is cancelled once it was announced.
                name: "cancel-announced",
                faults: `F16:mode=hold:itag=${VIDEO_ITAG}:seq=1@times=1`,
                actions: [
                    { send: fetchRequest(payload, 6, 50) },
                    { awaitReady: 6, timeoutMs: 120_000 },
                    { send: { type: "CANCEL", requestId: 6 } },
                    { awaitResult: 6, timeoutMs: 120_000 },
                ],
            },
        ],
    };
    const zip = await buildTestChannel("fetch-worker", { outDir: "out/fetch-worker-test", configName: "fetch-worker.json", config });
    simulator = await Simulator.launch({ bridge: true });
    result = await simulator.run(zip, { timeoutMs: 400_000, onLine });
    await writeFile("out/fetch-worker-test/console.txt", result.lines.join("\n"));
    records = result.lines.filter((line) => line.startsWith("FW {")).map((line) => JSON.parse(line.slice(3)) as Logged);
});

after(async () => {
    origin?.releaseHeld();
    await simulator?.close();
    await origin?.close();
});

function of(scenario: string, type?: string): Logged[] {
    return records.filter((record) => record.scenario === scenario && (type === undefined || record.msg.type === type));
}

function resultOf(scenario: string, requestId: number): FetchResult {
    const found = of(scenario, "FETCH_RESULT").filter((record) => record.msg.requestId === requestId);
    assert.equal(found.length, 1, `one FETCH_RESULT for ${requestId} in ${scenario}: ${JSON.stringify(found)}`);
    return found[0]!.msg as unknown as FetchResult;
}

function readySegments(scenario: string): Array<{ segment: ReadySegment; digest: string; t: number }> {
    return of(scenario, "SEGMENT_READY").flatMap((record) =>
        (record.msg.segments ?? []).map((segment, i) => ({ segment, digest: record.digests![i]!, t: record.t })),
    );
}

function sourceDigest(segment: ReadySegment): string {
    const source = sources.get(segment.itag);
    assert.ok(source, `no source for itag ${segment.itag}`);
    const start = Number(segment.startRange);
    return createHash("md5")
        .update(source.subarray(start, start + Number(segment.contentLength)))
        .digest("hex");
}

function sabrLog(rnFrom: number, rnTo: number): LogEntry[] {
    return origin
        .log()
        .filter((entry) => entry.path.includes("/videoplayback") && entry.rn !== undefined && entry.rn >= rnFrom && entry.rn <= rnTo);
}

describe("sabrFetchWorkerTask against the local origin", () => {
    it("runs every scenario to the end", () => {
        const interesting = result.lines.filter((line) => /^(FW-|\[sabrFetchWorker\])/.test(line));
        console.log(interesting.join("\n"));
        assert.equal(result.outcome, "exited", `${result.reason}\n${result.lines.slice(-40).join("\n")}`);
        assert.ok(result.lines.includes("FW-DONE"));
        assert.ok(!result.lines.some((line) => line.startsWith("FW-TIMEOUT")), "a fetch did not finish in time");
        assert.equal(
            result.lines.filter((line) => line.startsWith("[sabrFetchWorker] fetch ")).length,
            6,
            "one log line per finished fetch",
        );
    });

    it("(a) reports the target segment while the rest of the body is still to come", () => {
        const final = resultOf("held", 1);
        assert.equal(final.outcome, "ok", JSON.stringify(final));
        assert.equal(final.status, 200);
        assert.equal(final.rn, 1);
        assert.equal(final.attempts, 1);
        assert.ok(final.targetDelivered);
        const target = readySegments("held").find((ready) => ready.segment.target);
        assert.ok(target, "no SEGMENT_READY for the target");
        assert.equal(target.segment.itag, VIDEO_ITAG);
        assert.equal(target.segment.sequence, 1);
        // The origin held the rest of the body until this test saw the target's SEGMENT_READY.
        assert.ok(releasedOnTarget, "the held body was not released on the target's SEGMENT_READY");
        const held = sabrLog(1, 1)[0];
        assert.ok(
            held?.notes?.some((note) => /^held at byte [1-9]/.test(note)),
            JSON.stringify(held?.notes),
        );
        assert.ok(
            final.metrics.segmentReadyMs >= 0 && final.metrics.segmentReadyMs < final.metrics.proxyRoundTripMs,
            JSON.stringify(final.metrics),
        );
        const segmentsReported = readySegments("held").length;
        assert.equal(final.segmentCount, segmentsReported);
        assert.ok(of("held", "SEGMENT_READY").length >= 2, "the segments after the hold come in a later SEGMENT_READY");
        assert.equal(final.scan.droppedSegments, 0);
        assert.ok(final.effects.policy.received);
        assert.notEqual(final.effects.playbackCookie, "");
        assert.ok(final.effects.formats.some((format) => format.itag === VIDEO_ITAG));
    });

    it("(b) points at exactly the origin's bytes for every ready segment", () => {
        const all = [...readySegments("held"), ...readySegments("retry"), ...readySegments("bad")];
        assert.ok(all.length >= 6, `too few segments: ${all.length}`);
        const itags = new Set(all.map((ready) => ready.segment.itag));
        assert.deepEqual([...itags].sort(), [AUDIO_ITAG, VIDEO_ITAG].sort());
        assert.ok(all.some((ready) => ready.segment.isInit));
        for (const ready of all) {
            assert.equal(ready.digest, sourceDigest(ready.segment), `itag ${ready.segment.itag} seq ${ready.segment.sequence}`);
            const chunkBytes = ready.segment.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
            assert.equal(chunkBytes, Number(ready.segment.contentLength));
        }
    });

    it("(c) ends a slow fetch on CANCEL with outcome cancelled", () => {
        const final = resultOf("cancel", 3);
        assert.equal(final.outcome, "cancelled");
        assert.equal(final.errorClass, "cancelled");
        // The origin never sent a byte of this body: the result can only have come from the cancel.
        const held = sabrLog(20, 29);
        assert.ok(
            held.every((entry) => (entry.bytesWritten ?? 0) === 0),
            JSON.stringify(held.map((entry) => entry.bytesWritten)),
        );
        assert.equal(of("cancel", "SEGMENT_READY").length, 0);
    });

    it("(d) retries a 503 inside the job with an increasing rn", () => {
        const final = resultOf("retry", 2);
        assert.equal(final.outcome, "ok", JSON.stringify(final));
        assert.equal(final.attempts, 2);
        assert.equal(final.rn, 12);
        assert.ok(final.targetDelivered);
        const log = sabrLog(10, 19);
        assert.deepEqual(
            log.map((entry) => [entry.rn, entry.status]),
            [
                [11, 503],
                [12, 200],
            ],
        );
        const gap = log[1]!.time - log[0]!.time;
        assert.ok(gap >= 450, `the retry came ${gap} ms after the 503 (backoff 500 ms)`);
        assert.ok(log[1]!.assertions.find((assertion) => assertion.name === "rnIncreasing")?.ok !== false);
    });

    it("(e) answers bad messages with MESSAGE_ERROR and keeps working", () => {
        const errors = of("bad", "MESSAGE_ERROR").map(
            (record) => record.msg as unknown as { requestId: number; receivedType: string; error: string },
        );
        assert.equal(errors.length, 3, JSON.stringify(errors));
        assert.equal(errors[0]!.requestId, 40);
        assert.equal(errors[0]!.receivedType, "FETCH_REQUEST");
        assert.match(errors[0]!.error, /FETCH_REQUEST/);
        assert.equal(errors[1]!.receivedType, "HELLO");
        assert.equal(errors[2]!.receivedType, "FILE_RELEASE");
        assert.equal(errors[2]!.requestId, -1);
        const final = resultOf("bad", 4);
        assert.equal(final.outcome, "ok");
        assert.ok(final.targetDelivered);
    });

    it("(f) reports a reset mid-media as transient, after the segments completed before it", () => {
        const final = resultOf("reset", 5);
        assert.equal(final.outcome, "failed", JSON.stringify(final));
        assert.equal(final.errorClass, "transient");
        assert.equal(final.attempts, 1, "an attempt that produced parts is not retried inside the job");
        const ready = readySegments("reset");
        assert.ok(ready.length >= 1, "segments completed before the reset must have been reported");
        assert.equal(final.segmentCount, ready.length);
        const readyAt = Math.max(...ready.map((entry) => entry.t));
        assert.ok(readyAt <= of("reset", "FETCH_RESULT")[0]!.t);
        const log = sabrLog(40, 49);
        assert.equal(log.length, 1);
        assert.match(log[0]!.outcome, /reset-mid-media/);
    });

    it("(g) keeps the segments a cancelled fetch announced readable after the cancel", () => {
        const final = resultOf("cancel-announced", 6);
        assert.equal(final.outcome, "cancelled");
        const announced = readySegments("cancel-announced");
        assert.ok(
            announced.some((ready) => ready.segment.target),
            "the target was announced before the cancel",
        );
        const kept = result.lines.find((line) => line.startsWith("FW-KEPT "));
        assert.ok(kept, "no FW-KEPT line");
        const segments = (JSON.parse(kept.slice(8)) as { segments: Array<{ itag: number; sequence: number; digest: string }> }).segments;
        assert.equal(segments.length, announced.length);
        announced.forEach((ready, i) => {
            assert.equal(
                segments[i]!.digest,
                sourceDigest(ready.segment),
                `itag ${ready.segment.itag} seq ${ready.segment.sequence} after the cancel`,
            );
        });
    });

    it("leaves no transfer open in the bridge", () => {
        assert.deepEqual(simulator.bridge!.counts(), { sockets: 0, transfers: 0 });
    });
});
