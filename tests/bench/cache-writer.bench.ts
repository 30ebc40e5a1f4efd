// The cache writer's start-up over a kept index of 1,000 entries (tests/channels/cache-writer in
// its bench mode): the scene leaves 1,000 one-byte segment files and their index in cachefs:, the
// writer reads them back a slice at a time (sliceMs 20) while its loop keeps answering, and a
// CACHE_QUERY sent at once (for another title) is answered once the load is done.
// cache.secondLaunch.indexLoad: loadMs from the writer's start to the end of the load, workMs the
// slices' own time, longestSliceMs the longest one (what a message may wait for). Simulator
// figures, not device figures.
import { buildTestChannel } from "../ts/support/test-channels.ts";
import { Simulator } from "../../tools/sim/simulator.ts";

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1000);

interface BenchLine {
    steps: string[];
    entries: number;
    queryAnsweredMs: number;
    indexLoad: { adopted: number; dropped: number; slices: number; workMs: number; longestSliceMs: number; elapsedMs: number } | null;
}

const zip = await buildTestChannel("cache-writer", {
    outDir: "out/cache-writer-bench",
    configName: "cache-writer-test.json",
    config: {
        writer: { cacheDir: "cachefs:/cw/cache", spoolDir: "tmp:/cw/spool", snapshotPath: "tmp:/cw/state/session.json" },
        benchIndexEntries: ENTRIES,
    },
});
// The bridge's shared-volume allocator (docs/bridge.md): with the engine's own, every new file
// copies the growing folder listing and freed space is never reused, so 1,000 files fill the
// volume. BENCH_BRIDGE=0 runs without it.
const simulator = await Simulator.launch({ bridge: process.env.BENCH_BRIDGE !== "0" });
try {
    const run = await simulator.run(zip, { timeoutMs: 1_500_000, until: /^CACHE-WRITER-TEST-EXIT/ });
    const line = run.lines.find((text) => text.startsWith("CACHE-WRITER-BENCH "));
    if (!line) throw new Error(`no bench line (${run.reason}):\n${run.lines.slice(-40).join("\n")}`);
    const result = JSON.parse(line.slice("CACHE-WRITER-BENCH ".length)) as BenchLine;
    const load = result.indexLoad;
    if (result.steps.length > 0 || !load || load.adopted !== ENTRIES || result.entries !== ENTRIES) {
        throw new Error(`index load bench went wrong: ${line}`);
    }
    console.log(
        JSON.stringify({
            bench: "cache.secondLaunch.indexLoad",
            unit: "ms",
            loadMs: load.elapsedMs,
            workMs: load.workMs,
            longestSliceMs: load.longestSliceMs,
            slices: load.slices,
            queryAnsweredMs: result.queryAnsweredMs,
            entries: ENTRIES,
            where: "simulator",
        }),
    );
} finally {
    await simulator.close();
}
