/**
 * The companion's PO tokens, offline: from the origin's provider stand-in (`--pot-provider`),
 * `GET /potoken/<id>` and its contract, the token in the manifest payload and the `/player` call,
 * the cache and its renewal (an injected clock, shared with the origin, instead of waiting), the
 * origin enforcing the token in SABR answers (F17 script=potoken), refusals when no token can be
 * had, and the BotGuard path up to the point where the stand-in stops (BotGuard's VM).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { StreamProtectionStatus, UMPPartId } from "googlevideo/protos";
import { decodeColdStartToken } from "bgutils-js/webpo";
import { startOrigin, type OriginHandle } from "../../../tools/origin/server.ts";
import { segmentBytes } from "../../../tools/origin/media-model.ts";
import type { SabrPayload } from "../../../tools/origin/manifest.ts";
import { startCompanion, type CompanionHandle } from "../../../tools/companion/service.ts";
import { Youtube } from "../../../tools/companion/youtube.ts";
import { PoTokenCache, type PoToken, type PoTokenSource } from "../../../tools/companion/po-token-cache.ts";
import { providerTokens } from "../../../tools/companion/pot-provider.ts";
import { BotguardTokens, COLD_START_TTL_MS, RETRY_AFTER_MS } from "../../../tools/companion/botguard.ts";
import { Refusal } from "../../../tools/companion/refusals.ts";
import { RawClient } from "../origin/client.ts";
import { runSabrStream } from "../origin/helpers.ts";

const HOUR = 3600_000;
let now = Date.UTC(2026, 0, 1);
const clock = (): number => now;
let origin: OriginHandle;
let yt: Youtube;
let companion: CompanionHandle;

before(async () => {
    origin = await startOrigin({ port: 0, clock, potTtlSeconds: 3600 });
    yt = await Youtube.create({ innertube: origin.url });
    companion = await startCompanion({ youtube: yt, port: 0, poTokens: new PoTokenCache(providerTokens(origin.url), clock) });
});

after(async () => {
    await companion.close();
    await yt.close();
    await origin.close();
});

async function get(path: string, base = companion.url): Promise<{ status: number; body: string; headers: Headers }> {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: await res.text(), headers: res.headers };
}

type Payload = SabrPayload & { poTokenExpiresAt: number; videoId: string };

function payloadOf(xml: string): Payload {
    const m = /schemeIdUri="urn:youtube:sabr" value="([^"]+)"/.exec(xml);
    assert.ok(m, "the manifest carries a payload");
    return JSON.parse(Buffer.from(m[1]!, "base64").toString("utf8")) as Payload;
}

const potCalls = (): number => origin.log().filter((e) => e.path === "/get_pot" && e.status === 200).length;

function sps(parts: Array<{ type: number; payload: Uint8Array }>): number | undefined {
    const p = parts.find((x) => x.type === UMPPartId.STREAM_PROTECTION_STATUS);
    return p && StreamProtectionStatus.decode(p.payload).status;
}

test("GET /potoken/<id> with --pot-provider: exactly the contract, a token the origin accepts", async () => {
    const r = await get("/potoken/sabrOrigin2");
    assert.equal(r.status, 200, r.body);
    assert.equal(r.headers.get("content-type"), "application/json; charset=utf-8");
    const t = JSON.parse(r.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(t), ["videoId", "poToken", "expiresAt", "source"]);
    assert.equal(t.videoId, "sabrOrigin2");
    assert.equal(typeof t.poToken, "string");
    assert.match(String(t.poToken), /^[A-Za-z0-9_-]+$/);
    assert.equal(t.expiresAt, now + HOUR, "unix ms, the provider's expiresAt");
    assert.equal(t.source, "provider");

    // The origin checks it in SABR requests: status 1 for this video.
    origin.setFaults("F17:script=potoken:graceMs=0@always");
    try {
        const m = await get("/manifest/sabrOrigin2.mpd");
        const c = RawClient.fromPayload(payloadOf(m.body), 160);
        c.poToken = Buffer.from(String(t.poToken), "base64url");
        const answer = await c.post(c.body());
        assert.equal(sps(answer.parts), 1);
        c.poToken = undefined;
        assert.equal(sps((await c.post(c.body())).parts), 3, "without it: no grace (graceMs=0), status 3");
    } finally {
        origin.setFaults("");
    }
    assert.equal((await get("/potoken/short")).status, 400);
});

test("the manifest and reload payloads carry the video's token, and /player got it as serviceIntegrityDimensions", async () => {
    const p = payloadOf((await get("/manifest/sabrOrigin1.mpd")).body);
    assert.ok(p.poToken.length > 20);
    assert.equal(typeof p.poTokenExpiresAt, "number");
    assert.equal(p.poTokenExpiresAt, now + HOUR);
    const ei = new URL(p.serverAbrStreamingUrl).searchParams.get("ei");
    const player = origin.log().find((e) => e.session === ei && e.path.startsWith("/youtubei/v1/player"));
    assert.deepEqual(player?.notes, ["player sabrOrigin1 client WEB with PO token"]);
    const tokenNow = JSON.parse((await get("/potoken/sabrOrigin1")).body) as { poToken: string };
    assert.equal(p.poToken, tokenNow.poToken, "the same (held) token");

    const fresh = JSON.parse((await get("/reload/sabrOrigin1")).body) as Payload;
    assert.equal(fresh.poToken, p.poToken);
    assert.equal(fresh.poTokenExpiresAt, p.poTokenExpiresAt);
});

test("with the origin enforcing PO tokens, the companion's payload plays byte-exact through googlevideo's SabrStream", async () => {
    origin.setFaults("F17:script=potoken:graceMs=0@always");
    try {
        const p = payloadOf((await get("/manifest/sabrOrigin2.mpd")).body);
        const run = await runSabrStream(p, 133, 140, { timeoutMs: 30000 });
        assert.equal(run.error, undefined, String(run.error));
        const f = origin.titles.get("sabrOrigin2")!.formats.find((x) => x.itag === 133)!;
        assert.ok(run.video.equals(Buffer.concat([segmentBytes(f, 0), ...f.segments.map((s) => segmentBytes(f, s.sequence))])));
        const ei = new URL(p.serverAbrStreamingUrl).searchParams.get("ei");
        const answers = origin.log().filter((e) => e.session === ei && e.path.includes("videoplayback"));
        assert.ok(answers.length > 1);
        for (const e of answers) assert.deepEqual([e.notes?.includes("po token valid"), e.parts?.[0]?.label], [true, "sps:1"]);
    } finally {
        origin.setFaults("");
    }
});

test("a refusal id that plays another title: its token is bound to the id asked for, and the origin accepts it", async () => {
    origin.setFaults("F17:script=potoken:graceMs=0@always");
    try {
        const p = payloadOf((await get("/manifest/needsSignIn.mpd?client=TV")).body);
        assert.equal(p.videoId, "needsSignIn");
        const c = RawClient.fromPayload(p, 160);
        c.poToken = Buffer.from(p.poToken, "base64url");
        assert.equal(sps((await c.post(c.body())).parts), 1);
    } finally {
        origin.setFaults("");
    }
});

test("tokens are held per video for their lifetime and renewed near expiry (clock moved, no waiting)", async () => {
    const cache = new PoTokenCache(providerTokens(origin.url), clock);
    const calls = potCalls();
    const a = await cache.get("sabrOrigin1");
    assert.equal(a.expiresAt, now + HOUR);
    assert.deepEqual(await cache.get("sabrOrigin1"), a, "held");
    const b = await cache.get("sabrOrigin2");
    assert.notEqual(b.poToken, a.poToken, "one per video");
    assert.equal(potCalls() - calls, 2);

    now += HOUR - 60_001; // just before the renewal margin (60 s before expiry)
    assert.deepEqual(await cache.get("sabrOrigin1"), a);
    assert.equal(potCalls() - calls, 2);
    now += 1;
    const renewed = await cache.get("sabrOrigin1");
    assert.notEqual(renewed.poToken, a.poToken, "renewed 60 s before it expires");
    assert.equal(renewed.expiresAt, now + HOUR);
    now += 2 * HOUR;
    const afterExpiry = await cache.get("sabrOrigin2");
    assert.notEqual(afterExpiry.poToken, b.poToken, "an expired token is never handed out");
    assert.equal(potCalls() - calls, 4);
    await cache.get("sabrOrigin2", true);
    assert.equal(potCalls() - calls, 5, "renew asks the provider again at once");
});

test("the cache: short lifetimes renew at a tenth, cold-start tokens are not held, one source call per video at a time", async () => {
    let n = 0;
    let coldStart = false;
    let release: () => void = () => {};
    let gate: Promise<void> = Promise.resolve();
    const fake: PoTokenSource = {
        async token(): Promise<PoToken> {
            await gate;
            n++;
            return { poToken: `t${n}`, expiresAt: now + 100_000, source: coldStart ? "cold-start" : "botguard" };
        },
    };
    const cache = new PoTokenCache(fake, clock);
    const first = await cache.get("sabrOrigin1");
    now += 89_999;
    assert.equal((await cache.get("sabrOrigin1")).poToken, first.poToken, "100 s lifetime: renewed 10 s before expiry");
    now += 1;
    assert.equal((await cache.get("sabrOrigin1")).poToken, "t2");
    coldStart = true;
    assert.equal((await cache.get("sabrOrigin2")).poToken, "t3");
    assert.equal((await cache.get("sabrOrigin2")).poToken, "t4", "a cold-start token is asked for again");
    gate = new Promise((r) => (release = r));
    const both = Promise.all([cache.get("needsSignIn"), cache.get("needsSignIn")]);
    release();
    const [x, y] = await both;
    assert.equal(x.poToken, y.poToken, "concurrent requests share one source call");
    assert.equal(n, 5);
});

test("when no token can be had: /potoken and WEB manifests are refused with po-token; TV plays without one", async () => {
    const closed = await freePort();
    for (const [provider, what] of [
        [`http://127.0.0.1:${closed}`, /could not be reached/],
        [`${origin.url}/nowhere`, /answered 404/],
    ] as const) {
        const c = await startCompanion({ youtube: yt, port: 0, poTokens: new PoTokenCache(providerTokens(provider), clock) });
        try {
            const r = await get("/potoken/sabrOrigin1", c.url);
            assert.equal(r.status, 502);
            assert.equal(r.headers.get("x-companion-refusal"), "po-token");
            assert.match(r.body, /^po-token: The PO-token provider at \S+ /);
            assert.match(r.body, what);
            assert.match(r.body, /Try: check that the provider runs and answers GET \S+\/ping, or leave out --pot-provider/);
            assert.equal(r.body.trimEnd().split("\n").length, 1, "one line");
            const web = await get("/manifest/sabrOrigin1.mpd", c.url);
            assert.deepEqual([web.status, web.headers.get("x-companion-refusal")], [502, "po-token"]);
            const tv = await get("/manifest/sabrOrigin1.mpd?client=TV", c.url);
            assert.equal(tv.status, 200);
            assert.deepEqual([payloadOf(tv.body).poToken, payloadOf(tv.body).poTokenExpiresAt], ["", 0]);
        } finally {
            await c.close();
        }
    }
    const none = await startCompanion({ youtube: yt, port: 0 });
    try {
        const r = await get("/potoken/sabrOrigin1", none.url);
        assert.deepEqual([r.status, r.headers.get("x-companion-refusal")], [502, "po-token"]);
        assert.match(r.body, /^po-token: .* Try: --pot-provider <url>/);
    } finally {
        await none.close();
    }
});

test("BotGuard path (bgutils-js + happy-dom) up to where the stand-in stops: loading the program into BotGuard's VM", async () => {
    const requests: string[] = [];
    const seen: typeof fetch = (input, init) => {
        requests.push(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
        return yt.fetch(input, init);
    };
    const bg = new BotguardTokens(seen, clock);
    const c = await startCompanion({ youtube: yt, port: 0, poTokens: new PoTokenCache(bg, clock) });
    try {
        // While the minter warms up: a cold-start token bound to the video.
        const r1 = await get("/potoken/sabrOrigin1", c.url);
        assert.equal(r1.status, 200, r1.body);
        const cold = JSON.parse(r1.body) as { poToken: string; expiresAt: number; source: string };
        assert.equal(cold.source, "cold-start");
        assert.equal(cold.expiresAt, now + COLD_START_TTL_MS);
        assert.equal(decodeColdStartToken(cold.poToken).contentBinding, "sabrOrigin1");

        await bg.settled(); // the attempt ends, it does not hang
        assert.deepEqual(
            requests,
            ["https://www.youtube.com/", "https://www.google.com/js/th/0rigin-bg01.js"],
            "both through the fetch seam",
        );
        const served = origin.log().filter((e) => e.outcome.startsWith("botguard-"));
        assert.deepEqual(
            served.slice(-2).map((e) => [e.path, e.outcome]),
            [
                ["/", "botguard-page"],
                ["/js/th/0rigin-bg01.js", "botguard-interpreter"],
            ],
        );

        // The interpreter ran in the DOM shim and BotGuardClient called its VM with the page's program: the stand-in's VM refuses there.
        const r2 = await get("/potoken/sabrOrigin1", c.url);
        assert.deepEqual([r2.status, r2.headers.get("x-companion-refusal")], [502, "po-token"]);
        assert.match(
            r2.body,
            /^po-token: Minting a PO token with BotGuard failed: loading the challenge program into BotGuard's VM: Could not load program \(stand-in interpreter: no BotGuard VM to run program [A-Za-z0-9+/]{12}\)\. Try: --pot-provider <url>/,
        );
        assert.deepEqual(
            [(await get("/manifest/sabrOrigin1.mpd", c.url)).status, (await get("/manifest/sabrOrigin1.mpd?client=TV", c.url)).status],
            [502, 200],
        );

        // After a while, a new attempt (a cold-start token meanwhile).
        now += RETRY_AFTER_MS;
        const r3 = JSON.parse((await get("/potoken/sabrOrigin2", c.url)).body) as { source: string };
        assert.equal(r3.source, "cold-start");
        await bg.settled();
        await assert.rejects(bg.token("sabrOrigin2"), (e: unknown) => e instanceof Refusal && e.cause === "po-token");
    } finally {
        await c.close();
        await bg.close();
    }
});

test("the command line: --pot-provider serves /potoken from that provider", async () => {
    const child = spawn(
        process.execPath,
        ["--import", "tsx", "tools/companion/cli.ts", "--port", "0", "--innertube", origin.url, "--pot-provider", origin.url],
        { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
        const base = await new Promise<string>((resolve, reject) => {
            let out = "";
            child.stdout.on("data", (d: Buffer) => {
                out += d.toString("utf8");
                const m = /manifest: (http:\/\/\S+)\/manifest\//.exec(out);
                if (m && /PO tokens from the provider at /.test(out)) resolve(m[1]!);
            });
            child.on("close", () => reject(new Error(`the companion ended: ${out}`)));
        });
        const r = await get("/potoken/sabrOrigin2", base);
        assert.equal(r.status, 200, r.body);
        assert.equal((JSON.parse(r.body) as { source: string }).source, "provider");
    } finally {
        child.kill();
    }
});

function freePort(): Promise<number> {
    return new Promise((resolve) => {
        const s = createServer().listen(0, "127.0.0.1", () => {
            const port = (s.address() as { port: number }).port;
            s.close(() => resolve(port));
        });
    });
}
