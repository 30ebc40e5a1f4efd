// Tests of the scripted DASH client itself, without the channel: a tiny HTTP server in the test
// plays "the channel" (manifest with sabr:// BaseURLs rewritten to it, ranged GETs answered from
// the origin's /__source bytes) and can be told to corrupt a byte, lie in Content-Range or stall.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { startOrigin, type OriginHandle } from "../../../tools/origin/server.ts";
import type { FormatModel } from "../../../tools/origin/media-model.ts";
import {
    DashClient,
    parseMpd,
    parseSidx,
    parseIsoDurationMs,
    parseRangeHeader,
    ReceivedRepresentation,
    type PlayOptions,
    type PlayReport,
    type RangeStyle,
    type RequestRecord,
} from "../../../tools/dash-client/index.ts";

/** assert.ok with a message always (without one, Node re-parses the transpiled source, which is slow). */
function ok(value: unknown, message: string): asserts value {
    assert.ok(value, message);
}

interface ChannelFaults {
    /** XOR 0xff the byte at `offset` of itag's file in every response covering it. */
    corrupt?: { itag: number; offset: number };
    /** The nth (1-based) ranged response of itag lies: shifted start/end, or a wrong total. */
    badContentRange?: { itag: number; nth: number; mode: "shift" | "total" };
    /** The nth ranged request of itag gets a 200 with the whole file. */
    status200?: { itag: number; nth: number };
    /** The nth ranged request of itag is never answered. */
    stall?: { itag: number; nth: number };
}

/** "The channel": serves /manifest.mpd (BaseURLs pointed here) and ranged GETs from the sources. */
class FakeChannel {
    server!: http.Server;
    port = 0;
    manifest = "";
    videoId = "";
    faults: ChannelFaults = {};
    connections = 0;
    readonly counts = new Map<number, number>();
    private readonly stalled: http.ServerResponse[] = [];

    constructor(private readonly sources: Map<string, Buffer>) {}

    async start(): Promise<void> {
        this.server = http.createServer((req, res) => this.handle(req, res));
        this.server.on("connection", () => this.connections++);
        await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
        this.port = (this.server.address() as AddressInfo).port;
    }

    get manifestUrl(): string {
        return `http://127.0.0.1:${this.port}/manifest.mpd`;
    }

    /** Takes an origin manifest and points its sabr:// BaseURLs here (keys kept verbatim). */
    use(videoId: string, originManifest: string, faults: ChannelFaults = {}): void {
        this.videoId = videoId;
        this.manifest = originManifest.replace(/<BaseURL>sabr:\/\/(video|audio)\?/g, `<BaseURL>http://127.0.0.1:${this.port}/$1?`);
        this.faults = faults;
        this.counts.clear();
        this.connections = 0;
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
        const url = new URL(req.url ?? "/", "http://x");
        if (url.pathname === "/manifest.mpd") {
            res.writeHead(200, { "Content-Type": "application/dash+xml", "Content-Length": Buffer.byteLength(this.manifest) });
            res.end(this.manifest);
            return;
        }
        const itag = Number((url.searchParams.get("key") ?? "").split(":")[0]);
        const src = this.sources.get(`${this.videoId}/${itag}`);
        const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
        if (!src || !/^\/(video|audio)$/.test(url.pathname) || !m) {
            res.writeHead(404, { "Content-Length": 0 });
            res.end();
            return;
        }
        const nth = (this.counts.get(itag) ?? 0) + 1;
        this.counts.set(itag, nth);
        const f = this.faults;
        if (f.stall?.itag === itag && f.stall.nth === nth) {
            this.stalled.push(res);
            return;
        }
        if (f.status200?.itag === itag && f.status200.nth === nth) {
            res.writeHead(200, { "Content-Length": src.length });
            res.end(src);
            return;
        }
        const start = Number(m[1]);
        const end = Math.min(Number(m[2]), src.length - 1);
        if (start > end) {
            res.writeHead(416, { "Content-Range": `bytes */${src.length}`, "Content-Length": 0 });
            res.end();
            return;
        }
        const body = Buffer.from(src.subarray(start, end + 1));
        if (f.corrupt?.itag === itag && f.corrupt.offset >= start && f.corrupt.offset <= end) body[f.corrupt.offset - start]! ^= 0xff;
        let cr = `bytes ${start}-${end}/${src.length}`;
        if (f.badContentRange?.itag === itag && f.badContentRange.nth === nth) {
            cr =
                f.badContentRange.mode === "shift"
                    ? `bytes ${start + 1}-${end + 1}/${src.length}`
                    : `bytes ${start}-${end}/${src.length + 1}`;
        }
        res.writeHead(206, { "Content-Type": "video/mp4", "Content-Range": cr, "Content-Length": body.length, "Accept-Ranges": "bytes" });
        res.end(body);
    }

