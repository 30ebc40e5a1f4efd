// Builds interop vectors (lines for the BrightScript channel) and how to judge each result.
import { UmpWriter, CompositeBuffer, UmpReader } from "googlevideo/ump";
import * as GV from "googlevideo/protos";
import type { Schema } from "../codegen/schema.ts";
import { canonical, hex, randomMessage, toVectorJson, type Msg, type Rng } from "./values.ts";
import { GV_CODECS, fixForOracle, fromGv, gvEncode, onlyGvFields, refEncode, varint } from "./oracle.ts";
import { expectedParts } from "./ump-ref.ts";

export interface Vector {
    line: string; // tab-separated, without the id (added by the writer)
    /** Returns a mismatch description, or undefined when the result is right. */
    judge(result: string): string | undefined;
    label: string;
}

const exact = (expected: string) => (result: string) =>
    result === expected ? undefined : `expected ${clip(expected)} got ${clip(result)}`;
const clip = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}…(${s.length})` : s);

/** Top-level messages exercised with random values (every message googlevideo can encode). */
export function randomMessageNames(schema: Schema): string[] {
    return schema.messages.map((m) => m.name).filter((n) => GV_CODECS[n] !== undefined);
}

export function decodeVector(schema: Schema, name: string, bytes: Uint8Array, expected: Msg, label: string): Vector {
    return { line: `D\t${name}\t${hex(bytes)}`, judge: exact(canonical(schema, name, expected)), label };
}

/** BrightScript encodes `msg`; the bytes must equal googlevideo's and decode (by googlevideo) to msg. */
export function encodeVector(schema: Schema, name: string, msg: Msg, label: string, expectedHex?: string): Vector {
    const wanted = expectedHex ?? hex(gvEncode(schema, name, msg));
    return {
        line: `E\t${name}\t${JSON.stringify(toVectorJson(schema, name, msg))}`,
        label,
        judge(result) {
            if (result !== wanted) return `bytes differ: expected ${clip(wanted)} got ${clip(result)}`;
            const codec = GV_CODECS[name];
            if (!codec) return undefined;
            const decoded = fromGv(schema, name, codec.decode(Buffer.from(result, "hex")));
            const a = canonical(schema, name, decoded);
            const b = canonical(schema, name, onlyGvFields(schema, name, msg));
            return a === b ? undefined : `googlevideo decoded ${clip(a)}, sent ${clip(b)}`;
        },
    };
}

/** Malformed input: an error value is always acceptable; a value must match googlevideo's decode. */
export function malformedVector(schema: Schema, name: string, bytes: Uint8Array, label: string): Vector {
    return {
        line: `D\t${name}\t${hex(bytes)}`,
        label,
        judge(result) {
            if (result.startsWith("ERR:")) return undefined;
            let gv: string;
            try {
                gv = canonical(schema, name, fromGv(schema, name, GV_CODECS[name]!.decode(bytes)));
            } catch (error) {
                return `decoded ${clip(result)} where googlevideo throws (${(error as Error).message})`;
            }
            return collapseReplacements(result) === collapseReplacements(gv)
                ? undefined
                : `decoded ${clip(result)}, googlevideo ${clip(gv)}`;
        },
    };
}

/**
 * Invalid UTF-8 becomes U+FFFD (hex efbfbd) on both sides, but brs-engine's Buffer polyfill and
 * googlevideo's TextDecoder replace different spans, so runs of replacement characters are compared as one.
 */
const collapseReplacements = (text: string) => text.replace(/(efbfbd)+/g, "efbfbd");

export function umpVector(stream: Uint8Array, cuts: number[], mode: "b" | "f", label: string, expected = expectedParts(stream)): Vector {
    return { line: `U\t${hex(stream)}\t${cuts.join(",")}\t${mode}`, judge: exact(expected), label };
}

// ---- fixed vectors: Appendix A of docs/sabr-protocol.md and its UMP varint table (§3.2) ----

const text = (s: string) => hex(Buffer.from(s, "utf8"));
const A1_HEX =
    "0a0d a801d005 900201 9d020000803f 2a03010203 82010c088c01108080f9c0c1c48203 8a010c088801108180f9c0c1c48203" +
    ` 9a011a 0a16 800101 8a0110 ${text("2.20250101.00.00")} 3200`;
const clean = (s: string) => s.replace(/\s+/g, "");

export function fixedVectors(schema: Schema): Vector[] {
    const v: Vector[] = [];
    const a1: Msg = {
        clientAbrState: { stickyResolution: 720, visibility: 1, playbackRate: 1 },
        videoPlaybackUstreamerConfig: new Uint8Array([1, 2, 3]),
        preferredAudioFormatIds: [{ itag: 140, lastModified: 1700000000000000n }],
        preferredVideoFormatIds: [{ itag: 136, lastModified: 1700000000000001n }],
        streamerContext: { clientInfo: { clientName: 1, clientVersion: "2.20250101.00.00" } },
    };
    const a1Hex = clean(A1_HEX);
    v.push(encodeVector(schema, "VideoPlaybackAbrRequest", a1, "A.1 first request", a1Hex));
    v.push(decodeVector(schema, "VideoPlaybackAbrRequest", Buffer.from(a1Hex, "hex"), a1, "A.1 decode"));
    const a2: Msg = {
        formatId: { itag: 140 },
        startTimeMs: 0n,
        durationMs: 10000n,
        startSegmentIndex: 1,
        endSegmentIndex: 2,
        timeRange: { startTicks: 0n, durationTicks: 10000n, timescale: 1000 },
    };
    v.push(encodeVector(schema, "BufferedRange", a2, "A.2", "0a03088c0118904e200128023206 10904e18e807".replace(/ /g, "")));
    const a3: Msg = {
        playbackCookie: new Uint8Array([1, 2]),
        sabrContexts: [{ type: 5, value: Buffer.from("ctx") }],
        unsentSabrContexts: [],
    };
    v.push(encodeVector(schema, "StreamerContext", a3, "A.3", "1a0201022a0708051203637478 3200".replace(/ /g, "")));
    const a4: Array<[string, string, Msg]> = [
        ["StreamProtectionStatus", "0801", { status: 1 }],
        [
            "NextRequestPolicy",
            clean("08 98 75 10 98 75 3a 0e 08 bf 84 3d 3a 03 08 f8 01 42 03 08 8c 01"),
            {
                targetAudioReadaheadMs: 15000,
                targetVideoReadaheadMs: 15000,
                playbackCookie: Buffer.from("08bf843d3a0308f8014203088c01", "hex"),
            },
        ],
        [
            "FormatInitializationMetadata",
            `0a0b${hex(Buffer.from("abcdefghijk"))}120c088c01108080f9c0c1c48203 18e0d403200c2a1d${hex(Buffer.from('audio/mp4; codecs="mp4a.40.2"'))}4880e4af015080f702`.replace(
                / /g,
                "",
            ),
            {
                videoId: "abcdefghijk",
                formatId: { itag: 140, lastModified: 1700000000000000n },
                endTimeMs: 60000n,
                endSegmentNumber: 12n,
                mimeType: 'audio/mp4; codecs="mp4a.40.2"',
                durationUnits: 2880000n,
                durationTimescale: 48000n,
            },
        ],
        [
            "SabrContextUpdate",
            clean("08 05 10 04 1a 03 63 74 78 20 01 28 01"),
            { type: 5, scope: 4, value: Buffer.from("ctx"), sendByDefault: true, writePolicy: 1 },
        ],
        ["SabrContextSendingPolicy", "0a010512001a0103", { startPolicy: [5], stopPolicy: [], discardPolicy: [3] }],
        ["SabrRedirect", `0a0b${hex(Buffer.from("https://a/b"))}`, { url: "https://a/b" }],
        ["SabrError", `0a15${hex(Buffer.from("sabr.malformed_config"))}1002`, { type: "sabr.malformed_config", code: 2 }],
        [
            "SabrError",
            `0a15${hex(Buffer.from("sabr.malformed_config"))}10021a022004`,
            { type: "sabr.malformed_config", code: 2, error: { type: 4 } },
        ],
        ["SabrSeek", "0890bf0510e807180a", { seekMediaTime: 90000n, seekMediaTimescale: 1000, seekSource: 10 }],
        ["ReloadPlaybackContext", "0a050a03746f6b", { reloadPlaybackParams: { token: "tok" } }],
    ];
    for (const [name, h, msg] of a4) {
        v.push(decodeVector(schema, name, Buffer.from(h, "hex"), msg, `A.4 ${name}`));
        v.push(encodeVector(schema, name, msg, `A.4 ${name} encode`, h));
    }
    // Unpacked repeated int32 (what yt-dlp's protobug writes) must decode like packed.
    v.push(
        decodeVector(
            schema,
            "SabrContextSendingPolicy",
            Buffer.from("08051003", "hex"),
            { startPolicy: [5], stopPolicy: [3] },
            "unpacked 08 05 10 03",
        ),
    );
    // 3.3 worked example and A.5 chunk-split stream: every split point, both feeding modes.
    const worked = Buffer.from(
        clean(
            "14 21 18 8c 01 20 80 80 f9 c0 c1 c4 82 03 48 01 60 88 27 6a 0c 08 8c 01 10 80 80 f9 c0 c1 c4 82 03 70 03 15 04 00 aa bb cc 16 01 00",
        ),
        "hex",
    );
    const a5 = Buffer.from(clean("14 04 08 01 10 05 15 06 01 09 09 09 09 09 16 01 01"), "hex");
    for (const [name, stream] of [
        ["3.3", worked],
        ["A.5", a5],
    ] as const) {
        for (let k = 1; k < stream.length; k++) {
            v.push(umpVector(stream, [k], "b", `${name} split ${k}`));
            v.push(umpVector(stream, [k], "f", `${name} split ${k} file`));
        }
        v.push(
            umpVector(
                stream,
                Array.from({ length: stream.length - 1 }, (_, i) => i + 1),
                "b",
                `${name} byte by byte`,
            ),
        );
    }
    // UMP varint table (3.2): a part of each type value, sizes at every varint length boundary.
    for (const t of [20, 127, 128, 300, 16383, 16384, 2097151, 2097152])
        v.push(umpVector(writeParts([[t, new Uint8Array(3)]]), [], "b", `type ${t}`));
    v.push(umpVector(Buffer.from([0xf0, 0, 0, 0, 0x10, 0]), [], "b", "5-byte type 268435456 (too large)"));
    v.push(umpVector(Buffer.from([0xf8, 20, 0, 0, 0, 0]), [], "b", "5-byte form with low bits set in b0"));
    v.push(umpVector(Buffer.from([21, 0, 22, 0]), [], "b", "MEDIA and MEDIA_END without header id"));
    // Huge string, 64-bit extremes, empty message.
    const huge: Msg = {
        videoId: "x".repeat(70000) + "é",
        lmt: 18446744073709551615n,
        startRange: -9223372036854775808n,
        contentLength: 9223372036854775807n,
        headerId: 4294967295n,
    };
    v.push(encodeVector(schema, "MediaHeader", huge, "huge string and 64-bit extremes"));
    v.push(decodeVector(schema, "MediaHeader", gvEncode(schema, "MediaHeader", huge), huge, "huge string decode"));
    v.push(decodeVector(schema, "MediaHeader", new Uint8Array(), {}, "empty message"));
    v.push(
        decodeVector(
            schema,
            "ClientAbrState",
            Buffer.from("7001a00180808080808080808001", "hex"),
            { lastManualDirection: -1, clientBitrateCapBytesPerSec: -9223372036854775808n },
            "sint32 -1 and int64 min",
        ),
    );
    v.push(
        decodeVector(
            schema,
            "NextRequestPolicy",
            Buffer.from("08ffffffffffffffffff01", "hex"),
            { targetAudioReadaheadMs: -1 },
            "negative int32 as 10 bytes",
        ),
    );
    v.push(encodeVector(schema, "NextRequestPolicy", { targetAudioReadaheadMs: -2147483648, backoffTimeMs: -1 }, "negative int32 encode"));
    return v;
}

export function writeParts(parts: Array<[number, Uint8Array]>): Uint8Array {
    const buffer = new CompositeBuffer();
    const writer = new UmpWriter(buffer);
    for (const [type, data] of parts) writer.write(type, data);
    const chunks = buffer.chunks;
    return Buffer.concat(chunks);
}

/** googlevideo's own reader over the whole stream (one chunk: its split defect cannot trigger). */
export function gvParts(stream: Uint8Array): Array<{ type: number; size: number }> {
    const reader = new UmpReader(new CompositeBuffer([stream]));
    const parts: Array<{ type: number; size: number }> = [];
    reader.read((part) => parts.push({ type: part.type, size: part.size }));
    return parts;
}

// ---- random vectors ----

function randomResponse(schema: Schema, rng: Rng, mediaBytes: number): Uint8Array {
    const parts: Array<[number, Uint8Array]> = [];
    const control: Array<[number, string]> = [
        [58, "StreamProtectionStatus"],
        [35, "NextRequestPolicy"],
        [42, "FormatInitializationMetadata"],
        [57, "SabrContextUpdate"],
    ];
    for (const [type, name] of control)
        if (rng.chance(0.6)) parts.push([type, gvEncode(schema, name, fixForOracle(schema, name, randomMessage(schema, name, rng), rng))]);
    let headerId = rng.chance(0.1) ? 127 + rng.int(300) : rng.int(6);
    let left = mediaBytes;
    while (left > 0) {
        parts.push([20, GV.MediaHeader.encode({ headerId, itag: 140, contentLength: "5" }).finish()]);
        const n = Math.min(left, 1 + rng.int(40000));
        const id = new Uint8Array(ump(headerId));
        parts.push([21, Buffer.concat([id, rng.bytes(Math.min(n, 64)), new Uint8Array(Math.max(0, n - 64))])]);
        parts.push([22, id]);
        left -= n;
        headerId += 1;
    }
    if (rng.chance(0.3)) parts.push([rng.int(100), rng.bytes(rng.int(5))]);
    return writeParts(parts);
}
const ump = (n: number) => (n < 128 ? [n] : n < 16384 ? [(n & 0x3f) | 0x80, n >>> 6] : [0]);

export function randomVectors(schema: Schema, rng: Rng, count: number): Vector[] {
    const names = randomMessageNames(schema);
    const out: Vector[] = [];
    while (out.length < count) {
        const name = rng.pick(names);
        const msg = fixForOracle(schema, name, randomMessage(schema, name, rng, 0, rng.pick([0.3, 0.6, 1])), rng);
        const roll = rng.next();
        if (roll < 0.3) {
            out.push(decodeVector(schema, name, gvEncode(schema, name, msg), msg, `gv->brs ${name}`));
        } else if (roll < 0.4) {
            // Our independent encoder: unpacked repeated scalars and explicitly written defaults.
            out.push(
                decodeVector(
                    schema,
                    name,
                    refEncode(schema, name, msg, { unpacked: true, explicitDefaults: true }),
                    msg,
                    `ref(unpacked,defaults)->brs ${name}`,
                ),
            );
        } else if (roll < 0.5) {
            out.push(decodeVector(schema, name, withUnknownFields(gvEncode(schema, name, msg), rng), msg, `gv+unknown->brs ${name}`));
        } else if (roll < 0.72) {
            out.push(encodeVector(schema, name, msg, `brs->gv ${name}`));
        } else if (roll < 0.86) {
            // googlevideo cannot judge these: SabrError f3 is unknown to it, and it parses the playback cookie
            // that we deliberately keep opaque (a corrupted cookie makes it throw where we keep the bytes).
            if (name === "SabrError" || name === "NextRequestPolicy") continue;
            out.push(...malformed(schema, name, gvEncode(schema, name, msg), rng).slice(0, count - out.length));
        } else {
            out.push(...umpVectors(schema, rng).slice(0, count - out.length));
        }
    }
    return out;
}

function withUnknownFields(bytes: Uint8Array, rng: Rng): Uint8Array {
    const field = () => {
        const number = BigInt(900 + rng.int(100));
        switch (rng.int(4)) {
            case 0:
                return [...varint(number * 8n), ...varint(BigInt(rng.u32()) << 20n)];
            case 1:
                return [...varint(number * 8n + 1n), ...rng.bytes(8)];
            case 2: {
                const body = rng.bytes(rng.int(20));
                return [...varint(number * 8n + 2n), ...varint(BigInt(body.length)), ...body];
            }
            default:
                return [...varint(number * 8n + 5n), ...rng.bytes(4)];
        }
    };
    return new Uint8Array([...field(), ...bytes, ...field()]);
}

function malformed(schema: Schema, name: string, bytes: Uint8Array, rng: Rng): Vector[] {
    if (bytes.length === 0) return [];
    if (rng.chance(0.15)) {
        // Truncation at every offset (one message yields as many vectors as it has bytes, hence rarer).
        return Array.from({ length: bytes.length }, (_, k) =>
            malformedVector(schema, name, bytes.subarray(0, k), `truncated ${name} at ${k}/${bytes.length}`),
        );
    }
    const corrupt = Uint8Array.from(bytes);
    for (let i = 0, n = 1 + rng.int(3); i < n; i++)
        corrupt[rng.int(corrupt.length)] = rng.pick([0xff, 0x80, 0x00, 0x0b, 0x0c, 0x0e, 0x0f, rng.int(256)]);
    return [malformedVector(schema, name, corrupt, `corrupted ${name}`)];
}

function umpVectors(schema: Schema, rng: Rng): Vector[] {
    const roll = rng.next();
    if (roll < 0.4) {
        const stream = randomResponse(schema, rng, rng.int(3) * 40);
        const cuts = stream.length < 2 ? [] : [1 + rng.int(stream.length - 1)]; // a cut must lie inside the stream
        return [umpVector(stream, cuts, rng.chance(0.2) ? "f" : "b", "small stream, one split")];
    }
    if (roll < 0.7) {
        // Large response, random boundaries; checked against googlevideo's whole-buffer reader too.
        const stream = randomResponse(schema, rng, 60000 + rng.int(200000));
        const gv = gvParts(stream)
            .map((p) => p.type)
            .join(",");
        const ours = expectedParts(stream)
            .split(";")
            .slice(0, -1)
            .map((p) => p.split(":")[0])
            .join(",");
        if (gv !== ours) throw new Error(`reference UMP parse disagrees with googlevideo: ${gv} vs ${ours}`);
        const cuts = [...new Set(Array.from({ length: 1 + rng.int(30) }, () => 1 + rng.int(stream.length - 1)))].sort((a, b) => a - b);
        return [umpVector(stream, cuts, rng.chance(0.2) ? "f" : "b", `large stream ${stream.length} bytes, ${cuts.length} splits`)];
    }
    const stream = randomResponse(schema, rng, rng.int(2) * 30);
    if (roll < 0.85) {
        const k = rng.int(stream.length);
        return [umpVector(stream.subarray(0, k), [], "b", `truncated stream at ${k}`)];
    }
    const corrupt = Uint8Array.from(stream);
    corrupt[rng.int(corrupt.length)] = rng.int(256);
    return [umpVector(corrupt, rng.chance(0.5) ? [1 + rng.int(corrupt.length - 1)] : [], "b", "corrupted stream")];
}
