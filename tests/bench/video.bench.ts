// From a deep link to the first frame, in the simulator (simulator + bridge figures, not device
// figures): the channel is launched with contentId=<id>&mediaType=movie, asks the companion (on
// the origin's InnerTube and PO-token stand-ins) for the manifest, serves it, and shaka-player
// plays it through the channel. Split into:
// - channelStartMs: launch → the companion sees the manifest request (engine start, config task)
// - companionMs: the companion's manifest answer (its /player call, n solving, PO token)
// - channelMs: manifest answered → the player has its first media range, the first SABR answer
//   served (manifest rewrite, server up, the player's first requests, the first SABR POST, its
//   answer parsed and served)
// - playerMs: first media range → first frame (shaka's own start-up and decode)
// Each round runs twice: with a companion started for it (its first manifest calls /player) and
// again with the same companion (the /player answer comes from its cache). ROUNDS=3 by default.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { startOrigin } from "../../tools/origin/server.ts";
import { buildChannel, launchChannel, type ChannelOptions } from "../../tools/channel/launch.ts";
import { Simulator } from "../../tools/sim/simulator.ts";
import { startCompanionOnOrigin, type StandInCompanion } from "../../tools/companion/standin.ts";
import { playInChromium } from "../../tools/player/run-player.ts";
import { PlaybackRecorder, writeTimelinePage } from "../../tools/report/recorder.ts";

const VIDEO = "sabrOrigin1";
const ROUNDS = Number(process.env.ROUNDS ?? 3);
/** `npm run bench -- video --report <dir>`: the playback page of every run goes there. */
const REPORT_DIR = process.env.BENCH_REPORT_DIR;

interface Split {
    channelStartMs: number;
    companionMs: number;
    channelMs: number;
    playerMs: number;
    totalMs: number;
}

/** A pass-through in front of the companion that notes when the manifest request came and was answered. */
async function timedFront(target: string): Promise<{ url: string; times: { asked?: number; answered?: number }; close(): Promise<void> }> {
    const times: { asked?: number; answered?: number } = {};
    const base = new URL(target);
    const server = http.createServer((request, response) => {
        const manifest = request.url?.includes("/manifest/") ?? false;
        if (manifest) times.asked = Date.now();
        const upstream = http.request(
            {
                host: base.hostname,
                port: base.port,
                path: `${base.pathname.replace(/\/$/, "")}${request.url}`,
                method: request.method,
                headers: request.headers,
            },
            (answer) => {
                response.writeHead(answer.statusCode ?? 502, answer.headers);
                answer.pipe(response);
                answer.on("end", () => {
                    if (manifest) times.answered = Date.now();
                });
            },
        );
        upstream.on("error", () => response.destroy());
        request.pipe(upstream);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        times,
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

const origin = await startOrigin({ port: 0, faults: "F17:script=potoken" });
const simulator = await Simulator.launch({ bridge: { portMap: { 7010: 0, 7011: 0, 7012: 0 } } });
const options: ChannelOptions = {
    server: { cors: true },
    fetchWorker: {},
    cacheWriter: {},
    outDir: "out/bench/video",
    timeoutMs: 300_000,
};
const zip = await buildChannel(options);

async function deepLinkToFirstFrame(companion: StandInCompanion, name: string): Promise<Split> {
    // Every launch starts with an empty segment cache (cachefs: outlives a run, as on a device), so
    // "cached" measures the companion's cache alone; tests/bench/cache.bench.ts measures the other.
    simulator.reboot();
    const front = await timedFront(companion.companion.url);
    const launched = Date.now();
    const channel = await launchChannel(
        {
            ...options,
            launchParams: { contentId: VIDEO, mediaType: "movie", companionUrl: front.url },
        },
        { zip, simulator },
    );
    try {
        const playerStarted = Date.now();
        const recorder = new PlaybackRecorder(playerStarted);
        const played = await playInChromium({
            manifestUrl: "http://127.0.0.1:7010/manifest.mpd",
            ports: { 7010: channel.ports.manifest, 7011: channel.ports.video, 7012: channel.ports.audio },
            seconds: 1,
            browser: simulator.browser,
            timeoutMs: 120_000,
            onSample: (state) => recorder.sample(state),
        });
        if (REPORT_DIR) {
            recorder.playerResult(played);
            recorder.metrics(await channel.metrics().catch(() => ({})));
            recorder.originLog(origin.log());
            const timeline = recorder.finish({
                title: `video ${VIDEO}`,
                subtitle: name,
                mediaDurationS: played.state.duration,
                outcome: played.reason,
            });
            console.error(`bench: playback page ${await writeTimelinePage(`${REPORT_DIR}/${name}.html`, timeline)}`);
        }
        if (played.startupMs === null || played.firstMediaMs === null) throw new Error(`no frame: ${played.reason}`);
        const firstFrame = playerStarted + played.startupMs;
        const firstMedia = playerStarted + played.firstMediaMs;
        const { asked, answered } = front.times;
        if (!asked || !answered) throw new Error("the companion never saw the manifest request");
        return {
            channelStartMs: asked - launched,
            companionMs: answered - asked,
            channelMs: firstMedia - answered,
            playerMs: firstFrame - firstMedia,
            totalMs: firstFrame - launched,
        };
    } finally {
        await channel.close();
        await front.close();
    }
}

const runs: Record<"fresh" | "cached", Split[]> = { fresh: [], cached: [] };
for (let round = 1; round <= ROUNDS; round++) {
    const companion = await startCompanionOnOrigin(origin);
    try {
        for (const kind of ["fresh", "cached"] as const) {
            const split = await deepLinkToFirstFrame(companion, `video-${kind}-round${round}`);
            runs[kind].push(split);
            console.log(JSON.stringify({ bench: `video.deepLinkToFirstFrame.${kind}.round`, round, ...split, where: "simulator+bridge" }));
        }
    } finally {
        await companion.close();
    }
}
const summary = (kind: "fresh" | "cached"): Record<string, number> =>
    Object.fromEntries(
        (["channelStartMs", "companionMs", "channelMs", "playerMs", "totalMs"] as const).map((key) => [
            key,
            median(runs[kind].map((split) => split[key])),
        ]),
    );
const fresh = summary("fresh");
const cached = summary("cached");
console.log(
    JSON.stringify({ bench: "video.deepLinkToFirstFrame", manifest: "fresh", rounds: ROUNDS, median: fresh, where: "simulator+bridge" }),
);
console.log(
    JSON.stringify({
        bench: "video.deepLinkToFirstFrame",
        manifest: "cached by the companion",
        rounds: ROUNDS,
        median: cached,
        companionRatio: Number((cached.companionMs! / fresh.companionMs!).toFixed(3)),
        totalRatio: Number((cached.totalMs! / fresh.totalMs!).toFixed(3)),
        where: "simulator+bridge",
    }),
);
await simulator.close();
await origin.close();
