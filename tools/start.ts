// npm start: the main job. Starts the local SABR origin, builds the channel pointed at it, runs it
// in the simulator with real sockets (network bridge), and plays the channel's manifest in a real
// DASH player (shaka-player) in the same headless Chromium, through the channel's SABR pipeline.
import { parseArgs } from "node:util";
import { parseDeviceRules, type DeviceRuleOverrides } from "./sim/device-rules.ts";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { startOrigin, type OriginHandle } from "./origin/server.ts";
import { ChannelStartError, launchChannel, type RunningChannel } from "./channel/launch.ts";
import { playInChromium, startPlayerServer, type PlayerResponse, type PlayerResult } from "./player/run-player.ts";
import type { StaticServer } from "./sim/static-server.ts";
import { parseRangeHeader, ReceivedRepresentation } from "./dash-client/index.ts";
import { startCompanionOnOrigin, type StandInCompanion } from "./companion/standin.ts";
import { PlaybackRecorder } from "./report/recorder.ts";
import { renderTimelineHtml } from "./report/timeline.ts";

const USAGE = `Usage: npm start [-- options]     (or: make start)

Starts the local SABR origin, builds the channel with the origin's manifest URL, runs it in the
simulator (brs-engine + SceneGraph in headless Chromium) with real sockets, and plays the channel's
manifest with shaka-player in the same Chromium: every byte the player gets comes through the
channel's server, fetch worker and cache writer. Shows a live line while it plays, then a summary;
writes out/start/report.json, out/start/screenshot.png and out/start/report.html (a timeline of the
playback: position, buffer ahead, player requests, cache hits, SABR POSTs, stalls and seeks; opens
from the file system). Exits 1 naming the stage that failed.

Options:
  --title <id>        origin title: sabrOrigin1 (60 s) or sabrOrigin2 (30 s) (default sabrOrigin1)
  --video <id>        play a video id the way a Roku user does: the companion (tools/companion, on
                      the origin's InnerTube stand-in, PO tokens from the origin's provider stand-in)
                      makes the manifest and the channel is launched by deep link
                      (contentId=<id>&mediaType=movie). The origin enforces PO tokens (fault F17
                      script=potoken): a token that is missing or expired gets stream protection
                      status 2, then 3. Ids: sabrOrigin1, sabrOrigin2
  --pot-ttl <s>       with --video: lifetime of the PO tokens the provider stand-in mints (default
                      21600); a short one expires mid-play and the session must renew it
  --variant <name>    manifest variant: single, multi (two periods) or unscoped (default single)
  --format <itag>     video format: 160 (144p), 133 (240p), 134 (360p) (default 134)
  --duration <s|end>  seconds of media to play, or "end" for the whole title (default end)
  --faults <spec>     an origin fault profile active from the start, e.g. "F12@nth=2,F16@times=3"
                      (npm run origin -- --list-faults lists them)
  --seek <script>     seeks: "<afterSeconds>:<toSeconds>,..." (seconds of media played, then the
                      target), or a preset: forward (2:20), back (2:20,4:6), period (2:26: across
                      the boundary of the multi variant)
  --tls               serve the origin over HTTPS with a CA made for this run, and make the
                      simulated Roku trust that CA (manifest and SABR URLs are https://)
  --numbers           the origin sends the payload's integer fields (lastModified, contentLength,
                      approxDurationMs, ranges, ...) as JSON numbers, as real payloads do
  --device-rules <list>  change the simulator's device rules, e.g. noByteArraySlice=on, or
                      "none" for the kind simulator (npm run sim -- --help lists them; default:
                      every documented rule on)
  --console           print the channel's console (its debug log) as it runs
  --timeout <s>       give up after this many seconds (default 300)
  --headed            show the browser windows (needs a display)
  --open              after the run, keep everything up and print a URL where any browser on this
                      machine watches the simulator's screen next to the player; Ctrl-C ends it
  -h, --help          show this help`;

