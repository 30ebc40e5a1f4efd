/** One test per fault profile: the origin produces the fault (bytes on the wire and/or __log). */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import {
    UMPPartId,
    SabrError,
    FormatInitializationMetadata,
    StreamProtectionStatus,
    SabrContextUpdate,
    ReloadPlaybackContext,
    NextRequestPolicy,
} from "googlevideo/protos";
import { startOrigin, type OriginHandle, type LogEntry } from "../../../tools/origin/server.ts";
import { FAULTS, parseFaultSpec, selectFaults, makeRng } from "../../../tools/origin/faults.ts";
import { parseUmp, scanFields } from "../../../tools/origin/wire.ts";
import { getManifest } from "./helpers.ts";
import { RawClient, assemble, followUp, headers, headerIdOf } from "./client.ts";

/** assert.ok with a message always (without one, Node re-parses the transpiled one-line source, which is very slow). */
function ok(value: unknown, message?: string): asserts value {
    assert.ok(value, message ?? "expected a truthy value");
}

let origin: OriginHandle;
before(async () => {
    origin = await startOrigin({ port: 0, onLog: process.env.ORIGIN_DEBUG ? (l) => console.error(l) : undefined });
});
after(async () => {
    await origin.close();
});

async function fresh(spec: string, videoItag = 160, videoId = "sabrOrigin2"): Promise<RawClient> {
    origin.setFaults(spec, 1);
    const m = await getManifest(origin.url, videoId);
    return RawClient.fromPayload(m.payloads[0]!, videoItag);
}

function lastEntry(c: RawClient): LogEntry {
    const ei = new URL(c.payload.serverAbrStreamingUrl).searchParams.get("ei");
    const e = origin
        .log()
        .filter((x) => x.session === ei)
        .at(-1);
    ok(e, "log entry");
    return e;
}

function assertion(e: LogEntry, name: string): boolean | null | undefined {
    return e.assertions.find((a) => a.name === name)?.ok;
}

test("every VOD fault of docs/sabr-protocol.md §9.3 has a documented profile", () => {
    const names = Object.keys(FAULTS);
    for (let i = 1; i <= 28; i++) if (i !== 25) ok(names.includes(`F${i}`), `F${i}`);
    for (const f of Object.values(FAULTS)) {
        ok(f.injection.length > 20);
        ok(f.expect.length > 10);
    }
    assert.throws(() => parseFaultSpec("F25"));
    assert.throws(() => parseFaultSpec("F1@p=2"));
    // selection: rn, nth, times, probability (seeded => deterministic)
    const rules = parseFaultSpec("F6@rn=3,F7@nth=2,F8@times=1,F9@p=0.5");
    const rng = makeRng(42);
    const fired = [0, 1, 2, 3, 4].map((i) =>
        selectFaults(rules, i + 1, i + 1, rng)
            .map((f) => f.profile)
            .join("+"),
    );
    assert.equal(fired[0]!.includes("F8"), true);
    assert.equal(fired.filter((x) => x.includes("F8")).length, 1);
    assert.equal(fired[1]!.includes("F7"), true);
    assert.equal(fired[2]!.includes("F6"), true);
    const rng2 = makeRng(42);
    const rules2 = parseFaultSpec("F6@rn=3,F7@nth=2,F8@times=1,F9@p=0.5");
    const again = [0, 1, 2, 3, 4].map((i) =>
        selectFaults(rules2, i + 1, i + 1, rng2)
            .map((f) => f.profile)
            .join("+"),
    );
    assert.deepEqual(again, fired);
});

test("F1 chunk-split: slices inside part headers, body still well-formed", async () => {
    const c = await fresh("F1");
    const u = new URL(c.url);
    u.searchParams.set("rn", "0");
    const body = c.body();
    const chunks: Buffer[] = await new Promise((resolve, reject) => {
        const req = request(u, { method: "POST", headers: { "content-type": "application/x-protobuf" } }, (res) => {
            const got: Buffer[] = [];
            res.on("data", (d: Buffer) => got.push(d));
            res.on("end", () => resolve(got));
        });
        req.on("error", reject);
        req.end(body);
    });
    const all = Buffer.concat(chunks);
    const parts = parseUmp(all);
    ok(parts.some((p) => p.type === UMPPartId.MEDIA_END));
    const e = lastEntry(c);
    ok(e.slices && e.slices.length > 20);
    // a boundary exactly after the first part's type varint and one exactly after its size varint
    ok(e.slices.includes(1));
    ok(e.slices.includes(2));
    ok(chunks.length > 10, `client saw ${chunks.length} reads`);
});

