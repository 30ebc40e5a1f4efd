// Builds the bridge test channels (tests/bridge/<name> over tests/bridge/common) into out/bridge/.
import { buildPackage } from "../../../tools/build/bsc.ts";

/** `extra` adds generated files (e.g. a config with the test server's port) to the package. */
export async function buildBridgeChannel(name: string, extra: { src: string; dest: string }[] = []): Promise<string> {
    const result = await buildPackage("bsconfig.json", {
        rootDir: ".",
        files: [{ src: "tests/bridge/common/**/*", dest: "" }, { src: `tests/bridge/${name}/**/*`, dest: "" }, ...extra],
        stagingDir: `out/bridge/staging-${name}`,
        outFile: `out/bridge/${name}.zip`,
    });
    if (!result.ok) throw new Error(`bridge channel ${name} does not build:\n${result.problems.join("\n")}`);
    return result.outFile;
}
