// The SABR pipeline in the simulator against the local origin (simulator + bridge figures, not
// device figures), each next to what the earlier design implies:
// - cache-hit latency while a fetch is in flight (origin delays every answer by 2 s), p50/p95;
//   a server that waits for the whole fetch answers a hit after the fetch: ~2000 ms.
// - time from the worker having a requested segment complete (its MEDIA_END parsed) to the
//   client's first response byte, p50/p95.
// - SABR POSTs per minute of media delivered (audio and video together) for a whole title; the
//   earlier design POSTs once per player request per track.
// - the longest time the server loop went without servicing its port, with what that pass spent
//   its time on (sockets, pipeline, hand-offs, file reads).
// - field sets between threads (hand-offs) per delivered segment over the whole run, per thread,
//   and the time the server thread was blocked in its own sets (p50, p95, max).
// Mode: PIPELINE_MODES=inline runs the same figures with fetches inline on the server thread.
import http from "node:http";
import { parseSidx } from "../../tools/dash-client/index.ts";
import { TITLE, posts, startPipeline } from "../ts/pipeline/pipeline-harness.ts";

const workers = (process.env.PIPELINE_MODES ?? "workers").split(",")[0] === "workers";
const mode = workers ? "workers" : "inline";
const VIDEO_KEY = "160::root";
const INDEX_RANGE = { start: 757, end: 1156 };

function emit(record: Record<string, unknown>): void {
    console.log(JSON.stringify({ ...record, mode, where: "simulator+bridge" }));
}

function percentile(values: number[], p: number): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Timed {
    status: number;
    ms: number;
    firstByteWallMs: number;
    readyAtMs?: number;
}

function get(agent: http.Agent, port: number, range: { start: number; end: number }): Promise<Timed> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
        const request = http.get(
            {
                host: "127.0.0.1",
                port,
                agent,
                path: `/video?key=${encodeURIComponent(VIDEO_KEY)}`,
                headers: { Range: `bytes=${range.start}-${range.end}` },
            },
            (response) => {
                let firstByteWallMs = 0;
                response.once("data", () => (firstByteWallMs = Date.now()));
                response.on("data", () => undefined);
                response.on("end", () => {
                    const timing = /segment-ready;desc="(\d+)"/.exec(String(response.headers["server-timing"] ?? ""));
                    resolve({
                        status: response.statusCode ?? 0,
                        ms: performance.now() - started,
                        firstByteWallMs,
                        readyAtMs: timing ? Number(timing[1]) : undefined,
                    });
                });
            },
        );
        request.on("error", reject);
    });
}

const pipeline = await startPipeline({ workers, outDir: `out/bench/pipeline-${mode}`, server: { deadlineMs: 20_000 } });
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
try {
    const port = pipeline.channel.ports.video;
    const source = await pipeline.source(160);
    const segments = parseSidx(source.subarray(INDEX_RANGE.start, INDEX_RANGE.end + 1), INDEX_RANGE.start).references;

    // 1. Hand-off: cold segments far apart, each its own fetch.
    const handoff: number[] = [];
    await get(agent, port, INDEX_RANGE);
    for (const ms of [20_000, 36_000, 52_000]) {
        const ref = segments.find((s) => s.startMs <= ms && ms < s.startMs + s.durationMs)!;
        const answer = await get(agent, port, ref.range);
        if (answer.status !== 206 || answer.readyAtMs === undefined)
            throw new Error(`cold request answered ${answer.status} without Server-Timing`);
        handoff.push(answer.firstByteWallMs - answer.readyAtMs);
    }
    emit({
        bench: "pipeline.segmentReadyToFirstByte",
        unit: "ms",
        p50: percentile(handoff, 50),
        p95: percentile(handoff, 95),
        samples: handoff.length,
    });

    // 2. Cache hits while a 2 s fetch is in flight.
    pipeline.origin.setFaults("F16:mode=slow:ms=2000@always");
    const hits: number[] = [];
    // Segments from 16 s to 20 s are the only ones no earlier fetch brought.
    const slowRef = segments.find((s) => s.startMs >= 16_000)!;
    const slow = get(agent, port, slowRef.range);
    const cached = segments.find((s) => s.startMs >= 20_000)!;
    const until = performance.now() + 1800;
    while (performance.now() < until) {
        const hit = await get(agent, port, cached.range);
        if (hit.status !== 206) throw new Error(`cache hit answered ${hit.status}`);
        hits.push(hit.ms);
    }
    const slowAnswer = await slow;
    pipeline.origin.setFaults("");
    emit({
        bench: "pipeline.cacheHitDuringFetch",
        unit: "ms",
        p50: Number(percentile(hits, 50).toFixed(1)),
        p95: Number(percentile(hits, 95).toFixed(1)),
        samples: hits.length,
        fetchMs: Math.round(slowAnswer.ms),
        earlierDesignMs: 2000,
    });

    // 3. POSTs per minute of media for a whole title through a DASH client (a fresh format).
    const before = posts(pipeline.origin);
    const report = await pipeline.client().play({ videoItag: 134 });
    const postCount = posts(pipeline.origin) - before;
    const mediaRequests = report.requests.filter((request) => request.kind === "media").length;
    const minutes = pipeline.origin.titles.get(TITLE)!.durationMs / 60_000;
    emit({
        bench: "pipeline.postsPerMediaMinute",
        unit: "POST/min",
        value: Number((postCount / minutes).toFixed(1)),
        earlierDesign: Number((mediaRequests / minutes).toFixed(1)),
        playerMediaRequests: mediaRequests,
    });

    const metrics = (await pipeline.channel.metrics()) as {
        loopMaxBusyMs: number;
        loopLongestBusy: Record<string, number | string>;
        stages: Record<string, { avg: number; p90: number }>;
        handoffs: { perSegmentX100: number; total: number; segments: number; serverBlockedMs: Record<string, number> } & Record<
            string,
            unknown
        >;
    };
    emit({ bench: "pipeline.serverLoopMaxBusy", unit: "ms", value: metrics.loopMaxBusyMs, longest: metrics.loopLongestBusy });
    const { perSegmentX100, serverBlockedMs, ...sets } = metrics.handoffs;
    emit({ bench: "pipeline.handoffsPerSegment", unit: "sets/segment", value: perSegmentX100 / 100, ...sets, serverBlockedMs });
    for (const [stage, summary] of Object.entries(metrics.stages))
        emit({ bench: `pipeline.stage.${stage}`, unit: "ms", avg: summary.avg, p90: summary.p90 });
} finally {
    agent.destroy();
    await pipeline.close();
}
