// npm test: every check the project has, in one run. Ends with "N passed, N failed".
// Checks without their own test counts (type-check, lint, build) count as one test each.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { findFiles } from "./find-files.ts";

interface Step {
    name: string;
    command: string[];
    /** Reads passed/failed counts from the step's output; undefined means "count the exit code as one test". */
    counts?: (output: string) => { passed: number; failed: number } | undefined;
    /** Runs before the step (e.g. removes a stale report the counts would otherwise read). */
    before?: () => void;
}

const TAP_DIR = "out/test-results/ts";

/** The pass/fail counts at the end of a TAP file; cancelled tests count as failed. */
function tapCounts(tapFile: string): { passed: number; failed: number } | undefined {
    let tap: string;
    try {
        tap = readFileSync(tapFile, "utf8");
    } catch {
        return undefined;
    }
    const pass = tap.match(/^# pass (\d+)$/m);
    const fail = tap.match(/^# fail (\d+)$/m);
    const cancelled = tap.match(/^# cancelled (\d+)$/m);
    if (!pass || !fail) return undefined;
    return { passed: Number(pass[1]), failed: Number(fail[1]) + Number(cancelled?.[1] ?? 0) };
}

/** One step per TypeScript test file, so the summary shows what each file costs. */
function typeScriptStep(file: string): Step {
    const tapFile = `${TAP_DIR}/${file.replace(/^tests\/ts\//, "").replace(/[\\/]/g, "__")}.tap`;
    return {
        name: file,
        command: [
            process.execPath,
            "--import",
            "tsx",
            "--test",
            "--test-reporter=spec",
            "--test-reporter-destination=stdout",
            "--test-reporter=tap",
            `--test-reporter-destination=${tapFile}`,
            file,
        ],
        before: () => rmSync(tapFile, { force: true }),
        counts: () => tapCounts(tapFile),
    };
}

function rooibosCounts(output: string): { passed: number; failed: number } | undefined {
    const match = [...output.matchAll(/^rooibos: (\d+) passed, (\d+) failed$/gm)].pop();
    return match ? { passed: Number(match[1]), failed: Number(match[2]) } : undefined;
}

const bin = (name: string) => `node_modules/.bin/${name}`;
const steps: Step[] = [
    { name: "type-check (tsc)", command: [bin("tsc"), "-p", "tsconfig.json"] },
    // The worker and page scripts (plain JS, `// @ts-check`) have their own settings.
    { name: "type-check simulator worker scripts (tsc)", command: [bin("tsc"), "-p", "tools/sim/worker"] },
    { name: "type-check bridge worker scripts (tsc)", command: [bin("tsc"), "-p", "tools/bridge/worker"] },
    { name: "type-check bridge page script (tsc)", command: [bin("tsc"), "-p", "tools/bridge/worker/tsconfig.page.json"] },
    { name: "lint TypeScript (eslint)", command: [bin("eslint"), "."] },
    { name: "format TypeScript (prettier --check)", command: [bin("prettier"), "--check", "."] },
    { name: "format BrighterScript (bsfmt --check)", command: [bin("bsfmt"), "--check"] },
    { name: "lint BrightScript (bslint)", command: [bin("bslint"), "--project", "bsconfig.lint.json"] },
    { name: "Roku API check (documented calls, minimum OS)", command: [bin("tsx"), "tools/lint/roku-api-check.ts"] },
    { name: "doc reference check (docs/*.md § sections, links)", command: [bin("tsx"), "tools/lint/doc-refs.ts"] },
    { name: "build channel (bsc)", command: [bin("tsx"), "tools/build/cli.ts"] },
    ...findFiles("tests/ts", ".test.ts").map(typeScriptStep),
    { name: "Rooibos suites in the simulator", command: [bin("tsx"), "tools/rooibos/cli.ts"], counts: rooibosCounts },
];

function runStep(step: Step): Promise<{ code: number; output: string }> {
    return new Promise((resolve) => {
        const [command, ...args] = step.command as [string, ...string[]];
        const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        const relay = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
            output += chunk.toString();
            stream.write(chunk);
        };
        child.stdout.on("data", relay(process.stdout));
        child.stderr.on("data", relay(process.stderr));
        child.on("error", (error) => resolve({ code: 127, output: `${output}\n${error.message}` }));
        child.on("close", (code) => resolve({ code: code ?? 1, output }));
    });
}

mkdirSync(TAP_DIR, { recursive: true });
let passed = 0;
let failed = 0;
const summary: string[] = [];
for (const step of steps) {
    console.log(`\n=== ${step.name} ===`);
    const started = Date.now();
    step.before?.();
    const { code, output } = await runStep(step);
    let counts = step.counts?.(output) ?? { passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1 };
    // A step that failed must never count as all-green, whatever its output claimed.
    if (code !== 0 && counts.failed === 0) counts = { ...counts, failed: 1 };
    passed += counts.passed;
    failed += counts.failed;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    summary.push(`${counts.failed === 0 ? "ok  " : "FAIL"} ${step.name}: ${counts.passed} passed, ${counts.failed} failed (${seconds} s)`);
}
console.log(`\n=== summary ===\n${summary.join("\n")}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
