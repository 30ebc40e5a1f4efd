/**
 * The local SABR origin: manifests, the SABR `videoplayback` endpoint answered with UMP, a
 * request log with per-request assertions (docs/sabr-protocol.md §9.4), switchable faults (§9.3)
 * and the raw source files. This file starts the server and routes requests; README.md
 * ("Layout") says which module owns what.
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { TestCa } from "./test-ca.ts";
import { handleFaults, handleIndex, handleLog, handleRelease, handleSource, type AdminRoutes } from "./admin-routes.ts";
import { HeldResponses } from "./body-writer.ts";
import { FaultSwitch } from "./fault-switch.ts";
import type { FaultRule } from "./faults.ts";
import { corsHeaders, json } from "./http-helpers.ts";
import { handleIframeApi, handleInnertubePlayer, handlePlayerScript, type InnertubeRoute } from "./innertube.ts";
import { handleManifest, type ManifestRoute } from "./manifest-route.ts";
import { loadTitles, MEDIA_DIR, type Title } from "./media-model.ts";
import { handleHomePage, handleInterpreter, wantsHtml } from "./botguard-standin.ts";
import { PoTokenAuthority } from "./po-tokens.ts";
import { handleGetPot, handlePing } from "./pot-provider-routes.ts";
import { handleProbeRoute } from "./probe-routes.ts";
import { RequestLog, type LogEntry } from "./request-log.ts";
import { SessionStore } from "./session.ts";
import { handleVideoplayback, type SabrEndpoint } from "./videoplayback.ts";

export type { Assertion, LogEntry } from "./request-log.ts";
export { CLIENT_INFO } from "./session.ts";

export interface OriginOptions {
    host?: string;
    /** 0 = ephemeral. */
    port?: number;
    mediaDir?: string;
    /** Fault spec (see faults.ts) or parsed rules. */
    faults?: string | FaultRule[];
    seed?: number;
    /** Extra delay before every videoplayback answer, ms. */
    delayMs?: number;
    /** Readahead window the origin fills per response, ms. */
    readaheadMs?: number;
    /** Cap of media segments per track per response. */
    maxSegmentsPerTrack?: number;
    /** Media bytes per MEDIA part. */
    mediaPartBytes?: number;
    /** Send Content-Length instead of chunked transfer encoding. */
    contentLength?: boolean;
    /** Lifetime of issued streaming URLs, s. */
    expireSeconds?: number;
    /** Largest accepted request body, bytes. */
    maxBodyBytes?: number;
    /** Missing f17 (video format): 'error' answers sabr.malformed_config; 'audio-only' serves audio. */
    missingVideo?: "error" | "audio-only";
    /** Client info mismatch: 'log' only records the assertion; 'error' answers sabr.malformed_config. */
    clientInfoCheck?: "log" | "error";
    /** Called with a one-line description of every request. */
    onLog?: (line: string) => void;
    /** Public base URL to put in manifests (default http://<host>:<port>, https:// with `tls`). */
    publicUrl?: string;
    /**
     * Serve HTTPS with a certificate from a CA made at start-up (tools/origin/test-ca.ts); clients
     * trust the origin through the returned `tls.caPem`. The certificate names loopback, the bind
     * host (every interface address for 0.0.0.0/::) and the host of `publicUrl`.
     */
    tls?: boolean;
    /**
     * Write the payload's integer fields (lastModified, contentLength, approxDurationMs, ranges,
     * expiresInSeconds, audioSampleRate) as JSON numbers, as real payloads do, instead of decimal
     * strings. A manifest request overrides it with `?numbers=1` or `?numbers=0`.
     */
    numericPayload?: boolean;
    /** The player id the InnerTube stand-in's `/iframe_api` names (tools/origin/innertube.ts). */
    playerId?: string;
    /** Lifetime of the PO tokens the provider stand-in mints (`POST /get_pot`), s (default 21600, as bgutil's TOKEN_TTL). */
    potTtlSeconds?: number;
    /** The clock PO tokens are minted and checked with (tests move it instead of waiting). */
    clock?: () => number;
}

