/**
 * The UMP parts of a SABR answer: errors, the control parts every answer opens with
 * (policies and the cookie), FORMAT_INITIALIZATION_METADATA and the media parts.
 */
import { randomBytes } from "node:crypto";
import {
    FormatInitializationMetadata,
    MediaHeader,
    NextRequestPolicy,
    PlaybackStartPolicy,
    RequestCancellationPolicy,
    RequestIdentifier,
    SabrError,
    UMPPartId,
} from "googlevideo/protos";
import { segmentBytes, type FormatModel } from "./media-model.ts";
import type { Session } from "./session.ts";
import { PbWriter, type WirePart } from "./wire.ts";

/** A media segment planned into an answer. */
export interface PlannedSegment {
    format: FormatModel;
    /** 0 = the init segment. */
    seq: number;
    /** F6 and F9 bend the MEDIA_HEADER. */
    headerOverrides?: { contentLengthDelta?: number; omit?: Set<string> };
}

/** How media parts are laid out (F2, F8 and F27 change it). */
export interface MediaLayout {
    idBase: number;
    partBytes: number;
    /** Open every segment at once instead of one per track at a time. */
    all?: boolean;
    /** MEDIA_END of every segment at the end, last opened first. */
    reverseEnds?: boolean;
}

export function sabrError(type: string, layout: "gv" | "yt"): WirePart {
    if (layout === "gv")
        return { type: UMPPartId.SABR_ERROR, payload: SabrError.encode({ type, code: 2 }).finish(), label: `error:${type}` };
    // Observed YT layout: {1 type, 2 action 2, 3 {4 error type 4}} (31 bytes framed for malformed_config).
    return {
        type: UMPPartId.SABR_ERROR,
        payload: new PbWriter().string(1, type).uint(2, 2).message(3, new PbWriter().uint(4, 4)).finish(),
        label: `error:${type}`,
    };
}

function formatIdOf(f: FormatModel): { itag: number; lastModified: string; xtags: string } {
    return { itag: f.itag, lastModified: f.lastModified, xtags: f.xtags };
}

function formatIdWriter(f: FormatModel): PbWriter {
    const w = new PbWriter().uint(1, f.itag).uint(2, f.lastModified);
    if (f.xtags) w.string(3, f.xtags);
    return w;
}

/**
 * PLAYBACK_START_POLICY, REQUEST_IDENTIFIER, REQUEST_CANCELLATION_POLICY and NEXT_REQUEST_POLICY
 * with a fresh cookie; remembers the cookie and backoff the next request is checked against.
 */
export function controlParts(
    s: Session,
    videoId: string,
    video: FormatModel | undefined,
    audio: FormatModel | undefined,
    backoffMs: number,
    readaheadMs: number,
): WirePart[] {
    const parts: WirePart[] = [];
    parts.push({
        type: UMPPartId.PLAYBACK_START_POLICY,
        payload: PlaybackStartPolicy.encode({
            startMinReadaheadPolicy: { minReadaheadMs: 1200 },
            resumeMinReadaheadPolicy: { minReadaheadMs: 6000 },
        }).finish(),
    });
    parts.push({
        type: UMPPartId.REQUEST_IDENTIFIER,
        payload: RequestIdentifier.encode({ token: randomBytes(6).toString("base64url") }).finish(),
    });
    parts.push({
        type: UMPPartId.REQUEST_CANCELLATION_POLICY,
        payload: RequestCancellationPolicy.encode({ N0: 1000, items: [{ fR: 5000, NK: 1279651, minReadaheadMs: 0 }], jq: 0 }).finish(),
    });
    const cookieBytes = nextCookie(s, video, audio);
    const policy = NextRequestPolicy.encode({
        targetAudioReadaheadMs: readaheadMs,
        targetVideoReadaheadMs: readaheadMs,
        maxTimeSinceLastRequestMs: 60000,
        backoffTimeMs: backoffMs || undefined,
        videoId,
    }).finish();
    const policyBytes = Buffer.concat([policy, new PbWriter().bytes(7, cookieBytes).finish()]);
    parts.push({ type: UMPPartId.NEXT_REQUEST_POLICY, payload: policyBytes, label: `policy:backoff=${backoffMs}` });
    s.lastBackoffMs = backoffMs;
    return parts;
}

/**
 * GV's PlaybackCookie fields plus an unknown field 9 (session nonce + counter), hand-encoded:
 * a client that re-encodes the cookie loses field 9 and fails cookieEchoed.
 */
function nextCookie(s: Session, video: FormatModel | undefined, audio: FormatModel | undefined): Uint8Array {
    s.cookieCounter++;
    const cookie = new PbWriter().uint(1, 999999).uint(2, 0);
    if (video) cookie.message(7, formatIdWriter(video));
    if (audio) cookie.message(8, formatIdWriter(audio));
    cookie.message(9, new PbWriter().bytes(1, s.nonce).uint(2, s.cookieCounter));
    s.lastCookie = cookie.finish();
    return s.lastCookie;
}

