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

/** The range a `Range: bytes=S-E` header value asks for; undefined for any other form. */
export function parseRangeHeader(value: string | null | undefined): ByteRange | undefined {
    const match = /^bytes=(\d+)-(\d+)$/.exec(value ?? "");
    if (!match) return undefined;
    const range = { start: Number(match[1]), end: Number(match[2]) };
    return range.end >= range.start ? range : undefined;
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
