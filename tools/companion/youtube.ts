/**
 * youtubei.js 18, set up for the companion: its `fetch` seam (pointed at an InnerTube stand-in
 * with `innertube`), the session made locally (no extra request), an optional cache directory,
 * an optional pinned player id, and the `n` transform through the sandboxed evaluator
 * (evaluator.ts). `playerFor` makes one `/player` call for one client and returns what the
 * manifest needs, or throws a `Refusal`.
 */
import { Constants, Innertube, Parser, Platform, UniversalCache } from "youtubei.js";
import { SandboxEvaluator, youtubeiEval, type BuildScriptResult } from "./evaluator.ts";
import { extractionRefusal, innertubeRefusal, liveRefusal, noSabrRefusal, refusalOf, Refusal } from "./refusals.ts";

/** The clients the companion offers, with the InnerTube name youtubei.js sends for each. */
export const CLIENTS = {
    WEB: { innertubeName: "WEB", poTokenWanted: true },
    TV: { innertubeName: "TVHTML5", poTokenWanted: false },
    WEB_EMBEDDED: { innertubeName: "WEB_EMBEDDED_PLAYER", poTokenWanted: false },
} as const;
export type ClientName = keyof typeof CLIENTS;

export function isClientName(s: string): s is ClientName {
    return Object.hasOwn(CLIENTS, s);
}

/** YouTube's hosts, and www.google.com where BotGuard's interpreter comes from (botguard.ts). */
const YOUTUBE_HOSTS = new Set(["www.youtube.com", "youtube.com", "m.youtube.com", "youtubei.googleapis.com", "www.google.com"]);

export interface YoutubeOptions {
    /** Base URL of an InnerTube stand-in: YouTube's hosts are replaced by it in every request. */
    innertube?: string;
    /** Pin the player script (youtubei.js's `player_id`). */
    playerId?: string;
    /** Directory for youtubei.js's cache (session data, extracted player); none: nothing on disk. */
    cacheDir?: string;
    /** Time limit of one player-script evaluation, ms. */
    evalTimeoutMs?: number;
    /** The fetch under the seam (tests count requests with it). */
    fetch?: typeof fetch;
}

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** A `fetch` that sends YouTube's hosts to `base` instead (method, headers and body kept). */
export function seamFetch(base: string | undefined, inner: FetchLike = fetch): FetchLike {
    return async (input, init) => {
        const href = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
        const url = new URL(href);
        if (base && YOUTUBE_HOSTS.has(url.hostname)) {
            const b = new URL(base);
            url.protocol = b.protocol;
            url.host = b.host;
        }
        if (!(input instanceof Request)) return inner(url, init);
        const method = init?.method ?? input.method;
        const body = init?.body ?? (method === "GET" || method === "HEAD" ? undefined : await input.text());
        return inner(url, { method, headers: init?.headers ?? input.headers, body, redirect: init?.redirect ?? input.redirect });
    };
}

export interface PlayerResult {
    client: ClientName;
    videoId: string;
    /** The raw `/player` JSON (its format entries keep YouTube's JSON types). */
    raw: Record<string, unknown>;
    rawFormats: Array<Record<string, unknown>>;
    /** The SABR URL with `n` solved. */
    serverAbrStreamingUrl: string;
    /** The SABR URL as YouTube gave it. */
    rawStreamingUrl: string;
    ustreamerConfig: string;
    clientInfo: { osName: string; osVersion: string; clientName: number; clientVersion: string };
    expiresInSeconds: string | number;
    playability: { status: string; reason: string };
}

export interface PlayerCall {
    client?: ClientName;
    /** `reloadPlaybackParams.token` from a RELOAD_PLAYER_RESPONSE. */
    reloadToken?: string;
    /** A content-bound PO token for the video, sent as `serviceIntegrityDimensions.poToken`. */
    poToken?: string;
}

export class Youtube {
    private constructor(
        readonly innertube: Innertube,
        readonly evaluator: SandboxEvaluator,
        /** The fetch seam: YouTube's hosts go to `--innertube` when it is set (BotGuard's requests use it too). */
        readonly fetch: FetchLike,
    ) {}