    async close(): Promise<void> {
        for (const r of this.stalled) r.destroy();
        this.server.closeAllConnections();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }
}

let origin: OriginHandle;
let channel: FakeChannel;
const sources = new Map<string, Buffer>();
const manifests = new Map<string, string>();
const VIDEO_IDS = ["sabrOrigin1", "sabrOrigin2"];
const VIDEO_ITAGS = [160, 133, 134];
const STYLES: RangeStyle[] = ["segments", "misaligned", "combined-init"];

before(async () => {
    origin = await startOrigin({ port: 0 });
    for (const videoId of VIDEO_IDS) {
        for (const variant of ["single", "multi"]) {
            const r = await fetch(`${origin.url}/manifest/${videoId}.mpd?variant=${variant}`);
            assert.equal(r.status, 200);
            manifests.set(`${videoId}/${variant}`, await r.text());
        }
        for (const f of origin.titles.get(videoId)!.formats) {
            const r = await fetch(`${origin.url}/__source/${videoId}/${f.itag}`);
            assert.equal(r.status, 200);
            sources.set(`${videoId}/${f.itag}`, Buffer.from(await r.arrayBuffer()));
        }
    }
    channel = new FakeChannel(sources);
    await channel.start();
});

after(async () => {
    await channel.close();
    await origin.close();
});

function format(videoId: string, itag: number): FormatModel {
    return origin.titles.get(videoId)!.formats.find((f) => f.itag === itag)!;
}

function source(videoId: string, itag: number): Buffer {
    return sources.get(`${videoId}/${itag}`)!;
}

async function play(
    videoId: string,
    variant: string,
    opts: PlayOptions,
    faults: ChannelFaults = {},
    timeoutMs?: number,
): Promise<PlayReport> {
    channel.use(videoId, manifests.get(`${videoId}/${variant}`)!, faults);
    const client = new DashClient({ manifestUrl: channel.manifestUrl, requestTimeoutMs: timeoutMs });
    try {
        return await client.play(opts);
    } finally {
        client.close();
    }
}

function media(report: PlayReport, track: "video" | "audio"): RequestRecord[] {
    return report.requests.filter((r) => r.kind === "media" && r.track === track);
}

test("parseMpd: origin single and multi manifests (captured fixtures) agree with the media model", () => {
    const base = "http://127.0.0.1:9/manifest.mpd";
    for (const variant of ["single", "multi"]) {
        const text = readFileSync(`tests/fixtures/manifests/origin-${variant}.mpd`, "utf8");
        const mpd = parseMpd(text, base);
        assert.equal(mpd.mediaPresentationDurationMs, origin.titles.get("sabrOrigin1")!.durationMs);
        assert.equal(mpd.periods.length, variant === "single" ? 1 : 2);
        for (const p of mpd.periods) {
            assert.deepEqual(
                p.adaptationSets.map((a) => a.contentType),
                ["video", "audio"],
            );
            const reps = p.adaptationSets.flatMap((a) => a.representations);
            assert.deepEqual(
                reps.map((r) => r.itag),
                [160, 133, 134, 140],
            );
            for (const r of reps) {
                const f = format("sabrOrigin1", r.itag);
                assert.deepEqual(r.initRange, f.initRange, `${variant} ${r.itag} init`);
                assert.deepEqual(r.indexRange, f.indexRange, `${variant} ${r.itag} index`);
                assert.equal(r.key, `${r.itag}:${f.xtags}:${variant === "single" ? "root" : p.id}`);
                assert.equal(r.url, `sabr://${f.kind}?key=${r.key}`);
                ok(r.bandwidth > 0, "bandwidth");
            }
        }
        const last = mpd.periods[mpd.periods.length - 1]!;
        assert.equal(last.endMs, mpd.mediaPresentationDurationMs);
        if (variant === "multi") {
            const [p0, p1] = mpd.periods;
            assert.equal(p0!.endMs, p1!.startMs);
            ok(p1!.startMs > 0, "second period starts later");
            const r = p1!.adaptationSets[0]!.representations[0]!;
            assert.equal(r.presentationTimeOffsetMs, p1!.startMs, "PTO in ms");
        }
    }
});

