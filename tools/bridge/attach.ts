// Installs the bridge into a simulator's static server: every engine worker loads the bridge's
// scripts after the real SceneGraph bundle (the simulator's /brs-sg.js wrapper imports the ones
// `BRIDGE_WORKER_SCRIPTS` names), and /bridge/ calls reach Node.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { StaticServer } from "../sim/static-server.ts";
import { Bridge, BRIDGE_PREFIX, BRIDGE_WS_PATH, type BridgeOptions } from "./bridge-server.ts";
import { PROTOCOL_SCRIPT_PATH, protocolScript } from "./protocol.ts";

const workerDir = join(dirname(fileURLToPath(import.meta.url)), "worker");

/**
 * Page init script of the fast transport (the Simulator adds it when the bridge is on): gives every
 * engine worker a SharedArrayBuffer channel served by a relay worker over one WebSocket. The
 * protocol table comes first (the page script sizes the channels from it).
 */
export function bridgePageScript(): string {
    return protocolScript() + readFileSync(join(workerDir, "brs-bridge-page.js"), "utf8");
}

/**
 * The bridge's engine-worker scripts (in worker/), in load order. They share `globalThis.brsBridge`
 * (see worker/brs-bridge.d.ts): each may use the ones before it while it loads.
 */
const BRIDGE_SCRIPT_FILES = [
    "brs-bridge-base.js",
    "brs-bridge-transport.js",
    "brs-bridge-ports.js",
    "brs-bridge-sockets.js",
    "brs-bridge-socket-methods.js",
    "brs-bridge-transfers.js",
    "brs-bridge-url-transfer.js",
    "brs-bridge-ext.js",
];

/**
 * Scripts every engine worker imports after the SceneGraph bundle when the bridge is on, in order:
 * the tmp:/ fix, the protocol table, then the bridge's scripts.
 */
export const BRIDGE_WORKER_SCRIPTS = ["./sbfs-allocator.js", `.${PROTOCOL_SCRIPT_PATH}`, ...BRIDGE_SCRIPT_FILES.map((file) => `./${file}`)];

export function attachBridge(server: StaticServer, options: BridgeOptions = {}): Bridge {
    if (!server.handlers) throw new Error("the bridge needs a static server from startStaticServer (no request handlers here)");
    if (!server.upgrades) throw new Error("the bridge needs a static server from startStaticServer (no upgrade handlers here)");
    const realWorker = server.routes.get("/brs.worker.js");
    if (!realWorker) throw new Error("the static server has no /brs.worker.js route to wrap");
    const bridge = new Bridge(options);
    for (const file of ["sbfs-allocator.js", ...BRIDGE_SCRIPT_FILES]) server.routes.set(`/${file}`, join(workerDir, file));
    // The table as a script, for the engine workers and the relay (both load it with importScripts).
    const protocol = protocolScript();
    server.handlers.set(PROTOCOL_SCRIPT_PATH, (_req, res) => {
        res.writeHead(200, {
            "Content-Type": "text/javascript; charset=utf-8",
            "Cross-Origin-Resource-Policy": "same-origin",
            "Cache-Control": "no-store",
        }).end(protocol);
    });
    // Every engine worker starts with a boot script that takes the bridge channel message before
    // the engine's own onmessage sees it.
    server.routes.set("/brs.worker.real.js", realWorker);
    server.routes.set("/brs.worker.js", join(workerDir, "brs-worker-boot.js"));
    server.routes.set("/brs-bridge-relay.js", join(workerDir, "brs-bridge-relay.js"));
    server.handlers.set(BRIDGE_PREFIX, (req, res) => bridge.handle(req, res));
    server.upgrades.set(BRIDGE_WS_PATH, (req, socket, head) => bridge.handleUpgrade(req, socket, head));
    return bridge;
}

/** Parses a CLI port map like "7010:17010,7011:0" (channel:host; 0 = any free port). */
export function parsePortMap(text: string): Map<number, number> {
    const map = new Map<number, number>();
    for (const pair of text.split(",").filter((part) => part.trim() !== "")) {
        const match = /^\s*(\d{1,5})\s*:\s*(\d{1,5})\s*$/.exec(pair);
        const channel = Number(match?.[1]);
        const host = Number(match?.[2]);
        if (!match || channel < 1 || channel > 65535 || host > 65535) {
            throw new Error(`bad port mapping "${pair}" (expected channelPort:hostPort, host 0 = any free port)`);
        }
        map.set(channel, host);
    }
    return map;
}
