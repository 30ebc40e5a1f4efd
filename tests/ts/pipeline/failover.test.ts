// A worker that dies does not take playback with it: a fetch worker that never becomes ready, one
// whose thread ends mid-play, and one that rejects a FETCH_REQUEST. The worker's fault options
// (holdReady, exitAfterFetches, rejectFetches: sabrFetchWorkerTask.xml) make it fail; the server's
// deadline is set far beyond the test so that only the failover can bring the bytes, and every
// assertion is on bytes and counts, none on time.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { assertDelivered, startPipeline, type PipelineUnderTest } from "./pipeline-harness.ts";

interface WorkerFigures {
    fetchWorker: string;
    cacheWriter: string;
    failovers: number;
    fetchesRedoneInline: number;
    rejectedFetches: number;
}

async function figures(pipeline: PipelineUnderTest): Promise<{ workers: WorkerFigures; pipeline: Record<string, number> }> {
    return (await pipeline.channel.metrics()) as { workers: WorkerFigures; pipeline: Record<string, number> };
}

// No deadline fallback and no silent-fetch forgetting within a test: the failover must do it.
const NO_DEADLINE = { deadlineMs: 3_600_000, silentFetchMs: 3_600_000 };

function failingWorker(name: string, fetchWorker: Record<string, unknown>, run: (pipeline: PipelineUnderTest) => Promise<void>): void {
    describe(name, { timeout: 600_000 }, () => {
        let pipeline: PipelineUnderTest;
        before(async () => {
            pipeline = await startPipeline({
                outDir: `out/pipeline-test/failover-${Object.keys(fetchWorker)[0]}`,
                server: NO_DEADLINE,
                fetchWorker,
            });
        });
        after(async () => pipeline?.close());
        it("plays on byte-identical, and /metrics says what happened", async () => run(pipeline));
    });
}

failingWorker("a fetch worker that never becomes ready", { holdReady: true, readyTimeoutMs: 3000 }, async (pipeline) => {
    const report = await pipeline.client().play({ videoItag: 160 });
    await assertDelivered(pipeline, report, 160, true);
    const { workers } = await figures(pipeline);
    assert.equal(workers.fetchWorker, "failedToStart");
    assert.equal(workers.cacheWriter, "ready");
    assert.equal(workers.failovers, 1);
});

failingWorker("a fetch worker whose thread ends mid-play", { exitAfterFetches: 3 }, async (pipeline) => {
    const report = await pipeline.client().play({ videoItag: 160 });
    await assertDelivered(pipeline, report, 160, true);
    const { workers, pipeline: counters } = await figures(pipeline);
    assert.equal(workers.fetchWorker, "stopped");
    assert.equal(workers.failovers, 1);
    // The fetch the worker took with it was redone inline; the deadline never came into it.
    assert.equal(workers.fetchesRedoneInline, 1);
    assert.equal(counters.fallbacks, 0);
});

failingWorker("a fetch worker that rejects a FETCH_REQUEST", { rejectFetches: 1 }, async (pipeline) => {
    const report = await pipeline.client().play({ videoItag: 160, maxMediaMs: 20_000 });
    await assertDelivered(pipeline, report, 160, false);
    const { workers, pipeline: counters } = await figures(pipeline);
    assert.equal(workers.rejectedFetches, 1);
    assert.equal(workers.fetchesRedoneInline, 1, "the rejected fetch ran inline at once");
    assert.equal(counters.fallbacks, 0, "not through the deadline");
    assert.equal(workers.fetchWorker, "ready", "a rejection is not a dead worker");
});

// The cache writer's thread ends after its third store request: the server stops sending it work,
// keeps serving the segments from their spools and deletes released spools itself.
describe("a cache writer whose thread ends mid-play", { timeout: 600_000 }, () => {
    let pipeline: PipelineUnderTest;
    before(async () => {
        pipeline = await startPipeline({
            outDir: "out/pipeline-test/failover-cacheWriter",
            server: NO_DEADLINE,
            cacheWriter: { exitAfterStores: 3 },
        });
    });
    after(async () => pipeline?.close());
    it("plays on byte-identical, and /metrics says what happened", async () => {
        const report = await pipeline.client().play({ videoItag: 160 });
        await assertDelivered(pipeline, report, 160, true);
        const metrics = (await pipeline.channel.metrics()) as {
            workers: WorkerFigures & { storesDropped: number };
            pipeline: Record<string, number>;
        };
        assert.equal(metrics.workers.cacheWriter, "stopped");
        assert.equal(metrics.workers.fetchWorker, "ready");
        assert.equal(metrics.workers.failovers, 1);
        // The writer ended after the request set holding its third store (a set may hold several).
        const stored = metrics.pipeline.stores ?? 0;
        assert.ok(
            stored >= 3 && stored < (metrics.pipeline.segmentsReady ?? 0),
            `stored ${stored} of ${metrics.pipeline.segmentsReady} segments`,
        );
    });
});
