/**
 * A decoded VideoPlaybackAbrRequest and what the origin reads out of it: the formats it names,
 * the segments it says it holds, its player time and whether it declares a seek.
 */
import { VideoPlaybackAbrRequest } from "googlevideo/protos";
import type { FormatModel, Title } from "./media-model.ts";
import { scanFields, repeatedInts, toHex } from "./wire.ts";

export interface SabrContext {
    type: number;
    value: Uint8Array;
}

export interface DecodedRequest {
    raw: ReturnType<typeof VideoPlaybackAbrRequest.decode>;
    cookie?: Uint8Array;
    contexts: SabrContext[];
    unsent: number[];
    poToken?: Uint8Array;
}

type FormatIdLike = { itag?: number; lastModified?: string; xtags?: string } | undefined;

const MAX_INT32 = 2147483647;
/** How long after a declared seek (ClientAbrState.time_since_last_seek) a backwards player time is accepted. */
const SEEK_GRACE_MS = 10_000;

export function decodeRequest(body: Uint8Array): DecodedRequest {
    const raw = VideoPlaybackAbrRequest.decode(body);
    // Raw scan of field 19 (streamer context): the cookie verbatim, since decoding it into a
    // message would lose the unknown field 9 the cookieEchoed check looks for.
    let cookie: Uint8Array | undefined;
    const contexts: SabrContext[] = [];
    let unsent: number[] = [];
    let poToken: Uint8Array | undefined;
    for (const f of scanFields(body)) {
        if (f.field !== 19 || !f.bytes) continue;
        const sc = scanFields(f.bytes);
        for (const g of sc) {
            if (g.field === 3 && g.bytes) cookie = g.bytes;
            if (g.field === 2 && g.bytes) poToken = g.bytes;
            if (g.field === 5 && g.bytes) contexts.push(contextOf(g.bytes));
        }
        unsent = repeatedInts(sc, 6);
    }
    return { raw, cookie, contexts, unsent, poToken };
}

function contextOf(bytes: Uint8Array): SabrContext {
    const c = scanFields(bytes);
    const type = c.find((x) => x.field === 1)?.num;
    const value = c.find((x) => x.field === 2)?.bytes ?? new Uint8Array();
    return { type: Number(type ?? 0), value };
}

/** The request as the log shows it (bytes as hex, only lengths of the config and PO token). */
export function requestSummary(d: DecodedRequest): unknown {
    const r = d.raw;
    return {
        clientAbrState: r.clientAbrState,
        selectedFormatIds: r.selectedFormatIds,
        bufferedRanges: r.bufferedRanges,
        preferredAudioFormatIds: r.preferredAudioFormatIds,
        preferredVideoFormatIds: r.preferredVideoFormatIds,
        clientInfo: r.streamerContext?.clientInfo,
        cookieHex: d.cookie ? toHex(d.cookie) : undefined,
        sabrContexts: d.contexts.map((c) => ({ type: c.type, valueHex: toHex(c.value) })),
        unsentSabrContexts: d.unsent,
        poTokenLength: d.poToken?.length ?? 0,
        configLength: r.videoPlaybackUstreamerConfig?.length ?? 0,
    };
}

/** The title's format a format id names (itag and xtags verbatim; lastModified is checked apart). */
export function findFormat(title: Title, id: FormatIdLike): FormatModel | undefined {
    if (!id) return undefined;
    return title.formats.find((f) => f.itag === id.itag && f.xtags === (id.xtags ?? ""));
}

/** What the buffered ranges (f3) claim, per itag; a range at INT32_MAX discards the format instead. */
export interface Claims {
    held: Map<number, Set<number>>;
    discarded: Set<number>;
    /** Every claimed "itag:seq" in request order (repeats kept). */
    claimed: string[];
}

export function claimsOf(d: DecodedRequest): Claims {
    const held = new Map<number, Set<number>>();
    const discarded = new Set<number>();
    const claimed: string[] = [];
    for (const br of d.raw.bufferedRanges) {
        const itag = br.formatId?.itag ?? 0;
        if (br.endSegmentIndex >= MAX_INT32 || Number(br.durationMs ?? 0) >= MAX_INT32) {
            discarded.add(itag);
            continue;
        }
        const set = held.get(itag) ?? new Set<number>();
        // Bounded so a bogus range cannot keep the origin busy.
        for (let q = br.startSegmentIndex; q <= br.endSegmentIndex && q - br.startSegmentIndex < 100000; q++) {
            set.add(q);
            claimed.push(`${itag}:${q}`);
        }
        held.set(itag, set);
    }
    return { held, discarded, claimed };
}

export function playerTimeOf(d: DecodedRequest): number {
    return Number(d.raw.clientAbrState?.playerTimeMs ?? d.raw.playerTimeMs ?? 0);
}

/** time_since_last_seek in ms, when the client sent it. */
export function sinceSeekOf(d: DecodedRequest): number | undefined {
    const t = d.raw.clientAbrState?.timeSinceLastSeek;
    return t === undefined ? undefined : Number(t);
}

/** The client says it sought recently enough that a backwards player time or a replay is fine. */
export function declaresSeek(d: DecodedRequest): boolean {
    const sinceSeek = sinceSeekOf(d);
    return sinceSeek !== undefined && sinceSeek >= 0 && sinceSeek <= SEEK_GRACE_MS;
}

/** "audioItag:videoItag" of the formats the client asks for (the key of Session.endedPairs). */
export function pairKey(d: DecodedRequest): string {
    return `${d.raw.preferredAudioFormatIds[0]?.itag}:${d.raw.preferredVideoFormatIds[0]?.itag}`;
}

/** A follow-up request reports state from earlier answers (what it selected or holds). */
export function isFollowUp(d: DecodedRequest): boolean {
    return d.raw.selectedFormatIds.length > 0 || d.raw.bufferedRanges.length > 0;
}