test("parseRangeHeader takes bytes=S-E only; ReceivedRepresentation finds the first differing byte", () => {
    assert.deepEqual(parseRangeHeader("bytes=757-976"), { start: 757, end: 976 });
    for (const value of ["bytes=5-", "bytes=-5", "bytes=9-3", "bytes=0-1,4-5", "items=0-1", "", null, undefined]) {
        assert.equal(parseRangeHeader(value), undefined, String(value));
    }
    const source = Buffer.from("0123456789");
    const received = new ReceivedRepresentation("160:", 160, "video");
    received.spans.push({ start: 2, end: 4, request: 1, data: Buffer.from("234") });
    assert.equal(received.verify(source).ok, true);
    received.spans.push({ start: 6, end: 8, request: 2, data: Buffer.from("6x8") });
    const check = received.verify(source);
    assert.equal(check.ok, false);
    assert.equal(check.mismatch?.offset, 7);
    assert.equal(check.mismatch?.request, 2);
});

test("parseMpd: relative BaseURLs, entities, AdaptationSet-level SegmentBase, durations", () => {
    const text = `<?xml version="1.0"?>
<!-- <Period id="commented"/> -->
<MPD type='static' mediaPresentationDuration="PT1M0.5S"><BaseURL>media/</BaseURL>
  <Period id="a" duration="PT10S">
    <AdaptationSet mimeType="audio/mp4" label="x &gt; y">
      <SegmentBase indexRange="10-20" timescale="90000" presentationTimeOffset="900000"><Initialization range="0-9"/></SegmentBase>
      <Representation id="140" bandwidth="1000"><BaseURL>a.mp4?key=140:x&amp;y=1</BaseURL></Representation>
      <Representation id="139" bandwidth="500"/>
    </AdaptationSet>
  </Period>
  <Period id="b"><AdaptationSet contentType="video"><Representation id="x"><SegmentBase indexRange="5-6"><Initialization range="0-4"/></SegmentBase></Representation></AdaptationSet></Period>
</MPD>`;
    const mpd = parseMpd(text, "http://h:1/dir/manifest.mpd");
    assert.deepEqual(
        mpd.periods.map((p) => [p.id, p.startMs, p.endMs]),
        [
            ["a", 0, 10000],
            ["b", 10000, 60500],
        ],
    );
    const [r140, r139] = mpd.periods[0]!.adaptationSets[0]!.representations;
    assert.equal(r140!.url, "http://h:1/dir/media/a.mp4?key=140:x&y=1");
    assert.equal(r140!.key, "140:x");
    assert.equal(r140!.contentType, "audio");
    assert.deepEqual(
        [r140!.initRange, r140!.indexRange],
        [
            { start: 0, end: 9 },
            { start: 10, end: 20 },
        ],
    );
    assert.equal(r140!.presentationTimeOffsetMs, 10000);
    assert.equal(r139!.url, "http://h:1/dir/media/");
    assert.equal(r139!.key, "139@a");
    assert.equal(r139!.itag, 139);
    assert.equal(mpd.periods[1]!.adaptationSets[0]!.representations[0]!.contentType, "video");
    assert.equal(parseIsoDurationMs("PT1H2M3.4567S"), 3_723_456);
    assert.equal(parseIsoDurationMs("P1DT0S"), 86_400_000);
    assert.throws(() => parseIsoDurationMs("1 minute"));
    assert.throws(() => parseMpd(text.replace('indexRange="5-6"', 'indexRange="6-5"'), "http://h/"));
});