test("F2 header ids >= 128 use a 2-byte UMP varint prefix", async () => {
    const c = await fresh("F2");
    const r = await c.post(c.body());
    const hs = headers(r.parts);
    ok(hs.length >= 2);
    ok(hs.every((h) => (h.headerId ?? 0) >= 128));
    const media = r.parts.filter((p) => p.type === UMPPartId.MEDIA);
    ok(media.every((p) => p.payload[0]! >= 0x80 && headerIdOf(p.payload).length === 2));
    const segs = [...assemble(r.parts).values()];
    ok(segs.every((s) => s.ended && s.bytes.length === Number(s.header.contentLength)));
});

test("F3 unknown parts, zero-length parts, 5-byte size varints", async () => {
    const c = await fresh("F3");
    const r = await c.post(c.body());
    const types = r.parts.map((p) => p.type);
    for (const t of [66, 68, 69, 70, 71, 72, 200, 0]) ok(types.includes(t), `part ${t}`);
    ok(r.parts.some((p) => p.payload.length === 0));
    ok(r.body.includes(Buffer.from([0x16, 0xf0, 0x01, 0x00, 0x00, 0x00])), "MEDIA_END with 5-byte size");
    ok(r.body.includes(Buffer.from([0x88, 0x03])), "type 200 as 2-byte varint");
    ok([...assemble(r.parts).values()].every((s) => s.ended));
});

test("F4 connection reset mid-MEDIA: client sees a transport error; ledger excludes the cut segment", async () => {
    // An origin of its own: the claim below must be judged against this session's deliveries
    // alone, and the shared origin has delivered these segments to earlier tests' sessions (the
    // claim checks accept those: a client's cache outlives its session).
    const shared = origin;
    origin = await startOrigin({ port: 0 });
    try {
        const c = await fresh("F4");
        await assert.rejects(async () => {
            await c.post(c.body());
        });
        const e = lastEntry(c);
        assert.match(e.outcome, /reset-mid-media/);
        ok(e.bytesWritten! < e.bytesPlanned!);
        const planned = (e.parts ?? []).filter((p) => p.type === UMPPartId.MEDIA_END).length;
        ok(e.delivered!.length < planned);
        // A retry claiming an undelivered segment is flagged.
        const notDelivered = (e.parts ?? [])
            .filter((p) => p.type === UMPPartId.MEDIA_END)
            .map((p) => /end:(\d+):(\d+)/.exec(p.label!)!)
            .find((m) => !e.delivered!.includes(`${m[1]}:${m[2]}`))!;
        origin.setFaults("");
        const itag = Number(notDelivered[1]);
        const seq = Number(notDelivered[2]);
        await c.post(
            c.body({ selected: [c.video, c.audio], ranges: [{ format: itag === c.video.itag ? c.video : c.audio, start: seq, end: seq }] }),
        );
        assert.equal(assertion(lastEntry(c), "bufferedRangesHonest"), false);
    } finally {
        await origin.close();
        origin = shared;
    }
});

test("a new session may claim what an earlier session of the same video received (a cache outlives its session)", async () => {
    const first = await fresh("");
    await first.post(first.body());
    const received = lastEntry(first).delivered!.map((k) => k.split(":").map(Number) as [number, number]);
    const [itag, seq] = received.find(([, sequence]) => sequence > 0)!;
    const second = await fresh("");
    const format = itag === second.video.itag ? second.video : second.audio;
    await second.post(second.body({ selected: [second.video, second.audio], ranges: [{ format, start: seq, end: seq }] }));
    const e = lastEntry(second);
    assert.notEqual(e.session, lastEntry(first).session, "two sessions");
    assert.equal(assertion(e, "bufferedRangesHonest"), true);
    assert.equal(assertion(e, "selectedAfterInit"), true);
});

