/**
 * PO tokens at the origin: the tokens its provider stand-in mints (po-tokens.ts), the protocol of
 * that stand-in (GET /ping, POST /get_pot), the verdict of F17 script=potoken, and its
 * enforcement over real SABR exchanges. Time is the origin's injected clock, never a wait.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { StreamProtectionStatus, UMPPartId } from "googlevideo/protos";
import { startOrigin, type OriginHandle } from "../../../tools/origin/server.ts";
import { PoTokenAuthority } from "../../../tools/origin/po-tokens.ts";
import { poTokenVerdict } from "../../../tools/origin/po-token-verdict.ts";
import { getManifest } from "./helpers.ts";
import { RawClient, followUp, type SabrAnswer } from "./client.ts";

let origin: OriginHandle;
let now = Date.UTC(2026, 0, 1);
before(async () => {
    origin = await startOrigin({ port: 0, clock: () => now, potTtlSeconds: 3600 });
});
after(async () => {
    await origin.close();
});

interface PotAnswer {
    poToken: string;
    contentBinding: string;
    expiresAt: string;
}

async function getPot(body: unknown, query = ""): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${origin.url}/get_pot${query}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function mint(videoId: string, query = ""): Promise<string> {
    const r = await getPot({ content_binding: videoId }, query);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return (r.json as unknown as PotAnswer).poToken;
}

function sps(r: SabrAnswer): number | undefined {
    const p = r.parts.find((x) => x.type === UMPPartId.STREAM_PROTECTION_STATUS);
    return p && StreamProtectionStatus.decode(p.payload).status;
}

const hasMedia = (r: SabrAnswer): boolean => r.parts.some((p) => p.type === UMPPartId.MEDIA);

async function session(videoId = "sabrOrigin2"): Promise<RawClient> {
    return RawClient.fromPayload((await getManifest(origin.url, videoId)).payloads[0]!, 160);
}

test("verdict table: valid, missing, other video, expired, grace exhausted, valid again", () => {
    const grace = 4000;
    const rows: Array<[string, Parameters<typeof poTokenVerdict>, ReturnType<typeof poTokenVerdict>]> = [
        ["valid token", ["valid", 0, undefined, grace], { status: 1, withhold: false, lapsedAtMs: undefined }],
        ["missing: grace starts now", ["missing", 6000, undefined, grace], { status: 2, withhold: false, lapsedAtMs: 6000 }],
        ["other video, within grace", ["other-video", 9000, 6000, grace], { status: 2, withhold: false, lapsedAtMs: 6000 }],
        ["expired, within grace", ["expired", 9999, 6000, grace], { status: 2, withhold: false, lapsedAtMs: 6000 }],
        ["forged, grace exhausted", ["forged", 10000, 6000, grace], { status: 3, withhold: true, lapsedAtMs: 6000 }],
        ["missing, grace exhausted", ["missing", 12000, 6000, grace], { status: 3, withhold: true, lapsedAtMs: 6000 }],
        ["valid again: media, the lapse forgotten", ["valid", 12000, 6000, grace], { status: 1, withhold: false, lapsedAtMs: undefined }],
        ["lapses again later: a new grace", ["expired", 20000, undefined, grace], { status: 2, withhold: false, lapsedAtMs: 20000 }],
        ["no grace at all", ["missing", 0, undefined, 0], { status: 3, withhold: true, lapsedAtMs: 0 }],
    ];
    for (const [name, args, want] of rows) assert.deepEqual(poTokenVerdict(...args), want, name);
});

test("tokens carry their binding and expiry, and only this origin's verify", () => {
    let t = 1_000_000;
    const a = new PoTokenAuthority(60_000, () => t);
    const m = a.mint("sabrOrigin1");
    assert.equal(m.expiresAtMs, 1_060_000);
    assert.match(m.poToken, /^[A-Za-z0-9_-]+$/, "base64url");
    const bytes = Buffer.from(m.poToken, "base64url");
    assert.deepEqual(a.read(bytes), { contentBinding: "sabrOrigin1", expiresAtMs: 1_060_000 });
    const tampered = Buffer.from(bytes);
    tampered[6] = tampered[6]! ^ 1;
    const checks: Array<[string, Uint8Array | undefined, string, string]> = [
        ["valid", bytes, "sabrOrigin1", "valid"],
        ["missing", undefined, "sabrOrigin1", "missing"],
        ["empty", new Uint8Array(), "sabrOrigin1", "missing"],
        ["another video", bytes, "sabrOrigin2", "other-video"],
        ["tampered", tampered, "sabrOrigin1", "forged"],
        [
            "another origin's",
            Buffer.from(new PoTokenAuthority(60_000, () => t).mint("sabrOrigin1").poToken, "base64url"),
            "sabrOrigin1",
            "forged",
        ],
        ["garbage", Uint8Array.of(1, 2, 3), "sabrOrigin1", "forged"],
    ];
    for (const [name, token, videoId, want] of checks) assert.equal(a.check(token, videoId), want, name);
    t = 1_059_999;
    assert.equal(a.check(bytes, "sabrOrigin1"), "valid", "a millisecond before expiry");
    t = 1_060_000;
    assert.equal(a.check(bytes, "sabrOrigin1"), "expired", "at expiry");
});

test("provider protocol: GET /ping and POST /get_pot answer as bgutil's server does", async () => {
    const ping = await fetch(`${origin.url}/ping`);
    assert.equal(ping.status, 200);
    const p = (await ping.json()) as Record<string, unknown>;
    assert.equal(typeof p.server_uptime, "number");
    assert.equal(typeof p.version, "string");
    assert.equal(p.token_ttl_hours, 1);

    const r = await getPot({
        content_binding: "sabrOrigin1",
        proxy: "",
        bypass_cache: false,
        source_address: null,
        disable_tls_verification: false,
    });
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.json).sort(), ["contentBinding", "expiresAt", "poToken"]);
    const a = r.json as unknown as PotAnswer;
    assert.equal(a.contentBinding, "sabrOrigin1");
    assert.equal(a.expiresAt, new Date(now + 3600_000).toISOString(), "the --pot-ttl lifetime, as an ISO date");
    assert.match(a.poToken, /^[A-Za-z0-9_-]{40,}$/);

    const short = await getPot({ content_binding: "sabrOrigin1" }, "?ttl=5");
    assert.equal((short.json as unknown as PotAnswer).expiresAt, new Date(now + 5000).toISOString(), "?ttl= mints another lifetime");

    for (const [body, error] of [
        [{ visitor_data: "x" }, /visitor_data is deprecated/],
        [{ data_sync_id: "x" }, /data_sync_id is deprecated/],
        [{}, /content_binding/],
    ] as const) {
        const bad = await getPot(body);
        assert.equal(bad.status, 400);
        assert.match(String(bad.json.error), error);
    }
    assert.equal((await getPot({ content_binding: "x" }, "?ttl=-1")).status, 400);
    assert.equal((await fetch(`${origin.url}/get_pot`)).status, 405);
});

test("F17 script=potoken: no token -> status 2 with media, then 3 without once the grace is used", async () => {
    const c = await session();
    origin.setFaults("F17:script=potoken:graceMs=4000");
    const r1 = await c.post(c.body());
    assert.deepEqual([sps(r1), hasMedia(r1)], [2, true], "grace: media flows");
    const r2 = await c.post(followUp(c, r1));
    assert.deepEqual([sps(r2), hasMedia(r2)], [3, false], "the first answer served more than 4 s of content");
    const r3 = await c.post(followUp(c, r1));
    assert.deepEqual([sps(r3), hasMedia(r3)], [3, false], "still no media without a token");
    c.poToken = Buffer.from(await mint("sabrOrigin2"), "base64url");
    const r4 = await c.post(followUp(c, r1));
    assert.deepEqual([sps(r4), hasMedia(r4)], [1, true], "a valid token brings the media back");
});

test("F17 script=potoken: a valid token gets status 1; one for another video or an expired one gets 2", async () => {
    origin.setFaults("F17:script=potoken:graceMs=4000");
    const valid = await session();
    valid.poToken = Buffer.from(await mint("sabrOrigin2"), "base64url");
    const r = await valid.post(valid.body());
    assert.deepEqual([sps(r), hasMedia(r)], [1, true]);
    assert.equal(sps(await valid.post(followUp(valid, r))), 1);

    const other = await session();
    other.poToken = Buffer.from(await mint("sabrOrigin1"), "base64url");
    const o = await other.post(other.body());
    assert.deepEqual([sps(o), hasMedia(o)], [2, true], "bound to another video: grace only");

    const expired = await session();
    expired.poToken = Buffer.from(await mint("sabrOrigin2", "?ttl=0"), "base64url");
    const e = await expired.post(expired.body());
    assert.deepEqual([sps(e), hasMedia(e)], [2, true], "expired: grace only");
    const notes = origin
        .log()
        .filter((x) => x.path.includes("videoplayback"))
        .flatMap((x) => x.notes ?? []);
    for (const n of ["po token valid", "po token other-video", "po token expired"]) assert.ok(notes.includes(n), n);
});

test("F17 script=potoken: a token expiring mid-play gives a grace from that moment, then 3", async () => {
    origin.setFaults("F17:script=potoken:graceMs=4000");
    const c = await session();
    c.poToken = Buffer.from(await mint("sabrOrigin2", "?ttl=60"), "base64url");
    const r1 = await c.post(c.body());
    assert.equal(sps(r1), 1);
    now += 60_000;
    const r2 = await c.post(followUp(c, r1));
    assert.deepEqual([sps(r2), hasMedia(r2)], [2, true], "expired now: media for the grace");
    const r3 = await c.post(followUp(c, r2));
    assert.deepEqual([sps(r3), hasMedia(r3)], [3, false], "grace used");
});