/** A sidx box from the model's references (version 0 or 1, ept and first_offset as given). */
function buildSidx(f: FormatModel, version: 0 | 1, ept: bigint, firstOffset: bigint): Buffer {
    const n = f.segments.length;
    const size = 12 + 4 + 4 + (version === 0 ? 8 : 16) + 4 + n * 12;
    const b = Buffer.alloc(size);
    b.writeUInt32BE(size, 0);
    b.write("sidx", 4, "latin1");
    b.writeUInt8(version, 8);
    b.writeUInt32BE(1, 12);
    b.writeUInt32BE(f.timescale, 16);
    let p = 20;
    if (version === 0) {
        b.writeUInt32BE(Number(ept), p);
        b.writeUInt32BE(Number(firstOffset), p + 4);
        p += 8;
    } else {
        b.writeBigUInt64BE(ept, p);
        b.writeBigUInt64BE(firstOffset, p + 8);
        p += 16;
    }
    b.writeUInt16BE(n, p + 2);
    p += 4;
    for (const s of f.segments) {
        b.writeUInt32BE(s.contentLength, p);
        b.writeUInt32BE(Number(s.durationTicks), p + 4);
        b.writeUInt32BE(0x90000000, p + 8);
        p += 12;
    }
    return b;
}

test("parseSidx: the files' v1 sidx, a v0 rebuild and 64-bit times give the model's ranges and times", () => {
    for (const videoId of VIDEO_IDS) {
        for (const f of origin.titles.get(videoId)!.formats) {
            const src = source(videoId, f.itag);
            const sidx = parseSidx(src.subarray(f.indexRange.start, f.indexRange.end + 1), f.indexRange.start);
            assert.equal(sidx.endOffset, src.length);
            assert.equal(sidx.timescale, f.timescale);
            const expected = f.segments.map((s) => ({
                sequence: s.sequence,
                range: s.range,
                startTicks: s.startTicks,
                durationTicks: s.durationTicks,
                startMs: s.startMs,
                durationMs: s.durationMs,
            }));
            assert.deepEqual(sidx.references, expected, `${videoId} ${f.itag} v${sidx.version}`);
            // v0 rebuild at the same place (first_offset 0) parses to the same references.
            const v0 = parseSidx(buildSidx(f, 0, f.segments[0]!.startTicks, 0n), f.indexRange.start);
            assert.equal(v0.version, 0);
            const shift = v0.boxSize - sidx.boxSize;
            assert.deepEqual(
                v0.references.map((r) => r.range.start - shift),
                expected.map((e) => e.range.start),
            );
            assert.deepEqual(
                v0.references.map((r) => r.durationMs),
                expected.map((e) => e.durationMs),
            );
            // v1 with an ept past 2^32 and a first_offset: exact BigInt arithmetic.
            const ept = 2n ** 40n + 12345n;
            const v1 = parseSidx(buildSidx(f, 1, ept, 7n), 1000);
            const first = v1.references[0]!;
            assert.equal(first.startTicks, ept);
            assert.equal(first.startMs, Number((ept * 1000n) / BigInt(f.timescale)));
            assert.equal(first.range.start, 1000 + v1.boxSize + 7);
        }
    }
    const f = format("sabrOrigin1", 160);
    const hier = buildSidx(f, 0, 0n, 0n);
    hier.writeUInt32BE((0x80000000 | f.segments[0]!.contentLength) >>> 0, 32);
    assert.throws(() => parseSidx(hier, 0), /hierarchical/);
    assert.throws(() => parseSidx(Buffer.from([0, 0, 0, 8, 0x6d, 0x6f, 0x6f, 0x76]), 0), /expected a sidx box at 0, found 'moov'/);
});

