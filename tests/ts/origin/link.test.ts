/**
 * F28 `link`: the slow link's schedule as a pure function (table-tested), and on the wire only
 * what a loaded machine cannot break: answers are never early (lower bounds, no upper bound).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startOrigin, type LogEntry, type OriginHandle } from "../../../tools/origin/server.ts";
import { FAULTS, parseFaultSpec } from "../../../tools/origin/faults.ts";
import { DEFAULT_SLICE_BYTES, linkJitterMs, linkParams, linkPlan, sendAtMs, type LinkParams } from "../../../tools/origin/link.ts";
import { getManifest } from "./helpers.ts";
import { RawClient, headers } from "./client.ts";

const KIB = 1024;

function link(overrides: Partial<LinkParams>): LinkParams {
    return { bps: 0, latencyMs: 0, jitterMs: 0, seed: 1, sliceBytes: DEFAULT_SLICE_BYTES, ...overrides };
}

describe("F28 link schedule (pure)", () => {
    const cases: Array<{
        name: string;
        link: LinkParams;
        bodyBytes: number;
        slices: number;
        firstByteMs: number;
        /** [start, end, atMs] of the first and the last slice. */
        first: [number, number, number];
        last: [number, number, number];
        endAtMs: number;
    }> = [
        {
            name: "200 KiB at 100 KiB/s in 16 KiB slices",
            link: link({ bps: 100 * KIB }),
            bodyBytes: 200 * KIB,
            slices: 13,
            firstByteMs: 0,
            first: [0, 16 * KIB, 0],
            last: [192 * KIB, 200 * KIB, 1920],
            endAtMs: 2000,
        },
        {
            name: "latency delays the first byte and shifts every slice",
            link: link({ bps: 1000, latencyMs: 250, sliceBytes: 400 }),
            bodyBytes: 1000,
            slices: 3,
            firstByteMs: 250,
            first: [0, 400, 250],
            last: [800, 1000, 1050],
            endAtMs: 1250,
        },
        {
            name: "64 KiB slices",
            link: link({ bps: 64 * KIB, sliceBytes: 64 * KIB }),
            bodyBytes: 100 * KIB,
            slices: 2,
            firstByteMs: 0,
            first: [0, 64 * KIB, 0],
            last: [64 * KIB, 100 * KIB, 1000],
            endAtMs: 1562.5,
        },
        {
            name: "no throttle: latency only, one write",
            link: link({ latencyMs: 80 }),
            bodyBytes: 5000,
            slices: 1,
            firstByteMs: 80,
            first: [0, 5000, 80],
            last: [0, 5000, 80],
            endAtMs: 80,
        },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const plan = linkPlan(c.link, c.bodyBytes, 1);
            assert.equal(plan.slices.length, c.slices);
            assert.equal(plan.firstByteMs, c.firstByteMs);
            const triple = (s: { start: number; end: number; atMs: number }): [number, number, number] => [s.start, s.end, s.atMs];
            assert.deepEqual(triple(plan.slices[0]!), c.first);
            assert.deepEqual(triple(plan.slices.at(-1)!), c.last);
            assert.equal(plan.endAtMs, c.endAtMs);
        });
    }

    it("slices cover the body once, in order, and the average rate is exactly bps", () => {
        const l = link({ bps: 123_456, latencyMs: 40, sliceBytes: 20_000 });
        const plan = linkPlan(l, 1_000_001, 3);
        let next = 0;
        for (const s of plan.slices) {
            assert.equal(s.start, next);
            assert.ok(s.end > s.start && s.end - s.start <= 20_000);
            assert.equal(s.atMs, sendAtMs(plan, s.start));
            next = s.end;
        }
        assert.equal(next, 1_000_001);
        assert.ok(Math.abs((1_000_001 * 1000) / (plan.endAtMs - plan.firstByteMs) - 123_456) < 1e-6);
    });

    it("jitter is seeded: the same seed and answer give the same delay, within [0, jitterMs]", () => {
        const a = link({ jitterMs: 500, seed: 7 });
        const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => linkJitterMs(a, n));
        assert.deepEqual(
            delays,
            [1, 2, 3, 4, 5, 6, 7, 8].map((n) => linkJitterMs(a, n)),
        );
        for (const d of delays) assert.ok(Number.isInteger(d) && d >= 0 && d <= 500, String(d));
        assert.ok(new Set(delays).size > 1, `eight answers, one delay: ${delays.join(",")}`);
        const other = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => linkJitterMs(link({ jitterMs: 500, seed: 8 }), n));
        assert.notDeepEqual(other, delays);
        assert.equal(linkJitterMs(link({ jitterMs: 0, seed: 7 }), 3), 0);
        const plan = linkPlan(link({ latencyMs: 100, jitterMs: 500, seed: 7 }), 10, 4);
        assert.equal(plan.jitterMs, delays[3]);
        assert.equal(plan.firstByteMs, 100 + delays[3]!);
    });

    it("params from a fault spec: defaults, the origin's seed, bad values ignored", () => {
        const [rule] = parseFaultSpec("F28:bps=102400:latencyMs=50:jitterMs=20@times=2");
        assert.equal(rule!.profile, "F28");
        assert.equal(rule!.when.times, 2);
        assert.deepEqual(linkParams(rule!.params, 9), {
            bps: 102400,
            latencyMs: 50,
            jitterMs: 20,
            seed: 9,
            sliceBytes: DEFAULT_SLICE_BYTES,
        });
        assert.deepEqual(linkParams({ bps: "-5", latencyMs: "x", seed: "3", slice: "4096" }, 9), {
            bps: 0,
            latencyMs: 0,
            jitterMs: 0,
            seed: 3,
            sliceBytes: 4096,
        });
        assert.equal(FAULTS.F28.title, "link");
    });
});

