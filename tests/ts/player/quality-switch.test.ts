// Quality switches that follow the player, through the real channel in the simulator: shaka-player
// with its ABR, shaka told to switch every few seconds across every video representation, and the
// scripted DASH client switching formats mid-title. Assertions are on bytes and counts only (every
// body equals its representation's source at its range; which representations were asked for);
// the timeouts only keep a hung run from hanging the suite. One simulator at a time.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { playInChromium, type PlayerResult } from "../../../tools/player/run-player.ts";
import { verifyResponses } from "../../../tools/player/verify-bytes.ts";
import { startPipeline, type PipelineUnderTest } from "../pipeline/pipeline-harness.ts";

/** The 30 s title: video 160 (144p), 133 (240p), 134 (360p) in 2 s fragments, audio 140. */
const TITLE = "sabrOrigin2";
const VIDEO_ITAGS = [160, 133, 134];
const AUDIO_ITAG = 140;
const SWITCH_EVERY_SECONDS = 3;

/** A fresh origin and channel per test (the player page is on another origin: the server answers CORS). */
async function withChannel<T>(name: string, body: (pipeline: PipelineUnderTest) => Promise<T>): Promise<T> {
    const pipeline = await startPipeline({ title: TITLE, server: { cors: true }, outDir: `out/quality-switch/${name}` });
    try {
        return await body(pipeline);
    } finally {
        await pipeline.close();
    }
}

async function sources(pipeline: PipelineUnderTest): Promise<Map<number, Uint8Array>> {
    const map = new Map<number, Uint8Array>();
    for (const itag of [...VIDEO_ITAGS, AUDIO_ITAG]) map.set(itag, await pipeline.source(itag));
    return map;
}

/** Plays the channel's manifest with shaka in the simulator's Chromium to the end of the title. */
function playThroughChannel(pipeline: PipelineUnderTest, switchEverySeconds?: number): Promise<PlayerResult> {
    const { ports } = pipeline.channel;
    return playInChromium({
        manifestUrl: "http://127.0.0.1:7010/manifest.mpd",
        ports: { 7010: ports.manifest, 7011: ports.video, 7012: ports.audio },
        seconds: Number.POSITIVE_INFINITY,
        ...(switchEverySeconds ? { switchEverySeconds } : {}),
        captureBodies: true,
        browser: pipeline.channel.simulator.browser,
        timeoutMs: 300_000,
    });
}

/** Video itags the player asked the channel for (answered or not). */
function requestedVideoItags(result: PlayerResult): number[] {
    const itags = result.requests
        .filter((r) => new URL(r.url).pathname === "/video")
        .map((r) => Number((new URL(r.url).searchParams.get("key") ?? "").split(":")[0]));
    return [...new Set(itags)].sort((a, b) => a - b);
}

function describeRun(result: PlayerResult, byItag: Map<number, number>): string {
    const perItag = [...byItag].map(([itag, n]) => `${itag}: ${n}`).join(", ");
    return (
        `${result.outcome}: ${result.reason}; played ${result.playedSeconds.toFixed(1)} s, ${result.switches.length} switches, ` +
        `video itags requested ${requestedVideoItags(result).join("/")}, responses per itag {${perItag}}, ` +
        `stalls ${result.state.stalls}, frames ${result.state.decodedFrames}`
    );
}

function assertPlayedToTheEnd(result: PlayerResult, pipeline: PipelineUnderTest): void {
    const context = `${result.reason}\nconsole:\n${result.console.slice(-20).join("\n")}\nchannel:\n${pipeline.channel.lines.slice(-40).join("\n")}`;
    assert.equal(result.state.error, null, context);
    assert.equal(result.outcome, "ended", context);
    assert.ok(result.state.decodedFrames > 0, `no video frame decoded: ${context}`);
}

