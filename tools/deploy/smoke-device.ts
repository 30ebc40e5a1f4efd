// make smoke-device: sideloads the channel to a Roku, launches it through ECP and follows the
// debug console until the VideoPlayer's position has advanced, or something went wrong.
import { parseArgs } from "node:util";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { buildPackage } from "../build/bsc.ts";
import { followConsole, sideload, targetFromEnvironment, type ConsoleSession, type DeviceTarget } from "./device.ts";

const USAGE = `Usage: npx tsx tools/deploy/smoke-device.ts [options]     (or: make smoke-device SMOKE_ARGS="...")

Builds the channel (out/channel.zip), connects to the debug console of the Roku at
ROKU_DEV_TARGET (TCP 8085), sideloads the package (developer password in ROKU_DEV_PASSWORD),
launches it through ECP (POST :8060/launch/dev) and reads the console.

Passes (exit 0) once the position printed by "[VideoPlayer] state=... position=..." lines
has advanced by --advance seconds. Fails (exit 1, with the reason) on a BrightScript crash or
error line (runtime/compile error, the debugger prompt, "BRIGHTSCRIPT: ERROR:"), on
"[VideoPlayer] error", "[VideoPlayer] pipeline error", "[MainScene] status: error", or when
the position has not advanced that far within --timeout seconds of the launch.

Options:
  --zip <path>            sideload this package instead of building out/channel.zip
  --manifest-url <url>    play this manifest instead of config/channel.json's (sent as the
                          manifestUrl launch parameter: POST :8060/launch/dev?manifestUrl=...)
  --advance <s>           seconds the position must advance (default 10)
  --timeout <s>           seconds after the launch to wait for that (default 90)
  --allow <regex>         console lines matching this are never failures (repeatable)
  --package-port <n>      developer web server port (default 80)
  --console-port <n>      debug console port (default 8085)
  --ecp-port <n>          ECP port (default 8060)
  -h, --help              show this help`;

export interface SmokeVerdict {
    ok: boolean;
    reason: string;
}

/** Lines that mean the channel crashed or BrightScript reported an error. */
const CRASH_PATTERNS: RegExp[] = [
    /\((?:runtime|compile) error &h[0-9a-f]+\)/i,
    /Brightscript Debugger>/i,
    /BrightScript Micro Debugger/i,
    /^\s*BRIGHTSCRIPT: ERROR:/,
];
const FAILURE_PATTERNS: Array<{ pattern: RegExp; what: string }> = [
    { pattern: /^\s*\[VideoPlayer\] error\b/, what: "player error" },
    { pattern: /^\s*\[VideoPlayer\] pipeline error\b/, what: "pipeline error" },
    { pattern: /^\s*\[MainScene\] status: error\b/, what: "channel error" },
];
const POSITION_LINE = /^\s*\[VideoPlayer\] state=(\S+) position=(\d+(?:\.\d+)?)/;
const CHANNEL_ENTER = /\[scrpt\.ctx\.run\.enter\]|------ Running dev /;
const CHANNEL_EXIT = /\[scrpt\.ctx\.run\.exit\]|------ Finished '.*' execution/;

/**
 * Judges console lines one at a time. Progress is measured from the lowest position printed
 * before the current one, so a relaunch that starts again at 0 still counts from there.
 */
export class SmokeJudge {
    private lowest: number | undefined;
    private last: number | undefined;
    private exited = false;
    private readonly allow: RegExp[];

    constructor(
        private readonly advanceS: number,
        allow: RegExp[] = [],
    ) {
        this.allow = allow;
    }

    /** The verdict the line settles, or undefined while undecided. */
    feed(line: string): SmokeVerdict | undefined {
        if (this.allow.some((pattern) => pattern.test(line))) return undefined;
        if (CRASH_PATTERNS.some((pattern) => pattern.test(line))) {
            return { ok: false, reason: `BrightScript error: ${line.trim()}` };
        }
        for (const { pattern, what } of FAILURE_PATTERNS) {
            if (pattern.test(line)) return { ok: false, reason: `${what}: ${line.trim()}` };
        }
        if (CHANNEL_ENTER.test(line)) this.exited = false;
        if (CHANNEL_EXIT.test(line)) this.exited = true;
        const position = POSITION_LINE.exec(line);
        if (!position) return undefined;
        const seconds = Number(position[2]);
        this.last = seconds;
        this.lowest = Math.min(this.lowest ?? seconds, seconds);
        const advanced = seconds - this.lowest;
        if (advanced >= this.advanceS) {
            return { ok: true, reason: `position advanced ${advanced.toFixed(1)} s (${this.lowest.toFixed(1)} -> ${seconds.toFixed(1)})` };
        }
        return undefined;
    }

    /** The verdict when the time ran out. */
    timedOut(timeoutS: number): SmokeVerdict {
        const progress =
            this.last === undefined
                ? "no [VideoPlayer] position line was printed"
                : `last position ${this.last.toFixed(1)}, advanced ${(this.last - (this.lowest ?? this.last)).toFixed(1)} s`;
        const exited = this.exited ? "; the channel exited" : "";
        return {
            ok: false,
            reason: `position did not advance ${this.advanceS} s within ${timeoutS} s of the launch (${progress}${exited})`,
        };
    }
}

