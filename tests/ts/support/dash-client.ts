// A scripted DASH SegmentBase client for tests: it plays the role of the Roku Video node against
// the channel's local server. It fetches and parses the MPD, requests init + index ranges, parses
// the sidx into subsegment byte ranges and then requests media ranges like a player (audio and
// video interleaved in time order, one keep-alive socket per track), validating every 206 and
// assembling the bytes received per representation at their file positions.
import { makeRng } from "../../../tools/origin/faults.ts";
import http from "node:http";
import type { IncomingHttpHeaders } from "node:http";

export interface ByteRange {
    /** First byte, inclusive. */
    start: number;
    /** Last byte, inclusive. */
    end: number;
}

export type Track = "video" | "audio";

// ---------------------------------------------------------------------------------------------
// MPD parsing (regex / attribute extraction; enough for YouTube-style SegmentBase manifests)
// ---------------------------------------------------------------------------------------------

export interface MpdRepresentation {
    id: string;
    /** From the BaseURL key (`key=<itag>:…`) or else the Representation id prefix. */
    itag: number;
    bandwidth: number;
    contentType: string;
    mimeType?: string;
    codecs?: string;
    width?: number;
    height?: number;
    /** BaseURL resolved against the manifest URL (and any outer BaseURLs). */
    url: string;
    /** The BaseURL's `key` query parameter (the channel's format key), else `<id>@<periodId>`. */
    key: string;
    initRange: ByteRange;
    indexRange: ByteRange;
    /** SegmentBase@timescale (default 1). */
    timescale: number;
    /** SegmentBase@presentationTimeOffset in ms (floor), 0 when absent. */
    presentationTimeOffsetMs: number;
}

export interface MpdAdaptationSet {
    id?: string;
    contentType: string;
    mimeType?: string;
    representations: MpdRepresentation[];
}

export interface MpdPeriod {
    id: string;
    startMs: number;
    /** Period@duration in ms, if present. */
    durationMs?: number;
    /** Resolved end: start + duration, else the next Period's start, else the MPD duration, else Infinity. */
    endMs: number;
    adaptationSets: MpdAdaptationSet[];
}

export interface Mpd {
    url: string;
    text: string;
    type: string;
    mediaPresentationDurationMs?: number;
    periods: MpdPeriod[];
}

/** `PT1H2M3.456S` (and `P1DT…`) in integer ms; undefined when absent, throws when malformed. */
export function parseIsoDurationMs(value: string | undefined): number | undefined {
    if (value === undefined) return undefined;
    const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d*))?S)?)?$/.exec(value.trim());
    if (!m) throw new Error(`bad ISO 8601 duration '${value}'`);
    const n = (s: string | undefined): number => (s ? Number(s) : 0);
    const fraction = Number((m[5] ?? "").padEnd(3, "0").slice(0, 3));
    return ((n(m[1]) * 24 + n(m[2])) * 60 + n(m[3])) * 60_000 + n(m[4]) * 1000 + fraction;
}

function decodeXml(text: string): string {
    return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_m, e: string) => {
        if (e === "amp") return "&";
        if (e === "lt") return "<";
        if (e === "gt") return ">";
        if (e === "quot") return '"';
        if (e === "apos") return "'";
        return String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    });
}

