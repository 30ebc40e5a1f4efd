// The channel's HTTP server (ytsabrServerTask) in the simulator, driven by real clients through
// the network bridge: routes, exact ranges, keep-alive, pipelining, partial sends, concurrency,
// slow and vanishing clients, idle timeouts, refusal when full, and a fuzz run.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { execFile } from "node:child_process";
import { connect, seededRandom } from "../support/net-clients.ts";
import { readResponses, requestText } from "./http-client.ts";
import { AUDIO_KEY, VIDEO_KEY, startServerChannel, type ServerUnderTest } from "./server-channel.ts";

let server: ServerUnderTest;
const IDLE_MS = 4000;
const MAX_CONNECTIONS = 24;

before(async () => {
    server = await startServerChannel({ idleTimeoutMs: IDLE_MS, maxConnections: MAX_CONNECTIONS, sendBufferBytes: 8192 });
});
after(async () => {
    await server?.close();
});

async function exchange(port: number, text: string, count = 1, timeoutMs = 60_000) {
    const socket = await connect(port);
    try {
        const responses = readResponses(socket, count, timeoutMs, text.startsWith("HEAD"));
        socket.write(text);
        return await responses;
    } finally {
        socket.destroy();
    }
}

const videoPath = `/video?key=${encodeURIComponent(VIDEO_KEY)}`;

/** Waits until /metrics shows room for more clients (bounded). */
async function waitForFreeSlots(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        const [response] = await exchange(server.manifestPort, requestText("/metrics"));
        if (response?.status === 200 && JSON.parse(response.body.toString()).connections < MAX_CONNECTIONS / 2) return;
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`the server still had no free connection slots after ${timeoutMs} ms`);
}

