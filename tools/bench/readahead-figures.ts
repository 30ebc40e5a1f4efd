// The figures of tests/bench/readahead.bench.ts, as pure functions of what a run leaves behind:
// the player's events and requests (tools/player/run-player.ts), the origin's request log
// (tools/origin/request-log.ts) and the title's formats (tools/origin/media-model.ts).
// Definitions are in the bench's header comment and in docs/testing.md.
import type { LogEntry } from "../origin/request-log.ts";
import type { PlayerRequest, TimelineEntry } from "../player/run-player.ts";

/** Nearest-rank percentile (p in 0..100); null for no values. */
export function percentile(values: number[], p: number): number | null {
    if (values.length === 0) return null;
    const sorted = [...values].sort((a, b) => a - b);
    const rank = Math.ceil((p / 100) * sorted.length);
    return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** The lower median (an observed value, not an average of two); null for no values. */
export function median(values: number[]): number | null {
    if (values.length === 0) return null;
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

export interface Stall {
    atMs: number;
    ms: number;
}

/**
 * Rebuffering of running playback, counted as the player page counts `stalls`: a 'waiting' after
 * the first 'playing' that is not a seek filling its buffer (detail "seeking"). It lasts until the
 * next 'playing', 'seeking' or 'ended', or until `endMs` (the end of the run).
 */
export function stallsOf(events: Array<Pick<TimelineEntry, "atMs" | "type" | "detail">>, endMs: number): Stall[] {
    const stalls: Stall[] = [];
    let playingSeen = false;
    let open: number | null = null;
    const close = (atMs: number): void => {
        if (open === null) return;
        stalls.push({ atMs: open, ms: Math.max(0, atMs - open) });
        open = null;
    };
    for (const event of events) {
        if (event.type === "playing") {
            playingSeen = true;
            close(event.atMs);
        } else if (event.type === "seeking" || event.type === "ended") close(event.atMs);
        else if (event.type === "waiting" && playingSeen && event.detail !== "seeking" && open === null) open = event.atMs;
    }
    close(endMs);
    return stalls;
}

/** A title's format as the figures need it: which bytes are the init segment and each media segment. */
export interface FormatRanges {
    itag: number;
    initRange: { start: number; end: number };
    segments: Array<{ sequence: number; range: { start: number; end: number } }>;
}

/** "itag:seq" (seq 0: the init segment), the key of the origin's part labels and `delivered`. */
export type SegmentKey = string;

/**
 * The segments the player received: every media range the channel answered completely (206, the
 * answer finished) marks each segment of that representation the range overlaps. The
 * representation is the first part of the URL's `key` parameter (the itag).
 */
export function segmentsReceived(requests: PlayerRequest[], formats: FormatRanges[]): Set<SegmentKey> {
    const received = new Set<SegmentKey>();
    for (const request of requests) {
        if (request.range === null || request.status !== 206 || request.endMs === null || request.failure !== undefined) continue;
        const range = /^bytes=(\d+)-(\d+)$/.exec(request.range);
        const itag = Number((keyParam(request.url) ?? "").split(":")[0]);
        const format = formats.find((f) => f.itag === itag);
        if (!range || !format) continue;
        const [start, end] = [Number(range[1]), Number(range[2])];
        const overlaps = (r: { start: number; end: number }): boolean => r.start <= end && start <= r.end;
        if (overlaps(format.initRange)) received.add(`${itag}:0`);
        for (const segment of format.segments) if (overlaps(segment.range)) received.add(`${itag}:${segment.sequence}`);
    }
    return received;
}

function keyParam(url: string): string | null {
    try {
        return new URL(url).searchParams.get("key");
    } catch {
        return null;
    }
}

/** Bytes of a UMP varint in its shortest form (the form the origin writes without framing faults). */
function umpVarintBytes(value: number): number {
    return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

const MEDIA_LABEL = /^media:(\d+):(\d+):id=(\d+)$/;

/**
 * Media bytes the origin put on the wire per segment, from its log: each SABR answer's parts in
 * order (header: type and size varints, then the payload), counted up to the bytes it wrote, so
 * an answer cut off mid-body counts only what left. A MEDIA payload starts with the header id
 * (a UMP varint), which is not media and is left out.
 */
export function mediaBytesSent(entries: LogEntry[]): Map<SegmentKey, number> {
    const sent = new Map<SegmentKey, number>();
    for (const entry of entries) {
        if (entry.method !== "POST" || !entry.parts) continue;
        const written = entry.bytesWritten ?? 0;
        let offset = 0;
        for (const part of entry.parts) {
            const payloadStart = offset + umpVarintBytes(part.type) + umpVarintBytes(part.size);
            offset = payloadStart + part.size;
            const match = part.label ? MEDIA_LABEL.exec(part.label) : null;
            if (!match) continue;
            const payloadSent = Math.max(0, Math.min(part.size, written - payloadStart));
            const media = Math.max(0, payloadSent - umpVarintBytes(Number(match[3])));
            const key = `${match[1]}:${match[2]}`;
            if (media > 0) sent.set(key, (sent.get(key) ?? 0) + media);
        }
    }
    return sent;
}

export interface Waste {
    /** Media bytes the origin sent in SABR answers. */
    sentBytes: number;
    /** Of those, bytes of segments the player never received. */
    wastedBytes: number;
    /** wastedBytes / sentBytes (0 when nothing was sent). */
    wasteRatio: number;
    /** Segments sent but never received by the player. */
    wastedSegments: SegmentKey[];
    /** Bytes sent more than once for a segment the player did receive (beyond the segment's own size). */
    resentBytes: number;
}

/** Waste: media bytes sent for segments the player never received, against all media bytes sent. */
export function wasteOf(sent: Map<SegmentKey, number>, received: Set<SegmentKey>, formats: FormatRanges[]): Waste {
    let sentBytes = 0;
    let wastedBytes = 0;
    let resentBytes = 0;
    const wastedSegments: SegmentKey[] = [];
    for (const [key, bytes] of sent) {
        sentBytes += bytes;
        if (!received.has(key)) {
            wastedBytes += bytes;
            wastedSegments.push(key);
            continue;
        }
        const size = segmentSize(key, formats);
        if (size !== null) resentBytes += Math.max(0, bytes - size);
    }
    return { sentBytes, wastedBytes, wasteRatio: sentBytes > 0 ? wastedBytes / sentBytes : 0, wastedSegments, resentBytes };
}

function segmentSize(key: SegmentKey, formats: FormatRanges[]): number | null {
    const [itag, seq] = key.split(":").map(Number);
    const format = formats.find((f) => f.itag === itag);
    if (!format) return null;
    const range = seq === 0 ? format.initRange : format.segments.find((s) => s.sequence === seq)?.range;
    return range ? range.end - range.start + 1 : null;
}

/** Per minute of media: `count` over `mediaSeconds` of media played. */
export function perMinute(count: number, mediaSeconds: number): number {
    return mediaSeconds > 0 ? (count * 60) / mediaSeconds : 0;
}

/** A figure rounded to `digits` decimals (for JSON lines people read). */
export function round(value: number, digits = 1): number {
    const scale = 10 ** digits;
    return Math.round(value * scale) / scale;
}
