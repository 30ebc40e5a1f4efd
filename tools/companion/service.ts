/**
 * The companion's HTTP service: what the channel asks for a real video.
 *
 *   GET /manifest/<videoId>.mpd[?codecs=avc1,mp4a][&maxHeight=N][&client=WEB|TV|WEB_EMBEDDED][&reload=<token>][&fresh=1]
 *       the SABR DASH manifest (sabr-manifest.ts); `reload=` is how a reload asks again
 *       (docs/sabr-protocol.md §7.8): the `/player` call carries the reload context. Other
 *       manifests reuse a held `/player` answer while its URL has life left (player-cache.ts;
 *       header `X-Companion-Cache: hit|miss`); `fresh=1` asks `/player` anyway
 *   GET /reload/<videoId>[?token=<reload token>][&client=..][&codecs=..]
 *       a fresh payload as JSON (a new `/player` call, with the reload context when given)
 *   GET /potoken/<videoId>[?renew=1]
 *       a content-bound PO token for the video as JSON
 *       `{"videoId", "poToken", "expiresAt" (unix ms), "source": "provider"|"botguard"|"cold-start"}`;
 *       held tokens are reused until shortly before they expire, `renew=1` asks for a new one
 *   GET /health   the client, the player id, the last error
 *
 * Off loopback every path must start with `/<token>/`, a random token made at start (printed
 * with the URLs); anything else gets 403. Refusals answer 502 with one text line naming the
 * cause and what to try (header `X-Companion-Refusal: <cause>`). Manifests and reloads carry the
 * video's PO token (sent to `/player` too); when none can be had, a client that needs one (WEB)
 * is refused with `po-token`, the others go without.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { randomBytes } from "node:crypto";
import { buildManifest, NoFormatsError, type ManifestOptions } from "./sabr-manifest.ts";
import type { PlayerCache } from "./player-cache.ts";
import type { PoToken, PoTokenCache } from "./po-token-cache.ts";
import { poTokenRefusal, Refusal } from "./refusals.ts";
import { CLIENTS, isClientName, type ClientName, type Youtube } from "./youtube.ts";

export interface CompanionOptions {
    youtube: Youtube;
    host?: string;
    /** 0 = ephemeral. */
    port?: number;
    client?: ClientName;
    /** Default codec families (a request's `?codecs=` overrides them). */
    codecs?: string[];
    /** The per-start token; made at random when needed. Tests may pass one. */
    token?: string;
    /** Require the token even on loopback. */
    requireToken?: boolean;
    /** `/player` answers kept for manifests asked again (none: every manifest calls `/player`). */
    playerCache?: PlayerCache;
    /** Where PO tokens come from (a provider or BotGuard); none: payloads carry no token and /potoken refuses. */
    poTokens?: PoTokenCache;
    onLog?: (line: string) => void;
}

export interface CompanionHandle {
    /** `http://host:port` plus `/<token>` when a token is required: prefix every path with it. */
    url: string;
    port: number;
    token?: string;
    close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
    return host === "localhost" || host === "::1" || /^127\./.test(host);
}

const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/;

