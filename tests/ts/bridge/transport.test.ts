// Which transport carries the bridge calls: the shared-memory channel relayed over a WebSocket
// (default), or synchronous XHR (the fallback, forced here with transport: "xhr"). How fast each
// is belongs to the benchmark (npm run bench -- bridge), not to a test.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Simulator, type RunResult } from "../../../tools/sim/simulator.ts";
import type { BridgeCallCounts } from "../../../tools/bridge/bridge-server.ts";
import { buildBridgeChannel } from "./channels.ts";
import { connect, readBytes, seededBytes, sha256 } from "../support/net-clients.ts";

const ROUND_TRIPS = 30;
let simulator: Simulator;
let zip: string;

before(async () => {
    zip = await buildBridgeChannel("echo");
    simulator = await Simulator.launch({ bridge: { portMap: { 7010: 0, 7019: 0 } } });
});
after(async () => {
    await simulator.close();
});

interface EchoSession {
    result: RunResult;
    calls: BridgeCallCounts;
}

/** Runs the echo channel: one 256 KiB echo checked byte for byte, then 1-byte round trips. */
async function echoSession(): Promise<EchoSession> {
    const bridge = simulator.bridge!;
    const before = bridge.callCounts();
    const run = simulator.run(zip, { timeoutMs: 120_000 });
    const ended = run.then((result) => {
        throw new Error(`the echo channel ended before listening: ${result.reason}`);
    });
    const port = await Promise.race([bridge.waitForListener(7010, 60_000), ended]);
    const socket = await connect(port);
    socket.setNoDelay(true);
    try {
        const payload = seededBytes(256 * 1024, 5);
        const reply = readBytes(socket, payload.length, 60_000);
        socket.write(payload);
        assert.equal(sha256(await reply), sha256(payload));
        for (let i = 0; i < ROUND_TRIPS; i++) {
            const one = readBytes(socket, 1, 10_000);
            socket.write(Buffer.of(i));
            assert.equal((await one)[0], i);
        }
    } finally {
        socket.destroy();
        (await connect(bridge.listenerPort(7019)!)).destroy();
    }
    const result = await run;
    const after = bridge.callCounts();
    return {
        result,
        calls: { ws: after.ws - before.ws, http: after.http - before.http },
    };
}

describe("bridge transport", () => {
    it("uses the shared-memory channel for every call by default", async () => {
        const fast = await echoSession();
        assert.equal(fast.result.outcome, "exited", fast.result.reason);
        // Every call (hello included) went through the relay; none fell back to XHR.
        assert.equal(fast.calls.http, 0, JSON.stringify(fast.calls));
        assert.ok(fast.calls.ws > 2 * ROUND_TRIPS, JSON.stringify(fast.calls));
        assert.deepEqual(simulator.bridge!.counts(), { sockets: 0, transfers: 0 });
    });

    it("falls back to synchronous XHR when the page has no relay", async () => {
        const bridge = simulator.bridge!;
        bridge.options.transport = "xhr";
        let xhr: EchoSession;
        try {
            xhr = await echoSession();
        } finally {
            bridge.options.transport = "auto";
        }
        assert.equal(xhr.result.outcome, "exited", xhr.result.reason);
        assert.equal(xhr.calls.ws, 0, JSON.stringify(xhr.calls));
        assert.ok(xhr.calls.http > 2 * ROUND_TRIPS, JSON.stringify(xhr.calls));
        assert.deepEqual(bridge.counts(), { sockets: 0, transfers: 0 });
    });
});
