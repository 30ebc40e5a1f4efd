// googlevideo (the oracle) adapters: our value representation <-> googlevideo's ts-proto objects,
// plus a small independent encoder for forms googlevideo never writes (unpacked, explicit defaults).
import * as GV from "googlevideo/protos";
import { TimeRange } from "../../node_modules/googlevideo/dist/protos/generated/video_streaming/time_range.js";
import { StreamerContext_SabrContext } from "../../node_modules/googlevideo/dist/protos/generated/video_streaming/streamer_context.js";
import { PlaybackStartPolicy_ReadaheadPolicy } from "../../node_modules/googlevideo/dist/protos/generated/video_streaming/playback_start_policy.js";
import type { FieldInfo, Schema } from "../codegen/schema.ts";
import { findMessage, type Msg, type Rng, type Value } from "./values.ts";

interface Codec {
    encode(message: unknown): { finish(): Uint8Array };
    decode(input: Uint8Array): Record<string, unknown>;
}

/** Our message name -> googlevideo codec (SabrErrorDetail has no googlevideo counterpart). */
export const GV_CODECS: Record<string, Codec> = {
    FormatId: GV.FormatId,
    TimeRange,
    ByteRange: GV.Range,
    ClientAbrState: GV.ClientAbrState,
    ClientInfo: GV.ClientInfo,
    SabrContext: StreamerContext_SabrContext,
    StreamerContext: GV.StreamerContext,
    BufferedRange: GV.BufferedRange,
    VideoPlaybackAbrRequest: GV.VideoPlaybackAbrRequest,
    MediaHeader: GV.MediaHeader,
    NextRequestPolicy: GV.NextRequestPolicy,
    FormatInitializationMetadata: GV.FormatInitializationMetadata,
    SabrRedirect: GV.SabrRedirect,
    SabrError: GV.SabrError,
    SabrContextUpdate: GV.SabrContextUpdate,
    SabrContextSendingPolicy: GV.SabrContextSendingPolicy,
    StreamProtectionStatus: GV.StreamProtectionStatus,
    ReloadPlaybackParams: GV.ReloadPlaybackParams,
    ReloadPlaybackContext: GV.ReloadPlaybackContext,
    ReadaheadPolicy: PlaybackStartPolicy_ReadaheadPolicy,
    PlaybackStartPolicy: GV.PlaybackStartPolicy,
    SabrSeek: GV.SabrSeek,
    SnackbarMessage: GV.SnackbarMessage,
    LiveMetadata: GV.LiveMetadata,
} as unknown as Record<string, Codec>;

/** googlevideo types NextRequestPolicy.playback_cookie as a PlaybackCookie message; we keep its bytes. */
const COOKIE_FIELDS = new Set(["NextRequestPolicy.playbackCookie"]);

/** Whether googlevideo's schema has this field (decoding an empty buffer lists every known key). */
export function gvKnows(name: string, field: FieldInfo): boolean {
    const codec = GV_CODECS[name];
    return codec !== undefined && field.name in codec.decode(new Uint8Array());
}

/** Adjusts random values so googlevideo can represent them (the cookie must be a non-empty PlaybackCookie). */
export function fixForOracle(schema: Schema, name: string, msg: Msg, rng: Rng): Msg {
    for (const f of findMessage(schema, name).fields) {
        const v = msg[f.name];
        if (v === undefined) continue;
        if (COOKIE_FIELDS.has(`${name}.${f.name}`)) {
            const cookie = {
                resolution: 1 + rng.int(999999),
                field2: rng.int(3),
                videoFmt: rng.chance(0.7) ? { itag: 248, lastModified: "1700000000000001", xtags: "" } : undefined,
                audioFmt: { itag: 140, lastModified: "0", xtags: rng.chance(0.5) ? "ChAKBWFjb250" : "" },
            };
            msg[f.name] = GV.PlaybackCookie.encode(cookie).finish();
        } else if (f.kind === "message") {
            msg[f.name] = f.repeated
                ? (v as Msg[]).map((x) => fixForOracle(schema, f.messageType!, x, rng))
                : fixForOracle(schema, f.messageType!, v as Msg, rng);
        }
    }
    return msg;
}

/** Our representation -> googlevideo object (fields googlevideo lacks are left out). */
export function toGv(schema: Schema, name: string, msg: Msg): Record<string, unknown> {
    // Start from googlevideo's own defaults: its encoders iterate repeated fields unguarded (even ones we lack).
    const out: Record<string, unknown> = GV_CODECS[name]?.decode(new Uint8Array()) ?? {};
    for (const f of findMessage(schema, name).fields) {
        // googlevideo's encoder iterates repeated scalars unguarded (throws on undefined) and always writes them packed.
        // Its proto2 `required` fields (BufferedRange) are also unguarded, so missing scalars get their defaults
        // (which ts-proto then omits, so the bytes are unchanged).
        const v = msg[f.name] ?? (f.repeated ? [] : defaultFor(f, name));
        if (v === undefined || !gvKnows(name, f)) continue;
        const one = (x: Value): unknown => {
            if (COOKIE_FIELDS.has(`${name}.${f.name}`)) return GV.PlaybackCookie.decode(x as Uint8Array);
            switch (f.kind) {
                case "message":
                    return toGv(schema, f.messageType!, x as Msg);
                case "int64":
                    return BigInt.asIntN(64, x as bigint).toString();
                case "uint64":
                    return BigInt.asUintN(64, x as bigint).toString();
                case "uint32":
                    return Number(x);
                default:
                    return x;
            }
        };
        out[f.name] = f.repeated ? (v as Value[]).map(one) : one(v);
    }
    return out;
}

