// Which media byte ranges a track requests in one Period: the sidx subsegments inside the play
// window, cut short by a seek or the media limit, then grouped into requests in a range style.
import type { ByteRange } from "./byte-range.ts";
import type { MpdPeriod, MpdRepresentation } from "./mpd.ts";
import type { Sidx, SidxReference } from "./sidx.ts";

/** segments: one request per subsegment; misaligned: subsegments split at a byte or merged in pairs; combined-init: init and index in one request. */
export type RangeStyle = "segments" | "misaligned" | "combined-init";

export interface MediaItem {
    ref: SidxReference;
    /** Presentation time of the reference (Period start + media time − PTO). */
    startMs: number;
    endMs: number;
}

export interface PlannedRequest {
    range: ByteRange;
    segments: number[];
    startMs: number;
}

export interface PlayWindow {
    items: MediaItem[];
    /** Where the track continues: the Period's end, or the seek target. */
    nextMs: number;
    /** The media limit was reached and no seek follows: the track is finished. */
    stop: boolean;
    /** The seek happened in this window. */
    seeked: boolean;
}

/** The subsegments of `rep` that overlap [fromMs, period end) in presentation time. */
export function mediaItems(sidx: Sidx, period: MpdPeriod, rep: MpdRepresentation, fromMs: number): MediaItem[] {
    return sidx.references
        .map((ref) => {
            const startMs = period.startMs + ref.startMs - rep.presentationTimeOffsetMs;
            return { ref, startMs, endMs: startMs + ref.durationMs };
        })
        .filter((it) => it.endMs > fromMs && it.startMs < period.endMs);
}

/** Cuts `items` before the first one at or after a pending seek's `atMs`, then before `maxMediaMs`. */
export function cutWindow(
    items: MediaItem[],
    periodEndMs: number,
    seek: { atMs: number; toMs: number } | undefined,
    maxMediaMs: number | undefined,
): PlayWindow {
    let kept = items;
    let nextMs = periodEndMs;
    let seeked = false;
    let stop = false;
    if (seek) {
        const cut = kept.findIndex((it) => it.startMs >= seek.atMs);
        if (cut >= 0) {
            kept = kept.slice(0, cut);
            nextMs = seek.toMs;
            seeked = true;
        }
    }
    if (maxMediaMs !== undefined) {
        const cut = kept.findIndex((it) => it.startMs >= maxMediaMs);
        if (cut >= 0) {
            kept = kept.slice(0, cut);
            if (nextMs === periodEndMs) stop = true;
        }
    }
    return { items: kept, nextMs, stop, seeked };
}

/** Media requests for `items` in one of the range styles; `random` picks the misaligned split points. */
export function planRequests(items: MediaItem[], style: RangeStyle, random: () => number): PlannedRequest[] {
    if (style !== "misaligned") return items.map(whole);
    const out: PlannedRequest[] = [];
    // Alternate: split one subsegment in two, then merge the next two into one request.
    let split = true;
    for (let i = 0; i < items.length; i++) {
        const it = items[i]!;
        const after = items[i + 1];
        const len = it.ref.range.end - it.ref.range.start + 1;
        if (split && len >= 2) {
            const at = it.ref.range.start + 1 + Math.floor(random() * (len - 1));
            out.push({ range: { start: it.ref.range.start, end: at - 1 }, segments: [it.ref.sequence], startMs: it.startMs });
            out.push({ range: { start: at, end: it.ref.range.end }, segments: [it.ref.sequence], startMs: it.startMs });
        } else if (!split && after && after.ref.range.start === it.ref.range.end + 1) {
            out.push({
                range: { start: it.ref.range.start, end: after.ref.range.end },
                segments: [it.ref.sequence, after.ref.sequence],
                startMs: it.startMs,
            });
            i++;
        } else {
            out.push(whole(it));
        }
        split = !split;
    }
    return out;
}

function whole(it: MediaItem): PlannedRequest {
    return { range: it.ref.range, segments: [it.ref.sequence], startMs: it.startMs };
}
