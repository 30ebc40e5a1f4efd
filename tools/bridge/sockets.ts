// Real TCP sockets on 127.0.0.1 behind the worker's roStreamSocket: listeners, accepted and
// connected streams, each with a bounded send buffer and a bounded receive queue.
import net from "node:net";
import { ERRNO, errnoOf } from "./errno.ts";

export interface SocketOptions {
    /** Bytes a socket may hold unsent before Send accepts less (partial sends). */
    sendBufferBytes: number;
    /** Bytes read from the peer and not yet received by BrightScript before the bridge stops reading. */
    receiveBufferBytes: number;
}

/** Readiness as ifSocketAsync reports it, plus the counts of ifSocket. */
export interface SocketState {
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

export interface AcceptResult {
    errno: number;
    id?: number;
    remote?: string;
    local?: string;
}

/** One roStreamSocket on the host side. */
export class BridgedSocket {
    server?: net.Server;
    stream?: net.Socket;
    private readonly accepts: net.Socket[] = [];
    private readonly received: Buffer[] = [];
    private receivedBytes = 0;
    private peerEnded = false;
    private connecting = false;
    private errno: number = ERRNO.OK;
    private localClosed = false;
    channelPort = 0;
    hostPort = 0;

    constructor(
        readonly id: number,
        private readonly options: SocketOptions,
        private readonly changed: () => void,
    ) {}

    /** Adopts a connected Node socket (accepted or connected). */
    attach(stream: net.Socket): void {
        this.stream = stream;
        stream.on("data", (chunk: Buffer) => {
            this.received.push(chunk);
            this.receivedBytes += chunk.length;
            // Back-pressure: stop reading once BrightScript falls behind, like a full kernel buffer.
            if (this.receivedBytes >= this.options.receiveBufferBytes) stream.pause();
            this.changed();
        });
        stream.on("end", () => {
            this.peerEnded = true;
            this.changed();
        });
        stream.on("drain", this.changed);
        stream.on("connect", () => {
            this.connecting = false;
            this.changed();
        });
        stream.on("error", (error) => {
            this.connecting = false;
            this.errno = errnoOf(error);
            this.changed();
        });
        stream.on("close", this.changed);
    }

    /** Binds and listens; resolves with errno (EADDRINUSE when the host port is taken). */
    listen(hostPort: number, backlog: number): Promise<number> {
        const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false });
        return new Promise((resolve) => {
            server.once("error", (error) => resolve(errnoOf(error)));
            server.listen({ port: hostPort, host: "127.0.0.1", backlog: Math.max(1, backlog) }, () => {
                this.server = server;
                this.hostPort = (server.address() as net.AddressInfo).port;
                server.on("connection", (stream) => {
                    stream.pause(); // nothing is read until BrightScript accepts
                    this.accepts.push(stream);
                    this.changed();
                });
                server.on("error", () => this.changed());
                resolve(ERRNO.OK);
            });
        });
    }

    connect(port: number): number {
        if (this.stream || this.server) return ERRNO.EALREADY;
        const stream = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
        this.connecting = true;
        this.attach(stream);
        return ERRNO.EINPROGRESS;
    }

    /** Takes the oldest pending connection; the caller registers the new socket. */
    takeAccepted(): net.Socket | undefined {
        return this.accepts.shift();
    }

    /** Bytes accepted into the bounded send buffer (0 means would-block). */
    send(data: Buffer): { n: number; errno: number } {
        const stream = this.stream;
        if (!stream || this.localClosed) return { n: -1, errno: ERRNO.ENOTCONN };
        if (this.connecting) return { n: -1, errno: ERRNO.EAGAIN };
        if (this.errno !== ERRNO.OK) return { n: -1, errno: this.errno };
        if (stream.destroyed || !stream.writable) return { n: -1, errno: ERRNO.EPIPE };
        const room = this.options.sendBufferBytes - stream.writableLength;
        if (room <= 0) return { n: -1, errno: ERRNO.EAGAIN };
        const n = Math.min(room, data.length);
        if (n > 0) stream.write(data.subarray(0, n));
        return { n, errno: ERRNO.OK };
    }

    /** Up to `max` received bytes; an empty buffer with EAGAIN when none, with OK at end of stream. */
    receive(max: number): { data: Buffer; errno: number } {
        if (!this.stream) return { data: Buffer.alloc(0), errno: ERRNO.ENOTCONN };
        if (this.receivedBytes === 0) {
            if (this.errno !== ERRNO.OK) return { data: Buffer.alloc(0), errno: this.errno };
            return { data: Buffer.alloc(0), errno: this.peerEnded ? ERRNO.OK : ERRNO.EAGAIN };
        }
        const data = this.takeReceived(max);
        if (this.receivedBytes < this.options.receiveBufferBytes && this.stream.isPaused()) this.stream.resume();
        return { data, errno: ERRNO.OK };
    }

    private takeReceived(max: number): Buffer {
        const parts: Buffer[] = [];
        let wanted = Math.min(max, this.receivedBytes);
        while (wanted > 0) {
            const head = this.received[0]!;
            if (head.length <= wanted) {
                parts.push(head);
                this.received.shift();
                wanted -= head.length;
            } else {
                parts.push(head.subarray(0, wanted));
                this.received[0] = head.subarray(wanted);
                wanted = 0;
            }
        }
        const data = Buffer.concat(parts);
        this.receivedBytes -= data.length;
        return data;
    }

    setNoDelay(on: boolean): void {
        this.stream?.setNoDelay(on);
    }

    setKeepAlive(on: boolean): void {
        this.stream?.setKeepAlive(on);
    }

    /** Graceful close: queued bytes are still delivered, then FIN (like close() on a blocking-free socket). */
    close(): void {
        this.localClosed = true;
        if (this.server) {
            this.server.close();
            for (const pending of this.accepts.splice(0)) pending.destroy();
        }
        const stream = this.stream;
        if (stream && !stream.destroyed) {
            stream.end();
            // A peer that never reads must not keep the socket forever.
            setTimeout(() => stream.destroy(), 10_000).unref();
        }
    }

    destroy(): void {
        this.localClosed = true;
        this.server?.close();
        for (const pending of this.accepts.splice(0)) pending.destroy();
        this.stream?.destroy();
    }

    state(): SocketState {
        const stream = this.stream;
        const listening = this.server !== undefined && !this.localClosed;
        const failed = this.errno !== ERRNO.OK;
        const room = stream ? this.options.sendBufferBytes - stream.writableLength : 0;
        const connected = !!stream && !this.connecting && !stream.destroyed && !failed;
        return {
            readable: listening ? this.accepts.length > 0 : this.receivedBytes > 0 || this.peerEnded || failed,
            writable: connected && !this.localClosed && stream!.writable && room > 0,
            exception: failed,
            rcv: this.receivedBytes,
            snd: stream ? stream.writableLength : 0,
            errno: this.errno,
            listening,
            connected,
            closed: this.localClosed,
        };
    }
}
