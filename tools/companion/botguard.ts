/**
 * PO tokens minted with BotGuard through bgutils-js 4, the flow of its InnerTube example
 * (4.0.3): YouTube's home page gives `ytcfg` (with `EVENT_ID`) and the attestation challenge
 * (`window.ytAtN`); the challenge names BotGuard's interpreter script and the program to load
 * into its VM; a snapshot of the VM is exchanged for an integrity token (`GenerateIT`), and the
 * VM's minter makes a token per video id. Every request goes through the companion's fetch seam.
 *
 * The interpreter runs in a happy-dom window (its own vm context: no `process`, no `require`, none
 * of the service's globals). One minter is made, kept and reused until its integrity token
 * expires; while it is being made, requests get a cold-start token (accepted by YouTube only
 * while it answers stream protection status 2). A failed attempt is remembered for a while, so
 * requests get a clear `po-token` refusal instead of waiting; every step has a time limit.
 */
import { BotGuardClient } from "bgutils-js/botguard";
import type { WebPoSignalOutput } from "bgutils-js/shared-types";
import { buildURL, getHeaders, parseLooseJSON, USER_AGENT } from "bgutils-js/utils";
import { createColdStartToken, WebPoMinter } from "bgutils-js/webpo";
import { Window } from "happy-dom";
import type { PoToken, PoTokenSource } from "./po-token-cache.ts";
import { poTokenRefusal } from "./refusals.ts";
import type { FetchLike } from "./youtube.ts";

/** The request key of YouTube's web client for `GenerateIT` (from bgutils-js's examples). */
const REQUEST_KEY = "O43z0dpjhgX20SCx4KAo";
const STEP_TIMEOUT_MS = 15_000;
/** A cold-start token is only good while YouTube answers status 2: ask again soon. */
export const COLD_START_TTL_MS = 60_000;
/** After a failed attempt, requests are refused this long before the next attempt. */
export const RETRY_AFTER_MS = 5 * 60_000;

interface Minter {
    minter: WebPoMinter;
    window: Window;
    expiresAt: number;
}

export class BotguardTokens implements PoTokenSource {
    private current?: Minter;
    private warming?: Promise<void>;
    private failure?: { at: number; message: string };

    constructor(
        private readonly fetch: FetchLike,
        private readonly clock: () => number = Date.now,
    ) {}

    async token(videoId: string): Promise<PoToken> {
        const m = this.current;
        if (m && this.clock() < m.expiresAt)
            return { poToken: await m.minter.mintAsWebsafeString(videoId), expiresAt: m.expiresAt, source: "botguard" };
        if (this.failure && this.clock() - this.failure.at < RETRY_AFTER_MS)
            throw poTokenRefusal(
                `Minting a PO token with BotGuard failed: ${this.failure.message}.`,
                "--pot-provider <url> with a PO-token provider (e.g. bgutil-ytdlp-pot-provider's server), or --client TV, which was reported to play without one.",
            );
        void this.warmUp();
        return { poToken: createColdStartToken(videoId), expiresAt: this.clock() + COLD_START_TTL_MS, source: "cold-start" };
    }

    /** Starts making a minter unless one is being made; settles once it is ready or has failed. */
    warmUp(): Promise<void> {
        this.warming ??= makeMinter(this.fetch, this.clock)
            .then(
                async (m) => {
                    await this.current?.window.happyDOM.close();
                    this.current = m;
                    this.failure = undefined;
                },
                (e: unknown) => {
                    this.failure = { at: this.clock(), message: String((e as Error).message ?? e) };
                },
            )
            .finally(() => {
                this.warming = undefined;
            });
        return this.warming;
    }

    /** Settles once the attempt under way (if any) has ended: the minter is ready or the failure is known. */
    settled(): Promise<void> {
        return this.warming ?? Promise.resolve();
    }

    async close(): Promise<void> {
        await this.settled();
        await this.current?.window.happyDOM.close();
        this.current = undefined;
    }
}

