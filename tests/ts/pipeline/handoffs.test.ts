// Field sets between threads (hand-offs), from /metrics after a whole title played through the
// channel: every hop batched as docs/pipeline.md ("Hand-offs") describes, and the sets per delivered
// segment at or under the bound it gives. Counts, not times; the bound leaves the room a slow
// machine needs (more worker passes with news), so the machine's speed does not decide it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { assertDelivered, startPipeline, type PipelineUnderTest } from "./pipeline-harness.ts";

/** docs/pipeline.md, "Hand-offs": field sets per segment the fetches delivered, at most, on any machine. */
const PROMISED_PER_SEGMENT = 8;

interface Handoffs {
    server: { outbox: number; status: number };
    fetchWorker: number;
    cacheWriter: number;
    scene: number;
    sceneSets: { fetchWorkerRequests: number; cacheWriterRequests: number; inboxForwards: number; workerReports: number };
    total: number;
    segments: number;
    perSegmentX100: number;
    serverBlockedMs: { samples: number; p50: number; p95: number; max: number };
}

describe("hand-offs per delivered segment (fetch worker + cache writer)", { timeout: 600_000 }, () => {
    let pipeline: PipelineUnderTest;
    let handoffs: Handoffs;
    before(async () => {
        pipeline = await startPipeline({ workers: true, outDir: "out/pipeline-test/handoffs" });
        const report = await pipeline.client().play({ videoItag: 160, rangeStyle: "segments" });
        await assertDelivered(pipeline, report, 160, true);
        handoffs = ((await pipeline.channel.metrics()) as { handoffs: Handoffs }).handoffs;
        console.log(`handoffs: ${JSON.stringify(handoffs)}`);
    });
    after(async () => pipeline?.close());

    it("counts every thread's sets, and their total", () => {
        assert.ok(handoffs.segments > 0, "segments were delivered");
        for (const [thread, sets] of Object.entries({
            ...handoffs.server,
            fetchWorker: handoffs.fetchWorker,
            cacheWriter: handoffs.cacheWriter,
            scene: handoffs.scene,
        }))
            assert.ok(sets > 0, `${thread} made no set`);
        const sum = handoffs.server.outbox + handoffs.server.status + handoffs.fetchWorker + handoffs.cacheWriter + handoffs.scene;
        assert.equal(handoffs.total, sum);
        assert.equal(handoffs.serverBlockedMs.samples, Math.min(200, handoffs.server.outbox + handoffs.server.status));
    });

    it("batches every hop: one request per worker per outbox set, one forward per worker set, one writer answer per request", () => {
        const { sceneSets, server } = handoffs;
        assert.equal(
            sceneSets.fetchWorkerRequests + sceneSets.cacheWriterRequests + sceneSets.inboxForwards + sceneSets.workerReports,
            handoffs.scene,
        );
        // A worker that was not ready yet gets what was held for it in one more request set.
        assert.ok(
            sceneSets.fetchWorkerRequests <= server.outbox + 1,
            `${sceneSets.fetchWorkerRequests} fetch worker requests for ${server.outbox} outbox sets`,
        );
        assert.ok(
            sceneSets.cacheWriterRequests <= server.outbox + 1,
            `${sceneSets.cacheWriterRequests} cache writer requests for ${server.outbox} outbox sets`,
        );
        assert.equal(sceneSets.inboxForwards, handoffs.fetchWorker + handoffs.cacheWriter, "one inbox set per worker response set");
        assert.ok(
            handoffs.cacheWriter <= sceneSets.cacheWriterRequests,
            `${handoffs.cacheWriter} writer answers for ${sceneSets.cacheWriterRequests} requests`,
        );
    });

    it(`makes at most ${PROMISED_PER_SEGMENT} field sets per delivered segment`, () => {
        assert.ok(
            handoffs.perSegmentX100 <= PROMISED_PER_SEGMENT * 100,
            `${handoffs.total} sets for ${handoffs.segments} segments (${handoffs.perSegmentX100 / 100} per segment)`,
        );
    });
});