const { values } = parseArgs({
    options: {
        title: { type: "string", default: "sabrOrigin1" },
        video: { type: "string" },
        "pot-ttl": { type: "string" },
        variant: { type: "string", default: "single" },
        format: { type: "string", default: "134" },
        duration: { type: "string", default: "end" },
        faults: { type: "string" },
        seek: { type: "string" },
        timeout: { type: "string", default: "300" },
        console: { type: "boolean", default: false },
        tls: { type: "boolean", default: false },
        numbers: { type: "boolean", default: false },
        "device-rules": { type: "string" },
        headed: { type: "boolean", default: false },
        open: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
    },
});
if (values.help) {
    console.log(USAGE);
    process.exit(0);
}

const OUT = "out/start";
const SEEK_PRESETS: Record<string, string> = { forward: "2:20", back: "2:20,4:6", period: "2:26" };

/** What is running, so a failing stage can shut it down. */
const running: { origin?: OriginHandle; companion?: StandInCompanion; channel?: RunningChannel; playerServer?: StaticServer } = {};

async function shutDown(): Promise<void> {
    await running.playerServer?.close();
    await running.channel?.close();
    await running.companion?.close();
    await running.origin?.close();
}

async function stageFailed(stage: string, reason: string): Promise<never> {
    console.error(`\nstart: stage "${stage}" failed: ${reason}`);
    await shutDown();
    process.exit(1);
}

function parseSeeks(text: string | undefined): Array<{ afterSeconds: number; to: number }> {
    if (!text) return [];
    const script = SEEK_PRESETS[text] ?? text;
    return script.split(",").map((step) => {
        const [after, to] = step.split(":").map(Number);
        if (!Number.isFinite(after) || !Number.isFinite(to) || after! < 0 || to! < 0)
            throw new Error(`bad --seek step "${step}" (want afterSeconds:toSeconds)`);
        return { afterSeconds: after!, to: to! };
    });
}

const timeoutMs = Number(values.timeout) * 1000;
const videoId = values.video;
/** What plays: the --video id, else the --title. */
const titleId = videoId ?? values.title;
if (videoId !== undefined && values.tls)
    await stageFailed("options", "--video does not take --tls yet (the companion would have to trust the run's CA)");
if (videoId !== undefined && values.variant !== "single")
    await stageFailed("options", "--video plays the companion's manifest: no --variant");
if (values["pot-ttl"] !== undefined && (videoId === undefined || !(Number(values["pot-ttl"]) > 0)))
    await stageFailed("options", "--pot-ttl takes seconds and goes with --video");
const itag = Number(values.format);
if (!["single", "multi", "unscoped"].includes(values.variant)) await stageFailed("options", `unknown --variant ${values.variant}`);
if (![160, 133, 134].includes(itag)) await stageFailed("options", `unknown --format ${values.format} (have 160, 133, 134)`);
if (values.duration !== "end" && !(Number(values.duration) > 0))
    await stageFailed("options", `--duration must be seconds or "end", not ${values.duration}`);
if (values.headed && !process.env.DISPLAY) await stageFailed("options", "--headed needs a display (DISPLAY is not set)");
let seeks: Array<{ afterSeconds: number; to: number }> = [];
try {
    seeks = parseSeeks(values.seek);
} catch (error) {
    await stageFailed("options", (error as Error).message);
}

let deviceRules: DeviceRuleOverrides = {};
try {
    deviceRules = values["device-rules"] === undefined ? {} : parseDeviceRules(values["device-rules"]);
} catch (error) {
    await stageFailed("options", (error as Error).message);
}

