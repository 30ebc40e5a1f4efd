// The channel's way to real videos, in the simulator: the start screen driven with key presses
// (the keyboard dialog, the recent list), a contentId deep link at launch and roInput deep links
// while running. A stand-in companion records what the channel asks for and answers with the
// local origin's manifest, so the channel's server really loads it.
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { mkdir, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { startOrigin, type OriginHandle } from "../../../tools/origin/server.ts";
import { buildChannel } from "../../../tools/channel/launch.ts";
import { Simulator } from "../../../tools/sim/simulator.ts";
import { ChannelConsole } from "../support/channel-console.ts";

const SCREENSHOTS = "out/test-results/channel-videos";
const TOKEN = "t0k3n";
const TYPED = "dQw4w9WgXcQ";
const LINKED = "jNQXAC9IVRw";
const SWITCHED = "M7lc1UVf-VE";
/** The stand-in refuses this one, as the companion does a video YouTube will not play. */
const REFUSED = "refusedVid0";
const RUN_MS = 180_000;

let origin: OriginHandle;
let companion: Server;
let companionUrl: string;
let zip: string;
let simulator: Simulator;
/** The paths the channel asked the companion for, in order. */
const asked: string[] = [];

/** The companion's manifest route, answered with the origin's manifest of one title. */
async function startCompanion(): Promise<string> {
    companion = createServer((req, res) => {
        asked.push(req.url ?? "");
        if (req.url === manifestPath(REFUSED))
            return void res
                .writeHead(502, { "X-Companion-Refusal": "bot-check" })
                .end("bot-check: YouTube asks to sign in to confirm you're not a bot. Try: --client TV\n");
        if (!new RegExp(`^/${TOKEN}/manifest/[A-Za-z0-9_-]{11}\\.mpd$`).test(req.url ?? "")) return void res.writeHead(404).end();
        fetch(`${origin.url}/manifest/sabrOrigin1.mpd?variant=single`)
            .then(async (answer) => res.writeHead(answer.status, { "Content-Type": "application/dash+xml" }).end(await answer.text()))
            .catch((error: Error) => res.writeHead(502).end(error.message));
    });
    await new Promise<void>((resolve) => companion.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(companion.address() as AddressInfo).port}/${TOKEN}`;
}

function manifestPath(videoId: string): string {
    return `/${TOKEN}/manifest/${videoId}.mpd`;
}

function run(launchParams: Record<string, string> = {}): ChannelConsole {
    return new ChannelConsole(simulator, zip, { timeoutMs: RUN_MS, launchParams });
}

async function screenshot(channel: ChannelConsole, name: string): Promise<void> {
    await writeFile(`${SCREENSHOTS}/${name}.png`, await (await channel.remote()).screenshot());
}

/** brs-scenegraph's keyboard dialog below its text box (whose cursor blinks): keys and buttons. */
const KEYS_AND_BUTTONS = { x: 130, y: 200, width: 700, height: 250 };
/** The dialog's button row, empty background on the start screen before the dialog is drawn. */
const BUTTONS = { x: 140, y: 385, width: 680, height: 60 };
const serving = /\[MainScene\] status: serving /;
const startScreen = /\[MainScene\] status: choose a video$/;

before(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    origin = await startOrigin({ port: 0 });
    companionUrl = await startCompanion();
    // No manifest configured: the channel opens on its start screen.
    zip = await buildChannel({ companionUrl, outDir: "out/test-channel-videos", timeoutMs: RUN_MS, fetchWorker: {}, cacheWriter: {} });
    simulator = await Simulator.launch({ bridge: { portMap: { 7010: 0, 7011: 0, 7012: 0 } } });
});

after(async () => {
    await simulator?.close();
    await new Promise((resolve) => companion?.close(resolve));
    await origin?.close();
});

describe("the channel with real video ids", () => {
    // Each test expects the recent list its own runs made: the simulator keeps the registry
    // across runs (device rule registryKeptAcrossLaunches), so each starts as a fresh install.
    beforeEach(() => simulator.clearRegistry());

    it("types an id on the start screen, plays it, returns with Back and plays it again from the recent list", async () => {
        const channel = run();
        try {
            await channel.waitFor(startScreen);
            await channel.waitFor(/\[StartScreen\] menu: Type a video id or URL$/);
            await screenshot(channel, "1-start-screen");

            // The dialog is drawn with its Play button focused; Up moves to the keys.
            await channel.pressAndWatch("select", BUTTONS);
            await channel.waitFor(/\[StartScreen\] keyboard open/);
            await channel.pressAndWatch("up", KEYS_AND_BUTTONS);
            for (let typed = 1; typed <= TYPED.length; typed++) {
                await channel.press(`Lit_${TYPED[typed - 1]}`, new RegExp(`keyboard text: ${TYPED.slice(0, typed)}$`));
            }
            await screenshot(channel, "2-keyboard");
            // Down through the key rows to the Play button, then OK.
            for (let row = 0; row < 4; row++) await channel.pressAndWatch("down", KEYS_AND_BUTTONS);
            await channel.press("select", new RegExp(`\\[StartScreen\\] typed ${TYPED}$`));
            await channel.waitFor(serving);
            assert.deepEqual(asked, [manifestPath(TYPED)]);

            const back = channel.mark();
            await channel.press("back", /\[MainScene\] status: stopping$/);
            await channel.waitFor(startScreen, back);
            await channel.waitFor(new RegExp(`\\[StartScreen\\] menu: Type a video id or URL \\| Play again: ${TYPED}$`));
            await screenshot(channel, "3-recent-videos");

            await channel.press("down", new RegExp(`\\[StartScreen\\] focused: Play again: ${TYPED}$`));
            const again = channel.mark();
            await channel.press("select", new RegExp(`status: starting the server for video ${TYPED} `));
            await channel.waitFor(serving, again);
            assert.deepEqual(asked, [manifestPath(TYPED), manifestPath(TYPED)]);

            await channel.press("back", /\[MainScene\] status: stopping$/);
            await channel.waitFor(startScreen, again);
            await channel.press("back", /Finished 'ytsabr' execution \[EXIT_USER_NAV\]/);
            assert.equal((await channel.finished).outcome, "exited");
        } finally {
            await channel.stop();
        }
    });

    it("plays a contentId deep link at launch from the companion's manifest", async () => {
        asked.length = 0;
        const channel = run({ contentId: LINKED, mediaType: "movie" });
        try {
            await channel.waitFor(
                new RegExp(`status: starting the server for video ${LINKED} \\(${companionUrl}/manifest/${LINKED}\\.mpd\\)`),
            );
            await channel.waitFor(serving);
            assert.deepEqual(asked, [manifestPath(LINKED)]);
            await screenshot(channel, "4-deep-link");
        } finally {
            await channel.stop();
        }
    });

    it("shows why a video cannot play, and Back returns to the start screen", async () => {
        const channel = run({ contentId: REFUSED, mediaType: "movie" });
        try {
            await channel.waitFor(
                new RegExp(
                    `status: error: manifest: loading ${companionUrl}/manifest/${REFUSED}\\.mpd answered 502: bot-check: .* Try: --client TV$`,
                ),
            );
            await screenshot(channel, "5-refused");
            await channel.press("back", /\[MainScene\] status: stopping$/);
            await channel.waitFor(startScreen);
            await channel.waitFor(new RegExp(`\\[StartScreen\\] menu: Type a video id or URL \\| Play again: ${REFUSED}$`));
        } finally {
            await channel.stop();
        }
    });

    it("takes roInput deep links while running: a bad one is explained, a good one plays, the next one switches", async () => {
        asked.length = 0;
        const channel = run();
        try {
            await channel.waitFor(startScreen);
            const remote = await channel.remote();
            await remote.input({ contentId: "no video", mediaType: "movie" });
            await channel.waitFor(/status: error: the deep link's contentId is not a YouTube video id or URL: no video$/);
            await screenshot(channel, "6-bad-deep-link");

            await remote.input({ contentId: `https://youtu.be/${LINKED}`, mediaType: "episode" });
            await channel.waitFor(serving);
            const switched = channel.mark();
            await remote.input({ contentId: SWITCHED, mediaType: "shortFormVideo" });
            await channel.waitFor(/\[MainScene\] status: stopping$/, switched);
            await channel.waitFor(serving, switched);
            assert.deepEqual(asked, [manifestPath(LINKED), manifestPath(SWITCHED)]);
        } finally {
            await channel.stop();
        }
    });
});
