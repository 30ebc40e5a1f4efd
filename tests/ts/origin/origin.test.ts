/** Origin basics: media model, manifests, googlevideo SabrStream end to end, CORS, bad requests. */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { UMPPartId, SabrError, FormatInitializationMetadata } from "googlevideo/protos";
import { startOrigin, type OriginHandle } from "../../../tools/origin/server.ts";
import { loadTitles, segmentBytes, ticksToMs } from "../../../tools/origin/media-model.ts";
import { getManifest, runSabrStream } from "./helpers.ts";
import { RawClient, assemble } from "./client.ts";

/** assert.ok with a message always (without one, Node re-parses the transpiled one-line source, which is very slow). */
function ok(value: unknown, message?: string): asserts value {
    assert.ok(value, message ?? "expected a truthy value");
}

let origin: OriginHandle;
before(async () => {
    origin = await startOrigin({ port: 0 });
});
after(async () => {
    await origin.close();
});

test("media model: ranges, segment table and exact arithmetic agree with the files", () => {
    const titles = loadTitles();
    assert.deepEqual([...titles.keys()].sort(), ["sabrOrigin1", "sabrOrigin2"]);
    const t1 = titles.get("sabrOrigin1")!;
    const t2 = titles.get("sabrOrigin2")!;
    assert.notEqual(Math.round(t1.durationMs / 1000), Math.round(t2.durationMs / 1000));
    for (const t of titles.values()) {
        assert.deepEqual(
            t.formats.map((f) => f.itag),
            [160, 133, 134, 140],
        );
        ok(
            t.formats.some((f) => f.xtags !== ""),
            "at least one format with xtags",
        );
        for (const f of t.formats) {
            const file = readFileSync(f.path);
            assert.equal(f.contentLength, file.length);
            assert.equal(file.toString("latin1", 4, 8), "ftyp");
            assert.equal(file.toString("latin1", f.indexRange.start + 4, f.indexRange.start + 8), "sidx");
            assert.equal(f.indexRange.start, f.initRange.end + 1);
            // Segments tile the file after the index range.
            let next = f.indexRange.end + 1;
            let ms = 0;
            let ticks = 0n;
            f.segments.forEach((s, i) => {
                assert.equal(s.sequence, i + 1);
                assert.equal(s.range.start, next);
                assert.equal(file.toString("latin1", s.range.start + 4, s.range.start + 8), "moof");
                assert.equal(s.startMs, ms);
                assert.equal(s.startTicks, ticks);
                assert.equal(s.startMs, ticksToMs(s.startTicks, s.timescale));
                next = s.range.end + 1;
                ms += s.durationMs;
                ticks += s.durationTicks;
            });
            assert.equal(next, file.length);
            assert.equal(ms, f.durationMs);
            assert.equal(ticks, f.durationTicks);
            if (f.kind === "video") {
                assert.match(f.mimeType, /^video\/mp4; codecs="avc1\.[0-9a-f]{6}"$/);
                for (const s of f.segments.slice(0, -1)) assert.equal(s.durationMs, 2000, "fixed GOP => 2 s fragments");
            } else {
                assert.equal(f.mimeType, 'audio/mp4; codecs="mp4a.40.2"');
                ok(f.segments[0]!.durationMs >= 9000 && f.segments[0]!.durationMs <= 11000);
            }
        }
    }
    assert.equal(ticksToMs(2n ** 60n, 1000), Number(2n ** 60n));
});

