// How the pipeline coordinates: one fetch per segment however many requests wait, cache hits
// answered while a slow fetch runs, disconnects cancel, the cache keeps its budget (the watchdog's
// cancels and retries: watchdog.test.ts). The channel runs in the simulator against the local
// origin. A "slow" fetch is one the origin holds (F16 mode=hold) until the test lets it go, so no
// assertion depends on how fast the machine is.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { parseSidx, type SidxReference } from "../../../tools/dash-client/index.ts";
import {
    assertDelivered,
    getVideoRange as get,
    INDEX_RANGE,
    posts,
    startPipeline,
    type PipelineUnderTest,
    type RangeAnswer as Answer,
} from "./pipeline-harness.ts";

async function pipelineStats(pipeline: PipelineUnderTest): Promise<Record<string, number>> {
    return ((await pipeline.channel.metrics()) as { pipeline: Record<string, number> }).pipeline;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition` holds (checked every 50 ms); fails after `limitMs` with `what`. */
async function until(condition: () => boolean | Promise<boolean>, what: string, limitMs = 60_000): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (!(await condition())) {
        if (Date.now() > deadline) assert.fail(`gave up waiting: ${what}`);
        await sleep(50);
    }
}

for (const workers of (process.env.PIPELINE_MODES ?? "workers,inline").split(",").map((mode) => mode === "workers")) {
    describe(`coordination (${workers ? "fetch worker + cache writer" : "inline fetches"})`, { timeout: 600_000 }, () => {
        let pipeline: PipelineUnderTest;
        let source: Buffer;
        let segments: SidxReference[];
        const segmentAt = (ms: number): SidxReference => segments.find((s) => s.startMs <= ms && ms < s.startMs + s.durationMs)!;
        const expect = (answer: Answer, ref: SidxReference): void => {
            assert.equal(answer.status, 206);
            assert.ok(answer.body.equals(source.subarray(ref.range.start, ref.range.end + 1)), `segment ${ref.sequence} bytes differ`);
        };

        before(async () => {
            pipeline = await startPipeline({
                workers,
                outDir: `out/pipeline-test/behaviour-${workers ? "workers" : "inline"}`,
                // A held fetch gets no byte: the watchdog must not call it dead before the test releases it.
                server: { deadlineMs: 10_000, deadMs: 30_000 },
            });
            source = await pipeline.source(160);
            segments = parseSidx(source.subarray(INDEX_RANGE.start, INDEX_RANGE.end + 1), INDEX_RANGE.start).references;
            const index = await get(pipeline.channel.ports.video, INDEX_RANGE);
            assert.equal(index.status, 206);
        });
        after(async () => pipeline?.close());

        it("asks SABR once for a segment that two requests want at the same time", async () => {
            const wanted = segmentAt(40_000);
            const before = posts(pipeline.origin);
            const [first, second] = await Promise.all([
                get(pipeline.channel.ports.video, wanted.range),
                get(pipeline.channel.ports.video, wanted.range),
            ]);
            expect(first, wanted);
            expect(second, wanted);
            assert.equal(posts(pipeline.origin) - before, 1, "one SABR POST for both requests");
        });

        it("answers a cache hit while a slow fetch is in flight", async () => {
            pipeline.origin.setFaults("F16:mode=hold@times=1");
            const slowSegment = segmentAt(24_000);
            let slowAnswered = false;
            const slow = get(pipeline.channel.ports.video, slowSegment.range).finally(() => (slowAnswered = true));
            await until(() => pipeline.origin.held() === 1, "the slow fetch reached the origin");
            const cached = segmentAt(40_000);
            const hit = await get(pipeline.channel.ports.video, cached.range);
            expect(hit, cached);
            assert.equal(slowAnswered, false, "the cache hit came while the fetch was still held");
            assert.equal(pipeline.origin.releaseHeld(), 1, "the slow fetch was still in flight");
            expect(await slow, slowSegment);
            pipeline.origin.setFaults("");
        });

        it("cancels the fetch when the only requester disconnects", async () => {
            pipeline.origin.setFaults("F16:mode=hold@times=1");
            const before = await pipelineStats(pipeline);
            const abort = new AbortController();
            const wanted = segmentAt(57_000);
            const request = get(pipeline.channel.ports.video, wanted.range, abort.signal).catch((error: Error) => error);
            await until(() => pipeline.origin.held() === 1, "the fetch reached the origin");
            abort.abort();
            await request;
            // The cancel closes the held connection (that releases it): nothing else would.
            await until(() => pipeline.origin.held() === 0, "the fetch's connection was closed");
            await until(async () => ((await pipelineStats(pipeline)).cancels ?? 0) > (before.cancels ?? 0), "the cancel was counted");
            const after = await pipelineStats(pipeline);
            assert.equal((after.cancels ?? 0) - (before.cancels ?? 0), 1, "one fetch cancelled");
            pipeline.origin.setFaults("");
            expect(await get(pipeline.channel.ports.video, wanted.range), wanted);
        });
    });
}

describe(
    "cache budget over a long run (fetch worker + cache writer)",
    { timeout: 600_000, skip: (process.env.PIPELINE_MODES ?? "workers").includes("workers") ? false : "needs the cache writer" },
    () => {
        const budgetBytes = 300_000;
        const everyStores = 4;
        let pipeline: PipelineUnderTest;
        before(async () => {
            pipeline = await startPipeline({
                outDir: "out/pipeline-test/budget",
                cacheWriter: { budgetBytes, maintenanceEveryStores: everyStores, maintenanceIntervalMs: 60_000 },
            });
        });
        after(async () => pipeline?.close());

        it("plays every format twice through a cache smaller than one format, byte-identical, within budget", async () => {
            for (const itag of [160, 133, 134, 160]) {
                const report = await pipeline.client().play({ videoItag: itag });
                await assertDelivered(pipeline, report, itag, true);
            }
            const stats = await pipelineStats(pipeline);
            assert.ok((stats.evicted ?? 0) > 0, "segments were evicted");
            // Maintenance runs every few stores, so between runs the cache may exceed its budget by
            // at most those stores (segments here are below 100 kB).
            assert.ok((stats.cachePeakBytes ?? 0) <= budgetBytes + everyStores * 100_000, `peak ${stats.cachePeakBytes}`);
            assert.ok((stats.cacheBytes ?? 0) <= budgetBytes + everyStores * 100_000, `now ${stats.cacheBytes}`);
        });
    },
);
