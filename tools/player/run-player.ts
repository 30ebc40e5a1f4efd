// Plays a DASH manifest URL with a real player (shaka-player from npm) in the same headless
// Chromium the simulator uses, and reports what the <video> element did.
// Independent of the channel: the manifest is just a URL (it must answer with CORS headers,
// and so must the media URLs it names, because the page is served from its own origin).
import { chromium, type Browser, type Page, type Request } from "playwright-core";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../sim/simulator.ts";
import { startStaticServer, type StaticServer } from "../sim/static-server.ts";

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
/** The DASH-only ES2021 build: everything the page needs, no dependencies. */
const SHAKA_DIST = join(dirname(require.resolve("shaka-player/package.json")), "dist", "shaka-player.dash-es2021.js");

/** What window.playerState() returns in the page. */
export interface PlayerState {
    currentTime: number;
    /** Seconds buffered ahead of currentTime (the buffered range holding it). */
    bufferAheadS: number;
    duration: number | null;
    readyState: number;
    playing: boolean;
    ended: boolean;
    /** 'waiting' events after playback started, not counting those while a seek fills its buffer. */
    stalls: number;
    /** Every 'waiting' event, seeks included. */
    waitingEvents: number;
    decodedFrames: number;
    droppedFrames: number;
    videoWidth: number;
    videoHeight: number;
    error: string | null;
}

export interface TimelineEntry {
    /** Milliseconds since the page started. */
    atMs: number;
    /** A media element event ("playing", "waiting", "seeked", ...), a player event, or "sample". */
    type: string;
    currentTime: number;
    detail: string | null;
}

export interface PlayerRequest {
    url: string;
    /** The Range header, when the request had one ("bytes=757-976"). */
    range: string | null;
    /** When the page sent it, ms since the page started. */
    atMs: number;
    /** When it finished or failed, ms since the page started; null while still open at the end. */
    endMs: number | null;
    /** The HTTP status, once the response came; null without one. */
    status: number | null;
    /** Why it failed (net error text), when it did. */
    failure?: string;
}

export interface PlayerResponse {
    url: string;
    range: string | null;
    status: number;
    body: Buffer;
}

export type PlayerOutcome = "played" | "ended" | "error" | "timeout";

export interface PlayerResult {
    outcome: PlayerOutcome;
    /** One line saying why the run ended. */
    reason: string;
    state: PlayerState;
    /** Seconds of media played, seek jumps excluded. */
    playedSeconds: number;
    /**
     * Each seek of the script: where it was asked to go, where it landed (currentTime at 'seeked'),
     * when it was asked (ms since the page started) and when frames advanced again at the new
     * position (`seekFrameAtMs`; null if they never did within the run).
     */
    seeks: Array<{ to: number; landedAt: number | null; askedAtMs?: number; frameAtMs?: number | null }>;
    /** Each forced quality switch (`switchEverySeconds`): media seconds played then, and the representation id chosen. */
    switches: Array<{ afterSeconds: number; to: string }>;
    /** Bodies of the ranged media responses, when asked for (`captureBodies`). */
    responses: PlayerResponse[];
    /** Wall time from opening the page to the first 'playing' event. */
    startupMs: number | null;
    /** When the first media range (not the manifest) was completely received, ms since the page started. */
    firstMediaMs: number | null;
    wallMs: number;
    /** Epoch ms when the page started: the zero of every atMs here. */
    startedAtMs: number;
    timeline: TimelineEntry[];
    requests: PlayerRequest[];
    /** Console lines of the page (shaka logs warnings and errors there). */
    console: string[];
    screenshotPath: string | null;
}

export interface PlayOptions {
    manifestUrl: string;
    /** Seconds of media time to play (seek jumps excluded); stops earlier when the media ends. */
    seconds: number;
    /** Seeks, in order: each once `afterSeconds` of media were played (seek jumps excluded). */
    seeks?: Array<{ afterSeconds: number; to: number }>;
    /** Host ports for the channel's ports named in the manifest (see the page's ?ports=). */
    ports?: Record<number, number>;
    /** Pins the video representation whose id starts with this (e.g. "134:"); default: shaka's ABR. */
    videoId?: string;
    /**
     * Every this many seconds of media played, select the next video representation
     * (`selectVariantTrack(track, false)`, rotating through the variants); shaka's ABR is off.
     */
    switchEverySeconds?: number;
    /** Keep the bodies of ranged media responses (to compare them with the source). */
    captureBodies?: boolean;
    /** Called after every sample, e.g. for a progress line. */
    onSample?: (state: PlayerState, playedSeconds: number) => void;
    headed?: boolean;
    /** PNG of the <video> element taken at the end of the run. */
    screenshotPath?: string;
    /** An already launched browser to open the page in (left open); otherwise one is launched and closed. */
    browser?: Browser;
    /** Give up after this long (default: 4 × seconds + 30 s). */
    timeoutMs?: number;
    /** How often the page is sampled (default 250 ms). */
    sampleMs?: number;
}