test("manifests: single, multi-period (scoped payloads) and unscoped variants", async () => {
    const single = await getManifest(origin.url, "sabrOrigin1");
    assert.equal(single.payloads.length, 1);
    assert.match(single.xml, /<SegmentBase indexRange="\d+-\d+" indexRangeExact="true">/);
    assert.match(single.xml, /<Initialization range="0-\d+"\/>/);
    assert.match(single.xml, /<BaseURL>sabr:\/\/video\?key=134::root<\/BaseURL>/);
    assert.match(single.xml, /<BaseURL>sabr:\/\/audio\?key=140:ChEKBWFjb250EghvcmlnaW5hbAoKCgRsYW5nEgJlbg:root<\/BaseURL>/);
    const p = single.payloads[0]!;
    for (const k of ["serverAbrStreamingUrl", "ustreamerConfig", "adaptiveFormats", "clientInfo", "poToken", "expiresInSeconds"])
        ok(k in p, k);
    assert.match(p.serverAbrStreamingUrl, /\/videoplayback\?sabr=1&/);
    const a140 = p.adaptiveFormats.find((f) => f.itag === 140)!;
    assert.equal(a140.xtags, "ChEKBWFjb250EghvcmlnaW5hbAoKCgRsYW5nEgJlbg");
    const multi = await getManifest(origin.url, "sabrOrigin1", "?variant=multi");
    assert.equal(multi.payloads.length, 3, "root + one payload per period");
    assert.match(multi.xml, /<Period id="content-1"/);
    assert.match(multi.xml, /key=160::content-1</);
    assert.match(multi.xml, /presentationTimeOffset="\d+"/);
    const urls = new Set(multi.payloads.map((x) => x.serverAbrStreamingUrl));
    const configs = new Set(multi.payloads.map((x) => x.ustreamerConfig));
    assert.equal(urls.size, 3);
    assert.equal(configs.size, 3);
    const unscoped = await getManifest(origin.url, "sabrOrigin2", "?variant=unscoped");
    assert.match(unscoped.xml, /key=160:<\/BaseURL>/);
    assert.match(unscoped.xml, /key=140:ChEKBWFjb250EghvcmlnaW5hbAoKCgRsYW5nEgJlbg<\/BaseURL>/);
    assert.doesNotMatch(unscoped.xml, /:root</);
    const bad = await fetch(`${origin.url}/manifest/nope.mpd`);
    assert.equal(bad.status, 404);
    await bad.arrayBuffer();
});

for (const videoId of ["sabrOrigin1", "sabrOrigin2"]) {
    for (const itag of [160, 133, 134]) {
        test(`googlevideo SabrStream downloads ${videoId} itag ${itag} + 140 byte-exact`, async () => {
            const m = await getManifest(origin.url, videoId);
            const before = origin.log().length;
            const r = await runSabrStream(m.payloads[0]!, itag, 140);
            assert.equal(r.error, undefined, String(r.error));
            for (const [got, fmtItag] of [
                [r.video, itag],
                [r.audio, 140],
            ] as const) {
                const f = origin.titles.get(videoId)!.formats.find((x) => x.itag === fmtItag)!;
                // The player receives the init segment (init + sidx, as on YouTube) and every media
                // segment in order: the whole source file.
                const expected = Buffer.concat([segmentBytes(f, 0), ...f.segments.map((s) => segmentBytes(f, s.sequence))]);
                assert.equal(got.length, expected.length, `itag ${fmtItag} length`);
                ok(got.equals(expected), `itag ${fmtItag} bytes`);
                const src = Buffer.from(await (await fetch(`${origin.url}/__source/${videoId}/${fmtItag}`)).arrayBuffer());
                assert.equal(got.length, src.length, `itag ${fmtItag}: whole file length`);
                ok(src.equals(got), `itag ${fmtItag}: whole file byte-exact`);
                assert.equal(got.toString("latin1", f.indexRange.start + 4, f.indexRange.start + 8), "sidx", "sidx delivered in place");
            }
            const entries = origin
                .log()
                .slice(before)
                .filter((e) => e.path.includes("videoplayback"));
            ok(entries.length >= 2);
            const failed = (name: string): number =>
                entries.filter((e) => e.assertions.some((a) => a.name === name && a.ok === false)).length;
            for (const name of [
                "rnIncreasing",
                "configMatches",
                "audioFormatValid",
                "videoFormatPresent",
                "clientInfoMatches",
                "selectedAfterInit",
                "bufferedRangesHonest",
                "playerTimeMonotonic",
            ]) {
                assert.equal(failed(name), 0, name);
            }
            // googlevideo 4.1.1 re-encodes the cookie and loses its unknown field: the origin notices.
            ok(failed("cookieEchoed") >= 1);
        });
    }
}

