// The cache across launches, in the simulator (simulator + bridge figures, not device figures): a
// title played by shaka-player through the channel, the channel exited (Back: the cache writer
// flushes its index), then launched again in the same simulator, whose cachefs: outlives the run
// as a device's does until reboot. Each round starts from a reboot (empty cachefs:).
// - cache.secondLaunch.round: per launch, launch → serving, player start → first frame, and the
//   SABR POSTs the origin saw while the player played PLAY_SECONDS of media, the segments the
//   server adopted from the cache and its loop's longest busy stretch
// - cache.secondLaunch: medians over ROUNDS (3), with second/first ratios
import { startOrigin } from "../../tools/origin/server.ts";
import { buildChannel, launchChannel, type ChannelOptions } from "../../tools/channel/launch.ts";
import { Simulator } from "../../tools/sim/simulator.ts";
import { playInChromium } from "../../tools/player/run-player.ts";

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const PLAY_SECONDS = 12;

interface Launch {
    launchToServingMs: number;
    firstFrameMs: number;
    posts: number;
    adopted: number;
    /** The server loop's longest busy stretch (adopting the kept segments happens on it). */
    loopMaxBusyMs: number;
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

const origin = await startOrigin({ port: 0 });
const simulator = await Simulator.launch({ bridge: { portMap: { 7010: 0, 7011: 0, 7012: 0 } } });
const options: ChannelOptions = {
    manifestUrl: `${origin.url}/manifest/sabrOrigin1.mpd?variant=single`,
    server: { cors: true },
    fetchWorker: {},
    cacheWriter: {},
    outDir: "out/bench/cache",
    timeoutMs: 300_000,
};
const zip = await buildChannel(options);

function postsSince(fromId: number): number {
    return origin.log().filter((entry) => entry.method === "POST" && entry.id >= fromId).length;
}

async function launchAndPlay(): Promise<Launch> {
    const fromId = (origin.log().at(-1)?.id ?? 0) + 1;
    const launched = Date.now();
    const channel = await launchChannel(options, { zip, simulator });
    const serving = Date.now();
    try {
        const played = await playInChromium({
            manifestUrl: "http://127.0.0.1:7010/manifest.mpd",
            ports: { 7010: channel.ports.manifest, 7011: channel.ports.video, 7012: channel.ports.audio },
            seconds: PLAY_SECONDS,
            browser: simulator.browser,
            timeoutMs: 180_000,
        });
        if (played.startupMs === null) throw new Error(`no frame: ${played.reason}`);
        const metrics = (await channel.metrics()) as { keptCache?: { adopted?: number }; loopMaxBusyMs?: number };
        return {
            launchToServingMs: serving - launched,
            firstFrameMs: played.startupMs,
            posts: postsSince(fromId),
            adopted: metrics.keptCache?.adopted ?? 0,
            loopMaxBusyMs: metrics.loopMaxBusyMs ?? -1,
        };
    } finally {
        const exit = await channel.exit();
        if (exit.outcome !== "exited") console.error(`bench: the channel did not exit normally: ${exit.reason}`);
    }
}

const runs: Record<"first" | "second", Launch[]> = { first: [], second: [] };
for (let round = 1; round <= ROUNDS; round++) {
    await simulator.reboot();
    for (const launch of ["first", "second"] as const) {
        const figures = await launchAndPlay();
        runs[launch].push(figures);
        console.log(JSON.stringify({ bench: "cache.secondLaunch.round", round, launch, ...figures, where: "simulator+bridge" }));
    }
}
const summary = (launch: "first" | "second"): Launch => ({
    launchToServingMs: median(runs[launch].map((r) => r.launchToServingMs)),
    firstFrameMs: median(runs[launch].map((r) => r.firstFrameMs)),
    posts: median(runs[launch].map((r) => r.posts)),
    adopted: median(runs[launch].map((r) => r.adopted)),
    loopMaxBusyMs: median(runs[launch].map((r) => r.loopMaxBusyMs)),
});
const first = summary("first");
const second = summary("second");
console.log(
    JSON.stringify({
        bench: "cache.secondLaunch",
        rounds: ROUNDS,
        playSeconds: PLAY_SECONDS,
        first,
        second,
        firstFrameRatio: Number((second.firstFrameMs / first.firstFrameMs).toFixed(3)),
        postsRatio: first.posts > 0 ? Number((second.posts / first.posts).toFixed(3)) : null,
        where: "simulator+bridge",
    }),
);
await simulator.close();
await origin.close();
