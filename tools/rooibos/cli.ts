// npm run test:brs: builds the Rooibos test package, runs it in the simulator, writes JUnit XML.
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import type { BsConfig } from "brighterscript";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, relative } from "node:path";
import { buildPackage } from "../build/bsc.ts";
import { Simulator } from "../sim/simulator.ts";
import { toJUnitXml } from "./junit.ts";
import { runRooibosPackage } from "./run.ts";
import { failedCount, finishRooibos } from "./summary.ts";

const USAGE = `Usage: npm run test:brs [-- options]

Builds the Rooibos test package (bsconfig.tests.json -> out/tests.zip), runs it in the
simulator, prints the Rooibos report and writes JUnit XML.

Options:
  --zip <path>      run this test package instead of building one
  --timeout <s>     give up after this many seconds (default 300)
  --junit <path>    where to write JUnit XML (default out/junit/rooibos.xml)
  --specs <glob>    build only these specs (a glob such as "tests/spec/cacheWriter/**/*", or one
                    spec file; every spec helper comes along; default every spec)
  --out <dir>       build into this folder instead of out/ (lets two runs build side by side)
  --verbose         stream the whole console, not only the report
  -h, --help        show this help

Fails (exit 1) on a build problem, a failed or crashed test, a missing report, zero tests
executed, a crash of the app, or a timeout. The last line is "rooibos: N passed, N failed".`;

const { values } = parseArgs({
    options: {
        zip: { type: "string" },
        timeout: { type: "string", default: "300" },
        junit: { type: "string", default: "out/junit/rooibos.xml" },
        specs: { type: "string" },
        out: { type: "string" },
        verbose: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
    },
});
if (values.help) {
    console.log(USAGE);
    process.exit(0);
}

let zip = values.zip;
if (!zip) {
    const build = await buildPackage("bsconfig.tests.json", testPackageOverrides(values.specs, values.out));
    if (!build.ok) finishRooibos(0, 1, `test package did not build (${build.problems.length} problem(s))`);
    zip = build.outFile;
}

const simulator = await Simulator.launch();
let run;
try {
    let inReport = false;
    run = await runRooibosPackage(simulator, zip, {
        timeoutMs: Number(values.timeout) * 1000,
        onLine: (line) => {
            if (line.includes("[START TEST REPORT]")) inReport = true;
            if (values.verbose || inReport) console.log(line);
            if (line.includes("[END TEST REPORT]")) inReport = false;
        },
    });
} finally {
    await simulator.close();
}

if (!run.ok && !values.verbose) {
    console.log("---- last console lines ----");
    for (const line of run.lines.slice(-30)) console.log(line);
}
if (run.report) {
    await mkdir(dirname(values.junit), { recursive: true });
    await writeFile(values.junit, toJUnitXml(run.report));
}
finishRooibos(run.report?.totals.passed ?? 0, failedCount(run.report, run.ok), run.reason);

/**
 * The files entry for `--specs`: a glob keeps its folders under `dest`; a single file (no glob
 * characters) names its own destination, which bsc takes literally.
 */
function specFiles(specs: string, dest: string): { src: string; dest: string } {
    if (/[*?[\]{}]/.test(specs)) return { src: specs, dest };
    return { src: specs, dest: `${dest}/${relative("tests/spec", specs)}` };
}

/** Every spec helper (fakes, fixtures: the .bs files that are not specs), so any subset of specs builds. */
function specHelpers(dest: string): Array<string | { src: string; dest: string }> {
    return [{ src: "tests/spec/**/*.bs", dest }, "!tests/spec/**/*.spec.bs"];
}

/** bsc overrides for a partial or side-by-side build of the test package. */
function testPackageOverrides(specs: string | undefined, out: string | undefined): BsConfig {
    const overrides: BsConfig = {};
    if (out) {
        overrides.stagingDir = `${out}/staging`;
        overrides.outFile = `${out}/tests.zip`;
    }
    if (specs) {
        const config = JSON.parse(readFileSync("bsconfig.tests.json", "utf8")) as { files: Array<string | { src: string; dest: string }> };
        overrides.files = config.files.flatMap((entry) =>
            typeof entry === "object" && entry.src === "tests/spec/**/*"
                ? [...specHelpers(entry.dest), specFiles(specs, entry.dest)]
                : [entry],
        );
    }
    return overrides;
}
