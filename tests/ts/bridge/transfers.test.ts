// Bridged roUrlTransfer against a local HTTP server: growing files, overlap, cancel, failures.
// The server holds its answers until the channel has shown what each check needs (the .tmp at a
// size, all four transfers in flight), so nothing depends on how fast the machine is.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { mkdirSync, writeFileSync } from "node:fs";
import { Simulator, type RunResult } from "../../../tools/sim/simulator.ts";
import { buildBridgeChannel } from "./channels.ts";
import { StagedBody } from "./staged-body.ts";
import { seededBytes } from "../support/net-clients.ts";

const TRICKLE_BODY = seededBytes(65536, 3);
const TRICKLE_BOUNDARIES = [16384, 32768, 49152];
const trickleStages = new StagedBody(TRICKLE_BODY, TRICKLE_BOUNDARIES, { chunkBytes: 1024, holdTimeoutMs: 30_000 });
/** The engine's own transfer writes no .tmp to report: it gets the body without holds. */
const trickleWhole = new StagedBody(TRICKLE_BODY, [], { chunkBytes: 1024, holdTimeoutMs: 0 });
let trickleGated = true;
const slowWaiting: (() => void)[] = [];
let maxSlowInFlight = 0;
let endlessClosed: Promise<void> = new Promise(() => undefined);
let simulator: Simulator;
let server: http.Server;
let zip: string;

/**
 * /trickle: 64 KiB, held at each quarter until the channel reports its .tmp reached it (while
 * `trickleGated`); /slow: every answer waits until all four requests are in flight (or 60 s);
 * /endless never ends.
 */
function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/trickle") return trickle(req, res);
    if (path === "/slow") {
        slowWaiting.push(() => res.end(`slow${new URL(req.url ?? "/", "http://x").searchParams.get("n")}`));
        maxSlowInFlight = Math.max(maxSlowInFlight, slowWaiting.length);
        if (slowWaiting.length === 4) answerSlow();
        else setTimeout(answerSlow, 60_000).unref();
        return;
    }
    if (path === "/endless") {
        res.writeHead(200, { "Content-Type": "application/octet-stream" });
        const timer = setInterval(() => res.write(Buffer.alloc(1024, 0x61)), 50);
        endlessClosed = new Promise((resolve) => res.on("close", () => resolve()));
        res.on("close", () => clearInterval(timer));
        setTimeout(() => res.destroy(), 120_000).unref();
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
    res.writeHead(200, {
        "Content-Type": "application/octet-stream",
        "Content-Length": TRICKLE_BODY.length,
        "Access-Control-Allow-Origin": "*",
    });
    if (req.method === "HEAD") return void res.end();
    void (trickleGated ? trickleStages : trickleWhole).send("trickle", res);
}

/** `TRICKLE-TMP size=16384`: the channel saw the trickle's .tmp at that size. */
function onLine(line: string): void {
    const seen = /^TRICKLE-TMP size=(\d+)/.exec(line);
    if (seen) trickleStages.seen("trickle", Number(seen[1]));
}

function answerSlow(): void {
    for (const answer of slowWaiting.splice(0)) answer();
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
        result = await simulator.run(zip, { timeoutMs: 400_000, onLine });
    });

    it("runs the whole scenario list", () => {
        console.log(result.lines.filter((line) => /^[A-Z-]+ /.test(line)).join("\n"));
        assert.equal(result.outcome, "exited", `${result.reason}\n${result.lines.join("\n")}`);
        assert.ok(result.lines.includes("TRANSFERS-DONE"));
    });

    it("grows <target>.tmp while a trickled body arrives, then renames it to the target", () => {
        const line = field(result.lines, "TRICKLE");
        assert.equal(number(line, "code"), 200, line);
        // The body was held at each quarter until the channel saw the .tmp reach it.
        const run = trickleStages.run("trickle");
        assert.deepEqual(run.timedOut, [], `the .tmp was not seen reaching these sizes: ${line}`);
        assert.deepEqual(
            run.openedAt.map((gate) => gate.boundary),
            TRICKLE_BOUNDARIES,
            line,
        );
        assert.ok(number(line, "growthSteps") >= TRICKLE_BOUNDARIES.length, `the file should be seen growing: ${line}`);
        assert.equal(number(line, "final"), 65536, line);
        assert.equal(number(line, "tmpAfter"), -1, line);
    });

    it("keeps four transfers in flight at once", () => {
        const line = field(result.lines, "OVERLAP");
        assert.match(line, /done=4 codes=200,200,200,200 bodies=slow1,slow2,slow3,slow4/);
        // No answer went out before all four requests were in flight at the server.
        assert.equal(maxSlowInFlight, 4, `at most ${maxSlowInFlight} of the four requests were in flight at once`);
    });

    it("stops a transfer mid-body with AsyncCancel: connection closed, no event, no target", async () => {
        const line = field(result.lines, "CANCEL");
        assert.ok(number(line, "sizeAtCancel") >= 4096, line);
        assert.equal(number(line, "eventsAfter"), 0, line);
        assert.equal(number(line, "targetExists"), -1, line);
        await Promise.race([
            endlessClosed,
            new Promise((_, reject) => setTimeout(() => reject(new Error("the server connection was not closed")), 30_000)),
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
        assert.equal(field(result.lines, "ERROR-DROPPED"), "ERROR-DROPPED code=404 body=[] reason=The requested URL returned error: 404");
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
        trickleGated = false;
        try {
            const result = await simulator.run(zip, { timeoutMs: 60_000, until: /^TRICKLE / });
            assert.equal(result.outcome, "matched", result.reason);
            const line = field(result.lines, "TRICKLE");
            assert.equal(number(line, "code"), 200, line);
            assert.equal(number(line, "growthSteps"), 0, line);
            assert.equal(number(line, "final"), 65536, line);
        } finally {
            bridge.options.urlTransfer = true;
            trickleGated = true;
        }
    });
});
