// The simulator's device rules (tools/sim/device-rules.ts), each seen from BrightScript: one test
// channel asks every question twice, once with the rules as `npm test` runs them (plus the
// Slice flag) and once with every rule off, and each answer must follow its rule.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { mkdirSync, writeFileSync } from "node:fs";
import { Simulator, type RunResult } from "../../../tools/sim/simulator.ts";
import { kindSimulator, type DeviceRuleOverrides } from "../../../tools/sim/device-rules.ts";
import { makeTestCa } from "../../../tools/origin/test-ca.ts";
import { buildBridgeChannel } from "./channels.ts";

const RUN_TIMEOUT_MS = 180_000;
let plain: http.Server;
let secure: https.Server;
let caPem: string;
let zip: string;
/** Open /partial answers: they end when the test is over (the channel cancels them first). */
const partials = new Set<http.ServerResponse>();

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/unavailable") {
        res.writeHead(503, { "Retry-After": "7", "Content-Type": "text/plain" }).end("busy");
    } else if (path === "/partial") {
        res.writeHead(200, { "Content-Type": "application/octet-stream" });
        res.write(Buffer.alloc(4096, 0x62));
        partials.add(res);
        res.on("close", () => partials.delete(res));
    } else if (path === "/hello") {
        res.end("hello");
    } else {
        res.writeHead(404).end();
    }
}

async function listen(server: net.Server): Promise<number> {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return (server.address() as net.AddressInfo).port;
}

before(async () => {
    const ca = await makeTestCa();
    caPem = ca.caPem;
    plain = http.createServer(handle);
    secure = https.createServer({ cert: ca.certPem, key: ca.keyPem }, handle);
    const config = { base: `http://127.0.0.1:${await listen(plain)}`, secureBase: `https://127.0.0.1:${await listen(secure)}` };
    mkdirSync("out/bridge", { recursive: true });
    writeFileSync("out/bridge/device-rules-config.json", JSON.stringify(config));
    zip = await buildBridgeChannel("device-rules", [{ src: "out/bridge/device-rules-config.json", dest: "config.json" }]);
});
after(async () => {
    for (const res of partials) res.destroy();
    for (const server of [plain, secure]) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
    }
});

/** Runs the channel under `deviceRules`, connecting (and sending nothing) when it waits on 7032. */
async function askPlatform(deviceRules: DeviceRuleOverrides): Promise<RunResult> {
    const simulator = await Simulator.launch({
        bridge: { portMap: { 7031: 0, 7032: 0 }, trustedCertificates: [caPem] },
        deviceRules,
    });
    const quiet: net.Socket[] = [];
    try {
        const run = simulator.run(zip, {
            timeoutMs: RUN_TIMEOUT_MS,
            onLine: (line) => {
                if (line !== "RECEIVE-LISTENING") return;
                void simulator.bridge!.waitForListener(7032).then((port) => quiet.push(net.connect(port, "127.0.0.1")));
            },
        });
        return await run;
    } finally {
        for (const socket of quiet) socket.destroy();
        await simulator.close();
    }
}

function line(result: RunResult, prefix: string): string {
    const found = result.lines.find((candidate) => candidate.startsWith(prefix + " "));
    assert.ok(found, `no ${prefix} line in:\n${result.lines.join("\n")}`);
    return found;
}

describe("device rules: the simulator answers like a Roku", () => {
    let device: RunResult;
    let kind: RunResult;

    before(async () => {
        device = await askPlatform({ noByteArraySlice: true });
        kind = await askPlatform(kindSimulator());
    });

    it("runs every question under both rule sets", () => {
        for (const result of [device, kind]) {
            assert.equal(result.outcome, "exited", `${result.reason}\n${result.lines.join("\n")}`);
            assert.ok(result.lines.includes("RULES-DONE"));
        }
    });

    it("numbersThroughFloat: Str, Int and Fix take a Float", () => {
        assert.equal(line(device, "NUMBERS"), "NUMBERS str=[ 1.75905e+15] int=16777216 fix=-16777220");
        assert.equal(line(kind, "NUMBERS"), "NUMBERS str=[ 1759049839859420] int=16777217 fix=-16777219");
    });

    it("noByteArraySlice: roByteArray loses ifArraySlice", () => {
        assert.equal(line(device, "SLICE"), "SLICE has=false");
        assert.equal(line(kind, "SLICE"), "SLICE has=true");
    });

    it("renameRefusesExisting: Rename onto an existing file fails and leaves it", () => {
        assert.equal(line(device, "RENAME"), "RENAME onto-existing=false target=to");
        assert.equal(line(kind, "RENAME"), "RENAME onto-existing=true target=from");
    });

    it("bindAtSetAddress: SetAddress on a port in use returns false with EADDRINUSE", () => {
        assert.equal(line(device, "BIND"), "BIND first=true second=false status=98");
        assert.equal(line(kind, "BIND"), "BIND first=true second=true status=0");
    });

    it("receiveZeroWhenEmpty: Receive with nothing waiting is 0 and would-block, not a close", () => {
        assert.equal(line(device, "RECEIVE"), "RECEIVE n=0 eOK=true eSuccess=false");
        assert.equal(line(kind, "RECEIVE"), "RECEIVE n=-1 eOK=true eSuccess=false");
    });

    it("headersOnlyFor2xx: a 503's headers only through GetResponseHeadersArray", () => {
        assert.equal(line(device, "HEADERS"), "HEADERS code=503 plain=0 arrayRetryAfter=7");
        assert.match(line(kind, "HEADERS"), /^HEADERS code=503 plain=[1-9]\d* arrayRetryAfter=7$/);
    });

    it("cancelDeletesPartial: AsyncCancel removes the partial .tmp", () => {
        assert.equal(line(device, "CANCEL"), "CANCEL seen=4096 tmpAfter=-1");
        assert.equal(line(kind, "CANCEL"), "CANCEL seen=4096 tmpAfter=4096");
    });

    it("httpsNeedsCertificates: https fails without SetCertificatesFile, the device bundle trusts the test CA", () => {
        assert.equal(line(device, "HTTPS"), "HTTPS bare=-60 bundle=200");
        assert.equal(line(kind, "HTTPS"), "HTTPS bare=200 bundle=200");
    });
});