console.log(`start: [1/4] starting the local SABR origin${videoId ? " and the companion" : ""}`);
const faults = [videoId ? "F17:script=potoken" : "", values.faults ?? ""].filter(Boolean).join(",");
const origin = await startOrigin({
    port: 0,
    tls: values.tls,
    numericPayload: values.numbers,
    ...(faults ? { faults } : {}),
    ...(values["pot-ttl"] ? { potTtlSeconds: Number(values["pot-ttl"]) } : {}),
}).catch((error: Error) => stageFailed("origin", error.message));
running.origin = origin;
const title = origin.titles.get(titleId);
if (!title)
    await stageFailed("options", `unknown ${videoId ? "--video" : "--title"} ${titleId} (have: ${[...origin.titles.keys()].join(", ")})`);
let source: { manifestUrl?: string; companionUrl?: string; launchParams?: Record<string, string> };
if (videoId) {
    running.companion = await startCompanionOnOrigin(origin).catch((error: Error) => stageFailed("companion", error.message));
    source = { companionUrl: running.companion.companion.url, launchParams: { contentId: videoId, mediaType: "movie" } };
    console.log(`        companion ${source.companionUrl} (InnerTube and PO tokens from the origin's stand-ins); faults ${faults}`);
    console.log(`        deep link: contentId=${videoId}&mediaType=movie`);
} else {
    source = { manifestUrl: `${origin.url}/manifest/${titleId}.mpd?variant=${values.variant}` };
    console.log(
        `        ${source.manifestUrl}${values.faults ? `  (faults ${values.faults})` : ""}${values.numbers ? "  (payload integers as numbers)" : ""}`,
    );
}
if (origin.tls) console.log(`        TLS with a CA made for this run; the simulated Roku trusts it`);

console.log("start: [2/4] building the channel and running it in the simulator");
// The page's data (out/start/report.html): the channel's fetch lines from its launch on; the page's
// times count from the player's start.
const recorder = new PlaybackRecorder();
const channel = await launchChannel({
    ...source,
    // The player page is served from another origin than the channel: the server answers CORS.
    server: { cors: true },
    fetchWorker: {},
    cacheWriter: {},
    outDir: OUT,
    timeoutMs: timeoutMs + 60_000,
    headed: values.headed,
    ...(origin.tls ? { trustedCertificates: [origin.tls.caPem] } : {}),
    deviceRules,
    onLine: (line: string) => {
        recorder.channelLine(line);
        if (values.console) console.log(`        | ${line.trimEnd()}`);
    },
}).catch((error: unknown) => {
    if (error instanceof ChannelStartError) return stageFailed(error.stage, error.message);
    return stageFailed("channel", String(error));
});
running.channel = channel;
console.log(`        the channel serves ${channel.localManifestUrl} (the channel's port 7010)`);

const ports = { 7010: channel.ports.manifest, 7011: channel.ports.video, 7012: channel.ports.audio };
const seconds = values.duration === "end" ? Number.POSITIVE_INFINITY : Number(values.duration);
console.log(
    `start: [3/4] playing ${videoId ? `video ${videoId}` : `${titleId} (${values.variant})`}, itag ${itag}, with shaka-player through the channel`,
);
const progress = startProgress(channel, recorder);
// The player page opens in the simulator's own Chromium, next to the channel.
const browser = channel.simulator.browser;
let result: PlayerResult;
try {
    result = await playInChromium({
        manifestUrl: `http://127.0.0.1:7010/manifest.mpd`,
        ports,
        videoId: `${itag}:`,
        seconds,
        seeks,
        captureBodies: true,
        screenshotPath: `${OUT}/screenshot.png`,
        browser,
        timeoutMs,
        onSample: (state, played) => {
            recorder.sample(state);
            progress.player(state.currentTime, played, state.stalls);
        },
    });
} finally {
    progress.stop();
}

