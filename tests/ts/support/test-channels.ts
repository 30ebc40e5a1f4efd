// Builds the small test channels of tests/channels/<name>: the channel's own scene and driver
// tasks, with the product's src/ (its main.bs aside) and components/, and a JSON config the test
// writes for it.
import { mkdir, writeFile } from "node:fs/promises";
import { buildPackage } from "../../../tools/build/bsc.ts";

export interface TestChannelOptions {
    /** Build folder (out/<something>). */
    outDir: string;
    /** Written to <outDir>/<configName> and packaged at the zip root, where the channel reads it. */
    configName: string;
    config: unknown;
    /** More files for the package (e.g. fixtures). */
    extra?: Array<{ src: string; dest: string }>;
}

/** Returns the zip path; throws with bsc's diagnostics when the channel does not build. */
export async function buildTestChannel(name: string, options: TestChannelOptions): Promise<string> {
    await mkdir(options.outDir, { recursive: true });
    const configPath = `${options.outDir}/${options.configName}`;
    await writeFile(configPath, JSON.stringify(options.config));
    const build = await buildPackage("bsconfig.json", {
        files: [
            { src: `tests/channels/${name}/**/*`, dest: "" },
            { src: configPath, dest: "" },
            ...(options.extra ?? []),
            { src: "src/**/*", dest: "source" },
            "!src/main.bs",
            { src: "components/**/*", dest: "components" },
        ],
        stagingDir: `${options.outDir}/staging`,
        outFile: `${options.outDir}/${name}.zip`,
    });
    if (!build.ok) throw new Error(`test channel ${name} does not build:\n${build.problems.join("\n")}`);
    return build.outFile;
}
