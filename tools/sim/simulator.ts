// Runs channel packages in brs-engine + brs-scenegraph inside headless Chromium.
// One browser per Simulator (start-up paid once); each run gets a fresh page and engine; cachefs:
// and the registry are carried from one run's page to the next (docs/simulator.md, "cachefs: across
// launches" and "The registry across launches").
import { chromium, type Browser, type Page } from "playwright-core";
import { startStaticServer, type StaticServer } from "./static-server.ts";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { attachBridge, bridgePageScript, BRIDGE_WORKER_SCRIPTS } from "../bridge/attach.ts";
import type { Bridge, BridgeOptions } from "../bridge/bridge-server.ts";
import type { IncomingMessage, ServerResponse } from "node:http";
import { listCachefsImage } from "./cachefs-image.ts";
import { resolveDeviceRules, type DeviceRuleOverrides, type DeviceRuleSet } from "./device-rules.ts";

const workerDir = join(dirname(fileURLToPath(import.meta.url)), "worker");

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Chromium switches of the simulator (and of the player page, which shares its needs). */
export const CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
];

export type RunOutcome = "exited" | "matched" | "crashed" | "timeout" | "stopped";

export interface RunOptions {
    /** Give up after this long (milliseconds). */
    timeoutMs: number;
    /** End the run successfully as soon as a console line matches. */
    until?: RegExp;
    /** Receives every console line of the channel as it arrives. */
    onLine?: (line: string) => void;
    /** Ends the run (outcome "stopped") when aborted, e.g. once a test is done with the channel. */
    signal?: AbortSignal;
    /** Called once the channel was launched, with the remote control of this run. */
    onStarted?: (remote: Remote) => void;
    /**
     * Launch parameters, as ECP's `POST /launch/dev?contentId=...&mediaType=movie` gives them:
     * `Main(args)` sees them next to the engine's own (`source`, `lastExitOrTerminationReason`).
     */
    launchParams?: Record<string, string>;
    /** This run's memory figures (device rule memoryMonitorFromRules); defaults to the simulator's. */
    memory?: Partial<MemoryFigures>;
}

/**
 * What roAppMemoryMonitor reports (device rule memoryMonitorFromRules), in KiB as its methods do:
 * GetChannelMemoryLimit().maxForegroundMemory is `limitKiB`, GetChannelAvailableMemory() is
 * `limitKiB - usedKiB`, GetMemoryLimitPercent() is `floor(usedKiB * 100 / limitKiB)`.
 */
export interface MemoryFigures {
    limitKiB: number;
    usedKiB: number;
}

/**
 * Roku documents no per-app limit; 700 MiB is a plausible foreground limit of a 1 GiB-class device
 * (the RAM most current players have), and 200 MiB in use leaves the channel well below the first
 * warning threshold (80 %). The device probe's `memory.appMemoryMonitor` reports a real device's.
 */
export const DEFAULT_MEMORY: MemoryFigures = { limitKiB: 716_800, usedKiB: 204_800 };

/** A file in cachefs:. */
export interface CachefsFile {
    /** "cachefs:/..." (the volume folds names to lower case). */
    path: string;
    size: number;
}

/**
 * cachefs: as the system sees it while the channel runs: a Roku may delete files there at any
 * moment when another channel needs space. Served by the channel's main thread the next time it
 * looks at a message port (docs/simulator.md).
 */
export interface CachefsControl {
    list(): Promise<CachefsFile[]>;
    /** Deletes these files (those that exist); returns the paths removed. */
    remove(paths: string[]): Promise<string[]>;
    /**
     * Deletes `count` files chosen by a seeded shuffle of the sorted listing (optionally only under
     * the folder `under`, e.g. "cachefs:/ytsabr/cache"): the same seed and files, the same choice.
     */
    removeRandom(options: { count: number; seed: number; under?: string }): Promise<string[]>;
}

/** The registry as sections of keys and values: `{ ytsabr: { recentVideos: "[...]" } }`. */
export type RegistryContents = Record<string, Record<string, string>>;

