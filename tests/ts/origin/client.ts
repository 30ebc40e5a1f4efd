/** A small, protocol-correct raw SABR client used by the origin tests (echoes cookie and contexts verbatim). */
import { VideoPlaybackAbrRequest, MediaHeader, UMPPartId } from "googlevideo/protos";
import { parseUmp, scanFields, type UmpPart, readUmpVarint } from "../../../tools/origin/wire.ts";
import type { SabrPayload } from "../../../tools/origin/manifest.ts";

export interface FormatRef {
    itag: number;
    lastModified: string;
    xtags?: string;
}

export interface SabrAnswer {
    status: number;
    headers: Headers;
    body: Buffer;
    parts: UmpPart[];
}

export interface RangeClaim {
    format: FormatRef;
    start: number;
    end: number;
    startMs?: number;
    durationMs?: number;
}

export class RawClient {
    url: string;
    config: string;
    rn = 0;
    cookie?: Uint8Array;
    contexts = new Map<number, Uint8Array>();
    poToken?: Uint8Array;
    constructor(
        readonly payload: SabrPayload,
        readonly video: FormatRef,
        readonly audio: FormatRef,
    ) {
        this.url = payload.serverAbrStreamingUrl;
        this.config = payload.ustreamerConfig;
    }

    static fromPayload(p: SabrPayload, videoItag: number, audioItag = 140): RawClient {
        const ref = (itag: number): FormatRef => {
            const f = p.adaptiveFormats.find((x) => x.itag === itag);
            if (!f) throw new Error(`no itag ${itag}`);
            return { itag, lastModified: String(f.lastModified), xtags: (f.xtags as string | undefined) ?? undefined };
        };
        return new RawClient(p, ref(videoItag), ref(audioItag));
    }

    body(
        o: {
            playerTimeMs?: number;
            selected?: FormatRef[];
            ranges?: RangeClaim[];
            cookie?: Uint8Array | null;
            contexts?: Array<{ type: number; value: Uint8Array }>;
        } = {},
    ): Uint8Array {
        return VideoPlaybackAbrRequest.encode({
            clientAbrState: {
                playerTimeMs: String(o.playerTimeMs ?? 0),
                stickyResolution: 360,
                visibility: 1,
                playbackRate: 1,
                enabledTrackTypesBitfield: 0,
            },
            selectedFormatIds: o.selected ?? [],
            bufferedRanges: (o.ranges ?? []).map((r) => ({
                formatId: r.format,
                startTimeMs: String(r.startMs ?? 0),
                durationMs: String(r.durationMs ?? 0),
                startSegmentIndex: r.start,
                endSegmentIndex: r.end,
            })),
            videoPlaybackUstreamerConfig: Buffer.from(this.config, "base64url"),
            preferredAudioFormatIds: [this.audio],
            preferredVideoFormatIds: [this.video],
            preferredSubtitleFormatIds: [],
            streamerContext: {
                clientInfo: this.payload.clientInfo,
                playbackCookie: o.cookie === null ? undefined : (o.cookie ?? this.cookie),
                poToken: this.poToken,
                sabrContexts: o.contexts ?? [...this.contexts].map(([type, value]) => ({ type, value })),
                unsentSabrContexts: [],
            },
            field1000: [],
        }).finish();
    }

    /** POSTs a request; remembers cookie/redirects like a correct client. */
    async post(body: Uint8Array, opts: { url?: string; rn?: number } = {}): Promise<SabrAnswer> {
        const u = new URL(opts.url ?? this.url);
        u.searchParams.set("rn", String(opts.rn ?? this.rn++));
        const res = await fetch(u, {
            method: "POST",
            headers: { "content-type": "application/x-protobuf", accept: "application/vnd.yt-ump" },
            body: new Uint8Array(body),
        });
        const buf = Buffer.from(await res.arrayBuffer());
        let parts: UmpPart[] = [];
        if (res.headers.get("content-type") === "application/vnd.yt-ump") parts = parseUmp(buf);
        for (const p of parts) {
            if (p.type === UMPPartId.NEXT_REQUEST_POLICY) {
                const c = scanFields(p.payload).find((f) => f.field === 7);
                if (c?.bytes) this.cookie = Uint8Array.from(c.bytes);
            }
            if (p.type === UMPPartId.SABR_REDIRECT) {
                const url = scanFields(p.payload).find((f) => f.field === 1)?.bytes;
                if (url) this.url = Buffer.from(url).toString("utf8");
            }
        }
        return { status: res.status, headers: res.headers, body: buf, parts };
    }
}

export function headers(parts: UmpPart[]): Array<ReturnType<typeof MediaHeader.decode>> {
    return parts.filter((p) => p.type === UMPPartId.MEDIA_HEADER).map((p) => MediaHeader.decode(p.payload));
}

/** Header id prefix of a MEDIA / MEDIA_END payload, as a UMP varint. */
export function headerIdOf(payload: Uint8Array): { id: number; length: number } {
    const v = readUmpVarint(payload, 0);
    if (!v) throw new Error("empty media payload");
    return { id: v.value, length: v.length };
}

/** Reassembles segments: header id -> {header, bytes, ended}. */
export function assemble(parts: UmpPart[]): Map<number, { header: ReturnType<typeof MediaHeader.decode>; bytes: Buffer; ended: boolean }> {
    const out = new Map<number, { header: ReturnType<typeof MediaHeader.decode>; bytes: Buffer; ended: boolean }>();
    for (const p of parts) {
        if (p.type === UMPPartId.MEDIA_HEADER) {
            const h = MediaHeader.decode(p.payload);
            out.set(h.headerId ?? 0, { header: h, bytes: Buffer.alloc(0), ended: false });
        } else if (p.type === UMPPartId.MEDIA) {
            const { id, length } = headerIdOf(p.payload);
            const s = out.get(id);
            if (s) s.bytes = Buffer.concat([s.bytes, p.payload.subarray(length)]);
        } else if (p.type === UMPPartId.MEDIA_END) {
            const s = out.get(headerIdOf(p.payload).id);
            if (s) s.ended = true;
        }
    }
    return out;
}

/** A correct follow-up body after answer `r`: reports ended segments and advances player time. */
export function followUp(c: RawClient, r: SabrAnswer, extra: Parameters<RawClient["body"]>[0] = {}): Uint8Array {
    const segs = [...assemble(r.parts).values()].filter((s) => s.ended && !s.header.isInitSeg);
    const range = (itag: number): { start: number; end: number } | undefined => {
        const q = segs.filter((s) => s.header.itag === itag).map((s) => s.header.sequenceNumber!);
        return q.length ? { start: Math.min(...q), end: Math.max(...q) } : undefined;
    };
    const v = range(c.video.itag);
    const a = range(c.audio.itag);
    const ranges = [...(v ? [{ format: c.video, ...v }] : []), ...(a ? [{ format: c.audio, ...a }] : [])];
    return c.body({ playerTimeMs: v ? v.end * 2000 : 0, selected: [c.video, c.audio], ranges, ...extra });
}
