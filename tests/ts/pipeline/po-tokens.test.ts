// PO tokens through the whole channel (docs/sabr-protocol.md §7.10): the origin enforces them
// (fault F17 script=potoken), its manifest carries a token it never minted, and the channel gets
// fresh ones from the companion (running on the origin's InnerTube and PO-token stand-ins).
// Status 3 holds the session's requests until a fresh token is in; status 2 renews in the
// background; without a companion that answers, status 3 fails the session with the reason.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startOrigin, type OriginHandle } from "../../../tools/origin/server.ts";
import type { LogEntry } from "../../../tools/origin/request-log.ts";
import { buildChannel, launchChannel, type ChannelOptions, type RunningChannel } from "../../../tools/channel/launch.ts";
import { Simulator } from "../../../tools/sim/simulator.ts";
import { startCompanionOnOrigin, type StandInCompanion } from "../../../tools/companion/standin.ts";
import { DashClient, type PlayReport } from "../../../tools/dash-client/index.ts";
import { AUDIO_ITAG } from "./pipeline-harness.ts";

const TITLE = "sabrOrigin1";
const VIDEO_ITAG = 160;

interface Sessions {
    sessions: Record<string, { fatal: string; streamProtectionStatus: number; totals: Record<string, number> }>;
}

/** The SABR POSTs of this run: stream protection status and token check of each, in order. */
function sabrAnswers(origin: OriginHandle, fromId: number): Array<{ status: string; token: string; held: boolean }> {
    return origin
        .log()
        .filter((entry: LogEntry) => entry.method === "POST" && entry.id >= fromId && entry.path.includes("videoplayback"))
        .map((entry) => ({
            status: entry.parts?.map((part) => /^sps:(\d)$/.exec(part.label ?? "")?.[1]).find(Boolean) ?? "-",
            token: entry.notes?.map((note) => /^po token (\S+)$/.exec(note)?.[1]).find(Boolean) ?? "-",
            held: entry.notes?.some((note) => note.includes("held")) ?? false,
        }));
}

