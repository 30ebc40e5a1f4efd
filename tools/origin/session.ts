/**
 * SABR sessions: one per issued streaming URL (`ei=`), created by a manifest request. A session
 * holds what the origin has told the client (cookie, backoff, contexts, redirects) and what it
 * has delivered, so the next request can be checked against it.
 */
import { randomBytes } from "node:crypto";
import type { FormatModel } from "./media-model.ts";
import { UMPPartId } from "googlevideo/protos";
import { toHex, type WirePart } from "./wire.ts";

export const CLIENT_INFO = { osName: "Roku", osVersion: "14.0", clientName: 1, clientVersion: "2.20250101.00.00" };

export interface Session {
    ei: string;
    videoId: string;
    /** The video id PO tokens must be bound to: the id the client asked for (a refusal id plays another title). */
    contentBinding: string;
    config: Uint8Array;
    expire: number;
    path: string;
    nonce: Uint8Array;
    cookieCounter: number;
    lastCookie?: Uint8Array;
    lastRn?: number;
    requests: number;
    lastPlayerTimeMs?: number;
    lastBackoffMs: number;
    lastResponseEnd?: number;
    /** When the last 429 went out and the seconds its Retry-After asked for. */
    lastRetryAfter?: { at: number; seconds: number };
    /** "itag:seq" of segments whose MEDIA_END was written; seq 0 = init segment. */
    delivered: Set<string>;
    /**
     * The same for every session of this video so far (shared by them): a client's cache outlives
     * its session, so a new session may be told of segments an earlier one delivered.
     */
    deliveredEver: Set<string>;
    /** Contexts the client should hold and send (type -> value), per the updates sent. */
    storedCtx: Map<number, Uint8Array>;
    activeCtx: Set<number>;
    /** Types the origin told the client to stop/discard. */
    mustNotSend: Set<number>;
    invalid?: "reloaded" | "expired" | "redirected";
    redirectCount: number;
    reloadToken?: string;
    /** "audioItag:videoItag" pairs whose every segment was delivered (end of stream for that pair). */
    endedPairs: Set<string>;
    /** F17 state */
    firstPoToken?: string;
    protectedMediaMs: number;
    /** script=potoken: `protectedMediaMs` when the session lost its valid PO token. */
    poTokenLapsedAtMs?: number;
    /** F18 state */
    adGate?: { value: Uint8Array; notBefore: number; passed: boolean };
    /** F21: server-chosen video itag. */
    switchedVideoItag?: number;
    clientInfo: typeof CLIENT_INFO;
    /**
     * Sessions made by the InnerTube stand-in (`POST /youtubei/v1/player`): the `n` a client must
     * send after solving the challenge with the player script, and the URL's `c=` client name.
     */
    expectedN?: string;
    clientParam?: string;
}

export class SessionStore {
    private readonly byEi = new Map<string, Session>();
    private readonly byReloadToken = new Map<string, Session>();
    /** videoId -> "itag:seq" of every segment delivered for it (Session.deliveredEver). */
    private readonly deliveredByVideo = new Map<string, Set<string>>();
    /** Set once the server listens: streaming URLs name the address clients reach it at. */
    baseUrl = "";

    /** A new session; a reload (F14) inherits what was delivered and the rn/player-time history. */
    create(videoId: string, expireSeconds: number, inherit?: Session): Session {
        const s: Session = {
            ei: randomBytes(9).toString("base64url"),
            videoId,
            contentBinding: videoId,
            config: Uint8Array.from(Buffer.concat([Buffer.from("ORIGINCFG"), randomBytes(23)])),
            expire: Math.floor(Date.now() / 1000) + expireSeconds,
            path: "/videoplayback",
            nonce: Uint8Array.from(randomBytes(8)),
            cookieCounter: 0,
            requests: 0,
            lastBackoffMs: 0,
            delivered: new Set(inherit?.delivered ?? []),
            deliveredEver: this.deliveredOf(videoId),
            storedCtx: new Map(),
            activeCtx: new Set(),
            mustNotSend: new Set(),
            redirectCount: 0,
            endedPairs: new Set(),
            protectedMediaMs: 0,
            clientInfo: CLIENT_INFO,
            lastPlayerTimeMs: inherit?.lastPlayerTimeMs,
            lastRn: inherit?.lastRn,
        };
        this.byEi.set(s.ei, s);
        return s;
    }

