// Serves the simulator page, the engine files and the app packages on loopback, with the
// cross-origin isolation headers the engine needs for SharedArrayBuffer.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";

const require = createRequire(import.meta.url);
const pageDir = join(dirname(fileURLToPath(import.meta.url)), "page");
const engineLib = dirname(require.resolve("brs-engine/lib/brs.api.js"));
const sceneGraphRoot = dirname(dirname(require.resolve("brs-scenegraph/lib/brs-sg.js")));

const CONTENT_TYPES: Record<string, string> = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".zip": "application/zip",
};

/** Files the page loads, by URL path. Extensions may add or replace entries (e.g. a wrapped brs-sg.js). */
export function defaultRoutes(): Map<string, string> {
    return new Map([
        ["/index.html", join(pageDir, "index.html")],
        ["/sim-page.js", join(pageDir, "sim-page.js")],
        ["/brs.api.js", join(engineLib, "brs.api.js")],
        ["/brs.worker.js", join(engineLib, "brs.worker.js")],
        ["/brs-sg.js", join(sceneGraphRoot, "lib", "brs-sg.js")],
        ["/assets/common.zip", join(sceneGraphRoot, "assets", "common.zip")],
    ]);
}

/** Answers requests under a path prefix (e.g. the network bridge under /bridge/). */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Takes over an HTTP upgrade (e.g. the bridge's WebSocket) on an exact path. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface StaticServer {
    readonly origin: string;
    readonly routes: Map<string, string>;
    /** Path prefix → handler, consulted before `routes` (same origin as the page, so no CORS). */
    readonly handlers?: Map<string, RequestHandler>;
    /** Path → upgrade handler; other upgrades are refused. Upgraded sockets are cut by `close`. */
    readonly upgrades?: Map<string, UpgradeHandler>;
    close(): Promise<void>;
}

export async function startStaticServer(routes = defaultRoutes()): Promise<StaticServer> {
    const handlers = new Map<string, RequestHandler>();
    const server: Server = createServer((req, res) => {
        const path = new URL(req.url ?? "/", "http://localhost").pathname;
        for (const [prefix, handler] of handlers) {
            if (path.startsWith(prefix)) return handler(req, res);
        }
        const file = routes.get(path === "/" ? "/index.html" : path);
        const headers = {
            "Cross-Origin-Opener-Policy": "same-origin",
            "Cross-Origin-Embedder-Policy": "require-corp",
            "Cross-Origin-Resource-Policy": "same-origin",
            "Cache-Control": "no-store",
        };
        if (!file || req.method !== "GET") {
            res.writeHead(404, headers).end();
            return;
        }
        readFile(file).then(
            (body) => {
                const type = CONTENT_TYPES[extname(file)] ?? "application/octet-stream";
                res.writeHead(200, { ...headers, "Content-Type": type, "Content-Length": body.length }).end(body);
            },
            () => res.writeHead(404, headers).end(),
        );
    });
    const upgrades = new Map<string, UpgradeHandler>();
    const upgraded = new Set<Duplex>();
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        const handler = upgrades.get(new URL(req.url ?? "/", "http://localhost").pathname);
        if (!handler) {
            socket.destroy();
            return;
        }
        upgraded.add(socket);
        socket.once("close", () => upgraded.delete(socket));
        handler(req, socket, head);
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolve);
    });
    const { port } = server.address() as AddressInfo;
    return {
        origin: `http://127.0.0.1:${port}`,
        routes,
        handlers,
        upgrades,
        close: () =>
            new Promise((resolve) => {
                for (const socket of upgraded) socket.destroy();
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