describe("ytsabrServerTask through the bridge", () => {
    it("answers /health", async () => {
        const [response] = await exchange(server.manifestPort, requestText("/health"));
        assert.equal(response?.status, 200);
        assert.deepEqual(JSON.parse(response!.body.toString()), { status: "ok" });
    });

    it("serves the origin's manifest rewritten for the local endpoints", async () => {
        const [response] = await exchange(server.manifestPort, requestText("/manifest.mpd"));
        assert.equal(response?.status, 200);
        assert.equal(response?.headers["content-type"], "application/dash+xml");
        const text = response!.body.toString();
        assert.match(text, /<BaseURL>http:\/\/127\.0\.0\.1:7011\/video\?key=160::root<\/BaseURL>/);
        assert.match(
            text,
            /<BaseURL>http:\/\/127\.0\.0\.1:7012\/audio\?key=140:ChEKBWFjb250EghvcmlnaW5hbAoKCgRsYW5nEgJlbg:root<\/BaseURL>/,
        );
        assert.doesNotMatch(text, /sabr:\/\/|SupplementalProperty/);
        assert.equal(Number(response?.headers["content-length"]), response?.body.length);
    });

    it("answers ranges byte-exact with the real total", async () => {
        const source = server.source[VIDEO_KEY]!;
        const [first, middle, suffix] = await exchange(
            server.videoPort,
            requestText(videoPath, { Range: "bytes=0-999" }) +
                requestText(videoPath, { Range: "bytes=70000-140000" }) +
                requestText(videoPath, { Range: "bytes=-500" }),
            3,
        );
        assert.equal(first?.status, 206);
        assert.equal(first?.headers["content-range"], `bytes 0-999/${source.length}`);
        assert.ok(first?.body.equals(source.subarray(0, 1000)));
        assert.ok(middle?.body.equals(source.subarray(70000, 140001)), "middle range bytes");
        assert.equal(suffix?.headers["content-range"], `bytes ${source.length - 500}-${source.length - 1}/${source.length}`);
        assert.ok(suffix?.body.equals(source.subarray(source.length - 500)));
    });

    it("sends a whole file through many partial sends without losing a byte", async () => {
        const [response] = await exchange(server.audioPort, requestText(`/audio?key=${encodeURIComponent(AUDIO_KEY)}`));
        assert.equal(response?.status, 200);
        assert.ok(response?.body.equals(server.source[AUDIO_KEY]!), "whole audio file");
    });

    it("answers 416 with bytes */TOTAL and HEAD without a body", async () => {
        const total = server.source[VIDEO_KEY]!.length;
        const [unsatisfiable] = await exchange(server.videoPort, requestText(videoPath, { Range: `bytes=${total}-` }));
        assert.equal(unsatisfiable?.status, 416);
        assert.equal(unsatisfiable?.headers["content-range"], `bytes */${total}`);
        const [head] = await exchange(server.videoPort, requestText(videoPath, {}, "HEAD"));
        assert.equal(head?.status, 200);
        assert.equal(Number(head?.headers["content-length"]), total);
    });

    it("keeps connections alive across requests (Node's keep-alive agent reuses one socket)", async () => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
            const reused: boolean[] = [];
            for (let i = 0; i < 5; i++) {
                const body = await new Promise<Buffer>((resolve, reject) => {
                    const request = http.get(
                        {
                            host: "127.0.0.1",
                            port: server.videoPort,
                            path: videoPath,
                            agent,
                            headers: { Range: `bytes=${i * 100}-${i * 100 + 99}` },
                        },
                        (response) => {
                            const chunks: Buffer[] = [];
                            response.on("data", (chunk: Buffer) => chunks.push(chunk));
                            response.on("end", () => resolve(Buffer.concat(chunks)));
                        },
                    );
                    request.on("error", reject);
                    reused.push(request.reusedSocket);
                });
                assert.ok(body.equals(server.source[VIDEO_KEY]!.subarray(i * 100, i * 100 + 100)), `request ${i}`);
            }
            assert.deepEqual(reused, [false, true, true, true, true]);
        } finally {
            agent.destroy();
        }
    });

    it("serves curl: two ranges on one kept-alive connection, byte-exact", async () => {
        const url = `http://127.0.0.1:${server.videoPort}${videoPath}`;
        const output = await new Promise<Buffer>((resolve, reject) => {
            // Two transfers in one curl run (--next) reuse the connection; -v reports it on stderr.
            execFile(
                "curl",
                ["-sS", "-v", "-r", "0-499", url, "--next", "-sS", "-v", "-r", "500-999", url],
                { encoding: "buffer", timeout: 60_000 },
                (error, stdout, stderr) => {
                    if (error) reject(new Error(`curl failed: ${error.message}\n${stderr.toString()}`));
                    else resolve(Buffer.concat([stdout, Buffer.from("\0STDERR\0"), stderr]));
                },
            );
        });
        const split = output.indexOf("\0STDERR\0");
        const body = output.subarray(0, split);
        const log = output.subarray(split + 8).toString();
        assert.ok(body.equals(server.source[VIDEO_KEY]!.subarray(0, 1000)), "curl got the first 1000 bytes");
        assert.match(log, /Re-using existing connection|Reusing existing/);
    });

    it("serves 16 concurrent connections, each its own range", async () => {
        const source = server.source[VIDEO_KEY]!;
        const results = await Promise.all(
            Array.from({ length: 16 }, (_, i) =>
                exchange(server.videoPort, requestText(videoPath, { Range: `bytes=${i * 5000}-${i * 5000 + 4999}` })),
            ),
        );
        results.forEach(([response], i) => assert.ok(response?.body.equals(source.subarray(i * 5000, i * 5000 + 5000)), `connection ${i}`));
    });

    it("keeps serving a slow reader correctly", async () => {
        const socket = await connect(server.videoPort);
        try {
            socket.pause();
            const responses = readResponses(socket, 1, 60_000);
            socket.write(requestText(videoPath, { Range: "bytes=0-199999" }));
            await new Promise((resolve) => setTimeout(resolve, 1500));
            socket.resume();
            const [response] = await responses;
            assert.ok(response?.body.equals(server.source[VIDEO_KEY]!.subarray(0, 200000)));
        } finally {
            socket.destroy();
        }
    });

    it("survives a client that disconnects mid-body", async () => {
        const socket = await connect(server.videoPort);
        socket.write(requestText(videoPath));
        await new Promise<void>((resolve) => socket.once("data", () => resolve()));
        socket.destroy();
        const [response] = await exchange(server.videoPort, requestText("/health"));
        assert.equal(response?.status, 200);
    });

    it("closes a client that sends half a request and then nothing (idle timeout)", async () => {
        const socket = await connect(server.videoPort);
        const started = Date.now();
        socket.write("GET /health HTTP/1.1\r\nHost: 127");
        await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error("the server never closed the idle client")), IDLE_MS * 5);
            // The server's close reaches the client as FIN ("end"; these sockets allow half-open).
            const closed = (): void => {
                clearTimeout(timer);
                resolve();
            };
            socket.once("end", closed);
            socket.once("close", closed);
            socket.resume();
        });
        assert.ok(Date.now() - started >= IDLE_MS - 200, `closed after ${Date.now() - started} ms`);
    });

    it("answers 503 and closes when every connection slot is taken", async () => {
        const idle = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => connect(server.videoPort)));
        try {
            await new Promise((resolve) => setTimeout(resolve, 500));
            const [response] = await exchange(server.videoPort, requestText("/health"));
            assert.equal(response?.status, 503);
            assert.equal(response?.headers.connection, "close");
        } finally {
            for (const socket of idle) socket.destroy();
        }
    });

    it("answers 2,000 malformed or mutated requests and still serves a valid one", async () => {
        const random = seededRandom(2024);
        const valid = requestText(videoPath, { Range: "bytes=0-99" });
        const mutate = (): string => {
            const bytes = Buffer.from(valid, "latin1");
            const edits = 1 + Math.floor(random() * 6);
            for (let i = 0; i < edits; i++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
            const cut = random() < 0.3 ? Math.floor(random() * bytes.length) : bytes.length;
            return bytes.subarray(0, cut).toString("latin1") + "\r\n\r\n";
        };
        const lanes = 8;
        let answered = 0;
        await Promise.all(
            Array.from({ length: lanes }, async () => {
                for (let i = 0; i < 2000 / lanes; i++) {
                    const socket = await connect(server.videoPort);
                    try {
                        const done = new Promise<void>((resolve) => {
                            socket.once("data", () => {
                                answered += 1;
                                resolve();
                            });
                            socket.once("close", () => resolve());
                            setTimeout(resolve, 15_000);
                        });
                        socket.write(mutate());
                        await done;
                    } finally {
                        socket.destroy();
                    }
                }
            }),
        );
        assert.ok(answered > 1500, `only ${answered} of 2000 fuzzed requests got an answer`);
        // Under the storm the server may be full (503) until it notices the fuzzers' closes; it
        // must be back to normal within its idle timeout.
        await waitForFreeSlots(IDLE_MS * 2);
        const [response] = await exchange(server.videoPort, valid);
        assert.equal(response?.status, 206, `after fuzzing: ${response?.status} ${response?.body.toString().slice(0, 60)}`);
        assert.ok(response?.body.equals(server.source[VIDEO_KEY]!.subarray(0, 100)));
        assert.ok(!server.lines.some((line) => /BRIGHTSCRIPT_CRASH|Runtime Error|Type Mismatch/.test(line)), "no task crashed");
    });

    it("stops gracefully: closes its sockets and reports stopped", async () => {
        const result = await server.stop();
        assert.equal(result.outcome, "exited", result.reason);
        assert.ok(server.lines.some((line) => line.startsWith("SERVER-STATUS") && line.includes('"state":"stopped"')));
        await assert.rejects(connect(server.videoPort, 2000));
    });
});
