// Types of the bridge's worker scripts (`// @ts-check`, tools/bridge/worker/tsconfig.json).
//
// The scripts are classic scripts loaded with importScripts (no modules, no bundler), in the order
// of BRIDGE_WORKER_SCRIPTS (tools/bridge/attach.ts). They share one namespace object,
// `globalThis.brsBridge`: brs-bridge-base.js creates it, and each later script adds its part
// (`transport`, `ports`, `sockets`, `socketMethods`, `transfers`, `urlTransfer`). A script may use an
// earlier script's part while it loads, and a later one's only when called at run time (every part
// is there by then). `Namespace` below is the contract between the scripts.

declare global {
    namespace BrsBridge {
        type OpName = keyof BridgeProtocol["ops"];

        // ---- wire shapes (each names the Node type it mirrors) ----------------------------------------

        /** The `hello` answer: this run's bridge settings. */
        interface Config {
            urlTransfer: boolean;
            requestTimeoutMs: number;
            holdMaxMs: number;
            sendBufferBytes: number;
        }

        /** SocketState in tools/bridge/sockets.ts. */
        interface SocketState {
            readable: boolean;
            writable: boolean;
            exception: boolean;
            rcv: number;
            snd: number;
            errno: number;
            listening: boolean;
            connected: boolean;
            closed: boolean;
        }

        /** TransferRequest in tools/bridge/transfers.ts (the JSON part of xfer/start's body). */
        interface TransferRequest {
            url: string;
            method: string;
            headers: Record<string, string>;
            retainBodyOnError: boolean;
            discardBody: boolean;
            certificatesFile?: string;
            certificatesPem?: string;
        }

        /** TransferProgress in tools/bridge/transfers.ts. */
        interface TransferProgress {
            id: number;
            bytes: number;
            done: boolean;
            code?: number;
            reason?: string;
            headers?: string;
        }

        /** A poll's answer: socket states by id and transfer progress, then the transfers' bytes in order. */
        interface PollAnswer {
            meta: { s: Record<number, SocketState | null>; t: TransferProgress[] };
            data: Uint8Array;
        }

        /** JSON answers by op (sock/recv and poll answer bytes, see Transport.callBinary). */
        interface Answers {
            hello: Config;
            socketNew: { id: number };
            socketBind: { errno: number };
            socketListen: { errno: number; hostPort?: number };
            socketAccept: { errno: number; id?: number; remote?: string; local?: string };
            socketConnect: { errno: number };
            socketSend: { n: number; errno: number; state?: SocketState };
            socketOption: { errno: number };
            socketClose: { errno: number };
            transferStart: { id: number };
            transferCancel: { ok: boolean };
        }

        /** Query parameters of a call. */
        type Params = Record<string, string> | null;

        /** A bridge answer, whichever transport carried it. */
        interface Reply {
            readonly status: number;
            readonly bytes: Uint8Array;
            header(name: string): string | null;
            json(): unknown;
        }

        // ---- the namespace, by script ---------------------------------------------------------------

        /** A message port's watched object: a socket or a transfer. */
        type Watched = Socket | Transfer;

        /** brs-bridge-transport.js: synchronous calls to the Node bridge. */
        interface Transport {
            /** Settings from `hello` (defaults when the bridge was not reachable at load). */
            readonly config: Config;
            /** Set once a call failed: the run is over. */
            isDead(): boolean;
            /** Which transport carries the calls, for the `installed` line. */
            name(): string;
            call<K extends keyof Answers>(op: K, params?: Params, body?: Uint8Array | null): Answers[K];
            callBinary(op: OpName, params?: Params, body?: Uint8Array | null): Reply;
            /** One poll: `sockets` as [id, interest mask] pairs, `holdMs` how long Node may wait for news. */
            poll(sockets: [number, number][], transfers: number[], holdMs: number): PollAnswer;
            /** [u32 LE meta length][meta JSON][payload], the body of xfer/start. */
            framed(meta: unknown, payload: Uint8Array): Uint8Array;
        }

        /** brs-bridge-ports.js: events for message ports. */
        interface Ports {
            /** The objects whose events go to `port` (registers the port's callback the first time). */
            watchers(port: BrsEngine.MessagePort): Set<Watched>;
        }

        /** The BridgedSocket class (brs-bridge-sockets.js), as the other scripts use it. */
        interface Socket extends BrsEngine.Component {
            readonly id: number;
            errno: number;
            readonly options: SocketOptions;
            state: SocketState | undefined;
            stateAt: number;
            listening: boolean;
            closed: boolean;
            address: BrsEngine.SocketAddress | undefined;
            sendTo: BrsEngine.SocketAddress | undefined;
            peer: BrsEngine.SocketAddress | undefined;
            port: BrsEngine.MessagePort | undefined;
            interestMask(): number;
            matches(state: SocketState, mask: number): boolean;
            eventQueued(port: BrsEngine.MessagePort): boolean;
            newEvent(port: BrsEngine.MessagePort): BrsEngine.Event;
            remember(state: SocketState | null | undefined): void;
            /** The state from the socket's own last call while it is fresh enough for IsReadable & co. */
            freshState(now: number): SocketState | undefined;
            current(): SocketState;
            setPort(port: BrsEngine.MessagePort): BrsEngine.Value;
            setNotify(which: "r" | "w" | "x", on: BrsEngine.BrsBoolean): BrsEngine.Value;
            setOption(name: keyof SocketOptions, value: number | boolean, remote?: boolean): BrsEngine.Value;
            sendBytes(bytes: Uint8Array): number;
            receiveBytes(max: number): Uint8Array;
            bindTo(address: BrsEngine.SocketAddress): boolean;
            doListen(backlog: number): boolean;
            doAccept(interpreter: BrsEngine.Interpreter): BrsEngine.Value;
            doConnect(): boolean;
            doClose(): void;
        }

        /** Options ifSocketOption & co remember (SetNoDelay and SetKeepAlive also reach the host socket). */
        interface SocketOptions {
            ttl: number;
            reuseAddr: boolean;
            oobInline: boolean;
            sendBuf: number;
            rcvBuf: number;
            sendTimeout: number;
            rcvTimeout: number;
            keepAlive: boolean;
            linger: number;
            maxSeg: number;
            noDelay: boolean;
        }

        /** brs-bridge-sockets.js: roStreamSocket. */
        interface Sockets {
            BridgedSocket: new (id?: number) => Socket;
            /** Open sockets by bridge id. */
            readonly byId: Map<number, Socket>;
        }

        /** brs-bridge-socket-methods.js: the BrightScript interfaces of a socket. */
        interface SocketMethods {
            of(socket: Socket): Record<string, BrsEngine.Callable[]>;
        }

        /** One bridged roUrlTransfer request (brs-bridge-transfers.js). */
        interface Transfer {
            readonly id: number;
            readonly active: boolean;
        }

        /** What the bridge keeps per roUrlTransfer object. */
        interface TransferOwnerState {
            /** GetIdentity(), unique per object. */
            identity: number;
            /** RetainBodyOnError(); read when a transfer finishes. */
            retainBody: boolean;
            /** The latest transfer (one in flight at a time). */
            transfer: Transfer | undefined;
        }

        /** brs-bridge-transfers.js: transfers in flight, growing files, roUrlEvents. */
        interface Transfers {
            stateOf(owner: BrsEngine.UrlTransfer): TransferOwnerState;
            /** Whether the object's latest transfer is still in flight (one at a time). */
            inFlight(owner: BrsEngine.UrlTransfer): boolean;
            /** Starts a transfer in the bridge; "file" ones grow `<target>.tmp` until they finish. */
            start(
                owner: BrsEngine.UrlTransfer,
                kind: "string" | "file" | "head",
                request: TransferRequest,
                body?: Uint8Array,
                target?: string,
            ): void;
            /** AsyncCancel: no event follows. */
            cancel(owner: BrsEngine.UrlTransfer): void;
            applyProgress(progress: TransferProgress[], data: Uint8Array): void;
            /** Pulls every transfer in flight (the tick hook). */
            pullActive(): void;
            hasActive(): boolean;
            /** Installs sbfs-allocator.js's tmp:/ fix once the volume is mounted. */
            installAllocator(): void;
            /** The file's bytes, or undefined when it does not exist. */
            readFile(path: string): Uint8Array | undefined;
        }

        /** brs-bridge-url-transfer.js: roUrlTransfer's Async* methods through the bridge. */
        interface UrlTransfers {
            wrap(owner: BrsEngine.UrlTransfer): BrsEngine.UrlTransfer;
        }

        /** `globalThis.brsBridge`. */
        interface Namespace {
            readonly engine: BrsEngine.Exports;
            readonly protocol: BridgeProtocol;
            /** The run's device rules. */
            readonly rules: SimDeviceRules;
            /** Posts a console line (level: debug, warning, error). */
            log(level: string, text: string): void;
            /** A BrightScript method: `args` as [name, ValueKind, default?]; annotate `impl`'s parameters. */
            method(
                name: string,
                args: [string, number, BrsEngine.Value?][],
                returns: number,
                impl: BrsEngine.NewImplementation,
            ): BrsEngine.Callable;
            bool(value: unknown): BrsEngine.BrsBoolean;
            int(value: number): BrsEngine.Int32;
            transport: Transport;
            ports: Ports;
            sockets: Sockets;
            socketMethods: SocketMethods;
            transfers: Transfers;
            urlTransfer: UrlTransfers;
        }
    }

    var brsBridge: BrsBridge.Namespace | undefined;
    /** The worker's SharedArrayBuffer channel, kept by brs-worker-boot.js. */
    var __brsBridgeChannel: SharedArrayBuffer | undefined;
    /** Set by sbfs-allocator.js: installs the tmp:/ fix; true once installed. */
    var __bridgeInstallAllocator: (() => boolean) | undefined;
}

// A module (for moduleDetection "force", see tsconfig.json) that only adds globals.
export {};
