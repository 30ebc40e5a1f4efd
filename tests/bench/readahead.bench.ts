// Readahead baseline: a title played through the channel over a slow link (simulator + bridge
// figures, not device figures). Today's channel fetches only when the player asks; these lines
// are what the readahead work (the channel fetching ahead to a target buffer) is compared with.
// Its goal: no stall at a link 1.3x the title's bitrate, seek-to-frame at least 2x faster than
// with readahead off, waste under 10 %.
//
// Set-up: the origin's F28 link at LINKS x the title's bitrate (video + audio bytes x 8 / duration,
// the video representation pinned), with latency and a seeded jitter. F28 paces each SABR answer
// on its own: two answers in flight each get `bps`. One channel per run, on a simulator rebooted
// first (cachefs: empty, nothing kept from the run before).
// Scenarios: `play` (the whole title, no seeks) and `seeks` (three seeks, forward, back, forward,
// at set points), each per link, ROUNDS times (default 2), per readahead mode in MODES.
//
// Figures of a run:
// - startupMs: the player page opening to its first 'playing'.
// - stalls, stallMs: rebuffering after the first frame: a 'waiting' of the media element after
//   the first 'playing' that is not a seek filling its buffer, until the next 'playing' (or a
//   seek, the end, the run's end); per minute of media played (seek jumps excluded).
// - seekToFrameMs: from the seek call to frames advancing at the new position (the page's
//   requestVideoFrameCallback: the second frame presented after the seek finished; without it
//   'seeked', or the 'playing' after it when the seek waited for data). p50/p95 in the summary.
// - postsPerMin: SABR POSTs in the origin's request log during the run, per minute of media played.
// - wasteRatio: media bytes the origin sent (SABR MEDIA parts, from each logged answer's parts
//   up to the bytes it wrote) for segments the player never received (no complete 206 answer to
//   a range overlapping the segment) / all media bytes the origin sent. resentBytes: copies of a
//   received segment sent more than once (not in the ratio).
// - cacheHitRatio: the channel's /metrics pipeline.cacheHits / pipeline.requests at the end.
// npm run bench -- readahead [--report <dir>]; ROUNDS=1 for one round; LINKS=1.3,2 by default.
import { startOrigin } from "../../tools/origin/server.ts";
import { buildChannel, launchChannel, type ChannelOptions } from "../../tools/channel/launch.ts";
import { Simulator } from "../../tools/sim/simulator.ts";
import { playInChromium, type PlayOptions } from "../../tools/player/run-player.ts";
import { PlaybackRecorder, writeTimelinePage } from "../../tools/report/recorder.ts";
import {
    mediaBytesSent,
    median,
    percentile,
    perMinute,
    round,
    segmentsReceived,
    stallsOf,
    wasteOf,
} from "../../tools/bench/readahead-figures.ts";

const TITLE = "sabrOrigin1";
/** The highest video representation of the title; shaka's ABR is off. */
const VIDEO_ITAG = 134;
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const LINKS = (process.env.LINKS ?? "1.3,2").split(",").map(Number);
const LATENCY_MS = 150;
const JITTER_MS = 100;
const REPORT_DIR = process.env.BENCH_REPORT_DIR;

/**
 * Readahead modes and the server settings each adds (Server.normalizeConfig). Only "off" exists
 * today; the readahead work adds e.g. `{ name: "on", server: { readahead: { targetS: 30 } } }`.
 */
const MODES: Array<{ name: string; server: Record<string, unknown> }> = [{ name: "off", server: {} }];

const SCENARIOS: Array<{ name: string; play: Pick<PlayOptions, "seconds" | "seeks"> }> = [
    { name: "play", play: { seconds: Number.POSITIVE_INFINITY } },
    {
        name: "seeks",
        // Media played before each seek (jumps excluded): forward into the unfetched middle, back
        // behind it, forward again; then 6 s at the last position (50 s of a 60 s title).
        play: {
            seconds: 26,
            seeks: [
                { afterSeconds: 8, to: 40 },
                { afterSeconds: 14, to: 20 },
                { afterSeconds: 20, to: 50 },
            ],
        },
    },
];

