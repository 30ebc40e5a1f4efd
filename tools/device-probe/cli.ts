// npm run device-probe (make device-probe): sideloads a small diagnostic channel to a Roku, serves
// it the local origin and a report receiver on the LAN, and collects the one JSON report in
// which the device answers what Roku's documentation leaves open (docs/device-probe.md).
// With --sim the same channel runs in the simulator instead.
import { parseArgs } from "node:util";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { startOrigin, type OriginHandle } from "../origin/server.ts";
import { Simulator } from "../sim/simulator.ts";
import { followConsole, sideload, targetFromEnvironment, type ConsoleSession, type DeviceTarget } from "../deploy/device.ts";
import { buildProbe, type ProbeLaunchParams } from "./build.ts";
import { ConsoleReader, missingKeys, type ConsoleVerdict, type ProbeReport } from "./report.ts";
import { freeLoopbackPort, localAddressFor, startReportReceiver, type ReportReceiver } from "./receiver.ts";

const USAGE = `Usage: npm run device-probe [-- options]     (or: make device-probe PROBE_ARGS="...")

Asks a Roku what its documentation leaves open (docs/device-probe.md). Builds the probe
channel (tools/device-probe/channel), starts the local origin and a report receiver on this
machine's LAN address, sideloads the probe to the Roku at ROKU_DEV_TARGET (developer password
in ROKU_DEV_PASSWORD), launches it through ECP with reportUrl, originUrl and listenPort as
launch parameters, and follows the debug console (TCP 8085). The report comes back on the
console and as a POST, whichever arrives first; it is printed as JSON on stdout and written to
--out. Exit 0 with a report; 1 with a one-line reason (crash, timeout, no device, bad option).

Options:
  --sim                   run the probe in the simulator instead of on a device (no
                          ROKU_DEV_TARGET needed); default --out out/device-probe/report-sim.json
  --timeout <s>           seconds to wait for the report after the launch (default 180;
                          300 with --sim)
  --out <path>            where the report goes (default out/device-probe/report.json)
  --zip <path>            sideload this package instead of building the probe
  --host-address <ip>     this machine's address as the Roku reaches it (default: the
                          address of the interface that routes to ROKU_DEV_TARGET)
  --origin-port <n>       port of the local origin (default 0: any free port)
  --report-port <n>       port of the report receiver (default 0: any free port)
  --listen-port <n>       loopback port the probe's socket questions use on the device
                          (default 7095)
  --package-port <n>      developer web server port (default 80)
  --console-port <n>      debug console port (default 8085)
  --ecp-port <n>          ECP port (default 8060)
  -h, --help              show this help

Environment: ROKU_DEV_TARGET (the Roku's IP address), ROKU_DEV_PASSWORD (its developer
password). Your firewall must let the Roku reach this machine on the two ports printed.`;

export type ProbeOutcome = { ok: true; report: ProbeReport; via: "console" | "post" } | { ok: false; reason: string };

interface CommonOptions {
    timeoutS: number;
    zip?: string;
    listenPort: number;
    originPort: number;
    reportPort: number;
    /** Console lines of the channel, as they arrive. */
    onLine: (line: string) => void;
    onProgress: (message: string) => void;
}

export interface DeviceProbeOptions extends CommonOptions {
    target: DeviceTarget;
    ecpPort: number;
    hostAddress?: string;
}

/** One line, whatever the error carried. */
function oneLine(text: string): string {
    return text.replace(/\s*\n\s*/g, " | ").trim();
}

/** Starts the origin and the receiver; both answer on `bindHost`, the channel uses `address`. */
async function startHostSide(bindHost: string, address: string, options: CommonOptions) {
    const origin: OriginHandle = await startOrigin({
        host: bindHost,
        port: options.originPort,
        onLog: (line) => options.onProgress(`origin: ${line}`),
    });
    let receiver: ReportReceiver;
    try {
        receiver = await startReportReceiver(bindHost, options.reportPort);
    } catch (error) {
        await origin.close();
        throw error;
    }
    const params: ProbeLaunchParams = {
        originUrl: `http://${address}:${origin.port}`,
        reportUrl: `http://${address}:${receiver.port}/report`,
        listenPort: options.listenPort,
    };
    options.onProgress(`origin on ${params.originUrl} (bound ${bindHost}), report receiver on ${params.reportUrl}`);
    return {
        params,
        receiver,
        close: async () => {
            await Promise.all([origin.close(), receiver.close()]);
        },
    };
}

/** Launches the sideloaded channel through ECP with the probe's launch parameters. */
export async function launchProbe(host: string, ecpPort: number, params: ProbeLaunchParams): Promise<void> {
    const query = new URLSearchParams({ reportUrl: params.reportUrl, originUrl: params.originUrl, listenPort: String(params.listenPort) });
    let response: Response;
    try {
        response = await fetch(`http://${host}:${ecpPort}/launch/dev?${query}`, { method: "POST", signal: AbortSignal.timeout(10_000) });
    } catch (error) {
        throw new Error(`ECP launch on ${host}:${ecpPort}: ${(error as Error).message}`, { cause: error });
    }
    if (!response.ok) {
        const hint =
            response.status === 403
                ? " (set Settings > System > Advanced system settings > Control by mobile apps to Enabled or Permissive)"
                : "";
        throw new Error(`ECP launch on ${host}:${ecpPort} answered ${response.status}${hint}`);
    }
}

