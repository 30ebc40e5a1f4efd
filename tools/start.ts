// npm start: the main job. Builds the channel and runs it in the simulator, printing its status.
// (Later stages add the local SABR origin, the network bridge and a DASH player; see README.md.)
import { parseArgs } from "node:util";
import { buildPackage } from "./build/bsc.ts";
import { Simulator } from "./sim/simulator.ts";

const USAGE = `Usage: npm start [-- options]     (or: make start)

Builds the channel (out/channel.zip) and runs it in the simulator (brs-engine + SceneGraph in
headless Chromium) until MainScene reports that it is ready, printing the channel's console.

Options:
  --timeout <s>   give up after this many seconds (default 60)
  --headed        show the browser window (needs a display)
  -h, --help      show this help`;

const { values } = parseArgs({
    options: {
        timeout: { type: "string", default: "60" },
        headed: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
    },
});
if (values.help) {
    console.log(USAGE);
    process.exit(0);
}

function stageFailed(stage: string, reason: string): never {
    console.error(`start: stage "${stage}" failed: ${reason}`);
    process.exit(1);
}

console.log("start: [1/2] building the channel");
const build = await buildPackage("bsconfig.json");
if (!build.ok) stageFailed("build", `${build.problems.length} compiler problem(s)`);

console.log(`start: [2/2] running ${build.outFile} in the simulator`);
const simulator = await Simulator.launch({ headed: values.headed }).catch((error: Error) => stageFailed("simulator", error.message));
try {
    const result = await simulator.run(build.outFile, {
        timeoutMs: Number(values.timeout) * 1000,
        until: /\[MainScene\] status: ready/,
        onLine: (line) => console.log(`  channel | ${line}`),
    });
    if (result.outcome !== "matched") stageFailed("channel", result.reason);
    console.log(`start: the channel is up (${(result.durationMs / 1000).toFixed(1)} s from launch to ready)`);
} finally {
    await simulator.close();
}
