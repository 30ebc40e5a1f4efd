// Reference UMP framing in TypeScript: writer (shortest varints) and whole-buffer part listing.
export function umpVarint(value: number): number[] {
    if (value < 128) return [value];
    if (value < 16384) return [(value & 0x3f) | 0x80, value >>> 6];
    if (value < 2097152) return [(value & 0x1f) | 0xc0, (value >>> 5) & 0xff, value >>> 13];
    if (value < 268435456) return [(value & 0x0f) | 0xe0, (value >>> 4) & 0xff, (value >>> 12) & 0xff, value >>> 20];
    return [0xf0, value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24];
}

/** Reads a UMP varint at offset; undefined when the buffer ends first. */
export function readUmpVarint(buf: Uint8Array, offset: number, end: number): { value: number; length: number } | undefined {
    if (offset >= end) return undefined;
    const b0 = buf[offset]!;
    const length = b0 < 0x80 ? 1 : b0 < 0xc0 ? 2 : b0 < 0xe0 ? 3 : b0 < 0xf0 ? 4 : 5;
    if (offset + length > end) return undefined;
    const b = (i: number) => buf[offset + i]!;
    switch (length) {
        case 1:
            return { value: b0, length };
        case 2:
            return { value: (b0 & 0x3f) + 64 * b(1), length };
        case 3:
            return { value: (b0 & 0x1f) + 32 * (b(1) + 256 * b(2)), length };
        case 4:
            return { value: (b0 & 0x0f) + 16 * (b(1) + 256 * (b(2) + 256 * b(3))), length };
        default:
            return { value: b(1) + 256 * (b(2) + 256 * (b(3) + 256 * b(4))), length };
    }
}

export const MAX_PART_SIZE = 268435456;

/** The text the BrightScript reader prints for the first `end` bytes of a stream fed completely. */
export function expectedParts(buf: Uint8Array, end = buf.length): string {
    const out: string[] = [];
    let pos = 0;
    while (pos < end) {
        const type = readUmpVarint(buf, pos, end);
        const size = type && readUmpVarint(buf, pos + type.length, end);
        if (type && size && (size.value > MAX_PART_SIZE || type.value > MAX_PART_SIZE)) {
            out.push(`ERR:UMP part too large@${pos}`);
            return out.join(";");
        }
        if (!type || !size || pos + type.length + size.length + size.value > end) {
            out.push(`ERR:truncated UMP part@${pos}`);
            return out.join(";");
        }
        const payloadOffset = pos + type.length + size.length;
        let text = `${type.value}:${payloadOffset}:${size.value}`;
        if (type.value === 21 || type.value === 22) {
            const id = readUmpVarint(buf, payloadOffset, payloadOffset + size.value);
            text += id ? `:${id.value}:${payloadOffset + id.length}:${size.value - id.length}` : ":x";
        }
        out.push(text);
        pos = payloadOffset + size.value;
    }
    out.push("END");
    return out.join(";");
}
