// Bridged *ToFile downloads of 16 MiB into tmp:/ (the engine's shared SingleBuffer volume): the
// <target>.tmp grows in steps, the final file reads back byte-exact (size and SHA-256 computed by
// BrightScript), twice per verb so freed space must be reused within the 64 MiB volume.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync, writeFileSync } from "node:fs";
import { Simulator, type RunResult } from "../../../tools/sim/simulator.ts";
import { buildBridgeChannel } from "./channels.ts";
import { seededBytes, sha256 } from "../support/net-clients.ts";

const SIZE = 16 * 1024 * 1024;
const CHUNK = 256 * 1024;
const ROUNDS = 2;
const body = seededBytes(SIZE, 16);
let simulator: Simulator;
let server: http.Server;
let zip: string;

/** Sends the body in 256 KiB chunks, one every 10 ms, so the download takes a while. */
function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": SIZE });
    let at = 0;
    const timer = setInterval(() => {
        res.write(body.subarray(at, at + CHUNK));
        at += CHUNK;
        if (at >= SIZE) {
            clearInterval(timer);
            res.end();
        }
    }, 10);
    res.on("close", () => clearInterval(timer));
}

before(async () => {
    server = http.createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/big`;
    mkdirSync("out/bridge", { recursive: true });
    writeFileSync("out/bridge/bigfile-config.json", JSON.stringify({ url, rounds: ROUNDS }));
    zip = await buildBridgeChannel("bigfile", [{ src: "out/bridge/bigfile-config.json", dest: "config.json" }]);
    simulator = await Simulator.launch({ bridge: true });
});
after(async () => {
    await simulator.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
});

describe("bridged *ToFile downloads of 16 MiB into tmp:/", () => {
    let result: RunResult;
    before(async () => {
        result = await simulator.run(zip, { timeoutMs: 240_000 });
    });

    it("runs to the end", () => {
        console.log(result.lines.filter((line) => line.startsWith("BIGFILE")).join("\n"));
        assert.equal(result.outcome, "exited", `${result.reason}\n${result.lines.slice(-30).join("\n")}`);
        assert.ok(result.lines.includes("BIGFILE-DONE"));
    });

    for (const method of ["GET", "POST"]) {
        it(`${method}: the file grows as <target>.tmp in steps, then reads back byte-exact`, () => {
            const lines = result.lines.filter((line) => line.startsWith(`BIGFILE method=${method} `));
            assert.equal(lines.length, ROUNDS, result.lines.slice(-30).join("\n"));
            for (const line of lines) {
                const value = (key: string): string => new RegExp(`${key}=(\\S+)`).exec(line)?.[1] ?? "";
                assert.equal(Number(value("code")), 200, line);
                assert.equal(Number(value("size")), SIZE, line);
                assert.equal(value("sha256"), sha256(body), line);
                // Two or more distinct sizes before the event: the file grew while bytes arrived (how many depends on load).
                assert.ok(Number(value("steps")) >= 2, `the .tmp should be seen growing in steps: ${line}`);
                assert.ok(Number(value("lastTmpSize")) < SIZE, `growth must be seen before completion: ${line}`);
                assert.equal(Number(value("tmpAfter")), -1, line);
            }
        });
    }

    it("leaves nothing open in the bridge", () => {
        assert.deepEqual(simulator.bridge!.counts(), { sockets: 0, transfers: 0 });
    });
});
