// The playback page `npm start` writes (out/start/report.html): drawn from a hand-made timeline, it
// has one mark per event, shades stalls and seeks, computes its header figures, escapes text,
// fetches nothing, and draws the readahead target only when the samples carry one. The recorder
// turns a player result, metrics reads and the origin's log into that timeline.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { renderTimelineHtml, thin, timelineFigures, type PlaybackTimeline } from "../../../tools/report/timeline.ts";
import { PlaybackRecorder } from "../../../tools/report/recorder.ts";
import type { PlayerResult } from "../../../tools/player/run-player.ts";
import type { LogEntry } from "../../../tools/origin/request-log.ts";

function handMade(overrides: Partial<PlaybackTimeline> = {}): PlaybackTimeline {
    return {
        title: "sabrOrigin2",
        subtitle: "variant single | itag 134",
        mediaDurationS: 30,
        wallMs: 12_000,
        startupMs: 850,
        outcome: "played: played 6.000 s of media",
        samples: [
            { atMs: 0, positionS: 0, bufferAheadS: 0 },
            { atMs: 1000, positionS: 0.2, bufferAheadS: 4 },
            { atMs: 2000, positionS: 1.2, bufferAheadS: 6 },
            { atMs: 3000, positionS: 2.2, bufferAheadS: 3 },
        ],
        events: [
            { kind: "request", atMs: 100, endMs: 700, track: "video", detail: "video 134: bytes=0-999 -> 206, 600 ms" },
            { kind: "request", atMs: 120, endMs: 650, track: "audio", detail: "audio 140: bytes=0-499 -> 206, 530 ms" },
            { kind: "request", atMs: 2500, endMs: 2510, track: "video", detail: "video 134: bytes=1000-1999 -> 206, 10 ms" },
            { kind: "request", atMs: 2600, track: "video", failed: true, detail: "video 134: bytes=2000-2999 -> net::ERR_FAILED" },
            { kind: "cacheHit", atMs: 2505, detail: "cache hit 1" },
            { kind: "post", atMs: 200, detail: "POST #3 rn 1 -> 200 ok" },
            { kind: "post", atMs: 2700, failed: true, detail: "POST #4 rn 2 -> 503 fault" },
            { kind: "post", atMs: 2900, detail: "POST #5 rn 3 -> 200 ok" },
            { kind: "fetch", atMs: 690, detail: "fetch 1 (s) ok, status 200, 2 segments, rn 1" },
        ],
        spans: [
            { kind: "stall", startMs: 4000, endMs: 5500, detail: "stall at 3.00 s for 1500 ms" },
            { kind: "stall", startMs: 7000, endMs: 7250, detail: "stall at 5.00 s for 250 ms" },
            { kind: "seek", startMs: 8000, endMs: 9000, detail: "seek to 15.00 s" },
        ],
        ...overrides,
    };
}

function count(html: string, pattern: RegExp): number {
    return html.match(new RegExp(pattern.source, "g"))?.length ?? 0;
}

function figure(html: string, key: string): string {
    const match = new RegExp(`data-figure="${key}">([^<]*)<`).exec(html);
    assert.ok(match, `no figure ${key}`);
    return match[1]!;
}

