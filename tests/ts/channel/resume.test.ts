// Resuming recent titles, in the simulator: the real MainScene starts on a registry holding
// positions that earlier launches kept (tests/channels/resume seeds it: the simulator's Video
// node cannot play DASH, so no run there reaches a position to keep). The start screen offers
// "Resume from m:ss" or "Start over" for a kept position past 10 s, and a deep link resumes
// without asking; where the Video node starts is its content's PlayStart, printed by VideoPlayer.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { mkdir, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { startOrigin, type OriginHandle } from "../../../tools/origin/server.ts";
import { Simulator } from "../../../tools/sim/simulator.ts";
import { buildTestChannel } from "../support/test-channels.ts";
import { ChannelConsole } from "../support/channel-console.ts";

const OUT = "out/resume-test";
/** Kept at 12:34 (754 s): offered. */
const KEPT = "dQw4w9WgXcQ";
/** Kept at 8 s: too early to be worth a question, starts over. */
const EARLY = "jNQXAC9IVRw";
const RUN_MS = 180_000;
/** The offer dialog's two buttons in brs-scenegraph's drawing (960 × 540). */
const DIALOG_BUTTONS = { x: 265, y: 270, width: 445, height: 65 };
const startScreen = /\[MainScene\] status: choose a video$/;
const offer = new RegExp(`\\[MainScene\\] resume offer for ${KEPT}: Resume from 12:34 \\| Start over$`);

let origin: OriginHandle;
let companion: Server;
let zip: string;
let simulator: Simulator;

/** The companion's manifest route, answered with the origin's manifest of one title. */
async function startCompanion(): Promise<string> {
    companion = createServer((_req, res) => {
        fetch(`${origin.url}/manifest/sabrOrigin1.mpd?variant=single`)
            .then(async (answer) => res.writeHead(answer.status, { "Content-Type": "application/dash+xml" }).end(await answer.text()))
            .catch((error: Error) => res.writeHead(502).end(error.message));
    });
    await new Promise<void>((resolve) => companion.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(companion.address() as AddressInfo).port}/t0k3n`;
}

function run(launchParams: Record<string, string> = {}): ChannelConsole {
    return new ChannelConsole(simulator, zip, { timeoutMs: RUN_MS, launchParams });
}

/** Ends the run and keeps its console in out/resume-test/<name>.log (what a failure shows). */
async function finish(channel: ChannelConsole, name: string): Promise<void> {
    await channel.stop();
    await writeFile(`${OUT}/${name}.log`, channel.lines.join("\n") + "\n");
}

/** The lines printed from `from` on that match `pattern`. */
function printed(channel: ChannelConsole, pattern: RegExp, from = 0): string[] {
    return channel.lines.slice(from).filter((line) => pattern.test(line));
}

before(async () => {
    await mkdir(OUT, { recursive: true });
    origin = await startOrigin({ port: 0 });
    const companionUrl = await startCompanion();
    // The workers stay off: nothing fetches media here, the Video node only has to be started.
    await writeFile(
        `${OUT}/channel.json`,
        JSON.stringify({ companionUrl, server: {}, fetchWorker: false, cacheWriter: false, videoPlayer: true }),
    );
    const seed = {
        ytsabr: {
            recentVideos: JSON.stringify([KEPT, EARLY]),
            resumePositions: JSON.stringify([
                { videoId: KEPT, position: 754, duration: 3600 },
                { videoId: EARLY, position: 8, duration: 0 },
            ]),
        },
    };
    zip = await buildTestChannel("resume", {
        outDir: OUT,
        configName: "resume-seed.json",
        config: seed,
        extra: [{ src: `${OUT}/channel.json`, dest: "config/channel.json" }],
    });
    simulator = await Simulator.launch({ bridge: { portMap: { 7010: 0, 7011: 0, 7012: 0 } } });
});

after(async () => {
    await simulator?.close();
    await new Promise((resolve) => companion?.close(resolve));
    await origin?.close();
});

describe("resuming a recent title", () => {
    it("offers the kept position on the start screen: Resume starts there, Back cancels, Start over starts at 0", async () => {
        const channel = run();
        try {
            await channel.waitFor(startScreen);
            await channel.waitFor(
                new RegExp(`\\[StartScreen\\] menu: Type a video id or URL \\| Play again: ${KEPT} \\| Play again: ${EARLY}$`),
            );
            await channel.press("down", new RegExp(`\\[StartScreen\\] focused: Play again: ${KEPT}$`));
            await channel.press("select", offer);
            const resumed = channel.mark();
            await channel.press("select", /\[MainScene\] resume offer: Resume from 12:34$/);
            await channel.waitFor(/\[VideoPlayer\] play from 754\.0 s$/, resumed);

            const back = channel.mark();
            await channel.press("back", /\[MainScene\] status: stopping$/);
            await channel.waitFor(startScreen, back);
            // Playing rewrote the recent list: the menu is new and its focus back on the first item.
            await channel.press("down", new RegExp(`\\[StartScreen\\] focused: Play again: ${KEPT}$`));
            await channel.press("select", offer);
            const cancelled = channel.mark();
            await channel.press("back", /\[MainScene\] resume offer cancelled$/);
            // The menu has the focus again: OK reopens the offer.
            await channel.press("select", offer);
            assert.deepEqual(printed(channel, /starting the server/, cancelled), [], "Back on the offer plays nothing");

            await channel.pressAndWatch("down", DIALOG_BUTTONS);
            const over = channel.mark();
            await channel.press("select", /\[MainScene\] resume offer: Start over$/);
            await channel.waitFor(/\[VideoPlayer\] play from 0\.0 s$/, over);
        } finally {
            await finish(channel, "start-screen");
        }
    });

    it("resumes a deep link without asking, and starts a title kept at 10 s or less from the beginning", async () => {
        for (const [videoId, start] of [
            [KEPT, /\[VideoPlayer\] play from 754\.0 s$/],
            [EARLY, /\[VideoPlayer\] play from 0\.0 s$/],
        ] as const) {
            const channel = run({ contentId: videoId, mediaType: "movie" });
            try {
                await channel.waitFor(new RegExp(`status: starting the server for video ${videoId} `));
                await channel.waitFor(start);
                assert.deepEqual(printed(channel, /resume offer/), [], "a deep link never asks");
            } finally {
                await finish(channel, `deep-link-${videoId}`);
            }
        }
    });
});