/** Waits until `condition` holds (checked every 50 ms); fails after `limitMs` with `what`. */
async function until(condition: () => boolean, what: string, limitMs = 60_000): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (!condition()) {
        if (Date.now() > deadline) assert.fail(`gave up waiting: ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}

describe("PO tokens from the companion", { timeout: 900_000 }, () => {
    let origin: OriginHandle;
    let companion: StandInCompanion;
    let simulator: Simulator;
    const sources = new Map<number, Buffer>();

    const options = (companionUrl: string, outDir: string): ChannelOptions => ({
        manifestUrl: `${origin.url}/manifest/${TITLE}.mpd?variant=single`,
        // The manifest is the origin's own (its token was never minted by the provider); the
        // companion only renews tokens for this video.
        server: { companionUrl, videoId: TITLE, waitTimeoutMs: 20_000 },
        fetchWorker: {},
        cacheWriter: {},
        outDir,
        timeoutMs: 300_000,
    });

    async function play(channel: RunningChannel): Promise<PlayReport> {
        const client = new DashClient({
            manifestUrl: channel.localManifestUrl,
            requestTimeoutMs: 40_000,
            portMap: { 7010: channel.ports.manifest, 7011: channel.ports.video, 7012: channel.ports.audio },
        });
        try {
            return await client.play({ videoItag: VIDEO_ITAG });
        } finally {
            client.close();
        }
    }

    function assertWholeTitle(report: PlayReport): void {
        assert.deepEqual(report.errors, []);
        for (const itag of [VIDEO_ITAG, AUDIO_ITAG]) {
            const verdict = report.verify(itag, sources.get(itag)!);
            assert.ok(verdict.ok, `itag ${itag}: ${verdict.message}`);
            assert.ok(report.byItag(itag).covers(sources.get(itag)!.length), `itag ${itag} incomplete`);
        }
    }

    before(async () => {
        origin = await startOrigin({ port: 0 });
        companion = await startCompanionOnOrigin(origin);
        simulator = await Simulator.launch({ bridge: { portMap: { 7010: 0, 7011: 0, 7012: 0 } } });
        for (const itag of [VIDEO_ITAG, AUDIO_ITAG]) {
            const bytes = origin.titles.get(TITLE)!.formats.find((format) => format.itag === itag)!.bytes;
            sources.set(itag, Buffer.from(bytes));
        }
    });
    after(async () => {
        await simulator?.close();
        await companion?.close();
        await origin?.close();
    });

    it("status 3: the requests wait for a fresh token, then the title plays byte-identical", async () => {
        const opts = options(companion.companion.url, "out/pipeline-test/po-tokens");
        const zip = await buildChannel(opts);
        origin.setFaults("F17:script=potoken:graceMs=0");
        const firstLogId = (origin.log().at(-1)?.id ?? 0) + 1;
        simulator.reboot(); // an empty segment cache: the title is fetched through the scenario
        const channel = await launchChannel(opts, { zip, simulator });
        try {
            const report = await play(channel);
            assertWholeTitle(report);
            const answers = sabrAnswers(origin, firstLogId);
            assert.deepEqual(answers[0], { status: "3", token: "forged", held: false }, "the manifest's token is refused at once");
            assert.deepEqual(
                answers.slice(1).filter((answer) => answer.status !== "1" || answer.token !== "valid"),
                [],
                "every request after the renewal carries the fresh token",
            );
            const { sessions } = (await channel.metrics()) as unknown as Sessions;
            assert.equal(sessions.root!.fatal, "");
            assert.ok((sessions.root!.totals.tokenRenewals ?? 0) >= 1, "the channel asked the companion");
        } finally {
            await channel.close();
            origin.setFaults("");
        }
    });

    it("status 2: a renewal in the background while media flows; the next requests carry the fresh token", async () => {
        const opts = options(companion.companion.url, "out/pipeline-test/po-tokens");
        const zip = await buildChannel(opts);
        // The second SABR response is held until the channel has its fresh token, so the third
        // request is sure to go out after it.
        origin.setFaults("F17:script=potoken,F16:mode=hold@nth=2");
        const firstLogId = (origin.log().at(-1)?.id ?? 0) + 1;
        simulator.reboot(); // an empty segment cache: the title is fetched through the scenario
        const channel = await launchChannel(opts, { zip, simulator });
        try {
            const playing = play(channel);
            await until(() => channel.lines.some((line) => line.includes("has a fresh PO token")), "the channel's fresh token");
            await until(() => origin.held() > 0, "the held second response");
            origin.releaseHeld();
            const report = await playing;
            assertWholeTitle(report);
            const answers = sabrAnswers(origin, firstLogId);
            assert.deepEqual(answers[0], { status: "2", token: "forged", held: false }, "status 2 with media for a bad token");
            assert.ok(answers.length >= 3, `${answers.length} SABR requests`);
            assert.deepEqual(
                answers.slice(2).filter((answer) => answer.status !== "1" || answer.token !== "valid"),
                [],
                "every request after the held one carries the fresh token",
            );
        } finally {
            await channel.close();
            origin.setFaults("");
        }
    });

    it("status 3 with no companion answering: the session fails with the reason, nothing wrong is served", async () => {
        const opts = options("http://127.0.0.1:9", "out/pipeline-test/po-tokens-nocompanion");
        const zip = await buildChannel(opts);
        origin.setFaults("F17:script=potoken:graceMs=0");
        simulator.reboot(); // an empty segment cache: the title is fetched through the scenario
        const channel = await launchChannel(opts, { zip, simulator });
        try {
            const report = await play(channel);
            for (const itag of [VIDEO_ITAG, AUDIO_ITAG]) {
                const verdict = report.verify(itag, sources.get(itag)!);
                assert.ok(verdict.ok, `itag ${itag}: ${verdict.message}`);
            }
            assert.ok(
                report.requests.some((request) => request.status >= 500),
                "the failure reached the player as an HTTP error",
            );
            const { sessions } = (await channel.metrics()) as unknown as Sessions;
            assert.match(sessions.root!.fatal, /no fresh PO token/);
        } finally {
            await channel.close();
            origin.setFaults("");
        }
    });
});
