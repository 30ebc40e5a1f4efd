import { readdirSync } from "node:fs";
import { join } from "node:path";

/** Files under `dir` (recursively) whose names end with `suffix`, sorted for a stable order. */
export function findFiles(dir: string, suffix: string): string[] {
    let entries;
    try {
        entries = readdirSync(dir, { withFileTypes: true });
    } catch {
        return [];
    }
    return entries
        .flatMap((entry) => {
            const path = join(dir, entry.name);
            if (entry.isDirectory()) return findFiles(path, suffix);
            return entry.name.endsWith(suffix) ? [path] : [];
        })
        .sort();
}