export function fimPart(f: FormatModel): WirePart {
    const r = (a: { start: number; end: number }): { legacyStart: number; legacyEnd: number; start: number; end: number } => ({
        legacyStart: a.start,
        legacyEnd: a.end,
        start: a.start,
        end: a.end,
    });
    const payload = FormatInitializationMetadata.encode({
        videoId: f.videoId,
        formatId: formatIdOf(f),
        endTimeMs: String(f.durationMs),
        endSegmentNumber: String(f.segments.length),
        mimeType: f.mimeType,
        initRange: r(f.initRange),
        indexRange: r(f.indexRange),
        durationUnits: String(f.durationTicks),
        durationTimescale: String(f.timescale),
    }).finish();
    return { type: UMPPartId.FORMAT_INITIALIZATION_METADATA, payload, label: `fim:${f.itag}` };
}

function mediaHeader(seg: PlannedSegment, headerId: number): Uint8Array {
    const { format: f, seq, headerOverrides: ov } = seg;
    const bytes = segmentBytes(f, seq);
    const omit = ov?.omit ?? new Set<string>();
    const base = {
        headerId,
        videoId: f.videoId,
        itag: f.itag,
        lmt: f.lastModified,
        xtags: f.xtags || undefined,
        formatId: formatIdOf(f),
        contentLength: String(bytes.length + (ov?.contentLengthDelta ?? 0)),
    };
    if (seq === 0) {
        return MediaHeader.encode({ ...base, isInitSeg: true, startRange: String(f.initRange.start) }).finish();
    }
    const s = f.segments[seq - 1]!;
    return MediaHeader.encode({
        ...base,
        startRange: String(s.range.start),
        sequenceNumber: seq,
        bitrateBps: String(f.bitrate),
        startMs: omit.has("start") ? undefined : String(s.startMs),
        durationMs: omit.has("duration") ? undefined : String(s.durationMs),
        contentLength: omit.has("length") ? undefined : base.contentLength,
        timeRange: { startTicks: String(s.startTicks), durationTicks: String(s.durationTicks), timescale: s.timescale },
    }).finish();
}

/** MEDIA and MEDIA_END start with the header id as a UMP varint (two bytes from 128 on: F2). */
const idPrefix = (id: number): Uint8Array => (id < 128 ? Uint8Array.of(id) : Uint8Array.of(0x80 | (id & 0x3f), id >>> 6));

const endPart = (seg: PlannedSegment, id: number): WirePart => ({
    type: UMPPartId.MEDIA_END,
    payload: idPrefix(id),
    label: `end:${seg.format.itag}:${seg.seq}:id=${id}`,
});

interface OpenSegment {
    seg: PlannedSegment;
    id: number;
    bytes: Buffer;
    off: number;
}

/**
 * Media parts: open the head segment of each track concurrently, interleave MEDIA parts,
 * MEDIA_END when a segment is complete, then open that track's next segment in its place.
 * The part labels (`header:`, `media:`, `end:<itag>:<seq>:id=<id>`) are what the delivery
 * ledger and F5/F16 read.
 */
export function mediaParts(tracks: PlannedSegment[][], layout: MediaLayout): WirePart[] {
    const parts: WirePart[] = [];
    let nextId = layout.idBase;
    const queues = tracks.map((t) => [...t]);
    const open: OpenSegment[] = [];
    const openNext = (q: PlannedSegment[]): OpenSegment | undefined => {
        const seg = q.shift();
        if (!seg) return undefined;
        const id = nextId++;
        parts.push({ type: UMPPartId.MEDIA_HEADER, payload: mediaHeader(seg, id), label: `header:${seg.format.itag}:${seg.seq}:id=${id}` });
        return { seg, id, bytes: segmentBytes(seg.format, seg.seq), off: 0 };
    };
    for (const q of queues) {
        do {
            const o = openNext(q);
            if (o) open.push(o);
        } while (layout.all && q.length);
    }
    const finished: OpenSegment[] = [];
    while (open.length) {
        for (let i = 0; i < open.length;) {
            const o = open[i]!;
            const n = Math.min(layout.partBytes, o.bytes.length - o.off);
            parts.push({
                type: UMPPartId.MEDIA,
                payload: Buffer.concat([idPrefix(o.id), o.bytes.subarray(o.off, o.off + n)]),
                label: `media:${o.seg.format.itag}:${o.seg.seq}:id=${o.id}`,
            });
            o.off += n;
            if (o.off < o.bytes.length) {
                i++;
                continue;
            }
            open.splice(i, 1);
            if (layout.reverseEnds) finished.push(o);
            else parts.push(endPart(o.seg, o.id));
            if (layout.all) continue;
            // The track's next segment takes this one's place in the round.
            const q = queues[tracks.findIndex((t) => t.includes(o.seg))];
            const next = q && openNext(q);
            if (next) open.splice(i++, 0, next);
        }
    }
    for (const o of finished.sort((a, b) => b.id - a.id)) parts.push(endPart(o.seg, o.id));
    return parts;
}
