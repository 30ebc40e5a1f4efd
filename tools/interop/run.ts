// Runs interop vectors through the BrightScript codecs in the simulator and judges every result.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { buildPackage } from "../build/bsc.ts";
import { loadSchema } from "../codegen/schema.ts";
import type { Simulator } from "../sim/simulator.ts";
import { Rng, schemaDescriptor } from "./values.ts";
import { fixedVectors, randomVectors, type Vector } from "./vectors.ts";

export interface InteropResult {
    vectors: number;
    mismatches: Array<{ id: number; label: string; problem: string }>;
    /** Milliseconds the channel spent on the vectors (its own clock) and the whole simulator run. */
    channelMs: number;
    runMs: number;
    failure?: string;
}

const LINES_PER_FILE = 1000;

export function buildVectors(count: number, seed: number): Vector[] {
    const schema = loadSchema();
    const fixed = fixedVectors(schema);
    return [...fixed, ...randomVectors(schema, new Rng(seed), Math.max(0, count - fixed.length))];
}

/** Writes the vector files, builds the interop package and returns its path. */
export async function buildInteropPackage(vectors: Vector[], name = "interop"): Promise<string> {
    const dir = `out/${name}/vectors`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const files: string[] = [];
    for (let i = 0; i < vectors.length; i += LINES_PER_FILE) {
        const file = `v${files.length}.txt`;
        const lines = vectors.slice(i, i + LINES_PER_FILE).map((v, j) => {
            const [kind, ...rest] = v.line.split("\t");
            return [kind, String(i + j), ...rest].join("\t");
        });
        writeFileSync(`${dir}/${file}`, lines.join("\n") + "\n");
        files.push(file);
    }
    writeFileSync(`${dir}/index.txt`, files.join("\n") + "\n");
    writeFileSync(`${dir}/schema.json`, JSON.stringify(schemaDescriptor(loadSchema())));
    const build = await buildPackage("bsconfig.json", {
        files: [
            "manifest",
            { src: "src/shared/**/*", dest: "source/shared" },
            { src: "tests/interop/channel/source/**/*", dest: "source/interop" },
            { src: `${dir}/**/*`, dest: "interop" },
        ],
        stagingDir: `out/staging/${name}`,
        outFile: `out/packages/${name}.zip`,
    });
    if (!build.ok) throw new Error(`interop package does not build:\n${build.problems.join("\n")}`);
    return build.outFile;
}

export async function runInterop(simulator: Simulator, vectors: Vector[], timeoutMs: number, name = "interop"): Promise<InteropResult> {
    const zip = await buildInteropPackage(vectors, name);
    const results = new Map<number, string>();
    let channelMs = 0;
    const run = await simulator.run(zip, {
        timeoutMs,
        until: /^interop-done /,
        onLine(line) {
            if (line.startsWith("R\t")) {
                const [, id, ...rest] = line.split("\t");
                results.set(Number(id), rest.join("\t"));
            } else if (line.startsWith("interop-done ")) {
                channelMs = Number(line.split(" ")[2]);
            }
        },
    });
    const mismatches: InteropResult["mismatches"] = [];
    vectors.forEach((vector, id) => {
        const result = results.get(id);
        const problem = result === undefined ? "no result (channel crashed or stopped?)" : vector.judge(result);
        if (problem) mismatches.push({ id, label: vector.label, problem });
    });
    const failure = run.outcome === "matched" ? undefined : `${run.outcome}: ${run.reason}`;
    return { vectors: vectors.length, mismatches, channelMs, runMs: run.durationMs, failure };
}