describe("quality switches through the channel", { timeout: 1_200_000 }, () => {
    it("shaka with its ABR plays the title to the end; every body is its representation's source bytes", async (t) => {
        await withChannel("abr", async (pipeline) => {
            const result = await playThroughChannel(pipeline);
            const verdict = verifyResponses(await sources(pipeline), result.responses);
            t.diagnostic(describeRun(result, verdict.byItag));
            assertPlayedToTheEnd(result, pipeline);
            assert.deepEqual(verdict.mismatches, []);
            assert.ok(verdict.byItag.get(AUDIO_ITAG), "no audio body");
            assert.ok(
                VIDEO_ITAGS.some((itag) => verdict.byItag.get(itag)),
                `no video body: ${[...verdict.byItag.keys()].join(", ")}`,
            );
        });
    });

    it(`shaka switching every ${SWITCH_EVERY_SECONDS} s asks for every video representation; every body is right`, async (t) => {
        await withChannel("forced", async (pipeline) => {
            const result = await playThroughChannel(pipeline, SWITCH_EVERY_SECONDS);
            const verdict = verifyResponses(await sources(pipeline), result.responses);
            t.diagnostic(describeRun(result, verdict.byItag));
            t.diagnostic(`switches: ${result.switches.map((s) => `${s.afterSeconds.toFixed(1)} s -> ${s.to}`).join(", ")}`);
            assertPlayedToTheEnd(result, pipeline);
            // 30 s of media, a switch every 3 s: several rounds through the three representations.
            assert.ok(result.switches.length >= VIDEO_ITAGS.length, `only ${result.switches.length} switches`);
            assert.deepEqual(
                new Set(result.switches.map((s) => Number(s.to.split(":")[0]))),
                new Set(VIDEO_ITAGS),
                "the switches rotate through every video representation",
            );
            assert.deepEqual(
                requestedVideoItags(result),
                [...VIDEO_ITAGS].sort((a, b) => a - b),
            );
            for (const itag of VIDEO_ITAGS) assert.ok((verdict.byItag.get(itag) ?? 0) > 0, `no body of itag ${itag}`);
            assert.deepEqual(verdict.mismatches, []);
        });
    });

    it("the scripted client switching 160 -> 134 -> 160 -> 133 mid-title gets every byte of each", async (t) => {
        await withChannel("scripted", async (pipeline) => {
            const switchAt = [
                { atMs: 8_000, videoItag: 134 },
                { atMs: 16_000, videoItag: 160 },
                { atMs: 22_000, videoItag: 133 },
            ];
            const report = await pipeline.client().play({ videoItag: 160, switchAt });
            const video = report.requests.filter((r) => r.track === "video" && r.kind === "media");
            t.diagnostic(`video media requests by itag: ${video.map((r) => `${r.timeMs}:${r.itag}`).join(" ")}`);
            assert.deepEqual(report.errors, [], "client errors");
            assert.deepEqual(
                report.problems().map((r) => `${r.itag} ${r.kind} ${r.range.start}-${r.range.end}: ${r.problems.join("; ")}`),
                [],
            );
            // Each segment time from the representation in force then, and every one of them once.
            const expected = (timeMs: number): number => [160, ...switchAt.filter((s) => s.atMs <= timeMs).map((s) => s.videoItag)].at(-1)!;
            for (const r of video) assert.equal(r.itag, expected(r.timeMs!), `segment at ${r.timeMs} ms`);
            assert.equal(new Set(video.map((r) => r.timeMs)).size, video.length);
            for (const itag of [...VIDEO_ITAGS, AUDIO_ITAG]) {
                const check = report.verify(itag, await pipeline.source(itag));
                assert.ok(check.ok, `itag ${itag}: ${check.message}`);
                assert.ok(check.bytesChecked > 0, `itag ${itag}: nothing received`);
            }
            assert.ok(report.byItag(AUDIO_ITAG).covers((await pipeline.source(AUDIO_ITAG)).length), "the whole audio track");
        });
    });
});
