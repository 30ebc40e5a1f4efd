// Hand-offs between a Task and the render thread (device rule rendezvousWhenRenderIdle,
// docs/simulator.md), counted in frames, not milliseconds. The fixture's task sets a field 40 times;
// the scene groups the sets by the frame they arrived before (tests/fixtures/channels/handoff).
// brs-engine alone applies a Task's set only in a frame pass: one set per frame. With the rule the
// render thread also applies sets right after a frame and, woken by the page, while it sleeps until
// the next one: without that wake-up at most two sets share a frame, so three or more prove it.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Simulator } from "../../../tools/sim/simulator.ts";
import { zipFixtureChannel } from "../support/fixture-channels.ts";

const SETS = 40;

/**
 * Runs the fixture with the rule on or off; how many sets arrived before each frame. With the rule
 * the render thread runs 4 frames a second: a quarter of a second between frames leaves room for
 * several sets even when this machine is too busy to give the threads a few idle milliseconds.
 */
async function setsPerFrame(zip: string, rule: boolean): Promise<number[]> {
    const simulator = await Simulator.launch({ deviceRules: { rendezvousWhenRenderIdle: rule }, ...(rule ? { maxFps: 4 } : {}) });
    try {
        const run = await simulator.run(zip, { timeoutMs: 120_000, until: /^handoff-done/ });
        assert.equal(run.outcome, "matched", `${run.reason}\n${run.lines.join("\n")}`);
        const line = run.lines.find((candidate) => candidate.startsWith("HANDOFF-FRAMES "));
        assert.ok(line, `no HANDOFF-FRAMES line in:\n${run.lines.join("\n")}`);
        return (JSON.parse(line.slice("HANDOFF-FRAMES ".length)) as { setsPerFrame: number[] }).setsPerFrame;
    } finally {
        await simulator.close();
    }
}

const total = (groups: number[]): number => groups.reduce((sum, sets) => sum + sets, 0);

describe("hand-offs from a Task to the render thread", () => {
    let withRule: number[];
    let engineOnly: number[];
    before(async () => {
        const zip = await zipFixtureChannel("handoff");
        withRule = await setsPerFrame(zip, true);
        engineOnly = await setsPerFrame(zip, false);
    });

    it("delivers every set either way", () => {
        assert.equal(total(withRule), SETS);
        assert.equal(total(engineOnly), SETS);
    });

    it("without the rule, each set waits for a frame of its own (the engine's behaviour the rule replaces)", () => {
        assert.deepEqual(engineOnly, Array<number>(SETS).fill(1));
    });

    it("with the rule, the render thread wakes for sets between frames", () => {
        assert.ok(Math.max(...withRule) >= 3, `sets per frame: ${withRule.join(",")}`);
    });
});
