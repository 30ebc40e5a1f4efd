// Simulator.run as a library: stopping a run from outside.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Simulator } from "../../../tools/sim/simulator.ts";
import { zipFixtureChannel } from "../support/fixture-channels.ts";

let simulator: Simulator;
before(async () => {
    simulator = await Simulator.launch();
});
after(async () => {
    await simulator.close();
});

describe("Simulator.run", () => {
    it("ends with outcome 'stopped' when its signal aborts", async () => {
        const zip = await zipFixtureChannel("runs-forever");
        const controller = new AbortController();
        const result = await simulator.run(zip, {
            timeoutMs: 30_000,
            signal: controller.signal,
            onLine: (line) => {
                if (line.includes("waiting forever")) controller.abort();
            },
        });
        assert.equal(result.outcome, "stopped");
        assert.ok(result.durationMs < 30_000);
    });
});
