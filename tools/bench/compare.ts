// npm run bench:compare -- <git-ref> [--filter <text>] [--rounds <n>]
// Runs the benchmarks of an earlier commit and of this working tree in turn, file by file, in one
// run, so both meet the same machine load, and prints one JSON line per bench with both figures and
// their ratio (this tree / the earlier one) for every number the bench reports. The earlier commit
// is checked out into out/bench-base/<commit> with its own `npm ci`.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { findFiles } from "../test/find-files.ts";

const HELP = `usage: npm run bench:compare -- <git-ref> [--filter <text>] [--rounds <n>]
  <git-ref>        the commit to compare against (e.g. main, HEAD~3, a tag)
  --filter <text>  only bench files whose path contains <text>
  --rounds <n>     how many times each tree runs each file, alternating (default 1)
Prints one JSON line per bench: {"bench":"compare/<name>","base":{...},"head":{...},"ratio":{...}};
ratio is head / base for every numeric field both report. Figures are as noisy as the benches:
read ratios, not single numbers.`;

type Figures = Record<string, number>;

/** A bench file that runs longer than this is stopped and reported (its figures are left out). */
const BENCH_TIMEOUT_MS = 15 * 60_000;

function fail(message: string): never {
    console.error(`bench:compare: ${message}`);
    process.exit(2);
}

function checkout(ref: string): string {
    let commit: string;
    try {
        commit = execFileSync("git", ["rev-parse", "--verify", `${ref}^{commit}`], { encoding: "utf8" }).trim();
    } catch {
        fail(`no commit named "${ref}"`);
    }
    const dir = resolve("out/bench-base", commit.slice(0, 12));
    if (!existsSync(dir)) {
        mkdirSync("out/bench-base", { recursive: true });
        console.error(`bench:compare: checking out ${commit.slice(0, 12)} into ${dir}`);
        execFileSync("git", ["worktree", "add", "--detach", dir, commit], { stdio: ["ignore", "ignore", "inherit"] });
    }
    if (!existsSync(`${dir}/node_modules`)) {
        console.error("bench:compare: npm ci in the earlier tree (about a minute)");
        execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
    }
    return dir;
}

/** Runs one bench file in one tree; the numeric fields of each JSON line by bench name. */
function runBench(cwd: string, file: string, label: string): Map<string, Figures> {
    console.error(`bench:compare: ${label} ${file}`);
    const result = spawnSync(process.execPath, ["--import", "tsx", file], {
        cwd,
        encoding: "utf8",
        maxBuffer: 64 << 20,
        timeout: BENCH_TIMEOUT_MS,
    });
    if (result.status !== 0)
        console.error(`bench:compare: ${label} ${file} exited with ${result.status ?? result.signal}\n${result.stderr}`);
    const figures = new Map<string, Figures>();
    for (const line of result.stdout.split("\n")) {
        if (!line.startsWith("{")) continue;
        const record = JSON.parse(line) as Record<string, unknown>;
        if (typeof record.bench !== "string") continue;
        const numbers: Figures = {};
        for (const [key, value] of Object.entries(record)) if (typeof value === "number") numbers[key] = value;
        figures.set(record.bench, numbers);
    }
    return figures;
}

/** The mean of each field over the rounds that reported it. */
function mean(rounds: Figures[]): Figures {
    const sums: Record<string, { total: number; count: number }> = {};
    for (const round of rounds) {
        for (const [key, value] of Object.entries(round)) {
            const sum = (sums[key] ??= { total: 0, count: 0 });
            sum.total += value;
            sum.count += 1;
        }
    }
    return Object.fromEntries(Object.entries(sums).map(([key, { total, count }]) => [key, Number((total / count).toPrecision(4))]));
}

function main(): void {
    const { values, positionals } = parseArgs({
        allowPositionals: true,
        options: { filter: { type: "string" }, rounds: { type: "string", default: "1" }, help: { type: "boolean", short: "h" } },
    });
    if (values.help) {
        console.log(HELP);
        return;
    }
    const ref = positionals[0] ?? fail(`name the commit to compare against\n${HELP}`);
    const rounds = Number(values.rounds);
    if (!Number.isInteger(rounds) || rounds < 1) fail(`--rounds takes a whole number of at least 1, not "${values.rounds}"`);
    const baseDir = checkout(ref);
    const files = findFiles("tests/bench", ".bench.ts").filter((file) => !values.filter || file.includes(values.filter));
    if (files.length === 0) fail("no bench files match");
    for (const file of files) {
        if (!existsSync(`${baseDir}/${file}`)) {
            console.error(`bench:compare: ${file} is new since ${ref}; skipped`);
            continue;
        }
        const base = new Map<string, Figures[]>();
        const head = new Map<string, Figures[]>();
        for (let round = 0; round < rounds; round++) {
            for (const [tree, cwd, into] of [
                ["base", baseDir, base],
                ["head", process.cwd(), head],
            ] as const) {
                for (const [bench, figures] of runBench(cwd, file, `${tree} round ${round + 1}`)) {
                    into.set(bench, [...(into.get(bench) ?? []), figures]);
                }
            }
        }
        for (const [bench, headRounds] of head) {
            const baseRounds = base.get(bench);
            if (!baseRounds) continue;
            const before = mean(baseRounds);
            const after = mean(headRounds);
            const ratio: Figures = {};
            for (const key of Object.keys(after)) {
                if (before[key] !== undefined && before[key] !== 0) ratio[key] = Number((after[key]! / before[key]).toFixed(3));
            }
            console.log(JSON.stringify({ bench: `compare/${bench}`, ref, rounds, base: before, head: after, ratio }));
        }
    }
}

main();