test("raw client echoing the cookie verbatim passes the cookie assertion and advances", async () => {
    const m = await getManifest(origin.url, "sabrOrigin2");
    const c = RawClient.fromPayload(m.payloads[0]!, 160);
    const r1 = await c.post(c.body());
    const segs1 = [...assemble(r1.parts).values()];
    ok(segs1.some((s) => s.header.isInitSeg));
    const vid = segs1.filter((s) => s.header.itag === 160 && !s.header.isInitSeg).map((s) => s.header.sequenceNumber!);
    const aud = segs1.filter((s) => s.header.itag === 140 && !s.header.isInitSeg).map((s) => s.header.sequenceNumber!);
    const vmax = Math.max(...vid);
    const playerTimeMs = vmax * 2000;
    const r2 = await c.post(
        c.body({
            playerTimeMs,
            selected: [c.video, c.audio],
            ranges: [
                { format: c.video, start: 1, end: vmax },
                { format: c.audio, start: 1, end: Math.max(...aud) },
            ],
        }),
    );
    const seqs2 = [...assemble(r2.parts).values()].filter((s) => s.header.itag === 160).map((s) => s.header.sequenceNumber!);
    assert.equal(Math.min(...seqs2), vmax + 1, "continues after the held segments");
    ok(!r2.parts.some((p) => p.type === UMPPartId.FORMAT_INITIALIZATION_METADATA), "no FIM for selected formats");
    const e = origin
        .log()
        .filter((x) => x.session && c.url.includes(x.session))
        .at(-1)!;
    assert.equal(e.assertions.find((a) => a.name === "cookieEchoed")?.ok, true);
    assert.equal(e.assertions.find((a) => a.name === "bufferedRangesHonest")?.ok, true);
});

test("init segment carries init + index (bytes 0..indexRange.end); FIM keeps both ranges", async () => {
    const m = await getManifest(origin.url, "sabrOrigin1");
    const c = RawClient.fromPayload(m.payloads[0]!, 134);
    const r = await c.post(c.body());
    const fims = r.parts
        .filter((p) => p.type === UMPPartId.FORMAT_INITIALIZATION_METADATA)
        .map((p) => FormatInitializationMetadata.decode(p.payload));
    const inits = [...assemble(r.parts).values()].filter((s) => s.header.isInitSeg);
    assert.deepEqual(inits.map((s) => s.header.itag).sort(), [134, 140]);
    for (const s of inits) {
        const f = origin.titles.get("sabrOrigin1")!.formats.find((x) => x.itag === s.header.itag)!;
        ok(s.ended, `itag ${f.itag} init ended`);
        assert.equal(Number(s.header.startRange), f.initRange.start, "start_range");
        assert.equal(Number(s.header.contentLength), f.indexRange.end + 1 - f.initRange.start, "content_length = init + index");
        assert.equal(s.bytes.length, f.indexRange.end + 1);
        ok(s.bytes.equals(f.bytes.subarray(0, f.indexRange.end + 1)), `itag ${f.itag} init bytes`);
        assert.equal(s.bytes.toString("latin1", f.indexRange.start + 4, f.indexRange.start + 8), "sidx");
        const fim = fims.find((x) => x.formatId?.itag === f.itag)!;
        ok(fim, `FIM ${f.itag}`);
        assert.deepEqual([fim.initRange?.start, fim.initRange?.end], [f.initRange.start, f.initRange.end], "FIM init_range unchanged");
        assert.deepEqual([fim.indexRange?.start, fim.indexRange?.end], [f.indexRange.start, f.indexRange.end], "FIM index_range unchanged");
    }
});

