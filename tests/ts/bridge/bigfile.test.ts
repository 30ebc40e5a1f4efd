// Bridged *ToFile downloads of 16 MiB into tmp:/ (the engine's shared SingleBuffer volume): the
// <target>.tmp grows in steps, the final file reads back byte-exact (size and SHA-256 computed by
// BrightScript), twice per verb so freed space must be reused within the 64 MiB volume. The server
// holds the body at each quarter until the channel reports its .tmp reached it (StagedBody), so
// the growth is observed by construction, not by the machine being slow enough.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync, writeFileSync } from "node:fs";
import { Simulator, type RunResult } from "../../../tools/sim/simulator.ts";
import { buildBridgeChannel } from "./channels.ts";
import { seededBytes, sha256 } from "../support/net-clients.ts";
import { StagedBody } from "./staged-body.ts";

const SIZE = 16 * 1024 * 1024;
const CHUNK = 256 * 1024;
const ROUNDS = 2;
const BOUNDARIES = [SIZE / 4, SIZE / 2, (3 * SIZE) / 4];
const body = seededBytes(SIZE, 16);
const staged = new StagedBody(body, BOUNDARIES, { chunkBytes: CHUNK, holdTimeoutMs: 30_000 });
let simulator: Simulator;
let server: http.Server;
let zip: string;

/** Sends the body of download `?key=<method>-<round>` in stages (see StagedBody). */
function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    const key = new URL(req.url ?? "/", "http://bridge.test").searchParams.get("key") ?? "";
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": SIZE });
    void staged.send(key, res);
}

/** `BIGFILE-TMP key=GET-1 size=4194304`: the channel saw that download's .tmp at that size. */
function onLine(line: string): void {
    const seen = /^BIGFILE-TMP key=(\S+) size=(\d+)/.exec(line);
    if (seen) staged.seen(seen[1]!, Number(seen[2]));
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
        result = await simulator.run(zip, { timeoutMs: 240_000, onLine });
        // The whole console, for when a run fails in a way its last lines do not explain.
        writeFileSync("out/bridge/bigfile-console.txt", result.lines.join("\n"));
    });

    it("runs to the end", () => {
        console.log(result.lines.filter((line) => line.startsWith("BIGFILE") && !line.startsWith("BIGFILE-TMP")).join("\n"));
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
                // The server held the body at each boundary until the channel saw the .tmp reach it:
                // one distinct size per boundary at least, each below the final size.
                const run = staged.run(`${method}-${value("round")}`);
                assert.deepEqual(run.timedOut, [], `the .tmp was not seen reaching these sizes: ${line}`);
                assert.deepEqual(
                    run.openedAt.map((gate) => gate.boundary),
                    BOUNDARIES,
                    line,
                );
                assert.ok(
                    run.openedAt.every((gate) => gate.seenSize < SIZE),
                    JSON.stringify(run.openedAt),
                );
                assert.ok(Number(value("steps")) >= BOUNDARIES.length, `the .tmp should be seen growing in steps: ${line}`);
                assert.equal(Number(value("tmpAfter")), -1, line);
            }
        });
    }

    it("leaves nothing open in the bridge", () => {
        assert.deepEqual(simulator.bridge!.counts(), { sockets: 0, transfers: 0 });
    });
});