    static async create(o: YoutubeOptions = {}): Promise<Youtube> {
        const evaluator = new SandboxEvaluator(o.evalTimeoutMs ?? 2000);
        // youtubei.js calls the platform's eval for every n it solves; it must go to the sandbox.
        Platform.shim.eval = youtubeiEval(evaluator) as unknown as typeof Platform.shim.eval;
        const f = seamFetch(o.innertube, o.fetch ?? fetch);
        let innertube: Innertube;
        try {
            innertube = await Innertube.create({
                fetch: f as typeof fetch,
                generate_session_locally: true,
                retrieve_innertube_config: false,
                enable_session_cache: false,
                ...(o.playerId ? { player_id: o.playerId } : {}),
                ...(o.cacheDir ? { cache: new UniversalCache(true, o.cacheDir) } : {}),
            });
        } catch (e) {
            await evaluator.close();
            throw extractionRefusal(`could not load the player script: ${String((e as Error).message ?? e)}`);
        }
        return new Youtube(innertube, evaluator, f);
    }

    get playerId(): string | undefined {
        return this.innertube.session.player?.player_id;
    }

    async close(): Promise<void> {
        await this.evaluator.close();
    }

    /** One `/player` call; throws a `Refusal` unless it gives a usable SABR session. */
    async player(videoId: string, call: PlayerCall = {}): Promise<PlayerResult> {
        const client = call.client ?? "WEB";
        const session = this.innertube.session;
        const playbackContext: Record<string, unknown> = {
            contentPlaybackContext: { signatureTimestamp: session.player?.signature_timestamp ?? 0, html5Preference: "HTML5_PREF_WANTS" },
        };
        if (call.reloadToken) playbackContext.reloadPlaybackContext = { reloadPlaybackParams: { token: call.reloadToken } };
        let raw: Record<string, unknown>;
        try {
            const r = await this.innertube.actions.execute("/player", {
                videoId,
                client,
                playbackContext,
                contentCheckOk: true,
                racyCheckOk: true,
                ...(call.poToken ? { serviceIntegrityDimensions: { poToken: call.poToken } } : {}),
                parse: false,
            });
            raw = r.data as Record<string, unknown>;
        } catch (e) {
            throw innertubeRefusal(String((e as Error).message ?? e));
        }
        const parsed = Parser.parseResponse(raw as never);
        const playability = { status: parsed.playability_status?.status ?? "", reason: parsed.playability_status?.reason ?? "" };
        const refusal = refusalOf(playability, client);
        if (refusal) throw refusal;
        const details = raw.videoDetails as { isLive?: boolean } | undefined;
        if (details?.isLive) throw liveRefusal();
        const rawStreamingUrl = parsed.streaming_data?.server_abr_streaming_url;
        if (!rawStreamingUrl) throw noSabrRefusal(client);
        let serverAbrStreamingUrl: string;
        try {
            if (!session.player) throw new Error("no player script loaded");
            serverAbrStreamingUrl = await session.player.decipher(rawStreamingUrl);
        } catch (e) {
            if (e instanceof Refusal) throw e;
            throw extractionRefusal(String((e as Error).message ?? e));
        }
        const challenge = new URL(rawStreamingUrl).searchParams.get("n");
        if (challenge !== null && new URL(serverAbrStreamingUrl).searchParams.get("n") === challenge)
            throw extractionRefusal("the player script left the n challenge unchanged");
        const ustreamerConfig = parsed.player_config?.media_common_config.media_ustreamer_request_config?.video_playback_ustreamer_config;
        if (!ustreamerConfig) throw noSabrRefusal(client);
        const streamingData = raw.streamingData as { adaptiveFormats?: Array<Record<string, unknown>>; expiresInSeconds?: string | number };
        return {
            client,
            videoId,
            raw,
            rawFormats: streamingData.adaptiveFormats ?? [],
            serverAbrStreamingUrl,
            rawStreamingUrl,
            ustreamerConfig,
            clientInfo: this.clientInfo(client),
            expiresInSeconds: streamingData.expiresInSeconds ?? "",
            playability,
        };
    }

    /** What the channel sends as `ClientInfo`: the client that made the `/player` call. */
    clientInfo(client: ClientName): PlayerResult["clientInfo"] {
        const ctx = this.innertube.session.context.client;
        const name = CLIENTS[client].innertubeName;
        const version =
            client === "TV"
                ? Constants.CLIENTS.TV.VERSION
                : client === "WEB_EMBEDDED"
                  ? Constants.CLIENTS.WEB_EMBEDDED.VERSION
                  : ctx.clientVersion;
        const ids = Constants.CLIENT_NAME_IDS as Record<string, string>;
        return { osName: ctx.osName ?? "", osVersion: ctx.osVersion ?? "", clientName: Number(ids[name]), clientVersion: version };
    }
}

/** For the evaluator's signature: what youtubei.js hands it. */
export type { BuildScriptResult };