/** The remote control of a running channel. */
export interface Remote {
    /** Presses and releases a key ("back", "home", "select", "play", ...). */
    sendKey(key: string): Promise<void>;
    /**
     * A PNG of the channel's screen as the simulator draws it now; `clip` takes a part of it, in
     * the simulator's display pixels (the whole screen is 960 × 540).
     */
    screenshot(clip?: ScreenArea): Promise<Buffer>;
    /**
     * A deep link while the channel runs, as ECP's `POST /input?contentId=...&mediaType=movie`
     * sends it: an roInputEvent whose getInfo() holds these parameters.
     */
    input(params: Record<string, string>): Promise<void>;
    /** Lists and deletes cachefs: files while the channel runs, as the system may. */
    cachefs: CachefsControl;
    /**
     * New memory figures while the channel runs (device rule memoryMonitorFromRules). When the
     * percentage crosses 80, 85, 90 or 95 (either way), every roAppMemoryMonitor with warnings
     * enabled and a port, in any thread, gets one roAppMemoryNotificationEvent. Resolves once every
     * monitor with a port (warnings on or off) has looked at the new figures, so its event, if any,
     * is queued.
     */
    memory(figures: { usedKiB: number }): Promise<void>;
}

export interface ScreenArea {
    x: number;
    y: number;
    width: number;
    height: number;
}

export interface RunResult {
    outcome: RunOutcome;
    /** The engine's exit reason (EXIT_USER_NAV, EXIT_BRIGHTSCRIPT_CRASH, ...) when the app closed. */
    exitReason?: string;
    /** One line saying why the run ended. */
    reason: string;
    lines: string[];
    durationMs: number;
}

export interface SimulatorOptions {
    headed?: boolean;
    /** Size of tmp:/ and cachefs:/ in bytes. */
    volumeBytes?: number;
    /**
     * Frames per second of the render thread (the engine's default is 60). Tests that count what
     * happens between frames use a low rate, so a busy machine cannot blur the frame boundaries.
     */
    maxFps?: number;
    /**
     * Real sockets and background roUrlTransfer through the network bridge (docs/bridge.md).
     * `true` uses the defaults; off by default, which keeps the engine's own objects.
     */
    bridge?: boolean | BridgeOptions;
    /**
     * Where the engine and the bridge are kinder than a Roku, behave like the Roku
     * (tools/sim/device-rules.ts; docs/device-rules.md). Every rule left out keeps its default.
     */
    deviceRules?: DeviceRuleOverrides;
    /** Memory figures of every run (DEFAULT_MEMORY for what is left out). */
    memory?: Partial<MemoryFigures>;
}

/** How long a remote's cachefs or memory call may wait for the channel's threads. */
const SYSTEM_GUARD_MS = 20_000;

/** A console line the bridge's worker side prints when the bridge is dead or stuck. */
const BRIDGE_FATAL = /\[bridge\] FATAL: .*/;

/** Splits a stream of text into lines, keeping a trailing partial line until it completes. */
class LineSplitter {
    private pending = "";
    constructor(private readonly emit: (line: string) => void) {}
    push(text: string): void {
        const parts = (this.pending + text).split(/\r?\n/);
        this.pending = parts.pop() ?? "";
        for (const part of parts) this.emit(part);
    }
    flush(): void {
        if (this.pending !== "") this.emit(this.pending);
        this.pending = "";
    }
}

export class Simulator {
    /** What cachefs: held when the last run ended (its leading bytes; the rest are zeros). */
    private cachefsImage: Buffer | undefined;
    private readonly cachefsRoute = `/sim-cachefs-${Math.random().toString(36).slice(2)}`;
    /**
     * What the registry held when the last run ended, as brs-engine keeps it in the page's
     * localStorage: ["<developerId>.<section>.<key>", value], sorted by key.
     */
    private registryEntries: [string, string][] = [];

    private constructor(
        /** The Chromium the channel runs in (other pages, e.g. a player, can share it). */
        readonly browser: Browser,
        readonly server: StaticServer,
        private readonly options: SimulatorOptions,
        /** The network bridge, when launched with `bridge`. */
        readonly bridge: Bridge | undefined,
        /** The device rules every run of this simulator follows. */
        readonly deviceRules: DeviceRuleSet,
    ) {
        server.handlers?.set(this.cachefsRoute, (req, res) => this.serveCachefsImage(req, res));
    }

