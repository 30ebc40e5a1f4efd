// Random message values in the schema's own representation, and their canonical text.
// Representation: int32/sint32 number, uint32/int64/uint64 bigint, bool, string,
// bytes Uint8Array, float number (a float32 value), message object | undefined, repeated array.
import type { FieldInfo, MessageInfo, Schema } from "../codegen/schema.ts";

export type Value = number | bigint | boolean | string | Uint8Array | Msg | undefined | Value[];
export interface Msg {
    [field: string]: Value;
}

/** mulberry32: small, fast, seedable. */
export class Rng {
    private state: number;
    constructor(seed: number) {
        this.state = seed >>> 0;
    }
    next(): number {
        this.state = (this.state + 0x6d2b79f5) >>> 0;
        let t = this.state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    }
    int(n: number): number {
        return Math.floor(this.next() * n);
    }
    chance(p: number): boolean {
        return this.next() < p;
    }
    pick<T>(items: readonly T[]): T {
        return items[this.int(items.length)]!;
    }
    u32(): number {
        return Math.floor(this.next() * 4294967296);
    }
    bytes(n: number): Uint8Array {
        const out = new Uint8Array(n);
        for (let i = 0; i < n; i++) out[i] = this.int(256);
        return out;
    }
}

const INT32_EDGES = [0, 1, -1, 127, 128, 300, 16383, 16384, 2147483647, -2147483648, -129];
const INT64_EDGES = [
    0n,
    1n,
    -1n,
    2147483647n,
    2147483648n,
    4294967296n,
    9007199254740991n,
    1700000000000000n,
    9223372036854775807n,
    -9223372036854775808n,
];
const UINT64_EDGES = [0n, 1n, 4294967295n, 9223372036854775808n, 18446744073709551615n, 1700000000000000n];
const UINT32_EDGES = [0n, 1n, 127n, 2147483647n, 2147483648n, 4294967295n];
const FLOAT_EDGES = [0, 1, 1.5, -2.25, 0.5, 1e-40, -1e-45, 3.4028234663852886e38, 1.1754943508222875e-38, 0.1, 65504];
const TEXTS = [
    "",
    "a",
    "itag",
    'audio/mp4; codecs="mp4a.40.2"',
    "héllo wörld",
    "日本語",
    "emoji 😀",
    "sabr.malformed_config",
    "ChAKBWFjb250EgdwcmltYXJ5",
];

function randomInt32(rng: Rng): number {
    return rng.chance(0.5) ? rng.pick(INT32_EDGES) : rng.u32() | 0;
}
function randomInt64(rng: Rng): bigint {
    if (rng.chance(0.5)) return rng.pick(INT64_EDGES);
    return BigInt.asIntN(64, (BigInt(rng.u32()) << 32n) | BigInt(rng.u32())) >> BigInt(rng.int(64));
}
function randomFloat(rng: Rng): number {
    if (rng.chance(0.5)) return Math.fround(rng.pick(FLOAT_EDGES));
    const bits = new Uint32Array([rng.u32()]);
    const f = new Float32Array(bits.buffer)[0]!;
    return Number.isFinite(f) ? f : 1; // infinities and NaN are outside the tested domain
}
function randomText(rng: Rng): string {
    if (rng.chance(0.6)) return rng.pick(TEXTS);
    const n = rng.int(40);
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(rng.chance(0.9) ? 32 + rng.int(95) : 0xa0 + rng.int(0x2000));
    return s;
}

export function randomScalar(rng: Rng, kind: string): Value {
    switch (kind) {
        case "int32":
        case "sint32":
            return randomInt32(rng);
        case "uint32":
            return rng.chance(0.5) ? rng.pick(UINT32_EDGES) : BigInt(rng.u32());
        case "int64":
            return randomInt64(rng);
        case "uint64":
            return rng.chance(0.5) ? rng.pick(UINT64_EDGES) : BigInt.asUintN(64, randomInt64(rng));
        case "bool":
            return rng.chance(0.5);
        case "string":
            return randomText(rng);
        case "bytes":
            return rng.bytes(rng.chance(0.2) ? 0 : 1 + rng.int(40));
        case "float":
            return randomFloat(rng);
    }
    throw new Error(`no generator for ${kind}`);
}

