// npm run bench [-- <name-filter>] [--report <dir>]: runs every tests/bench/*.bench.ts in turn; each
// prints JSON lines. --report <dir> asks the benchmarks that play a title to write the playback
// page of each run there (tools/report; today tests/bench/video.bench.ts and readahead.bench.ts), through BENCH_REPORT_DIR.
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { findFiles } from "../test/find-files.ts";

const { values, positionals } = parseArgs({ options: { report: { type: "string" } }, allowPositionals: true });
const filter = positionals[0];
const env = values.report ? { ...process.env, BENCH_REPORT_DIR: resolve(values.report) } : process.env;
const files = findFiles("tests/bench", ".bench.ts").filter((file) => !filter || file.includes(filter));
let failures = 0;
for (const file of files) {
    const result = spawnSync(process.execPath, ["--import", "tsx", file], { stdio: ["ignore", "inherit", "inherit"], env });
    if (result.status !== 0) {
        failures += 1;
        console.error(`bench: ${file} exited with ${result.status ?? result.signal}`);
    }
}
if (files.length === 0) console.error("bench: no benchmarks found under tests/bench");
process.exit(failures > 0 || files.length === 0 ? 1 : 0);
