/**
 * The InnerTube stand-in: `POST /youtubei/v1/player` answers player responses shaped like
 * YouTube's for the origin's titles, so the companion (tools/companion) and youtubei.js can be
 * run end to end without YouTube. Also `GET /iframe_api` and the player script
 * (innertube-player-js.ts) youtubei.js downloads to solve `n`.
 *
 * - WEB (`WEB`), TV (`TVHTML5`) and WEB_EMBEDDED (`WEB_EMBEDDED_PLAYER`) get SABR responses:
 *   `streamingData.serverAbrStreamingUrl` points at this origin's `/videoplayback` with a fresh
 *   session whose `n` challenge must be solved (else 403, like YouTube), `adaptiveFormats` with
 *   the JSON types real responses use (itag/bitrate/width/height numbers; lastModified,
 *   contentLength, approxDurationMs, range bounds and audioSampleRate strings), the ustreamer
 *   config under `playerConfig.mediaCommonConfig`, `expiresInSeconds` as a string.
 * - `playbackContext.reloadPlaybackContext.reloadPlaybackParams.token` (after fault F14)
 *   continues the old session under a new URL and config, as `?reload=` does for manifests.
 * - Refusals by video id (REFUSALS below), some per client, the way YouTube refuses.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import { json } from "./http-helpers.ts";
import type { FormatModel, Title } from "./media-model.ts";
import type { LogEntry } from "./request-log.ts";
import type { SessionStore } from "./session.ts";
import { iframeApiScript, playerScript, solveN, STANDIN_PLAYER_ID } from "./innertube-player-js.ts";

export interface InnertubeRoute {
    titles: Map<string, Title>;
    sessions: SessionStore;
    expireSeconds: number;
    /** The player id `/iframe_api` names (youtubei.js downloads that player's script). */
    playerId?: string;
}

/** InnerTube client names the stand-in serves SABR to, with their numeric ids (clientInfo.clientName). */
export const STANDIN_CLIENTS: Record<string, number> = { WEB: 1, TVHTML5: 7, WEB_EMBEDDED_PLAYER: 56 };

interface Refusal {
    status: string;
    reason: string;
    /** Clients that are refused; the others play. Undefined: every client. */
    clients?: string[];
    live?: boolean;
}

/**
 * Video ids the stand-in refuses, with YouTube's wording. Ids are 11 characters like real ones.
 * `needsSignIn` is the bot check WEB clients meet (TV plays it); `ageLimited1` plays only
 * embedded (the usual fallback); `privateClip` and `regionBlock` play nowhere; `liveStream1` is
 * live (the companion does not support live yet).
 */
export const REFUSALS: Record<string, Refusal> = {
    needsSignIn: {
        status: "LOGIN_REQUIRED",
        reason: "Sign in to confirm you\u2019re not a bot",
        clients: ["WEB", "WEB_EMBEDDED_PLAYER"],
    },
    ageLimited1: {
        status: "LOGIN_REQUIRED",
        reason: "Sign in to confirm your age. This video may be inappropriate for some users.",
        clients: ["WEB", "TVHTML5"],
    },
    privateClip: { status: "LOGIN_REQUIRED", reason: "This video is private" },
    regionBlock: { status: "UNPLAYABLE", reason: "The uploader has not made this video available in your country" },
    liveStream1: { status: "OK", reason: "", live: true },
};

/** Which title a refusal id plays when a client is not refused. */
function titleFor(o: InnertubeRoute, videoId: string): Title | undefined {
    if (o.titles.has(videoId)) return o.titles.get(videoId);
    return REFUSALS[videoId] ? o.titles.values().next().value : undefined;
}

export function handleIframeApi(o: InnertubeRoute, res: ServerResponse, entry: LogEntry): void {
    entry.status = 200;
    entry.outcome = "iframe-api";
    res.writeHead(200, { "Content-Type": "text/javascript" });
    res.end(iframeApiScript(o.playerId ?? STANDIN_PLAYER_ID));
}

