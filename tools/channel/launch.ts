// Builds the real channel with a given config/channel.json and runs it in the simulator with the
// network bridge, until its server serves the manifest. Used by `npm start`, the pipeline tests
// and the benchmarks, so all of them exercise the same package a Roku would get.
import { mkdir, writeFile } from "node:fs/promises";
import { buildPackage } from "../build/bsc.ts";
import { Simulator, type Remote, type RunResult } from "../sim/simulator.ts";
import type { DeviceRuleOverrides } from "../sim/device-rules.ts";

export interface ChannelOptions {
    /** The SABR DASH manifest the channel plays at launch; without it the channel opens on its start screen. */
    manifestUrl?: string;
    /** The companion's address (config/channel.json `companionUrl`): video ids play from its manifests. */
    companionUrl?: string;
    /** Extra ytsabrServerTask settings (Server.normalizeConfig documents them). */
    server?: Record<string, unknown>;
    /** Start the Video node too (default false: brs-engine's Video node cannot decode DASH). */
    videoPlayer?: boolean;
    /** sabrFetchWorkerTask and sabrCacheWriterTask settings (`false`: run without it); `readyTimeoutMs` defaults to SIM_READY_TIMEOUT_MS. */
    fetchWorker?: Record<string, unknown>;
    cacheWriter?: Record<string, unknown>;
    /** Build folder (out/<name>); separate folders let runs build side by side. */
    outDir: string;
    timeoutMs: number;
    headed?: boolean;
    /** Bridge send buffer per socket (bytes). */
    sendBufferBytes?: number;
    /** Extra CAs (PEM) the simulated device trusts, e.g. the TLS origin's `tls.caPem`. */
    trustedCertificates?: string[];
    /** Device rules to change from their defaults (tools/sim/device-rules.ts). */
    deviceRules?: DeviceRuleOverrides;
    /** Host ports for the channel's 7010/7011/7012 (default: any free port). */
    portMap?: Record<number, number>;
    /** Launch parameters, as a deep link gives them (e.g. `{ contentId, mediaType }`). */
    launchParams?: Record<string, string>;
    onLine?: (line: string) => void;
}

export interface RunningChannel {
    simulator: Simulator;
    /** Host ports of the channel's 7010 (manifest), 7011 (video) and 7012 (audio). */
    ports: { manifest: number; video: number; audio: number };
    /** The channel's manifest as a host client reaches it. */
    localManifestUrl: string;
    lines: string[];
    /** Resolves when the run ends (exit, crash, timeout or stop). */
    finished: Promise<RunResult>;
    /** GET /metrics of the channel's server. */
    metrics(): Promise<Record<string, unknown>>;
    /** Presses Back (graceful shutdown) and waits for the channel to exit. */
    exit(): Promise<RunResult>;
    /** A PNG of the channel's screen in the simulator. */
    screenshot(): Promise<Buffer>;
    /** The run's remote control: keys, deep links, cachefs: and memory as the system changes them. */
    remote(): Remote;
    close(): Promise<void>;
}

/** Thrown when the channel does not come up; `stage` names what failed. */
export class ChannelStartError extends Error {
    constructor(
        readonly stage: "build" | "simulator" | "channel",
        message: string,
        readonly lines: string[] = [],
    ) {
        super(`${stage}: ${message}`);
    }
}

/**
 * How long MainScene waits for a worker's `ready` in the simulator: a task there can take more
 * than the channel's 15 s default to start on a busy machine, and a worker given up too early
 * would turn every test into an inline-fetch test.
 */
export const SIM_READY_TIMEOUT_MS = 120_000;

/**
 * How long each phase of the server's shutdown may wait in the simulator (the channel's default is
 * 3 s): the simulator's file volumes slow down as files accumulate (a store of a 100 KiB segment
 * took 90 ms with 36 cache entries and 175 ms on average, p90 405 ms, with 84), so the cache
 * writer's backlog at exit can outlast 3 s there while it takes milliseconds on a device.
 */
export const SIM_SHUTDOWN_WAIT_MS = 30_000;

/** A worker's settings with the simulator's ready timeout unless they set one; `false` stays. */
function simulatorWorker(settings: Record<string, unknown> | undefined): Record<string, unknown> | false {
    if ((settings as unknown) === false) return false;
    return { readyTimeoutMs: SIM_READY_TIMEOUT_MS, ...settings };
}

