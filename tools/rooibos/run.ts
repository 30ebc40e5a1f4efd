// Runs a Rooibos test package in the simulator and judges the result.
import type { Simulator } from "../sim/simulator.ts";
import { judgeReport, parseRooibosReport, type RooibosReport } from "./report.ts";

export interface RooibosRun {
    ok: boolean;
    /** One line: why the run passed or failed. */
    reason: string;
    report?: RooibosReport;
    lines: string[];
}

/**
 * Runs `zip` until Rooibos exits the app (keepAppOpen is false) or the timeout passes.
 * The app must exit normally *and* the report must pass `judgeReport`.
 */
export async function runRooibosPackage(
    simulator: Simulator,
    zip: string,
    options: { timeoutMs: number; onLine?: (line: string) => void },
): Promise<RooibosRun> {
    const result = await simulator.run(zip, {
        timeoutMs: options.timeoutMs,
        onLine: options.onLine,
        // Rooibos prints this after the report; on a device with keepAppOpen the app would stay up.
        until: /^\[Rooibos Shutdown\]/,
    });
    const report = parseRooibosReport(result.lines);
    if (result.outcome === "timeout" || result.outcome === "crashed") {
        return { ok: false, reason: result.reason, report, lines: result.lines };
    }
    const verdict = judgeReport(report);
    return { ok: verdict.ok, reason: verdict.reason, report, lines: result.lines };
}
