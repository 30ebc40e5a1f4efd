// tmp:/ (and cachefs:/) shared between engine threads (tests/bridge/shared-tmp): tasks a and b write
// 100 files each into one directory at the same time, a renames its odd files while b deletes its
// even ones; task c and the render thread then list and read the directory. Also files handed
// between a task and the render thread both ways, and ReadFile(path, offset, length) on a bridged
// download's <target>.tmp while another thread appends to it (the server holds the body at each
// quarter until task c has read records there, so the reads race the appends by construction).
// See docs/bridge.md.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync, writeFileSync } from "node:fs";
import { Simulator, type RunResult } from "../../../tools/sim/simulator.ts";
import { buildBridgeChannel } from "./channels.ts";
import { sha256 } from "../support/net-clients.ts";
import { StagedBody } from "./staged-body.ts";

const COUNT = 100;
const RECORDS = 131072; // 16-byte records: 2 MiB
const CHUNK = 16 * 1024;
const body = Buffer.from(Array.from({ length: RECORDS }, (_, k) => `${String(k).padStart(15, "0")}\n`).join(""), "latin1");
const BOUNDARIES = [body.length / 4, body.length / 2, (3 * body.length) / 4];
const staged = new StagedBody(body, BOUNDARIES, { chunkBytes: CHUNK, holdTimeoutMs: 30_000 });
let simulator: Simulator;
let server: http.Server;
let zip: string;

/** Sends the 2 MiB body in stages: the next quarter only once task c has read records at the last one. */
function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": body.length });
    void staged.send("grow", res);
}

/** `GROW-SEEN size=524288`: task c read three records of the .tmp at that size. */
function onLine(line: string): void {
    const seen = /^GROW-SEEN size=(\d+)/.exec(line);
    if (seen) staged.seen("grow", Number(seen[1]));
}

/** Same as sharedContent() in tests/bridge/shared-tmp/components/SharedTmpCommon.brs. */
function content(role: string, n: number): string {
    let text = `${role.toUpperCase()}|${n}|`;
    for (let i = 0; i <= n % 13; i++) text += `${role}${n * 7 + i};`;
    return text;
}

/** What tmp:/shared must hold at the end: every b-<n>, the odd a-<n> as r-<n>, no a-<n>. */
function expectedFiles(): Map<string, string> {
    const files = new Map<string, string>();
    for (let n = 0; n < COUNT; n++) {
        files.set(`b-${n}`, content("b", n));
        if (n % 2 === 1) files.set(`r-${n}`, content("a", n));
    }
    return files;
}

/** The listing printed by one reader (`SHARED-C` or `SHARED-R`): [name, content] in listed order. */
function listing(result: RunResult, tag: string): { count: number; entries: [string, string][] } {
    const count = Number(/count=(\d+)/.exec(result.lines.find((line) => line.startsWith(`${tag} count=`)) ?? "")?.[1] ?? -1);
    const entries = result.lines
        .filter((line) => line.startsWith(`${tag} `) && !line.startsWith(`${tag} count=`))
        .map((line): [string, string] => {
            const text = line.slice(tag.length + 1);
            const space = text.indexOf(" ");
            return space < 0 ? [text, ""] : [text.slice(0, space), text.slice(space + 1)];
        });
    return { count, entries };
}

function value(line: string | undefined, key: string): string {
    return new RegExp(`${key}=(\\S*)`).exec(line ?? "")?.[1] ?? "";
}

