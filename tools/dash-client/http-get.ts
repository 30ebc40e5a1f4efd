// One HTTP GET on a keep-alive agent, optionally ranged, that always resolves: a transport error
// or the timeout comes back in `error` with whatever arrived so far.
import http from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import { rangeText, type ByteRange } from "./byte-range.ts";

export interface SocketInfo {
    localPort: number;
    reused: boolean;
}

export interface HttpResult {
    status: number;
    headers: IncomingHttpHeaders;
    body: Buffer;
    ms: number;
    socket?: SocketInfo;
    error?: string;
}

export interface GetOptions {
    agent: http.Agent;
    /** Connect to last body byte. */
    timeoutMs: number;
    headers?: Record<string, string>;
    range?: ByteRange;
}

/** `url` with its port replaced through `portMap`, when the map names it. */
export function mapPort(url: string, portMap: Record<number, number> | undefined): string {
    const parsed = new URL(url);
    const mapped = portMap?.[Number(parsed.port)];
    if (mapped === undefined) return url;
    parsed.port = String(mapped);
    return parsed.toString();
}

export function httpGet(url: string, opts: GetOptions): Promise<HttpResult> {
    const started = performance.now();
    return new Promise((resolve) => {
        const chunks: Buffer[] = [];
        let status = 0;
        let headers: IncomingHttpHeaders = {};
        let socket: SocketInfo | undefined;
        let settled = false;
        const finish = (error?: string): void => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve({ status, headers, body: Buffer.concat(chunks), ms: Math.round(performance.now() - started), socket, error });
        };
        const requestHeaders = { ...opts.headers, ...(opts.range ? { Range: rangeText(opts.range) } : {}) };
        const req = http.get(url, { agent: opts.agent, headers: requestHeaders }, (res) => {
            status = res.statusCode ?? 0;
            headers = res.headers;
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => finish());
            res.on("error", (e) => finish(String(e)));
            res.on("close", () => {
                if (!res.complete) finish("connection closed before the body was complete");
            });
        });
        req.on("socket", (s) => {
            // A new socket has no local port until it connects.
            const note = (): void => {
                socket = { localPort: s.localPort ?? 0, reused: req.reusedSocket };
            };
            if (s.localPort) note();
            else s.once("connect", note);
        });
        req.on("error", (e) => finish(String(e)));
        const timer = setTimeout(() => {
            finish(`timeout after ${opts.timeoutMs} ms`);
            req.destroy();
        }, opts.timeoutMs);
    });
}
