// Installs the bridge into a simulator's static server: every engine worker loads the bridge's
// scripts after the real SceneGraph bundle (the simulator's /brs-sg.js wrapper imports the ones
// `BRIDGE_WORKER_SCRIPTS` names), and /bridge/ calls reach Node.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { StaticServer } from "../sim/static-server.ts";
import { Bridge, BRIDGE_PREFIX, BRIDGE_WS_PATH, type BridgeOptions } from "./bridge-server.ts";

const workerDir = join(dirname(fileURLToPath(import.meta.url)), "worker");

/**
 * Page init script of the fast transport (the Simulator adds it when the bridge is on): gives every
 * engine worker a SharedArrayBuffer channel served by a relay worker over one WebSocket.
 */
export const BRIDGE_PAGE_SCRIPT = join(workerDir, "brs-bridge-page.js");

/** Scripts every engine worker imports after the SceneGraph bundle when the bridge is on, in order. */
export const BRIDGE_WORKER_SCRIPTS = ["./sbfs-allocator.js", "./brs-bridge-ext.js"];

export function attachBridge(server: StaticServer, options: BridgeOptions = {}): Bridge {
    if (!server.handlers) throw new Error("the bridge needs a static server from startStaticServer (no request handlers here)");
    if (!server.upgrades) throw new Error("the bridge needs a static server from startStaticServer (no upgrade handlers here)");
    const realWorker = server.routes.get("/brs.worker.js");
    if (!realWorker) throw new Error("the static server has no /brs.worker.js route to wrap");
    const bridge = new Bridge(options);
    server.routes.set("/brs-bridge-ext.js", join(workerDir, "brs-bridge-ext.js"));
    server.routes.set("/sbfs-allocator.js", join(workerDir, "sbfs-allocator.js"));
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
