// Bridged roUrlTransfer against a local HTTP server: growing files, overlap, cancel, failures.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { mkdirSync, writeFileSync } from "node:fs";
import { Simulator, type RunResult } from "../../../tools/sim/simulator.ts";
import { buildBridgeChannel } from "./channels.ts";

interface Timing {
    start: number;
    end: number;
}

const slowTimings: Timing[] = [];
let endlessClosed: Promise<void> = new Promise(() => undefined);
let simulator: Simulator;
let server: http.Server;
let zip: string;

/** /trickle: 64 KiB in 1 KiB pieces over ~2 s; /slow: 1 s before its body; /endless never ends. */
function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/trickle") return trickle(req, res);
    if (path === "/slow") {
        const timing = { start: Date.now(), end: 0 };
        slowTimings.push(timing);
        setTimeout(() => {
            timing.end = Date.now();
            res.end(`slow${new URL(req.url ?? "/", "http://x").searchParams.get("n")}`);
        }, 1000);
        return;
    }
    if (path === "/endless") {
        res.writeHead(200, { "Content-Type": "application/octet-stream" });
        const timer = setInterval(() => res.write(Buffer.alloc(1024, 0x61)), 50);
        endlessClosed = new Promise((resolve) => res.on("close", () => resolve()));
        res.on("close", () => clearInterval(timer));
        setTimeout(() => res.destroy(), 20_000).unref();
        return;
    }
    if (path === "/echo") {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => res.end(`${req.method}|${req.headers["x-test"] ?? "-"}|${Buffer.concat(chunks).toString()}`));
        return;
    }
    res.writeHead(404).end("not here");
}

function trickle(req: http.IncomingMessage, res: http.ServerResponse): void {
    // CORS: the engine's own roUrlTransfer goes through the browser (the bridge does not need it).
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": 65536, "Access-Control-Allow-Origin": "*" });
    if (req.method === "HEAD") return void res.end();
    let sent = 0;
    const timer = setInterval(() => {
        res.write(Buffer.alloc(1024, sent & 0xff));
        sent += 1;
        if (sent === 64) {
            clearInterval(timer);
            res.end();
        }
    }, 31);
    res.on("close", () => clearInterval(timer));
}

async function freePort(): Promise<number> {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    return port;
}

before(async () => {
    server = http.createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const deadBase = `http://127.0.0.1:${await freePort()}`;
    mkdirSync("out/bridge", { recursive: true });
    writeFileSync("out/bridge/transfers-config.json", JSON.stringify({ base, deadBase }));
    zip = await buildBridgeChannel("transfers", [{ src: "out/bridge/transfers-config.json", dest: "config.json" }]);
    simulator = await Simulator.launch({ bridge: true });
});
after(async () => {
    await simulator.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
});

function field(lines: string[], prefix: string): string {
    const line = lines.find((candidate) => candidate.startsWith(prefix + " "));
    assert.ok(line, `no ${prefix} line in:\n${lines.join("\n")}`);
    return line;
}

function number(line: string, key: string): number {
    const match = new RegExp(`${key}=(-?\\d+)`).exec(line);
    assert.ok(match, `no ${key} in ${line}`);
    return Number(match[1]);
}

describe("bridged roUrlTransfer", () => {
    let result: RunResult;

    before(async () => {
        result = await simulator.run(zip, { timeoutMs: 120_000 });
    });

    it("runs the whole scenario list", () => {
        console.log(result.lines.filter((line) => /^[A-Z-]+ /.test(line)).join("\n"));
        assert.equal(result.outcome, "exited", `${result.reason}\n${result.lines.join("\n")}`);
        assert.ok(result.lines.includes("TRANSFERS-DONE"));
    });

    it("grows <target>.tmp while a trickled body arrives, then renames it to the target", () => {
        const line = field(result.lines, "TRICKLE");
        assert.equal(number(line, "code"), 200, line);
        assert.ok(number(line, "growthSteps") >= 5, `the file should be seen growing: ${line}`);
        assert.ok(number(line, "lastTmpSize") < 65536, `growth must be seen before completion: ${line}`);
        assert.equal(number(line, "final"), 65536, line);
        assert.equal(number(line, "tmpAfter"), -1, line);
    });

    it("keeps four transfers in flight at once", () => {
        const line = field(result.lines, "OVERLAP");
        assert.match(line, /done=4 codes=200,200,200,200 bodies=slow1,slow2,slow3,slow4/);
        assert.equal(slowTimings.length, 4);
        const lastStart = Math.max(...slowTimings.map((timing) => timing.start));
        const firstEnd = Math.min(...slowTimings.map((timing) => timing.end));
        assert.ok(lastStart < firstEnd, `all four requests must start before any finishes (${JSON.stringify(slowTimings)})`);
        assert.ok(number(line, "ms") < 3000, `four 1 s transfers in parallel took ${number(line, "ms")} ms`);
    });

    it("stops a transfer mid-body with AsyncCancel: connection closed, no event, no target", async () => {
        const line = field(result.lines, "CANCEL");
        assert.ok(number(line, "sizeAtCancel") >= 4096, line);
        assert.equal(number(line, "eventsAfter"), 0, line);
        assert.equal(number(line, "targetExists"), -1, line);
        await Promise.race([
            endlessClosed,
            new Promise((_, reject) => setTimeout(() => reject(new Error("the server connection was not closed")), 5000)),
        ]);
    });

    it("reports a dead server as a failure event with a reason", () => {
        const line = field(result.lines, "DEAD");
        assert.equal(line, "DEAD code=-7 reason=Couldn't connect to server");
    });

    it("sends verbs, headers and bodies; HEAD has no body; error bodies only when retained", () => {
        assert.equal(field(result.lines, "POST-STRING"), "POST-STRING code=200 body=POST|bridge|hello-post");
        assert.equal(field(result.lines, "PUT-STRING"), "PUT-STRING code=200 body=PUT|-|hello-put");
        assert.equal(field(result.lines, "POST-FILE-TO-FILE"), "POST-FILE-TO-FILE code=200 file=POST|-|file-body-0123456789");
        assert.equal(field(result.lines, "POST-FILE"), "POST-FILE code=200 body=POST|-|file-body-0123456789");
        assert.equal(field(result.lines, "HEAD"), "HEAD code=200 length=65536 body=[]");
        assert.equal(
            field(result.lines, "ERROR-DROPPED"),
            "ERROR-DROPPED code=404 body=[] reason=The requested URL returned error: 404"
        );
        assert.equal(field(result.lines, "ERROR-RETAINED"), "ERROR-RETAINED code=404 body=[not here]");
    });

    it("leaves nothing open in the bridge", () => {
        assert.deepEqual(simulator.bridge!.counts(), { sockets: 0, transfers: 0 });
    });
});

describe("the engine's own roUrlTransfer stays selectable", () => {
    it("delivers the trickled body whole, with no growing file, when urlTransfer is off", async () => {
        const bridge = simulator.bridge!;
        bridge.options.urlTransfer = false;
        try {
            const result = await simulator.run(zip, { timeoutMs: 60_000, until: /^TRICKLE / });
            assert.equal(result.outcome, "matched", result.reason);
            const line = field(result.lines, "TRICKLE");
            assert.equal(number(line, "code"), 200, line);
            assert.equal(number(line, "growthSteps"), 0, line);
            assert.equal(number(line, "final"), 65536, line);
        } finally {
            bridge.options.urlTransfer = true;
        }
    });
});

