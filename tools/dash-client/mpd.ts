// SegmentBase DASH manifests (the YouTube-style ones the channel serves) parsed into Periods,
// AdaptationSets and Representations with resolved URLs, byte ranges and timing.
import type { ByteRange } from "./byte-range.ts";
import { parseIsoDurationMs } from "./iso-duration.ts";
import { decodeXml, elements, withoutElements, type XmlElement } from "./xml.ts";

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

/** What a Representation inherits from its AdaptationSet and Period. */
interface Inherited {
    periodId: string;
    adaptationSet: XmlElement;
    baseUrl: string;
    segmentBase?: XmlElement;
    contentType: string;
}

/** Parses a SegmentBase DASH manifest. `url` resolves relative BaseURLs. */
export function parseMpd(rawText: string, url: string): Mpd {
    const text = rawText.replace(/<!--[\s\S]*?-->/g, "");
    const mpdEl = elements(text, "MPD")[0];
    if (!mpdEl) throw new Error("no <MPD> element");
    const mpdBase = resolveUrl(baseUrlIn(mpdEl.body, ["Period"]), url);
    const mpdDuration = parseIsoDurationMs(mpdEl.attrs.mediaPresentationDuration);
    const periods: MpdPeriod[] = [];
    let previousEnd = 0;
    elements(mpdEl.body, "Period").forEach((pe, pIndex) => {
        const period = parsePeriod(pe, pIndex, previousEnd, mpdBase);
        periods.push(period);
        previousEnd = period.endMs;
    });
    resolveOpenEnds(periods, mpdDuration);
    return { url, text: rawText, type: mpdEl.attrs.type ?? "static", mediaPresentationDurationMs: mpdDuration, periods };
}

/** A Period without @start starts where the previous one ends. */
function parsePeriod(pe: XmlElement, pIndex: number, previousEnd: number, mpdBase: string): MpdPeriod {
    const id = pe.attrs.id ?? `period-${pIndex}`;
    const startMs = parseIsoDurationMs(pe.attrs.start) ?? previousEnd;
    const durationMs = parseIsoDurationMs(pe.attrs.duration);
    const periodBase = resolveUrl(baseUrlIn(pe.body, ["AdaptationSet"]), mpdBase);
    const periodSegmentBase = elements(withoutElements(pe.body, "AdaptationSet"), "SegmentBase")[0];
    const adaptationSets = elements(pe.body, "AdaptationSet").map((ae) => parseAdaptationSet(ae, id, periodBase, periodSegmentBase));
    const endMs = durationMs !== undefined ? startMs + durationMs : Infinity;
    return { id, startMs, durationMs, endMs, adaptationSets };
}

function parseAdaptationSet(
    ae: XmlElement,
    periodId: string,
    periodBase: string,
    periodSegmentBase: XmlElement | undefined,
): MpdAdaptationSet {
    const contentType = ae.attrs.contentType ?? ae.attrs.mimeType?.split("/")[0] ?? "";
    const inherited: Inherited = {
        periodId,
        adaptationSet: ae,
        baseUrl: resolveUrl(baseUrlIn(ae.body, ["Representation"]), periodBase),
        segmentBase: elements(withoutElements(ae.body, "Representation"), "SegmentBase")[0] ?? periodSegmentBase,
        contentType,
    };
    const representations = elements(ae.body, "Representation").map((re) => parseRepresentation(re, inherited));
    return { id: ae.attrs.id, contentType, mimeType: ae.attrs.mimeType, representations };
}

function parseRepresentation(re: XmlElement, inherited: Inherited): MpdRepresentation {
    const ae = inherited.adaptationSet;
    const repId = re.attrs.id ?? "";
    const repUrl = resolveUrl(baseUrlIn(re.body, []), inherited.baseUrl);
    const segmentBase = elements(re.body, "SegmentBase")[0] ?? inherited.segmentBase;
    if (!segmentBase) throw new Error(`Representation ${repId} in Period ${inherited.periodId} has no SegmentBase`);
    const init = elements(segmentBase.body, "Initialization")[0];
    const timescale = optionalNumber(segmentBase.attrs.timescale) ?? 1;
    const pto = BigInt(segmentBase.attrs.presentationTimeOffset ?? "0");
    const key = keyParameter(repUrl);
    const itagText = (key ?? repId).split(":")[0] ?? "";
    const mimeType = re.attrs.mimeType ?? ae.attrs.mimeType;
    return {
        id: repId,
        itag: /^\d+$/.test(itagText) ? Number(itagText) : NaN,
        bandwidth: Number(re.attrs.bandwidth ?? 0),
        contentType: re.attrs.contentType ?? (inherited.contentType || (mimeType?.split("/")[0] ?? "")),
        mimeType,
        codecs: re.attrs.codecs ?? ae.attrs.codecs,
        width: optionalNumber(re.attrs.width),
        height: optionalNumber(re.attrs.height),
        url: repUrl,
        key: key ?? `${repId}@${inherited.periodId}`,
        initRange: parseRange(init?.attrs.range, `Initialization range of ${repId}`),
        indexRange: parseRange(segmentBase.attrs.indexRange, `indexRange of ${repId}`),
        timescale,
        presentationTimeOffsetMs: Number((pto * 1000n) / BigInt(timescale)),
    };
}

/** Periods without a duration end at the next Period's start, else at the presentation's end. */
function resolveOpenEnds(periods: MpdPeriod[], mpdDurationMs: number | undefined): void {
    periods.forEach((p, i) => {
        if (p.durationMs !== undefined) return;
        const next = periods[i + 1];
        p.endMs = next ? next.startMs : mpdDurationMs !== undefined ? mpdDurationMs : Infinity;
    });
}

/** The `key` query parameter of a BaseURL; null when absent or the URL does not parse. */
function keyParameter(url: string): string | null {
    try {
        return new URL(url).searchParams.get("key");
    } catch {
        return null;
    }
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
