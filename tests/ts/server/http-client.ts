// A minimal HTTP/1.1 response reader over a raw socket, for pipelining and byte-exact checks
// (Node's http client would hide what the server actually sent).
import type net from "node:net";

export interface RawResponse {
    status: number;
    headers: Record<string, string>;
    body: Buffer;
}

/** Reads `count` responses in order from `socket`; bodies by Content-Length (HEAD: none). */
export function readResponses(socket: net.Socket, count: number, timeoutMs: number, headOnly = false): Promise<RawResponse[]> {
    return new Promise((resolve, reject) => {
        let buffer = Buffer.alloc(0);
        const responses: RawResponse[] = [];
        const finish = (error?: Error): void => {
            clearTimeout(timer);
            socket.off("data", onData);
            socket.off("close", onClose);
            if (error) reject(error);
            else resolve(responses);
        };
        const parse = (): void => {
            while (responses.length < count) {
                const headEnd = buffer.indexOf("\r\n\r\n");
                if (headEnd < 0) return;
                const lines = buffer.subarray(0, headEnd).toString("latin1").split("\r\n");
                const status = Number(lines[0]?.split(" ")[1]);
                const headers: Record<string, string> = {};
                for (const line of lines.slice(1)) {
                    const colon = line.indexOf(":");
                    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
                }
                const length = headOnly ? 0 : Number(headers["content-length"] ?? 0);
                if (buffer.length < headEnd + 4 + length) return;
                responses.push({ status, headers, body: buffer.subarray(headEnd + 4, headEnd + 4 + length) });
                buffer = buffer.subarray(headEnd + 4 + length);
            }
            finish();
        };
        const onData = (chunk: Buffer): void => {
            buffer = Buffer.concat([buffer, chunk]);
            parse();
        };
        const onClose = (): void => finish(new Error(`connection closed after ${responses.length} of ${count} responses`));
        const timer = setTimeout(() => finish(new Error(`read ${responses.length} of ${count} responses before timing out`)), timeoutMs);
        socket.on("data", onData);
        socket.once("close", onClose);
    });
}

export function requestText(path: string, headers: Record<string, string> = {}, method = "GET"): string {
    const lines = [`${method} ${path} HTTP/1.1`, "Host: 127.0.0.1", ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    return lines.join("\r\n") + "\r\n\r\n";
}
