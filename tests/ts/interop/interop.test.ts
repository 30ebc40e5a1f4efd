// googlevideo <-> BrightScript codec interop in the simulator, at a moderate size with a fixed seed.
// `npm run interop -- --count 20000` runs the same checks at any size.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Simulator } from "../../../tools/sim/simulator.ts";
import { buildVectors, runInterop } from "../../../tools/interop/run.ts";
import type { Vector } from "../../../tools/interop/vectors.ts";

const COUNT = 4000;
const SEED = 1;
let simulator: Simulator;

before(async () => {
    simulator = await Simulator.launch();
});
after(async () => {
    await simulator.close();
});

describe("codec interop with googlevideo", () => {
    it(`${COUNT} vectors (seed ${SEED}) give 0 mismatches`, async () => {
        const result = await runInterop(simulator, buildVectors(COUNT, SEED), 180_000, "interop-test");
        const shown = result.mismatches.slice(0, 10).map((m) => `#${m.id} ${m.label}: ${m.problem}`);
        assert.equal(result.failure, undefined);
        assert.equal(result.mismatches.length, 0, shown.join("\n"));
        assert.equal(result.vectors, COUNT);
    });

    it("notices a wrong result (the judge is not vacuous)", async () => {
        // A vector whose expectation is deliberately wrong must be reported as a mismatch.
        const [real] = buildVectors(1, SEED) as [Vector];
        const lying: Vector = { ...real, label: "deliberately wrong expectation", judge: (r) => (r === "never" ? undefined : "differs") };
        const result = await runInterop(simulator, [lying], 60_000, "interop-honesty");
        assert.equal(result.mismatches.length, 1);
    });
});
