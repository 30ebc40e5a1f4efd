/**
 * YouTube-style SABR DASH manifests (shape: docs/sabr-protocol.md §8.1-8.2): SegmentBase
 * with indexRange + Initialization range, `sabr://` BaseURLs whose key is
 * `<itag>:<xtags>[:<scope>]`, and `urn:youtube:sabr` SupplementalProperty
 * payloads (standard base64 of JSON) at the MPD root and/or per Period.
 *
 * Variants (query `variant=`):
 *   single    one Period `content-0`, keys scoped `root`, one root payload (default)
 *   multi     two Periods `content-0` / `content-1` split at a video segment
 *             boundary near the middle, each with its own payload (own session,
 *             URL and ustreamer config) and keys scoped with the Period id, plus
 *             a root payload
 *   unscoped  one Period, keys without a scope (`160:` / `140:<xtags>`), root payload only
 */
import type { FormatModel, Title } from "./media-model.ts";

export type ManifestVariant = "single" | "multi" | "unscoped";

/** What an MPD needs of a format; the companion (tools/companion) renders real videos' formats with it. */
export type MpdFormat = Pick<
    FormatModel,
    | "kind"
    | "itag"
    | "xtags"
    | "codecs"
    | "bitrate"
    | "width"
    | "height"
    | "fps"
    | "audioSampleRate"
    | "audioChannels"
    | "lastModified"
    | "initRange"
    | "indexRange"
>;

/** What an MPD needs of a title. */
export interface MpdTitle {
    durationMs: number;
    formats: MpdFormat[];
}

export interface SabrPayload {
    expiresInSeconds: string | number;
    formats: unknown[];
    adaptiveFormats: Array<Record<string, unknown>>;
    serverAbrStreamingUrl: string;
    hlsFormats: unknown[];
    ustreamerConfig: string;
    clientInfo: { osName: string; osVersion: string; clientName: number; clientVersion: string };
    poToken: string;
}

