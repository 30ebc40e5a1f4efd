// Builds a Rooibos test package from the channel plus one folder of specs (used by harness tests):
// the test project's files, with its specs swapped for `specDir`.
import { readFileSync } from "node:fs";
import { buildPackage, type BuildResult } from "../build/bsc.ts";

type FileEntry = string | { src: string; dest: string };

export async function buildSpecPackage(specDir: string, name: string): Promise<BuildResult> {
    const testProject = JSON.parse(readFileSync("bsconfig.tests.json", "utf8")) as { files: FileEntry[] };
    const files = testProject.files.map((entry) =>
        typeof entry !== "string" && entry.src.startsWith("tests/spec/") ? { src: `${specDir}/**/*.bs`, dest: entry.dest } : entry,
    );
    return buildPackage("bsconfig.tests.json", {
        files,
        stagingDir: `out/staging/${name}`,
        outFile: `out/packages/${name}.zip`,
    });
}