before(async () => {
    server = http.createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/grow`;
    mkdirSync("out/bridge", { recursive: true });
    writeFileSync("out/bridge/shared-tmp-config.json", JSON.stringify({ url, count: COUNT }));
    zip = await buildBridgeChannel("shared-tmp", [{ src: "out/bridge/shared-tmp-config.json", dest: "config.json" }]);
    simulator = await Simulator.launch({ bridge: true });
});
after(async () => {
    await simulator.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
});

describe("tmp:/ shared between the render thread and three tasks", () => {
    let result: RunResult;
    before(async () => {
        result = await simulator.run(zip, { timeoutMs: 240_000, onLine });
        // The whole console, for when a run fails in a way its last lines do not explain.
        writeFileSync("out/bridge/shared-tmp-console.txt", result.lines.join("\n"));
    });

    it("runs to the end without a failed file operation", () => {
        const tail = result.lines.slice(-30).join("\n");
        assert.equal(result.outcome, "exited", `${result.reason}\n${tail}`);
        assert.ok(result.lines.includes("SHARED-DONE"), tail);
        assert.deepEqual(result.lines.filter((line) => line.startsWith("SHARED-ERR")).slice(0, 20), []);
    });

    for (const tag of ["SHARED-C", "SHARED-R"]) {
        it(`${tag === "SHARED-C" ? "task c" : "the render thread"} lists every file once with its exact content`, () => {
            const expected = expectedFiles();
            const { count, entries } = listing(result, tag);
            assert.ok(entries.length > 0, `no ${tag} listing:\n${result.lines.slice(-30).join("\n")}`);
            assert.equal(count, entries.length, "ListDir count and printed entries differ");
            const names = entries.map(([name]) => name);
            const duplicates = names.filter((name, i) => names.indexOf(name) !== i);
            assert.deepEqual(duplicates, [], "listed more than once");
            const unexpected = names.filter((name) => !expected.has(name));
            // Deleted (even a-<n>) and renamed (odd a-<n>) files must be gone under their old names.
            assert.deepEqual(unexpected.slice(0, 20), [], `${unexpected.length} unexpected entries`);
            const missing = [...expected.keys()].filter((name) => !names.includes(name));
            assert.deepEqual(missing.slice(0, 20), [], `${missing.length} expected entries missing`);
            const wrong = entries.filter(([name, text]) => expected.get(name) !== text);
            assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} files with another content`);
            assert.equal(entries.length, COUNT + COUNT / 2);
        });
    }

    it("hands files from a task to the render thread and back (tmp:/ and cachefs:/)", () => {
        const cToken = value(
            result.lines.find((line) => line.startsWith("XTHREAD c-wrote=")),
            "c-wrote",
        );
        const renderToken = value(
            result.lines.find((line) => line.startsWith("XTHREAD render-wrote=")),
            "render-wrote",
        );
        assert.ok(
            cToken.length > 10 && renderToken.length > 10 && cToken !== renderToken,
            result.lines.filter((l) => l.startsWith("XTHREAD")).join("\n"),
        );
        const renderRead = result.lines.find((line) => line.startsWith("XTHREAD render-read "));
        assert.equal(value(renderRead, "tmp"), `c-${cToken}`, renderRead);
        assert.equal(value(renderRead, "cachefs"), `cc-${cToken}`, renderRead);
        const taskRead = result.lines.find((line) => line.startsWith("XTHREAD task-read "));
        assert.equal(value(taskRead, "tmp"), `r-${renderToken}`, taskRead);
        assert.equal(value(taskRead, "cachefs"), `rc-${renderToken}`, taskRead);
    });

    it("reads <target>.tmp with offset and length while another thread's download grows it", () => {
        const lines = result.lines.filter((line) => line.startsWith("GROW"));
        const download = lines.find((line) => line.startsWith("GROW-DOWNLOAD "));
        assert.equal(Number(value(download, "code")), 200, lines.join("\n"));
        assert.equal(Number(value(download, "size")), body.length, download);
        assert.deepEqual(lines.filter((line) => line.startsWith("GROW-BAD")).slice(0, 10), []);
        const tail = lines.find((line) => line.startsWith("GROW-TAIL "));
        assert.equal(Number(value(tail, "bad")), 0, tail);
        // The server held the body at each quarter until task c had read three records there: one
        // size per quarter, each below the final size, with every record read right.
        const run = staged.run("grow");
        assert.deepEqual(run.timedOut, [], `task c did not report reading at these sizes: ${tail}`);
        assert.deepEqual(
            run.openedAt.map((gate) => gate.boundary),
            BOUNDARIES,
            tail,
        );
        assert.ok(
            run.openedAt.every((gate) => gate.seenSize < body.length),
            JSON.stringify(run.openedAt),
        );
        assert.ok(Number(value(tail, "sizes")) >= BOUNDARIES.length, tail);
        assert.ok(Number(value(tail, "checks")) >= 3 * BOUNDARIES.length, tail);
        const final = lines.find((line) => line.startsWith("GROW-FINAL "));
        assert.equal(Number(value(final, "size")), body.length, final);
        assert.equal(value(final, "sha256"), sha256(body), final);
    });

    it("leaves nothing open in the bridge", () => {
        assert.deepEqual(simulator.bridge!.counts(), { sockets: 0, transfers: 0 });
    });
});