export function xmlEscape(s: string): string {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function isoDuration(ms: number): string {
    return `PT${(ms / 1000).toFixed(3)}S`;
}

/**
 * An integer payload field: a decimal string (the origin's default) or, with `numbers`, a JSON
 * number as real payloads carry `lastModified` (16 digits), `contentLength` and the rest.
 */
export function payloadInteger(value: number | bigint | string, numbers: boolean): string | number {
    if (!numbers) return String(value);
    const n = Number(value);
    // Above 2^53 a JSON number no longer round-trips through a double: refuse rather than send a wrong value.
    if (!Number.isSafeInteger(n)) throw new RangeError(`payload integer ${String(value)} is not exact as a JSON number`);
    return n;
}

/** One `adaptiveFormats[]` entry; `numbers` writes its integer fields as JSON numbers. */
export function adaptiveFormat(f: FormatModel, numbers = false): Record<string, unknown> {
    const int = (value: number | bigint | string): string | number => payloadInteger(value, numbers);
    const base: Record<string, unknown> = {
        itag: f.itag,
        mimeType: f.mimeType,
        mime: f.containerMime,
        codecs: f.codecs,
        bitrate: f.bitrate,
        averageBitrate: f.averageBitrate,
        bandwidth: f.bitrate,
        contentLength: int(f.contentLength),
        approxDurationMs: int(f.durationMs),
        lastModified: int(f.lastModified),
        initRange: { start: int(f.initRange.start), end: int(f.initRange.end) },
        indexRange: { start: int(f.indexRange.start), end: int(f.indexRange.end) },
        initRangeStr: `${f.initRange.start}-${f.initRange.end}`,
        indexRangeStr: `${f.indexRange.start}-${f.indexRange.end}`,
        baseUrl: `sabr://${f.kind}?key=${f.itag}:${f.xtags}`,
        projectionType: "RECTANGULAR",
    };
    if (f.xtags) base.xtags = f.xtags;
    if (f.kind === "video") {
        Object.assign(base, {
            width: f.width,
            height: f.height,
            fps: f.fps,
            frameRate: "24",
            quality: qualityName(f.height ?? 0),
            qualityLabel: f.qualityLabel,
        });
    } else {
        Object.assign(base, {
            quality: "tiny",
            audioQuality: "AUDIO_QUALITY_LOW",
            audioSampleRate: int(f.audioSampleRate ?? 0),
            audioChannels: f.audioChannels,
            loudnessDb: 0,
            audioTrack: { displayName: "English original", id: "en.4", audioIsDefault: true },
        });
    }
    return base;
}

function qualityName(h: number): string {
    return h <= 144 ? "tiny" : h <= 240 ? "small" : h <= 360 ? "medium" : "large";
}

export interface PeriodSpec {
    id: string;
    startMs: number;
    durationMs: number;
    /** Presentation time offset in ms (start of the period on the media timeline). */
    ptoMs: number;
    /** Key scope appended to BaseURL keys; undefined = unscoped. */
    scope?: string;
    /** Period-level payload (base64 JSON), if any. */
    payload?: string;
}

export function encodePayload(p: SabrPayload): string {
    return Buffer.from(JSON.stringify(p), "utf8").toString("base64");
}

export function renderMpd(title: MpdTitle, periods: PeriodSpec[], rootPayload: string | undefined): string {
    const lines: string[] = [];
    lines.push('<?xml version="1.0" encoding="UTF-8"?>');
    lines.push(
        `<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" profiles="urn:mpeg:dash:profile:isoff-main:2011" minBufferTime="PT1.500S" mediaPresentationDuration="${isoDuration(title.durationMs)}">`,
    );
    if (rootPayload) lines.push(`  <SupplementalProperty schemeIdUri="urn:youtube:sabr" value="${rootPayload}"/>`);
    for (const p of periods) {
        lines.push(`  <Period id="${xmlEscape(p.id)}" start="${isoDuration(p.startMs)}" duration="${isoDuration(p.durationMs)}">`);
        if (p.payload) lines.push(`    <SupplementalProperty schemeIdUri="urn:youtube:sabr" value="${p.payload}"/>`);
        for (const kind of ["video", "audio"] as const) {
            const fs = title.formats.filter((f) => f.kind === kind);
            if (!fs.length) continue;
            lines.push(
                `    <AdaptationSet id="${kind === "video" ? 0 : 1}" contentType="${kind}" mimeType="${kind}/mp4" subsegmentAlignment="true">`,
            );
            for (const f of fs) {
                const key = `${f.itag}:${f.xtags}${p.scope !== undefined ? `:${p.scope}` : ""}`;
                const attrs = [
                    `id="${f.itag}:${f.xtags}"`,
                    `codecs="${f.codecs}"`,
                    `bandwidth="${f.bitrate}"`,
                    ...(kind === "video"
                        ? [`width="${f.width}"`, `height="${f.height}"`, `frameRate="${f.fps ?? 24}"`]
                        : [`audioSamplingRate="${f.audioSampleRate}"`]),
                    `data-dedupe-key="${f.itag}-${f.lastModified}"`,
                ];
                lines.push(`      <Representation ${attrs.join(" ")}>`);
                if (kind === "audio")
                    lines.push(
                        `        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="${f.audioChannels}"/>`,
                    );
                lines.push(`        <BaseURL>${xmlEscape(`sabr://${kind}?key=${key}`)}</BaseURL>`);
                const pto = p.ptoMs > 0 ? ` timescale="1000" presentationTimeOffset="${p.ptoMs}"` : "";
                lines.push(`        <SegmentBase indexRange="${f.indexRange.start}-${f.indexRange.end}" indexRangeExact="true"${pto}>`);
                lines.push(`          <Initialization range="${f.initRange.start}-${f.initRange.end}"/>`);
                lines.push("        </SegmentBase>");
                lines.push("      </Representation>");
            }
            lines.push("    </AdaptationSet>");
        }
        lines.push("  </Period>");
    }
    lines.push("</MPD>");
    return lines.join("\n") + "\n";
}

/** Period split for the multi-period variant: the video segment boundary nearest the middle. */
export function splitPoint(title: Title): number {
    const video = title.formats.find((f) => f.kind === "video");
    if (!video) return Math.floor(title.durationMs / 2);
    let best = 0;
    for (const s of video.segments) {
        if (Math.abs(s.startMs - title.durationMs / 2) < Math.abs(best - title.durationMs / 2)) best = s.startMs;
    }
    return best;
}
