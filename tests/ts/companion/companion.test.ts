/**
 * The companion end to end, offline: youtubei.js 18 (through its fetch seam) against the local
 * origin's InnerTube stand-in, the player script solved in the sandbox, the manifest parsed by
 * the project's DASH client and compared with the origin's own manifest, the payload played by
 * googlevideo's SabrStream against the origin, refusals, the token off loopback, probe output.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { SabrStream } from "googlevideo/sabr-stream";
import { startOrigin, type OriginHandle } from "../../../tools/origin/server.ts";
import { segmentBytes } from "../../../tools/origin/media-model.ts";
import { solveN } from "../../../tools/origin/innertube-player-js.ts";
import { parseMpd } from "../../../tools/dash-client/index.ts";
import type { SabrPayload } from "../../../tools/origin/manifest.ts";
import { startCompanion, type CompanionHandle } from "../../../tools/companion/service.ts";
import { Youtube } from "../../../tools/companion/youtube.ts";
import { probe, probeTable } from "../../../tools/companion/probe.ts";
import { declaredOptions } from "./help-options.ts";
import { runSabrStream, sabrFormats } from "../origin/helpers.ts";

let origin: OriginHandle;
let yt: Youtube;
let companion: CompanionHandle;
const requests: string[] = [];

before(async () => {
    origin = await startOrigin({ port: 0 });
    const counting: typeof fetch = (input, init) => {
        requests.push(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
        return fetch(input, init);
    };
    yt = await Youtube.create({ innertube: origin.url, fetch: counting });
    companion = await startCompanion({ youtube: yt, port: 0 });
});

after(async () => {
    await companion.close();
    await yt.close();
    await origin.close();
});

function payloadOf(xml: string): SabrPayload & { videoId: string; client: string } {
    const m = /schemeIdUri="urn:youtube:sabr" value="([^"]+)"/.exec(xml);
    assert.ok(m, "the manifest carries a urn:youtube:sabr payload");
    return JSON.parse(Buffer.from(m[1]!, "base64").toString("utf8")) as SabrPayload & { videoId: string; client: string };
}

async function get(path: string, base = companion.url): Promise<{ status: number; body: string; headers: Headers }> {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: await res.text(), headers: res.headers };
}

test("youtubei.js went through the seam: the player script and /player came from the stand-in, not YouTube", () => {
    assert.ok(
        requests.some((u) => u.startsWith(`${origin.url}/iframe_api`)),
        "player id read from the stand-in's /iframe_api",
    );
    assert.ok(
        requests.some((u) => /\/s\/player\/0rigin01\/player_es6\.vflset\/en_US\/base\.js$/.test(u)),
        "player script from the stand-in",
    );
    assert.ok(
        requests.every((u) => u.startsWith(origin.url)),
        `every request went to the stand-in: ${requests.join(" ")}`,
    );
    assert.equal(yt.playerId, "0rigin01");
    assert.equal(yt.innertube.session.player?.signature_timestamp, 20400, "signature timestamp extracted from the player script");
});

test("the stand-in's player response has the JSON types real responses use", async () => {
    const res = await fetch(`${origin.url}/youtubei/v1/player`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ videoId: "sabrOrigin1", context: { client: { clientName: "TVHTML5", clientVersion: "7.1" } } }),
    });
    const r = (await res.json()) as {
        playabilityStatus: { status: string };
        streamingData: { expiresInSeconds: unknown; serverAbrStreamingUrl: string; adaptiveFormats: Array<Record<string, unknown>> };
        playerConfig: { mediaCommonConfig: { mediaUstreamerRequestConfig: { videoPlaybackUstreamerConfig: string } } };
    };
    assert.equal(r.playabilityStatus.status, "OK");
    assert.equal(typeof r.streamingData.expiresInSeconds, "string");
    const url = new URL(r.streamingData.serverAbrStreamingUrl);
    assert.equal(url.origin, origin.url);
    assert.equal(url.pathname, "/videoplayback");
    assert.equal(url.searchParams.get("c"), "TVHTML5");
    assert.ok(r.playerConfig.mediaCommonConfig.mediaUstreamerRequestConfig.videoPlaybackUstreamerConfig.length > 10);
    const v = r.streamingData.adaptiveFormats.find((f) => f.itag === 134)!;
    const a = r.streamingData.adaptiveFormats.find((f) => f.itag === 140)!;
    for (const f of [v, a]) {
        assert.equal(typeof f.itag, "number");
        assert.equal(typeof f.bitrate, "number");
        for (const k of ["lastModified", "contentLength", "approxDurationMs"]) assert.equal(typeof f[k], "string", k);
        for (const k of ["initRange", "indexRange"]) {
            const range = f[k] as Record<string, unknown>;
            assert.equal(typeof range.start, "string");
            assert.equal(typeof range.end, "string");
        }
        assert.match(String(f.mimeType), /^(video|audio)\/mp4; codecs="[^"]+"$/);
    }
    assert.equal(typeof v.width, "number");
    assert.equal(typeof v.height, "number");
    assert.equal(typeof a.audioSampleRate, "string");
    assert.equal(a.xtags, origin.titles.get("sabrOrigin1")!.formats.find((f) => f.itag === 140)!.xtags);
});

test("id -> MPD: the companion's manifest is the origin's manifest for the same title, payload aside", async () => {
    for (const videoId of ["sabrOrigin1", "sabrOrigin2"]) {
        const mine = await get(`/manifest/${videoId}.mpd`);
        assert.equal(mine.status, 200, mine.body);
        assert.equal(mine.headers.get("content-type"), "application/dash+xml");
        const theirs = await get(`/manifest/${videoId}.mpd`, origin.url);
        const strip = (x: string): string => x.replace(/value="[^"]+"/g, 'value="PAYLOAD"');
        assert.equal(strip(mine.body), strip(theirs.body), "same MPD text apart from the payload");
        const mpd = parseMpd(mine.body, `${companion.url}/manifest/${videoId}.mpd`);
        const ref = parseMpd(theirs.body, `${origin.url}/manifest/${videoId}.mpd`);
        const reps = (m: typeof mpd): string[] =>
            m.periods.flatMap((p) =>
                p.adaptationSets.flatMap((s) =>
                    s.representations.map(
                        (r) =>
                            `${r.key} ${r.itag} ${r.codecs} ${r.bandwidth} ${r.initRange.start}-${r.initRange.end} ${r.indexRange.start}-${r.indexRange.end}`,
                    ),
                ),
            );
        assert.deepEqual(reps(mpd), reps(ref));
        assert.equal(reps(mpd).length, 4, "three H.264 and one AAC format");
        for (const r of mpd.periods[0]!.adaptationSets.flatMap((s) => s.representations))
            assert.match(r.url, /^sabr:\/\/(video|audio)\?key=\d+:[\w-]*:root$/);

        const p = payloadOf(mine.body);
        const q = payloadOf(theirs.body);
        const pick = (f: Record<string, unknown>): string =>
            JSON.stringify([
                f.itag,
                String(f.lastModified),
                String(f.contentLength),
                String(f.approxDurationMs),
                f.xtags ?? "",
                String((f.initRange as { start: unknown }).start),
                String((f.initRange as { end: unknown }).end),
                String((f.indexRange as { start: unknown }).start),
                String((f.indexRange as { end: unknown }).end),
            ]);
        assert.deepEqual(p.adaptiveFormats.map(pick), q.adaptiveFormats.map(pick), "same formats, ranges, lengths, last modified, xtags");
        assert.equal(typeof p.adaptiveFormats[0]!.lastModified, "string", "the payload keeps YouTube's JSON types");
        assert.equal(p.videoId, videoId);
        assert.deepEqual(
            Object.keys(q).filter((k) => !(k in p)),
            [],
            "every key of the origin's payload is there",
        );
        assert.equal(p.clientInfo.clientName, 1);
        assert.ok(p.ustreamerConfig.length > 10);
    }
});

test("the payload's SABR URL has n solved by the player script; the origin refuses the unsolved one with 403", async () => {
    const p = payloadOf((await get("/manifest/sabrOrigin1.mpd")).body);
    const url = new URL(p.serverAbrStreamingUrl);
    const ei = url.searchParams.get("ei")!;
    const entry = origin.log().find((e) => e.session === ei && e.path.startsWith("/youtubei/v1/player"));
    assert.ok(entry, "the /player call that made this session is in the origin's log");
    const n = url.searchParams.get("n")!;
    assert.match(n, /^o/, "solved n");
    const challenge = [...n.slice(1)].reverse().join("");
    assert.equal(solveN(challenge), n);
    const unsolved = new URL(p.serverAbrStreamingUrl);
    unsolved.searchParams.set("n", challenge);
    unsolved.searchParams.set("rn", "1");
    const res = await fetch(unsolved, { method: "POST", body: new Uint8Array([1]) });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get("x-origin-reason"), "n-not-solved");
});

test("the companion's payload plays byte-exact through googlevideo's SabrStream against the origin (WEB and TV)", async () => {
    for (const client of ["WEB", "TV"]) {
        const p = payloadOf((await get(`/manifest/sabrOrigin2.mpd?client=${client}`)).body);
        assert.equal(p.clientInfo.clientName, client === "TV" ? 7 : 1);
        const ei = new URL(p.serverAbrStreamingUrl).searchParams.get("ei")!;
        const run = await runSabrStream(p, 133, 140, { timeoutMs: 30000 });
        assert.equal(run.error, undefined, String(run.error));
        const title = origin.titles.get("sabrOrigin2")!;
        const whole = (itag: number): Buffer => {
            const f = title.formats.find((x) => x.itag === itag)!;
            return Buffer.concat([segmentBytes(f, 0), ...f.segments.map((s) => segmentBytes(f, s.sequence))]);
        };
        assert.ok(run.video.equals(whole(133)), `${client}: video byte-exact`);
        assert.ok(run.audio.equals(whole(140)), `${client}: audio byte-exact`);
        const entries = origin.log().filter((e) => e.session === ei && e.path.includes("videoplayback"));
        assert.ok(entries.length > 0);
        for (const e of entries) {
            const ci = e.assertions?.find((a) => a.name === "clientInfoMatches");
            assert.equal(ci?.ok, true, `${client}: the client info matches the client that called /player (${ci?.detail})`);
        }
    }
});

test("reload: /reload/<id>?token= calls /player with the reload context and continues the origin's session", async () => {
    const p = payloadOf((await get("/manifest/sabrOrigin1.mpd")).body);
    origin.setFaults("F14@nth=2");
    const stream = new SabrStream({
        serverAbrStreamingUrl: p.serverAbrStreamingUrl,
        videoPlaybackUstreamerConfig: p.ustreamerConfig,
        clientInfo: p.clientInfo,
        poToken: p.poToken,
        formats: sabrFormats(p),
    });
    const token = await new Promise<string>((resolve, reject) => {
        stream.on("reloadPlayerResponse", (ctx) => {
            stream.abort();
            resolve(ctx.reloadPlaybackParams?.token ?? "");
        });
        stream.start({ videoFormat: 160, audioFormat: 140, maxRetries: 0 }).catch(reject);
        setTimeout(() => reject(new Error("no RELOAD_PLAYER_RESPONSE")), 15000).unref();
    });
    origin.setFaults("");
    assert.ok(token);
    const r = await get(`/reload/sabrOrigin1?token=${encodeURIComponent(token)}`);
    assert.equal(r.status, 200, r.body);
    const fresh = JSON.parse(r.body) as SabrPayload;
    assert.notEqual(fresh.serverAbrStreamingUrl, p.serverAbrStreamingUrl);
    assert.notEqual(fresh.ustreamerConfig, p.ustreamerConfig);
    const ei = new URL(fresh.serverAbrStreamingUrl).searchParams.get("ei")!;
    const made = origin.log().find((e) => e.session === ei && e.path.startsWith("/youtubei/v1/player"));
    assert.equal(made?.outcome, "player:OK-reload");
    assert.ok(made?.notes?.some((n) => n.startsWith("reload of session")));
    // The channel's reload path (docs/sabr-protocol.md §7.8) adds reload=<token> to the manifest URL: same effect.
    const viaManifest = await get(`/manifest/sabrOrigin1.mpd?reload=${encodeURIComponent(token)}`);
    assert.equal(viaManifest.status, 200);
});

test("codecs and maxHeight options choose the formats", async () => {
    const small = parseMpd((await get("/manifest/sabrOrigin1.mpd?maxHeight=240")).body, "http://x/");
    assert.deepEqual(
        small.periods[0]!.adaptationSets.flatMap((s) => s.representations.map((r) => r.itag)),
        [160, 133, 140],
    );
    const videoOnly = await get("/manifest/sabrOrigin1.mpd?codecs=avc1");
    assert.equal(videoOnly.status, 502);
    assert.equal(videoOnly.headers.get("x-companion-refusal"), "no-formats");
    assert.match(videoOnly.body, /no audio format with codecs avc1/);
    const none = await get("/manifest/sabrOrigin1.mpd?codecs=vp9,opus");
    assert.equal(none.status, 502);
});

test("every refusal ends in a message naming the cause and what to try", async () => {
    const cases: Array<[string, string, string, RegExp]> = [
        ["needsSignIn", "", "bot-check", /not a bot.*Try: another client \(--client TV\)/s],
        ["ageLimited1", "", "age-restricted", /age-restricted.*Try: --client WEB_EMBEDDED/s],
        ["privateClip", "", "private", /private/],
        ["regionBlock", "", "region", /country/],
        ["liveStream1", "", "live", /live stream/],
        ["noSuchVide0", "", "unavailable", /check the id/],
        ["needsSignIn", "&client=WEB_EMBEDDED", "bot-check", /client WEB_EMBEDDED/],
    ];
    for (const [id, q, cause, text] of cases) {
        const r = await get(`/manifest/${id}.mpd?x=1${q}`);
        assert.equal(r.status, 502, `${id}: ${r.body}`);
        assert.equal(r.headers.get("x-companion-refusal"), cause, id);
        assert.match(r.body, text, id);
        assert.match(r.body, /Try: /);
    }
    // The fallbacks the messages name do work for those videos.
    assert.equal((await get("/manifest/needsSignIn.mpd?client=TV")).status, 200);
    assert.equal((await get("/manifest/ageLimited1.mpd?client=WEB_EMBEDDED")).status, 200);
    assert.equal((await get("/manifest/short.mpd")).status, 400);
    assert.equal((await get("/manifest/sabrOrigin1.mpd?client=ANDROID")).status, 400);
});

test("off loopback every path needs the per-start token", async () => {
    const c = await startCompanion({ youtube: yt, host: "0.0.0.0", port: 0 });
    try {
        assert.match(c.token ?? "", /^[0-9a-f]{32}$/, "a token is made when binding off loopback");
        const base = `http://127.0.0.1:${c.port}`;
        assert.equal((await get("/manifest/sabrOrigin1.mpd", base)).status, 403);
        assert.equal((await get("/health", base)).status, 403);
        assert.equal((await get(`/${"0".repeat(32)}/manifest/sabrOrigin1.mpd`, base)).status, 403);
        assert.equal((await get(`/${c.token}/manifest/sabrOrigin1.mpd`, base)).status, 200);
        assert.equal(c.url, `${base}/${c.token}`);
    } finally {
        await c.close();
    }
    assert.equal(companion.token, undefined, "on loopback no token is needed");
    assert.equal((await get("/health")).status, 200);
});

test("probe: a table of what each client gets, with status, reason and PO-token need", async () => {
    const rows = await probe(yt, "needsSignIn");
    assert.deepEqual(
        rows.map((r) => [r.client, r.sabr, r.status, r.outcome]),
        [
            ["WEB", false, "LOGIN_REQUIRED", "bot-check"],
            ["TV", true, "OK", "ok"],
            ["WEB_EMBEDDED", false, "LOGIN_REQUIRED", "bot-check"],
        ],
    );
    const table = probeTable("needsSignIn", rows);
    assert.match(table, /^client\s+SABR\s+PO token\s+status\s+outcome\s+formats\s+reason$/m);
    assert.match(table, /^TV\s+yes\s+not wanted\s+OK\s+ok\s+3 video, 1 audio\s+-$/m);
    assert.match(table, /^WEB\s+no\s+wanted\s+LOGIN_REQUIRED\s+bot-check\s+-\s+Sign in to confirm you.re not a bot$/m);
    assert.match(table, /SABR from: TV\. Serve with --client TV\./);
});

test("probe from the command line: the table and the exit status", async () => {
    // Asynchronous: the origin answering the child runs in this process's event loop.
    const run = (id: string): Promise<{ status: number | null; stdout: string }> =>
        new Promise((resolve) => {
            const child = spawn(process.execPath, ["--import", "tsx", "tools/companion/cli.ts", "probe", id, "--innertube", origin.url], {
                stdio: ["ignore", "pipe", "inherit"],
            });
            let stdout = "";
            child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
            const timer = setTimeout(() => child.kill(), 60000);
            child.on("close", (status) => {
                clearTimeout(timer);
                resolve({ status, stdout });
            });
        });
    const ok = await run("sabrOrigin1");
    assert.equal(ok.status, 0, ok.stdout);
    assert.match(ok.stdout, /^WEB\s+yes\s+wanted\s+OK/m);
    const bad = await run("privateClip");
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /No client gives a usable SABR session/);
});

test("--help documents every option and says the Roku must share the public IP", () => {
    const help = spawnSync(process.execPath, ["--import", "tsx", "tools/companion/cli.ts", "--help"], { encoding: "utf8", timeout: 30000 });
    assert.equal(help.status, 0);
    const source = readFileSync("tools/companion/cli.ts", "utf8");
    const options = declaredOptions(source);
    assert.ok(options.length >= 9, `options found in cli.ts: ${options.join(" ")}`);
    for (const o of options) assert.match(help.stdout, new RegExp(`--${o}\\b`), `--help names --${o}`);
    assert.match(help.stdout, /same public IP address/);
});