for (const videoId of VIDEO_IDS) {
    for (const style of STYLES) {
        test(`${videoId}: every video itag + 140, whole title byte-exact, rangeStyle ${style}`, async () => {
            for (const itag of VIDEO_ITAGS) {
                const report = await play(videoId, "single", { videoItag: itag, rangeStyle: style });
                assert.deepEqual(report.errors, [], `${itag}: errors`);
                assert.deepEqual(report.problems(), [], `${itag}: problems`);
                for (const [track, t] of [
                    ["video", itag],
                    ["audio", 140],
                ] as const) {
                    const f = format(videoId, t);
                    const src = source(videoId, t);
                    const got = report.byItag(t);
                    const v = got.verify(src);
                    ok(v.ok, v.message);
                    assert.deepEqual(got.gaps(src.length), [], `${itag}/${t}: whole file received`);
                    assert.equal(got.sidx?.references.length, f.segments.length);
                    const reqs = report.requests.filter((r) => r.itag === t);
                    const head = reqs.filter((r) => r.kind !== "media");
                    const mediaReqs = media(report, track);
                    for (const r of reqs) {
                        assert.equal(r.status, 206);
                        assert.equal(r.contentRange?.total, src.length);
                    }
                    if (style === "combined-init") {
                        assert.deepEqual(
                            head.map((r) => [r.kind, r.range]),
                            [["init+index", { start: 0, end: f.indexRange.end }]],
                        );
                    } else {
                        assert.deepEqual(
                            head.map((r) => [r.kind, r.range]),
                            [
                                ["init", f.initRange],
                                ["index", f.indexRange],
                            ],
                        );
                    }
                    const bounds = new Set(f.segments.map((s) => s.range.start));
                    const ends = new Set(f.segments.map((s) => s.range.end));
                    if (style === "misaligned") {
                        ok(
                            mediaReqs.some((r) => !bounds.has(r.range.start)),
                            `${t}: a request starts inside a subsegment`,
                        );
                        if (f.segments.length >= 3)
                            ok(
                                mediaReqs.some((r) => r.segments.length === 2 && bounds.has(r.range.start) && ends.has(r.range.end)),
                                `${t}: a request spans two subsegments`,
                            );
                    } else {
                        assert.deepEqual(
                            mediaReqs.map((r) => r.range),
                            f.segments.map((s) => s.range),
                            `${t}: one request per subsegment`,
                        );
                    }
                }
                // Audio and video interleaved in time order, never more than 10 s apart.
                const v = media(report, "video");
                const a = media(report, "audio");
                ok(a[0]!.index < v[v.length - 1]!.index && v[0]!.index < a[a.length - 1]!.index, "tracks interleaved");
                for (const r of v) {
                    const audioBefore = a.filter((x) => x.index < r.index);
                    const audioDone = audioBefore.length === a.length;
                    const audioAt = audioBefore.length ? audioBefore[audioBefore.length - 1]!.timeMs! : 0;
                    ok(audioDone || r.timeMs! <= audioAt + 10_000 + 10_100, `video at ${r.timeMs} not far ahead of audio at ${audioAt}`);
                }
                // Keep-alive, one socket per track.
                ok(report.sockets().length <= 2, `sockets ${report.sockets().join(",")}`);
                ok(channel.connections <= 2, `connections ${channel.connections}`);
                ok(report.requests.filter((r) => r.socket?.reused).length >= report.requests.length - 2, "sockets reused");
            }
        });
    }
}

