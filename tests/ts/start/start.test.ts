// The README's main job (npm start) plays a title through the channel in a real DASH player, and
// fails loudly, naming the stage, on bad input.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { runTool, type ToolResult } from "../support/run-tool.ts";

interface StartReport {
    outcome: string;
    video: {
        protectionStatuses: Record<string, number>;
        tokenChecks: Record<string, number>;
        playerCalls: number;
        tokenRenewals: number;
        reloads: number;
    } | null;
    playedSeconds: number;
    frames: { decoded: number; dropped: number };
    stalls: number;
    seeks: Array<{ to: number; landedAt: number | null }>;
    bytes: { responses: number; bytesDelivered: number; mismatches: string[] };
    channel: { pipeline?: Record<string, number> };
}

function start(...args: string[]): Promise<ToolResult> {
    return runTool("tools/start.ts", args, { timeoutMs: 280_000 });
}

async function report(): Promise<StartReport> {
    return JSON.parse(await readFile("out/start/report.json", "utf8")) as StartReport;
}

// Stalls are not asserted: the player plays in real time, so how often it waits depends on how
// busy this machine is. They are reported (t.diagnostic) and measured by the benchmarks.

describe("npm start", () => {
    it("plays a few seconds with one seek through the channel: frames decoded, bytes equal to the source", async (t) => {
        const result = await start("--title", "sabrOrigin2", "--duration", "6", "--seek", "3:15");
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /all equal to the source/);
        const played = await report();
        assert.equal(played.outcome, "played");
        assert.ok(played.frames.decoded > 0, "no frame decoded");
        assert.ok(played.playedSeconds >= 6, `played ${played.playedSeconds} s`);
        t.diagnostic(`${played.stalls} stalls, ${played.frames.dropped} frames dropped`);
        assert.ok(Math.abs((played.seeks[0]?.landedAt ?? -1) - 15) < 0.5, `the seek landed at ${played.seeks[0]?.landedAt}`);
        assert.ok(played.bytes.responses > 0 && played.bytes.mismatches.length === 0);
        assert.ok((played.channel.pipeline?.posts ?? 0) > 0, "the bytes came through SABR requests");
        // The picture of the same run (tools/report): the player's requests and its position.
        const page = await readFile("out/start/report.html", "utf8");
        assert.match(page, /class="mark request (video|audio)/, "no player request drawn");
        assert.match(page, /class="mark post/, "no SABR POST drawn");
        assert.match(page, /id="position-line" class="line position" points="[\d.]+,[\d.]+ [\d.]+,[\d.]+/, "no position line");
        assert.match(page, /class="span seek"/, "the seek is not shaded");
    });

    it("plays through redirects, chunk splitting and a 503 burst", async (t) => {
        const result = await start("--title", "sabrOrigin2", "--duration", "6", "--faults", "F12:mode=data@nth=2,F1,F16@times=3");
        assert.equal(result.code, 0, result.stdout + result.stderr);
        const played = await report();
        assert.ok(played.frames.decoded > 0);
        assert.ok(played.playedSeconds >= 6, `played ${played.playedSeconds} s`);
        t.diagnostic(`${played.stalls} stalls, ${played.frames.dropped} frames dropped`);
        assert.equal(played.bytes.mismatches.length, 0);
    });

    it("plays a video id by deep link through the companion: its token expires mid-play and is renewed, a reload goes through the companion", async (t) => {
        // Tokens live 20 s, the title 30 s; the origin enforces them (F17 script=potoken) and asks
        // for a reload at its second SABR request (F14).
        const result = await start("--video", "sabrOrigin2", "--pot-ttl", "20", "--faults", "F14@nth=2");
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /deep link: contentId=sabrOrigin2&mediaType=movie/);
        assert.match(result.stdout, /all equal to the source/);
        const played = await report();
        assert.equal(played.outcome, "ended");
        assert.ok(played.frames.decoded > 0, "no frame decoded");
        t.diagnostic(`${played.stalls} stalls; ${JSON.stringify(played.video)}`);
        const video = played.video!;
        assert.ok((video.tokenChecks.valid ?? 0) > 0, "the requests carried the companion's token");
        assert.equal(video.protectionStatuses["3"], undefined, "no answer refused the token");
        assert.ok(video.tokenRenewals >= 1, "the channel renewed its token");
        assert.ok(video.reloads >= 1, "the reload happened");
        assert.equal(video.playerCalls, 1 + video.reloads, "the manifest and every reload came from the companion's /player calls");
        assert.equal(played.channel.pipeline?.failedAnswers, 0, "no answer failed");
    });

    it("names the stage that failed", async () => {
        const result = await start("--title", "noSuchTitle");
        assert.equal(result.code, 1);
        assert.match(result.stderr, /stage "options" failed: unknown --title noSuchTitle/);
        const format = await start("--format", "999");
        assert.match(format.stderr, /stage "options" failed: unknown --format 999/);
        const video = await start("--video", "noSuchVideo");
        assert.match(video.stderr, /stage "options" failed: unknown --video noSuchVideo/);
        const ttl = await start("--pot-ttl", "20");
        assert.match(ttl.stderr, /stage "options" failed: --pot-ttl takes seconds and goes with --video/);
    });
});
