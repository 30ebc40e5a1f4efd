// The Node half of the network bridge: answers the worker's calls with real sockets and real HTTP
// transfers on loopback. Calls arrive over the page's WebSocket relay (/bridge/ws, the fast path:
// the worker blocks on a SharedArrayBuffer, see worker/brs-bridge-relay.js) or as synchronous XHRs
// under /bridge/ (the fallback); both go through the same dispatch.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { ERRNO } from "./errno.ts";
import { INTEREST, OPS, PROTOCOL, REPLY_HEADERS } from "./protocol.ts";
import { BridgedSocket, type SocketState } from "./sockets.ts";
import { Transfer, type TransferProgress, type TransferRequest } from "./transfers.ts";
import { resolveDeviceRules, type DeviceRuleOverrides, type DeviceRuleSet } from "../sim/device-rules.ts";

export const BRIDGE_PREFIX = PROTOCOL.paths.http;
/** WebSocket path of the page relay (an upgrade on the static server, no extra port). */
export const BRIDGE_WS_PATH = PROTOCOL.paths.webSocket;

/** How the workers reach the bridge: "auto" uses the shared-memory relay when the page has it. */
export type BridgeTransport = "auto" | "xhr";

export interface BridgeOptions {
    /** Send buffer per socket in bytes (default 16 KiB): larger sends are accepted partially. */
    sendBufferBytes?: number;
    /** Receive queue per socket before the bridge stops reading from the peer (default 256 KiB). */
    receiveBufferBytes?: number;
    /** Channel port → host port on 127.0.0.1; 0 picks a free port (read it with `listenerPort`). */
    portMap?: Map<number, number> | Record<number, number>;
    /** Serve roUrlTransfer through the bridge (default true); false keeps the engine's own. */
    urlTransfer?: boolean;
    /** How long the worker waits for one bridge call before failing the run (default 15 s). */
    requestTimeoutMs?: number;
    /** Let bridged roUrlTransfer reach non-loopback hosts (default false). */
    allowRemote?: boolean;
    /** Called when the channel listens (channel port → host port on 127.0.0.1). */
    onListen?: (channelPort: number, hostPort: number) => void;
    /**
     * "auto" (default): each engine worker calls through a SharedArrayBuffer relayed by the page over
     * a WebSocket, with synchronous XHR as the fallback; "xhr": XHR only (read at each run's start).
     */
    transport?: BridgeTransport;
    /** The device rules of the run (tools/sim/device-rules.ts); the Simulator passes its own. */
    deviceRules?: DeviceRuleOverrides;
    /** Test CAs (PEM) the device's common:/certs/ca-bundle.crt trusts here, e.g. the TLS origin's. */
    trustedCertificates?: string[];
}

/** One answer to a bridge call, whichever transport carried it. */
export interface BridgeReply {
    status: number;
    headers: Record<string, string>;
    body: Buffer;
}

/** Bridge calls answered per transport since the bridge started (tests check which path is used). */
export interface BridgeCallCounts {
    ws: number;
    http: number;
}

/** How a test can make the bridge misbehave. */
export type BridgeFault = "none" | "dead" | "stuck";

const HOLD_MAX_MS = 50;
const PULL_MAX_BYTES = 4 * 1024 * 1024;

interface PollRequest {
    /** [socket id, interest mask] pairs. */
    s?: [number, number][];
    /** Transfer ids. */
    t?: number[];
}

export class Bridge {
    private readonly sockets = new Map<number, BridgedSocket>();
    private readonly transfers = new Map<number, Transfer>();
    private readonly listeners = new Map<number, number>();
    private readonly listenerWaiters: Array<() => void> = [];
    private changeWaiters: Array<() => void> = [];
    private readonly stuck = new Set<ServerResponse>();
    private readonly stuckSockets = new Set<WebSocket>();
    private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
    private readonly calls: BridgeCallCounts = { ws: 0, http: 0 };
    private nextId = 1;
    private fault: BridgeFault = "none";
    readonly portMap: Map<number, number>;
    readonly options: Required<Omit<BridgeOptions, "portMap" | "onListen" | "deviceRules">>;
    readonly deviceRules: DeviceRuleSet;
    /** Channel port → the socket bound to it (SetAddress binds under the device rules). */
    private readonly boundPorts = new Map<number, number>();
    private readonly onListen?: (channelPort: number, hostPort: number) => void;