function defaultFor(f: FieldInfo, name: string): Value {
    if (f.repeated || f.kind === "message" || COOKIE_FIELDS.has(`${name}.${f.name}`)) return undefined;
    switch (f.kind) {
        case "bool":
            return false;
        case "string":
            return "";
        case "bytes":
            return new Uint8Array();
        case "int64":
        case "uint64":
        case "uint32":
            return 0n;
        default:
            return 0;
    }
}

/** googlevideo object -> our representation (only the fields googlevideo knows). */
export function fromGv(schema: Schema, name: string, obj: Record<string, unknown> | undefined): Msg | undefined {
    if (obj === undefined) return undefined;
    const out: Msg = {};
    for (const f of findMessage(schema, name).fields) {
        if (!gvKnows(name, f)) continue;
        const v = obj[f.name];
        if (v === undefined) continue;
        const one = (x: unknown): Value => {
            if (COOKIE_FIELDS.has(`${name}.${f.name}`)) return GV.PlaybackCookie.encode(x as GV.PlaybackCookie).finish();
            switch (f.kind) {
                case "message":
                    return fromGv(schema, f.messageType!, x as Record<string, unknown>);
                case "int64":
                case "uint64":
                case "uint32":
                    return BigInt(x as string | number);
                default:
                    return x as Value;
            }
        };
        out[f.name] = f.repeated ? (v as unknown[]).map(one) : one(v);
    }
    return out;
}

/** Removes the fields googlevideo does not know (what a googlevideo decode can be compared with). */
export function onlyGvFields(schema: Schema, name: string, msg: Msg): Msg {
    const out: Msg = {};
    for (const f of findMessage(schema, name).fields) {
        const v = msg[f.name];
        if (v === undefined || !gvKnows(name, f)) continue;
        if (f.kind === "message")
            out[f.name] = f.repeated
                ? (v as Msg[]).map((x) => onlyGvFields(schema, f.messageType!, x))
                : onlyGvFields(schema, f.messageType!, v as Msg);
        else out[f.name] = v;
    }
    return out;
}

/** googlevideo's encoding, plus our own encoding of fields it lacks (they must be the highest-numbered). */
export function gvEncode(schema: Schema, name: string, msg: Msg): Uint8Array {
    const codec = GV_CODECS[name];
    const message = findMessage(schema, name);
    const unknown = message.fields.filter((f) => !gvKnows(name, f));
    if (!codec) return refEncode(schema, name, msg, { unpacked: false, explicitDefaults: false });
    const known = message.fields.filter((f) => gvKnows(name, f));
    if (unknown.some((u) => known.some((k) => k.number > u.number)))
        throw new Error(`${name}: fields unknown to googlevideo must come last`);
    const head = codec.encode(toGv(schema, name, msg)).finish();
    const tailMsg: Msg = Object.fromEntries(unknown.map((f) => [f.name, msg[f.name]]));
    const tail = refEncode(schema, name, tailMsg, { unpacked: false, explicitDefaults: false, only: new Set(unknown.map((f) => f.name)) });
    return Buffer.concat([head, tail]);
}

// ---- reference encoder (independent of googlevideo and of the BrightScript code) ----

export interface RefOptions {
    unpacked: boolean;
    explicitDefaults: boolean;
    only?: Set<string>;
}

export function varint(v: bigint): number[] {
    let x = BigInt.asUintN(64, v);
    const out: number[] = [];
    while (x >= 0x80n) {
        out.push(Number(x & 0x7fn) | 0x80);
        x >>= 7n;
    }
    out.push(Number(x));
    return out;
}

export function refEncode(schema: Schema, name: string, msg: Msg, options: RefOptions): Uint8Array {
    const out: number[] = [];
    for (const f of findMessage(schema, name).fields) {
        if (options.only && !options.only.has(f.name)) continue;
        const v = msg[f.name];
        if (v === undefined) continue;
        const key = (wire: number) => out.push(...varint(BigInt(f.number * 8 + wire)));
        const scalar = (x: Value): number[] => {
            switch (f.kind) {
                case "sint32": {
                    const n = x as number;
                    return varint(BigInt((n << 1) ^ (n >> 31)) & 0xffffffffn);
                }
                case "bool":
                    return [x ? 1 : 0];
                case "float": {
                    const b = Buffer.alloc(4);
                    b.writeFloatLE(x as number);
                    return [...b];
                }
                default:
                    return varint(BigInt(x as number | bigint));
            }
        };
        const lenDelimited = (bytes: Uint8Array | number[]) => {
            out.push(...varint(BigInt(bytes.length)), ...bytes);
        };
        if (f.repeated && f.kind !== "message") {
            const items = v as Value[];
            if (options.unpacked) {
                for (const x of items) {
                    key(0);
                    out.push(...scalar(x));
                }
            } else {
                key(2);
                lenDelimited(items.flatMap(scalar));
            }
            continue;
        }
        for (const x of f.repeated ? (v as Value[]) : [v]) {
            if (f.kind === "message") {
                key(2);
                lenDelimited(refEncode(schema, f.messageType!, x as Msg, { ...options, only: undefined }));
            } else if (f.kind === "string") {
                if (x === "" && !options.explicitDefaults) continue;
                key(2);
                lenDelimited([...Buffer.from(x as string, "utf8")]);
            } else if (f.kind === "bytes") {
                if ((x as Uint8Array).length === 0 && !options.explicitDefaults) continue;
                key(2);
                lenDelimited(x as Uint8Array);
            } else if (f.kind === "float") {
                if (x === 0 && !options.explicitDefaults) continue;
                key(5);
                out.push(...scalar(x));
            } else if ((x !== 0 && x !== 0n && x !== false) || options.explicitDefaults) {
                key(0);
                out.push(...scalar(x));
            }
        }
    }
    return new Uint8Array(out);
}
