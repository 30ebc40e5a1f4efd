/**
 * What each fault profile does to an answer (the catalogue and its texts: faults.ts). Every
 * fault is an entry of hooks, one per step of the answer it acts in (turn.ts lists the steps);
 * a hook is a small function of the request being answered (`Turn`) and the fault's params.
 *
 * The table is in the order a request meets the faults, and within a step hooks run in table
 * order: that order is behaviour (F11's backoff wins over F10's and F18's, F27's part size over
 * F8's, F3 inserts its parts before F24 and F5 cuts after both).
 */
import { ReloadPlaybackContext, SabrRedirect, SnackbarMessage, StreamProtectionStatus, UMPPartId } from "googlevideo/protos";
import { controlParts, sabrError } from "./answers.ts";
import { checkAdGate, contextSendingPolicy, contextWritePolicy, openAdGate } from "./context-faults.ts";
import type { ActiveFault, FaultName } from "./faults.ts";
import { HttpAnswer } from "./http-helpers.ts";
import { linkParams } from "./link.ts";
import { segmentBytes } from "./media-model.ts";
import { DEFAULT_POTOKEN_GRACE_MS, poTokenVerdict } from "./po-token-verdict.ts";
import { addNote } from "./request-log.ts";
import { faultOf, type Turn } from "./turn.ts";
import { toHex, type WirePart } from "./wire.ts";
import { chunkSplit, endWithoutMediaEnd, resetMidMedia, unknownParts } from "./wire-faults.ts";

type Hook<R = void> = (t: Turn, f: ActiveFault) => R;

export interface FaultEffect {
    /** Before the body is decoded: answer with an HTTP status (throw HttpAnswer), 'reset' the socket, or pace the body. */
    arrive?: Hook<"reset" | void>;
    /** After the built-in validation: refuse with an error part, or start over (F26). */
    admit?: Hook<WirePart | void>;
    /** Choose the formats served. */
    choose?: Hook;
    /** Add control parts, set the backoff, hold media back. */
    steer?: Hook;
    /** Answer with something other than media; true when it did. */
    replace?: Hook<boolean>;
    /** Bend the segment window and the media layout before planning. */
    shape?: Hook;
    /** Change the planned segments. */
    plan?: Hook;
    /** Add to the composed answer, after its media parts. */
    compose?: Hook;
    /** Edit the finished part list (every answer, error answers included). */
    edit?: Hook;
    /** Decide how the serialized body goes on the wire. */
    transmit?: Hook;
}

type Step = keyof FaultEffect;
type StepResult<S extends Step> = Exclude<ReturnType<NonNullable<FaultEffect[S]>>, void | false>;

/** Runs one step's hooks of the active faults; stops at the first hook that answers (a truthy result). */
export function runEffects<S extends Step>(t: Turn, step: S): StepResult<S> | undefined {
    for (const name of Object.keys(EFFECTS) as FaultName[]) {
        const hook = EFFECTS[name][step] as Hook<unknown> | undefined;
        const fault = hook && faultOf(t, name);
        const result = fault ? hook(t, fault) : undefined;
        if (result) return result as StepResult<S>;
    }
    return undefined;
}

/** Effects of earlier faults that outlive them: F21's switched video, F18's ad gate. */
export function persistingEffects(t: Turn): void {
    applyFormatSwitch(t);
    checkAdGate(t);
}

