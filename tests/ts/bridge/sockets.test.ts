// Real clients against a BrightScript echo server running in the simulator through the bridge.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { Simulator, type RunResult } from "../../../tools/sim/simulator.ts";
import { buildBridgeChannel } from "./channels.ts";
import { connect, readBytes, readToEnd, seededBytes, seededRandom, sha256 } from "../support/net-clients.ts";

const RUN_TIMEOUT_MS = 180_000;
let simulator: Simulator;
let zip: string;

before(async () => {
    zip = await buildBridgeChannel("echo");
    simulator = await Simulator.launch({ bridge: { portMap: { 7010: 0, 7019: 0 } } });
});
after(async () => {
    await simulator.close();
});

/** Starts the echo channel and resolves once it listens; a crash before that rejects. */
async function startEcho(): Promise<{ run: Promise<RunResult>; port: number }> {
    const lines: string[] = [];
    const run = simulator.run(zip, { timeoutMs: RUN_TIMEOUT_MS, onLine: (line) => lines.push(line) });
    const ended = run.then((result) => {
        throw new Error(`the echo channel ended before listening: ${result.reason}\n${lines.join("\n")}`);
    });
    const port = await Promise.race([simulator.bridge!.waitForListener(7010, 60_000), ended]);
    return { run, port };
}

async function stopEcho(run: Promise<RunResult>): Promise<RunResult> {
    const control = await connect(simulator.bridge!.listenerPort(7019)!);
    control.destroy();
    return run;
}

async function echoOnce(port: number, payload: Buffer, timeoutMs = 30_000): Promise<Buffer> {
    const socket = await connect(port);
    try {
        const reply = readBytes(socket, payload.length, timeoutMs);
        socket.write(payload);
        return await reply;
    } finally {
        socket.destroy();
    }
}

describe("bridged roStreamSocket: a BrightScript echo server", () => {
    let run: Promise<RunResult>;
    let port: number;

    before(async () => {
        ({ run, port } = await startEcho());
    });

    it("echoes 40 concurrent connections, each its own bytes", async () => {
        const payloads = Array.from({ length: 40 }, (_, i) => seededBytes(2000 + i * 37, i + 1));
        const replies = await Promise.all(payloads.map((payload) => echoOnce(port, payload)));
        replies.forEach((reply, i) => assert.equal(sha256(reply), sha256(payloads[i]!), `connection ${i}`));
    });

    it("moves 10 MB through with partial sends and no loss", async () => {
        const payload = seededBytes(10 * 1024 * 1024, 42);
        const reply = await echoOnce(port, payload, 120_000);
        assert.equal(reply.length, payload.length);
        assert.equal(sha256(reply), sha256(payload));
    });

    it("streams both ways with random chunk sizes and timing, bytes in order", async () => {
        const random = seededRandom(7);
        const payload = seededBytes(1024 * 1024, 99);
        const socket = await connect(port);
        try {
            const reply = readBytes(socket, payload.length, 60_000);
            for (let at = 0; at < payload.length;) {
                const size = 1 + Math.floor(random() * 30_000);
                socket.write(payload.subarray(at, at + size));
                at += size;
                if (random() < 0.2) await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 20)));
            }
            assert.equal(sha256(await reply), sha256(payload));
        } finally {
            socket.destroy();
        }
    });

    it("survives a client that disconnects mid-transfer, and keeps serving", async () => {
        const socket = await connect(port);
        socket.on("error", () => undefined);
        socket.write(seededBytes(4 * 1024 * 1024, 5));
        await readBytes(socket, 100_000, 30_000);
        socket.destroy();
        const check = seededBytes(5000, 6);
        assert.equal(sha256(await echoOnce(port, check)), sha256(check));
    });

    it("answers a half-closed client in full and then closes (peer close seen as readable, 0 bytes)", async () => {
        const payload = seededBytes(300_000, 11);
        const socket = await connect(port);
        try {
            const all = readToEnd(socket, 30_000);
            socket.end(payload);
            const reply = await all;
            assert.equal(reply.length, payload.length);
            assert.equal(sha256(reply), sha256(payload));
        } finally {
            socket.destroy();
        }
    });

    it("stops cleanly, having made partial sends, and then refuses connections", async () => {
        const result = await stopEcho(run);
        assert.equal(result.outcome, "exited", result.reason);
        const stats = result.lines.find((line) => line.startsWith("ECHO-STATS"));
        assert.ok(stats, result.lines.join("\n"));
        const partialSends = Number(/partialSends=(\d+)/.exec(stats)?.[1]);
        assert.ok(partialSends > 0, `expected partial sends with a 16 KiB send buffer: ${stats}`);
        assert.ok(Number(/accepted=(\d+)/.exec(stats)?.[1]) >= 44, stats);
        assert.deepEqual(simulator.bridge!.counts(), { sockets: 0, transfers: 0 });
        await assert.rejects(connect(port), (error: NodeJS.ErrnoException) => error.code === "ECONNREFUSED");
    });
});

describe("bridged roStreamSocket: failures", () => {
    it("reports a port in use as a failed Listen with EADDRINUSE", async () => {
        const squatter = net.createServer();
        await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
        const taken = (squatter.address() as net.AddressInfo).port;
        simulator.bridge!.portMap.set(7010, taken);
        try {
            const result = await simulator.run(zip, { timeoutMs: 60_000, until: /ECHO-(LISTEN-FAILED|LISTENING)/ });
            assert.equal(result.outcome, "matched", result.reason);
            assert.ok(
                result.lines.some((line) => line === "ECHO-LISTEN-FAILED 7010 status=98"),
                result.lines.join("\n"),
            );
        } finally {
            simulator.bridge!.portMap.set(7010, 0);
            await new Promise((resolve) => squatter.close(resolve));
        }
    });

    it("fails the run with a clear message when the bridge is dead", async () => {
        simulator.bridge!.setFault("dead");
        try {
            const result = await simulator.run(zip, { timeoutMs: 60_000 });
            assert.equal(result.outcome, "crashed", result.reason);
            assert.match(result.reason, /network bridge failure: \[bridge\] FATAL: bridge call \S+ failed/);
        } finally {
            simulator.bridge!.setFault("none");
        }
    });

    it("fails the run with a clear message when the bridge is stuck", async () => {
        const bridge = simulator.bridge!;
        const saved = bridge.options.requestTimeoutMs;
        bridge.options.requestTimeoutMs = 2000;
        try {
            const { run } = await startEcho();
            bridge.setFault("stuck");
            const result = await run;
            assert.equal(result.outcome, "crashed", result.reason);
            assert.match(result.reason, /FATAL: bridge call \S+ failed after \d+ ms .*dead or stuck/);
            assert.ok(result.durationMs < 50_000, `took ${result.durationMs} ms`);
        } finally {
            bridge.setFault("none");
            bridge.options.requestTimeoutMs = saved;
        }
    });
});
