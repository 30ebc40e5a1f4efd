/**
 * The assertions recorded for every SABR request (docs/sabr-protocol.md §9.4; README
 * "Assertions recorded per request").
 * A check only reads the session and the request; the session is updated afterwards
 * (session.ts), so every check sees what the origin had said before this request.
 */
import type { IncomingMessage } from "node:http";
import type { FormatModel, Title } from "./media-model.ts";
import type { LogEntry } from "./request-log.ts";
import type { Session } from "./session.ts";
import { bytesEqual, toHex } from "./wire.ts";
import {
    claimsOf,
    declaresSeek,
    findFormat,
    isFollowUp,
    pairKey,
    playerTimeOf,
    sinceSeekOf,
    type Claims,
    type DecodedRequest,
} from "./sabr-request.ts";

/** Slack for timer and clock granularity when checking the client's waits. */
const WAIT_SLACK_MS = 20;

type Check = (name: string, ok: boolean | null, detail?: string) => void;

const recorder =
    (entry: LogEntry): Check =>
    (name, ok, detail) => {
        entry.assertions.push({ name, ok, detail });
    };

/** Checks on the HTTP request itself, made before the session is known. */
export function checkHttp(entry: LogEntry, url: URL, req: IncomingMessage): void {
    const check = recorder(entry);
    check("sabrParam", url.searchParams.get("sabr") === "1");
    check("contentType", req.headers["content-type"] === "application/x-protobuf", String(req.headers["content-type"]));
}

/** Checks on when and where the request came, against the session's history. */
export function checkArrival(entry: LogEntry, s: Session, url: URL, rn: number | undefined): void {
    const check = recorder(entry);
    // rn strictly increasing per session, retries included.
    if (rn === undefined) check("rnIncreasing", false, "rn missing");
    else check("rnIncreasing", s.lastRn === undefined || rn > s.lastRn, `rn=${rn} last=${s.lastRn}`);
    check("notPreRedirectUrl", s.invalid !== "redirected" && url.pathname === s.path, `path=${url.pathname} expected=${s.path}`);
    if (s.lastResponseEnd !== undefined && s.lastBackoffMs > 0) {
        const gap = Date.now() - s.lastResponseEnd;
        check("backoffHonoured", gap + WAIT_SLACK_MS >= s.lastBackoffMs, `gap=${gap}ms backoff=${s.lastBackoffMs}ms`);
    } else check("backoffHonoured", null);
    // The Retry-After of a 429 is read from the error response's headers.
    if (s.lastRetryAfter) {
        const gap = Date.now() - s.lastRetryAfter.at;
        check(
            "retryAfterHonoured",
            gap + WAIT_SLACK_MS >= s.lastRetryAfter.seconds * 1000,
            `gap=${gap}ms retryAfter=${s.lastRetryAfter.seconds}s`,
        );
    } else check("retryAfterHonoured", null);
}

/** What the request checks found that the answer depends on. */
export interface Verdict {
    configOk: boolean;
    audio?: FormatModel;
    audioOk: boolean;
    video?: FormatModel;
    clientInfoOk: boolean;
    followUp: boolean;
    /** null before the origin has sent a cookie. */
    cookieOk: boolean | null;
    claims: Claims;
    playerTimeMs: number;
}

/** Checks on the decoded request body, in the order the log lists them. */
export function checkRequest(entry: LogEntry, s: Session, title: Title, d: DecodedRequest): Verdict {
    const check = recorder(entry);
    const formats = checkFormats(check, s, title, d);
    checkLastModified(check, title, d);
    const clientInfoOk = checkClientInfo(check, s, d);
    const followUp = isFollowUp(d);
    const cookieOk = checkCookie(check, s, d, followUp);
    checkContexts(check, s, d);
    const claims = claimsOf(d);
    checkClaims(check, s, d, claims);
    checkTimeline(check, s, d);
    return { ...formats, clientInfoOk, followUp, cookieOk, claims, playerTimeMs: playerTimeOf(d) };
}

function checkFormats(
    check: Check,
    s: Session,
    title: Title,
    d: DecodedRequest,
): Pick<Verdict, "configOk" | "audio" | "audioOk" | "video"> {
    const r = d.raw;
    const configOk = !!r.videoPlaybackUstreamerConfig?.length && bytesEqual(r.videoPlaybackUstreamerConfig, s.config);
    check("configMatches", configOk);
    const audioId = r.preferredAudioFormatIds[0];
    const audio = findFormat(title, audioId);
    const audioOk = !!audio && audio.kind === "audio";
    check("audioFormatValid", audioOk, audioId ? `itag=${audioId.itag} xtags=${JSON.stringify(audioId.xtags ?? "")}` : "f16 empty");
    const videoId = r.preferredVideoFormatIds[0];
    const video = findFormat(title, videoId);
    check("videoFormatPresent", !!video && video.kind === "video", videoId ? `itag=${videoId.itag}` : "f17 empty");
    return { configOk, audio, audioOk, video };
}

