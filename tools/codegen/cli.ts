// npm run generate [-- --check]: regenerates the BrighterScript codecs from the schema.
// --check regenerates in memory and fails (exit 1) when the committed file differs.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { generatedFiles } from "./generate.ts";

const check = process.argv.includes("--check");
let stale = 0;
for (const [path, text] of generatedFiles()) {
    const current = existsSync(path) ? readFileSync(path, "utf8") : undefined;
    if (current === text) continue;
    if (check) {
        console.error(`generate --check: ${path} is out of date; run npm run generate`);
        stale += 1;
    } else {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, text);
        console.log(`generate: wrote ${path}`);
    }
}
if (check && stale === 0) console.log("generate --check: generated code is up to date");
process.exit(stale > 0 ? 1 : 0);