export interface OriginHandle {
    /** Base URL of the origin (https:// when serving TLS). */
    url: string;
    /** Present when serving TLS: the CA a client must trust, and the server certificate it signed. */
    tls?: { caPem: string; certPem: string; hosts: string[] };
    port: number;
    titles: Map<string, Title>;
    close(): Promise<void>;
    /** The request log (same content as GET /__log). */
    log(): LogEntry[];
    setFaults(spec: string | FaultRule[], seed?: number): void;
    /** How many responses F16 mode=hold is holding now. */
    held(): number;
    /** Lets every response held by F16 mode=hold go on; returns how many were held. */
    releaseHeld(): number;
}

const DEFAULTS = {
    readaheadMs: 15000,
    maxSegmentsPerTrack: 8,
    mediaPartBytes: 32768,
    expireSeconds: 21540,
    maxBodyBytes: 1024 * 1024,
    potTtlSeconds: 6 * 3600,
};

/** What the routes share: one origin's titles, sessions, faults, log and held responses. */
type Routes = AdminRoutes & { manifest: ManifestRoute; sabr: SabrEndpoint; innertube: InnertubeRoute; poTokens: PoTokenAuthority };

export async function startOrigin(options: OriginOptions = {}): Promise<OriginHandle> {
    const opts = { ...DEFAULTS, ...options };
    const titles = loadTitles(options.mediaDir ?? MEDIA_DIR);
    const sessions = new SessionStore();
    const faults = new FaultSwitch(options.faults, options.seed ?? 1);
    const log = new RequestLog(options.onLog);
    const held = new HeldResponses();
    const poTokens = new PoTokenAuthority(opts.potTtlSeconds * 1000, options.clock);
    const routes: Routes = {
        titles,
        faults,
        log,
        held,
        baseUrl: () => sessions.baseUrl,
        manifest: { titles, sessions, expireSeconds: opts.expireSeconds, numericPayload: opts.numericPayload },
        sabr: { titles, sessions, faults, held, poTokens, options: opts },
        innertube: { titles, sessions, expireSeconds: opts.expireSeconds, playerId: options.playerId },
        poTokens,
    };
    const host = options.host ?? "127.0.0.1";
    const tls = options.tls ? await tlsCertificates(host, options.publicUrl) : undefined;
    const handler = (req: IncomingMessage, res: ServerResponse): void => serve(routes, req, res);
    const server: Server = tls ? createTlsServer({ key: tls.keyPem, cert: tls.certPem }, handler) : createServer(handler);
    const sockets = trackSockets(server);
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port ?? 0, host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const shownHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
    sessions.baseUrl = options.publicUrl ?? `${tls ? "https" : "http"}://${shownHost}:${port}`;
    return {
        url: sessions.baseUrl,
        port,
        ...(tls ? { tls: { caPem: tls.caPem, certPem: tls.certPem, hosts: tls.hosts } } : {}),
        titles,
        log: () => log.entries,
        setFaults: (spec, seed) => faults.set(spec, seed),
        held: () => held.size,
        releaseHeld: () => held.releaseAll(),
        close: () =>
            new Promise<void>((resolve) => {
                for (const s of sockets) s.destroy();
                server.close(() => resolve());
            }),
    };
}

/** One request: CORS, a log entry (except for reads of the log itself), the route. */
function serve(o: Routes, req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://origin.invalid");
    corsHeaders(res);
    const entry = o.log.open(req.method ?? "", url.pathname + url.search);
    const finish = (): void => {
        if (url.pathname !== "/__log") o.log.add(entry);
    };
    if (req.method === "OPTIONS") {
        preflight(req, res, entry);
        finish();
        return;
    }
    route(o, req, res, url, entry)
        .catch((e: unknown) => {
            entry.status = 500;
            entry.outcome = `internal-error: ${String(e)}`;
            if (!res.headersSent) json(res, 500, { error: String(e) });
            else res.destroy();
        })
        .finally(finish);
}

function preflight(req: IncomingMessage, res: ServerResponse, entry: LogEntry): void {
    res.writeHead(204, {
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": req.headers["access-control-request-headers"] ?? "Content-Type, Accept, Accept-Encoding, Range",
        "Access-Control-Max-Age": "86400",
    });
    res.end();
    entry.status = 204;
    entry.outcome = "preflight";
}

