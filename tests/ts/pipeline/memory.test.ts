// Memory from the device (docs/pipeline.md, "Spools and memory"): the simulator fakes
// roAppMemoryMonitor from its device rules; mid-play the test raises the channel's memory use past
// 90 % of its limit, the monitor warns, the server lowers its spool budget and says so, and the
// player still gets every byte right. Counts and bytes only.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { assertDelivered, startPipeline, type PipelineUnderTest } from "./pipeline-harness.ts";
import { DEFAULT_MEMORY } from "../../../tools/sim/simulator.ts";

interface MemoryFigures {
    budgetBytes: number;
    configuredBytes: number;
    spoolPeakBytes: number;
    warnings: number;
    lastWarningPercent: number;
    limitKiB: number;
    availableKiB: number;
}

describe("a memory warning mid-play", { timeout: 600_000 }, () => {
    let pipeline: PipelineUnderTest;
    before(async () => {
        pipeline = await startPipeline({ outDir: "out/pipeline-test/memory" });
    });
    after(async () => pipeline?.close());

    it("shrinks the spool budget, logs it, and plays on byte-identical", async () => {
        const memory = async (): Promise<MemoryFigures> => ((await pipeline.channel.metrics()) as { memory: MemoryFigures }).memory;
        const before = await memory();
        assert.equal(before.limitKiB, DEFAULT_MEMORY.limitKiB, "the monitor's figures reach /metrics");
        assert.equal(before.warnings, 0);
        assert.equal(before.budgetBytes, before.configuredBytes, "plenty of memory: the configured budget");

        const client = pipeline.client();
        await client.play({ videoItag: 160, maxMediaMs: 10_000 });
        await pipeline.channel.remote().memory({ usedKiB: Math.ceil(DEFAULT_MEMORY.limitKiB * 0.92) });
        const report = await pipeline.client().play({ videoItag: 160 });
        await assertDelivered(pipeline, report, 160, true);

        const after = await memory();
        assert.equal(after.warnings, 1, "one threshold crossed, one warning");
        assert.ok(after.lastWarningPercent >= 90, `warned at ${after.lastWarningPercent} %`);
        assert.ok(after.budgetBytes < before.budgetBytes, `budget ${before.budgetBytes} -> ${after.budgetBytes}`);
        assert.ok(
            pipeline.channel.lines.some((line) => /memory \d+ % of the limit in use.*spool budget \d+ -> \d+ bytes/.test(line)),
            "the server says what it did",
        );
    });
});