test("F5 response ends after MEDIA without MEDIA_END", async () => {
    const c = await fresh("F5");
    const r = await c.post(c.body());
    assert.equal(r.parts.at(-1)!.type, UMPPartId.MEDIA);
    const segs = [...assemble(r.parts).values()];
    const open = segs.filter((s) => !s.ended);
    ok(open.length >= 1);
    ok(open.some((s) => s.bytes.length < Number(s.header.contentLength)));
});

test("F6 content_length differs from the bytes sent", async () => {
    const c = await fresh("F6:delta=3");
    const r = await c.post(c.body());
    const segs = [...assemble(r.parts).values()].filter((s) => !s.header.isInitSeg);
    const bad = segs.filter((s) => Number(s.header.contentLength) !== s.bytes.length);
    assert.equal(bad.length, 1);
    assert.equal(Number(bad[0]!.header.contentLength) - bad[0]!.bytes.length, 3);
});

test("F7 duplicates of held segments and back-fill N-1 after N", async () => {
    const c = await fresh("");
    const r1 = await c.post(c.body());
    origin.setFaults("F7");
    const r2 = await c.post(followUp(c, r1));
    const seqs = headers(r2.parts)
        .filter((h) => h.itag === c.video.itag)
        .map((h) => h.sequenceNumber!);
    const held = headers(r1.parts)
        .filter((h) => h.itag === c.video.itag && !h.isInitSeg)
        .map((h) => h.sequenceNumber!);
    for (const q of held) ok(seqs.includes(q), `held ${q} re-sent`);
    const newMax = Math.max(...seqs);
    ok(seqs.lastIndexOf(newMax - 1) > seqs.indexOf(newMax), "N-1 after N");
});

test("F8 all segments open at once, MEDIA_END in reverse order", async () => {
    const c = await fresh("F8");
    const r = await c.post(c.body());
    const firstMedia = r.parts.findIndex((p) => p.type === UMPPartId.MEDIA);
    const lastHeader = r.parts.map((p) => p.type).lastIndexOf(UMPPartId.MEDIA_HEADER);
    ok(lastHeader < firstMedia, "every header before the first MEDIA");
    const order = headers(r.parts).map((h) => h.headerId ?? 0);
    const ends = r.parts.filter((p) => p.type === UMPPartId.MEDIA_END).map((p) => headerIdOf(p.payload).id);
    assert.deepEqual(ends, [...order].reverse());
    ok([...assemble(r.parts).values()].every((s) => s.bytes.length === Number(s.header.contentLength)));
});

test("F9 MEDIA_HEADER without duration_ms, content_length, start_ms", async () => {
    const c = await fresh("F9");
    const r = await c.post(c.body());
    const hs = headers(r.parts).filter((h) => !h.isInitSeg);
    ok(hs.length > 0);
    for (const h of hs) {
        assert.equal(h.durationMs, "0");
        assert.equal(h.contentLength, "0");
        assert.equal(h.startMs, "0");
        ok(Number(h.timeRange?.durationTicks) > 0 && (h.timeRange?.timescale ?? 0) > 0);
    }
    const raw = r.parts.filter((p) => p.type === UMPPartId.MEDIA_HEADER).map((p) => scanFields(p.payload).map((f) => f.field));
    ok(raw.some((fields) => fields.includes(9) && !fields.includes(12) && !fields.includes(14) && !fields.includes(11)));
});

test("F10 policy-only response with backoff", async () => {
    const c = await fresh("F10:backoff=250");
    const r = await c.post(c.body());
    ok(!r.parts.some((p) => p.type === UMPPartId.MEDIA_HEADER || p.type === UMPPartId.FORMAT_INITIALIZATION_METADATA));
    const pol = r.parts.find((p) => p.type === UMPPartId.NEXT_REQUEST_POLICY)!;
    assert.equal(NextRequestPolicy.decode(pol.payload).backoffTimeMs, 250);
    assert.equal(lastEntry(c).outcome, "control-only");
});

test("F11 large backoff: an early next request is flagged, a patient one is not", async () => {
    // A backoff no request can honour by accident (however slow this machine is), then a short one waited out.
    const c = await fresh("F11:ms=600000@nth=1");
    const r1 = await c.post(c.body());
    assert.equal(NextRequestPolicy.decode(r1.parts.find((p) => p.type === UMPPartId.NEXT_REQUEST_POLICY)!.payload).backoffTimeMs, 600000);
    ok(headers(r1.parts).length > 0, "media still sent");
    await c.post(followUp(c, r1));
    assert.equal(assertion(lastEntry(c), "backoffHonoured"), false);
    const c2 = await fresh("F11:ms=300@nth=1");
    const r2 = await c2.post(c2.body());
    await new Promise((res) => setTimeout(res, 320));
    await c2.post(followUp(c2, r2));
    assert.equal(assertion(lastEntry(c2), "backoffHonoured"), true);
});