export async function startCompanion(o: CompanionOptions): Promise<CompanionHandle> {
    const host = o.host ?? "127.0.0.1";
    const needToken = o.requireToken === true || !isLoopback(host);
    const token = needToken ? (o.token ?? randomBytes(16).toString("hex")) : undefined;
    const state = { lastError: "" };
    const server: Server = createServer((req, res) => {
        handle(o, state, token, req, res).catch((e: unknown) => {
            state.lastError = String(e);
            if (!res.headersSent) text(res, 500, `internal error: ${String(e)}`);
            else res.destroy();
        });
    });
    const sockets = new Set<Socket>();
    server.on("connection", (s) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(o.port ?? 8095, host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
    return {
        url: `http://${shown}:${port}${token ? `/${token}` : ""}`,
        port,
        ...(token ? { token } : {}),
        close: () =>
            new Promise<void>((resolve) => {
                for (const s of sockets) s.destroy();
                server.close(() => resolve());
            }),
    };
}

async function handle(
    o: CompanionOptions,
    state: { lastError: string },
    token: string | undefined,
    req: IncomingMessage,
    res: ServerResponse,
): Promise<void> {
    const url = new URL(req.url ?? "/", "http://companion.invalid");
    let path = url.pathname;
    if (token) {
        if (!path.startsWith(`/${token}/`)) {
            log(o, req, 403, "no token");
            text(res, 403, "forbidden: off loopback every path must start with the token the companion printed at start");
            return;
        }
        path = path.slice(token.length + 1);
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
        res.setHeader("Allow", "GET, HEAD");
        text(res, 405, "use GET");
        return;
    }
    const manifest = /^\/manifest\/([^/]+)\.mpd$/.exec(path);
    const reload = /^\/reload\/([^/]+)$/.exec(path);
    const potoken = /^\/potoken\/([^/]+)$/.exec(path);
    if (path === "/health") {
        json(res, 200, { ok: true, client: o.client ?? "WEB", playerId: o.youtube.playerId ?? null, lastError: state.lastError || null });
        return;
    }
    if (!manifest && !reload && !potoken) {
        text(
            res,
            404,
            "not found: GET /manifest/<videoId>.mpd, GET /reload/<videoId>?token=<reload token>, GET /potoken/<videoId>, GET /health",
        );
        return;
    }
    const videoId = decodeURIComponent((manifest ?? reload ?? potoken)![1]!);
    if (!VIDEO_ID.test(videoId)) {
        text(res, 400, `bad video id ${JSON.stringify(videoId)}: a YouTube video id has 11 characters (A-Z a-z 0-9 _ -)`);
        return;
    }
    if (potoken) {
        await refusing(o, state, req, res, videoId, async () => {
            const t = await poTokenOf(o, videoId, url.searchParams.get("renew") === "1");
            log(o, req, 200, `${videoId} PO token (${t.source})`);
            json(res, 200, { videoId, poToken: t.poToken, expiresAt: t.expiresAt, source: t.source });
        });
        return;
    }
    const clientParam = url.searchParams.get("client");
    if (clientParam !== null && !isClientName(clientParam)) {
        text(res, 400, "client must be WEB, TV or WEB_EMBEDDED");
        return;
    }
    const client: ClientName = clientParam ?? o.client ?? "WEB";
    const codecsParam = url.searchParams.get("codecs");
    const maxHeight = Number(url.searchParams.get("maxHeight") ?? "") || undefined;
    const mo: ManifestOptions = {
        ...(codecsParam ? { codecs: codecsParam.split(",").filter(Boolean) } : o.codecs ? { codecs: o.codecs } : {}),
        ...(maxHeight ? { maxHeight } : {}),
    };
    const reloadToken = (manifest ? url.searchParams.get("reload") : url.searchParams.get("token")) ?? undefined;
    // Reloads continue the server's session: never from the cache, never into it.
    const cacheable = manifest !== null && !reloadToken;
    await refusing(o, state, req, res, videoId, async () => {
        const pot = await tokenForPlayer(o, videoId, client);
        const cached = cacheable && url.searchParams.get("fresh") !== "1" ? o.playerCache?.get(videoId, client) : undefined;
        const p =
            cached ??
            (await o.youtube.player(videoId, {
                client,
                ...(reloadToken ? { reloadToken } : {}),
                ...(pot ? { poToken: pot.poToken } : {}),
            }));
        if (cacheable && !cached) o.playerCache?.put(p);
        const m = buildManifest(p, { ...mo, ...(pot ? { poToken: pot.poToken, poTokenExpiresAt: pot.expiresAt } : {}) });
        const how = reloadToken ? " (reload)" : cached ? " (cached)" : "";
        log(o, req, 200, `${videoId} client ${client}: ${m.formats.map((f) => f.itag).join(",")}${how}`);
        if (manifest) {
            res.writeHead(200, {
                "Content-Type": "application/dash+xml",
                "Cache-Control": "no-store",
                "X-Companion-Cache": cached ? "hit" : "miss",
            });
            res.end(req.method === "HEAD" ? undefined : m.mpd);
        } else json(res, 200, m.payload);
    });
}

/** Runs `answer`; a refusal becomes 502 with one line naming the cause and what to try. */
async function refusing(
    o: CompanionOptions,
    state: { lastError: string },
    req: IncomingMessage,
    res: ServerResponse,
    videoId: string,
    answer: () => Promise<void>,
): Promise<void> {
    try {
        await answer();
    } catch (e) {
        if (!(e instanceof Refusal || e instanceof NoFormatsError)) throw e;
        const cause = e instanceof Refusal ? e.cause : "no-formats";
        state.lastError = `${videoId}: ${cause}`;
        log(o, req, 502, `${videoId} refused: ${cause}`);
        res.setHeader("X-Companion-Refusal", cause);
        text(res, 502, `${cause}: ${e.message}`);
    }
}

async function poTokenOf(o: CompanionOptions, videoId: string, renew: boolean): Promise<PoToken> {
    if (!o.poTokens)
        throw poTokenRefusal(
            "This companion was started without a PO-token source.",
            "--pot-provider <url>, or start it from its command line, which mints with BotGuard.",
        );
    return o.poTokens.get(videoId, renew);
}

/** The token `/player` and the payload carry: none without a source, or when the client can do without one. */
async function tokenForPlayer(o: CompanionOptions, videoId: string, client: ClientName): Promise<PoToken | undefined> {
    if (!o.poTokens) return undefined;
    try {
        return await o.poTokens.get(videoId);
    } catch (e) {
        if (e instanceof Refusal && !CLIENTS[client].poTokenWanted) return undefined;
        throw e;
    }
}

function log(o: CompanionOptions, req: IncomingMessage, status: number, what: string): void {
    o.onLog?.(`${new Date().toISOString()} ${req.method} ${status} ${what}`);
}

function text(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" });
    res.end(`${body}\n`);
}

function json(res: ServerResponse, status: number, value: unknown): void {
    res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
    res.end(JSON.stringify(value, null, 2));
}
