// Runs channel packages in brs-engine + brs-scenegraph inside headless Chromium.
// One browser per Simulator (start-up paid once); each run gets a fresh page and engine.
import { chromium, type Browser, type Page } from "playwright-core";
import { startStaticServer, type StaticServer } from "./static-server.ts";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { attachBridge, bridgePageScript, BRIDGE_WORKER_SCRIPTS } from "../bridge/attach.ts";
import type { Bridge, BridgeOptions } from "../bridge/bridge-server.ts";
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
}

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
}

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
    private constructor(
        /** The Chromium the channel runs in (other pages, e.g. a player, can share it). */
        readonly browser: Browser,
        readonly server: StaticServer,
        private readonly options: SimulatorOptions,
        /** The network bridge, when launched with `bridge`. */
        readonly bridge: Bridge | undefined,
        /** The device rules every run of this simulator follows. */
        readonly deviceRules: DeviceRuleSet,
    ) {}

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
                tmpVolSize: this.options.volumeBytes ?? 64 * 1024 * 1024,
                cacheFSVolSize: this.options.volumeBytes ?? 64 * 1024 * 1024,
                ...(this.options.maxFps ? { maxFps: this.options.maxFps } : {}),
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
    const setup = JSON.stringify({ deviceRules, scripts });
    server.handlers.set("/sim-worker.json", (_req, res) => {
        res.writeHead(200, {
            "Content-Type": "application/json",
            "Cache-Control": "no-store",
            "Cross-Origin-Resource-Policy": "same-origin",
        }).end(setup);
    });
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