test("F12 redirect: new URL works with state intact, old URL answers 403; loop alternates", async () => {
    const c = await fresh("F12@nth=1");
    const oldUrl = c.url;
    const r1 = await c.post(c.body());
    const red = r1.parts.find((p) => p.type === UMPPartId.SABR_REDIRECT);
    ok(red);
    assert.notEqual(c.url, oldUrl);
    ok(headers(r1.parts).length > 0, "redirect with data");
    const stale = await c.post(followUp(c, r1), { url: oldUrl });
    assert.equal(stale.status, 403);
    assert.equal(assertion(lastEntry(c), "notPreRedirectUrl"), false);
    const fine = await c.post(followUp(c, r1));
    assert.equal(fine.status, 200);
    ok(headers(fine.parts).length > 0);
    assert.equal(assertion(lastEntry(c), "notPreRedirectUrl"), true);
    const l = await fresh("F12:mode=loop");
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
        const r = await l.post(l.body());
        ok(!r.parts.some((p) => p.type === UMPPartId.MEDIA_HEADER));
        seen.push(new URL(l.url).pathname);
    }
    assert.deepEqual(seen, ["/r1/videoplayback", "/r2/videoplayback", "/r1/videoplayback"]);
});

test("F13 SABR_ERROR in the YT layout and the GV layout", async () => {
    const c = await fresh("F13");
    const r = await c.post(c.body());
    const err = r.parts.find((p) => p.type === UMPPartId.SABR_ERROR)!;
    assert.equal(Buffer.from(err.payload).toString("hex"), "0a15736162722e6d616c666f726d65645f636f6e66696710021a022004");
    const g = await fresh("F13:type=sabr.no_audio_selected:layout=gv");
    const rg = await g.post(g.body());
    const e = SabrError.decode(rg.parts.find((p) => p.type === UMPPartId.SABR_ERROR)!.payload);
    assert.equal(e.type, "sabr.no_audio_selected");
    assert.equal(e.code, 2);
});

test("F14 reload: old URL 403, reloaded manifest continues the session", async () => {
    const c = await fresh("");
    const r1 = await c.post(c.body());
    origin.setFaults("F14");
    const r2 = await c.post(followUp(c, r1));
    const rel = ReloadPlaybackContext.decode(r2.parts.find((p) => p.type === UMPPartId.RELOAD_PLAYER_RESPONSE)!.payload);
    const token = rel.reloadPlaybackParams?.token;
    ok(token);
    origin.setFaults("");
    assert.equal((await c.post(followUp(c, r1))).status, 403);
    const m = await getManifest(origin.url, "sabrOrigin2", `?reload=${encodeURIComponent(token)}`);
    const c2 = RawClient.fromPayload(m.payloads[0]!, 160);
    assert.notEqual(c2.url, c.url);
    assert.notEqual(c2.config, c.config);
    c2.rn = c.rn;
    const r3 = await c2.post(followUp(c2, r1, { cookie: null }));
    assert.equal(r3.status, 200);
    ok(headers(r3.parts).length > 0);
    assert.equal(assertion(lastEntry(c2), "bufferedRangesHonest"), true, "ledger inherited");
});

test("F15 expired URL: 403 with an empty body, then and later", async () => {
    const c = await fresh("F15@nth=2");
    const r1 = await c.post(c.body());
    assert.equal(r1.status, 200);
    const r2 = await c.post(followUp(c, r1));
    assert.equal(r2.status, 403);
    assert.equal(r2.body.length, 0);
    origin.setFaults("");
    assert.equal((await c.post(followUp(c, r1))).status, 403);
    // naturally expiring URL from the manifest's expire parameter
    const m = await getManifest(origin.url, "sabrOrigin2", "?expire=0");
    const c2 = RawClient.fromPayload(m.payloads[0]!, 160);
    await new Promise((res) => setTimeout(res, 1100));
    assert.equal((await c2.post(c2.body())).status, 403);
});