/**
 * Every format id names its format's lastModified exactly (16 digits: a client that goes
 * through a 32-bit Float sends 1759050000000000 or 0 instead).
 */
function checkLastModified(check: Check, title: Title, d: DecodedRequest): void {
    const r = d.raw;
    const ids = [
        r.preferredAudioFormatIds[0],
        r.preferredVideoFormatIds[0],
        ...r.selectedFormatIds,
        ...r.bufferedRanges.map((br) => br.formatId),
    ];
    const problems = ids.flatMap((id) => {
        const format = findFormat(title, id);
        const sent = String(id?.lastModified ?? "");
        return format && sent !== format.lastModified ? [`itag ${format.itag} lastModified=${sent} want ${format.lastModified}`] : [];
    });
    check("lastModifiedExact", problems.length === 0, problems.slice(0, 3).join("; ") || undefined);
}

function checkClientInfo(check: Check, s: Session, d: DecodedRequest): boolean {
    const ci = d.raw.streamerContext?.clientInfo;
    const ok = !!ci && ci.clientName === s.clientInfo.clientName && ci.clientVersion === s.clientInfo.clientVersion;
    check("clientInfoMatches", ok, ci ? `${ci.clientName}/${ci.clientVersion}` : "missing");
    return ok;
}

/** The last cookie byte for byte; a first request that sends none is not judged. */
function checkCookie(check: Check, s: Session, d: DecodedRequest, followUp: boolean): boolean | null {
    const cookieOk = s.lastCookie === undefined ? null : bytesEqual(d.cookie, s.lastCookie);
    const judged = followUp ? cookieOk : cookieOk === false && d.cookie === undefined ? null : cookieOk;
    check("cookieEchoed", judged, s.lastCookie ? `got ${d.cookie ? toHex(d.cookie) : "none"} want ${toHex(s.lastCookie)}` : undefined);
    return cookieOk;
}

/** Active contexts sent verbatim; none the origin said to stop or discard. */
function checkContexts(check: Check, s: Session, d: DecodedRequest): void {
    const sent = new Map(d.contexts.map((c) => [c.type, c.value]));
    const problems: string[] = [];
    for (const t of s.activeCtx) {
        const want = s.storedCtx.get(t);
        if (want && !bytesEqual(sent.get(t), want)) problems.push(`type ${t} not echoed verbatim`);
    }
    for (const t of s.mustNotSend) if (sent.has(t)) problems.push(`type ${t} sent after stop/discard`);
    check("contextsEchoed", s.activeCtx.size || s.mustNotSend.size ? problems.length === 0 : null, problems.join("; ") || undefined);
}

/**
 * f2 only lists formats whose init segment was delivered; f3 only claims delivered segments. An
 * earlier session of the same video counts: a client's cache outlives its session.
 */
function checkClaims(check: Check, s: Session, d: DecodedRequest, claims: Claims): void {
    const r = d.raw;
    const wasDelivered = (key: string): boolean => s.delivered.has(key) || s.deliveredEver.has(key);
    const early = r.selectedFormatIds
        .filter((id) => !claims.discarded.has(id.itag ?? 0) && !wasDelivered(`${id.itag}:0`))
        .map((id) => String(id.itag));
    check(
        "selectedAfterInit",
        r.selectedFormatIds.length ? early.length === 0 : null,
        early.length ? `itags ${early.join(",")} listed before their init segment was delivered` : undefined,
    );
    const undelivered = claims.claimed.filter((k) => !wasDelivered(k));
    check(
        "bufferedRangesHonest",
        r.bufferedRanges.length ? undelivered.length === 0 : null,
        undelivered.length ? `claimed undelivered ${undelivered.slice(0, 10).join(",")}` : undefined,
    );
}

/** The player time only goes back, and an ended pair is only asked for again, after a declared seek. */
function checkTimeline(check: Check, s: Session, d: DecodedRequest): void {
    const playerTimeMs = playerTimeOf(d);
    const sinceSeek = sinceSeekOf(d);
    const seek = declaresSeek(d);
    check(
        "playerTimeMonotonic",
        s.lastPlayerTimeMs === undefined ? null : playerTimeMs >= s.lastPlayerTimeMs || seek,
        `now=${playerTimeMs} last=${s.lastPlayerTimeMs}${sinceSeek === undefined ? "" : ` timeSinceLastSeek=${sinceSeek}`}`,
    );
    const pair = pairKey(d);
    check("notAfterEnd", !s.endedPairs.has(pair) || seek, `formats ${pair}`);
}
