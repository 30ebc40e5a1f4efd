// A real DASH player (shaka-player) plays the origin's media in the simulator's Chromium:
// a hand-written SegmentBase MPD whose BaseURLs are the origin's raw files (/__source), byte ranges only.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { startOrigin, type OriginHandle } from "../../../tools/origin/server.ts";
import { launchPlayerBrowser, playInChromium, type PlayerResult } from "../../../tools/player/run-player.ts";

const MPD_TEMPLATE = join(dirname(fileURLToPath(import.meta.url)), "sabrOrigin2.mpd");
const CODECS = ['video/mp4; codecs="avc1.4d400c"', 'video/mp4; codecs="avc1.4d401e"', 'audio/mp4; codecs="mp4a.40.2"'];
const SEEK_TO = 20;
const SECONDS = 6;

let origin: OriginHandle;
let mpdServer: Server;
let manifestUrl: string;
let browser: Browser;

/** Serves the MPD with CORS, as the channel's HTTP server will (the player page is on another origin). */
async function serveManifest(body: string): Promise<string> {
    mpdServer = createServer((req, res) => {
        const cors = { "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "*" };
        if (req.method === "OPTIONS") return void res.writeHead(204, cors).end();
        if (req.url !== "/sabrOrigin2.mpd") return void res.writeHead(404, cors).end();
        res.writeHead(200, { ...cors, "Content-Type": "application/dash+xml" }).end(body);
    });
    await new Promise<void>((resolve) => mpdServer.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(mpdServer.address() as AddressInfo).port}/sabrOrigin2.mpd`;
}

/** Decodes the PNG in the browser and returns its distinct colours and the share of the commonest one. */
async function pngColours(path: string): Promise<{ width: number; distinct: number; dominantShare: number }> {
    const page = await browser.newPage();
    try {
        const base64 = (await readFile(path)).toString("base64");
        return await page.evaluate(async (data) => {
            const blob = await (await fetch(`data:image/png;base64,${data}`)).blob();
            const bitmap = await createImageBitmap(blob);
            const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
            const context = canvas.getContext("2d") as OffscreenCanvasRenderingContext2D;
            context.drawImage(bitmap, 0, 0);
            const pixels = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
            const counts = new Map<number, number>();
            for (let i = 0; i < pixels.length; i += 4) {
                const key = ((pixels[i] ?? 0) << 16) | ((pixels[i + 1] ?? 0) << 8) | (pixels[i + 2] ?? 0);
                counts.set(key, (counts.get(key) ?? 0) + 1);
            }
            const dominant = Math.max(...counts.values());
            return { width: bitmap.width, distinct: counts.size, dominantShare: dominant / (pixels.length / 4) };
        }, base64);
    } finally {
        await page.close();
    }
}

before(async () => {
    origin = await startOrigin({ port: 0 });
    const mpd = (await readFile(MPD_TEMPLATE, "utf8")).replaceAll("{{SOURCE}}", `${origin.url}/__source/sabrOrigin2/`);
    manifestUrl = await serveManifest(mpd);
    browser = await launchPlayerBrowser();
});

after(async () => {
    await browser?.close();
    await new Promise((resolve) => mpdServer?.close(resolve));
    await origin?.close();
});

describe("shaka-player in the simulator's Chromium", () => {
    it("has MSE support for the origin's H.264 and AAC codecs", async () => {
        const page = await browser.newPage();
        try {
            const support = await page.evaluate((types) => types.map((type) => [type, MediaSource.isTypeSupported(type)] as const), CODECS);
            const missing = support.filter(([, ok]) => !ok).map(([type]) => type);
            assert.deepEqual(
                missing,
                [],
                `this Chromium (${browser.version()}) cannot decode ${missing.join(", ")} in MSE: ` +
                    "it needs a build with proprietary codecs (Debian's chromium package has them)",
            );
        } finally {
            await page.close();
        }
    });

    it(`plays ${SECONDS} s of sabrOrigin2 over byte ranges, with one seek to ${SEEK_TO} s`, async (t) => {
        const dir = await mkdtemp(join(tmpdir(), "player-test-"));
        const screenshotPath = join(dir, "video.png");
        const result: PlayerResult = await playInChromium({
            manifestUrl,
            seconds: SECONDS,
            seeks: [{ afterSeconds: 3, to: SEEK_TO }],
            screenshotPath,
            browser,
            timeoutMs: 60_000,
        });
        const { state } = result;
        t.diagnostic(
            `${result.outcome}: ${result.reason}; startup ${result.startupMs} ms, wall ${result.wallMs} ms, ` +
                `currentTime ${state.currentTime.toFixed(3)}, frames ${state.decodedFrames} decoded / ` +
                `${state.droppedFrames} dropped, stalls ${state.stalls}, ${state.videoWidth}x${state.videoHeight}, ` +
                `${result.requests.length} requests, screenshot ${screenshotPath}`,
        );
        const context = `${result.reason}\nconsole: ${result.console.join("\n")}`;
        assert.equal(state.error, null, context);
        assert.equal(result.outcome, "played", context);
        assert.ok(state.decodedFrames > 0, `no video frame decoded: ${context}`);
        assert.ok(result.playedSeconds >= SECONDS, `played only ${result.playedSeconds} s`);
        const seekedTo = result.seeks[0]?.landedAt ?? -1;
        assert.ok(Math.abs(seekedTo - SEEK_TO) < 0.5, `seeked to ${seekedTo}`);
        assert.ok(state.currentTime > SEEK_TO + 1, `currentTime ${state.currentTime} did not advance past the seek`);

        // SegmentBase: every media request is a byte range of the origin's raw files.
        const media = result.requests.filter((r) => r.url !== manifestUrl);
        assert.ok(media.length >= 4, `only ${media.length} media requests`);
        for (const request of media) {
            assert.match(request.url, /\/__source\/sabrOrigin2\/(160|133|134|140)$/);
            assert.match(request.range ?? "", /^bytes=\d+-\d+$/, `${request.url} without a byte range`);
        }

        assert.ok((await stat(screenshotPath)).size > 0, "screenshot is empty");
        const colours = await pngColours(screenshotPath);
        const dominant = `${(colours.dominantShare * 100).toFixed(1)} %`;
        t.diagnostic(`screenshot: ${colours.distinct} colours, commonest ${dominant}`);
        assert.ok(colours.width > 0);
        assert.ok(colours.distinct >= 16, `screenshot has only ${colours.distinct} colours`);
        assert.ok(colours.dominantShare < 0.8, `screenshot is ${dominant} one colour`);
        await rm(dir, { recursive: true }); // kept for a look when an assertion failed
    });
});