const EFFECTS: Record<FaultName, FaultEffect> = {
    // ---------------------------------------------------------------- arrive
    F15: {
        arrive: (t) => {
            t.session.invalid = "expired";
            throw new HttpAnswer(403, "", { "X-Origin-Reason": "expired (F15)" });
        },
    },
    F16: { arrive: httpFailure },
    F28: {
        arrive: (t, f) => {
            t.transport.link = { params: linkParams(f.params, t.seed), answer: t.entry.nth ?? 1 };
        },
    },
    // ---------------------------------------------------------------- admit, choose, steer
    F26: {
        admit: (t, f) => {
            const v = t.verdict!;
            t.coldStart = v.followUp && v.cookieOk !== true;
            if (!t.coldStart || f.params.mode !== "error") return undefined;
            t.entry.outcome = "error:cookie (F26)";
            return sabrError("sabr.malformed_config", "yt");
        },
    },
    F21: {
        choose: (t, f) => {
            if (!t.video) return;
            const videos = t.title.formats.filter((x) => x.kind === "video");
            const want =
                f.params.itag === "next" || !f.params.itag
                    ? videos[(videos.indexOf(t.video) + 1) % videos.length]
                    : videos.find((x) => x.itag === Number(f.params.itag));
            if (want) t.session.switchedVideoItag = want.itag;
        },
    },
    F17: { steer: streamProtection, compose: countProtectedMedia },
    F18: { steer: openAdGate },
    F19: { steer: contextWritePolicy },
    F20: { steer: contextSendingPolicy },
    F10: {
        steer: (t, f) => {
            t.onlyControl = true;
            t.backoffMs = Number(f.params.backoff) || 0;
        },
    },
    F11: {
        steer: (t, f) => {
            t.backoffMs = Number(f.params.ms) || 10000;
        },
    },
    F12: { steer: redirect },
    // ---------------------------------------------------------------- replace
    F13: {
        replace: (t, f) => {
            t.entry.outcome = `error:${f.params.type} (F13)`;
            t.parts.push(sabrError(f.params.type ?? "sabr.malformed_config", f.params.layout === "gv" ? "gv" : "yt"));
            return true;
        },
    },
    F14: { replace: reloadPlayerResponse },
    // ---------------------------------------------------------------- shape, plan, compose
    F8: {
        shape: (t, f) => {
            t.layout.partBytes = Number(f.params.chunk) || 8192;
            t.layout.all = true;
            t.layout.reverseEnds = true;
        },
    },
    F2: {
        shape: (t, f) => {
            t.layout.idBase = Number(f.params.base) || 128;
        },
    },
    F23: {
        shape: (t, f) => {
            t.window.dropLastSegment = f.params.mode === "short";
        },
        compose: (t, f) => {
            if (f.params.mode !== "eot") return;
            const planned = t.tracks.flatMap((tp) => tp.segments);
            for (const { format } of t.tracks) {
                const sendsLast = planned.some((p) => p.format === format && p.seq === format.segments.length);
                if (sendsLast)
                    t.parts.push({ type: UMPPartId.END_OF_TRACK, payload: new Uint8Array(), label: `end-of-track:${format.itag}` });
            }
        },
    },
    F7: { plan: duplicates },
    F22: {
        plan: (t) => {
            for (const tp of t.tracks) tp.needsFim = true;
        },
    },
    F27: { shape: responseSize, plan: padToMinBytes },
    F6: {
        plan: (t, f) => {
            const first = t.tracks.flatMap((tp) => tp.segments).find((p) => p.seq > 0);
            if (first) first.headerOverrides = { ...first.headerOverrides, contentLengthDelta: Number(f.params.delta) || 1 };
        },
    },
    F9: {
        plan: (t, f) => {
            const omit = new Set((f.params.omit ?? "duration,length,start").split(/[,+]/));
            for (const tp of t.tracks) for (const p of tp.segments) if (p.seq > 0) p.headerOverrides = { ...p.headerOverrides, omit };
        },
    },
    // ---------------------------------------------------------------- edit
    F3: { edit: unknownParts },
    F24: {
        edit: (t) => {
            t.parts.splice(
                Math.min(t.parts.length, 4),
                0,
                { type: UMPPartId.SNACKBAR_MESSAGE, payload: SnackbarMessage.encode({ id: 7 }).finish(), label: "snackbar" },
                { type: UMPPartId.PREWARM_CONNECTION, payload: new Uint8Array(), label: "prewarm" },
                { type: UMPPartId.ALLOWED_CACHED_FORMATS, payload: Uint8Array.of(8, 1), label: "allowed-cached-formats" },
                { type: UMPPartId.SELECTABLE_FORMATS, payload: Uint8Array.of(8, 1), label: "selectable-formats" },
            );
        },
    },
    F5: { edit: endWithoutMediaEnd },
    // ---------------------------------------------------------------- transmit
    F4: { transmit: resetMidMedia },
    F1: { transmit: chunkSplit },
};

