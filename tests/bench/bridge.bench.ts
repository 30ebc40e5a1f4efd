// Network bridge benchmark: echo throughput and 1-byte round trip through a BrightScript echo
// server, and bridged roUrlTransfer download throughput, each beside a plain Node loopback
// baseline measured in the same run (read the ratios; absolute figures depend on the machine).
import http from "node:http";
import net from "node:net";
import { mkdirSync, writeFileSync } from "node:fs";
import { Simulator } from "../../tools/sim/simulator.ts";
import { buildBridgeChannel } from "../ts/bridge/channels.ts";
import { connect, readBytes, seededBytes } from "../ts/support/net-clients.ts";

const ECHO_BYTES = 4 * 1024 * 1024;
const ROUND_TRIPS = 100;
const DOWNLOAD_BYTES = 1024 * 1024;
const DOWNLOAD_COUNT = 3;

function emit(record: Record<string, unknown>): void {
    console.log(JSON.stringify(record));
}

async function echoThroughput(port: number): Promise<number> {
    const payload = seededBytes(ECHO_BYTES, 3);
    const socket = await connect(port);
    try {
        const started = performance.now();
        const reply = readBytes(socket, payload.length, 300_000);
        socket.write(payload);
        await reply;
        return ECHO_BYTES / (1024 * 1024) / ((performance.now() - started) / 1000);
    } finally {
        socket.destroy();
    }
}

/** Median microseconds for a 1-byte request to come back. */
async function roundTrip(port: number): Promise<number> {
    const socket = await connect(port);
    socket.setNoDelay(true);
    try {
        const samples: number[] = [];
        for (let i = 0; i < ROUND_TRIPS; i++) {
            const started = performance.now();
            const reply = readBytes(socket, 1, 10_000);
            socket.write(Buffer.of(i & 0xff));
            await reply;
            samples.push((performance.now() - started) * 1000);
        }
        samples.sort((a, b) => a - b);
        return samples[Math.floor(samples.length / 2)]!;
    } finally {
        socket.destroy();
    }
}

async function nodeEchoServer(): Promise<{ port: number; close: () => Promise<void> }> {
    const server = net.createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        port: (server.address() as net.AddressInfo).port,
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
}

async function nodeDownload(url: string): Promise<number> {
    const started = performance.now();
    let total = 0;
    for (let i = 0; i < DOWNLOAD_COUNT; i++) {
        const response = await fetch(url);
        total += (await response.arrayBuffer()).byteLength;
    }
    return total / (1024 * 1024) / ((performance.now() - started) / 1000);
}

async function benchSockets(simulator: Simulator): Promise<void> {
    const zip = await buildBridgeChannel("echo");
    const run = simulator.run(zip, { timeoutMs: 600_000 });
    const port = await simulator.bridge!.waitForListener(7010, 60_000);
    const baseline = await nodeEchoServer();
    try {
        const bridged = await echoThroughput(port);
        const plain = await echoThroughput(baseline.port);
        emit({ bench: "bridge.echo.throughput", unit: "MB/s", bridge: round(bridged), node: round(plain), ratio: round(plain / bridged) });
        const bridgedRtt = await roundTrip(port);
        const plainRtt = await roundTrip(baseline.port);
        emit({
            bench: "bridge.echo.roundTrip1B",
            unit: "us",
            bridge: round(bridgedRtt),
            node: round(plainRtt),
            ratio: round(bridgedRtt / plainRtt),
        });
    } finally {
        await baseline.close();
        const control = await connect(simulator.bridge!.listenerPort(7019)!);
        control.destroy();
        await run;
    }
}

async function benchDownloads(simulator: Simulator): Promise<void> {
    const body = seededBytes(DOWNLOAD_BYTES, 9);
    const server = http.createServer((_, res) => {
        res.writeHead(200, { "Content-Length": body.length, "Access-Control-Allow-Origin": "*" }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/big`;
    try {
        mkdirSync("out/bridge", { recursive: true });
        writeFileSync("out/bridge/download-config.json", JSON.stringify({ url, count: DOWNLOAD_COUNT }));
        const zip = await buildBridgeChannel("download", [{ src: "out/bridge/download-config.json", dest: "config.json" }]);
        const bridged = await channelDownload(simulator, zip, true);
        const engine = await channelDownload(simulator, zip, false);
        const plain = await nodeDownload(url);
        emit({
            bench: "bridge.urlTransfer.getToFile",
            unit: "MB/s",
            bridge: round(bridged),
            engineOwn: round(engine),
            node: round(plain),
            ratio: round(plain / bridged),
        });
    } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
    }
}

/** MB/s the channel reports for its downloads, with the bridged or the engine's roUrlTransfer. */
async function channelDownload(simulator: Simulator, zip: string, bridged: boolean): Promise<number> {
    simulator.bridge!.options.urlTransfer = bridged;
    const result = await simulator.run(zip, { timeoutMs: 300_000, until: /^DOWNLOAD/ });
    const match = /^DOWNLOAD bytes=(\d+) ms=(\d+)/.exec(result.lines.find((line) => line.startsWith("DOWNLOAD")) ?? "");
    if (!match) throw new Error(`download channel failed: ${result.reason}\n${result.lines.join("\n")}`);
    return Number(match[1]) / (1024 * 1024) / (Number(match[2]) / 1000);
}

function round(value: number): number {
    return Math.round(value * 100) / 100;
}

const simulator = await Simulator.launch({ bridge: { portMap: { 7010: 0, 7019: 0 } } });
try {
    await benchSockets(simulator);
    await benchDownloads(simulator);
} finally {
    await simulator.close();
}
