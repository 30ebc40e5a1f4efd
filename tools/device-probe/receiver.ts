// The host side of the probe's network: a tiny HTTP receiver the channel POSTs its report to,
// and the address of this machine as the Roku sees it.
import { createServer, type Server } from "node:http";
import { createSocket } from "node:dgram";
import { networkInterfaces } from "node:os";
import type { AddressInfo } from "node:net";
import { parseReport, type ProbeReport } from "./report.ts";

/** Reports are a few kilobytes; anything much larger is not one. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface ReportReceiver {
    port: number;
    /** Resolves with the first valid report POSTed to /report. */
    received: Promise<ProbeReport>;
    close(): Promise<void>;
}

/** Listens on `host:port` (0 = any free port) for `POST /report` with the JSON report. */
export async function startReportReceiver(host: string, port = 0): Promise<ReportReceiver> {
    let deliver: (report: ProbeReport) => void = () => undefined;
    const received = new Promise<ProbeReport>((resolve) => (deliver = resolve));
    const server: Server = createServer((req, res) => {
        if (req.url !== "/report" || req.method !== "POST") {
            res.writeHead(req.url === "/report" ? 405 : 404, { "Content-Type": "application/json" }).end('{"error":"POST /report"}');
            req.resume();
            return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        req.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_BODY_BYTES) chunks.push(chunk);
        });
        req.on("end", () => {
            if (size > MAX_BODY_BYTES) {
                res.writeHead(413, { "Content-Type": "application/json" }).end('{"error":"too large"}');
                return;
            }
            try {
                const report = parseReport(Buffer.concat(chunks).toString("utf8"));
                res.writeHead(200, { "Content-Type": "application/json" }).end('{"ok":true}');
                deliver(report);
            } catch (error) {
                res.writeHead(400, { "Content-Type": "application/json" }).end(JSON.stringify({ error: (error as Error).message }));
            }
        });
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve());
    });
    return {
        port: (server.address() as AddressInfo).port,
        received,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/**
 * This machine's address on the interface that reaches `host`: connecting a UDP socket only
 * chooses the route (no packet is sent). Falls back to the first external IPv4 address.
 */
export async function localAddressFor(host: string): Promise<string> {
    const routed = await new Promise<string | undefined>((resolve) => {
        const socket = createSocket("udp4");
        socket.once("error", () => {
            socket.close();
            resolve(undefined);
        });
        socket.connect(8060, host, () => {
            const address = socket.address().address;
            socket.close();
            resolve(address && address !== "0.0.0.0" ? address : undefined);
        });
    });
    if (routed) return routed;
    for (const entries of Object.values(networkInterfaces())) {
        const external = entries?.find((entry) => entry.family === "IPv4" && !entry.internal);
        if (external) return external.address;
    }
    throw new Error(`cannot tell this machine's address as ${host} sees it; pass --host-address <ip>`);
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freeLoopbackPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}
