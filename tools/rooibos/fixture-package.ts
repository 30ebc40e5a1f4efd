// Builds a Rooibos test package from the channel plus one folder of specs (used by harness tests).
import { buildPackage, type BuildResult } from "../build/bsc.ts";

export async function buildSpecPackage(specDir: string, name: string): Promise<BuildResult> {
    return buildPackage("bsconfig.tests.json", {
        files: [
            "manifest",
            { src: "src/**/*", dest: "source" },
            "components/**/*",
            "images/**/*",
            { src: `${specDir}/**/*.spec.bs`, dest: "source/tests" },
        ],
        stagingDir: `out/staging/${name}`,
        outFile: `out/packages/${name}.zip`,
    });
}
