/**
 * Byte-level helpers of the origin: UMP framing (via googlevideo's UmpWriter
 * for ordinary parts, by hand for the non-shortest varint forms faults need),
 * a minimal protobuf writer for the messages googlevideo's schema cannot
 * express (cookie with an unknown field, YT-layout SabrError, unpacked
 * repeated fields, present-but-zero fields), and a tolerant protobuf field
 * scanner used to read raw bytes (the echoed cookie) out of a request.
 */
import { UmpWriter, CompositeBuffer } from "googlevideo/ump";

/** UMP varint, shortest form unless `width` (1..5) forces a longer one. */
export function umpVarint(value: number, width?: number): Uint8Array {
    if (value < 0 || !Number.isInteger(value) || value > 0xffffffff) throw new RangeError(`bad UMP varint ${value}`);
    const w = width ?? (value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5);
    switch (w) {
        case 1:
            if (value >= 0x80) break;
            return Uint8Array.of(value);
        case 2:
            if (value >= 0x4000) break;
            return Uint8Array.of(0x80 | (value & 0x3f), value >>> 6);
        case 3:
            if (value >= 0x200000) break;
            return Uint8Array.of(0xc0 | (value & 0x1f), (value >>> 5) & 0xff, value >>> 13);
        case 4:
            if (value >= 0x10000000) break;
            return Uint8Array.of(0xe0 | (value & 0x0f), (value >>> 4) & 0xff, (value >>> 12) & 0xff, value >>> 20);
        case 5: {
            const b = new Uint8Array(5);
            b[0] = 0xf0;
            new DataView(b.buffer).setUint32(1, value, true);
            return b;
        }
    }
    throw new RangeError(`UMP varint ${value} does not fit ${w} bytes`);
}

/** Decodes a UMP varint at `off`; undefined when more bytes are needed. */
export function readUmpVarint(buf: Uint8Array, off: number): { value: number; length: number } | undefined {
    if (off >= buf.length) return undefined;
    const b0 = buf[off]!;
    const len = b0 < 0x80 ? 1 : b0 < 0xc0 ? 2 : b0 < 0xe0 ? 3 : b0 < 0xf0 ? 4 : 5;
    if (off + len > buf.length) return undefined;
    let value: number;
    switch (len) {
        case 1:
            value = b0;
            break;
        case 2:
            value = (b0 & 0x3f) + 64 * buf[off + 1]!;
            break;
        case 3:
            value = (b0 & 0x1f) + 32 * (buf[off + 1]! + 256 * buf[off + 2]!);
            break;
        case 4:
            value = (b0 & 0x0f) + 16 * (buf[off + 1]! + 256 * (buf[off + 2]! + 256 * buf[off + 3]!));
            break;
        default:
            value = new DataView(buf.buffer, buf.byteOffset + off + 1, 4).getUint32(0, true);
    }
    return { value, length: len };
}

export interface UmpPart {
    type: number;
    payload: Uint8Array;
}

/** Parses a complete UMP body (byte accumulator semantics); throws on truncation. */
export function parseUmp(body: Uint8Array): UmpPart[] {
    const parts: UmpPart[] = [];
    let off = 0;
    while (off < body.length) {
        const t = readUmpVarint(body, off);
        if (!t) throw new Error(`truncated part type at ${off}`);
        const s = readUmpVarint(body, off + t.length);
        if (!s) throw new Error(`truncated part size at ${off}`);
        const start = off + t.length + s.length;
        if (start + s.value > body.length) throw new Error(`truncated part payload at ${off}`);
        parts.push({ type: t.value, payload: body.subarray(start, start + s.value) });
        off = start + s.value;
    }
    return parts;
}

/** One part as it will go on the wire. */
export interface WirePart {
    type: number;
    payload: Uint8Array;
    /** Force the type varint width (F3). */
    typeWidth?: number;
    /** Force the size varint width (F3). */
    sizeWidth?: number;
    /** Free-form label for the request log. */
    label?: string;
}

/**
 * Serializes parts; returns the body and, per part, the offset where its
 * header starts and where its payload starts (for chunk-boundary faults).
 */
export function serializeParts(parts: WirePart[]): { body: Buffer; offsets: Array<{ header: number; sizeAt: number; payload: number }> } {
    const composite = new CompositeBuffer();
    const writer = new UmpWriter(composite);
    const offsets: Array<{ header: number; sizeAt: number; payload: number }> = [];
    let pos = 0;
    for (const p of parts) {
        const typeBytes = umpVarint(p.type, p.typeWidth);
        const sizeBytes = umpVarint(p.payload.length, p.sizeWidth);
        if (p.typeWidth === undefined && p.sizeWidth === undefined) {
            writer.write(p.type, p.payload);
        } else {
            composite.append(typeBytes);
            composite.append(sizeBytes);
            composite.append(p.payload);
        }
        offsets.push({ header: pos, sizeAt: pos + typeBytes.length, payload: pos + typeBytes.length + sizeBytes.length });
        pos += typeBytes.length + sizeBytes.length + p.payload.length;
    }
    const body = Buffer.concat(
        composite.chunks.map((c) => (c instanceof Uint8Array ? c : new Uint8Array(c))),
        pos,
    );
    if (body.length !== pos) throw new Error("UMP serialization length mismatch");
    return { body, offsets };
}

