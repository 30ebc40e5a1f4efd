// npm run device-probe -- --sim: the real probe channel in the simulator (network bridge, local
// origin, report receiver) produces a report with every key. What the values say depends on the
// simulator's device rules and on timing, so only the report's shape is checked.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { runTool } from "../support/run-tool.ts";
import { REPORT_KEYS } from "../../../tools/device-probe/report.ts";

const OUT = "out/test-results/device-probe/report-sim.json";

describe("npm run device-probe -- --sim", () => {
    it("runs the probe channel in the simulator and writes a report with every key", { timeout: 900_000 }, async () => {
        const result = await runTool("tools/device-probe/cli.ts", ["--sim", "--timeout", "600", "--out", OUT], { timeoutMs: 890_000 });
        assert.equal(result.code, 0, result.stderr.split("\n").slice(-30).join("\n"));
        const report = JSON.parse(readFileSync(OUT, "utf8")) as Record<string, unknown>;
        const missing = REPORT_KEYS.filter((key) => !(key in report));
        assert.deepEqual(missing, [], `keys missing from the report: ${missing.join(", ")}`);
        assert.deepEqual(JSON.parse(result.stdout), report);
        const probe = report.probe as Record<string, unknown>;
        assert.equal(probe.paramsFrom, "pkg:/probe.json");
        assert.equal(probe.name, "ytsabr-device-probe");
        assert.equal((report.collectedBy as Record<string, unknown>).target, "simulator");
        // Each question was asked against the origin the CLI started (no "no originUrl" answers).
        for (const key of REPORT_KEYS.filter((name) => name.startsWith("spool.") || name.startsWith("urlEvent."))) {
            assert.doesNotMatch(JSON.stringify(report[key]), /no originUrl/, key);
        }
    });
});
