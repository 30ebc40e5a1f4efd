// The segment index box (ISO/IEC 14496-12 8.16.3), versions 0 and 1: subsegment byte ranges and
// times. Arithmetic is in BigInt so 64-bit fields of version 1 stay exact.
import type { ByteRange } from "./byte-range.ts";

export interface SidxReference {
    /** 1-based. */
    sequence: number;
    /** Byte range in the whole file (inclusive end). */
    range: ByteRange;
    startTicks: bigint;
    durationTicks: bigint;
    /** floor(startTicks·1000/timescale) on the media timeline. */
    startMs: number;
    /** floor(endTicks·1000/timescale) − startMs (durations add up to the track end). */
    durationMs: number;
}

export interface Sidx {
    version: number;
    timescale: number;
    earliestPresentationTime: bigint;
    /** File offset of the sidx box. */
    boxOffset: number;
    boxSize: number;
    references: SidxReference[];
    /** One past the last referenced byte (the representation's length when the sidx covers it). */
    endOffset: number;
}

function toSafeNumber(v: bigint, what: string): number {
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`sidx ${what} too large: ${v}`);
    return Number(v);
}

/**
 * Parses the sidx box that starts at `buf[at]`; `fileOffset` is that byte's position in the file
 * (the references are relative to the first byte after the box). Rejects hierarchical sidx.
 */
export function parseSidx(buf: Buffer, fileOffset: number, at = 0): Sidx {
    if (buf.length < at + 8) throw new Error("sidx: truncated header");
    let size = BigInt(buf.readUInt32BE(at));
    const type = buf.toString("latin1", at + 4, at + 8);
    if (type !== "sidx") throw new Error(`expected a sidx box at ${fileOffset}, found '${type}'`);
    let p = at + 8;
    if (size === 1n) {
        size = buf.readBigUInt64BE(p);
        p += 8;
    }
    const boxSize = toSafeNumber(size, "size");
    if (buf.length < at + boxSize) throw new Error(`sidx: box of ${boxSize} bytes but only ${buf.length - at} received`);
    const version = buf.readUInt8(p);
    p += 4 + 4; // version + flags, reference_ID
    const timescale = buf.readUInt32BE(p);
    p += 4;
    if (timescale === 0) throw new Error("sidx: timescale 0");
    let ept: bigint;
    let firstOffset: bigint;
    if (version === 0) {
        ept = BigInt(buf.readUInt32BE(p));
        firstOffset = BigInt(buf.readUInt32BE(p + 4));
        p += 8;
    } else {
        ept = buf.readBigUInt64BE(p);
        firstOffset = buf.readBigUInt64BE(p + 8);
        p += 16;
    }
    p += 2; // reserved
    const count = buf.readUInt16BE(p);
    p += 2;
    if (p + count * 12 > at + boxSize) throw new Error(`sidx: ${count} references do not fit in the box`);
    const { references, end } = readReferences(buf, p, count, BigInt(fileOffset) + size + firstOffset, ept, BigInt(timescale));
    return {
        version,
        timescale,
        earliestPresentationTime: ept,
        boxOffset: fileOffset,
        boxSize,
        references,
        endOffset: toSafeNumber(end, "offset"),
    };
}

/** `count` 12-byte references from `buf[p]`, laid end to end from `offset` and `ticks`; `end` is one past the last byte. */
function readReferences(
    buf: Buffer,
    p: number,
    count: number,
    offset: bigint,
    ticks: bigint,
    ts: bigint,
): { references: SidxReference[]; end: bigint } {
    const references: SidxReference[] = [];
    for (let i = 0; i < count; i++, p += 12) {
        const word = buf.readUInt32BE(p);
        if ((word & 0x80000000) !== 0) throw new Error("sidx: hierarchical references are not supported");
        const refSize = BigInt(word & 0x7fffffff);
        const duration = BigInt(buf.readUInt32BE(p + 4));
        const startMs = (ticks * 1000n) / ts;
        const endMs = ((ticks + duration) * 1000n) / ts;
        references.push({
            sequence: i + 1,
            range: { start: toSafeNumber(offset, "offset"), end: toSafeNumber(offset + refSize - 1n, "offset") },
            startTicks: ticks,
            durationTicks: duration,
            startMs: toSafeNumber(startMs, "time"),
            durationMs: toSafeNumber(endMs - startMs, "time"),
        });
        offset += refSize;
        ticks += duration;
    }
    return { references, end: offset };
}
