// Field sets between threads (hand-offs) per delivered segment, from /metrics after a whole title
// played through the channel: at or under the number docs/pipeline.md promises
// ("Hand-offs"). A count, not a time, so the machine's speed does not decide it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { assertDelivered, startPipeline, type PipelineUnderTest } from "./pipeline-harness.ts";

/** docs/pipeline.md, "Hand-offs": field sets per segment the fetches delivered, at most. */
const PROMISED_PER_SEGMENT = 4;

interface Handoffs {
    server: { outbox: number; status: number };
    fetchWorker: number;
    cacheWriter: number;
    scene: number;
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

    it(`makes at most ${PROMISED_PER_SEGMENT} field sets per delivered segment`, () => {
        assert.ok(
            handoffs.perSegmentX100 <= PROMISED_PER_SEGMENT * 100,
            `${handoffs.total} sets for ${handoffs.segments} segments (${handoffs.perSegmentX100 / 100} per segment)`,
        );
    });
});
