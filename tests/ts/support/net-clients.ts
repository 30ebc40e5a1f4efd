// Small loopback clients for the bridge and server tests: each is bounded in time and always closes its socket.
import net from "node:net";
import { createHash } from "node:crypto";

export function connect(port: number, timeoutMs = 10_000): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
        const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
        const timer = setTimeout(() => {
            socket.destroy();
            reject(new Error(`connect to ${port} timed out`));
        }, timeoutMs);
        socket.once("connect", () => {
            clearTimeout(timer);
            resolve(socket);
        });
        socket.once("error", (error) => {
            clearTimeout(timer);
            reject(error);
        });
    });
}

/** Reads until `count` bytes arrived (or the peer closed); rejects after `timeoutMs`. */
export function readBytes(socket: net.Socket, count: number, timeoutMs: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = (error?: Error): void => {
            clearTimeout(timer);
            socket.off("data", onData);
            socket.off("end", onEnd);
            if (error) reject(error);
            else resolve(Buffer.concat(chunks));
        };
        const onData = (chunk: Buffer): void => {
            chunks.push(chunk);
            size += chunk.length;
            if (size >= count) finish();
        };
        const onEnd = (): void => finish();
        const timer = setTimeout(() => finish(new Error(`read ${size} of ${count} bytes before timing out`)), timeoutMs);
        socket.on("data", onData);
        socket.once("end", onEnd);
    });
}

/** Resolves when the peer closes its side (FIN), with the bytes that came before it. */
export function readToEnd(socket: net.Socket, timeoutMs: number): Promise<Buffer> {
    return readBytes(socket, Number.MAX_SAFE_INTEGER, timeoutMs);
}

export function sha256(data: Buffer): string {
    return createHash("sha256").update(data).digest("hex");
}

/** Deterministic pseudo-random bytes (xorshift), so a failing seed can be replayed. */
export function seededBytes(size: number, seed: number): Buffer {
    const out = Buffer.alloc(size);
    let x = seed >>> 0 || 1;
    for (let i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        out[i] = x & 0xff;
    }
    return out;
}

export function seededRandom(seed: number): () => number {
    let x = seed >>> 0 || 1;
    return () => {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        return (x >>> 0) / 0x100000000;
    };
}