    /**
     * The page fetches the image before the engine starts (GET) and sends it back when the run
     * ends (POST): the volume lives in the page, and each run has a page of its own.
     */
    private serveCachefsImage(req: IncomingMessage, res: ServerResponse): void {
        const headers = { "Cache-Control": "no-store", "Cross-Origin-Resource-Policy": "same-origin" };
        if (req.method === "GET") {
            const image = this.cachefsImage ?? Buffer.alloc(0);
            res.writeHead(200, { ...headers, "Content-Type": "application/octet-stream", "Content-Length": image.length }).end(image);
            return;
        }
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
            this.cachefsImage = Buffer.concat(chunks);
            res.writeHead(204, headers).end();
        });
    }

    /**
     * Empties cachefs: (device rule cachefsKeptUntilReboot keeps it between runs until now). The
     * registry stays, as on a device (registryKeptAcrossLaunches): clearRegistry() empties it.
     */
    reboot(): void {
        this.cachefsImage = undefined;
    }

    /** Empties the registry, as uninstalling the channel does (registryKeptAcrossLaunches keeps it until now). */
    clearRegistry(): void {
        this.registryEntries = [];
    }

    /**
     * The registry the next run will start from, `{ [section]: { [key]: value } }`: what earlier
     * runs flushed (empty when the rule registryKeptAcrossLaunches is off or after clearRegistry()).
     */
    registry(): RegistryContents {
        const sections: RegistryContents = {};
        if (!this.deviceRules.registryKeptAcrossLaunches) return sections;
        for (const [name, value] of this.registryEntries) {
            // brs-engine's key: the developer id, the section and the key, joined by dots.
            const [, section, ...key] = name.split(".");
            if (section === undefined || key.length === 0) continue;
            (sections[section] ??= {})[key.join(".")] = value;
        }
        return sections;
    }

    /** The cachefs: files the next run will find (none when the rule is off or after reboot()). */
    async cachefsFiles(): Promise<CachefsFile[]> {
        if (!this.deviceRules.cachefsKeptUntilReboot || !this.cachefsImage) return [];
        return listCachefsImage(this.cachefsImage, this.volumeBytes());
    }

    private volumeBytes(): number {
        return this.options.volumeBytes ?? 64 * 1024 * 1024;
    }

    static async launch(options: SimulatorOptions = {}, server?: StaticServer): Promise<Simulator> {
        const staticServer = server ?? (await startStaticServer());
        const deviceRules = resolveDeviceRules(options.deviceRules);
        let bridge: Bridge | undefined;
        try {
            if (options.bridge) {
                const bridgeOptions = options.bridge === true ? {} : options.bridge;
                bridge = attachBridge(staticServer, { ...bridgeOptions, deviceRules });
            }
            installWorkerSetup(staticServer, deviceRules, bridge ? BRIDGE_WORKER_SCRIPTS : []);
        } catch (error) {
            if (!server) await staticServer.close();
            throw error;
        }
        try {
            const browser = await chromium.launch({
                executablePath: CHROMIUM_PATH,
                headless: !options.headed,
                args: CHROMIUM_ARGS,
            });
            return new Simulator(browser, staticServer, options, bridge, deviceRules);
        } catch (error) {
            await staticServer.close();
            throw new Error(`cannot start Chromium at ${CHROMIUM_PATH}: ${(error as Error).message.split("\n")[0]}`);
        }
    }

    /** Runs one package until it exits, a line matches `until`, or the timeout passes. */
    async run(zipPath: string, options: RunOptions): Promise<RunResult> {
        const started = Date.now();
        const zipRoute = `/run-${started}-${Math.random().toString(36).slice(2)}.zip`;
        this.server.routes.set(zipRoute, zipPath);
        const page = await this.browser.newPage();
        try {
            return await this.runInPage(page, zipRoute, options, started);
        } finally {
            // Whatever the outcome (a crash too), cachefs: keeps what the channel wrote.
            if (this.deviceRules.cachefsKeptUntilReboot) {
                await page.evaluate(`window.simSaveCachefs(${JSON.stringify(this.cachefsRoute)})`).catch(() => undefined);
            }
            // The registry as the engine last flushed it, whatever the outcome; a page that is gone
            // or never loaded the kept registry leaves the kept one as it was.
            if (this.deviceRules.registryKeptAcrossLaunches) {
                const entries = (await page.evaluate("window.simRegistry()").catch(() => null)) as [string, string][] | null;
                if (entries) this.registryEntries = entries;
            }
            this.server.routes.delete(zipRoute);
            await page.close().catch(() => undefined);
            this.bridge?.closeAll();
        }
    }

    private async runInPage(page: Page, zipRoute: string, options: RunOptions, started: number): Promise<RunResult> {
        const lines: string[] = [];
        let settle: (result: Omit<RunResult, "lines" | "durationMs">) => void = () => undefined;
        const ended = new Promise<Omit<RunResult, "lines" | "durationMs">>((resolve) => (settle = resolve));

        const onLine = (line: string): void => {
            lines.push(line);
            options.onLine?.(line);
            if (options.until?.test(line)) {
                settle({ outcome: "matched", reason: `matched ${options.until}: ${line.trim()}` });
            }
            const bridgeFailure = BRIDGE_FATAL.exec(line);
            if (bridgeFailure) settle({ outcome: "crashed", reason: `network bridge failure: ${bridgeFailure[0]}` });
        };
        const splitter = new LineSplitter(onLine);
        const stop = (): void => settle({ outcome: "stopped", reason: "stopped by the caller" });
        if (options.signal?.aborted) stop();
        options.signal?.addEventListener("abort", stop, { once: true });

        await page.exposeFunction("simEvent", (type: string, data: string) => {
            if (type === "message" || type === "debug") {
                splitter.push(messageText(data));
            } else if (type === "error") {
                splitter.push(`[engine error] ${data}\n`);
            } else if (type === "closed") {
                splitter.flush();
                const exitReason = data.replace(/^"|"$/g, "");
                const normal = exitReason === "EXIT_USER_NAV";
                settle({
                    outcome: normal ? "exited" : "crashed",
                    exitReason,
                    reason: normal ? "the channel exited normally" : `the channel stopped: ${exitReason}${lastError(lines)}`,
                });
            }
        });
        page.on("pageerror", (error) => splitter.push(`[page error] ${error.message}\n`));
        await page.addInitScript(
            (config) => {
                (window as unknown as { simConfig: unknown }).simConfig = config;
            },
            {
                tmpVolSize: this.volumeBytes(),
                cacheFSVolSize: this.volumeBytes(),
                ...(this.options.maxFps ? { maxFps: this.options.maxFps } : {}),
                ...(this.deviceRules.cachefsKeptUntilReboot && this.cachefsImage?.length ? { cachefsImage: this.cachefsRoute } : {}),
                ...(this.deviceRules.registryKeptAcrossLaunches && this.registryEntries.length ? { registry: this.registryEntries } : {}),
                memory: { ...DEFAULT_MEMORY, ...this.options.memory, ...options.memory },
            },
        );
        // The bridge's fast transport: a shared-memory channel per engine worker, relayed to Node over
        // a WebSocket (docs/bridge.md). Without it the workers call the bridge with synchronous XHR.
        if (this.bridge && this.bridge.options.transport !== "xhr") await page.addInitScript({ content: bridgePageScript() });

        await page.goto(`${this.server.origin}/index.html`);
        await page.evaluate(`window.simRun(${JSON.stringify(zipRoute)}, "app.zip", ${JSON.stringify(options.launchParams ?? {})})`);
        options.onStarted?.({
            sendKey: async (key) => void (await page.evaluate(`window.simKey(${JSON.stringify(key)})`)),
            // The canvas sits at the page's top left corner: page coordinates are display coordinates.
            screenshot: async (clip) => (clip ? page.screenshot({ clip }) : page.locator("canvas").first().screenshot()),
            input: async (params) => void (await page.evaluate(`window.simInput(${JSON.stringify(params)})`)),
            cachefs: cachefsControl((request) => page.evaluate(`window.simCachefs(${JSON.stringify(request)}, ${SYSTEM_GUARD_MS})`)),
            memory: async ({ usedKiB }) => {
                if (!Number.isInteger(usedKiB) || usedKiB < 0) throw new Error(`usedKiB must be a whole number of KiB, not ${usedKiB}`);
                await page.evaluate(`window.simMemory(${usedKiB}, ${SYSTEM_GUARD_MS})`);
            },
        });

        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<Omit<RunResult, "lines" | "durationMs">>((resolve) => {
            timer = setTimeout(
                () => resolve({ outcome: "timeout", reason: `timed out after ${options.timeoutMs / 1000} s` }),
                options.timeoutMs,
            );
        });
        const result = await Promise.race([ended, timeout]);
        clearTimeout(timer);
        splitter.flush();
        return { ...result, lines, durationMs: Date.now() - started };
    }

    async close(): Promise<void> {
        this.bridge?.close();
        await this.browser.close().catch(() => undefined);
        await this.server.close();
    }
}