async function route(o: Routes, req: IncomingMessage, res: ServerResponse, url: URL, entry: LogEntry): Promise<void> {
    const p = url.pathname;
    const source = /^\/__source\/([^/]+)\/(\d+)$/.exec(p);
    if (p === "/" && wantsHtml(req)) handleHomePage(res, entry);
    else if (p === "/" || p === "/__index") handleIndex(o, res, entry);
    else if (p.startsWith("/manifest/")) manifestRoute(o, req, res, url, entry);
    else if (p.endsWith("/videoplayback")) await handleVideoplayback(o.sabr, req, res, url, entry);
    else if (p === "/youtubei/v1/player") await handleInnertubePlayer(o.innertube, req, res, entry);
    else if (p === "/iframe_api") handleIframeApi(o.innertube, res, entry);
    else if (/^\/s\/player\/[\w-]+\/player_es6\.vflset\/[\w-]+\/base\.js$/.test(p)) handlePlayerScript(res, entry);
    else if (/^\/js\/th\/[\w-]+\.js$/.test(p)) handleInterpreter(res, entry);
    else if (p === "/ping") handlePing(o.poTokens, res, entry);
    else if (p === "/get_pot") await handleGetPot(o.poTokens, req, res, url, entry);
    else if (p === "/__log") handleLog(o, req, res, url);
    else if (p === "/__release") handleRelease(o, req, res, entry);
    else if (p === "/__faults") await handleFaults(o, req, res, entry);
    else if (source) handleSource(o, req, res, entry, source[1]!, Number(source[2]));
    else if (!(p.startsWith("/probe/") && (await handleProbeRoute(req, res, url, entry)))) notFound(res, entry); // probes: tools/device-probe
}

function manifestRoute(o: Routes, req: IncomingMessage, res: ServerResponse, url: URL, entry: LogEntry): void {
    if (req.method === "GET" || req.method === "HEAD") {
        handleManifest(o.manifest, url, res, entry);
        return;
    }
    entry.status = 405;
    entry.outcome = "method-not-allowed";
    res.setHeader("Allow", "GET, OPTIONS");
    json(res, 405, { error: "use GET" });
}

function notFound(res: ServerResponse, entry: LogEntry): void {
    entry.status = 404;
    entry.outcome = "not-found";
    json(res, 404, {
        error: "not found",
        endpoints: [
            "/manifest/<videoId>.mpd?variant=single|multi|unscoped",
            "POST /videoplayback?...&sabr=1&rn=N",
            "POST /youtubei/v1/player (InnerTube stand-in)",
            "GET /iframe_api, GET /s/player/<id>/player_es6.vflset/en_US/base.js",
            "GET / (Accept: text/html), GET /js/th/<hash>.js (BotGuard challenge stand-in)",
            "GET /ping, POST /get_pot (PO-token provider stand-in)",
            "GET /__log",
            "POST /__faults",
            "POST /__release",
            "GET /__source/<videoId>/<itag>",
        ],
    });
}

/** Open sockets, so close() does not wait for keep-alive clients. */
function trackSockets(server: Server): Set<Socket> {
    const sockets = new Set<Socket>();
    server.on("connection", (sock) => {
        sockets.add(sock);
        sock.on("close", () => sockets.delete(sock));
    });
    server.on("clientError", (_err, sock) => {
        if (sock.writable) sock.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    });
    return sockets;
}

/** A throwaway CA and server certificate for the hosts clients use to reach this origin. */
async function tlsCertificates(host: string, publicUrl: string | undefined): Promise<TestCa> {
    if (publicUrl && !publicUrl.startsWith("https://")) throw new Error(`publicUrl must be https:// when serving TLS: ${publicUrl}`);
    // Loaded only here: plain-HTTP origins never pull in the X.509 library.
    const { makeTestCa, reachableHosts } = await import("./test-ca.ts");
    const hosts = [...reachableHosts(host), ...(publicUrl ? [new URL(publicUrl).hostname] : [])];
    return makeTestCa({ hosts });
}
