// npm start: the main job. Starts the local SABR origin, builds the channel pointed at it, runs it
// in the simulator with real sockets (network bridge), and shows the channel serving the rewritten
// manifest to a real HTTP client. (The DASH player and the SABR pipeline come in later stages.)
import { parseArgs } from "node:util";
import { mkdir, writeFile } from "node:fs/promises";
import { buildPackage } from "./build/bsc.ts";
import { Simulator } from "./sim/simulator.ts";
import { startOrigin, type OriginHandle } from "./origin/server.ts";

const USAGE = `Usage: npm start [-- options]     (or: make start)

Starts the local SABR origin, builds the channel with the origin's manifest URL, runs the channel
in the simulator (brs-engine + SceneGraph in headless Chromium) with real sockets, waits until
its server serves the rewritten manifest, fetches it like a player would and prints a summary.

Options:
  --title <id>       origin title: sabrOrigin1 (60 s) or sabrOrigin2 (30 s) (default sabrOrigin1)
  --variant <name>   manifest variant: single, multi or unscoped (default single)
  --timeout <s>      give up after this many seconds (default 120)
  --headed           show the browser window (needs a display)
  -h, --help         show this help`;

const { values } = parseArgs({
    options: {
        title: { type: "string", default: "sabrOrigin1" },
        variant: { type: "string", default: "single" },
        timeout: { type: "string", default: "120" },
        headed: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
    },
});
if (values.help) {
    console.log(USAGE);
    process.exit(0);
}

/** What is running, so a failing stage can shut it down. */
const running: { origin?: OriginHandle; simulator?: Simulator } = {};

async function stageFailed(stage: string, reason: string): Promise<never> {
    console.error(`start: stage "${stage}" failed: ${reason}`);
    await running.simulator?.close();
    await running.origin?.close();
    process.exit(1);
}

if (!["single", "multi", "unscoped"].includes(values.variant)) await stageFailed("options", `unknown --variant ${values.variant}`);

console.log("start: [1/4] starting the local SABR origin");
const origin = await startOrigin({ port: 0 }).catch((error: Error) => stageFailed("origin", error.message));
running.origin = origin;
if (!origin.titles.has(values.title)) await stageFailed("options", `unknown --title ${values.title} (have: ${[...origin.titles.keys()].join(", ")})`);
const manifestUrl = `${origin.url}/manifest/${values.title}.mpd?variant=${values.variant}`;
console.log(`        ${manifestUrl}`);

console.log("start: [2/4] building the channel");
await mkdir("out/start", { recursive: true });
await writeFile("out/start/channel.json", JSON.stringify({ manifestUrl, server: {} }, null, 2));
const build = await buildPackage("bsconfig.json", {
    files: ["manifest", { src: "src/**/*", dest: "source" }, "components/**/*", "images/**/*", { src: "out/start/channel.json", dest: "config/channel.json" }],
    stagingDir: "out/staging/start",
    outFile: "out/start/channel.zip",
});
if (!build.ok) await stageFailed("build", `${build.problems.length} compiler problem(s)`);

console.log("start: [3/4] running the channel in the simulator");
const simulator = await Simulator.launch({ headed: values.headed, bridge: { portMap: { 7010: 0, 7011: 0, 7012: 0 } } }).catch((error: Error) =>
    stageFailed("simulator", error.message)
);
running.simulator = simulator;
const stopRun = new AbortController();
let serving: (line: string) => void = () => undefined;
const servingLine = new Promise<string>((resolve) => (serving = resolve));
const run = simulator.run(build.outFile, {
    timeoutMs: Number(values.timeout) * 1000,
    signal: stopRun.signal,
    onLine: (line) => {
        console.log(`  channel | ${line}`);
        if (/\[MainScene\] status: (serving|error)/.test(line)) serving(line);
    },
});
const first = await Promise.race([servingLine, run]);
if (typeof first !== "string") await stageFailed("channel", first.reason);
if (String(first).includes("status: error")) await stageFailed("channel", String(first).trim());

console.log("start: [4/4] fetching the manifest from the channel's server");
const manifestPort = simulator.bridge!.listenerPort(7010)!;
const response = await fetch(`http://127.0.0.1:${manifestPort}/manifest.mpd`).catch((error: Error) => stageFailed("manifest", error.message));
const text = await response.text();
if (response.status !== 200) await stageFailed("manifest", `the channel answered ${response.status}: ${text}`);
const baseUrls = [...text.matchAll(/<BaseURL>([^<]*)<\/BaseURL>/g)].map((match) => match[1]);
const periods = [...text.matchAll(/<Period id="([^"]*)"/g)].map((match) => match[1]);
console.log(`        ${text.length} bytes, periods: ${periods.join(", ")}`);
for (const url of baseUrls) console.log(`        ${url}`);
if (baseUrls.length === 0 || baseUrls.some((url) => !url?.startsWith("http://127.0.0.1:"))) {
    await stageFailed("manifest", "the manifest still has BaseURLs that do not point at the channel");
}
stopRun.abort();
await run;
console.log(`start: the channel serves ${values.title} (${values.variant}) at http://127.0.0.1:7010/manifest.mpd (host port ${manifestPort})`);
await simulator.close();
await origin.close();