export function handlePlayerScript(res: ServerResponse, entry: LogEntry): void {
    entry.status = 200;
    entry.outcome = "player-script";
    res.writeHead(200, { "Content-Type": "text/javascript" });
    res.end(playerScript());
}

interface PlayerRequest {
    videoId?: string;
    context?: { client?: { clientName?: string; clientVersion?: string; osName?: string; osVersion?: string } };
    playbackContext?: {
        contentPlaybackContext?: { signatureTimestamp?: number };
        reloadPlaybackContext?: { reloadPlaybackParams?: { token?: string } };
    };
    serviceIntegrityDimensions?: { poToken?: string };
}

export async function handleInnertubePlayer(o: InnertubeRoute, req: IncomingMessage, res: ServerResponse, entry: LogEntry): Promise<void> {
    if (req.method !== "POST") {
        entry.status = 405;
        entry.outcome = "method-not-allowed";
        res.setHeader("Allow", "POST, OPTIONS");
        json(res, 405, { error: { code: 405, message: "use POST", status: "METHOD_NOT_ALLOWED" } });
        return;
    }
    let body: PlayerRequest;
    try {
        body = JSON.parse(await readText(req)) as PlayerRequest;
    } catch {
        entry.status = 400;
        entry.outcome = "player:bad-json";
        json(res, 400, { error: { code: 400, message: "Invalid JSON payload received.", status: "INVALID_ARGUMENT" } });
        return;
    }
    const client = body.context?.client ?? {};
    const clientName = client.clientName ?? "";
    const videoId = body.videoId ?? "";
    const clientId = STANDIN_CLIENTS[clientName];
    if (clientId === undefined) {
        entry.status = 400;
        entry.outcome = `player:unknown-client:${clientName}`;
        json(res, 400, { error: { code: 400, message: "Request contains an invalid argument.", status: "INVALID_ARGUMENT" } });
        return;
    }
    entry.notes = [`player ${videoId} client ${clientName}${body.serviceIntegrityDimensions?.poToken ? " with PO token" : ""}`];
    const answer = playerResponse(o, videoId, clientName, clientId, client, body, entry);
    entry.status = 200;
    res.writeHead(200, { "Content-Type": "application/json; charset=UTF-8", "Cache-Control": "no-store" });
    res.end(JSON.stringify(answer));
}