    private deliveredOf(videoId: string): Set<string> {
        let delivered = this.deliveredByVideo.get(videoId);
        if (!delivered) {
            delivered = new Set();
            this.deliveredByVideo.set(videoId, delivered);
        }
        return delivered;
    }

    get(ei: string): Session | undefined {
        return this.byEi.get(ei);
    }

    /** F14: the token a later `?reload=` manifest request continues this session with. */
    issueReloadToken(s: Session, token: string): void {
        this.byReloadToken.set(token, s);
        s.reloadToken = token;
        s.invalid = "reloaded";
    }

    byReload(token: string): Session | undefined {
        return this.byReloadToken.get(token);
    }

    streamingUrl(s: Session): string {
        return `${this.baseUrl}${s.path}?sabr=1&source=youtube&expire=${s.expire}&ei=${s.ei}&id=${s.videoId}&itag=0&c=${s.clientParam ?? "WEB"}&cver=${s.clientInfo.clientVersion}&n=${s.expectedN ?? "origin"}`;
    }
}

/** Bookkeeping when a request arrives (after its arrival checks read the previous values). */
export function noteArrival(s: Session, rn: number | undefined): void {
    if (rn !== undefined) s.lastRn = rn;
    s.lastRetryAfter = undefined;
}

/** Bookkeeping once a decoded request was checked: its player time, and the first PO token (F17). */
export function noteRequest(s: Session, playerTimeMs: number, poToken: Uint8Array | undefined): void {
    s.lastPlayerTimeMs = playerTimeMs;
    if (poToken && s.firstPoToken === undefined) s.firstPoToken = toHex(poToken);
}

/** Why this session's URL answers 403 now, or undefined while it is good. */
export function deadReason(s: Session, path: string, n?: string | null): string | undefined {
    if (s.invalid === "reloaded" || s.invalid === "expired" || s.expire * 1000 < Date.now()) return s.invalid ?? "expired";
    if (s.invalid === "redirected") return "pre-redirect-url";
    if (path !== s.path) return "wrong-path";
    // YouTube answers 403 with an empty body when the URL's `n` challenge was not solved (docs/sabr-protocol.md §2.3).
    if (s.expectedN !== undefined && n !== s.expectedN) return "n-not-solved";
    return undefined;
}

/**
 * Records the segments whose MEDIA_END reached the socket (`written` bytes of the body) and
 * returns them as "itag:seq"; a segment cut off mid-body is not delivered.
 */
export function recordDelivery(s: Session, parts: WirePart[], partEnds: number[], written: number): string[] {
    const delivered: string[] = [];
    parts.forEach((p, i) => {
        if (p.type !== UMPPartId.MEDIA_END || !p.label || partEnds[i]! > written) return;
        const m = /^end:(\d+):(\d+):id=(\d+)$/.exec(p.label);
        if (m) delivered.push(`${m[1]}:${m[2]}`);
    });
    for (const d of delivered) {
        s.delivered.add(d);
        s.deliveredEver.add(d);
    }
    return delivered;
}

/** Marks the audio+video pair ended once every segment of both tracks was delivered (notAfterEnd). */
export function noteEndOfPair(s: Session, pair: string, formats: FormatModel[]): void {
    const complete = (f: FormatModel): boolean => f.segments.every((sg) => s.delivered.has(`${f.itag}:${sg.sequence}`));
    if (formats.length && formats.every(complete)) s.endedPairs.add(pair);
}
