// npm run test:device (make test-device): builds the Rooibos package, sideloads it to a Roku and
// judges the report read from the device console, exactly as the simulator runner does.
import { parseArgs } from "node:util";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { buildPackage } from "../build/bsc.ts";
import { judgeReport, parseRooibosReport } from "../rooibos/report.ts";
import { toJUnitXml } from "../rooibos/junit.ts";
import { failedCount, finishRooibos } from "../rooibos/summary.ts";
import { followConsole, sideload, targetFromEnvironment, type DeviceTarget } from "./device.ts";

const USAGE = `Usage: npm run test:device [-- options]     (or: make test-device)

Builds the Rooibos test package, sideloads it to the Roku at ROKU_DEV_TARGET (developer
password in ROKU_DEV_PASSWORD), reads the report from the device console (TCP 8085) until
it ends, writes JUnit XML and fails like the simulator runner does (failed or crashed tests,
zero tests, missing report, timeout).

Options:
  --zip <path>            sideload this package instead of building one
  --timeout <s>           give up after this many seconds (default 300)
  --junit <path>          JUnit XML output (default out/junit/rooibos-device.xml)
  --package-port <n>      developer web server port (default 80)
  --console-port <n>      debug console port (default 8085)
  -h, --help              show this help`;

const { values } = parseArgs({
    options: {
        zip: { type: "string" },
        timeout: { type: "string", default: "300" },
        junit: { type: "string", default: "out/junit/rooibos-device.xml" },
        "package-port": { type: "string", default: "80" },
        "console-port": { type: "string", default: "8085" },
        help: { type: "boolean", short: "h", default: false },
    },
});
if (values.help) {
    console.log(USAGE);
    process.exit(0);
}

let target: DeviceTarget;
try {
    target = {
        ...targetFromEnvironment(),
        packagePort: Number(values["package-port"]),
        consolePort: Number(values["console-port"]),
    };
} catch (error) {
    finishRooibos(0, 1, (error as Error).message);
}

let zip = values.zip;
if (!zip) {
    const build = await buildPackage("bsconfig.tests.json");
    if (!build.ok) finishRooibos(0, 1, "test package did not build");
    zip = build.outFile;
}

try {
    const session = await followConsole(target, {
        timeoutMs: Number(values.timeout) * 1000,
        // The same end marker the simulator runner waits for; a device keeps the app open otherwise.
        isDone: (line) => /^\[Rooibos Shutdown\]/.test(line),
        onLine: (line) => console.log(line),
    });
    try {
        console.error(`test:device: ${await sideload(target, zip)} to ${target.host}`);
    } catch (error) {
        session.close();
        throw error;
    }
    const lines = await session.finished;
    const report = parseRooibosReport(lines);
    if (report) {
        await mkdir(dirname(values.junit), { recursive: true });
        await writeFile(values.junit, toJUnitXml(report, "rooibos-device"));
    }
    const verdict = judgeReport(report);
    finishRooibos(report?.totals.passed ?? 0, failedCount(report, verdict.ok), verdict.reason);
} catch (error) {
    finishRooibos(0, 1, (error as Error).message);
}
