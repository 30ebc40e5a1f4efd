/**
 * Routes the device probe (tools/device-probe) asks the origin for: a body that arrives slowly,
 * so a `*ToFile` transfer is seen while it runs, and a 503 with `Retry-After` and a body, so
 * `RetainBodyOnError` and the response headers of an error can be observed. Plain HTTP, no SABR.
 *
 *   GET|POST /probe/slow?bytes=N&ms=M&chunks=K   200, N bytes in K pieces spread over M ms
 *   GET|POST /probe/503?retryAfter=S&bytes=N     503, Retry-After: S, an N-byte text body
 *
 * Hooked into server.ts before its 404; see tools/origin/README.md ("Probe routes").
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** The part of the origin's log entry these routes fill in. */
export interface ProbeLogEntry {
    status: number;
    outcome: string;
}

const LIMITS = { bytes: 64 * 1024 * 1024, ms: 120_000, chunks: 10_000, retryAfter: 86_400 };

/** A non-negative integer query parameter, clamped to `max`; `fallback` when absent or malformed. */
function intParam(url: URL, name: string, fallback: number, max: number): number {
    const text = url.searchParams.get(name);
    if (text === null || !/^\d+$/.test(text)) return fallback;
    return Math.min(Number(text), max);
}

/** Reads and counts a request body (a POST from a file sends one) without keeping it. */
function drainBody(req: IncomingMessage): Promise<number> {
    return new Promise((resolve) => {
        let count = 0;
        req.on("data", (chunk: Buffer) => {
            count += chunk.length;
        });
        req.on("end", () => resolve(count));
        req.on("error", () => resolve(count));
    });
}

/** Byte i of every probe body is i mod 251, so a client can check offsets if it wants to. */
function patternBytes(from: number, length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = (from + i) % 251;
    return out;
}

/** Sends `bytes` in `chunks` pieces, one every ms/chunks, and stops when the client goes away. */
function sendSlowly(res: ServerResponse, bytes: number, ms: number, chunks: number): void {
    const pieces = Math.max(1, Math.min(chunks, bytes || 1));
    const gap = ms / pieces;
    let sent = 0;
    let index = 0;
    let timer: NodeJS.Timeout | undefined;
    const step = (): void => {
        if (res.destroyed) return;
        index += 1;
        const end = index >= pieces ? bytes : Math.floor((bytes * index) / pieces);
        if (end > sent) res.write(patternBytes(sent, end - sent));
        sent = end;
        if (index >= pieces) {
            res.end();
            return;
        }
        timer = setTimeout(step, gap);
    };
    // A cancelled transfer closes the connection: no more timers for it.
    res.on("close", () => clearTimeout(timer));
    timer = setTimeout(step, gap);
}

/** Answers a /probe/... request. Returns false when the path is not a probe route. */
export async function handleProbeRoute(req: IncomingMessage, res: ServerResponse, url: URL, entry: ProbeLogEntry): Promise<boolean> {
    const route = url.pathname;
    if (route !== "/probe/slow" && route !== "/probe/503") {
        if (!route.startsWith("/probe/")) return false;
        entry.status = 404;
        entry.outcome = "probe-not-found";
        res.writeHead(404, { "Content-Type": "application/json" }).end(JSON.stringify({ error: "probe routes: /probe/slow, /probe/503" }));
        return true;
    }
    if (req.method !== "GET" && req.method !== "POST") {
        entry.status = 405;
        entry.outcome = "probe-method-not-allowed";
        res.writeHead(405, { Allow: "GET, POST, OPTIONS" }).end();
        return true;
    }
    const received = req.method === "POST" ? await drainBody(req) : 0;
    if (route === "/probe/slow") {
        const bytes = intParam(url, "bytes", 262_144, LIMITS.bytes);
        const ms = intParam(url, "ms", 3000, LIMITS.ms);
        const chunks = intParam(url, "chunks", 30, LIMITS.chunks);
        entry.status = 200;
        entry.outcome = `probe-slow bytes=${bytes} ms=${ms} chunks=${chunks}${req.method === "POST" ? ` received=${received}` : ""}`;
        res.writeHead(200, {
            "Content-Type": "application/octet-stream",
            "Content-Length": String(bytes),
            "Cache-Control": "no-store",
            "X-Probe-Request-Bytes": String(received),
        });
        // Headers go out at once, so a client sees the transfer start before the first body byte.
        res.flushHeaders();
        sendSlowly(res, bytes, ms, chunks);
        return true;
    }
    const retryAfter = intParam(url, "retryAfter", 7, LIMITS.retryAfter);
    const bytes = intParam(url, "bytes", 64, LIMITS.bytes);
    const line = "probe 503 body; ";
    const body = Buffer.from(line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes));
    entry.status = 503;
    entry.outcome = `probe-503 retryAfter=${retryAfter} bytes=${bytes}`;
    res.writeHead(503, {
        "Content-Type": "text/plain",
        "Content-Length": String(body.length),
        "Retry-After": String(retryAfter),
        "Cache-Control": "no-store",
        // Sent twice on purpose: GetResponseHeaders keeps one value, GetResponseHeadersArray both.
        "X-Probe-Twice": ["first", "second"],
    });
    res.end(body);
    return true;
}