interface RunFigures {
    startupMs: number;
    stalls: number;
    stallMs: number;
    stallsPerMin: number;
    stallMsPerMin: number;
    seekToFrameMs: number[];
    /** Seeks timed by the page's frame callback (the rest by 'seeked'/'playing'). */
    seeksTimedByFrames: number;
    posts: number;
    postsPerMin: number;
    mediaSeconds: number;
    sentBytes: number;
    wastedBytes: number;
    wasteRatio: number;
    resentBytes: number;
    cacheHitRatio: number;
}

const origin = await startOrigin({ port: 0 });
const title = origin.titles.get(TITLE);
if (!title) throw new Error(`the origin has no title ${TITLE}`);
const formats = title.formats;
const video = formats.find((f) => f.itag === VIDEO_ITAG);
const audio = formats.find((f) => f.kind === "audio");
if (!video || !audio) throw new Error(`${TITLE} lacks itag ${VIDEO_ITAG} or an audio format`);
const titleBps = Math.round(((video.bytes.length + audio.bytes.length) * 8) / (title.durationMs / 1000));
const simulator = await Simulator.launch({ bridge: { portMap: { 7010: 0, 7011: 0, 7012: 0 } } });

function channelOptions(mode: (typeof MODES)[number]): ChannelOptions {
    return {
        manifestUrl: `${origin.url}/manifest/${TITLE}.mpd?variant=single`,
        // The player page is served from another origin than the channel.
        server: { cors: true, ...mode.server },
        fetchWorker: {},
        cacheWriter: {},
        outDir: `out/bench/readahead-${mode.name}`,
        timeoutMs: 600_000,
    };
}

async function run(
    mode: (typeof MODES)[number],
    zip: string,
    scenario: (typeof SCENARIOS)[number],
    linkBps: number,
    name: string,
): Promise<RunFigures> {
    origin.setFaults(`F28:bps=${Math.round(linkBps / 8)}:latencyMs=${LATENCY_MS}:jitterMs=${JITTER_MS}:seed=1@always`);
    simulator.reboot(); // cachefs: empty: no segment kept from an earlier run
    const options = channelOptions(mode);
    const recorder = new PlaybackRecorder();
    const channel = await launchChannel({ ...options, onLine: (line) => recorder.channelLine(line) }, { zip, simulator });
    try {
        const lastLogId = origin.log().at(-1)?.id ?? 0;
        const played = await playInChromium({
            manifestUrl: "http://127.0.0.1:7010/manifest.mpd",
            ports: { 7010: channel.ports.manifest, 7011: channel.ports.video, 7012: channel.ports.audio },
            videoId: `${VIDEO_ITAG}:`,
            ...scenario.play,
            browser: simulator.browser,
            timeoutMs: (title!.durationMs / 1000) * 4000 + 60_000,
            onSample: (state) => recorder.sample(state),
        });
        const metrics = await channel.metrics();
        const entries = origin.log().filter((entry) => entry.id > lastLogId && entry.path.includes("/videoplayback"));
        if (REPORT_DIR) {
            recorder.playerResult(played);
            recorder.metrics(metrics);
            recorder.originLog(entries);
            const timeline = recorder.finish({
                title: TITLE,
                subtitle: `${name}, readahead ${mode.name}, itag ${VIDEO_ITAG}, link ${Math.round(linkBps)} bit/s`,
                mediaDurationS: played.state.duration,
                outcome: played.reason,
            });
            console.error(`bench: playback page ${await writeTimelinePage(`${REPORT_DIR}/${name}.html`, timeline)}`);
        }
        // A broken run must not pass as a figure.
        if (played.outcome === "error" || played.outcome === "timeout") throw new Error(`${name}: ${played.outcome}: ${played.reason}`);
        if (played.startupMs === null) throw new Error(`${name}: no first frame`);
        const seekToFrameMs = played.seeks.map((seek, index) => {
            if (seek.askedAtMs === undefined || seek.frameAtMs === undefined || seek.frameAtMs === null)
                throw new Error(`${name}: seek ${index + 1} to ${seek.to} s: frames never advanced after it`);
            return seek.frameAtMs - seek.askedAtMs;
        });
        const stalls = stallsOf(played.timeline, played.wallMs);
        const stallMs = stalls.reduce((sum, stall) => sum + stall.ms, 0);
        const mediaSeconds = played.playedSeconds;
        const posts = entries.filter((entry) => entry.method === "POST").length;
        const waste = wasteOf(mediaBytesSent(entries), segmentsReceived(played.requests, formats), formats);
        const pipeline = (metrics.pipeline ?? {}) as Record<string, number>;
        if (!(pipeline.requests! > 0)) throw new Error(`${name}: /metrics counted no pipeline requests`);
        return {
            startupMs: played.startupMs,
            stalls: stalls.length,
            stallMs,
            stallsPerMin: round(perMinute(stalls.length, mediaSeconds), 2),
            stallMsPerMin: Math.round(perMinute(stallMs, mediaSeconds)),
            seekToFrameMs,
            seeksTimedByFrames: played.timeline.filter((entry) => entry.type === "seekframe").length,
            posts,
            postsPerMin: round(perMinute(posts, mediaSeconds)),
            mediaSeconds: round(mediaSeconds),
            sentBytes: waste.sentBytes,
            wastedBytes: waste.wastedBytes,
            wasteRatio: round(waste.wasteRatio, 3),
            resentBytes: waste.resentBytes,
            cacheHitRatio: round((pipeline.cacheHits ?? 0) / pipeline.requests!, 3),
        };
    } finally {
        await channel.close();
    }
}