console.log("start: [4/4] checking every byte the player got against the source");
const verdict = verifyBytes(origin, titleId, result.responses);
const metrics = await channel.metrics().catch(() => ({}) as Record<string, unknown>);
recorder.playerResult(result);
recorder.metrics(metrics);
recorder.originLog(origin.log());
const report = {
    title: titleId,
    variant: videoId ? null : values.variant,
    video: videoId ? protectionSummary(origin, metrics) : null,
    format: itag,
    faults: values.faults ?? null,
    outcome: result.outcome,
    reason: result.reason,
    playedSeconds: Number(result.playedSeconds.toFixed(3)),
    startupMs: result.startupMs,
    frames: { decoded: result.state.decodedFrames, dropped: result.state.droppedFrames },
    stalls: result.state.stalls,
    seeks: result.seeks,
    bytes: verdict,
    channel: metrics,
    screenshot: result.screenshotPath,
};
await mkdir(OUT, { recursive: true });
await writeFile(`${OUT}/report.json`, JSON.stringify(report, null, 2));
const timeline = recorder.finish({
    title: videoId ? `video ${videoId}` : titleId,
    subtitle: [
        videoId ? "deep link through the companion" : `variant ${values.variant}`,
        `itag ${itag}`,
        values.faults ? `faults ${values.faults}` : "",
        seeks.length > 0 ? `seeks ${seeks.map((step) => `${step.afterSeconds}:${step.to}`).join(",")}` : "",
        new Date(recorder.startedAtMs).toISOString(),
    ]
        .filter(Boolean)
        .join(" | "),
    mediaDurationS: result.state.duration,
    outcome: `${result.outcome}: ${result.reason}`,
});
await writeFile(`${OUT}/report.html`, renderTimelineHtml(timeline));
printSummary(report, metrics);

if (result.outcome === "error" || result.outcome === "timeout") await stageFailed("player", result.reason);
if (result.state.decodedFrames === 0) await stageFailed("player", "no video frame was decoded");
if (verdict.mismatches.length > 0) await stageFailed("verify", `bytes differ from the source: ${verdict.mismatches[0]}`);
if (verdict.responses === 0) await stageFailed("verify", "the player got no media bytes");

if (values.open) await keepOpen(ports);
await shutDown();
console.log(`start: played ${report.playedSeconds} s of ${titleId} through the channel; report in ${OUT}/report.json`);

/**
 * For --video: what the origin said about the PO tokens it saw (stream protection status per
 * SABR answer, the check of each request's token) and how often the channel renewed its token.
 */
function protectionSummary(originHandle: OriginHandle, channelMetrics: Record<string, unknown>): VideoSummary {
    const statuses: Record<string, number> = {};
    const tokens: Record<string, number> = {};
    let playerCalls = 0;
    for (const entry of originHandle.log()) {
        if (entry.path.startsWith("/youtubei/v1/player")) playerCalls++;
        for (const part of entry.parts ?? []) {
            const status = /^sps:(\d)$/.exec(part.label ?? "")?.[1];
            if (status) statuses[status] = (statuses[status] ?? 0) + 1;
        }
        for (const note of entry.notes ?? []) {
            const check = /^po token (\S+)$/.exec(note)?.[1];
            if (check) tokens[check] = (tokens[check] ?? 0) + 1;
        }
    }
    const sessions = (channelMetrics.sessions ?? {}) as Record<string, { totals?: { tokenRenewals?: number; reloads?: number } }>;
    const totals = Object.values(sessions).map((session) => session.totals ?? {});
    return {
        id: videoId!,
        poTokenTtlSeconds: values["pot-ttl"] ? Number(values["pot-ttl"]) : 21600,
        protectionStatuses: statuses,
        tokenChecks: tokens,
        playerCalls,
        tokenRenewals: totals.reduce((sum, t) => sum + (t.tokenRenewals ?? 0), 0),
        reloads: totals.reduce((sum, t) => sum + (t.reloads ?? 0), 0),
    };
}

interface VideoSummary {
    id: string;
    poTokenTtlSeconds: number;
    /** SABR answers per stream protection status ("1", "2", "3"). */
    protectionStatuses: Record<string, number>;
    /** SABR requests per token check (valid, missing, expired, other-video, forged). */
    tokenChecks: Record<string, number>;
    /** InnerTube `/player` calls the origin's stand-in answered (the companion's manifest and reloads). */
    playerCalls: number;
    /** Fresh tokens the channel asked the companion for. */
    tokenRenewals: number;
    reloads: number;
}

