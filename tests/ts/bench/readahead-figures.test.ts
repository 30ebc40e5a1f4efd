// The readahead benchmark's figures (tools/bench/readahead-figures.ts) and the player's
// seek-to-frame time (seekFrameAtMs, tools/player/run-player.ts) on hand-made inputs.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
    mediaBytesSent,
    median,
    percentile,
    perMinute,
    segmentsReceived,
    stallsOf,
    wasteOf,
    type FormatRanges,
} from "../../../tools/bench/readahead-figures.ts";
import { seekFrameAtMs, type PlayerRequest } from "../../../tools/player/run-player.ts";
import type { LogEntry } from "../../../tools/origin/request-log.ts";

const event = (atMs: number, type: string, detail: string | null = null) => ({ atMs, type, detail });

describe("percentile and median", () => {
    it("take the nearest rank, and observed values only", () => {
        const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
        assert.equal(percentile(values, 50), 5);
        assert.equal(percentile(values, 95), 10);
        assert.equal(percentile(values, 0), 1);
        assert.equal(percentile([42], 95), 42);
        assert.equal(median([3, 1, 2]), 2);
        assert.equal(median([4, 1, 3, 2]), 2);
        assert.equal(percentile([], 50), null);
        assert.equal(median([]), null);
    });
});

describe("stallsOf", () => {
    it("counts waits after the first frame until playing resumes, not start-up nor a seek's own wait", () => {
        const stalls = stallsOf(
            [
                event(0, "waiting"), // before the first frame: start-up
                event(500, "playing"),
                event(2000, "waiting"),
                event(2600, "playing"),
                event(3000, "seeking"),
                event(3001, "waiting", "seeking"),
                event(3500, "seeked"),
                event(3600, "playing"),
                event(5000, "waiting"),
            ],
            6000,
        );
        assert.deepEqual(stalls, [
            { atMs: 2000, ms: 600 },
            { atMs: 5000, ms: 1000 }, // still waiting when the run ended
        ]);
    });

    it("ends a stall at a seek or the end of the media", () => {
        const stalls = stallsOf(
            [
                event(0, "playing"),
                event(100, "waiting"),
                event(300, "seeking"),
                event(400, "seeked"),
                event(900, "waiting"),
                event(950, "ended"),
            ],
            2000,
        );
        assert.deepEqual(stalls, [
            { atMs: 100, ms: 200 },
            { atMs: 900, ms: 50 },
        ]);
    });
});

describe("seekFrameAtMs", () => {
    const events = (...entries: Array<[number, string]>) => entries.map(([atMs, type]) => ({ atMs, type }));
    it("prefers the page's seekframe", () => {
        assert.equal(seekFrameAtMs(events([10, "seeking"], [20, "waiting"], [300, "seeked"], [320, "playing"], [360, "seekframe"])), 360);
    });
    it("without one: 'seeked', or the 'playing' after it when the seek waited for data", () => {
        assert.equal(seekFrameAtMs(events([10, "seeking"], [40, "seeked"])), 40);
        assert.equal(seekFrameAtMs(events([10, "seeking"], [20, "waiting"], [300, "seeked"], [320, "playing"])), 320);
        assert.equal(seekFrameAtMs(events([10, "seeking"], [20, "waiting"], [300, "seeked"])), null);
        assert.equal(seekFrameAtMs(events([10, "seeking"])), null);
    });
});

const formats: FormatRanges[] = [
    {
        itag: 134,
        initRange: { start: 0, end: 99 },
        segments: [
            { sequence: 1, range: { start: 200, end: 299 } },
            { sequence: 2, range: { start: 300, end: 399 } },
            { sequence: 3, range: { start: 400, end: 499 } },
        ],
    },
    { itag: 140, initRange: { start: 0, end: 49 }, segments: [{ sequence: 1, range: { start: 100, end: 149 } }] },
];

const request = (url: string, range: string, extra: Partial<PlayerRequest> = {}): PlayerRequest => ({
    url,
    range,
    atMs: 0,
    endMs: 10,
    status: 206,
    ...extra,
});

describe("segmentsReceived", () => {
    it("marks every segment a completely answered range overlaps, per representation", () => {
        const received = segmentsReceived(
            [
                request("http://127.0.0.1:1/video?key=134%3A%3Aroot", "bytes=0-99"),
                request("http://127.0.0.1:1/video?key=134%3A%3Aroot", "bytes=250-350"),
                request("http://127.0.0.1:1/video?key=134%3A%3Aroot", "bytes=400-499", { endMs: null }), // never finished
                request("http://127.0.0.1:2/audio?key=140%3A%3Aroot", "bytes=100-149", { status: 503 }),
                request("http://127.0.0.1:2/audio?key=140%3A%3Aroot", "bytes=0-49"),
            ],
            formats,
        );
        assert.deepEqual([...received].sort(), ["134:0", "134:1", "134:2", "140:0"]);
    });
});

/** A logged SABR answer with these parts, `written` bytes of its body on the wire. */
function answer(parts: Array<{ type: number; size: number; label?: string }>, written: number): LogEntry {
    return {
        id: 1,
        time: 0,
        method: "POST",
        path: "/videoplayback",
        status: 200,
        outcome: "ok",
        faults: [],
        assertions: [],
        parts,
        bytesWritten: written,
    };
}

describe("mediaBytesSent and wasteOf", () => {
    it("counts MEDIA payloads without their header id, up to the bytes written", () => {
        // Each part: type varint (1 byte) + size varint (1 or 2 bytes) + payload.
        const parts = [
            { type: 20, size: 10, label: "header:134:1:id=0" }, // 12 bytes
            { type: 21, size: 101, label: "media:134:1:id=0" }, // 1 + 1 + 101 (id 1 byte + 100 media)
            { type: 22, size: 1, label: "end:134:1:id=0" }, // 3
            { type: 21, size: 201, label: "media:134:2:id=1" }, // 1 + 2 + 201
        ];
        const whole = 12 + 103 + 3 + 204;
        assert.deepEqual(
            [...mediaBytesSent([answer(parts, whole)])],
            [
                ["134:1", 100],
                ["134:2", 200],
            ],
        );
        // Cut 50 bytes into the second MEDIA payload: its id byte and 49 media bytes left.
        assert.deepEqual(
            [...mediaBytesSent([answer(parts, 12 + 103 + 3 + 3 + 50)])],
            [
                ["134:1", 100],
                ["134:2", 49],
            ],
        );
        assert.equal(mediaBytesSent([{ ...answer(parts, whole), method: "GET" }]).size, 0);
    });

    it("is the share of media bytes sent for segments the player never received", () => {
        const sent = new Map([
            ["134:1", 250], // received, sent 2.5 times its 100 bytes
            ["134:2", 100],
            ["134:3", 100], // never received
        ]);
        const waste = wasteOf(sent, new Set(["134:1", "134:2"]), formats);
        assert.equal(waste.sentBytes, 450);
        assert.equal(waste.wastedBytes, 100);
        assert.equal(waste.wasteRatio, 100 / 450);
        assert.deepEqual(waste.wastedSegments, ["134:3"]);
        assert.equal(waste.resentBytes, 150);
        assert.equal(wasteOf(new Map(), new Set(), formats).wasteRatio, 0);
    });
});

describe("perMinute", () => {
    it("scales a count to a minute of media", () => {
        assert.equal(perMinute(3, 30), 6);
        assert.equal(perMinute(3, 0), 0);
    });
});