describe("the playback timeline page", () => {
    it("draws one mark per request, cache hit, POST and fetch, in their lanes", () => {
        const html = renderTimelineHtml(handMade());
        assert.equal(count(html, /class="mark request /), 4);
        assert.equal(count(html, /class="mark request video/), 3);
        assert.equal(count(html, /class="mark request audio"/), 1);
        assert.equal(count(html, /class="mark cacheHit"/), 1);
        assert.equal(count(html, /class="mark post/), 3);
        assert.equal(count(html, /class="mark post failed"/), 1);
        assert.equal(count(html, /class="mark fetch"/), 1);
        assert.equal(count(html, /class="mark request video failed"/), 1);
        assert.match(html, /<title>0\.12 s: audio 140: bytes=0-499 -&gt; 206, 530 ms<\/title>/, "a mark carries its details as a tooltip");
        assert.match(html, />player requests \(4\)</);
        assert.match(html, />SABR POSTs \(3\)</);
    });

    it("shades every stall and seek", () => {
        const html = renderTimelineHtml(handMade());
        assert.equal(count(html, /class="span stall"/), 2);
        assert.equal(count(html, /class="span seek"/), 1);
        assert.match(html, /<title>stall at 3\.00 s for 1500 ms<\/title>/);
    });

    it("computes the header's figures from the timeline", () => {
        const timeline = handMade();
        const figures = timelineFigures(timeline);
        assert.deepEqual(
            { ...figures },
            {
                stallCount: 2,
                stallTotalMs: 1750,
                seekCount: 1,
                requestCount: 4,
                cacheHitCount: 1,
                postCount: 3,
                fetchCount: 1,
                cacheHitRatio: 0.25,
            },
        );
        const html = renderTimelineHtml(timeline);
        assert.equal(figure(html, "stall-count"), "2");
        assert.equal(figure(html, "stall-total"), "1.75 s");
        assert.equal(figure(html, "post-count"), "3");
        assert.equal(figure(html, "cache-hit-ratio"), "25% (1 of 4)");
        assert.equal(figure(html, "startup"), "850 ms");
        assert.equal(figure(html, "duration"), "30.0 s");
        assert.equal(figure(html, "seek-count"), "1");
    });

    it("has no hit ratio without requests, and no stalls when none were shaded", () => {
        const html = renderTimelineHtml(handMade({ events: [], spans: [], startupMs: null }));
        assert.equal(figure(html, "cache-hit-ratio"), "- (0 of 0)");
        assert.equal(figure(html, "stall-count"), "0");
        assert.equal(figure(html, "stall-total"), "0.00 s");
        assert.equal(figure(html, "startup"), "-");
        assert.equal(count(html, /class="mark /), 0);
    });

    it("escapes the title, subtitle and details", () => {
        const html = renderTimelineHtml(
            handMade({
                title: `<script>alert("x")</script>`,
                subtitle: `faults "F1" & <b>`,
                events: [{ kind: "post", atMs: 5, detail: `</title><script>alert(1)</script>` }],
            }),
        );
        assert.doesNotMatch(html, /<script>alert/);
        assert.doesNotMatch(html, /<b>/);
        assert.match(html, /<h1>&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;<\/h1>/);
        assert.match(html, /faults &quot;F1&quot; &amp; &lt;b&gt;/);
        assert.match(html, /&lt;\/title&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/title>/);
        // The page's own script is the only one.
        assert.equal(count(html, /<script/), 1);
    });

    it("refers to nothing outside the page", () => {
        const html = renderTimelineHtml(handMade());
        assert.doesNotMatch(html, /(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
        assert.doesNotMatch(html, /@import|url\(/i);
        assert.doesNotMatch(html, /<link\b|<img\b|<iframe\b/i);
    });

    it("draws the position and buffer lines, and the readahead target only when samples carry it", () => {
        const without = renderTimelineHtml(handMade());
        assert.match(without, /<polyline id="position-line" class="line position" points="[\d.]+,[\d.]+ /);
        assert.match(without, /<polyline id="buffer-line"/);
        assert.doesNotMatch(without, /id="readahead-line"/);
        assert.doesNotMatch(without, /class="key readahead"/, "no legend entry for a line not drawn");
        const samples = handMade().samples.map((sample) => ({ ...sample, readaheadTargetS: 8 }));
        const withTarget = renderTimelineHtml(handMade({ samples }));
        assert.match(withTarget, /<polyline id="readahead-line" class="line readahead" points="([\d.]+,[\d.]+ ){3}[\d.]+,[\d.]+"/);
        assert.match(withTarget, /class="key readahead"/);
    });

    it("thins long sample series so the page stays small", () => {
        const samples = Array.from({ length: 20_000 }, (_, index) => ({ atMs: index * 50, positionS: index / 20, bufferAheadS: 5 }));
        const html = renderTimelineHtml(handMade({ samples, wallMs: 1_000_000 }));
        const points = /id="position-line" class="line position" points="([^"]*)"/.exec(html)![1]!.split(" ");
        assert.ok(points.length <= 1201, `${points.length} points`);
        assert.ok(html.length < 200_000, `${html.length} characters`);
        assert.deepEqual(thin([1, 2, 3, 4, 5], 2), [1, 4, 5], "every k-th and the last");
    });
});

describe("the playback recorder", () => {
    const started = 1_000_000;

    function playerResult(): PlayerResult {
        return {
            outcome: "played",
            reason: "played 6 s",
            state: {} as PlayerResult["state"],
            playedSeconds: 6,
            seeks: [],
            switches: [],
            responses: [],
            startupMs: 900,
            firstMediaMs: 700,
            wallMs: 10_000,
            startedAtMs: started,
            timeline: [
                { atMs: 900, type: "playing", currentTime: 0, detail: null },
                { atMs: 3000, type: "waiting", currentTime: 2, detail: null },
                { atMs: 3400, type: "playing", currentTime: 2, detail: null },
                { atMs: 5000, type: "seeking", currentTime: 15, detail: null },
                { atMs: 5100, type: "waiting", currentTime: 15, detail: "seeking" },
                { atMs: 5600, type: "seeked", currentTime: 15, detail: null },
                { atMs: 9000, type: "waiting", currentTime: 19, detail: null },
            ],
            requests: [
                { url: "http://127.0.0.1:7010/manifest.mpd", range: null, atMs: 10, endMs: 50, status: 200 },
                { url: "http://127.0.0.1:7011/video?key=134%3A", range: "bytes=0-99", atMs: 100, endMs: 600, status: 206 },
                { url: "http://127.0.0.1:7012/audio?key=140%3A", range: "bytes=0-99", atMs: 110, endMs: null, status: null },
            ],
            console: [],
            screenshotPath: null,
        };
    }

    it("turns the player's events into stalls and seeks, and its media ranges into requests", () => {
        const recorder = new PlaybackRecorder(started - 500);
        recorder.playerResult(playerResult());
        const timeline = recorder.finish({ title: "t", mediaDurationS: 30 });
        assert.deepEqual(
            timeline.spans.map(({ kind, startMs, endMs }) => ({ kind, startMs, endMs })),
            [
                { kind: "stall", startMs: 3000, endMs: 3400 },
                { kind: "seek", startMs: 5000, endMs: 5600 },
                { kind: "stall", startMs: 9000, endMs: 10_000 },
            ],
        );
        const requests = timeline.events.filter((event) => event.kind === "request");
        assert.deepEqual(
            requests.map(({ atMs, endMs, track }) => ({ atMs, endMs, track })),
            [
                { atMs: 100, endMs: 600, track: "video" },
                { atMs: 110, endMs: undefined, track: "audio" },
            ],
        );
        assert.match(requests[1]!.detail, /no answer by the end/);
        assert.equal(timeline.startupMs, 900);
        assert.equal(timeline.wallMs, 10_000);
    });

    it("spreads the cache hits /metrics counted between two reads, and takes SABR POSTs from the origin's log", () => {
        const recorder = new PlaybackRecorder(started);
        recorder.metrics({ pipeline: { cacheHits: 0 } }, started + 1000);
        recorder.metrics({ pipeline: { cacheHits: 3 } }, started + 2000);
        recorder.metrics({ pipeline: { cacheHits: 3 } }, started + 3000);
        recorder.metrics({}, started + 3500);
        const entry = (id: number, method: string, path: string, status: number): LogEntry => ({
            id,
            time: started + id * 100,
            method,
            path,
            status,
            outcome: status === 200 ? "ok" : "fault",
            faults: [],
            assertions: [],
        });
        recorder.originLog([
            entry(1, "GET", "/manifest/sabrOrigin2.mpd", 200),
            entry(2, "POST", "/videoplayback?sabr=1&rn=1", 200),
            entry(3, "POST", "/youtubei/v1/player", 200),
            entry(4, "POST", "/videoplayback?sabr=1&rn=2", 503),
        ]);
        recorder.channelLine("[sabr] fetch 7 sabrOrigin2 failed status 503 class 'transient' segments 0 rn 2 encode 1", started + 450);
        recorder.channelLine("[VideoPlayer] state=playing", started + 460);
        const timeline = recorder.finish({ title: "t", mediaDurationS: null }, started + 4000);
        const hits = timeline.events.filter((event) => event.kind === "cacheHit").map((event) => event.atMs);
        assert.deepEqual(hits, [1250, 1500, 1750]);
        const posts = timeline.events.filter((event) => event.kind === "post");
        assert.deepEqual(
            posts.map(({ atMs, failed }) => ({ atMs, failed })),
            [
                { atMs: 200, failed: false },
                { atMs: 400, failed: true },
            ],
        );
        const fetches = timeline.events.filter((event) => event.kind === "fetch");
        assert.equal(fetches.length, 1);
        assert.equal(fetches[0]!.failed, true);
        assert.match(fetches[0]!.detail, /fetch 7 \(sabrOrigin2\) failed, status 503, class transient/);
        assert.equal(timeline.wallMs, 4000);
    });
});