interface ByteVerdict {
    responses: number;
    bytesDelivered: number;
    mismatches: string[];
}

/**
 * Checks every ranged media response the way the DASH test client checks its own (tools/dash-client):
 * the bytes of each format kept at their file offsets and compared with the source file as the
 * origin loaded it (read in process, so no client has to trust a TLS origin's CA).
 */
function verifyBytes(originHandle: OriginHandle, videoId: string, responses: PlayerResponse[]): ByteVerdict {
    const formats = originHandle.titles.get(videoId)?.formats ?? [];
    const mismatches: string[] = [];
    const received = new Map<number, ReceivedRepresentation>();
    let bytesDelivered = 0;
    responses.forEach((response, index) => {
        const key = new URL(response.url).searchParams.get("key") ?? "";
        const itag = Number(key.split(":")[0]);
        const range = parseRangeHeader(response.range);
        if (!range || response.status !== 206) {
            mismatches.push(`${response.url} ${response.range}: status ${response.status}`);
            return;
        }
        if (response.body.length !== range.end - range.start + 1) {
            mismatches.push(
                `itag ${itag} ${response.range}: ${response.body.length} bytes for a ${range.end - range.start + 1}-byte range`,
            );
        }
        const track = response.url.includes("/audio") ? "audio" : "video";
        const representation = received.get(itag) ?? new ReceivedRepresentation(key, itag, track);
        received.set(itag, representation);
        representation.spans.push({ ...range, request: index + 1, data: response.body });
        bytesDelivered += response.body.length;
    });
    for (const [itag, representation] of received) {
        const source = formats.find((format) => format.itag === itag)?.bytes;
        const check = source ? representation.verify(source) : undefined;
        if (!check) mismatches.push(`itag ${itag} is not a format of ${videoId}`);
        else if (!check.ok) mismatches.push(check.message);
    }
    return { responses: responses.length, bytesDelivered, mismatches };
}

/** One live line: media time, segments served, cache hits, SABR requests, stalls. */
function startProgress(
    channelUnderTest: RunningChannel,
    playback: PlaybackRecorder,
): { player(time: number, played: number, stalls: number): void; stop(): void } {
    const shown = { time: 0, played: 0, stalls: 0, served: 0, hits: 0, posts: 0 };
    let lastLine = 0;
    const render = (): void => {
        const line = `        media ${shown.time.toFixed(1)} s (played ${shown.played.toFixed(1)} s) | segments served ${shown.served} | cache hits ${shown.hits} | SABR requests ${shown.posts} | stalls ${shown.stalls}`;
        if (process.stdout.isTTY) process.stdout.write(`\r${line}\u001b[K`);
        else if (Date.now() - lastLine >= 5000) {
            console.log(line);
            lastLine = Date.now();
        }
    };
    const timer = setInterval(() => {
        channelUnderTest
            .metrics()
            .then((metrics) => {
                playback.metrics(metrics);
                const pipeline = (metrics.pipeline ?? {}) as Record<string, number>;
                shown.served = (pipeline.requests ?? 0) - (pipeline.failedAnswers ?? 0);
                shown.hits = pipeline.cacheHits ?? 0;
                shown.posts = pipeline.posts ?? 0;
                render();
            })
            .catch(() => undefined);
    }, 1000);
    return {
        player: (time, played, stalls) => {
            Object.assign(shown, { time, played, stalls });
            render();
        },
        stop: () => {
            clearInterval(timer);
            if (process.stdout.isTTY) process.stdout.write("\n");
        },
    };
}

