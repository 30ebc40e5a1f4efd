// The bytes a play received for one representation, kept at their file offsets so they can be
// checked against the source file: coverage, gaps and the first differing byte.
import { mergeRanges, type ByteRange } from "./byte-range.ts";
import type { Sidx } from "./sidx.ts";
import type { Track } from "./track.ts";

export interface ReceivedSpan {
    start: number;
    /** Inclusive. */
    end: number;
    request: number;
    data: Buffer;
}

export interface Mismatch {
    key: string;
    /** File offset of the first differing byte. */
    offset: number;
    /** Source byte, or null when the span runs past the source's end. */
    expected: number | null;
    actual: number;
    request: number;
}

export interface VerifyResult {
    ok: boolean;
    bytesChecked: number;
    spans: number;
    mismatch?: Mismatch;
    message: string;
}

/** The bytes received for one representation key (or, from `PlayReport.byItag`, for all keys of an itag). */
export class ReceivedRepresentation {
    readonly spans: ReceivedSpan[] = [];
    /** Parsed sidx, when the index arrived and parsed. */
    sidx?: Sidx;

    constructor(
        readonly key: string,
        readonly itag: number,
        readonly track: Track,
    ) {}

    /** Merged byte ranges received. */
    coverage(): ByteRange[] {
        return mergeRanges(this.spans.map((s) => ({ start: s.start, end: s.end })));
    }

    /** Byte ranges of [0, total) never received. */
    gaps(total: number): ByteRange[] {
        const gaps: ByteRange[] = [];
        let next = 0;
        for (const r of this.coverage()) {
            if (r.start > next) gaps.push({ start: next, end: Math.min(r.start, total) - 1 });
            next = Math.max(next, r.end + 1);
        }
        if (next < total) gaps.push({ start: next, end: total - 1 });
        return gaps.filter((g) => g.end >= g.start);
    }

    /** The whole of [0, total) received. */
    covers(total: number): boolean {
        return this.gaps(total).length === 0;
    }

    /** Checks every received span against `source` at the same offsets; reports the first mismatch by file offset. */
    verify(source: Buffer): VerifyResult {
        let first: Mismatch | undefined;
        let checked = 0;
        for (const s of this.spans) {
            checked += s.data.length;
            const at = firstDifference(s, source);
            if (at < 0) continue;
            const offset = s.start + at;
            if (!first || offset < first.offset) {
                first = {
                    key: this.key,
                    offset,
                    expected: offset < source.length ? source[offset]! : null,
                    actual: s.data[at]!,
                    request: s.request,
                };
            }
        }
        const message = first
            ? `${this.key}: byte ${first.offset} is ${hex(first.actual)}, source has ${hex(first.expected)} (request #${first.request})`
            : `${this.key}: ${checked} bytes in ${this.spans.length} spans match the source`;
        return { ok: !first, bytesChecked: checked, spans: this.spans.length, mismatch: first, message };
    }
}

/** Index in the span of its first byte that differs from `source` (or lies past its end); -1 when none. */
function firstDifference(s: ReceivedSpan, source: Buffer): number {
    const limit = Math.min(s.data.length, Math.max(0, source.length - s.start));
    // Compare whole buffers first; only a mismatch pays for the byte-by-byte search.
    if (!s.data.subarray(0, limit).equals(source.subarray(s.start, s.start + limit))) {
        for (let i = 0; i < limit; i++) {
            if (s.data[i] !== source[s.start + i]) return i;
        }
        return -1;
    }
    return limit < s.data.length ? limit : -1;
}

function hex(n: number | null): string {
    return n === null ? "EOF" : `0x${n.toString(16).padStart(2, "0")}`;
}
