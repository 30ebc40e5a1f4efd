// npm run interop -- [--count N] [--seed S]: googlevideo <-> BrightScript codec interop in the simulator.
import { parseArgs } from "node:util";
import { Simulator } from "../sim/simulator.ts";
import { buildVectors, runInterop } from "./run.ts";

const { values } = parseArgs({
    options: { count: { type: "string", default: "2000" }, seed: { type: "string", default: "1" }, timeout: { type: "string" } },
});
const count = Number(values.count);
const seed = Number(values.seed);
const started = Date.now();
const vectors = buildVectors(count, seed);
const simulator = await Simulator.launch();
try {
    const timeoutMs = values.timeout ? Number(values.timeout) * 1000 : 120_000 + count * 30;
    const result = await runInterop(simulator, vectors, timeoutMs);
    for (const m of result.mismatches.slice(0, 20)) console.log(`mismatch #${m.id} ${m.label}: ${m.problem}`);
    if (result.failure) console.log(`interop: run ended badly: ${result.failure}`);
    console.log(
        `interop: ${result.vectors} vectors, ${result.mismatches.length} mismatches (seed ${seed}, channel ${(result.channelMs / 1000).toFixed(1)} s, simulator run ${(result.runMs / 1000).toFixed(1)} s, total ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    process.exitCode = result.mismatches.length === 0 && !result.failure ? 0 : 1;
} finally {
    await simulator.close();
}
