// tmp:/ (and cachefs:/) shared between engine threads (tests/bridge/shared-tmp): tasks a and b write
// 200 files each into one directory at the same time, a renames its odd files while b deletes its
// even ones; task c and the render thread then list and read the directory. Also files handed
// between a task and the render thread both ways, and ReadFile(path, offset, length) on a bridged
// download's <target>.tmp while another thread appends to it. See docs/bridge.md.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync, writeFileSync } from "node:fs";
import { Simulator, type RunResult } from "../../../tools/sim/simulator.ts";
import { buildBridgeChannel } from "./channels.ts";
import { sha256 } from "../support/net-clients.ts";

const COUNT = 200;
const RECORDS = 131072; // 16-byte records: 2 MiB
const CHUNK = 16 * 1024;
const body = Buffer.from(Array.from({ length: RECORDS }, (_, k) => `${String(k).padStart(15, "0")}\n`).join(""), "latin1");
let simulator: Simulator;
let server: http.Server;
let zip: string;

/** Sends the 2 MiB body in 16 KiB pieces, one every 15 ms (about 2 s), so the .tmp grows for a while. */
function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": body.length });
    let at = 0;
    const timer = setInterval(() => {
        res.write(body.subarray(at, at + CHUNK));
        at += CHUNK;
        if (at >= body.length) {
            clearInterval(timer);
            res.end();
        }
    }, 15);
    res.on("close", () => clearInterval(timer));
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
        result = await simulator.run(zip, { timeoutMs: 240_000 });
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
        const cToken = value(result.lines.find((line) => line.startsWith("XTHREAD c-wrote=")), "c-wrote");
        const renderToken = value(result.lines.find((line) => line.startsWith("XTHREAD render-wrote=")), "render-wrote");
        assert.ok(cToken.length > 10 && renderToken.length > 10 && cToken !== renderToken, result.lines.filter((l) => l.startsWith("XTHREAD")).join("\n"));
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
        // Several sizes seen and records read before the download ended: the reads raced the appends.
        assert.ok(Number(value(tail, "sizes")) >= 2, tail);
        assert.ok(Number(value(tail, "checks")) >= 6, tail);
        assert.ok(Number(value(tail, "lastTmpSize")) < body.length, tail);
        const final = lines.find((line) => line.startsWith("GROW-FINAL "));
        assert.equal(Number(value(final, "size")), body.length, final);
        assert.equal(value(final, "sha256"), sha256(body), final);
    });

    it("leaves nothing open in the bridge", () => {
        assert.deepEqual(simulator.bridge!.counts(), { sockets: 0, transfers: 0 });
    });
});