function printSummary(summary: typeof report, metrics: Record<string, unknown>): void {
    const stages = (metrics.stages ?? {}) as Record<string, { avg: number; p90: number; samples: number }>;
    console.log(`        outcome: ${summary.outcome} (${summary.reason}); start-up ${summary.startupMs ?? "-"} ms`);
    console.log(`        frames decoded ${summary.frames.decoded}, dropped ${summary.frames.dropped}; stalls ${summary.stalls}`);
    if (summary.video) {
        const statuses = Object.entries(summary.video.protectionStatuses)
            .map(([status, count]) => `${status}: ${count}`)
            .join(", ");
        console.log(
            `        PO tokens: stream protection statuses {${statuses}}; the channel renewed its token ${summary.video.tokenRenewals} time(s); reloads ${summary.video.reloads}`,
        );
    }
    for (const seek of summary.seeks) console.log(`        seek to ${seek.to} s landed at ${seek.landedAt?.toFixed(3) ?? "-"} s`);
    console.log(
        `        bytes delivered ${summary.bytes.bytesDelivered} in ${summary.bytes.responses} responses; ${summary.bytes.mismatches.length === 0 ? "all equal to the source" : `${summary.bytes.mismatches.length} differ`}`,
    );
    const stageText = Object.entries(stages)
        .filter(([, stage]) => stage.samples > 0)
        .map(([name, stage]) => `${name} avg ${stage.avg} p90 ${stage.p90}`)
        .join("; ");
    console.log(`        stages (ms): ${stageText || "-"}`);
    console.log(
        `        server loop longest busy stretch: ${String(metrics.loopMaxBusyMs ?? "-")} ms; screenshot ${summary.screenshot ?? "-"}`,
    );
    console.log(`        timeline of the playback: ${OUT}/report.html`);
}

/**
 * Until Ctrl-C: a watch page for any browser on this machine, with the simulator's screen
 * (refreshed every second) next to the player playing the channel's manifest.
 */
async function keepOpen(portMap: Record<number, number>): Promise<void> {
    running.playerServer = await startPlayerServer();
    const query = new URLSearchParams({
        manifest: "http://127.0.0.1:7010/manifest.mpd",
        ports: Object.entries(portMap)
            .map(([from, to]) => `${from}:${to}`)
            .join(","),
        video: `${itag}:`,
    });
    const playerUrl = `${running.playerServer.origin}/player-page.html?${query.toString()}`;
    const watch = createServer((request, response) => {
        if (request.url?.startsWith("/simulator.png")) {
            channel.screenshot().then(
                (png) => response.writeHead(200, { "Content-Type": "image/png", "Cache-Control": "no-store" }).end(png),
                (error: Error) => response.writeHead(503, { "Content-Type": "text/plain" }).end(error.message),
            );
            return;
        }
        response.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(watchPage(playerUrl));
    });
    await new Promise<void>((resolve) => watch.listen(0, "127.0.0.1", resolve));
    const { port } = watch.address() as { port: number };
    console.log(`start: watch at http://127.0.0.1:${port}/ (the simulator's screen and the player)`);
    console.log(`        or the player alone: ${playerUrl}`);
    console.log("        (the origin, the channel and its server stay up; the channel's console follows; Ctrl-C ends)");
    await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
    watch.close();
}

function watchPage(playerUrl: string): string {
    return `<!doctype html><meta charset="utf-8"><title>ytsabr: simulator and player</title>
<style>body{margin:0;background:#14213d;color:#e5e5e5;font:14px sans-serif;display:flex;gap:12px;padding:12px}
figure{margin:0}img,iframe{width:640px;height:360px;border:0;background:#000}</style>
<figure><img id="sim" src="/simulator.png" alt="the channel in the simulator"><figcaption>the channel (simulator)</figcaption></figure>
<figure><iframe src="${playerUrl.replace(/"/g, "&quot;")}"></iframe><figcaption>shaka-player through the channel's server</figcaption></figure>
<script>setInterval(() => { document.getElementById("sim").src = "/simulator.png?" + Date.now(); }, 1000);</script>`;
}
