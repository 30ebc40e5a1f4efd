/**
 * Manifests asked again: the companion reuses a video's `/player` answer while its SABR URL has
 * life left, never for reloads, and `fresh=1` goes to `/player` anyway. Time is a hand-moved clock.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startOrigin, type OriginHandle } from "../../../tools/origin/server.ts";
import { startCompanion, type CompanionHandle } from "../../../tools/companion/service.ts";
import { Youtube } from "../../../tools/companion/youtube.ts";
import { PLAYER_CACHE_MARGIN_MS, PlayerCache } from "../../../tools/companion/player-cache.ts";

let origin: OriginHandle;
let yt: Youtube;
let companion: CompanionHandle;
let now = 1_800_000_000_000;
const playerCalls: string[] = [];

before(async () => {
    origin = await startOrigin({ port: 0 });
    const counting: typeof fetch = (input, init) => {
        const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
        if (url.includes("/youtubei/v1/player")) playerCalls.push(url);
        return fetch(input, init);
    };
    yt = await Youtube.create({ innertube: origin.url, fetch: counting });
    companion = await startCompanion({ youtube: yt, port: 0, playerCache: new PlayerCache(() => now) });
});

after(async () => {
    await companion.close();
    await yt.close();
    await origin.close();
});

async function manifest(query = ""): Promise<{ cache: string | null; url: string }> {
    const res = await fetch(`${companion.url}/manifest/sabrOrigin2.mpd${query}`);
    assert.equal(res.status, 200);
    const body = await res.text();
    const payload = JSON.parse(Buffer.from(/urn:youtube:sabr" value="([^"]+)"/.exec(body)![1]!, "base64").toString("utf8")) as {
        serverAbrStreamingUrl: string;
    };
    return { cache: res.headers.get("x-companion-cache"), url: payload.serverAbrStreamingUrl };
}

test("a manifest asked again reuses the /player answer, with the same SABR URL", async () => {
    playerCalls.length = 0;
    const first = await manifest();
    const second = await manifest();
    assert.equal(first.cache, "miss");
    assert.equal(second.cache, "hit");
    assert.equal(second.url, first.url);
    assert.equal(playerCalls.length, 1, "one /player call for two manifests");
});

test("fresh=1 and another client call /player; a reload is never answered from the cache", async () => {
    playerCalls.length = 0;
    assert.equal((await manifest("?fresh=1")).cache, "miss");
    assert.equal((await manifest("?client=TV")).cache, "miss");
    const reload = await fetch(`${companion.url}/manifest/sabrOrigin2.mpd?reload=abc`);
    await reload.text();
    assert.equal(reload.headers.get("x-companion-cache"), "miss");
    assert.equal(playerCalls.length, 3);
});

test("an answer whose URL is within the margin of its expiry is asked again", async () => {
    const held = await manifest();
    assert.equal(held.cache, "hit");
    // The stand-in's URLs live 21540 s; the cache keeps them until 30 minutes before that.
    now += 21_540_000 - PLAYER_CACHE_MARGIN_MS;
    playerCalls.length = 0;
    const renewed = await manifest();
    assert.equal(renewed.cache, "miss");
    assert.notEqual(renewed.url, held.url, "a new /player answer brings a new SABR URL");
    assert.equal(playerCalls.length, 1);
});
