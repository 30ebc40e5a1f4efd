/**
 * From a `/player` result to the SABR DASH manifest the channel reads, in the format the local
 * origin's manifests use (docs/sabr-protocol.md §8.1-8.2; the renderer is the origin's
 * `renderMpd`): one Period `content-0`, keys `<itag>:<xtags>:root`, a root
 * `urn:youtube:sabr` payload carrying the solved SABR URL, the ustreamer config, client info,
 * a content-bound PO token and its expiry, the chosen formats as YouTube gave them and
 * `expiresInSeconds`.
 *
 * Formats: by default H.264 (`avc1`) MP4 video and AAC (`mp4a`) MP4 audio, every resolution
 * (the player picks), only formats with init and index ranges (SegmentBase needs both), no DRC
 * audio, and only the default audio track when a video has several.
 */
import { encodePayload, renderMpd, type MpdFormat, type SabrPayload } from "../origin/manifest.ts";
import type { PlayerResult } from "./youtube.ts";

export const DEFAULT_CODECS = ["avc1", "mp4a"];

export interface ManifestOptions {
    /** Codec families to keep (`avc1`, `mp4a`, `av01`, `vp9`, `opus`, `ec-3`, ...). */
    codecs?: string[];
    /** Leave out video taller than this. */
    maxHeight?: number;
    /** The video's PO token for the payload, and when it expires (unix ms). */
    poToken?: string;
    poTokenExpiresAt?: number;
}

export interface CompanionManifest {
    mpd: string;
    /** `poTokenExpiresAt` is 0 when the payload carries no PO token. */
    payload: SabrPayload & { poTokenExpiresAt: number; videoId: string; client: string; createdAt: string };
    formats: MpdFormat[];
}

interface RawRange {
    start?: string | number;
    end?: string | number;
}

/** `video/mp4; codecs="avc1.4d401e"` → `{ container: "video/mp4", codecs: "avc1.4d401e" }`. */
export function splitMime(mimeType: string): { container: string; codecs: string } {
    const container = mimeType.split(";")[0]!.trim();
    const codecs = /codecs="([^"]*)"/.exec(mimeType)?.[1] ?? "";
    return { container, codecs };
}

function codecFamily(codecs: string): string {
    return codecs.split(".")[0]!.toLowerCase();
}

/** Whether a raw format goes into the manifest. */
export function keepFormat(f: Record<string, unknown>, o: ManifestOptions, raw: Array<Record<string, unknown>>): boolean {
    const { container, codecs } = splitMime(String(f.mimeType ?? ""));
    const families = (o.codecs ?? DEFAULT_CODECS).map((c) => c.toLowerCase());
    if (!families.includes(codecFamily(codecs))) return false;
    if (!/^(video|audio)\/(mp4|webm)$/.test(container)) return false;
    const init = f.initRange as RawRange | undefined;
    const index = f.indexRange as RawRange | undefined;
    if (init?.end === undefined || index?.end === undefined) return false;
    if (container.startsWith("video") && o.maxHeight && Number(f.height ?? 0) > o.maxHeight) return false;
    if (container.startsWith("audio")) {
        if (f.isDrc === true) return false;
        const track = f.audioTrack as { audioIsDefault?: boolean } | undefined;
        const someDefault = raw.some((g) => (g.audioTrack as { audioIsDefault?: boolean } | undefined)?.audioIsDefault);
        if (track && someDefault && !track.audioIsDefault) return false;
    }
    return true;
}

/** A raw format as the MPD renderer wants it (integers parsed from YouTube's strings). */
export function mpdFormat(f: Record<string, unknown>): MpdFormat {
    const { container, codecs } = splitMime(String(f.mimeType ?? ""));
    const kind = container.startsWith("video") ? "video" : "audio";
    const range = (r: unknown): { start: number; end: number } => {
        const rr = r as RawRange;
        return { start: Number(rr.start ?? 0), end: Number(rr.end) };
    };
    return {
        kind,
        itag: Number(f.itag),
        xtags: typeof f.xtags === "string" ? f.xtags : "",
        codecs,
        bitrate: Number(f.bitrate ?? 0),
        ...(kind === "video" ? { width: Number(f.width ?? 0), height: Number(f.height ?? 0), fps: Number(f.fps ?? 30) } : {}),
        ...(kind === "audio" ? { audioSampleRate: Number(f.audioSampleRate ?? 0), audioChannels: Number(f.audioChannels ?? 2) } : {}),
        lastModified: String(f.lastModified ?? "0"),
        initRange: range(f.initRange),
        indexRange: range(f.indexRange),
    };
}

export class NoFormatsError extends Error {}

export function buildManifest(p: PlayerResult, o: ManifestOptions = {}): CompanionManifest {
    const chosen = p.rawFormats.filter((f) => keepFormat(f, o, p.rawFormats));
    const formats = chosen.map(mpdFormat);
    const families = (o.codecs ?? DEFAULT_CODECS).join(",");
    if (!formats.some((f) => f.kind === "video") || !formats.some((f) => f.kind === "audio"))
        throw new NoFormatsError(
            `YouTube offers no ${formats.some((f) => f.kind === "video") ? "audio" : "video"} format with codecs ${families} and SegmentBase ranges for ${p.videoId}; try ?codecs= with other families (e.g. avc1,av01,mp4a,opus) if the device decodes them.`,
        );
    // The longest format's duration, as the origin's manifests do.
    const durationMs = Math.max(...chosen.map((f) => Number(f.approxDurationMs ?? 0)));
    const payload = {
        expiresInSeconds: p.expiresInSeconds,
        formats: [],
        adaptiveFormats: chosen,
        serverAbrStreamingUrl: p.serverAbrStreamingUrl,
        hlsFormats: [],
        ustreamerConfig: p.ustreamerConfig,
        clientInfo: p.clientInfo,
        poToken: o.poToken ?? "",
        poTokenExpiresAt: o.poToken ? (o.poTokenExpiresAt ?? 0) : 0,
        videoId: p.videoId,
        client: p.client,
        createdAt: new Date().toISOString(),
    };
    const mpd = renderMpd(
        { durationMs, formats },
        [{ id: "content-0", startMs: 0, durationMs, ptoMs: 0, scope: "root" }],
        encodePayload(payload),
    );
    return { mpd, payload, formats };
}