    constructor(options: BridgeOptions = {}) {
        this.options = {
            sendBufferBytes: options.sendBufferBytes ?? 16 * 1024,
            receiveBufferBytes: options.receiveBufferBytes ?? 256 * 1024,
            urlTransfer: options.urlTransfer ?? true,
            requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
            allowRemote: options.allowRemote ?? false,
            transport: options.transport ?? "auto",
            trustedCertificates: options.trustedCertificates ?? [],
        };
        this.deviceRules = resolveDeviceRules(options.deviceRules);
        this.onListen = options.onListen;
        const map = options.portMap ?? new Map<number, number>();
        this.portMap = map instanceof Map ? new Map(map) : new Map(Object.entries(map).map(([k, v]) => [Number(k), v]));
    }

    /** Host port a channel port listens on once the channel has called Listen. */
    listenerPort(channelPort: number): number | undefined {
        return this.listeners.get(channelPort);
    }

    /** Resolves with the host port once the channel listens on `channelPort`. */
    async waitForListener(channelPort: number, timeoutMs = 30_000): Promise<number> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const port = this.listeners.get(channelPort);
            if (port !== undefined) return port;
            const left = deadline - Date.now();
            if (left <= 0) throw new Error(`the channel did not listen on port ${channelPort} within ${timeoutMs} ms`);
            await new Promise<void>((resolve) => {
                const timer = setTimeout(resolve, Math.min(left, 1000));
                this.listenerWaiters.push(() => {
                    clearTimeout(timer);
                    resolve();
                });
            });
        }
    }

    setFault(fault: BridgeFault): void {
        this.fault = fault;
        if (fault === "none") this.releaseStuck();
    }

    /** Counts of live objects, for tests that check everything was closed. */
    counts(): { sockets: number; transfers: number } {
        return { sockets: this.sockets.size, transfers: this.transfers.size };
    }

    /** Calls answered per transport (hello included). */
    callCounts(): BridgeCallCounts {
        return { ...this.calls };
    }

    /** Closes every socket and transfer (end of a run). */
    closeAll(): void {
        for (const socket of this.sockets.values()) socket.destroy();
        for (const transfer of this.transfers.values()) transfer.cancel();
        this.sockets.clear();
        this.transfers.clear();
        this.listeners.clear();
        this.boundPorts.clear();
        this.releaseStuck();
        this.notifyChange();
    }

    /** Request handler for paths under /bridge/ (the XHR transport). */
    handle(req: IncomingMessage, res: ServerResponse): void {
        if (this.fault === "dead") {
            req.socket.destroy();
            return;
        }
        if (this.fault === "stuck") {
            this.stuck.add(res);
            return;
        }
        readBody(req)
            .then((body) => {
                const url = new URL(req.url ?? "/", "http://bridge");
                return this.dispatch(url.pathname.slice(BRIDGE_PREFIX.length), url.searchParams, body);
            })
            .catch((error: Error) => json({ error: error.message }, 500))
            .then((reply) => {
                this.calls.http++;
                res.writeHead(reply.status, { ...reply.headers, "Content-Length": reply.body.length, "Cache-Control": "no-store" });
                res.end(reply.body);
            });
    }

    /** Upgrade handler for BRIDGE_WS_PATH: one WebSocket per page, shared by all its workers. */
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
        if (this.fault === "dead") {
            socket.destroy();
            return;
        }
        this.wss.handleUpgrade(req, socket, head, (ws) => this.serveSocket(ws));
    }

    /** Frames: request [u32 id][u32 head length][head "op?query"][body]; answer [u32 id][reply frame]. */
    private serveSocket(ws: WebSocket): void {
        ws.on("message", (data: Buffer, isBinary: boolean) => {
            if (this.fault === "dead") {
                ws.terminate();
                return;
            }
            if (!isBinary || data.length < 8) {
                ws.close(1003, "bad bridge frame");
                return;
            }
            if (this.fault === "stuck") {
                this.stuckSockets.add(ws);
                return;
            }
            const id = data.readUInt32LE(0);
            const headLength = data.readUInt32LE(4);
            const head = data.subarray(8, 8 + headLength).toString("utf8");
            const body = data.subarray(8 + headLength);
            const query = head.indexOf("?");
            const op = query < 0 ? head : head.slice(0, query);
            const params = new URLSearchParams(query < 0 ? "" : head.slice(query + 1));
            this.dispatch(op, params, body)
                .catch((error: Error) => json({ error: error.message }, 500))
                .then((reply) => {
                    if (this.stuckSockets.has(ws) || ws.readyState !== ws.OPEN) return;
                    this.calls.ws++;
                    ws.send(encodeReply(id, reply));
                });
        });
        ws.on("error", () => ws.terminate());
    }

    /** Ends the WebSocket relays (the static server's close also cuts their sockets). */
    close(): void {
        this.closeAll();
        for (const ws of this.wss.clients) ws.terminate();
        this.wss.close();
    }

    private releaseStuck(): void {
        for (const res of this.stuck) res.destroy();
        this.stuck.clear();
        // Held WebSocket calls fail the same way a held XHR does: the connection is cut.
        for (const ws of this.stuckSockets) ws.terminate();
        this.stuckSockets.clear();
    }

    private notifyChange = (): void => {
        const waiters = this.changeWaiters;
        this.changeWaiters = [];
        for (const wake of waiters) wake();
    };

    private async dispatch(op: string, q: URLSearchParams, body: Buffer): Promise<BridgeReply> {
        const id = Number(q.get("id") ?? 0);
        switch (op) {
            case OPS.hello:
                return json({
                    urlTransfer: this.options.urlTransfer,
                    requestTimeoutMs: this.options.requestTimeoutMs,
                    holdMaxMs: HOLD_MAX_MS,
                    sendBufferBytes: this.options.sendBufferBytes,
                });
            case OPS.socketNew:
                return json({ id: this.newSocket().id });
            case OPS.socketBind:
                return json(await this.bind(id, Number(q.get("port"))));
            case OPS.socketListen:
                return json(await this.listen(id, Number(q.get("port")), Number(q.get("backlog") ?? 1)));
            case OPS.socketAccept:
                return json(this.accept(id));
            case OPS.socketConnect:
                return json(this.connect(id, q.get("host") ?? "", Number(q.get("port"))));
            case OPS.socketSend: {
                const socket = this.socket(id);
                if (!socket) return json({ n: -1, errno: ERRNO.EBADF });
                return json({ ...socket.send(body), state: socket.state() });
            }
            case OPS.socketReceive:
                return this.receive(id, Number(q.get("max") ?? 0));
            case OPS.socketOption:
                return json(this.setOptions(id, q));
            case OPS.socketClose:
                this.closeSocket(id);
                return json({ errno: ERRNO.OK });
            case OPS.poll:
                return this.poll(JSON.parse(body.toString("utf8") || "{}") as PollRequest, Number(q.get("hold") ?? 0));
            case OPS.transferStart:
                return json({ id: this.startTransfer(body) });
            case OPS.transferCancel:
                this.transfers.get(id)?.cancel();
                this.transfers.delete(id);
                return json({ ok: true });
            default:
                return json({ error: `unknown bridge call ${op}` }, 404);
        }
    }

    private socket(id: number): BridgedSocket | undefined {
        return this.sockets.get(id);
    }

    private newSocket(): BridgedSocket {
        const socket = new BridgedSocket(this.nextId++, this.options, this.notifyChange);
        this.sockets.set(socket.id, socket);
        return socket;
    }

    /**
     * Listen(): the kind bridge binds here, on the address SetAddress gave (`channelPort`). Under
     * the device rule `bindAtSetAddress` the socket is bound already, or `channelPort` is -1 and,
     * as bind()-less listen() does, it listens on a free port.
     */
    private async listen(id: number, channelPort: number, backlog: number): Promise<{ errno: number; hostPort?: number }> {
        const socket = this.socket(id);
        if (!socket) return { errno: ERRNO.EBADF };
        if (!socket.server) {
            if (!Number.isInteger(channelPort) || channelPort < -1 || channelPort > 65535) return { errno: ERRNO.EINVAL };
            const hostPort = channelPort === -1 ? 0 : (this.portMap.get(channelPort) ?? channelPort);
            const errno = await socket.listen(hostPort, backlog);
            if (errno !== ERRNO.OK) return { errno };
            socket.channelPort = channelPort === -1 ? socket.hostPort : channelPort;
        }
        this.listeners.set(socket.channelPort, socket.hostPort);
        for (const wake of this.listenerWaiters.splice(0)) wake();
        this.onListen?.(socket.channelPort, socket.hostPort);
        return { errno: ERRNO.OK, hostPort: socket.hostPort };
    }

    /**
     * SetAddress() under the device rule `bindAtSetAddress`: bind() claims the channel port (on its
     * mapped host port) or fails with EADDRINUSE. Node cannot bind a server without listening, so
     * the host socket listens from here on; BrightScript sees it listening only after Listen().
     */
    private async bind(id: number, channelPort: number): Promise<{ errno: number }> {
        const socket = this.socket(id);
        if (!socket) return { errno: ERRNO.EBADF };
        if (socket.server) return { errno: ERRNO.EINVAL };
        if (!Number.isInteger(channelPort) || channelPort < 0 || channelPort > 65535) return { errno: ERRNO.EINVAL };
        const holder = this.boundPorts.get(channelPort);
        if (channelPort !== 0 && holder !== undefined && this.sockets.has(holder)) return { errno: ERRNO.EADDRINUSE };
        const errno = await socket.listen(this.portMap.get(channelPort) ?? channelPort, 16);
        if (errno !== ERRNO.OK) return { errno };
        socket.channelPort = channelPort === 0 ? socket.hostPort : channelPort;
        this.boundPorts.set(socket.channelPort, id);
        return { errno };
    }

    private accept(id: number): { errno: number; id?: number; remote?: string; local?: string } {
        const listener = this.socket(id);
        if (!listener?.server) return { errno: ERRNO.EINVAL };
        const stream = listener.takeAccepted();
        if (!stream) return { errno: ERRNO.EAGAIN };
        const socket = this.newSocket();
        socket.attach(stream);
        stream.resume();
        return {
            errno: ERRNO.OK,
            id: socket.id,
            remote: `${stream.remoteAddress ?? "127.0.0.1"}:${stream.remotePort ?? 0}`,
            local: `127.0.0.1:${listener.channelPort}`,
        };
    }

    private connect(id: number, host: string, channelPort: number): { errno: number } {
        const socket = this.socket(id);
        if (!socket) return { errno: ERRNO.EBADF };
        // Loopback only: the device's own address is 127.0.0.1 here, and mapped ports apply.
        if (host !== "127.0.0.1" && host !== "localhost" && host !== "0.0.0.0") return { errno: ERRNO.EHOSTUNREACH };
        return { errno: socket.connect(this.listeners.get(channelPort) ?? this.portMap.get(channelPort) ?? channelPort) };
    }

    private receive(id: number, max: number): BridgeReply {
        const socket = this.socket(id);
        const { data, errno } = socket ? socket.receive(Math.max(0, max)) : { data: Buffer.alloc(0), errno: ERRNO.EBADF };
        return {
            status: 200,
            headers: {
                "Content-Type": "application/octet-stream",
                [REPLY_HEADERS.errno]: String(errno),
                // The state after this receive saves the worker a round trip for IsReadable/IsException.
                [REPLY_HEADERS.state]: socket ? JSON.stringify(socket.state()) : "null",
            },
            body: data,
        };
    }

    private setOptions(id: number, q: URLSearchParams): { errno: number } {
        const socket = this.socket(id);
        if (!socket) return { errno: ERRNO.EBADF };
        if (q.has("noDelay")) socket.setNoDelay(q.get("noDelay") === "1");
        if (q.has("keepAlive")) socket.setKeepAlive(q.get("keepAlive") === "1");
        return { errno: ERRNO.OK };
    }

    private closeSocket(id: number): void {
        const socket = this.socket(id);
        if (!socket) return;
        socket.close();
        if (socket.server && this.listeners.get(socket.channelPort) === socket.hostPort) {
            this.listeners.delete(socket.channelPort);
        }
        if (this.boundPorts.get(socket.channelPort) === id) this.boundPorts.delete(socket.channelPort);
        this.sockets.delete(id);
    }

    private startTransfer(body: Buffer): number {
        const metaLength = body.readUInt32LE(0);
        const spec = JSON.parse(body.subarray(4, 4 + metaLength).toString("utf8")) as TransferRequest;
        const transfer = new Transfer(this.nextId++, spec, this.notifyChange, this.options.allowRemote, {
            requireCertificatesFile: this.deviceRules.httpsNeedsCertificates,
            trustedCertificates: this.options.trustedCertificates,
        });
        this.transfers.set(transfer.id, transfer);
        transfer.start(body.subarray(4 + metaLength));
        return transfer.id;
    }

    /** Long poll: answers as soon as a watched socket matches its interest or a transfer has news. */
    private async poll(request: PollRequest, holdMs: number): Promise<BridgeReply> {
        const deadline = Date.now() + Math.min(Math.max(0, holdMs), HOLD_MAX_MS);
        while (!this.pollReady(request) && Date.now() < deadline) {
            await new Promise<void>((resolve) => {
                const timer = setTimeout(resolve, deadline - Date.now());
                this.changeWaiters.push(() => {
                    clearTimeout(timer);
                    resolve();
                });
            });
        }
        const states: Record<number, SocketState | null> = {};
        for (const [id] of request.s ?? []) states[id] = this.socket(id)?.state() ?? null;
        const progress: TransferProgress[] = [];
        const data: Buffer[] = [];
        let budget = PULL_MAX_BYTES;
        for (const id of request.t ?? []) {
            const transfer = this.transfers.get(id);
            if (!transfer) {
                progress.push({ id, bytes: 0, done: true, code: -10001, reason: "unknown transfer" });
                continue;
            }
            const pulled = transfer.pull(Math.max(1, budget));
            budget -= pulled.data.length;
            progress.push(pulled.progress);
            data.push(pulled.data);
            if (pulled.progress.done) this.transfers.delete(id);
        }
        return framed({ s: states, t: progress }, data);
    }

    private pollReady(request: PollRequest): boolean {
        for (const [id, mask] of request.s ?? []) {
            const state = this.socket(id)?.state();
            if (!state) return true;
            if (mask & INTEREST.readable && state.readable) return true;
            if (mask & INTEREST.writable && state.writable) return true;
            if (mask & INTEREST.exception && state.exception) return true;
        }
        return (request.t ?? []).some((id) => this.transfers.get(id)?.hasNews() ?? true);
    }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => resolve(Buffer.concat(chunks)));
        req.on("error", reject);
    });
}