test("CORS: headers on every endpoint and pre-flight for POST with custom headers", async () => {
    const pre = await fetch(`${origin.url}/videoplayback?sabr=1`, {
        method: "OPTIONS",
        headers: {
            Origin: "http://x.test",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-custom",
        },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), "*");
    assert.match(pre.headers.get("access-control-allow-methods") ?? "", /POST/);
    assert.match(pre.headers.get("access-control-allow-headers") ?? "", /x-custom/);
    for (const path of ["/manifest/sabrOrigin1.mpd", "/__log", "/__faults", "/__source/sabrOrigin1/140", "/nope"]) {
        const r = await fetch(`${origin.url}${path}`);
        await r.arrayBuffer();
        assert.equal(r.headers.get("access-control-allow-origin"), "*", path);
        ok(r.headers.get("access-control-expose-headers"), path);
    }
});

test("bad requests get documented answers and the origin keeps serving", async () => {
    const m = await getManifest(origin.url, "sabrOrigin1");
    const url = new URL(m.payloads[0]!.serverAbrStreamingUrl);
    const post = async (body: Uint8Array<ArrayBuffer> | string, rn: number, method = "POST"): Promise<Response> => {
        url.searchParams.set("rn", String(rn));
        return fetch(url, { method, headers: { "content-type": "application/x-protobuf" }, body: method === "GET" ? undefined : body });
    };
    // empty body -> 200 UMP with the observed 31-byte sabr.malformed_config
    const empty = await post(new Uint8Array(), 0);
    assert.equal(empty.status, 200);
    assert.equal(empty.headers.get("content-type"), "application/vnd.yt-ump");
    const eb = Buffer.from(await empty.arrayBuffer());
    assert.equal(eb.length, 31);
    assert.equal(eb.toString("hex"), "2c1d0a15736162722e6d616c666f726d65645f636f6e6669671002" + "1a022004");
    // garbage -> sabr.malformed_request
    const garbage = await post(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0x07), 1);
    assert.equal(garbage.status, 200);
    const gb = Buffer.from(await garbage.arrayBuffer());
    assert.equal(gb[0], UMPPartId.SABR_ERROR);
    assert.equal(SabrError.decode(gb.subarray(2)).type, "sabr.malformed_request");
    // wrong method -> 405 JSON
    const get = await post("", 2, "GET");
    assert.equal(get.status, 405);
    assert.match(get.headers.get("allow") ?? "", /POST/);
    await get.arrayBuffer();
    // huge body -> 413
    const huge = await post(new Uint8Array(2 * 1024 * 1024 + 5), 3);
    assert.equal(huge.status, 413);
    await huge.arrayBuffer();
    // unknown session -> 403 empty
    const u2 = new URL(url);
    u2.searchParams.set("ei", "nope");
    const unk = await fetch(u2, { method: "POST", body: new Uint8Array([1]) });
    assert.equal(unk.status, 403);
    assert.equal((await unk.arrayBuffer()).byteLength, 0);
    // still serving
    const r = await runSabrStream((await getManifest(origin.url, "sabrOrigin2")).payloads[0]!, 160, 140);
    assert.equal(r.error, undefined);
    ok(r.video.length > 100000);
    const last = origin
        .log()
        .filter(
            (e) =>
                e.outcome === "error:empty-body" ||
                e.outcome === "error:undecodable" ||
                e.outcome === "body-too-large" ||
                e.outcome === "method-not-allowed",
        );
    assert.equal(last.length, 4);
});

test("/__faults and /__log endpoints", async () => {
    const bad = await fetch(`${origin.url}/__faults`, { method: "POST", body: "F99" });
    assert.equal(bad.status, 400);
    await bad.arrayBuffer();
    const set = await fetch(`${origin.url}/__faults`, {
        method: "POST",
        body: JSON.stringify({ faults: "F6@nth=2,F16:status=429@p=0.5", seed: 7 }),
    });
    assert.equal(set.status, 200);
    const j = (await set.json()) as { faults: string; seed: number };
    assert.equal(j.faults, "F6@nth=2,F16:status=429@p=0.5");
    assert.equal(j.seed, 7);
    await (await fetch(`${origin.url}/__faults`, { method: "POST", body: "" })).arrayBuffer();
    const log = (await (await fetch(`${origin.url}/__log`)).json()) as Array<{ id: number; assertions: unknown[] }>;
    ok(log.length > 5);
    ok(log.every((e) => Array.isArray(e.assertions)));
});
