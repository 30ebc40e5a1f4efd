/**
 * Media model of the local SABR origin.
 *
 * Parses the bundled fragmented MP4 files (ftyp + moov = init range, one global
 * sidx = index range, then moof/mdat pairs) with exact integer arithmetic and
 * derives everything the origin announces or serves per format: itag, ranges,
 * content length, last_modified, xtags, mime type and codecs, bitrate, picture
 * size and the segment table.
 *
 * 64-bit box fields (sidx v1 times and offsets, mdhd v1 durations) are read as
 * BigInt; millisecond values are derived with integer division only.
 */
import { readFileSync, readdirSync, existsSync, statSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export interface ByteRange {
    /** First byte, inclusive. */
    start: number;
    /** Last byte, inclusive (YouTube's convention for initRange/indexRange). */
    end: number;
}

export interface Segment {
    /** 1-based media sequence number. */
    sequence: number;
    /** Start of the segment on the format's timeline, in ms (floor of ticks). */
    startMs: number;
    /** endMs(seq) - startMs(seq); the durations add up exactly to the track end in ms. */
    durationMs: number;
    /** Byte range of the moof+mdat pair in the whole file (inclusive end). */
    range: ByteRange;
    /** Segment size in bytes. */
    contentLength: number;
    /** Start, in track timescale ticks. */
    startTicks: bigint;
    /** Duration, in track timescale ticks. */
    durationTicks: bigint;
    timescale: number;
}

export interface FormatModel {
    videoId: string;
    itag: number;
    kind: "video" | "audio";
    /** Path of the source file. */
    path: string;
    /** The whole file. Media bytes are sliced from here. */
    bytes: Buffer;
    initRange: ByteRange;
    indexRange: ByteRange;
    contentLength: number;
    /** Microseconds since the epoch, as a decimal string (a stable constant per format). */
    lastModified: string;
    /** base64url, sent verbatim by clients in FormatId.xtags; '' when none. */
    xtags: string;
    /** e.g. `video/mp4; codecs="avc1.4d401e"` */
    mimeType: string;
    /** e.g. `avc1.4d401e` */
    codecs: string;
    /** Container mime without parameters: `video/mp4` or `audio/mp4`. */
    containerMime: string;
    /** Peak bits per second over one segment. */
    bitrate: number;
    /** Average bits per second over the whole file. */
    averageBitrate: number;
    width?: number;
    height?: number;
    fps?: number;
    audioSampleRate?: number;
    audioChannels?: number;
    /** Track (media) timescale, also the sidx timescale. */
    timescale: number;
    /** Total track duration in ticks (sum of the sidx references). */
    durationTicks: bigint;
    /** Track end in ms (= the last segment's startMs + durationMs). */
    durationMs: number;
    segments: Segment[];
    qualityLabel?: string;
}

export interface Title {
    videoId: string;
    formats: FormatModel[];
    /** Longest format end in ms. */
    durationMs: number;
}

/** Stable invented identities per itag (what the origin announces). */
const ITAG_INFO: Record<number, { lastModified: string; xtags: string; quality?: string }> = {
    160: { lastModified: "1700000000160000", xtags: "", quality: "144p" },
    133: { lastModified: "1700000000133000", xtags: "", quality: "240p" },
    134: { lastModified: "1700000000134000", xtags: "", quality: "360p" },
    // xtags of an "original audio, English" track: base64url protobuf of
    // {1:{1:"acont",2:"original"}, 1:{1:"lang",2:"en"}} as seen in real payloads.
    140: { lastModified: "1700000000140000", xtags: "ChEKBWFjb250EghvcmlnaW5hbAoKCgRsYW5nEgJlbg" },
};

export const MEDIA_DIR = join(dirname(fileURLToPath(import.meta.url)), "media");

interface Box {
    type: string;
    start: number;
    headerSize: number;
    size: number;
}

function readBoxes(buf: Buffer, start: number, end: number): Box[] {
    const boxes: Box[] = [];
    let off = start;
    while (off + 8 <= end) {
        let size = buf.readUInt32BE(off);
        const type = buf.toString("latin1", off + 4, off + 8);
        let headerSize = 8;
        if (size === 1) {
            const big = buf.readBigUInt64BE(off + 8);
            if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`box ${type} too large`);
            size = Number(big);
            headerSize = 16;
        } else if (size === 0) {
            size = end - off;
        }
        if (size < headerSize || off + size > end) throw new Error(`malformed box ${type} at ${off}`);
        boxes.push({ type, start: off, headerSize, size });
        off += size;
    }
    if (off !== end) throw new Error(`trailing bytes at ${off}`);
    return boxes;
}

function child(buf: Buffer, box: Box, type: string, skip = 0): Box {
    const found = readBoxes(buf, box.start + box.headerSize + skip, box.start + box.size).find((b) => b.type === type);
    if (!found) throw new Error(`missing ${type} in ${box.type}`);
    return found;
}

