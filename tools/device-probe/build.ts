// Builds the device probe channel (tools/device-probe/channel) into a sideloadable zip with bsc,
// optionally with its launch parameters packaged as pkg:/probe.json (the simulator has no way
// to pass launch parameters; a device gets them through ECP).
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildPackage } from "../build/bsc.ts";

export const PROBE_CHANNEL_DIR = "tools/device-probe/channel";

/** What the channel reads from its launch parameters (or pkg:/probe.json). */
export interface ProbeLaunchParams {
    /** Where the channel POSTs its report (the CLI's receiver). */
    reportUrl: string;
    /** The local origin's base URL, as the device reaches it. */
    originUrl: string;
    /** The loopback port the channel's socket questions listen on. */
    listenPort: number;
}

/** Returns the zip path; throws with bsc's diagnostics when the channel does not build. */
export async function buildProbe(outDir: string, packaged?: ProbeLaunchParams): Promise<string> {
    await mkdir(outDir, { recursive: true });
    const paramsDir = join(outDir, "params");
    await rm(paramsDir, { recursive: true, force: true });
    const files: Array<string | { src: string; dest: string }> = [{ src: `${PROBE_CHANNEL_DIR}/**/*`, dest: "" }];
    if (packaged) {
        await mkdir(paramsDir, { recursive: true });
        await writeFile(join(paramsDir, "probe.json"), JSON.stringify(packaged));
        files.push({ src: join(paramsDir, "probe.json"), dest: "" });
    }
    const build = await buildPackage("bsconfig.json", {
        rootDir: ".",
        files,
        stagingDir: join(outDir, "staging"),
        outFile: join(outDir, "probe.zip"),
    });
    if (!build.ok) throw new Error(`the probe channel does not build:\n${build.problems.join("\n")}`);
    return build.outFile;
}