/** Builds the channel package for `options` (config/channel.json replaced). Returns the zip path. */
export async function buildChannel(options: ChannelOptions): Promise<string> {
    await mkdir(options.outDir, { recursive: true });
    const channelJson = `${options.outDir}/channel.json`;
    await writeFile(
        channelJson,
        JSON.stringify(
            {
                ...(options.manifestUrl ? { manifestUrl: options.manifestUrl } : {}),
                ...(options.companionUrl ? { companionUrl: options.companionUrl } : {}),
                server: { shutdownWaitMs: SIM_SHUTDOWN_WAIT_MS, ...options.server },
                fetchWorker: simulatorWorker(options.fetchWorker),
                cacheWriter: simulatorWorker(options.cacheWriter),
                videoPlayer: options.videoPlayer ?? false,
            },
            null,
            2,
        ),
    );
    const build = await buildPackage("bsconfig.json", {
        files: [
            "manifest",
            { src: "src/**/*", dest: "source" },
            "!src/**/*.md",
            "components/**/*",
            "images/**/*",
            { src: channelJson, dest: "config/channel.json" },
        ],
        stagingDir: `${options.outDir}/staging`,
        outFile: `${options.outDir}/channel.zip`,
    });
    if (!build.ok)
        throw new ChannelStartError("build", `${build.problems.length} compiler problem(s): ${build.problems.slice(0, 3).join("; ")}`);
    return build.outFile;
}

/**
 * Builds (unless `zip` is given) and runs the channel until its server serves the manifest. A
 * `simulator` given by the caller is reused (and left open); otherwise one is launched and closed
 * with the channel.
 */
export async function launchChannel(
    options: ChannelOptions,
    prebuilt: { zip?: string; simulator?: Simulator } = {},
): Promise<RunningChannel> {
    const zip = prebuilt.zip ?? (await buildChannel(options));
    const ownSimulator = !prebuilt.simulator;
    const simulator =
        prebuilt.simulator ??
        (await Simulator.launch({
            headed: options.headed,
            deviceRules: options.deviceRules,
            bridge: {
                portMap: { 7010: 0, 7011: 0, 7012: 0, ...options.portMap },
                ...(options.sendBufferBytes ? { sendBufferBytes: options.sendBufferBytes } : {}),
                ...(options.trustedCertificates ? { trustedCertificates: options.trustedCertificates } : {}),
            },
        }).catch((error: Error) => {
            throw new ChannelStartError("simulator", error.message);
        }));
    const lines: string[] = [];
    let remote: Remote | undefined;
    let serving: (line: string) => void = () => undefined;
    const servingLine = new Promise<string>((resolve) => (serving = resolve));
    const stopRun = new AbortController();
    const finished = simulator.run(zip, {
        timeoutMs: options.timeoutMs,
        signal: stopRun.signal,
        ...(options.launchParams ? { launchParams: options.launchParams } : {}),
        onStarted: (started) => (remote = started),
        onLine: (line) => {
            lines.push(line);
            options.onLine?.(line);
            if (/\[MainScene\] status: (serving|error)/.test(line)) serving(line);
        },
    });
    const first = await Promise.race([servingLine, finished]);
    if (typeof first !== "string" || first.includes("status: error")) {
        stopRun.abort();
        await finished;
        if (ownSimulator) await simulator.close();
        const reason = typeof first === "string" ? first.trim() : first.reason;
        throw new ChannelStartError("channel", reason, lines);
    }
    const bridge = simulator.bridge!;
    const ports = { manifest: bridge.listenerPort(7010)!, video: bridge.listenerPort(7011)!, audio: bridge.listenerPort(7012)! };
    return {
        simulator,
        ports,
        localManifestUrl: `http://127.0.0.1:${ports.manifest}/manifest.mpd`,
        lines,
        finished,
        metrics: async () => (await (await fetch(`http://127.0.0.1:${ports.manifest}/metrics`)).json()) as Record<string, unknown>,
        screenshot: async () => {
            if (!remote) throw new Error("the channel has not started");
            return remote.screenshot();
        },
        remote: () => {
            if (!remote) throw new Error("the channel has not started");
            return remote;
        },
        exit: async () => {
            await remote?.sendKey("back");
            return finished;
        },
        close: async () => {
            stopRun.abort();
            await finished;
            if (ownSimulator) await simulator.close();
        },
    };
}
