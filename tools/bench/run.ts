// npm run bench [-- <name-filter>]: runs every tests/bench/*.bench.ts in turn; each prints JSON lines.
import { spawnSync } from "node:child_process";
import { findFiles } from "../test/find-files.ts";

const filter = process.argv[2];
const files = findFiles("tests/bench", ".bench.ts").filter((file) => !filter || file.includes(filter));
let failures = 0;
for (const file of files) {
    const result = spawnSync(process.execPath, ["--import", "tsx", file], { stdio: ["ignore", "inherit", "inherit"] });
    if (result.status !== 0) {
        failures += 1;
        console.error(`bench: ${file} exited with ${result.status ?? result.signal}`);
    }
}
if (files.length === 0) console.error("bench: no benchmarks found under tests/bench");
process.exit(failures > 0 || files.length === 0 ? 1 : 0);
