/** Small HTTP plumbing shared by the origin's routes. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { toHex } from "./wire.ts";

/** Thrown by a route to answer with a plain HTTP status (403 for a dead session, 503 for F16...). */
export class HttpAnswer {
    constructor(
        readonly status: number,
        readonly body: string,
        readonly headers: Record<string, string> = {},
    ) {}
}

export function corsHeaders(res: ServerResponse): void {
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader(
        "Access-Control-Expose-Headers",
        "Content-Type, Content-Length, Retry-After, X-Origin-Request-Id, X-Origin-Faults, X-Origin-Session",
    );
}

/** JSON answer; bigints as decimal strings and bytes as hex, so log entries serialise as they are. */
export function json(res: ServerResponse, status: number, value: unknown): void {
    const body = JSON.stringify(
        value,
        (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? toHex(v) : v),
        2,
    );
    res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
    res.end(body);
}

/** The whole request body, or 'too-large' past `max` bytes (the rest is read and dropped). */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer | "too-large"> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let over = false;
        req.on("data", (c: Buffer) => {
            size += c.length;
            if (size > max) over = true;
            else chunks.push(c);
        });
        req.on("end", () => resolve(over ? "too-large" : Buffer.concat(chunks)));
        req.on("error", reject);
    });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