// ------------------------------------------------------------------ arrive

function httpFailure(t: Turn, f: ActiveFault): "reset" | void {
    const mode = f.params.mode;
    if (mode === "rst") {
        t.entry.status = 0;
        t.entry.outcome = "socket-reset (F16)";
        return "reset";
    }
    if (mode === "status") {
        const status = Number(f.params.status) || 503;
        const retryAfter = f.params.retryAfter ?? "1";
        // Remembered so the next request can be checked against it (retryAfterHonoured).
        if (status === 429) t.session.lastRetryAfter = { at: Date.now(), seconds: Number(retryAfter) };
        throw new HttpAnswer(status, "", status === 429 ? { "Retry-After": retryAfter } : {});
    }
    if (mode === "slow") t.transport.firstByteDelayMs = Number(f.params.ms) || 3000;
    if (mode === "trickle") {
        if (f.params.overMs) t.transport.trickleOverMs = Number(f.params.overMs);
        else t.transport.trickleBps = Number(f.params.bps) || 65536;
    }
    if (mode === "hold" && f.params.bytes) t.transport.holdAtByte = Number(f.params.bytes);
    else if (mode === "hold") t.transport.holdAfter = f.params.itag ? `${f.params.itag}:${f.params.seq ?? "0"}` : "";
}

// ------------------------------------------------------------------ choose and steer

function applyFormatSwitch(t: Turn): void {
    const s = t.session;
    if (s.switchedVideoItag === undefined || !t.video) return;
    const switched = t.title.formats.find((f) => f.itag === s.switchedVideoItag);
    if (!switched || switched === t.video) return;
    addNote(t.entry, `server switched video ${t.video.itag} -> ${switched.itag}`);
    t.video = switched;
}

function streamProtection(t: Turn, f: ActiveFault): void {
    const s = t.session;
    const script = f.params.script ?? "none";
    let status = Number(f.params.status) || 2;
    if (script === "grace") {
        status = 2;
        if (s.protectedMediaMs >= (Number(f.params.graceMs) || 20000)) t.withhold = true;
    } else if (script === "potoken") {
        const grace = f.params.graceMs ? Number(f.params.graceMs) : DEFAULT_POTOKEN_GRACE_MS; // "0": no grace at all
        const check = t.poTokens.check(t.request!.poToken, s.contentBinding);
        const v = poTokenVerdict(check, s.protectedMediaMs, s.poTokenLapsedAtMs, grace);
        s.poTokenLapsedAtMs = v.lapsedAtMs;
        status = v.status;
        t.withhold = v.withhold;
        addNote(t.entry, `po token ${check}`);
    } else if (script === "token") {
        const token = t.request!.poToken ? toHex(t.request!.poToken) : "";
        if (token === s.firstPoToken || !token) {
            status = 3;
            t.withhold = true;
        } else status = 1;
    } else if (status === 3) t.withhold = true;
    const maxRetries = f.params.maxRetries ? Number(f.params.maxRetries) : undefined;
    t.control.unshift({
        type: UMPPartId.STREAM_PROTECTION_STATUS,
        payload: StreamProtectionStatus.encode({ status, maxRetries }).finish(),
        label: `sps:${status}`,
    });
}

