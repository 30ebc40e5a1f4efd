// Everything the generator writes, as (path, text) pairs, computed in memory.
import { emitBrightScript, emitInteropTables, GENERATED_FILE, INTEROP_TABLE_FILE } from "./emit-brs.ts";
import { loadSchema } from "./schema.ts";
import { emitMessages, MESSAGES_FILE } from "../messages/generate-messages.ts";

export function generatedFiles(): Array<[string, string]> {
    const schema = loadSchema();
    return [
        [GENERATED_FILE, emitBrightScript(schema)],
        [INTEROP_TABLE_FILE, emitInteropTables(schema)],
        [MESSAGES_FILE, emitMessages()],
    ];
}