test("multi-period manifest: each Period's key gets init + index, the itag's file is covered byte-exact", async () => {
    const report = await play("sabrOrigin1", "multi", { videoItag: 133 });
    assert.deepEqual(report.errors, []);
    assert.deepEqual(
        [...report.representations.keys()].sort(),
        [
            "133::content-0",
            "133::content-1",
            `140:${format("sabrOrigin1", 140).xtags}:content-0`,
            `140:${format("sabrOrigin1", 140).xtags}:content-1`,
        ].sort(),
    );
    for (const key of report.representations.keys()) {
        const kinds = report.requests.filter((r) => r.key === key && r.kind !== "media").map((r) => r.kind);
        assert.deepEqual(kinds, ["init", "index"], key);
    }
    const boundary = parseMpd(manifests.get("sabrOrigin1/multi")!, "http://x/").periods[1]!.startMs;
    for (const r of report.requests.filter((x) => x.kind === "media")) {
        if (r.periodId === "content-0") ok(r.timeMs! < boundary, `content-0 request at ${r.timeMs}`);
        else ok(r.timeMs! + 11_000 > boundary, `content-1 request at ${r.timeMs}`);
    }
    for (const t of [133, 140]) {
        const src = source("sabrOrigin1", t);
        const v = report.verify(t, src);
        ok(v.ok, v.message);
        assert.deepEqual(report.byItag(t).gaps(src.length), []);
    }
    // Only Period content-1: its media starts at the boundary.
    const second = await play("sabrOrigin1", "multi", { videoItag: 133, periods: ["content-1"] });
    assert.deepEqual(second.errors, []);
    assert.equal(Math.min(...media(second, "video").map((r) => r.timeMs!)), boundary);
});

test("maxMediaMs and seek limit what is requested", async () => {
    const f = format("sabrOrigin1", 134);
    const src = source("sabrOrigin1", 134);
    const short = await play("sabrOrigin1", "single", { videoItag: 134, maxMediaMs: 10_000 });
    assert.deepEqual(short.errors, []);
    ok(
        media(short, "video").every((r) => r.timeMs! < 10_000) && media(short, "audio").every((r) => r.timeMs! < 10_000),
        "nothing at/after 10 s",
    );
    assert.deepEqual(
        media(short, "video").map((r) => r.segments[0]),
        [1, 2, 3, 4, 5],
    );
    ok(short.verify(134, src).ok, "short verify");
    ok(short.byItag(134).gaps(src.length).length === 1, "the rest is missing");
    const seek = await play("sabrOrigin1", "single", { videoItag: 134, seek: { atMs: 10_000, toMs: 40_000 } });
    assert.deepEqual(seek.errors, []);
    const seqs = media(seek, "video").map((r) => r.segments[0]!);
    const expected = f.segments.filter((s) => s.startMs < 10_000 || s.startMs + s.durationMs > 40_000).map((s) => s.sequence);
    assert.deepEqual(seqs, expected);
    ok(seek.verify(134, src).ok, "seek verify");
    const back = await play("sabrOrigin1", "single", { videoItag: 134, seek: { atMs: 20_000, toMs: 4_000 } });
    assert.deepEqual(
        media(back, "video").map((r) => r.segments[0]!),
        [...f.segments.filter((s) => s.startMs < 20_000), ...f.segments.filter((s) => s.startMs >= 4_000)].map((s) => s.sequence),
    );
});

test("switchAt changes the video representation at the named times; each itag's bytes verify", async () => {
    const switchAt = [
        { atMs: 8_000, videoItag: 134 },
        { atMs: 16_000, videoItag: 160 },
        { atMs: 22_000, videoItag: 133 },
    ];
    const report = await play("sabrOrigin2", "single", { videoItag: 160, switchAt });
    assert.deepEqual(report.errors, []);
    // Each segment time is played from exactly one representation, the one in force then.
    const expected = [160, 134, 160, 133];
    const bounds = [0, 8_000, 16_000, 22_000, Number.POSITIVE_INFINITY];
    const video = media(report, "video");
    for (const r of video) {
        const k = bounds.findIndex((b, i) => r.timeMs! >= b && r.timeMs! < bounds[i + 1]!);
        assert.equal(r.itag, expected[k], `segment at ${r.timeMs} ms from itag ${r.itag}`);
    }
    assert.deepEqual(
        video.map((r) => r.segments[0]),
        format("sabrOrigin2", 160).segments.map((sg) => sg.sequence),
    );
    // Init and index once per representation, before its first media request.
    for (const itag of [160, 134, 133]) {
        const kinds = report.requests.filter((r) => r.itag === itag).map((r) => r.kind);
        assert.deepEqual(kinds.slice(0, 2), ["init", "index"], String(itag));
        assert.equal(kinds.filter((k) => k !== "media").length, 2, String(itag));
        const v = report.verify(itag, source("sabrOrigin2", itag));
        ok(v.ok, v.message);
    }
    await assert.rejects(
        play("sabrOrigin2", "single", { videoItag: 160, switchAt: [{ atMs: 1_000, videoItag: 999 }] }),
        /no video itag 999/,
    );
});