function hex2(n: number): string {
    return n.toString(16).padStart(2, "0");
}

/** ms = floor(ticks * 1000 / timescale), exactly. */
export function ticksToMs(ticks: bigint, timescale: number): number {
    return Number((ticks * 1000n) / BigInt(timescale));
}

interface TrackInfo {
    kind: "video" | "audio";
    timescale: number;
    codecs: string;
    width?: number;
    height?: number;
    sampleRate?: number;
    channels?: number;
}

function parseTrack(buf: Buffer, moov: Box): TrackInfo {
    const trak = child(buf, moov, "trak");
    const mdia = child(buf, trak, "mdia");
    const mdhd = child(buf, mdia, "mdhd");
    const v = buf.readUInt8(mdhd.start + 8);
    const timescale = buf.readUInt32BE(mdhd.start + 8 + 4 + (v === 1 ? 16 : 8));
    const hdlr = child(buf, mdia, "hdlr");
    const handler = buf.toString("latin1", hdlr.start + 16, hdlr.start + 20);
    const stbl = child(buf, child(buf, mdia, "minf"), "stbl");
    const stsd = child(buf, stbl, "stsd");
    // stsd: fullbox header (4) + entry_count (4), then sample entries.
    const entry = readBoxes(buf, stsd.start + 16, stsd.start + stsd.size)[0];
    if (!entry) throw new Error("empty stsd");
    if (handler === "vide") {
        // VisualSampleEntry: 6 reserved + 2 dref idx + 16 pre_defined/reserved, then width, height.
        const base = entry.start + 8;
        const width = buf.readUInt16BE(base + 24);
        const height = buf.readUInt16BE(base + 26);
        const avcC = child(buf, entry, "avcC", 78);
        const p = avcC.start + 8;
        const codecs = `${entry.type}.${hex2(buf[p + 1]!)}${hex2(buf[p + 2]!)}${hex2(buf[p + 3]!)}`;
        return { kind: "video", timescale, codecs, width, height };
    }
    if (handler === "soun") {
        const base = entry.start + 8;
        const channels = buf.readUInt16BE(base + 16);
        const sampleRate = buf.readUInt32BE(base + 24) >>> 16;
        const esds = child(buf, entry, "esds", 28);
        // Find DecoderConfigDescriptor (tag 4): objectTypeIndication follows its length.
        let audioObjectType = 2;
        let oti = 0x40;
        const esEnd = esds.start + esds.size;
        for (let i = esds.start + 12; i < esEnd - 2; i++) {
            if (buf[i] === 0x04) {
                let j = i + 1;
                while (j < esEnd && (buf[j]! & 0x80) !== 0) j++;
                oti = buf[j + 1]!;
                // DecoderSpecificInfo (tag 5) follows 13 bytes of DecoderConfigDescriptor fields.
                let k = j + 1 + 13;
                if (buf[k] === 0x05) {
                    k++;
                    while (k < esEnd && (buf[k]! & 0x80) !== 0) k++;
                    audioObjectType = buf[k + 1]! >> 3;
                }
                break;
            }
        }
        return { kind: "audio", timescale, codecs: `mp4a.${oti.toString(16)}.${audioObjectType}`, sampleRate, channels };
    }
    throw new Error(`unsupported handler ${handler}`);
}

