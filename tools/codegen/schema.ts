// Loads the .proto schema with protobufjs and reduces it to the facts the generators need.
import protobuf from "protobufjs";
import { readdirSync } from "node:fs";
import { join } from "node:path";

export type ScalarKind = "int32" | "sint32" | "uint32" | "int64" | "uint64" | "bool" | "string" | "bytes" | "float";

export interface FieldInfo {
    name: string; // camelCase key used in BrightScript associative arrays and in googlevideo objects
    protoName: string;
    number: number;
    kind: ScalarKind | "message";
    messageType?: string; // for kind "message"
    repeated: boolean;
}

export interface MessageInfo {
    name: string;
    fields: FieldInfo[]; // declaration order = write order (googlevideo writes in its .proto declaration order)
}

export interface EnumInfo {
    name: string;
    values: Array<{ name: string; value: number }>;
}

export interface Schema {
    messages: MessageInfo[];
    enums: EnumInfo[];
}

export const SCHEMA_DIR = "tools/codegen/schema";

const SCALARS: Record<string, ScalarKind> = {
    int32: "int32",
    sint32: "sint32",
    uint32: "uint32",
    int64: "int64",
    uint64: "uint64",
    bool: "bool",
    string: "string",
    bytes: "bytes",
    float: "float",
};

export function camelCase(snake: string): string {
    return snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function loadSchema(dir: string = SCHEMA_DIR): Schema {
    const files = readdirSync(dir)
        .filter((f) => f.endsWith(".proto"))
        .sort()
        .map((f) => join(dir, f));
    const root = new protobuf.Root();
    root.loadSync(files, { keepCase: true });
    root.resolveAll();
    const messages: MessageInfo[] = [];
    const enums: EnumInfo[] = [];
    for (const item of root.nestedArray.flatMap((ns) => (ns instanceof protobuf.Namespace ? ns.nestedArray : []))) {
        if (item instanceof protobuf.Type) messages.push(toMessage(item));
        else if (item instanceof protobuf.Enum)
            enums.push({ name: item.name, values: Object.entries(item.values).map(([name, value]) => ({ name, value })) });
    }
    return { messages, enums };
}

function toMessage(type: protobuf.Type): MessageInfo {
    const fields = type.fieldsArray.map((field): FieldInfo => {
        const scalar = SCALARS[field.type];
        if (!scalar && !(field.resolvedType instanceof protobuf.Type)) {
            throw new Error(`${type.name}.${field.name}: unsupported type ${field.type}`);
        }
        if (field.map) throw new Error(`${type.name}.${field.name}: maps are not supported`);
        return {
            name: camelCase(field.name),
            protoName: field.name,
            number: field.id,
            kind: scalar ?? "message",
            messageType: scalar ? undefined : field.resolvedType!.name,
            repeated: field.repeated,
        };
    });
    for (const f of fields) {
        if (f.repeated && f.kind !== "message" && f.kind !== "int32") {
            throw new Error(`${type.name}.${f.name}: repeated ${f.kind} is not supported (only int32 and messages)`);
        }
    }
    return { name: type.name, fields };
}

/** Wire type a field is written with (repeated int32 is packed). */
export function wireType(field: FieldInfo): number {
    if (field.repeated && field.kind !== "message") return 2;
    switch (field.kind) {
        case "string":
        case "bytes":
        case "message":
            return 2;
        case "float":
            return 5;
        default:
            return 0;
    }
}

export function tagOf(number: number, wire: number): number {
    return number * 8 + wire;
}

/** The protobuf varint bytes of a tag (tags are small and positive). */
export function tagBytes(tag: number): number[] {
    const out: number[] = [];
    let v = tag;
    while (v >= 0x80) {
        out.push((v & 0x7f) | 0x80);
        v >>>= 7;
    }
    out.push(v);
    return out;
}

/** UMP part type -> message carried in its payload (MEDIA and MEDIA_END carry a header id, not protobuf). */
export const PART_MESSAGES: Record<number, string> = {
    20: "MediaHeader",
    31: "LiveMetadata",
    35: "NextRequestPolicy",
    42: "FormatInitializationMetadata",
    43: "SabrRedirect",
    44: "SabrError",
    45: "SabrSeek",
    46: "ReloadPlaybackContext",
    47: "PlaybackStartPolicy",
    57: "SabrContextUpdate",
    58: "StreamProtectionStatus",
    59: "SabrContextSendingPolicy",
    67: "SnackbarMessage",
};
