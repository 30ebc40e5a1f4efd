/**
 * What a SABR request gets (README "What a request gets"): decode and check it, refuse it with
 * SABR_ERROR when it is invalid, otherwise let the faults steer, plan the segments of each track
 * in the readahead window and compose the UMP parts. Fills `turn.parts`.
 */
import { UMPPartId } from "googlevideo/protos";
import { controlParts, fimPart, mediaParts, sabrError, type PlannedSegment } from "./answers.ts";
import { checkRequest } from "./checks.ts";
import { persistingEffects, runEffects } from "./fault-effects.ts";
import type { FormatModel } from "./media-model.ts";
import { addNote } from "./request-log.ts";
import { decodeRequest, requestSummary, type DecodedRequest } from "./sabr-request.ts";
import { noteRequest } from "./session.ts";
import type { TrackPlan, Turn } from "./turn.ts";
import type { WirePart } from "./wire.ts";

export function answerRequest(t: Turn, body: Buffer): void {
    const d = decode(t, body);
    if (!d) return;
    t.request = d;
    t.entry.request = requestSummary(d);
    const verdict = checkRequest(t.entry, t.session, t.title, d);
    t.verdict = verdict;
    t.video = verdict.video;
    t.audio = verdict.audio;
    noteRequest(t.session, verdict.playerTimeMs, d.poToken);
    const refusal = validate(t) ?? runEffects(t, "admit");
    if (refusal) {
        t.parts.push(refusal);
        return;
    }
    runEffects(t, "choose");
    persistingEffects(t);
    runEffects(t, "steer");
    if (runEffects(t, "replace")) return;
    runEffects(t, "shape");
    t.tracks = planTracks(t);
    runEffects(t, "plan");
    compose(t);
}

/** Protocol errors are HTTP 200 with a SABR_ERROR part, as googlevideo answers them. */
function decode(t: Turn, body: Buffer): DecodedRequest | undefined {
    if (body.length === 0) {
        t.entry.outcome = "error:empty-body";
        t.parts.push(sabrError("sabr.malformed_config", "yt"));
        return undefined;
    }
    try {
        return decodeRequest(body);
    } catch (e) {
        t.entry.outcome = "error:undecodable";
        addNote(t.entry, String(e));
        t.parts.push(sabrError("sabr.malformed_request", "yt"));
        return undefined;
    }
}

/** The SABR_ERROR an invalid request gets, or undefined when it is served. */
function validate(t: Turn): WirePart | undefined {
    const v = t.verdict!;
    const refuse = (outcome: string, type: string): WirePart => {
        t.entry.outcome = outcome;
        return sabrError(type, "yt");
    };
    if (!v.configOk) return refuse("error:malformed_config", "sabr.malformed_config");
    if (!v.audioOk) return refuse("error:no_audio_selected", "sabr.no_audio_selected");
    if (!v.video && t.options.missingVideo === "error") return refuse("error:no-video", "sabr.malformed_config");
    if (!v.clientInfoOk && t.options.clientInfoCheck === "error") return refuse("error:client-info", "sabr.malformed_config");
    return undefined;
}

/**
 * Per track (video, then audio; formats the client discarded are skipped): the init segment
 * for a format not yet in f2, then the media segments overlapping the readahead window that
 * the client does not hold.
 */
function planTracks(t: Turn): TrackPlan[] {
    const v = t.verdict!;
    const selected = new Set(t.request!.raw.selectedFormatIds.map((id) => id.itag ?? 0));
    const formats = [t.video, t.audio].filter((f): f is FormatModel => !!f && !v.claims.discarded.has(f.itag));
    const mayServe = !t.onlyControl && !t.withhold;
    let answerFull = false;
    return formats.map((format) => {
        const isNew = !selected.has(format.itag) || t.coldStart;
        const held = t.coldStart ? new Set<number>() : (v.claims.held.get(format.itag) ?? new Set<number>());
        const tp: TrackPlan = { format, segments: [], held, needsFim: isNew && !t.onlyControl, considered: false };
        if (isNew && mayServe) tp.segments.push({ format, seq: 0 });
        if (mayServe && !answerFull) {
            tp.considered = true;
            const window = windowSegments(t, tp);
            tp.segments.push(...window);
            if (t.window.onePerAnswer && window.length) answerFull = true;
        }
        return tp;
    });
}

function windowSegments(t: Turn, tp: TrackPlan): PlannedSegment[] {
    const w = t.window;
    const f = tp.format;
    const from = t.coldStart ? 0 : t.verdict!.playerTimeMs;
    const lastSeq = w.dropLastSegment ? f.segments.length - 1 : f.segments.length;
    const out: PlannedSegment[] = [];
    for (const seg of f.segments) {
        if (seg.sequence > lastSeq) break;
        if (seg.startMs + seg.durationMs <= from || seg.startMs >= from + w.readaheadMs) continue;
        if (tp.held.has(seg.sequence)) continue;
        if (out.length >= w.maxSegmentsPerTrack) break;
        out.push({ format: f, seq: seg.sequence });
        if (w.onePerAnswer) break;
    }
    return out;
}

/** Stream protection status first, the standard control parts, the faults' control parts, FIMs, media. */
function compose(t: Turn): void {
    const planned = t.tracks.flatMap((tp) => tp.segments);
    const mediaCount = planned.filter((p) => p.seq > 0).length;
    if (!t.onlyControl && !t.withhold && planned.length === 0 && t.verdict!.playerTimeMs < t.title.durationMs) {
        addNote(t.entry, "nothing to send in window");
    }
    const isSps = (p: WirePart): boolean => p.type === UMPPartId.STREAM_PROTECTION_STATUS;
    t.parts.push(...t.control.filter(isSps));
    t.parts.push(...controlParts(t.session, t.title.videoId, t.video, t.audio, t.backoffMs, t.options.readaheadMs));
    t.parts.push(...t.control.filter((p) => !isSps(p)));
    t.parts.push(...t.tracks.filter((tp) => tp.needsFim).map((tp) => fimPart(tp.format)));
    t.parts.push(
        ...mediaParts(
            t.tracks.map((tp) => tp.segments),
            t.layout,
        ),
    );
    runEffects(t, "compose");
    t.entry.outcome = t.onlyControl ? "control-only" : t.withhold ? "withheld" : t.coldStart ? "cold-start (F26)" : `media:${mediaCount}`;
}