/** Runs `fn` as the named step, within the time limit; a failure names the step. */
async function step<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_r, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
    });
    try {
        return await Promise.race([Promise.resolve().then(fn), limit]);
    } catch (e) {
        const cause = (e as { info?: { error?: unknown } }).info?.error;
        throw new Error(`${name}: ${String((e as Error).message ?? e)}${cause ? ` (${String((cause as Error).message ?? cause)})` : ""}`);
    } finally {
        clearTimeout(timer);
    }
}

interface Challenge {
    interpreterUrl?: { privateDoNotAccessOrElseTrustedResourceUrlWrappedValue?: string };
    program?: string;
    globalName?: string;
}

async function makeMinter(fetch: FetchLike, clock: () => number): Promise<Minter> {
    const page = await step("fetching YouTube's home page", async () => {
        const res = await fetch("https://www.youtube.com/", {
            headers: { accept: "text/html", "accept-language": "en-US,en;q=0.7", "user-agent": USER_AGENT },
            signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
        });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return res.text();
    });
    const { ytcfg, challenge } = await step("reading the challenge from the page", () => readChallenge(page));
    const scriptUrl = challenge.interpreterUrl?.privateDoNotAccessOrElseTrustedResourceUrlWrappedValue;
    const interpreter = await step("fetching BotGuard's interpreter", async () => {
        if (!scriptUrl) throw new Error("the challenge names no interpreter URL");
        const res = await fetch(new URL(scriptUrl, "https://www.youtube.com/").href, { signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return res.text();
    });
    const window = new Window({
        url: "https://www.youtube.com/",
        settings: {
            enableJavaScriptEvaluation: true,
            suppressInsecureJavaScriptEnvironmentWarning: true,
            navigator: { userAgent: USER_AGENT },
        },
    });
    try {
        // BotGuard reads EVENT_ID from the page's config (bgutils-js 4.0.3).
        Object.assign(window, { yt: { config_: ytcfg } });
        await step("running BotGuard's interpreter in the DOM shim", () => window.eval(interpreter));
        const client = await step("loading the challenge program into BotGuard's VM", () =>
            BotGuardClient.create({ program: challenge.program, globalName: challenge.globalName, globalObject: window }),
        );
        const webPoSignalOutput: WebPoSignalOutput = [];
        const snapshot = await step("taking BotGuard's snapshot", () => client.snapshot({ webPoSignalOutput }));
        const integrity = await step("getting an integrity token (GenerateIT)", async () => {
            const res = await fetch(buildURL("GenerateIT", true), {
                method: "POST",
                headers: getHeaders(),
                body: JSON.stringify([REQUEST_KEY, snapshot]),
                signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
            });
            if (!res.ok) throw new Error(`HTTP ${res.status}`);
            const [integrityToken, estimatedTtlSecs, mintRefreshThreshold, websafeFallbackToken] = (await res.json()) as [
                string,
                number,
                number,
                string,
            ];
            return { integrityToken, estimatedTtlSecs, mintRefreshThreshold, websafeFallbackToken };
        });
        const minter = await step("making the minter", () => WebPoMinter.create(integrity, webPoSignalOutput));
        return { minter, window, expiresAt: clock() + integrity.estimatedTtlSecs * 1000 };
    } catch (e) {
        await window.happyDOM.close();
        throw e;
    }
}

function readChallenge(page: string): { ytcfg: unknown; challenge: Challenge } {
    const cfg = /ytcfg\.set\(({.+?})\);/s.exec(page)?.[1];
    if (!cfg) throw new Error("no ytcfg.set(...) in the page");
    const at = /window\.ytAtN\(\s*({[\s\S]*?})\s*\)/.exec(page)?.[1];
    if (!at) throw new Error("no window.ytAtN(...) challenge in the page");
    const challenge = (parseLooseJSON(at) as { R?: { bgChallenge?: Challenge } }).R?.bgChallenge;
    if (!challenge?.program || !challenge.globalName) throw new Error("the challenge has no program or VM name");
    return { ytcfg: JSON.parse(cfg) as unknown, challenge };
}