test("detects a corrupted byte exactly (media and init), in every range style", async () => {
    const f = format("sabrOrigin2", 133);
    const src = source("sabrOrigin2", 133);
    const s = f.segments[4]!;
    for (const [style, offset] of [
        ["segments", s.range.start + 1234],
        ["misaligned", s.range.end - 3],
        ["combined-init", 100],
    ] as const) {
        const report = await play("sabrOrigin2", "single", { videoItag: 133, rangeStyle: style }, { corrupt: { itag: 133, offset } });
        assert.deepEqual(report.errors, [], "transport and headers are fine");
        const v = report.verify(133, src);
        assert.equal(v.ok, false, `${style}: corruption detected`);
        assert.equal(v.mismatch?.offset, offset);
        assert.equal(v.mismatch?.expected, src[offset]);
        assert.equal(v.mismatch?.actual, src[offset]! ^ 0xff);
        const req = report.requests[v.mismatch!.request]!;
        ok(req.range.start <= offset && offset <= req.range.end, "the mismatch names the request that carried it");
        assert.match(v.message, new RegExp(`byte ${offset} is 0x`));
        ok(report.verify(140, source("sabrOrigin2", 140)).ok, "audio unaffected");
    }
});

test("detects a wrong Content-Range (shifted range, wrong total), a 200 and a stalled request", async () => {
    const shifted = await play("sabrOrigin2", "single", { videoItag: 160 }, { badContentRange: { itag: 160, nth: 5, mode: "shift" } });
    const bad = shifted.problems();
    assert.equal(bad.length, 1);
    assert.equal(bad[0]!.itag, 160);
    assert.match(bad[0]!.problems.join(";"), /does not match the requested/);
    ok(
        shifted.errors.some((e) => /does not match/.test(e)),
        "reported in errors",
    );
    ok(shifted.byItag(160).gaps(source("sabrOrigin2", 160).length).length > 0, "the bad response is not assembled");

    const total = await play("sabrOrigin2", "single", { videoItag: 160 }, { badContentRange: { itag: 140, nth: 1, mode: "total" } });
    assert.deepEqual(
        total.problems().map((r) => [r.itag, r.kind]),
        [[140, "init"]],
    );
    assert.match(total.problems()[0]!.problems.join(";"), /differs from the representation length/);

    const late = await play("sabrOrigin2", "single", { videoItag: 160 }, { badContentRange: { itag: 160, nth: 6, mode: "total" } });
    assert.deepEqual(
        late.problems().map((r) => [r.itag, r.kind]),
        [[160, "media"]],
    );

    const full = await play("sabrOrigin2", "single", { videoItag: 160 }, { status200: { itag: 160, nth: 4 } });
    assert.match(full.problems()[0]!.problems.join(";"), /status 200/);

    const stalled = await play("sabrOrigin2", "single", { videoItag: 160 }, { stall: { itag: 160, nth: 3 } }, 300);
    const timedOut = stalled.problems();
    assert.equal(timedOut.length, 1);
    assert.match(timedOut[0]!.error ?? "", /timeout after 300 ms/);
    ok(timedOut[0]!.ms >= 290, `timed out after ${timedOut[0]!.ms} ms`);
    ok(media(stalled, "video").length === format("sabrOrigin2", 160).segments.length, "playback went on");
});
