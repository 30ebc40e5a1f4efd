// A running channel (the real package, config pointed at a local origin) plus the helpers the
// pipeline tests share: source bytes, a DASH client, origin log checks.
import assert from "node:assert/strict";
import http from "node:http";
import { startOrigin, type OriginHandle } from "../../../tools/origin/server.ts";
import { launchChannel, type ChannelOptions, type RunningChannel } from "../../../tools/channel/launch.ts";
import type { DeviceRuleOverrides } from "../../../tools/sim/device-rules.ts";
import { DashClient, type PlayReport } from "../../../tools/dash-client/index.ts";

export const TITLE = "sabrOrigin1";
export const AUDIO_ITAG = 140;
/** Format 160's sidx in the test title (bytes). */
export const INDEX_RANGE = { start: 757, end: 1156 };
const VIDEO_KEY = "160::root";

export interface RangeAnswer {
    status: number;
    body: Buffer;
}

/** One GET of format 160 with a Range on a fresh connection; `signal` aborts it (the socket closes). */
export function getVideoRange(port: number, range: { start: number; end: number }, signal?: AbortSignal): Promise<RangeAnswer> {
    return new Promise((resolve, reject) => {
        const request = http.get(
            {
                host: "127.0.0.1",
                port,
                path: `/video?key=${encodeURIComponent(VIDEO_KEY)}`,
                headers: { Range: `bytes=${range.start}-${range.end}` },
                agent: false,
                signal,
            },
            (response) => {
                const chunks: Buffer[] = [];
                response.on("data", (chunk: Buffer) => chunks.push(chunk));
                response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
                response.on("error", reject);
            },
        );
        request.on("error", reject);
    });
}

export interface PipelineUnderTest {
    origin: OriginHandle;
    channel: RunningChannel;
    source(itag: number): Promise<Buffer>;
    client(): DashClient;
    close(): Promise<void>;
}

export interface PipelineSettings {
    title?: string;
    variant?: "single" | "multi" | "unscoped";
    /** Origin fault profile active from the start. */
    faults?: string;
    /** Run the fetch worker and cache writer (default) or fetch inline without a cache. */
    workers?: boolean;
    server?: Record<string, unknown>;
    fetchWorker?: Record<string, unknown>;
    cacheWriter?: Record<string, unknown>;
    outDir: string;
    /** The origin over HTTPS (the simulated device trusts its test CA through the device bundle). */
    tls?: boolean;
    /** The manifest payload's integers as JSON numbers, as real payloads carry them. */
    numericPayload?: boolean;
    /** Device rules changed from their defaults. */
    deviceRules?: DeviceRuleOverrides;
}

export async function startPipeline(settings: PipelineSettings): Promise<PipelineUnderTest> {
    const title = settings.title ?? TITLE;
    const origin = await startOrigin({
        port: 0,
        ...(settings.faults ? { faults: settings.faults } : {}),
        tls: settings.tls ?? false,
        numericPayload: settings.numericPayload ?? false,
    });
    const workers = settings.workers ?? true;
    const options: ChannelOptions = {
        manifestUrl: `${origin.url}/manifest/${title}.mpd?variant=${settings.variant ?? "single"}`,
        server: settings.server ?? {},
        outDir: settings.outDir,
        timeoutMs: 600_000,
        deviceRules: settings.deviceRules,
        ...(origin.tls ? { trustedCertificates: [origin.tls.caPem] } : {}),
        ...(workers
            ? { fetchWorker: settings.fetchWorker ?? {}, cacheWriter: settings.cacheWriter ?? {} }
            : { fetchWorker: false as never, cacheWriter: false as never }),
    };
    let channel: RunningChannel;
    try {
        channel = await launchChannel(options);
    } catch (error) {
        await origin.close();
        throw error;
    }
    const clients: DashClient[] = [];
    return {
        origin,
        channel,
        source: async (itag) => {
            const bytes = origin.titles.get(title)?.formats.find((format) => format.itag === itag)?.bytes;
            assert.ok(bytes, `the origin has no itag ${itag} of ${title}`);
            return Buffer.from(bytes);
        },
        client: () => {
            const { ports } = channel;
            const portMap = { 7010: ports.manifest, 7011: ports.video, 7012: ports.audio };
            const client = new DashClient({ manifestUrl: channel.localManifestUrl, requestTimeoutMs: 40_000, portMap });
            clients.push(client);
            return client;
        },
        close: async () => {
            for (const client of clients) client.close();
            await channel.close();
            await origin.close();
        },
    };
}

/** Every received byte equals the source, for the video itag and the audio. */
export async function assertDelivered(
    pipeline: PipelineUnderTest,
    report: PlayReport,
    videoItag: number,
    wholeTitle: boolean,
): Promise<void> {
    assert.deepEqual(report.errors, [], "client errors");
    assert.deepEqual(
        report.problems().map((r) => `${r.kind} ${r.range.start}-${r.range.end}: ${r.problems.join("; ")}`),
        [],
    );
    for (const itag of [videoItag, AUDIO_ITAG]) {
        const source = await pipeline.source(itag);
        const verdict = report.verify(itag, source);
        assert.ok(verdict.ok, `itag ${itag}: ${verdict.message}`);
        if (wholeTitle) assert.ok(report.byItag(itag).covers(source.length), `itag ${itag}: not every byte was delivered`);
    }
}

/** The origin's per-request assertions (docs/sabr-protocol.md §9.4) that failed (log entries from `fromId` on), as "rn=…: name (detail)". */
export function failedAssertions(origin: OriginHandle, ignore: string[] = [], fromId = 0): string[] {
    return origin
        .log()
        .filter((entry) => entry.method === "POST" && entry.id >= fromId)
        .flatMap((entry) =>
            entry.assertions
                .filter((a) => a.ok === false && !ignore.includes(a.name))
                .map((a) => `rn=${entry.rn}: ${a.name} (${a.detail ?? ""})`),
        );
}

/** SABR POSTs the origin logged (log entries from `fromId` on). */
export function posts(origin: OriginHandle, fromId = 0): number {
    return origin.log().filter((entry) => entry.method === "POST" && entry.id >= fromId).length;
}