export function randomMessage(schema: Schema, name: string, rng: Rng, depth = 0, fill = 0.6): Msg {
    const message = findMessage(schema, name);
    const msg: Msg = {};
    for (const f of message.fields) {
        if (!rng.chance(fill)) continue;
        if (f.kind === "message") {
            if (depth > 4) continue;
            const make = () => randomMessage(schema, f.messageType!, rng, depth + 1, fill);
            msg[f.name] = f.repeated ? Array.from({ length: rng.int(4) }, make) : make();
        } else {
            msg[f.name] = f.repeated ? Array.from({ length: rng.int(5) }, () => randomScalar(rng, f.kind)) : randomScalar(rng, f.kind);
        }
    }
    return msg;
}

export function findMessage(schema: Schema, name: string): MessageInfo {
    const m = schema.messages.find((x) => x.name === name);
    if (!m) throw new Error(`unknown message ${name}`);
    return m;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "utf8"));

export function floatBits(f: number): number {
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, f, true);
    return view.getInt32(0, true);
}

/** Canonical text of a message (missing fields take protobuf defaults); mirrors interop.canonical in BrightScript. */
export function canonical(schema: Schema, name: string, msg: Msg | undefined): string {
    if (msg === undefined) return "~";
    const parts = findMessage(schema, name).fields.map((f) => {
        const v = msg[f.name];
        if (f.repeated) return `[${((v as Value[] | undefined) ?? []).map((x) => scalarText(schema, f, x)).join(",")}]`;
        return scalarText(schema, f, v);
    });
    return `{${parts.join(",")}}`;
}

function scalarText(schema: Schema, f: FieldInfo, v: Value): string {
    switch (f.kind) {
        case "message":
            return canonical(schema, f.messageType!, v as Msg | undefined);
        case "bool":
            return v ? "1" : "0";
        case "string":
            return hex(utf8((v as string | undefined) ?? ""));
        case "bytes":
            return hex((v as Uint8Array | undefined) ?? new Uint8Array());
        case "float":
            return String(floatBits((v as number | undefined) ?? 0));
        case "int32":
        case "sint32":
            return String(((v as number | undefined) ?? 0) | 0);
        default:
            return BigInt.asIntN(64, BigInt((v as bigint | number | string | undefined) ?? 0)).toString();
    }
}

/** JSON for the encode vectors: numbers as decimal strings, text and bytes as hex, floats as bits. */
export function toVectorJson(schema: Schema, name: string, msg: Msg): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of findMessage(schema, name).fields) {
        const v = msg[f.name];
        if (v === undefined) continue;
        const one = (x: Value): unknown => {
            switch (f.kind) {
                case "message":
                    return toVectorJson(schema, f.messageType!, x as Msg);
                case "bool":
                    return x ? "1" : "0";
                case "string":
                    return hex(utf8(x as string));
                case "bytes":
                    return hex(x as Uint8Array);
                case "float":
                    return String(floatBits(x as number));
                default:
                    return String(x);
            }
        };
        out[f.name] = f.repeated ? (v as Value[]).map(one) : one(v);
    }
    return out;
}

/** The field layout the BrightScript harness walks: [name, kind, messageType, repeated]. */
export function schemaDescriptor(schema: Schema): Record<string, Array<[string, string, string, number]>> {
    return Object.fromEntries(
        schema.messages.map((m) => [
            m.name,
            m.fields.map((f) => [f.name, f.kind, f.messageType ?? "", f.repeated ? 1 : 0] as [string, string, string, number]),
        ]),
    );
}