function playerResponse(
    o: InnertubeRoute,
    videoId: string,
    clientName: string,
    clientId: number,
    client: NonNullable<NonNullable<PlayerRequest["context"]>["client"]>,
    body: PlayerRequest,
    entry: LogEntry,
): Record<string, unknown> {
    const responseContext = { visitorData: randomBytes(18).toString("base64url"), serviceTrackingParams: [] };
    const refusal = REFUSALS[videoId];
    const title = titleFor(o, videoId);
    if (!title) {
        entry.outcome = "player:ERROR";
        return { responseContext, playabilityStatus: { status: "ERROR", reason: "This video is unavailable" } };
    }
    if (refusal && !refusal.live && (!refusal.clients || refusal.clients.includes(clientName))) {
        entry.outcome = `player:${refusal.status}`;
        return {
            responseContext,
            playabilityStatus: {
                status: refusal.status,
                reason: refusal.reason,
                messages: [refusal.reason],
                errorScreen: { playerErrorMessageRenderer: { reason: { simpleText: refusal.reason } } },
            },
        };
    }
    const videoDetails = {
        videoId,
        title: `Origin title ${videoId}`,
        lengthSeconds: String(Math.round(title.durationMs / 1000)),
        author: "ytsabr origin",
        channelId: "UCorigin000000000000000",
        isLiveContent: !!refusal?.live,
        isLive: !!refusal?.live,
        isPrivate: false,
        allowRatings: true,
        viewCount: "0",
    };
    if (refusal?.live) {
        entry.outcome = "player:OK-live";
        return { responseContext, playabilityStatus: { status: "OK", playableInEmbed: true, liveStreamability: {} }, videoDetails };
    }
    const token = body.playbackContext?.reloadPlaybackContext?.reloadPlaybackParams?.token;
    const inherit = token ? o.sessions.byReload(token) : undefined;
    if (token) entry.notes?.push(inherit ? `reload of session ${inherit.ei}` : `unknown reload token ${token}`);
    const s = o.sessions.create(title.videoId, o.expireSeconds, inherit);
    s.clientInfo = {
        osName: client.osName ?? "",
        osVersion: client.osVersion ?? "",
        clientName: clientId,
        clientVersion: client.clientVersion ?? "",
    };
    s.clientParam = clientName;
    s.contentBinding = videoId;
    const challenge = randomBytes(12).toString("base64url");
    s.expectedN = solveN(challenge);
    const url = new URL(o.sessions.streamingUrl(s));
    url.searchParams.set("n", challenge);
    entry.session = s.ei;
    entry.outcome = `player:OK${inherit ? "-reload" : ""}`;
    return {
        responseContext,
        playabilityStatus: { status: "OK", playableInEmbed: true, contextParams: randomBytes(12).toString("base64") },
        streamingData: {
            expiresInSeconds: String(o.expireSeconds),
            adaptiveFormats: title.formats.map(realFormat),
            serverAbrStreamingUrl: url.toString(),
        },
        playerConfig: {
            audioConfig: { loudnessDb: 0, perceptualLoudnessDb: -14, enablePerFormatLoudness: true },
            mediaCommonConfig: {
                dynamicReadaheadConfig: { maxReadAheadMediaTimeMs: 120000, minReadAheadMediaTimeMs: 15000, readAheadGrowthRateMs: 1000 },
                mediaUstreamerRequestConfig: { videoPlaybackUstreamerConfig: Buffer.from(s.config).toString("base64url") },
                useServerDrivenAbr: true,
            },
        },
        videoDetails,
    };
}

/** One `adaptiveFormats[]` entry with the JSON types of a real player response. */
export function realFormat(f: FormatModel): Record<string, unknown> {
    const entry: Record<string, unknown> = {
        itag: f.itag,
        mimeType: f.mimeType,
        bitrate: f.bitrate,
        initRange: { start: String(f.initRange.start), end: String(f.initRange.end) },
        indexRange: { start: String(f.indexRange.start), end: String(f.indexRange.end) },
        lastModified: f.lastModified,
        contentLength: String(f.contentLength),
        quality: f.kind === "video" ? qualityName(f.height ?? 0) : "tiny",
        projectionType: "RECTANGULAR",
        averageBitrate: f.averageBitrate,
        approxDurationMs: String(f.durationMs),
    };
    if (f.xtags) entry.xtags = f.xtags;
    if (f.kind === "video") {
        Object.assign(entry, { width: f.width, height: f.height, fps: f.fps, qualityLabel: f.qualityLabel });
    } else {
        Object.assign(entry, {
            highReplication: true,
            audioQuality: "AUDIO_QUALITY_MEDIUM",
            audioSampleRate: String(f.audioSampleRate ?? 0),
            audioChannels: f.audioChannels,
            loudnessDb: 0,
            isDrc: false,
            audioTrack: { displayName: "English original", id: "en.4", audioIsDefault: true },
        });
    }
    return entry;
}

function qualityName(h: number): string {
    return h <= 144 ? "tiny" : h <= 240 ? "small" : h <= 360 ? "medium" : "large";
}

function readText(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on("data", (c: Buffer) => {
            size += c.length;
            if (size > 1024 * 1024) {
                reject(new Error("player request larger than 1 MiB"));
                req.destroy();
            } else chunks.push(c);
        });
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        req.on("error", reject);
    });
}