describe("F28 link on the wire", () => {
    let origin: OriginHandle;
    before(async () => {
        origin = await startOrigin({ port: 0 });
    });
    after(async () => {
        await origin.close();
    });

    function lastPost(): LogEntry | undefined {
        return origin
            .log()
            .filter((e) => e.method === "POST")
            .at(-1);
    }

    async function client(spec: string, videoItag: number, videoId: string): Promise<RawClient> {
        origin.setFaults(spec, 1);
        const m = await getManifest(origin.url, videoId);
        return RawClient.fromPayload(m.payloads[0]!, videoItag);
    }

    it("a 200 KiB answer at 100 KiB/s is not complete before 1.5 s (a lower bound only)", async () => {
        const c = await client(`F28:bps=${100 * KIB}`, 134, "sabrOrigin1");
        const started = Date.now();
        const r = await c.post(c.body());
        const elapsed = Date.now() - started;
        assert.equal(r.status, 200);
        assert.ok(r.body.length >= 200 * KIB, `the answer has only ${r.body.length} bytes`);
        assert.ok(headers(r.parts).length > 0, "media headers");
        // Complete no sooner than its size allows at this rate (2 s for exactly 200 KiB).
        assert.ok(elapsed >= 1500, `${r.body.length} bytes at 100 KiB/s arrived after only ${elapsed} ms`);
        const entry = lastPost();
        assert.ok(
            entry?.notes?.some((n) => n.startsWith("link (F28): first byte after 0 ms (jitter 0), 102400 B/s")),
            String(entry?.notes),
        );
    });

    it("latency and seeded jitter delay the first byte; the log names the planned delay per answer", async () => {
        const spec = "F28:latencyMs=300:jitterMs=200:seed=5";
        const c = await client(spec, 160, "sabrOrigin2");
        const started = Date.now();
        const r = await c.post(c.body());
        assert.equal(r.status, 200);
        const entry = lastPost()!;
        const jitter = linkJitterMs({ jitterMs: 200, seed: 5 }, entry.nth!);
        assert.ok(Date.now() - started >= 300 + jitter, "the answer came before its latency and jitter");
        assert.ok(
            entry.notes?.includes(
                `link (F28): first byte after ${300 + jitter} ms (jitter ${jitter}), no throttle, ends after ${300 + jitter} ms`,
            ),
        );
    });

    it("is switched like every fault: @times=, POST /__faults, the index", async () => {
        const set = await fetch(`${origin.url}/__faults`, { method: "POST", body: "F28:bps=1000000@times=1" });
        assert.equal(set.status, 200);
        assert.equal(((await set.json()) as { faults: string }).faults, "F28:bps=1000000@times=1");
        const m = await getManifest(origin.url, "sabrOrigin2");
        const c = RawClient.fromPayload(m.payloads[0]!, 160);
        await c.post(c.body());
        await c.post(c.body());
        const [first, second] = origin
            .log()
            .filter((e) => e.method === "POST")
            .slice(-2);
        assert.deepEqual(first!.faults, ["F28"]);
        assert.deepEqual(second!.faults, []);
        const index = (await (await fetch(`${origin.url}/__index`)).json()) as { faults: Array<{ name: string }> };
        assert.ok(index.faults.some((f) => f.name === "F28"));
    });
});
