/** Shared helpers of the origin tests: manifest payload decoding and a googlevideo SabrStream run. */
import { SabrStream } from "googlevideo/sabr-stream";
import { buildSabrFormat } from "googlevideo/utils";
import type { SabrFormat } from "googlevideo/shared-types";
import { Logger, LogLevel } from "googlevideo/utils";
import type { SabrPayload } from "../../../tools/origin/manifest.ts";

Logger.getInstance().setLogLevels(LogLevel.NONE);

export interface ManifestInfo {
    xml: string;
    payloads: SabrPayload[];
    session: string;
}

export async function getManifest(base: string, videoId: string, query = ""): Promise<ManifestInfo> {
    const res = await fetch(`${base}/manifest/${videoId}.mpd${query}`);
    if (res.status !== 200) throw new Error(`manifest ${res.status}`);
    const xml = await res.text();
    const payloads = [...xml.matchAll(/schemeIdUri="urn:youtube:sabr" value="([^"]+)"/g)].map(
        (m) => JSON.parse(Buffer.from(m[1]!, "base64").toString("utf8")) as SabrPayload,
    );
    return { xml, payloads, session: res.headers.get("x-origin-session") ?? "" };
}

export function sabrFormats(p: SabrPayload): SabrFormat[] {
    return p.adaptiveFormats.map((f) => buildSabrFormat(f as never));
}

export interface RunResult {
    video: Buffer;
    audio: Buffer;
    error?: unknown;
    reloads: number;
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
    const chunks: Uint8Array[] = [];
    const reader = stream.getReader();
    for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
    }
    return Buffer.concat(chunks);
}

/** Runs googlevideo's SabrStream against a payload until it finishes (or times out). */
export async function runSabrStream(
    p: SabrPayload,
    videoItag: number,
    audioItag: number,
    opts: { maxRetries?: number; timeoutMs?: number; fetch?: typeof fetch } = {},
): Promise<RunResult> {
    const stream = new SabrStream({
        fetch: opts.fetch,
        serverAbrStreamingUrl: p.serverAbrStreamingUrl,
        videoPlaybackUstreamerConfig: p.ustreamerConfig,
        clientInfo: p.clientInfo,
        poToken: p.poToken,
        formats: sabrFormats(p),
    });
    let reloads = 0;
    stream.on("reloadPlayerResponse", () => {
        reloads++;
    });
    const { videoStream, audioStream } = await stream.start({
        videoFormat: videoItag,
        audioFormat: audioItag,
        maxRetries: opts.maxRetries ?? 3,
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_r, reject) => {
        timer = setTimeout(() => {
            stream.abort();
            reject(new Error("SabrStream timed out"));
        }, opts.timeoutMs ?? 30000);
    });
    try {
        const [video, audio] = await Promise.race([Promise.all([drain(videoStream), drain(audioStream)]), timeout]);
        return { video, audio, reloads };
    } catch (error) {
        return { video: Buffer.alloc(0), audio: Buffer.alloc(0), error, reloads };
    } finally {
        clearTimeout(timer);
    }
}