// ---------------------------------------------------------------------------
// Minimal protobuf writer

export class PbWriter {
    private chunks: number[] = [];

    private varint(v: bigint): void {
        if (v < 0n) v = BigInt.asUintN(64, v);
        do {
            let byte = Number(v & 0x7fn);
            v >>= 7n;
            if (v > 0n) byte |= 0x80;
            this.chunks.push(byte);
        } while (v > 0n);
    }

    private tag(field: number, wire: number): void {
        this.varint(BigInt((field << 3) | wire));
    }

    /** Writes a varint field even when the value is zero. */
    uint(field: number, value: number | bigint | string): this {
        this.tag(field, 0);
        this.varint(BigInt(value));
        return this;
    }

    bool(field: number, value: boolean): this {
        return this.uint(field, value ? 1 : 0);
    }

    bytes(field: number, value: Uint8Array): this {
        this.tag(field, 2);
        this.varint(BigInt(value.length));
        for (const b of value) this.chunks.push(b);
        return this;
    }

    string(field: number, value: string): this {
        return this.bytes(field, new TextEncoder().encode(value));
    }

    message(field: number, inner: PbWriter): this {
        return this.bytes(field, inner.finish());
    }

    packed(field: number, values: number[]): this {
        const inner = new PbWriter();
        for (const v of values) inner.varint(BigInt(v));
        return this.bytes(field, inner.finish());
    }

    unpacked(field: number, values: number[]): this {
        for (const v of values) this.uint(field, v);
        return this;
    }

    finish(): Uint8Array {
        return Uint8Array.from(this.chunks);
    }
}

// ---------------------------------------------------------------------------
// Tolerant protobuf scanner

export interface PbField {
    field: number;
    wire: number;
    /** Varint / fixed value (wire 0, 1, 5). */
    num?: bigint;
    /** Payload (wire 2). */
    bytes?: Uint8Array;
}

/** Scans one message level; throws on malformed input. Skips groups. */
export function scanFields(buf: Uint8Array): PbField[] {
    const out: PbField[] = [];
    let off = 0;
    const varint = (): bigint => {
        let result = 0n;
        let shift = 0n;
        for (let i = 0; i < 10; i++) {
            if (off >= buf.length) throw new Error("truncated varint");
            const b = buf[off++]!;
            result |= BigInt(b & 0x7f) << shift;
            if ((b & 0x80) === 0) return result;
            shift += 7n;
        }
        throw new Error("varint too long");
    };
    while (off < buf.length) {
        const key = varint();
        const field = Number(key >> 3n);
        const wire = Number(key & 7n);
        if (field === 0) throw new Error("field number 0");
        switch (wire) {
            case 0:
                out.push({ field, wire, num: varint() });
                break;
            case 1: {
                if (off + 8 > buf.length) throw new Error("truncated fixed64");
                out.push({ field, wire, num: new DataView(buf.buffer, buf.byteOffset + off, 8).getBigUint64(0, true) });
                off += 8;
                break;
            }
            case 2: {
                const len = Number(varint());
                if (off + len > buf.length) throw new Error("truncated length-delimited field");
                out.push({ field, wire, bytes: buf.subarray(off, off + len) });
                off += len;
                break;
            }
            case 5: {
                if (off + 4 > buf.length) throw new Error("truncated fixed32");
                out.push({ field, wire, num: BigInt(new DataView(buf.buffer, buf.byteOffset + off, 4).getUint32(0, true)) });
                off += 4;
                break;
            }
            default:
                throw new Error(`unsupported wire type ${wire}`);
        }
    }
    return out;
}

/** Repeated int32 values of `field`, accepting packed and unpacked encodings. */
export function repeatedInts(fields: PbField[], field: number): number[] {
    const out: number[] = [];
    for (const f of fields) {
        if (f.field !== field) continue;
        if (f.wire === 0 && f.num !== undefined) out.push(Number(f.num));
        else if (f.wire === 2 && f.bytes) {
            let off = 0;
            const b = f.bytes;
            while (off < b.length) {
                let v = 0n;
                let shift = 0n;
                for (;;) {
                    const x = b[off++];
                    if (x === undefined) throw new Error("truncated packed varint");
                    v |= BigInt(x & 0x7f) << shift;
                    if ((x & 0x80) === 0) break;
                    shift += 7n;
                }
                out.push(Number(v));
            }
        }
    }
    return out;
}

export function toHex(b: Uint8Array): string {
    return Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");
}

export function bytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
    if (!a || !b) return a === b;
    return a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}