test("F16 HTTP failures: 503, 429 + Retry-After, reset, slow first byte", async () => {
    let c = await fresh("F16");
    let r = await c.post(c.body());
    assert.equal(r.status, 503);
    assert.equal(r.body.length, 0);
    c = await fresh("F16:status=429:retryAfter=2");
    r = await c.post(c.body());
    assert.equal(r.status, 429);
    assert.equal(r.headers.get("retry-after"), "2");
    c = await fresh("F16:mode=rst");
    await assert.rejects(async () => {
        await c.post(c.body());
    });
    c = await fresh("F16:mode=slow:ms=300");
    const t0 = Date.now();
    r = await c.post(c.body());
    ok(Date.now() - t0 >= 290);
    assert.equal(r.status, 200);
    c = await fresh("F16:mode=trickle:bps=2000000");
    r = await c.post(c.body());
    ok(headers(r.parts).length > 0);
    // overMs spreads the whole body over that time, whatever its size.
    c = await fresh("F16:mode=trickle:overMs=400");
    const t1 = Date.now();
    r = await c.post(c.body());
    ok(Date.now() - t1 >= 390);
    ok(headers(r.parts).length > 0);
});

test("F16 hold: the body stops after the named segment, after N bytes, or before its first byte, until released", async () => {
    for (const [spec, expectedAt] of [
        ["F16:mode=hold:itag=160:seq=1", undefined],
        ["F16:mode=hold", "0"],
        ["F16:mode=hold:bytes=3000", "3000"],
    ] as const) {
        const c = await fresh(spec);
        let answered = false;
        const answer = c.post(c.body()).then((r) => {
            answered = true;
            return r;
        });
        while (origin.held() === 0) await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(answered, false, "the answer cannot be complete while the body is held");
        assert.equal(origin.releaseHeld(), 1);
        const r = await answer;
        assert.equal(r.status, 200);
        const ended = [...assemble(r.parts).values()].filter((x) => x.ended).map((x) => `${x.header.itag}:${x.header.sequenceNumber ?? 0}`);
        ok(ended.includes("160:1") && ended.length > 2, ended.join(" "));
        const entry = origin
            .log()
            .filter((x) => x.rn !== undefined)
            .at(-1);
        const heldAt = entry?.notes?.map((n) => /^held at byte (\d+)/.exec(n)?.[1]).find((at) => at !== undefined);
        const expected = expectedAt === undefined ? heldAt !== undefined && heldAt !== "0" : heldAt === expectedAt;
        ok(expected, `${spec}: ${entry?.notes?.join("; ")}`);
    }
});

test("F17 stream protection: status 2 with media, status 3 without, token script", async () => {
    let c = await fresh("F17");
    let r = await c.post(c.body());
    assert.equal(StreamProtectionStatus.decode(r.parts[0]!.payload).status, 2);
    assert.equal(r.parts[0]!.type, UMPPartId.STREAM_PROTECTION_STATUS);
    ok(r.parts.some((p) => p.type === UMPPartId.MEDIA));
    c = await fresh("F17:status=3:maxRetries=2");
    r = await c.post(c.body());
    const sps = StreamProtectionStatus.decode(r.parts.find((p) => p.type === UMPPartId.STREAM_PROTECTION_STATUS)!.payload);
    assert.deepEqual([sps.status, sps.maxRetries], [3, 2]);
    ok(!r.parts.some((p) => p.type === UMPPartId.MEDIA));
    c = await fresh("F17:script=token");
    c.poToken = Uint8Array.of(1, 2, 3);
    r = await c.post(c.body());
    ok(!r.parts.some((p) => p.type === UMPPartId.MEDIA));
    c.poToken = Uint8Array.of(4, 5, 6);
    r = await c.post(c.body());
    ok(r.parts.some((p) => p.type === UMPPartId.MEDIA));
    c = await fresh("F17:script=grace:graceMs=4000");
    r = await c.post(c.body());
    ok(
        r.parts.some((p) => p.type === UMPPartId.MEDIA),
        "grace window",
    );
    r = await c.post(followUp(c, r));
    ok(!r.parts.some((p) => p.type === UMPPartId.MEDIA), "grace exhausted");
});

