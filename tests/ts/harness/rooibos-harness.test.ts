// The harness must fail when the channel's tests fail: these packages are broken on purpose.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Simulator } from "../../../tools/sim/simulator.ts";
import { runRooibosPackage } from "../../../tools/rooibos/run.ts";
import { buildSpecPackage } from "../../../tools/rooibos/fixture-package.ts";

const TIMEOUT_MS = 60_000;
let simulator: Simulator;

before(async () => {
    simulator = await Simulator.launch();
});
after(async () => {
    await simulator.close();
});

async function runFixture(name: string) {
    const build = await buildSpecPackage(`tests/fixtures/harness/${name}`, `harness-${name}`);
    assert.ok(build.ok, `fixture ${name} should build: ${build.problems.join("; ")}`);
    return runRooibosPackage(simulator, build.outFile, { timeoutMs: TIMEOUT_MS });
}

describe("Rooibos harness honesty", () => {
    it("fails a package with a failing assertion, and says which test", async () => {
        const run = await runFixture("failing");
        assert.equal(run.ok, false);
        assert.match(run.reason, /1 failed, 0 crashed of 2/);
        const failed = run.report?.tests.find((test) => test.status === "fail");
        assert.equal(failed?.name, "fails on purpose");
        assert.ok(failed?.details.some((line) => line.includes('expected "2 (Integer)" to equal "3 (Integer)"')));
    });

    it("fails a package whose test crashes", async () => {
        const run = await runFixture("crashing");
        assert.equal(run.ok, false);
        assert.match(run.reason, /0 failed, 1 crashed of 1/);
        assert.equal(run.report?.tests[0]?.status, "crash");
    });

    it("fails a package with no tests even though Rooibos says Success", async () => {
        const run = await runFixture("empty");
        assert.equal(run.report?.success, true, "Rooibos itself reports success for zero tests");
        assert.equal(run.ok, false);
        assert.equal(run.reason, "zero tests executed");
    });

    it("refuses to build a package with a compile error", async () => {
        const build = await buildSpecPackage("tests/fixtures/harness/compile-error", "harness-compile-error");
        assert.equal(build.ok, false);
        assert.ok(
            build.problems.some((problem) => /NoSuchFunction/.test(problem)),
            build.problems.join("\n"),
        );
    });

    it("passes the channel's own test package", async () => {
        const build = await buildSpecPackage("tests/spec", "harness-channel-specs");
        assert.ok(build.ok, build.problems.join("; "));
        const run = await runRooibosPackage(simulator, build.outFile, { timeoutMs: TIMEOUT_MS });
        assert.equal(run.ok, true, run.reason);
        assert.ok((run.report?.totals.passed ?? 0) > 0);
    });
});
