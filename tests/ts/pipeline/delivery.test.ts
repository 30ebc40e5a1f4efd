// The whole pipeline in the simulator against the local origin: a DASH SegmentBase client plays
// through the channel's server, every byte is compared with the origin's source files.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { assertDelivered, failedAssertions, startPipeline, type PipelineUnderTest } from "./pipeline-harness.ts";

for (const workers of (process.env.PIPELINE_MODES ?? "workers,inline").split(",").map((mode) => mode === "workers")) {
    describe(`delivery (${workers ? "fetch worker + cache writer" : "inline fetches, no cache"})`, { timeout: 600_000 }, () => {
        let pipeline: PipelineUnderTest;
        before(async () => {
            pipeline = await startPipeline({ workers, outDir: `out/pipeline-test/delivery-${workers ? "workers" : "inline"}` });
        });
        after(async () => pipeline?.close());

        const styles = [
            { itag: 160, rangeStyle: "segments" as const },
            { itag: 133, rangeStyle: "misaligned" as const },
            { itag: 134, rangeStyle: "combined-init" as const },
        ];
        for (const { itag, rangeStyle } of styles) {
            it(`plays the whole title in itag ${itag} with audio, byte-identical (${rangeStyle} requests)`, async () => {
                const client = pipeline.client();
                const report = await client.play({ videoItag: itag, rangeStyle });
                await assertDelivered(pipeline, report, itag, true);
            });
        }

        it("made every SABR request the origin considers correct (docs/sabr-protocol.md §9.4)", () => {
            assert.deepEqual(failedAssertions(pipeline.origin), []);
        });

        it("reports stage timings and counters at /metrics", async () => {
            const metrics = (await pipeline.channel.metrics()) as {
                pipeline: Record<string, number>;
                stages: Record<string, { samples: number }>;
            };
            assert.ok((metrics.pipeline.fetches ?? 0) > 0 && (metrics.pipeline.segmentsReady ?? 0) > 0);
            assert.ok(
                metrics.stages.protoEncodeMs!.samples > 0 &&
                    metrics.stages.proxyRoundTripMs!.samples > 0 &&
                    metrics.stages.umpProcessMs!.samples > 0,
            );
            if (workers) assert.ok(metrics.stages.storeMs!.samples > 0, "store timings");
        });

        it("shuts down gracefully: nothing but the snapshot is left in tmp:/ (the cache is in cachefs:)", async () => {
            const result = await pipeline.channel.exit();
            assert.equal(result.outcome, "exited", result.reason);
            const report = result.lines.find((line) => line.includes("files left in tmp:/"));
            assert.ok(report, "the server reports what it left");
            const counts = JSON.parse(report!.slice(report!.indexOf("{"))) as Record<string, number>;
            const shutdown = result.lines.filter((line) => /shutdown|store of|rejected|FILE_RELEASE|cannot/.test(line)).join("\n");
            assert.equal(counts["tmp:/sabr/spool"] ?? 0, 0, `${report}\n${shutdown}`);
            for (const [folder, files] of Object.entries(counts)) {
                if (!["tmp:/sabr/spool", "tmp:/sabr", "tmp:/"].includes(folder)) assert.equal(files, 0, `${folder}: ${report}`);
            }
        });
    });
}

// The harshest device the simulator knows: no roByteArray.Slice, a payload whose 64-bit values are
// JSON numbers (as YouTube sends them), every transfer over HTTPS with the device's CA bundle.
describe("delivery on a harsher device (no Slice, numeric payload, https origin)", { timeout: 600_000 }, () => {
    let pipeline: PipelineUnderTest;
    before(async () => {
        pipeline = await startPipeline({
            workers: true,
            tls: true,
            numericPayload: true,
            deviceRules: { noByteArraySlice: true },
            outDir: "out/pipeline-test/delivery-harsh",
        });
    });
    after(async () => pipeline?.close());

    it("plays the whole title in itag 134 with audio, byte-identical", async () => {
        assert.match(pipeline.origin.url, /^https:/);
        const report = await pipeline.client().play({ videoItag: 134, rangeStyle: "segments" });
        await assertDelivered(pipeline, report, 134, true);
    });

    // Only lastModified here: the other request checks run in the deliveries above; on this slower
    // device, fetches overlap differently and the cookie chain is the scheduling work's subject.
    it("sent lastModified exactly in every SABR request (docs/sabr-protocol.md §9.4)", () => {
        const checked = pipeline.origin
            .log()
            .flatMap((entry) => entry.assertions.filter((a) => a.name === "lastModifiedExact" && a.ok !== null));
        assert.ok(checked.length >= 2, `lastModified was checked in ${checked.length} requests`);
        assert.deepEqual(
            checked.filter((a) => !a.ok).map((a) => a.detail),
            [],
        );
    });
});