/**
 * Every engine worker (the main interpreter and each Task) loads /brs-sg.js: serve a wrapper that
 * loads the real bundle, the device rules and the extension scripts, with this run's settings.
 */
function installWorkerSetup(server: StaticServer, deviceRules: DeviceRuleSet, scripts: string[]): void {
    const realSceneGraph = server.routes.get("/brs-sg.real.js") ?? server.routes.get("/brs-sg.js");
    if (!realSceneGraph) throw new Error("the static server has no /brs-sg.js route to wrap");
    if (!server.handlers) throw new Error("the simulator needs a static server from startStaticServer (no request handlers here)");
    server.routes.set("/brs-sg.real.js", realSceneGraph);
    server.routes.set("/brs-sg.js", join(workerDir, "sim-worker.js"));
    server.routes.set("/device-rules.js", join(workerDir, "device-rules.js"));
    server.routes.set("/sim-system.js", join(workerDir, "sim-system.js"));
    const setup = JSON.stringify({ deviceRules, scripts });
    server.handlers.set("/sim-worker.json", (_req, res) => {
        res.writeHead(200, {
            "Content-Type": "application/json",
            "Cache-Control": "no-store",
            "Cross-Origin-Resource-Policy": "same-origin",
        }).end(setup);
    });
}

/** The remote's cachefs operations over one request function (served by the channel's main thread). */
function cachefsControl(request: (body: { op: "list" } | { op: "remove"; paths: string[] }) => Promise<unknown>): CachefsControl {
    const list = async (): Promise<CachefsFile[]> => (await request({ op: "list" })) as CachefsFile[];
    const remove = async (paths: string[]): Promise<string[]> =>
        paths.length === 0 ? [] : ((await request({ op: "remove", paths })) as string[]);
    return {
        list,
        remove,
        removeRandom: async ({ count, seed, under }) => {
            const folder = under === undefined ? undefined : under.toLowerCase().replace(/\/*$/, "/");
            const paths = (await list()).map((file) => file.path).filter((path) => !folder || path.toLowerCase().startsWith(folder));
            return remove(seededChoice(paths, count, seed));
        },
    };
}

/**
 * `count` of `items`, chosen by a Fisher-Yates shuffle driven by mulberry32(seed): the same items
 * in the same order and the same seed give the same choice.
 */
export function seededChoice<T>(items: readonly T[], count: number, seed: number): T[] {
    const pool = [...items];
    let state = seed >>> 0;
    const next = (): number => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    for (let i = pool.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [pool[i], pool[j]] = [pool[j] as T, pool[i] as T];
    }
    return pool.slice(0, Math.max(0, Math.min(count, pool.length)));
}

/** Text of an engine message event: either plain text or a `{level, content}` record. */
function messageText(data: string): string {
    if (!data.startsWith("{")) return data;
    try {
        const parsed = JSON.parse(data) as { content?: unknown };
        return typeof parsed.content === "string" ? parsed.content : data;
    } catch {
        return data;
    }
}

/** The engine's first error line (compile error, runtime error location), to make a crash reason specific. */
function lastError(lines: string[]): string {
    const error = lines.find((line) => /Syntax Error|compile error|^pkg:\/\S+\(\d+/.test(line));
    return error ? ` (${error.trim()})` : "";
}