/** Launches the sideloaded channel through ECP (`POST /launch/dev`). */
export async function launchDevChannel(host: string, ecpPort: number, manifestUrl?: string): Promise<void> {
    let response: Response;
    const query = manifestUrl ? `?manifestUrl=${encodeURIComponent(manifestUrl)}` : "";
    try {
        response = await fetch(`http://${host}:${ecpPort}/launch/dev${query}`, { method: "POST", signal: AbortSignal.timeout(10_000) });
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

export interface SmokeOptions {
    target: DeviceTarget;
    ecpPort: number;
    zip: string;
    advanceS: number;
    timeoutS: number;
    allow: RegExp[];
    /** Sent as the channel's manifestUrl launch parameter. */
    manifestUrl?: string;
    onLine?: (line: string) => void;
    onProgress?: (message: string) => void;
}

/** Sideloads, launches and judges the console; never throws, every failure is a verdict. */
export async function runSmoke(options: SmokeOptions): Promise<SmokeVerdict> {
    const judge = new SmokeJudge(options.advanceS, options.allow);
    let verdict: SmokeVerdict | undefined;
    let session: ConsoleSession;
    try {
        session = await followConsole(options.target, {
            // A backstop only: the smoke timeout below starts at the launch, after the upload.
            timeoutMs: (options.timeoutS + 300) * 1000,
            isDone: (line) => {
                verdict ??= judge.feed(line);
                return verdict !== undefined;
            },
            onLine: options.onLine,
        });
    } catch (error) {
        return { ok: false, reason: (error as Error).message };
    }
    let timer: NodeJS.Timeout | undefined;
    try {
        options.onProgress?.(`${await sideload(options.target, options.zip)} (${options.zip} to ${options.target.host})`);
        if (verdict) return verdict;
        await launchDevChannel(options.target.host, options.ecpPort, options.manifestUrl);
        options.onProgress?.(
            `launched dev on ${options.target.host}; waiting up to ${options.timeoutS} s for ${options.advanceS} s of playback`,
        );
        const timeout = new Promise<"timeout">((res) => (timer = setTimeout(() => res("timeout"), options.timeoutS * 1000)));
        const ended = await Promise.race([session.finished.then(() => "ended" as const), timeout]);
        if (ended === "timeout") return verdict ?? judge.timedOut(options.timeoutS);
        return verdict ?? { ok: false, reason: "the debug console ended without a verdict" };
    } catch (error) {
        return verdict ?? { ok: false, reason: (error as Error).message };
    } finally {
        clearTimeout(timer);
        session.close();
    }
}

function parseOptions() {
    return parseArgs({
        options: {
            zip: { type: "string" },
            "manifest-url": { type: "string" },
            advance: { type: "string", default: "10" },
            timeout: { type: "string", default: "90" },
            allow: { type: "string", multiple: true, default: [] },
            "package-port": { type: "string", default: "80" },
            "console-port": { type: "string", default: "8085" },
            "ecp-port": { type: "string", default: "8060" },
            help: { type: "boolean", short: "h", default: false },
        },
    }).values;
}

function positiveNumber(text: string, name: string): number {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, not "${text}"`);
    return value;
}

function finish(verdict: SmokeVerdict): never {
    const line = `smoke-device: ${verdict.ok ? "PASS" : "FAIL"}: ${verdict.reason}`;
    if (verdict.ok) console.log(line);
    else console.error(line);
    process.exit(verdict.ok ? 0 : 1);
}

async function main(): Promise<void> {
    let values: ReturnType<typeof parseOptions>;
    let settings: Omit<SmokeOptions, "zip">;
    try {
        values = parseOptions();
        if (values.help) {
            console.log(USAGE);
            process.exit(0);
        }
    } catch (error) {
        finish({ ok: false, reason: `${(error as Error).message}\n\n${USAGE}` });
    }
    try {
        settings = {
            target: {
                ...targetFromEnvironment(),
                packagePort: positiveNumber(values["package-port"], "package-port"),
                consolePort: positiveNumber(values["console-port"], "console-port"),
            },
            ecpPort: positiveNumber(values["ecp-port"], "ecp-port"),
            advanceS: positiveNumber(values.advance, "advance"),
            timeoutS: positiveNumber(values.timeout, "timeout"),
            allow: values.allow.map((pattern) => new RegExp(pattern)),
            ...(values["manifest-url"] ? { manifestUrl: values["manifest-url"] } : {}),
            onLine: (line) => console.log(line),
            onProgress: (message) => console.error(`smoke-device: ${message}`),
        };
    } catch (error) {
        finish({ ok: false, reason: (error as Error).message });
    }
    let zip = values.zip;
    if (!zip) {
        const build = await buildPackage("bsconfig.json");
        if (!build.ok) finish({ ok: false, reason: `the channel did not build:\n${build.problems.join("\n")}` });
        zip = build.outFile;
    }
    if (!existsSync(zip)) finish({ ok: false, reason: `no package at ${zip}` });
    finish(await runSmoke({ ...settings, zip }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
    await main();
}