/** The grace script counts the video time served while protected. */
function countProtectedMedia(t: Turn): void {
    if (t.withhold) return;
    for (const tp of t.tracks) {
        for (const p of tp.segments)
            if (p.seq > 0 && p.format.kind === "video") t.session.protectedMediaMs += p.format.segments[p.seq - 1]!.durationMs;
    }
}

/** Moves the session to a new path; the old one answers 403 from now on (deadReason). */
function redirect(t: Turn, f: ActiveFault): void {
    const s = t.session;
    const mode = f.params.mode ?? "data";
    s.redirectCount++;
    const oldPath = s.path;
    s.path =
        mode === "loop"
            ? s.path === "/r1/videoplayback"
                ? "/r2/videoplayback"
                : "/r1/videoplayback"
            : `/r${s.redirectCount}/videoplayback`;
    if (oldPath === s.path) s.path = `/r${s.redirectCount}x/videoplayback`;
    t.control.push({
        type: UMPPartId.SABR_REDIRECT,
        payload: SabrRedirect.encode({ url: t.sessions.streamingUrl(s) }).finish(),
        label: `redirect:${s.path}`,
    });
    if (mode === "only" || mode === "loop") t.onlyControl = true;
}

// ------------------------------------------------------------------ replace

function reloadPlayerResponse(t: Turn, f: ActiveFault): boolean {
    const s = t.session;
    const token = f.params.token && f.params.token !== "reload-<n>" ? f.params.token : `reload-${s.ei}`;
    t.sessions.issueReloadToken(s, token);
    t.entry.outcome = "reload (F14)";
    t.parts.push(...controlParts(s, t.title.videoId, t.video, t.audio, 0, t.options.readaheadMs));
    t.parts.push({
        type: UMPPartId.RELOAD_PLAYER_RESPONSE,
        payload: ReloadPlaybackContext.encode({ reloadPlaybackParams: { token } }).finish(),
        label: `reload:${token}`,
    });
    return true;
}

// ------------------------------------------------------------------ shape and plan

function responseSize(t: Turn, f: ActiveFault): void {
    if (f.params.size === "large") {
        t.window.readaheadMs = Number.MAX_SAFE_INTEGER;
        t.window.maxSegmentsPerTrack = 100000;
    }
    if (f.params.size === "small") {
        t.window.maxSegmentsPerTrack = 1;
        t.window.onePerAnswer = true;
        t.layout.partBytes = 1024;
    }
}

/** F27 size=large: repeat the tracks' segments until the answer holds `minBytes`. */
function padToMinBytes(t: Turn, f: ActiveFault): void {
    if (f.params.size !== "large") return;
    const minBytes = Number(f.params.minBytes) || 10 * 1024 * 1024;
    let total = t.tracks.flatMap((tp) => tp.segments).reduce((a, p) => a + segmentBytes(p.format, p.seq).length, 0);
    const all = t.tracks.flatMap((tp, i) => tp.format.segments.map((sg) => ({ track: i, seg: { format: tp.format, seq: sg.sequence } })));
    for (let k = 0; total < minBytes && all.length; k++) {
        const d = all[k % all.length]!;
        t.tracks[d.track]!.segments.push(d.seg);
        total += segmentBytes(d.seg.format, d.seg.seq).length;
    }
}

/** F7: every held segment again (the first one if none), and segment N-1 after N on video. */
function duplicates(t: Turn): void {
    for (const tp of t.tracks) {
        if (!tp.considered) continue;
        const f = tp.format;
        const media = tp.segments.filter((p) => p.seq > 0);
        const lastMedia = media[media.length - 1];
        const dups = [...tp.held].filter((q) => q >= 1 && q <= f.segments.length).map((q) => ({ format: f, seq: q }));
        if (!dups.length && tp.segments.length === 0 && f.segments.length) dups.push({ format: f, seq: 1 });
        tp.segments.push(...dups);
        if (f.kind === "video" && lastMedia && lastMedia.seq > 1) tp.segments.push({ format: f, seq: lastMedia.seq - 1 });
    }
}
