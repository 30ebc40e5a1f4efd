// The device probe's report as the host sees it: the keys the channel writes, and a reader that
// picks the report (one console line, or numbered parts of a long one) or a crash out of the
// console, one line at a time. docs/device-probe.md explains every key.

/** Every key the probe channel writes, in the order it asks; each is one question. */
export const REPORT_KEYS = [
    "probe",
    "device",
    "byteArray.hasIfArraySlice",
    "byteArray.sliceCall",
    "parseJson.types",
    "parseJson.typesFlagD",
    "longInteger.and64",
    "memory.appMemoryMonitor",
    "cost.taskFieldSet",
    "handoff.taskToTask",
    "cost.fileWrite64k",
    "socket.drainedReceive",
    "socket.bindInUse",
    "spool.getToFile",
    "spool.postFromFileToFile",
    "spool.cancel",
    "spool.error503",
    "urlEvent.headers503",
] as const;

export type ProbeReport = Record<string, unknown>;

export type ConsoleVerdict = { kind: "report"; report: ProbeReport } | { kind: "failed"; reason: string };

/** Keys of REPORT_KEYS the report lacks (a channel from another version of the probe). */
export function missingKeys(report: ProbeReport): string[] {
    return REPORT_KEYS.filter((key) => !(key in report));
}

/** Parses the report text; throws with a short reason when it is not a JSON object. */
export function parseReport(text: string): ProbeReport {
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (error) {
        throw new Error(`the report is not JSON (${(error as Error).message}; ${text.length} characters)`, { cause: error });
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("the report is not a JSON object");
    return value as ProbeReport;
}

/**
 * Lines that mean the channel stopped: BrightScript's runtime and compile errors and its debugger.
 * "BRIGHTSCRIPT: ERROR:" lines are not among them: the probe pokes at calls that may be missing,
 * and the firmware reports some of those on the console even though the probe recovers.
 */
const CRASH_PATTERNS: RegExp[] = [/\((?:runtime|compile) error &h[0-9a-f]+\)/i, /Brightscript Debugger>/i, /BrightScript Micro Debugger/i];

const SINGLE = /\[probe\] report (\{.*)$/;
const BEGIN = /\[probe\] report-begin parts=(\d+)/;
const PART = /\[probe\] report-part (\d+)\/(\d+) (.*)$/;
const END = /\[probe\] report-end\b/;

/** Reads the probe's console. `feed` returns a verdict on the line that settles the run. */
export class ConsoleReader {
    private parts: Array<string | undefined> | undefined;
    /** The last "[probe] ..." progress line, to say where a run that timed out had got to. */
    lastProgress: string | undefined;

    feed(line: string): ConsoleVerdict | undefined {
        if (CRASH_PATTERNS.some((pattern) => pattern.test(line))) return { kind: "failed", reason: `BrightScript error: ${line.trim()}` };
        const single = SINGLE.exec(line);
        if (single) return this.settle(single[1] ?? "");
        const begin = BEGIN.exec(line);
        if (begin) {
            this.parts = new Array<string | undefined>(Number(begin[1])).fill(undefined);
            return undefined;
        }
        const part = PART.exec(line);
        if (part) {
            const index = Number(part[1]) - 1;
            if (this.parts && index >= 0 && index < this.parts.length) this.parts[index] = part[3] ?? "";
            return undefined;
        }
        if (END.test(line)) {
            const parts = this.parts ?? [];
            this.parts = undefined;
            const missing = parts.flatMap((text, index) => (text === undefined ? [index + 1] : []));
            if (parts.length === 0 || missing.length > 0) {
                return { kind: "failed", reason: `the console report is incomplete (parts missing: ${missing.join(", ") || "all"})` };
            }
            return this.settle(parts.join(""));
        }
        if (/\[probe\] /.test(line)) this.lastProgress = line.trim();
        return undefined;
    }

    private settle(text: string): ConsoleVerdict {
        try {
            return { kind: "report", report: parseReport(text) };
        } catch (error) {
            return { kind: "failed", reason: (error as Error).message };
        }
    }
}
