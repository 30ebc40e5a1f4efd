// npm run sim -- <zip> [--timeout <s>] [--until <regex>] [--launch <query>]
// Runs a channel package in the simulator, streams its console, exits 0 only on a normal exit or a match.
import { parseArgs } from "node:util";
import { existsSync } from "node:fs";
import { Simulator } from "./simulator.ts";
import { parsePortMap } from "../bridge/attach.ts";
import type { BridgeOptions } from "../bridge/bridge-server.ts";
import { describeDeviceRules, parseDeviceRules, type DeviceRuleOverrides } from "./device-rules.ts";

const USAGE = `Usage: npm run sim -- <package.zip> [options]

Runs a Roku channel package in brs-engine + brs-scenegraph inside headless Chromium and
streams the channel's console to stdout.

Options:
  --timeout <s>     give up after this many seconds (default 60); exit code 3
  --until <regex>   end successfully as soon as a console line matches (JavaScript regex)
  --launch <query>  launch parameters as ECP's /launch/dev query gives them, e.g.
                    "contentId=dQw4w9WgXcQ&mediaType=movie" (URL-encoded values)
  --headed          show the browser window (needs a display)
  --bridge          real sockets and background roUrlTransfer through the network bridge
                    (docs/bridge.md); without it roStreamSocket is the engine's mock
  --port-map <map>  with the bridge: channel ports to host ports on 127.0.0.1, e.g.
                    7010:17010,7011:0 (0 = any free port; the port used is printed).
                    Unmapped ports listen on the same number. Implies --bridge.
  --send-buffer <bytes>  bridge send buffer per socket (default 16384); implies --bridge
  --engine-url-transfer  with the bridge, keep the engine's own roUrlTransfer
  --device-rules <list>  turn device rules on or off, e.g. noByteArraySlice=on,headersOnlyFor2xx=off;
                    "none" turns every rule off (the kind simulator). The rules and defaults:
${describeDeviceRules("                      ")}
  -h, --help        show this help

Exit codes: 0 the channel exited normally (EXIT_USER_NAV) or --until matched;
            1 the channel crashed or failed to compile; 2 bad usage; 3 timeout.`;

function fail(message: string, code: number): never {
    console.error(`sim: ${message}`);
    process.exit(code);
}

const { values, positionals } = (() => {
    try {
        return parseArgs({
            allowPositionals: true,
            options: {
                timeout: { type: "string", default: "60" },
                until: { type: "string" },
                launch: { type: "string" },
                headed: { type: "boolean", default: false },
                bridge: { type: "boolean", default: false },
                "port-map": { type: "string" },
                "send-buffer": { type: "string" },
                "engine-url-transfer": { type: "boolean", default: false },
                "device-rules": { type: "string" },
                help: { type: "boolean", short: "h", default: false },
            },
        });
    } catch (error) {
        return fail(`${(error as Error).message}\n\n${USAGE}`, 2);
    }
})();

if (values.help) {
    console.log(USAGE);
    process.exit(0);
}
const zip = positionals[0];
if (!zip || positionals.length > 1) fail(`expected exactly one package path\n\n${USAGE}`, 2);
if (!existsSync(zip)) fail(`no such package: ${zip}`, 2);
const timeoutSeconds = Number(values.timeout);
if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) fail(`--timeout must be a positive number of seconds`, 2);
let until: RegExp | undefined;
try {
    until = values.until === undefined ? undefined : new RegExp(values.until);
} catch (error) {
    fail(`--until is not a valid regex: ${(error as Error).message}`, 2);
}

function bridgeOptions(): BridgeOptions | undefined {
    const wanted = values.bridge || values["port-map"] !== undefined || values["send-buffer"] !== undefined;
    if (!wanted) return undefined;
    const sendBufferBytes = values["send-buffer"] === undefined ? undefined : Number(values["send-buffer"]);
    if (sendBufferBytes !== undefined && !(Number.isInteger(sendBufferBytes) && sendBufferBytes > 0)) {
        fail("--send-buffer must be a positive number of bytes", 2);
    }
    let portMap: Map<number, number> | undefined;
    try {
        portMap = values["port-map"] === undefined ? undefined : parsePortMap(values["port-map"]);
    } catch (error) {
        fail((error as Error).message, 2);
    }
    return {
        portMap,
        sendBufferBytes,
        urlTransfer: !values["engine-url-transfer"],
        onListen: (channelPort, hostPort) => console.error(`sim: channel port ${channelPort} listens on 127.0.0.1:${hostPort}`),
    };
}

function deviceRules(): DeviceRuleOverrides {
    try {
        return values["device-rules"] === undefined ? {} : parseDeviceRules(values["device-rules"]);
    } catch (error) {
        return fail((error as Error).message, 2);
    }
}

const simulator = await Simulator.launch({ headed: values.headed, bridge: bridgeOptions(), deviceRules: deviceRules() }).catch(
    (error: Error) => fail(error.message, 1),
);
try {
    const result = await simulator.run(zip, {
        timeoutMs: timeoutSeconds * 1000,
        until,
        launchParams: Object.fromEntries(new URLSearchParams(values.launch ?? "")),
        onLine: (line) => console.log(line),
    });
    const code = { exited: 0, matched: 0, stopped: 0, crashed: 1, timeout: 3 }[result.outcome];
    console.error(`sim: ${result.outcome}: ${result.reason}`);
    process.exitCode = code;
} finally {
    await simulator.close();
}