/** Attributes of a start tag's attribute text, values XML-decoded. */
export function parseAttributes(attrText: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const m of attrText.matchAll(/([A-Za-z_][\w:.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        out[m[1]!] = decodeXml(m[2] ?? m[3] ?? "");
    }
    return out;
}

interface XmlElement {
    attrs: Record<string, string>;
    /** Inner text ('' for self-closing elements). */
    body: string;
}

// Attribute text that may contain '>' inside quoted values.
const ATTRS = `((?:[^>"'/]|"[^"]*"|'[^']*'|/(?!>))*)`;

/** Non-nested elements named `name` in `text`, self-closing or not. */
function elements(text: string, name: string): XmlElement[] {
    const re = new RegExp(`<${name}(?=[\\s/>])${ATTRS}(?:/>|>([\\s\\S]*?)</${name}\\s*>)`, "g");
    return [...text.matchAll(re)].map((m) => ({ attrs: parseAttributes(m[1] ?? ""), body: m[2] ?? "" }));
}

function withoutElements(text: string, name: string): string {
    const re = new RegExp(`<${name}(?=[\\s/>])${ATTRS}(?:/>|>[\\s\\S]*?</${name}\\s*>)`, "g");
    return text.replace(re, "");
}

/** The text of the first direct BaseURL (children named `nested` removed first). */
function baseUrlIn(body: string, nested: string[]): string | undefined {
    let own = body;
    for (const n of nested) own = withoutElements(own, n);
    const m = /<BaseURL(?:\s[^>]*)?>([\s\S]*?)<\/BaseURL\s*>/.exec(own);
    return m ? decodeXml(m[1]!.trim()) : undefined;
}

function parseRange(value: string | undefined, what: string): ByteRange {
    const m = /^\s*(\d+)-(\d+)\s*$/.exec(value ?? "");
    if (!m) throw new Error(`bad ${what} '${value ?? ""}'`);
    const range = { start: Number(m[1]), end: Number(m[2]) };
    if (range.end < range.start) throw new Error(`empty ${what} '${value ?? ""}'`);
    return range;
}

function resolveUrl(ref: string | undefined, base: string): string {
    if (ref === undefined || ref === "") return base;
    return new URL(ref, base).toString();
}

function optionalNumber(v: string | undefined): number | undefined {
    return v === undefined || v === "" ? undefined : Number(v);
}

/** Parses a SegmentBase DASH manifest. `url` resolves relative BaseURLs. */
export function parseMpd(rawText: string, url: string): Mpd {
    const text = rawText.replace(/<!--[\s\S]*?-->/g, "");
    const mpdEl = elements(text, "MPD")[0];
    if (!mpdEl) throw new Error("no <MPD> element");
    const mpdBase = resolveUrl(baseUrlIn(mpdEl.body, ["Period"]), url);
    const mpdDuration = parseIsoDurationMs(mpdEl.attrs.mediaPresentationDuration);
    const periods: MpdPeriod[] = [];
    const periodEls = elements(mpdEl.body, "Period");
    let previousEnd = 0;
    periodEls.forEach((pe, pIndex) => {
        const id = pe.attrs.id ?? `period-${pIndex}`;
        const startMs = parseIsoDurationMs(pe.attrs.start) ?? previousEnd;
        const durationMs = parseIsoDurationMs(pe.attrs.duration);
        const periodBase = resolveUrl(baseUrlIn(pe.body, ["AdaptationSet"]), mpdBase);
        const periodSegmentBase = elements(withoutElements(pe.body, "AdaptationSet"), "SegmentBase")[0];
        const adaptationSets: MpdAdaptationSet[] = [];
        for (const ae of elements(pe.body, "AdaptationSet")) {
            const asBase = resolveUrl(baseUrlIn(ae.body, ["Representation"]), periodBase);
            const asSegmentBase = elements(withoutElements(ae.body, "Representation"), "SegmentBase")[0] ?? periodSegmentBase;
            const asContentType = ae.attrs.contentType ?? ae.attrs.mimeType?.split("/")[0] ?? "";
            const representations: MpdRepresentation[] = [];
            for (const re of elements(ae.body, "Representation")) {
                const repId = re.attrs.id ?? "";
                const repUrl = resolveUrl(baseUrlIn(re.body, []), asBase);
                const segmentBase = elements(re.body, "SegmentBase")[0] ?? asSegmentBase;
                if (!segmentBase) throw new Error(`Representation ${repId} in Period ${id} has no SegmentBase`);
                const init = elements(segmentBase.body, "Initialization")[0];
                const timescale = optionalNumber(segmentBase.attrs.timescale) ?? 1;
                const pto = BigInt(segmentBase.attrs.presentationTimeOffset ?? "0");
                let key: string | null = null;
                try {
                    key = new URL(repUrl).searchParams.get("key");
                } catch {
                    key = null;
                }
                const itagText = (key ?? repId).split(":")[0] ?? "";
                const mimeType = re.attrs.mimeType ?? ae.attrs.mimeType;
                representations.push({
                    id: repId,
                    itag: /^\d+$/.test(itagText) ? Number(itagText) : NaN,
                    bandwidth: Number(re.attrs.bandwidth ?? 0),
                    contentType: re.attrs.contentType ?? (asContentType || (mimeType?.split("/")[0] ?? "")),
                    mimeType,
                    codecs: re.attrs.codecs ?? ae.attrs.codecs,
                    width: optionalNumber(re.attrs.width),
                    height: optionalNumber(re.attrs.height),
                    url: repUrl,
                    key: key ?? `${repId}@${id}`,
                    initRange: parseRange(init?.attrs.range, `Initialization range of ${repId}`),
                    indexRange: parseRange(segmentBase.attrs.indexRange, `indexRange of ${repId}`),
                    timescale,
                    presentationTimeOffsetMs: Number((pto * 1000n) / BigInt(timescale)),
                });
            }
            adaptationSets.push({ id: ae.attrs.id, contentType: asContentType, mimeType: ae.attrs.mimeType, representations });
        }
        const endMs = durationMs !== undefined ? startMs + durationMs : Infinity;
        periods.push({ id, startMs, durationMs, endMs, adaptationSets });
        previousEnd = endMs;
    });
    // Ends without a duration: the next Period's start, else the presentation's end.
    periods.forEach((p, i) => {
        if (p.durationMs !== undefined) return;
        const next = periods[i + 1];
        p.endMs = next ? next.startMs : mpdDuration !== undefined ? mpdDuration : Infinity;
    });
    return { url, text: rawText, type: mpdEl.attrs.type ?? "static", mediaPresentationDurationMs: mpdDuration, periods };
}

// ---------------------------------------------------------------------------------------------
// sidx (ISO/IEC 14496-12 8.16.3), v0 and v1, BigInt arithmetic
// ---------------------------------------------------------------------------------------------

export interface SidxReference {
    /** 1-based. */
    sequence: number;
    /** Byte range in the whole file (inclusive end). */
    range: ByteRange;
    startTicks: bigint;
    durationTicks: bigint;
    /** floor(startTicks·1000/timescale) on the media timeline. */
    startMs: number;
    /** floor(endTicks·1000/timescale) − startMs (durations add up to the track end). */
    durationMs: number;
}

export interface Sidx {
    version: number;
    timescale: number;
    earliestPresentationTime: bigint;
    /** File offset of the sidx box. */
    boxOffset: number;
    boxSize: number;
    references: SidxReference[];
    /** One past the last referenced byte (the representation's length when the sidx covers it). */
    endOffset: number;
}

function toSafeNumber(v: bigint, what: string): number {
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`sidx ${what} too large: ${v}`);
    return Number(v);
}

/**
 * Parses the sidx box that starts at `buf[at]`; `fileOffset` is that byte's position in the file
 * (the references are relative to the first byte after the box). Rejects hierarchical sidx.
 */
export function parseSidx(buf: Buffer, fileOffset: number, at = 0): Sidx {
    if (buf.length < at + 8) throw new Error("sidx: truncated header");
    let size = BigInt(buf.readUInt32BE(at));
    const type = buf.toString("latin1", at + 4, at + 8);
    if (type !== "sidx") throw new Error(`expected a sidx box at ${fileOffset}, found '${type}'`);
    let p = at + 8;
    if (size === 1n) {
        size = buf.readBigUInt64BE(p);
        p += 8;
    }
    const boxSize = toSafeNumber(size, "size");
    if (buf.length < at + boxSize) throw new Error(`sidx: box of ${boxSize} bytes but only ${buf.length - at} received`);
    const version = buf.readUInt8(p);
    p += 4 + 4; // version + flags, reference_ID
    const timescale = buf.readUInt32BE(p);
    p += 4;
    if (timescale === 0) throw new Error("sidx: timescale 0");
    let ept: bigint;
    let firstOffset: bigint;
    if (version === 0) {
        ept = BigInt(buf.readUInt32BE(p));
        firstOffset = BigInt(buf.readUInt32BE(p + 4));
        p += 8;
    } else {
        ept = buf.readBigUInt64BE(p);
        firstOffset = buf.readBigUInt64BE(p + 8);
        p += 16;
    }
    p += 2; // reserved
    const count = buf.readUInt16BE(p);
    p += 2;
    if (p + count * 12 > at + boxSize) throw new Error(`sidx: ${count} references do not fit in the box`);
    const ts = BigInt(timescale);
    let offset = BigInt(fileOffset) + size + firstOffset;
    let ticks = ept;
    const references: SidxReference[] = [];
    for (let i = 0; i < count; i++) {
        const word = buf.readUInt32BE(p);
        if ((word & 0x80000000) !== 0) throw new Error("sidx: hierarchical references are not supported");
        const refSize = BigInt(word & 0x7fffffff);
        const duration = BigInt(buf.readUInt32BE(p + 4));
        p += 12;
        const startMs = (ticks * 1000n) / ts;
        const endMs = ((ticks + duration) * 1000n) / ts;
        references.push({
            sequence: i + 1,
            range: { start: toSafeNumber(offset, "offset"), end: toSafeNumber(offset + refSize - 1n, "offset") },
            startTicks: ticks,
            durationTicks: duration,
            startMs: toSafeNumber(startMs, "time"),
            durationMs: toSafeNumber(endMs - startMs, "time"),
        });
        offset += refSize;
        ticks += duration;
    }
    return { version, timescale, earliestPresentationTime: ept, boxOffset: fileOffset, boxSize, references, endOffset: toSafeNumber(offset, "offset") };
}

// ---------------------------------------------------------------------------------------------
// Report: requests and received bytes
// ---------------------------------------------------------------------------------------------

export type RequestKind = "init" | "index" | "init+index" | "media";

export interface RequestRecord {
    /** Position in PlayReport.requests. */
    index: number;
    track: Track;
    itag: number;
    key: string;
    periodId: string;
    kind: RequestKind;
    /** Requested range (inclusive). */
    range: ByteRange;
    /** Sidx sequence numbers this request touches (media only). */
    segments: number[];
    /** Presentation time (ms) of the first subsegment requested (media only). */
    timeMs?: number;
    /** HTTP status, 0 when no response arrived. */
    status: number;
    /** Body bytes received. */
    bytes: number;
    ms: number;
    headers: IncomingHttpHeaders;
    contentRange?: { start: number; end: number; total: number | null };
    /** Local port of the socket (keep-alive accounting) and whether it was reused. */
    socket?: { localPort: number; reused: boolean };
    /** Validation failures of this response (empty when it is a correct 206). */
    problems: string[];
    error?: string;
}

export interface ReceivedSpan {
    start: number;
    /** Inclusive. */
    end: number;
    request: number;
    data: Buffer;
}

export interface Mismatch {
    key: string;
    /** File offset of the first differing byte. */
    offset: number;
    /** Source byte, or null when the span runs past the source's end. */
    expected: number | null;
    actual: number;
    request: number;
}

export interface VerifyResult {
    ok: boolean;
    bytesChecked: number;
    spans: number;
    mismatch?: Mismatch;
    message: string;
}

function mergeRanges(ranges: ByteRange[]): ByteRange[] {
    const sorted = [...ranges].sort((a, b) => a.start - b.start || a.end - b.end);
    const out: ByteRange[] = [];
    for (const r of sorted) {
        const last = out[out.length - 1];
        if (last && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
        else out.push({ ...r });
    }
    return out;
}

function hex(n: number | null): string {
    return n === null ? "EOF" : `0x${n.toString(16).padStart(2, "0")}`;
}

/** The bytes received for one representation key (or, from `PlayReport.byItag`, for all keys of an itag). */
export class ReceivedRepresentation {
    readonly spans: ReceivedSpan[] = [];
    /** Parsed sidx, when the index arrived and parsed. */
    sidx?: Sidx;

    constructor(
        readonly key: string,
        readonly itag: number,
        readonly track: Track,
    ) {}

    /** Merged byte ranges received. */
    coverage(): ByteRange[] {
        return mergeRanges(this.spans.map((s) => ({ start: s.start, end: s.end })));
    }

    /** Byte ranges of [0, total) never received. */
    gaps(total: number): ByteRange[] {
        const gaps: ByteRange[] = [];
        let next = 0;
        for (const r of this.coverage()) {
            if (r.start > next) gaps.push({ start: next, end: Math.min(r.start, total) - 1 });
            next = Math.max(next, r.end + 1);
        }
        if (next < total) gaps.push({ start: next, end: total - 1 });
        return gaps.filter((g) => g.end >= g.start);
    }

    /** The whole of [0, total) received. */
    covers(total: number): boolean {
        return this.gaps(total).length === 0;
    }

    /** Checks every received span against `source` at the same offsets; reports the first mismatch by file offset. */
    verify(source: Buffer): VerifyResult {
        let first: Mismatch | undefined;
        let checked = 0;
        for (const s of this.spans) {
            checked += s.data.length;
            const limit = Math.min(s.data.length, Math.max(0, source.length - s.start));
            let at = -1;
            if (!s.data.subarray(0, limit).equals(source.subarray(s.start, s.start + limit))) {
                for (let i = 0; i < limit; i++) {
                    if (s.data[i] !== source[s.start + i]) {
                        at = i;
                        break;
                    }
                }
            } else if (limit < s.data.length) {
                at = limit;
            }
            if (at < 0) continue;
            const offset = s.start + at;
            if (!first || offset < first.offset) {
                first = { key: this.key, offset, expected: offset < source.length ? source[offset]! : null, actual: s.data[at]!, request: s.request };
            }
        }
        const message = first
            ? `${this.key}: byte ${first.offset} is ${hex(first.actual)}, source has ${hex(first.expected)} (request #${first.request})`
            : `${this.key}: ${checked} bytes in ${this.spans.length} spans match the source`;
        return { ok: !first, bytesChecked: checked, spans: this.spans.length, mismatch: first, message };
    }
}

export class PlayReport {
    readonly requests: RequestRecord[] = [];
    /** Per representation key (the BaseURL's `key` query parameter). */
    readonly representations = new Map<string, ReceivedRepresentation>();
    /** Transport errors, failed validations and skipped work, one line each. */
    readonly errors: string[] = [];

    /** Requests whose response failed validation or did not arrive. */
    problems(): RequestRecord[] {
        return this.requests.filter((r) => r.problems.length > 0 || r.error !== undefined);
    }

    /** All spans of every key with this itag, as one representation (keys of several Periods share a file). */
    byItag(itag: number): ReceivedRepresentation {
        const reps = [...this.representations.values()].filter((r) => r.itag === itag);
        const merged = new ReceivedRepresentation(`itag ${itag}`, itag, reps[0]?.track ?? "video");
        for (const r of reps) merged.spans.push(...r.spans);
        merged.sidx = reps.find((r) => r.sidx)?.sidx;
        return merged;
    }

    /** verify() of every key of `itag` against its source file. */
    verify(itag: number, source: Buffer): VerifyResult {
        return this.byItag(itag).verify(source);
    }

    /** Distinct sockets (local ports) used for range requests. */
    sockets(): number[] {
        return [...new Set(this.requests.flatMap((r) => (r.socket ? [r.socket.localPort] : [])))];
    }
}

// ---------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------

export interface DashClientOptions {
    /** http://127.0.0.1:<port>/manifest.mpd served by the channel. */
    manifestUrl: string;
    /** Per-request timeout (connect to last body byte); default 15000. */
    requestTimeoutMs?: number;
    /** Sockets of the keep-alive agent; default 2 (one per track). */
    maxSockets?: number;
    /** Extra request headers (e.g. a Roku-like User-Agent). */
    headers?: Record<string, string>;
    /** Ports of the URLs in the manifest → ports to use (the simulator bridge maps the channel's ports). */
    portMap?: Record<number, number>;
}

export type RangeStyle = "segments" | "misaligned" | "combined-init";

export interface PlayOptions {
    /** Video representation to play (the audio representation is the first audio one, or `audioItag`). */
    videoItag: number;
    audioItag?: number;
    /** Periods to play, by id; default all. */
    periods?: "all" | string[];
    /** Stop requesting media whose presentation start is at or after this time. */
    maxMediaMs?: number;
    /** segments: init, index, one request per subsegment; misaligned: segments split at a byte or merged in pairs; combined-init: one 0..indexEnd request. */
    rangeStyle?: RangeStyle;
    /** When a track's next media starts at/after atMs, it jumps to toMs (once per track). */
    seek?: { atMs: number; toMs: number };
    /** How far (ms) one track may run ahead of the other; default 10000. */
    maxAheadMs?: number;
    /** Seed of the misaligned split points; default 1. */
    seed?: number;
}

interface MediaItem {
    ref: SidxReference;
    /** Presentation time of the reference (Period start + media time − PTO). */
    startMs: number;
    endMs: number;
}

interface PlannedRequest {
    range: ByteRange;
    segments: number[];
    startMs: number;
}

interface Loaded {
    rep: MpdRepresentation;
    sidx: Sidx;
}

/** Lets a track proceed only while it is at most `aheadMs` ahead of the other tracks. */
class TrackGate {
    private readonly positions = new Map<Track, number>();
    private waiters: Array<() => void> = [];

    constructor(
        private readonly aheadMs: number,
        tracks: Track[],
        startMs: number,
    ) {
        for (const t of tracks) this.positions.set(t, startMs);
    }

    set(track: Track, positionMs: number): void {
        this.positions.set(track, positionMs);
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) w();
    }

    done(track: Track): void {
        this.set(track, Infinity);
    }

    async wait(track: Track, positionMs: number): Promise<void> {
        this.set(track, positionMs);
        while (!this.allowed(track, positionMs)) await new Promise<void>((resolve) => this.waiters.push(resolve));
    }

    private allowed(track: Track, positionMs: number): boolean {
        for (const [t, p] of this.positions) if (t !== track && positionMs > p + this.aheadMs) return false;
        return true;
    }
}


export class DashClient {
    readonly agent: http.Agent;
    mpd?: Mpd;
    private readonly timeoutMs: number;

    constructor(readonly opts: DashClientOptions) {
        this.agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 2 });
        this.timeoutMs = opts.requestTimeoutMs ?? 15_000;
    }

    async loadManifest(): Promise<Mpd> {
        const res = await this.get(this.opts.manifestUrl);
        if (res.error !== undefined) throw new Error(`manifest: ${res.error}`);
        if (res.status !== 200) throw new Error(`manifest: HTTP ${res.status}`);
        this.mpd = parseMpd(res.body.toString("utf8"), this.opts.manifestUrl);
        return this.mpd;
    }

    /** Plays the chosen representations; never throws for HTTP/validation failures (see report.errors). */
    async play(opts: PlayOptions): Promise<PlayReport> {
        const mpd = this.mpd ?? (await this.loadManifest());
        const wanted = opts.periods ?? "all";
        const periods = mpd.periods.filter((p) => wanted === "all" || wanted.includes(p.id)).sort((a, b) => a.startMs - b.startMs);
        if (periods.length === 0) throw new Error(`no Period selected (have ${mpd.periods.map((p) => p.id).join(", ")})`);
        const report = new PlayReport();
        const pick = (period: MpdPeriod, track: Track): MpdRepresentation | undefined => {
            const reps = period.adaptationSets.filter((a) => a.contentType === track).flatMap((a) => a.representations);
            const itag = track === "video" ? opts.videoItag : opts.audioItag;
            return itag === undefined ? reps[0] : reps.find((r) => r.itag === itag);
        };
        for (const p of periods) {
            if (!pick(p, "video")) throw new Error(`Period ${p.id} has no video itag ${opts.videoItag}`);
        }
        const tracks: Track[] = ["video", "audio"];
        const gate = new TrackGate(opts.maxAheadMs ?? 10_000, tracks, periods[0]!.startMs);
        const random = makeRng(opts.seed ?? 1);
        await Promise.all(
            tracks.map(async (track) => {
                try {
                    await this.playTrack(track, periods, (p) => pick(p, track), opts, gate, report, random);
                } catch (e) {
                    report.errors.push(`${track}: ${String(e)}`);
                } finally {
                    gate.done(track);
                }
            }),
        );
        return report;
    }

    close(): void {
        this.agent.destroy();
    }

    private async playTrack(
        track: Track,
        periods: MpdPeriod[],
        pick: (p: MpdPeriod) => MpdRepresentation | undefined,
        opts: PlayOptions,
        gate: TrackGate,
        report: PlayReport,
        random: () => number,
    ): Promise<void> {
        const loaded = new Map<string, Loaded | null>();
        let timeMs = periods[0]!.startMs;
        let seekPending = opts.seek !== undefined;
        for (;;) {
            const period = periods.find((p) => p.endMs > timeMs);
            if (!period) return;
            const rep = pick(period);
            if (!rep) {
                report.errors.push(`${track}: Period ${period.id} has no ${track} representation`);
                timeMs = period.endMs;
                continue;
            }
            const windowStart = Math.max(timeMs, period.startMs);
            await gate.wait(track, windowStart);
            if (!loaded.has(rep.key)) loaded.set(rep.key, await this.loadIndex(track, period, rep, opts.rangeStyle ?? "segments", report));
            const index = loaded.get(rep.key);
            if (!index) {
                timeMs = period.endMs;
                continue;
            }
            let items: MediaItem[] = index.sidx.references
                .map((ref) => {
                    const startMs = period.startMs + ref.startMs - rep.presentationTimeOffsetMs;
                    return { ref, startMs, endMs: startMs + ref.durationMs };
                })
                .filter((it) => it.endMs > windowStart && it.startMs < period.endMs);
            let next = period.endMs;
            let stop = false;
            if (seekPending && opts.seek) {
                const cut = items.findIndex((it) => it.startMs >= opts.seek!.atMs);
                if (cut >= 0) {
                    items = items.slice(0, cut);
                    next = opts.seek.toMs;
                    seekPending = false;
                }
            }
            if (opts.maxMediaMs !== undefined) {
                const cut = items.findIndex((it) => it.startMs >= opts.maxMediaMs!);
                if (cut >= 0) {
                    items = items.slice(0, cut);
                    if (next === period.endMs) stop = true;
                }
            }
            for (const planned of this.plan(items, opts.rangeStyle ?? "segments", random)) {
                await gate.wait(track, planned.startMs);
                const r = await this.fetchRange(track, period, rep, "media", planned.range, report, planned.segments, planned.startMs);
                if (r.error !== undefined || r.problems.length) report.errors.push(`${track} ${rep.key} ${rangeText(planned.range)}: ${r.error ?? r.problems.join("; ")}`);
            }
            if (stop) return;
            timeMs = next;
        }
    }

    /** Media requests for `items` in one of the range styles. */
    private plan(items: MediaItem[], style: RangeStyle, random: () => number): PlannedRequest[] {
        if (style !== "misaligned") return items.map((it) => ({ range: it.ref.range, segments: [it.ref.sequence], startMs: it.startMs }));
        const out: PlannedRequest[] = [];
        let split = true;
        for (let i = 0; i < items.length; i++) {
            const it = items[i]!;
            const after = items[i + 1];
            const len = it.ref.range.end - it.ref.range.start + 1;
            if (split && len >= 2) {
                // Two requests meeting at an arbitrary byte inside the subsegment.
                const at = it.ref.range.start + 1 + Math.floor(random() * (len - 1));
                out.push({ range: { start: it.ref.range.start, end: at - 1 }, segments: [it.ref.sequence], startMs: it.startMs });
                out.push({ range: { start: at, end: it.ref.range.end }, segments: [it.ref.sequence], startMs: it.startMs });
            } else if (!split && after && after.ref.range.start === it.ref.range.end + 1) {
                // One request spanning two subsegments.
                out.push({ range: { start: it.ref.range.start, end: after.ref.range.end }, segments: [it.ref.sequence, after.ref.sequence], startMs: it.startMs });
                i++;
            } else {
                out.push({ range: it.ref.range, segments: [it.ref.sequence], startMs: it.startMs });
            }
            split = !split;
        }
        return out;
    }

    /** Fetches init + index of a representation (two requests, or one 0..indexEnd) and parses the sidx. */
    private async loadIndex(track: Track, period: MpdPeriod, rep: MpdRepresentation, style: RangeStyle, report: PlayReport): Promise<Loaded | null> {
        const received = this.received(report, rep, track);
        const fail = (what: string, r: RequestRecord): null => {
            report.errors.push(`${track} ${rep.key} ${what} ${rangeText(r.range)}: ${r.error ?? r.problems.join("; ")}`);
            return null;
        };
        let indexBytes: Buffer;
        if (style === "combined-init" && rep.initRange.start <= rep.indexRange.start) {
            const range = { start: rep.initRange.start, end: Math.max(rep.initRange.end, rep.indexRange.end) };
            const r = await this.fetchRange(track, period, rep, "init+index", range, report);
            if (r.error !== undefined || r.problems.length) return fail("init+index", r);
            indexBytes = r.body.subarray(rep.indexRange.start - range.start, rep.indexRange.end - range.start + 1);
        } else {
            const init = await this.fetchRange(track, period, rep, "init", rep.initRange, report);
            if (init.error !== undefined || init.problems.length) return fail("init", init);
            const index = await this.fetchRange(track, period, rep, "index", rep.indexRange, report);
            if (index.error !== undefined || index.problems.length) return fail("index", index);
            indexBytes = index.body;
        }
        let sidx: Sidx;
        try {
            sidx = parseSidx(indexBytes, rep.indexRange.start);
        } catch (e) {
            report.errors.push(`${track} ${rep.key}: ${String(e)}`);
            return null;
        }
        received.sidx = sidx;
        // Every Content-Range total of this representation must equal its real length (the sidx end).
        for (const r of report.requests) {
            const total = r.contentRange?.total;
            if (r.key === rep.key && total !== null && total !== undefined && total !== sidx.endOffset) {
                const problem = `Content-Range total ${total} differs from the representation length ${sidx.endOffset}`;
                r.problems.push(problem);
                report.errors.push(`${track} ${rep.key} ${rangeText(r.range)}: ${problem}`);
            }
        }
        return { rep, sidx };
    }

    private received(report: PlayReport, rep: MpdRepresentation, track: Track): ReceivedRepresentation {
        let r = report.representations.get(rep.key);
        if (!r) {
            r = new ReceivedRepresentation(rep.key, rep.itag, track);
            report.representations.set(rep.key, r);
        }
        return r;
    }

    /** One ranged GET, validated and recorded; the body is stored at its file position when the response is usable. */
    private async fetchRange(
        track: Track,
        period: MpdPeriod,
        rep: MpdRepresentation,
        kind: RequestKind,
        range: ByteRange,
        report: PlayReport,
        segments: number[] = [],
        timeMs?: number,
    ): Promise<RequestRecord & { body: Buffer }> {
        const index = report.requests.length;
        const record: RequestRecord = {
            index, track, itag: rep.itag, key: rep.key, periodId: period.id, kind, range, segments, timeMs,
            status: 0, bytes: 0, ms: 0, headers: {}, problems: [],
        };
        report.requests.push(record);
        const res = await this.get(rep.url, range);
        Object.assign(record, { status: res.status, bytes: res.body.length, ms: res.ms, headers: res.headers, socket: res.socket });
        if (res.error !== undefined) {
            record.error = res.error;
            return { ...record, body: res.body };
        }
        record.problems.push(...this.validate(record, res.body.length, report.representations.get(rep.key)?.sidx?.endOffset));
        if (record.problems.length === 0) {
            this.received(report, rep, track).spans.push({ start: range.start, end: range.end, request: index, data: res.body });
        }
        return { ...record, body: res.body };
    }

    /** Problems of a response to a `bytes=S-E` request. */
    private validate(record: RequestRecord, bodyLength: number, knownTotal: number | undefined): string[] {
        const problems: string[] = [];
        const { start, end } = record.range;
        if (record.status !== 206) problems.push(`status ${record.status}, expected 206`);
        const cr = record.headers["content-range"];
        const m = typeof cr === "string" ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr.trim()) : null;
        if (!m) {
            problems.push(`Content-Range '${cr ?? ""}' is not 'bytes S-E/TOTAL'`);
        } else {
            const got = { start: Number(m[1]), end: Number(m[2]), total: m[3] === "*" ? null : Number(m[3]) };
            record.contentRange = got;
            if (got.start !== start || got.end !== end) problems.push(`Content-Range ${got.start}-${got.end} does not match the requested ${start}-${end}`);
            if (got.total === null) problems.push("Content-Range total is '*'");
            else if (knownTotal !== undefined && got.total !== knownTotal) problems.push(`Content-Range total ${got.total} differs from the representation length ${knownTotal}`);
            else if (got.total <= got.end) problems.push(`Content-Range total ${got.total} is not past the end ${got.end}`);
        }
        const cl = record.headers["content-length"];
        if (cl === undefined) problems.push("no Content-Length");
        else if (Number(cl) !== bodyLength) problems.push(`Content-Length ${cl} but ${bodyLength} body bytes`);
        if (bodyLength !== end - start + 1) problems.push(`${bodyLength} body bytes for a ${end - start + 1}-byte range`);
        return problems;
    }

    /** GET with an optional range on the keep-alive agent, bounded by the request timeout. */
    private mapPort(url: string): string {
        const parsed = new URL(url);
        const mapped = this.opts.portMap?.[Number(parsed.port)];
        if (mapped === undefined) return url;
        parsed.port = String(mapped);
        return parsed.toString();
    }

    private get(url: string, range?: ByteRange): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer; ms: number; socket?: { localPort: number; reused: boolean }; error?: string }> {
        const started = performance.now();
        return new Promise((resolve) => {
            const chunks: Buffer[] = [];
            let status = 0;
            let headers: IncomingHttpHeaders = {};
            let socket: { localPort: number; reused: boolean } | undefined;
            let settled = false;
            const finish = (error?: string): void => {
                if (settled) return;
                settled = true;
                clearTimeout(timer);
                resolve({ status, headers, body: Buffer.concat(chunks), ms: Math.round(performance.now() - started), socket, error });
            };
            const req = http.get(this.mapPort(url), { agent: this.agent, headers: { ...this.opts.headers, ...(range ? { Range: rangeText(range) } : {}) } }, (res) => {
                status = res.statusCode ?? 0;
                headers = res.headers;
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () => finish());
                res.on("error", (e) => finish(String(e)));
                res.on("close", () => {
                    if (!res.complete) finish("connection closed before the body was complete");
                });
            });
            req.on("socket", (s) => {
                const note = (): void => {
                    socket = { localPort: s.localPort ?? 0, reused: req.reusedSocket };
                };
                if (s.localPort) note();
                else s.once("connect", note);
            });
            req.on("error", (e) => finish(String(e)));
            const timer = setTimeout(() => {
                finish(`timeout after ${this.timeoutMs} ms`);
                req.destroy();
            }, this.timeoutMs);
        });
    }
}

function rangeText(r: ByteRange): string {
    return `bytes=${r.start}-${r.end}`;
}
