// The watchdog that knows progress, through the real channel against the local origin: a
// response trickled over 10 s is left to finish and the player gets its segment from it; a
// response that stops mid-body (stalled) or never starts (dead) is cancelled and asked for again;
// the title still plays byte-exact. Every assertion is on counts (/metrics `watchdog`, `pipeline`,
// the origin's POSTs) and bytes, never on timing: the origin's faults decide what the body does.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { parseSidx, type SidxReference } from "../../../tools/dash-client/index.ts";
import { assertDelivered, getVideoRange as get, INDEX_RANGE, posts, startPipeline, type PipelineUnderTest } from "./pipeline-harness.ts";

interface Figures {
    watchdog: Record<string, number>;
    pipeline: Record<string, number>;
}

/** How much each figure grew from `before` to `after`. */
function grew(before: Record<string, number>, after: Record<string, number>, name: string): number {
    return (after[name] ?? 0) - (before[name] ?? 0);
}

describe("watchdog (fetch worker + cache writer)", { timeout: 600_000 }, () => {
    let pipeline: PipelineUnderTest;
    let source: Buffer;
    let segments: SidxReference[];
    const segmentAt = (ms: number): SidxReference => segments.find((s) => s.startMs <= ms && ms < s.startMs + s.durationMs)!;
    const figures = async (): Promise<Figures> => (await pipeline.channel.metrics()) as unknown as Figures;

    /** GETs segment `ref` while `faults` shape its one SABR response; returns the figures' growth and the POSTs made. */
    async function fetchThrough(faults: string, ref: SidxReference): Promise<{ before: Figures; after: Figures; posts: number }> {
        pipeline.origin.setFaults(faults);
        const before = await figures();
        const postsBefore = posts(pipeline.origin);
        const answer = await get(pipeline.channel.ports.video, ref.range);
        assert.equal(answer.status, 206);
        assert.ok(answer.body.equals(source.subarray(ref.range.start, ref.range.end + 1)), `segment ${ref.sequence} bytes differ`);
        pipeline.origin.setFaults("");
        return { before, after: await figures(), posts: posts(pipeline.origin) - postsBefore };
    }

    before(async () => {
        pipeline = await startPipeline({ outDir: "out/pipeline-test/watchdog" });
        source = await pipeline.source(160);
        segments = parseSidx(source.subarray(INDEX_RANGE.start, INDEX_RANGE.end + 1), INDEX_RANGE.start).references;
        assert.equal((await get(pipeline.channel.ports.video, INDEX_RANGE)).status, 206);
    });
    after(async () => pipeline?.close());

    it("leaves a response trickled over 10 s to finish: the player gets its segment from it", async () => {
        // One segment in 1 KiB parts (F27 small), spread over 10 s: it advances all the time, slowly.
        // Each test asks for a segment no earlier response brought (a retry brings 15 s of media).
        const run = await fetchThrough("F16:mode=trickle:overMs=10000@times=1,F27:size=small@times=1", segmentAt(30_000));
        assert.equal(run.posts, 1, "one SABR POST: the trickled one");
        assert.ok(grew(run.before.watchdog, run.after.watchdog, "slowButAdvancing") >= 1, "classified slow but advancing");
        assert.equal(grew(run.before.watchdog, run.after.watchdog, "cancels"), 0, "the watchdog cancelled nothing");
        assert.equal(grew(run.before.pipeline, run.after.pipeline, "cancels"), 0, "nothing cancelled");
        assert.equal(grew(run.before.pipeline, run.after.pipeline, "fallbacks"), 0, "no inline fallback");
    });

    /** The fetch `faults` shape is classified `health`, cancelled once and asked for again through the worker. */
    async function cancelledAndRetried(faults: string, ref: SidxReference, health: "stalled" | "dead"): Promise<void> {
        const run = await fetchThrough(faults, ref);
        assert.equal(grew(run.before.watchdog, run.after.watchdog, health), 1, `classified ${health}`);
        assert.equal(grew(run.before.watchdog, run.after.watchdog, "cancels"), 1, "the watchdog cancelled it");
        assert.equal(grew(run.before.pipeline, run.after.pipeline, "fallbacks"), 0, "asked again through the worker, not inline");
        assert.equal(run.posts, 2, `the ${health} POST and the one that brought the segment`);
    }

    it("cancels a fetch that never gets a byte (dead) and gets the segment from the next request", async () => {
        await cancelledAndRetried("F16:mode=hold@times=1", segmentAt(22_000), "dead");
    });

    it("cancels a fetch whose body stops mid-segment (stalled) and gets the segment from the next request", async () => {
        await cancelledAndRetried("F16:mode=hold:bytes=3000@times=1,F27:size=small@times=1", segmentAt(44_000), "stalled");
    });

    it("still plays the whole title byte-exact after the stall", async () => {
        const report = await pipeline.client().play({ videoItag: 160 });
        await assertDelivered(pipeline, report, 160, true);
        const after = await figures();
        assert.equal(after.watchdog.cancels, 2, "only the stalled and the dead fetch were cancelled");
    });
});
