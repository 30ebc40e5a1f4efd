// The closing lines every Rooibos runner prints (simulator and device alike), and its exit code.
import type { RooibosReport } from "./report.ts";

/** Failed count for the summary: failed + crashed tests, and at least 1 when the verdict failed. */
export function failedCount(report: RooibosReport | undefined, ok: boolean): number {
    const failed = report ? report.totals.failed + report.totals.crashed : 0;
    return ok ? failed : Math.max(1, failed);
}

/** Prints "rooibos: <reason>" and "rooibos: N passed, N failed", then exits (1 unless all passed). */
export function finishRooibos(passed: number, failed: number, reason: string): never {
    console.log(`rooibos: ${reason}`);
    console.log(`rooibos: ${passed} passed, ${failed} failed`);
    process.exit(failed > 0 || passed === 0 ? 1 : 0);
}
