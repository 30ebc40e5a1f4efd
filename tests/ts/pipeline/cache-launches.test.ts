// The cache outlives the launch (docs/pipeline.md, "Segments kept from earlier launches"): the
// channel is launched twice in one simulator, whose cachefs: is kept between runs as a device
// keeps it until reboot. The second play of the title asks SABR for nothing the first one cached,
// and its bytes are the same; with cache files deleted by "the system" mid-play, the bytes stay
// right and the missing segments are fetched again. Counts and bytes only, never times.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startOrigin, type OriginHandle } from "../../../tools/origin/server.ts";
import { buildChannel, launchChannel, type ChannelOptions, type RunningChannel } from "../../../tools/channel/launch.ts";
import { Simulator } from "../../../tools/sim/simulator.ts";
import { DashClient } from "../../../tools/dash-client/client.ts";
import { AUDIO_ITAG, TITLE, posts } from "./pipeline-harness.ts";
import type { PlayReport } from "../../../tools/dash-client/report.ts";

const CACHE_DIR = "cachefs:/ytsabr/cache";

interface Figures {
    pipeline: Record<string, number>;
    keptCache: { adopted: number; reported: number; stale: number };
}

describe("the cache across launches", { timeout: 900_000 }, () => {
    let origin: OriginHandle;
    let simulator: Simulator;
    let options: ChannelOptions;
    let zip: string;
    const clients: DashClient[] = [];

    before(async () => {
        origin = await startOrigin({ port: 0 });
        simulator = await Simulator.launch({ bridge: { portMap: { 7010: 0, 7011: 0, 7012: 0 } } });
        options = {
            manifestUrl: `${origin.url}/manifest/${TITLE}.mpd?variant=single`,
            server: {},
            fetchWorker: {},
            cacheWriter: {},
            outDir: "out/pipeline-test/cache-launches",
            timeoutMs: 600_000,
        };
        zip = await buildChannel(options);
    });
    after(async () => {
        for (const client of clients) client.close();
        await simulator?.close();
        await origin?.close();
    });

    const launch = (): Promise<RunningChannel> => launchChannel(options, { zip, simulator });
    const nextLogId = (): number => (origin.log().at(-1)?.id ?? 0) + 1;

    function client(channel: RunningChannel): DashClient {
        const { ports } = channel;
        const made = new DashClient({
            manifestUrl: channel.localManifestUrl,
            requestTimeoutMs: 40_000,
            portMap: { 7010: ports.manifest, 7011: ports.video, 7012: ports.audio },
        });
        clients.push(made);
        return made;
    }

    function assertBytes(report: PlayReport, wholeTitle: boolean): void {
        assert.deepEqual(report.errors, [], "client errors");
        for (const itag of [160, AUDIO_ITAG]) {
            const source = Buffer.from(origin.titles.get(TITLE)!.formats.find((format) => format.itag === itag)!.bytes);
            const verdict = report.verify(itag, source);
            assert.ok(verdict.ok, `itag ${itag}: ${verdict.message}`);
            if (wholeTitle) assert.ok(report.byItag(itag).covers(source.length), `itag ${itag}: not every byte was delivered`);
        }
    }

    async function exit(channel: RunningChannel): Promise<void> {
        const result = await channel.exit();
        assert.equal(result.outcome, "exited", result.reason);
    }

    it("a second launch serves what the first cached without a SABR request, byte-identical", async () => {
        simulator.reboot();
        const first = await launch();
        const firstFrom = nextLogId();
        assertBytes(await client(first).play({ videoItag: 160 }), true);
        assert.ok(posts(origin, firstFrom) > 0, "the first play fetched");
        await exit(first);
        const kept = (await simulator.cachefsFiles()).filter((file) => file.path.startsWith(CACHE_DIR));
        assert.ok(kept.length > 2, `the cache kept its files in ${CACHE_DIR} (${kept.length})`);

        const second = await launch();
        try {
            const secondFrom = nextLogId();
            assertBytes(await client(second).play({ videoItag: 160 }), true);
            const figures = (await second.metrics()) as unknown as Figures;
            assert.equal(posts(origin, secondFrom), 0, "no SABR request for what the first launch cached");
            assert.equal(figures.pipeline.fetches, 0, "no fetch at all");
            assert.ok(figures.keptCache.adopted > 2, `segments adopted: ${JSON.stringify(figures.keptCache)}`);
        } finally {
            await exit(second);
        }
    });

    it("with cache files deleted mid-play, the bytes stay right and the missing segments are fetched again", async () => {
        const third = await launch();
        try {
            await playWithDeletions(third);
        } finally {
            await exit(third);
        }
    });

    async function playWithDeletions(third: RunningChannel): Promise<void> {
        const from = nextLogId();
        // The first 10 s of media come from the cache; then the system deletes files.
        assertBytes(await client(third).play({ videoItag: 160, maxMediaMs: 10_000 }), false);
        assert.equal(posts(origin, from), 0, "the kept segments were served");
        const removed = await third.remote().cachefs.removeRandom({ count: 8, seed: 16, under: CACHE_DIR });
        assert.equal(removed.length, 8, "files were deleted");
        assertBytes(await client(third).play({ videoItag: 160 }), true);
        const figures = (await third.metrics()) as unknown as Figures;
        assert.ok(removed.filter((path) => path.endsWith(".bin")).length >= 1, `segment files among ${removed.join(", ")}`);
        assert.ok((figures.pipeline.vanished ?? 0) >= 1, `vanished: ${figures.pipeline.vanished} (removed ${removed.join(", ")})`);
        assert.ok(posts(origin, from) >= 1, "the deleted segments were fetched again");
    }
});