/** Serves the player page and shaka-player on loopback. */
export async function startPlayerServer(): Promise<StaticServer> {
    return startStaticServer(
        new Map([
            ["/player-page.html", join(here, "player-page.html")],
            ["/player-page.js", join(here, "player-page.js")],
            ["/shaka-player.js", SHAKA_DIST],
        ]),
    );
}

export async function launchPlayerBrowser(headed = false): Promise<Browser> {
    return chromium.launch({ executablePath: CHROMIUM_PATH, headless: !headed, args: CHROMIUM_ARGS });
}

export async function playInChromium(options: PlayOptions): Promise<PlayerResult> {
    const browser = options.browser ?? (await launchPlayerBrowser(options.headed));
    const server = await startPlayerServer();
    const page = await browser.newPage({ viewport: { width: 640, height: 360 } });
    try {
        return await runInPage(page, server, options);
    } finally {
        await page.close().catch(() => undefined);
        await server.close();
        if (!options.browser) await browser.close();
    }
}

async function runInPage(page: Page, server: StaticServer, options: PlayOptions): Promise<PlayerResult> {
    const started = Date.now();
    const timeoutMs = options.timeoutMs ?? options.seconds * 4000 + 30_000;
    const sampleMs = options.sampleMs ?? 250;
    const requests: PlayerRequest[] = [];
    const consoleLines: string[] = [];
    // Each request's record, found again when it finishes (for the playback report's timing).
    const open = new Map<Request, PlayerRequest>();
    page.on("request", (request) => {
        if (request.url().startsWith(server.origin)) return;
        const record: PlayerRequest = {
            url: request.url(),
            range: request.headers()["range"] ?? null,
            atMs: Date.now() - started,
            endMs: null,
            status: null,
        };
        requests.push(record);
        open.set(request, record);
    });
    page.on("response", (response) => {
        const record = open.get(response.request());
        if (record) record.status = response.status();
    });
    page.on("requestfailed", (request) => {
        const record = open.get(request);
        if (!record) return;
        record.endMs = Date.now() - started;
        record.failure = request.failure()?.errorText ?? "failed";
        open.delete(request);
    });
    let firstMediaMs: number | null = null;
    page.on("requestfinished", (request) => {
        const record = open.get(request);
        if (record) {
            record.endMs = Date.now() - started;
            open.delete(request);
        }
        if (firstMediaMs === null && request.headers()["range"] && !request.url().startsWith(server.origin))
            firstMediaMs = Date.now() - started;
    });
    const responses: PlayerResponse[] = [];
    const bodies: Array<Promise<void>> = [];
    if (options.captureBodies) {
        page.on("response", (response) => {
            const range = response.request().headers()["range"] ?? null;
            if (range === null || response.url().startsWith(server.origin)) return;
            bodies.push(
                response.body().then(
                    (body) => void responses.push({ url: response.url(), range, status: response.status(), body }),
                    () => undefined,
                ),
            );
        });
    }
    page.on("console", (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
    page.on("pageerror", (error) => consoleLines.push(`pageerror: ${error.message}`));

    const query = new URLSearchParams({ manifest: options.manifestUrl });
    if (options.ports)
        query.set(
            "ports",
            Object.entries(options.ports)
                .map(([from, to]) => `${from}:${to}`)
                .join(","),
        );
    if (options.videoId) query.set("video", options.videoId);
    if (options.switchEverySeconds) query.set("switching", "1");
    const pageUrl = `${server.origin}/player-page.html?${query.toString()}`;
    await page.goto(pageUrl);

    const samples: TimelineEntry[] = [];
    let state = await readState(page);
    let played = 0;
    let last = state.currentTime;
    const script = [...(options.seeks ?? [])];
    const seeks: Array<{ to: number; landedAt: number | null; from: number; askedAtMs: number }> = [];
    // "asked": waiting for the last seek's 'seeked' (from event index seekFrom on).
    let seek: "idle" | "asked" = "idle";
    let seekFrom = 0;
    const switches: Array<{ afterSeconds: number; to: string }> = [];
    let nextSwitchAt = options.switchEverySeconds ?? Number.POSITIVE_INFINITY;
    let outcome: PlayerOutcome = "timeout";
    let reason = `no outcome within ${timeoutMs} ms`;
    while (Date.now() - started < timeoutMs) {
        await page.waitForTimeout(sampleMs);
        state = await readState(page);
        samples.push({ atMs: Date.now() - started, type: "sample", currentTime: state.currentTime, detail: null });
        // Only small forward steps while no seek is in flight are playback; a jump is the seek.
        const step = state.currentTime - last;
        if (seek !== "asked" && step > 0 && step < Math.max(2, (sampleMs / 1000) * 4)) played += step;
        last = state.currentTime;
        if (state.error) {
            outcome = "error";
            reason = state.error;
            break;
        }
        if (state.ended) {
            outcome = "ended";
            reason = `media ended at ${state.currentTime.toFixed(3)} s`;
            break;
        }
        options.onSample?.(state, played);
        if (seek === "idle" && script.length > 0 && played >= script[0]!.afterSeconds) {
            const next = script.shift()!;
            const askedAtMs = Date.now() - started;
            seekFrom = await page.evaluate((to) => (window as unknown as PageApi).playerSeek(to), next.to);
            seeks.push({ to: next.to, landedAt: null, from: seekFrom, askedAtMs });
            seek = "asked";
        }
        if (seek === "asked" && (await hasSeeked(page, seekFrom))) seek = "idle";
        if (seek === "idle" && played >= nextSwitchAt) {
            const to = await page.evaluate(() => (window as unknown as PageApi).playerSwitchNext());
            if (to !== null) switches.push({ afterSeconds: played, to });
            nextSwitchAt = played + options.switchEverySeconds!;
        }
        if (seek !== "asked" && script.length === 0 && played >= options.seconds) {
            outcome = "played";
            reason = `played ${played.toFixed(3)} s of media`;
            break;
        }
    }
    // The page stamps its events with Date.now(); same clock as ours.
    const pageEvents = await page.evaluate(() => (window as unknown as PageApi).playerEvents(0));
    const events = pageEvents.map((e) => ({ ...e, atMs: e.atMs - started }));
    for (const asked of seeks) asked.landedAt = events.slice(asked.from).find((e) => e.type === "seeked")?.currentTime ?? null;
    await Promise.all(bodies);
    let screenshotPath: string | null = null;
    if (options.screenshotPath) {
        await page.locator("video").screenshot({ path: options.screenshotPath });
        screenshotPath = options.screenshotPath;
    }
    return {
        outcome,
        reason,
        state,
        playedSeconds: played,
        seeks: seeks.map(({ to, landedAt, from, askedAtMs }, index) => ({
            to,
            landedAt,
            askedAtMs,
            // Only this seek's events: a later seek's frames are not this one's.
            frameAtMs: seekFrameAtMs(events.slice(from, seeks[index + 1]?.from)),
        })),
        switches,
        responses,
        startupMs: events.find((e) => e.type === "playing")?.atMs ?? null,
        firstMediaMs,
        wallMs: Date.now() - started,
        startedAtMs: started,
        timeline: [...events, ...samples].sort((a, b) => a.atMs - b.atMs),
        requests,
        console: consoleLines,
        screenshotPath,
    };
}

/**
 * When frames advanced again after a seek, from the page's events since the seek was asked (atMs
 * as given): the page's "seekframe" (requestVideoFrameCallback saw frames advance at the new
 * position); without one, the 'seeked' event, or the 'playing' after it when the seek had to wait
 * for data (a 'waiting' before 'seeked'). Null when the seek never finished.
 */
export function seekFrameAtMs(events: Array<Pick<TimelineEntry, "atMs" | "type">>): number | null {
    const frame = events.find((e) => e.type === "seekframe");
    if (frame) return frame.atMs;
    const seeked = events.findIndex((e) => e.type === "seeked");
    if (seeked < 0) return null;
    const waited = events.slice(0, seeked).some((e) => e.type === "waiting");
    if (!waited) return events[seeked]!.atMs;
    return events.slice(seeked).find((e) => e.type === "playing")?.atMs ?? null;
}

/** The functions player-page.js puts on window. */
interface PageApi {
    playerState(): PlayerState;
    playerEvents(since: number): TimelineEntry[];
    playerSeek(seconds: number): number;
    playerSwitchNext(): string | null;
}

async function readState(page: Page): Promise<PlayerState> {
    return page.evaluate(() => (window as unknown as Partial<PageApi>).playerState?.() ?? null).then((state) => state ?? emptyState());
}

async function hasSeeked(page: Page, since: number): Promise<boolean> {
    const events = await page.evaluate((from) => (window as unknown as PageApi).playerEvents(from), since);
    return events.some((e) => e.type === "seeked");
}

function emptyState(): PlayerState {
    return {
        currentTime: 0,
        bufferAheadS: 0,
        duration: null,
        readyState: 0,
        playing: false,
        ended: false,
        stalls: 0,
        waitingEvents: 0,
        decodedFrames: 0,
        droppedFrames: 0,
        videoWidth: 0,
        videoHeight: 0,
        error: null,
    };
}