try {
    for (const mode of MODES) {
        const zip = await buildChannel(channelOptions(mode));
        for (const factor of LINKS) {
            const linkBps = Math.round(titleBps * factor);
            for (const scenario of SCENARIOS) {
                const scenarioName = `${scenario.name}-link${Math.round(factor * 100)}`;
                const common = { readahead: mode.name, linkBps, linkFactor: factor, titleBps, title: TITLE, itag: VIDEO_ITAG };
                const runs: RunFigures[] = [];
                for (let r = 1; r <= ROUNDS; r++) {
                    const figures = await run(mode, zip, scenario, linkBps, `readahead-${mode.name}-${scenarioName}-round${r}`);
                    runs.push(figures);
                    console.log(
                        JSON.stringify({
                            bench: `readahead.${scenarioName}.round`,
                            round: r,
                            ...common,
                            ...figures,
                            where: "simulator+bridge",
                        }),
                    );
                }
                const mid = (key: keyof RunFigures): number | null => median(runs.map((figures) => figures[key] as number));
                const seekTimes = runs.flatMap((figures) => figures.seekToFrameMs);
                console.log(
                    JSON.stringify({
                        bench: `readahead.${scenarioName}`,
                        ...common,
                        rounds: ROUNDS,
                        median: {
                            startupMs: mid("startupMs"),
                            stalls: mid("stalls"),
                            stallMs: mid("stallMs"),
                            stallsPerMin: mid("stallsPerMin"),
                            stallMsPerMin: mid("stallMsPerMin"),
                            postsPerMin: mid("postsPerMin"),
                            wasteRatio: mid("wasteRatio"),
                            cacheHitRatio: mid("cacheHitRatio"),
                        },
                        seekToFrameMs:
                            seekTimes.length > 0
                                ? { p50: percentile(seekTimes, 50), p95: percentile(seekTimes, 95), samples: seekTimes.length }
                                : null,
                        where: "simulator+bridge",
                    }),
                );
            }
        }
    }
} finally {
    await simulator.close();
    await origin.close();
}