/** Waits for the first of: a console verdict, a POSTed report, the end of `timeoutMs`, `ended`. */
async function firstAnswer(
    consoleVerdict: Promise<ConsoleVerdict>,
    receiver: ReportReceiver,
    timeoutMs: number,
    timedOut: () => string,
    ended?: Promise<string>,
): Promise<ProbeOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ProbeOutcome>((res) => (timer = setTimeout(() => res({ ok: false, reason: timedOut() }), timeoutMs)));
    const fromConsole = consoleVerdict.then<ProbeOutcome>((verdict) =>
        verdict.kind === "report" ? { ok: true, report: verdict.report, via: "console" } : { ok: false, reason: verdict.reason },
    );
    const fromPost = receiver.received.then<ProbeOutcome>((report) => ({ ok: true, report, via: "post" }));
    const racers = [fromConsole, fromPost, timeout];
    if (ended) racers.push(ended.then<ProbeOutcome>((reason) => ({ ok: false, reason })));
    try {
        return await Promise.race(racers);
    } finally {
        clearTimeout(timer);
    }
}

function readerWithVerdict(onLine: (line: string) => void) {
    const reader = new ConsoleReader();
    let settle: (verdict: ConsoleVerdict) => void = () => undefined;
    const verdict = new Promise<ConsoleVerdict>((res) => (settle = res));
    let settled = false;
    const feed = (line: string): boolean => {
        if (settled) return true;
        // The report line itself is long; the person watching gets its size instead.
        onLine(/\[probe\] report(-part)? /.test(line) ? `${line.slice(0, 60)}... (${line.length} characters)` : line);
        const result = reader.feed(line);
        if (result) {
            settled = true;
            settle(result);
        }
        return settled;
    };
    return { reader, verdict, feed };
}

/** The probe on a Roku: never throws; every failure is an outcome with a reason. */
export async function runDeviceProbe(options: DeviceProbeOptions): Promise<ProbeOutcome> {
    let host: Awaited<ReturnType<typeof startHostSide>> | undefined;
    let session: ConsoleSession | undefined;
    try {
        const address = options.hostAddress ?? (await localAddressFor(options.target.host));
        const zip = options.zip ?? (await buildProbe("out/device-probe/device"));
        host = await startHostSide("0.0.0.0", address, options);
        const { reader, verdict, feed } = readerWithVerdict(options.onLine);
        try {
            // Before sideloading: the console only shows what is printed while a client is connected.
            session = await followConsole(options.target, {
                timeoutMs: (options.timeoutS + 600) * 1000,
                isDone: feed,
                onLine: () => undefined,
            });
            session.finished.catch((error: Error) => options.onProgress(`${error.message}; still waiting for the POSTed report`));
        } catch (error) {
            options.onProgress(`${(error as Error).message}; continuing without the console (the report still comes as a POST)`);
        }
        options.onProgress(`${await sideload(options.target, zip)} (${zip} to ${options.target.host})`);
        await launchProbe(options.target.host, options.ecpPort, host.params);
        options.onProgress(`launched dev on ${options.target.host}; waiting up to ${options.timeoutS} s for the report`);
        const where = () => (reader.lastProgress ? `; last probe line: ${reader.lastProgress}` : "; the probe printed nothing");
        return await firstAnswer(
            verdict,
            host.receiver,
            options.timeoutS * 1000,
            () => `no report within ${options.timeoutS} s of the launch${where()}`,
        );
    } catch (error) {
        return { ok: false, reason: (error as Error).message };
    } finally {
        session?.close();
        await host?.close();
    }
}

export interface SimProbeOptions extends CommonOptions {
    /** Build folder of the probe package with its pkg:/probe.json (default out/device-probe/sim). */
    outDir?: string;
}