test("F18 ad gate: no media until the context is echoed after the backoff", async () => {
    const c = await fresh("F18:backoff=300@nth=1");
    const r1 = await c.post(c.body());
    const up = SabrContextUpdate.decode(r1.parts.find((p) => p.type === UMPPartId.SABR_CONTEXT_UPDATE)!.payload);
    assert.deepEqual([up.type, up.scope, up.sendByDefault, up.writePolicy], [5, 4, true, 1]);
    ok(!r1.parts.some((p) => p.type === UMPPartId.MEDIA));
    // not echoed -> still gated, assertion fails
    const r2 = await c.post(c.body({ contexts: [] }));
    ok(!r2.parts.some((p) => p.type === UMPPartId.MEDIA));
    assert.equal(assertion(lastEntry(c), "contextsEchoed"), false);
    await new Promise((res) => setTimeout(res, 320));
    c.contexts.set(5, up.value!);
    const r3 = await c.post(c.body());
    ok(r3.parts.some((p) => p.type === UMPPartId.MEDIA));
    assert.equal(assertion(lastEntry(c), "contextsEchoed"), true);
});

test("F19 KEEP_EXISTING update: the first value must stay", async () => {
    const c = await fresh("F19@nth=1");
    const r1 = await c.post(c.body());
    const ups = r1.parts.filter((p) => p.type === UMPPartId.SABR_CONTEXT_UPDATE).map((p) => SabrContextUpdate.decode(p.payload));
    assert.deepEqual(
        ups.map((u) => u.writePolicy),
        [1, 2],
    );
    assert.notDeepEqual(ups[0]!.value, ups[1]!.value);
    await c.post(followUp(c, r1, { contexts: [{ type: 6, value: ups[1]!.value! }] }));
    assert.equal(assertion(lastEntry(c), "contextsEchoed"), false, "overwrote a KEEP_EXISTING value");
    await c.post(followUp(c, r1, { contexts: [{ type: 6, value: ups[0]!.value! }] }));
    assert.equal(assertion(lastEntry(c), "contextsEchoed"), true);
});

test("F20 sending policy stop, unpacked encoding: context must no longer be sent", async () => {
    const c = await fresh("F20:action=stop@nth=1");
    const r1 = await c.post(c.body());
    const pol = r1.parts.find((p) => p.type === UMPPartId.SABR_CONTEXT_SENDING_POLICY)!;
    assert.equal(Buffer.from(pol.payload).toString("hex"), "1007", "stop_policy 7, unpacked");
    const v = SabrContextUpdate.decode(r1.parts.find((p) => p.type === UMPPartId.SABR_CONTEXT_UPDATE)!.payload).value!;
    await c.post(followUp(c, r1, { contexts: [{ type: 7, value: v }] }));
    assert.equal(assertion(lastEntry(c), "contextsEchoed"), false);
    const p = await fresh("F20:encoding=packed@nth=1");
    const rp = await p.post(p.body());
    assert.equal(Buffer.from(rp.parts.find((x) => x.type === UMPPartId.SABR_CONTEXT_SENDING_POLICY)!.payload).toString("hex"), "0a0107");
});

test("F21 server-side format switch to another video itag", async () => {
    const c = await fresh("");
    const r1 = await c.post(c.body());
    origin.setFaults("F21");
    const r2 = await c.post(followUp(c, r1));
    const fims = r2.parts
        .filter((p) => p.type === UMPPartId.FORMAT_INITIALIZATION_METADATA)
        .map((p) => FormatInitializationMetadata.decode(p.payload));
    assert.deepEqual(
        fims.map((f) => f.formatId?.itag),
        [133],
    );
    const hs = headers(r2.parts);
    ok(hs.some((h) => h.itag === 133 && h.isInitSeg));
    ok(!hs.some((h) => h.itag === 160));
});

test("F22 FIM re-sent for already initialized formats", async () => {
    const c = await fresh("");
    const r1 = await c.post(c.body());
    origin.setFaults("F22");
    const r2 = await c.post(followUp(c, r1));
    const fims = r2.parts
        .filter((p) => p.type === UMPPartId.FORMAT_INITIALIZATION_METADATA)
        .map((p) => FormatInitializationMetadata.decode(p.payload).formatId?.itag);
    assert.deepEqual(fims.sort(), [140, 160]);
    ok(!headers(r2.parts).some((h) => h.isInitSeg), "no init segment again");
});