/** Parses one format file. Throws when the layout is not YouTube-like. */
export function parseFormatFile(path: string, videoId: string, itag: number): FormatModel {
    const bytes = readFileSync(path);
    const top = readBoxes(bytes, 0, bytes.length);
    const [ftyp, moov, sidx] = top;
    if (ftyp?.type !== "ftyp" || moov?.type !== "moov" || sidx?.type !== "sidx") {
        throw new Error(
            `${path}: expected ftyp, moov, sidx at the start, got ${top
                .slice(0, 3)
                .map((b) => b.type)
                .join(",")}`,
        );
    }
    const track = parseTrack(bytes, moov);
    // sidx (ISO/IEC 14496-12 8.16.3)
    let p = sidx.start + sidx.headerSize;
    const version = bytes.readUInt8(p);
    p += 4 + 4; // version/flags, reference_ID
    const sidxTimescale = bytes.readUInt32BE(p);
    p += 4;
    let ept: bigint;
    let firstOffset: bigint;
    if (version === 0) {
        ept = BigInt(bytes.readUInt32BE(p));
        firstOffset = BigInt(bytes.readUInt32BE(p + 4));
        p += 8;
    } else {
        ept = bytes.readBigUInt64BE(p);
        firstOffset = bytes.readBigUInt64BE(p + 8);
        p += 16;
    }
    p += 2; // reserved
    const refCount = bytes.readUInt16BE(p);
    p += 2;
    const anchor = BigInt(sidx.start + sidx.size) + firstOffset;
    const media = top.slice(3);
    const segments: Segment[] = [];
    let offset = anchor;
    let ticks = ept;
    for (let i = 0; i < refCount; i++) {
        const word = bytes.readUInt32BE(p);
        if (word & 0x80000000) throw new Error(`${path}: hierarchical sidx not supported`);
        const size = BigInt(word & 0x7fffffff);
        const dur = BigInt(bytes.readUInt32BE(p + 4));
        p += 12;
        const start = Number(offset);
        const end = Number(offset + size) - 1;
        // The reference must cover exactly one moof+mdat pair.
        const moof = media[2 * i];
        const mdat = media[2 * i + 1];
        if (moof?.type !== "moof" || mdat?.type !== "mdat" || moof.start !== start || mdat.start + mdat.size - 1 !== end) {
            throw new Error(`${path}: sidx reference ${i} does not match moof/mdat pair`);
        }
        const startMs = ticksToMs(ticks, sidxTimescale);
        const endMs = ticksToMs(ticks + dur, sidxTimescale);
        segments.push({
            sequence: i + 1,
            startMs,
            durationMs: endMs - startMs,
            range: { start, end },
            contentLength: end - start + 1,
            startTicks: ticks,
            durationTicks: dur,
            timescale: sidxTimescale,
        });
        offset += size;
        ticks += dur;
    }
    if (Number(offset) !== bytes.length) throw new Error(`${path}: sidx does not cover the file`);
    if (sidxTimescale !== track.timescale) throw new Error(`${path}: sidx timescale differs from mdhd`);
    const last = segments[segments.length - 1];
    if (!last) throw new Error(`${path}: no segments`);
    const durationMs = last.startMs + last.durationMs;
    const info = ITAG_INFO[itag] ?? { lastModified: `1700000000${String(itag).padStart(3, "0")}000`, xtags: "" };
    const containerMime = track.kind === "video" ? "video/mp4" : "audio/mp4";
    let peak = 0;
    for (const s of segments) {
        if (s.durationMs > 0) peak = Math.max(peak, Math.ceil((s.contentLength * 8 * 1000) / s.durationMs));
    }
    const model: FormatModel = {
        videoId,
        itag,
        kind: track.kind,
        path,
        bytes,
        initRange: { start: 0, end: moov.start + moov.size - 1 },
        indexRange: { start: sidx.start, end: sidx.start + sidx.size - 1 },
        contentLength: bytes.length,
        lastModified: info.lastModified,
        xtags: info.xtags,
        mimeType: `${containerMime}; codecs="${track.codecs}"`,
        codecs: track.codecs,
        containerMime,
        bitrate: peak,
        averageBitrate: Math.round((bytes.length * 8 * 1000) / durationMs),
        timescale: track.timescale,
        durationTicks: ticks - ept,
        durationMs,
        segments,
    };
    if (track.kind === "video") {
        model.width = track.width;
        model.height = track.height;
        model.fps = 24;
        model.qualityLabel = info.quality ?? `${track.height}p`;
    } else {
        model.audioSampleRate = track.sampleRate;
        model.audioChannels = track.channels;
    }
    return model;
}

/** Loads every `<videoId>/<itag>.mp4` under `dir`. */
export function loadTitles(dir: string = MEDIA_DIR): Map<string, Title> {
    const titles = new Map<string, Title>();
    for (const videoId of readdirSync(dir).sort()) {
        const sub = join(dir, videoId);
        if (!statSync(sub).isDirectory()) continue;
        const formats: FormatModel[] = [];
        for (const file of readdirSync(sub).sort()) {
            const m = /^(\d+)\.mp4$/.exec(file);
            if (!m) continue;
            formats.push(parseFormatFile(join(sub, file), videoId, Number(m[1])));
        }
        if (!formats.length) continue;
        // Video formats by ascending height, then audio.
        formats.sort((a, b) => (a.kind === b.kind ? (a.height ?? 0) - (b.height ?? 0) : a.kind === "video" ? -1 : 1));
        titles.set(videoId, { videoId, formats, durationMs: Math.max(...formats.map((f) => f.durationMs)) });
    }
    if (!titles.size) throw new Error(`no media found under ${dir}${existsSync(dir) ? "" : " (missing)"}`);
    return titles;
}

/**
 * The exact bytes of a segment. seq = 0 is the init segment: like googlevideo's, it
 * carries init and index together, bytes [initRange.start, indexRange.end]
 * (ftyp + moov + sidx), so a client can answer index range requests from it.
 */
export function segmentBytes(format: FormatModel, seq: number): Buffer {
    if (seq === 0) return format.bytes.subarray(format.initRange.start, initSegmentEnd(format) + 1);
    const s = format.segments[seq - 1];
    if (!s) throw new Error(`no segment ${seq} in itag ${format.itag}`);
    return format.bytes.subarray(s.range.start, s.range.end + 1);
}

/** Last byte (inclusive) of the init segment: the end of the index range (init and index are contiguous). */
export function initSegmentEnd(format: FormatModel): number {
    return Math.max(format.initRange.end, format.indexRange.end);
}