/** The same probe in the simulator with the network bridge, against a loopback origin. */
export async function runSimProbe(options: SimProbeOptions): Promise<ProbeOutcome & { simulator?: Record<string, unknown> }> {
    let host: Awaited<ReturnType<typeof startHostSide>> | undefined;
    let simulator: Simulator | undefined;
    const stop = new AbortController();
    let run: Promise<unknown> | undefined;
    try {
        host = await startHostSide("127.0.0.1", "127.0.0.1", options);
        const zip = options.zip ?? (await buildProbe(options.outDir ?? "out/device-probe/sim", host.params));
        // The probe's port maps to one fixed host port, so a second socket on it really collides.
        const hostPort = await freeLoopbackPort();
        simulator = await Simulator.launch({ bridge: { portMap: { [options.listenPort]: hostPort } } });
        const { reader, verdict, feed } = readerWithVerdict(options.onLine);
        const started = simulator.run(zip, {
            timeoutMs: (options.timeoutS + 60) * 1000,
            signal: stop.signal,
            onLine: (line) => void feed(line),
        });
        run = started;
        const ended = started.then((result) => `the simulator run ended before a report (${result.outcome}: ${result.reason})`);
        options.onProgress(
            `running ${zip} in the simulator (probe port ${options.listenPort} -> 127.0.0.1:${hostPort}); waiting up to ${options.timeoutS} s`,
        );
        const where = () => (reader.lastProgress ? `; last probe line: ${reader.lastProgress}` : "; the probe printed nothing");
        const outcome = await firstAnswer(
            verdict,
            host.receiver,
            options.timeoutS * 1000,
            () => `no report within ${options.timeoutS} s${where()}`,
            ended,
        );
        const rules = (simulator as unknown as { deviceRules?: Record<string, unknown> }).deviceRules;
        return rules ? { ...outcome, simulator: { deviceRules: rules } } : outcome;
    } catch (error) {
        return { ok: false, reason: (error as Error).message };
    } finally {
        stop.abort();
        await run?.catch(() => undefined);
        await simulator?.close();
        await host?.close();
    }
}

function parseOptions() {
    return parseArgs({
        options: {
            sim: { type: "boolean", default: false },
            timeout: { type: "string" },
            out: { type: "string" },
            zip: { type: "string" },
            "host-address": { type: "string" },
            "origin-port": { type: "string", default: "0" },
            "report-port": { type: "string", default: "0" },
            "listen-port": { type: "string", default: "7095" },
            "package-port": { type: "string", default: "80" },
            "console-port": { type: "string", default: "8085" },
            "ecp-port": { type: "string", default: "8060" },
            help: { type: "boolean", short: "h", default: false },
        },
    }).values;
}

function portNumber(text: string, name: string, allowZero: boolean): number {
    const value = Number(text);
    if (!Number.isInteger(value) || value < (allowZero ? 0 : 1) || value > 65535)
        throw new Error(`--${name} must be a port number, not "${text}"`);
    return value;
}

function positiveSeconds(text: string, name: string): number {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number of seconds, not "${text}"`);
    return value;
}

function fail(reason: string): never {
    console.error(`device-probe: FAIL: ${oneLine(reason)}`);
    process.exit(1);
}

async function main(): Promise<void> {
    let values: ReturnType<typeof parseOptions>;
    try {
        values = parseOptions();
    } catch (error) {
        fail(`${(error as Error).message} (see --help)`);
    }
    if (values.help) {
        console.log(USAGE);
        process.exit(0);
    }
    const progress = (message: string) => console.error(`device-probe: ${message}`);
    let common: CommonOptions;
    try {
        common = {
            timeoutS: positiveSeconds(values.timeout ?? (values.sim ? "300" : "180"), "timeout"),
            listenPort: portNumber(values["listen-port"], "listen-port", false),
            originPort: portNumber(values["origin-port"], "origin-port", true),
            reportPort: portNumber(values["report-port"], "report-port", true),
            onLine: (line) => console.error(line),
            onProgress: progress,
            ...(values.zip ? { zip: values.zip } : {}),
        };
        if (values.zip && !existsSync(values.zip)) throw new Error(`no package at ${values.zip}`);
    } catch (error) {
        fail((error as Error).message);
    }
    const out = resolve(values.out ?? (values.sim ? "out/device-probe/report-sim.json" : "out/device-probe/report.json"));
    let outcome: ProbeOutcome;
    let collectedBy: Record<string, unknown>;
    if (values.sim) {
        const result = await runSimProbe(common);
        outcome = result;
        collectedBy = { target: "simulator", ...(result.simulator ?? {}) };
    } else {
        let target: DeviceTarget;
        try {
            target = {
                ...targetFromEnvironment(),
                packagePort: portNumber(values["package-port"], "package-port", false),
                consolePort: portNumber(values["console-port"], "console-port", false),
            };
        } catch (error) {
            fail((error as Error).message);
        }
        outcome = await runDeviceProbe({
            ...common,
            target,
            ecpPort: portNumber(values["ecp-port"], "ecp-port", false),
            ...(values["host-address"] ? { hostAddress: values["host-address"] } : {}),
        });
        collectedBy = { target: target.host };
    }
    if (!outcome.ok) fail(outcome.reason);
    const report = { ...outcome.report, collectedBy: { ...collectedBy, via: outcome.via, at: new Date().toISOString() } };
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify(report, null, 2));
    const missing = missingKeys(outcome.report);
    if (missing.length > 0) progress(`the report lacks ${missing.join(", ")} (a probe from another version?)`);
    progress(`report received via ${outcome.via}, written to ${out}`);
    // The simulator's Chromium and the servers are closed; nothing should keep the process alive.
    process.exit(0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
    await main();
}