test("F23 END_OF_TRACK after the last segment; short mode never sends the last one", async () => {
    const title = origin.titles.get("sabrOrigin2")!;
    const v = title.formats.find((f) => f.itag === 160)!;
    let c = await fresh("F23");
    let r = await c.post(c.body({ playerTimeMs: v.durationMs - 4000 }));
    ok(r.parts.some((p) => p.type === UMPPartId.END_OF_TRACK));
    ok(headers(r.parts).some((h) => h.itag === 160 && h.sequenceNumber === v.segments.length));
    c = await fresh("F23:mode=short");
    r = await c.post(c.body({ playerTimeMs: v.durationMs - 4000 }));
    ok(!headers(r.parts).some((h) => h.itag === 160 && h.sequenceNumber === v.segments.length));
    ok(headers(r.parts).some((h) => h.itag === 160 && h.sequenceNumber === v.segments.length - 1));
});

test("F24 ignorable parts present, media intact", async () => {
    const c = await fresh("F24");
    const r = await c.post(c.body());
    const types = new Set(r.parts.map((p) => p.type));
    for (const t of [
        UMPPartId.SNACKBAR_MESSAGE,
        UMPPartId.PREWARM_CONNECTION,
        UMPPartId.PLAYBACK_START_POLICY,
        UMPPartId.REQUEST_CANCELLATION_POLICY,
        UMPPartId.REQUEST_IDENTIFIER,
    ])
        ok(types.has(t), `part ${t}`);
    ok([...assemble(r.parts).values()].every((s) => s.ended && s.bytes.length === Number(s.header.contentLength)));
});

test("F26 strict cookie: a re-encoded cookie gets a cold start, a verbatim one advances", async () => {
    const c = await fresh("F26");
    const r1 = await c.post(c.body());
    const cookie = c.cookie!;
    // Drop the unknown field 9, as a re-encoding client would.
    const fields = scanFields(cookie).filter((f) => f.field !== 9);
    ok(
        scanFields(cookie).some((f) => f.field === 9),
        "cookie carries an unknown field",
    );
    const reencoded = Buffer.concat(
        fields.map((f) =>
            f.wire === 0
                ? Buffer.from([f.field << 3, Number(f.num)])
                : Buffer.concat([Buffer.from([(f.field << 3) | 2, f.bytes!.length]), f.bytes!]),
        ),
    );
    const bad = await c.post(followUp(c, r1, { cookie: reencoded }));
    ok(
        headers(bad.parts).some((h) => h.isInitSeg),
        "cold start re-sends init",
    );
    assert.equal(lastEntry(c).outcome, "cold-start (F26)");
    assert.equal(assertion(lastEntry(c), "cookieEchoed"), false);
    const good = await c.post(followUp(c, r1));
    ok(!headers(good.parts).some((h) => h.isInitSeg));
    assert.equal(assertion(lastEntry(c), "cookieEchoed"), true);
    const e = await fresh("F26:mode=error");
    const re1 = await e.post(e.body());
    const re2 = await e.post(followUp(e, re1, { cookie: null }));
    assert.equal(SabrError.decode(re2.parts.find((p) => p.type === UMPPartId.SABR_ERROR)!.payload).type, "sabr.malformed_config");
});

test("F27 very large and very small responses", async () => {
    let c = await fresh("F27:minBytes=3000000", 134, "sabrOrigin1");
    let r = await c.post(c.body());
    ok(r.body.length >= 3000000, `large: ${r.body.length}`);
    const v = origin.titles.get("sabrOrigin1")!.formats.find((f) => f.itag === 134)!;
    const seqs = new Set(
        headers(r.parts)
            .filter((h) => h.itag === 134)
            .map((h) => h.sequenceNumber ?? 0),
    );
    assert.equal(seqs.size, v.segments.length + 1, "whole title (+ init)");
    c = await fresh("F27:size=small");
    r = await c.post(c.body());
    const media = headers(r.parts).filter((h) => !h.isInitSeg);
    assert.equal(media.length, 1);
    ok(r.parts.filter((p) => p.type === UMPPartId.MEDIA).every((p) => p.payload.length <= 1025));
});