function json(value: unknown, status = 200): BridgeReply {
    return { status, headers: { "Content-Type": "application/json" }, body: Buffer.from(JSON.stringify(value)) };
}

/** [u32 LE meta length][meta JSON][data...]: one round trip carries states and bytes. */
function framed(meta: unknown, data: Buffer[]): BridgeReply {
    const metaBytes = Buffer.from(JSON.stringify(meta));
    const head = Buffer.alloc(4);
    head.writeUInt32LE(metaBytes.length, 0);
    return { status: 200, headers: { "Content-Type": "application/octet-stream" }, body: Buffer.concat([head, metaBytes, ...data]) };
}

/**
 * A reply on the WebSocket: [u32 request id][u32 status][u32 headers length][headers JSON][body].
 * The relay strips the id and hands the rest to the worker as is.
 */
function encodeReply(id: number, reply: BridgeReply): Buffer {
    const headers = { ...reply.headers };
    delete headers["Content-Type"];
    const headerBytes = Buffer.from(Object.keys(headers).length > 0 ? JSON.stringify(headers) : "");
    const head = Buffer.alloc(12);
    head.writeUInt32LE(id, 0);
    head.writeUInt32LE(reply.status, 4);
    head.writeUInt32LE(headerBytes.length, 8);
    return Buffer.concat([head, headerBytes, reply.body]);
}
