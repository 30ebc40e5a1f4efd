// Inclusive byte ranges, as HTTP Range headers and sidx references count them.

export interface ByteRange {
    /** First byte, inclusive. */
    start: number;
    /** Last byte, inclusive. */
    end: number;
}

/** The Range header value asking for `r`. */
export function rangeText(r: ByteRange): string {
    return `bytes=${r.start}-${r.end}`;
}

/** Sorted ranges with overlapping and touching ones joined. */
export function mergeRanges(ranges: ByteRange[]): ByteRange[] {
    const sorted = [...ranges].sort((a, b) => a.start - b.start || a.end - b.end);
    const out: ByteRange[] = [];
    for (const r of sorted) {
        const last = out[out.length - 1];
        if (last && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
        else out.push({ ...r });
    }
    return out;
}
