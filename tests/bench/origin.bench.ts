/**
 * Origin benchmark: throughput over loopback with 1 and 8 concurrent clients and
 * the latency before the first byte, each compared with a plain Node HTTP server
 * serving the same bytes in the same run. Prints one JSON object per line.
 *   npx tsx tests/bench/origin.bench.ts
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { VideoPlaybackAbrRequest } from "googlevideo/protos";
import { startOrigin } from "../../tools/origin/server.ts";
import type { SabrPayload } from "../../tools/origin/manifest.ts";

const DURATION_MS = 3000;
const TTFB_SAMPLES = 200;

interface Target {
    url: string;
    body: Uint8Array;
}

function post(t: Target, onFirstByte?: () => void): Promise<number> {
    return new Promise((resolve, reject) => {
        const req = request(t.url, { method: "POST", headers: { "content-type": "application/x-protobuf" }, agent: false }, (res) => {
            let n = 0;
            let first = true;
            res.on("data", (d: Buffer) => {
                if (first) {
                    first = false;
                    onFirstByte?.();
                }
                n += d.length;
            });
            res.on("end", () => resolve(n));
            res.on("error", reject);
        });
        req.on("error", reject);
        req.end(t.body);
    });
}

async function throughput(targets: () => Target, clients: number): Promise<number> {
    let bytes = 0;
    const start = performance.now();
    const deadline = start + DURATION_MS;
    await Promise.all(
        Array.from({ length: clients }, async () => {
            while (performance.now() < deadline) bytes += await post(targets());
        }),
    );
    return bytes / 1e6 / ((performance.now() - start) / 1000);
}

async function ttfb(target: () => Target): Promise<number> {
    const samples: number[] = [];
    for (let i = 0; i < TTFB_SAMPLES; i++) {
        const t = target();
        const t0 = performance.now();
        let t1 = 0;
        await post(t, () => {
            t1 = performance.now();
        });
        samples.push(t1 - t0);
    }
    samples.sort((a, b) => a - b);
    return samples[Math.floor(samples.length / 2)]!;
}

async function main(): Promise<void> {
    const origin = await startOrigin({ port: 0 });
    const mpd = await (await fetch(`${origin.url}/manifest/sabrOrigin1.mpd`)).text();
    const payload = JSON.parse(Buffer.from(/urn:youtube:sabr" value="([^"]+)"/.exec(mpd)![1]!, "base64").toString("utf8")) as SabrPayload;
    const fmt = (itag: number): { itag: number; lastModified: string; xtags?: string } => {
        const f = payload.adaptiveFormats.find((x) => x.itag === itag)!;
        return { itag, lastModified: String(f.lastModified), xtags: f.xtags as string | undefined };
    };
    const body = VideoPlaybackAbrRequest.encode({
        clientAbrState: { playerTimeMs: "0", stickyResolution: 360, visibility: 1, playbackRate: 1 },
        selectedFormatIds: [],
        bufferedRanges: [],
        preferredSubtitleFormatIds: [],
        field1000: [],
        videoPlaybackUstreamerConfig: Buffer.from(payload.ustreamerConfig, "base64url"),
        preferredAudioFormatIds: [fmt(140)],
        preferredVideoFormatIds: [fmt(134)],
        streamerContext: { clientInfo: payload.clientInfo, sabrContexts: [], unsentSabrContexts: [] },
    }).finish();
    let rn = 0;
    const originTarget = (): Target => ({ url: `${payload.serverAbrStreamingUrl}&rn=${rn++}`, body });
    // Capture one origin answer and serve it from a plain server as the baseline.
    const sample = await (await fetch(originTarget().url, { method: "POST", body: new Uint8Array(body) })).arrayBuffer();
    const bytes = Buffer.from(sample);
    const plain: Server = createServer((req, res) => {
        req.resume();
        req.on("end", () => {
            res.writeHead(200, { "Content-Type": "application/vnd.yt-ump" });
            res.end(bytes);
        });
    });
    await new Promise<void>((r) => plain.listen(0, "127.0.0.1", () => r()));
    const plainTarget = (): Target => ({ url: `http://127.0.0.1:${(plain.address() as AddressInfo).port}/videoplayback`, body });

    for (const clients of [1, 8]) {
        const base = await throughput(plainTarget, clients);
        const mbPerS = await throughput(originTarget, clients);
        console.log(
            JSON.stringify({
                bench: `origin.throughput.${clients}client${clients > 1 ? "s" : ""}`,
                mbPerS: +mbPerS.toFixed(1),
                baselineMbPerS: +base.toFixed(1),
                ratio: +(mbPerS / base).toFixed(3),
                responseBytes: bytes.length,
            }),
        );
    }
    const baseTtfb = await ttfb(plainTarget);
    const originTtfb = await ttfb(originTarget);
    console.log(
        JSON.stringify({
            bench: "origin.ttfb",
            medianMs: +originTtfb.toFixed(3),
            baselineMedianMs: +baseTtfb.toFixed(3),
            addedMs: +(originTtfb - baseTtfb).toFixed(3),
            ratio: +(originTtfb / baseTtfb).toFixed(2),
        }),
    );
    await origin.close();
    await new Promise<void>((r) => plain.close(() => r()));
}

main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
});
