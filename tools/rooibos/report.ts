// Reads the Rooibos console report (the `[START TEST REPORT]` ... `[END TEST REPORT]` block).
export type TestStatus = "pass" | "fail" | "crash" | "ignored";

export interface TestCase {
    suite: string;
    group: string;
    name: string;
    status: TestStatus;
    durationMs: number;
    /** `file:///...:line` of the test. */
    location: string;
    /** Failure or crash details (message, where, stack). */
    details: string[];
}

export interface RooibosTotals {
    total: number;
    passed: number;
    crashed: number;
    failed: number;
    ignored: number;
}

export interface RooibosReport {
    totals: RooibosTotals;
    /** Rooibos' own verdict line: `RESULT: Success` or `RESULT: Fail`. */
    success: boolean;
    tests: TestCase[];
}

const STATUS: Record<string, TestStatus> = { PASS: "pass", FAIL: "fail", CRASH: "crash", IGNORED: "ignored" };
const TEST_LINE = /^\s*[-|]\s*\|--(.*?)\s*:?\s*\.+(PASS|FAIL|CRASH|IGNORED)\s*\((-?\d+)ms\)\s*$/;
/** A parameterised test: its name line has no status; one status line per parameter set follows. */
const PARAMS_HEADER_LINE = /^\s*[-|]\s*\|--(.*?)\s*:\s*$/;
const PARAMS_LINE = /^\s*\|\s{3}\|--\[/;
const SUITE_LINE = /^\s{1,2}(\S.*?)\s+(file:\/\/\S+:\d+)\s*$/;
const GROUP_LINE = /^\s*\|-(?!-)(.*)$/;
const LOCATION_LINE = /^\s*\|\s+\|--Test\s*:\s*(file:\/\/\S+:\d+)\s*$/;
const DETAIL_LINE = /^\s*\|\s+\|--(?!Test\s*:)(.*)$/;
const TOTAL_LINE = /^\s*(Total|Passed|Crashed|Failed|Ignored):\s*(\d+)\s*$/;
const VERBOSE_IT = /^>>>>>> It: (.*?)>*\s*$/;
const VERBOSE_LOCATION = /^\s*Location:\s*(file:\/\/\S+:\d+)\s*$/;

/**
 * Parses the report out of a run's console lines. Returns undefined when no complete report
 * (start and end markers and a totals block) is present.
 */
export function parseRooibosReport(lines: string[]): RooibosReport | undefined {
    const start = lines.findIndex((line) => line.includes("[START TEST REPORT]"));
    const end = lines.findIndex((line, index) => index > start && line.includes("[END TEST REPORT]"));
    if (start < 0 || end < 0) return undefined;

    const fullNames = fullTestNames(lines.slice(0, start));
    const totals: Partial<Record<string, number>> = {};
    const tests: TestCase[] = [];
    let success: boolean | undefined;
    let suite = "";
    let group = "";
    let current: TestCase | undefined;
    let paramsHeader: { name: string; location: string } | undefined;

    for (const line of lines.slice(start + 1, end)) {
        let match: RegExpMatchArray | null;
        if ((match = line.match(TEST_LINE))) {
            const isParams = paramsHeader !== undefined && PARAMS_LINE.test(line);
            if (!isParams) paramsHeader = undefined;
            current = {
                suite,
                group,
                name: paramsHeader ? `${paramsHeader.name} ${match[1] ?? ""}` : (match[1] ?? ""),
                status: STATUS[match[2] ?? ""] ?? "fail",
                durationMs: Number(match[3]),
                location: paramsHeader?.location ?? "",
                details: [],
            };
            tests.push(current);
        } else if ((match = line.match(PARAMS_HEADER_LINE))) {
            paramsHeader = { name: match[1] ?? "", location: "" };
            current = undefined;
        } else if (paramsHeader && !current && (match = line.match(LOCATION_LINE))) {
            paramsHeader.location = match[1] ?? "";
            // Verbose lines name each parameter set "<test> <index>"; keep the test's own name.
            const full = fullNames.get(paramsHeader.location)?.replace(/ \d+$/, "");
            if (full?.startsWith(paramsHeader.name.replace(/\.+$/, ""))) paramsHeader.name = full;
        } else if (current && (match = line.match(LOCATION_LINE))) {
            current.location = match[1] ?? "";
            current.name = fullNames.get(current.location) ?? current.name;
        } else if (current && (match = line.match(DETAIL_LINE))) {
            current.details.push((match[1] ?? "").trim());
        } else if ((match = line.match(GROUP_LINE))) {
            group = (match[1] ?? "").trim();
            current = undefined;
            paramsHeader = undefined;
        } else if ((match = line.match(TOTAL_LINE))) {
            totals[(match[1] ?? "").toLowerCase()] = Number(match[2]);
        } else if (/^\s*RESULT:\s*(Success|Fail)/.test(line)) {
            success = /Success/.test(line);
        } else if ((match = line.match(SUITE_LINE))) {
            suite = match[1] ?? "";
            group = "";
            current = undefined;
        } else if (current && /^\s*\|\s{3,}\S/.test(line)) {
            current.details.push(line.replace(/^\s*\|\s+/, "").trim());
        }
    }
    const keys = ["total", "passed", "crashed", "failed", "ignored"] as const;
    if (success === undefined || keys.some((key) => totals[key] === undefined)) return undefined;
    const [total, passed, crashed, failed, ignored] = keys.map((key) => totals[key] ?? 0) as [number, number, number, number, number];
    return { totals: { total, passed, crashed, failed, ignored }, success, tests };
}

/** Full test names by location, from the verbose `>>>>>> It:` lines (the report truncates long names). */
function fullTestNames(lines: string[]): Map<string, string> {
    const names = new Map<string, string>();
    let pending: string | undefined;
    for (const line of lines) {
        const it = line.match(VERBOSE_IT);
        if (it) {
            pending = it[1];
            continue;
        }
        const location = line.match(VERBOSE_LOCATION);
        if (location && pending !== undefined) {
            names.set(location[1] ?? "", pending);
            pending = undefined;
        }
    }
    return names;
}

export interface Verdict {
    ok: boolean;
    reason: string;
}

/**
 * The runner's verdict. Stricter than Rooibos' own: zero executed tests, a missing report, or
 * totals that disagree with the listed tests all fail.
 */
export function judgeReport(report: RooibosReport | undefined): Verdict {
    if (!report) return { ok: false, reason: "no complete Rooibos report in the console output" };
    const { total, passed, failed, crashed, ignored } = report.totals;
    if (total === 0 || passed + failed + crashed === 0) return { ok: false, reason: "zero tests executed" };
    if (failed > 0 || crashed > 0) return { ok: false, reason: `${failed} failed, ${crashed} crashed of ${total}` };
    if (!report.success) return { ok: false, reason: "Rooibos reported RESULT: Fail" };
    const listed = report.tests.filter((test) => test.status !== "ignored").length;
    if (listed !== total - ignored) {
        return { ok: false, reason: `report lists ${listed} tests but its totals say ${total - ignored}` };
    }
    return { ok: true, reason: `${passed} passed` };
}
