// Runs every TypeScript test (tests/ts/**/*.test.ts) with Node's test runner, or the files given.
import { spawnSync } from "node:child_process";
import { findFiles } from "./find-files.ts";

const files = process.argv.slice(2).length > 0 ? process.argv.slice(2) : findFiles("tests/ts", ".test.ts");
if (files.length === 0) {
    console.error("test:ts: no test files found under tests/ts");
    process.exit(1);
}
const result = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", ...files], {
    stdio: "inherit",
});
process.exit(result.status ?? 1);
