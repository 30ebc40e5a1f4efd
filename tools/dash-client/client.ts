// The play loop: fetches the manifest, then per track (video and audio at once, kept within
// `maxAheadMs` of each other) the init and index of each Period's representation and its media
// ranges in time order, recording and validating every response in a PlayReport.
import http from "node:http";
import { makeRng } from "../origin/faults.ts";
import { rangeText, type ByteRange } from "./byte-range.ts";
import { httpGet, mapPort, type HttpResult } from "./http-get.ts";
import { parseMpd, type Mpd, type MpdPeriod, type MpdRepresentation } from "./mpd.ts";
import { cutWindow, mediaItems, planRequests, type MediaItem, type PlannedRequest, type RangeStyle } from "./range-plan.ts";
import { checkRangeResponse } from "./range-check.ts";
import { failed, failureText, PlayReport, type RequestKind, type RequestRecord } from "./report.ts";
import { parseSidx, type Sidx } from "./sidx.ts";
import { TrackGate } from "./track-gate.ts";
import type { Track } from "./track.ts";

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
    /**
     * Quality switches: from presentation time `atMs` on, the video track plays `videoItag` (in
     * order of atMs; the first representation stays `videoItag` until the first switch). The media
     * request in flight at a switch finishes; the new representation's init and index come first.
     */
    switchAt?: Array<{ atMs: number; videoItag: number }>;
}

/** One track's representation in one Period: what every request of the play loop is for. */
interface Target {
    track: Track;
    period: MpdPeriod;
    rep: MpdRepresentation;
}

/** A Range GET's record with the body it brought. */
type Fetched = RequestRecord & { body: Buffer };

const TRACKS: Track[] = ["video", "audio"];

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
        const videoItags = [opts.videoItag, ...(opts.switchAt ?? []).map((s) => s.videoItag)];
        for (const p of periods) {
            for (const itag of videoItags)
                if (!pickRepresentation(p, "video", opts, itag)) throw new Error(`Period ${p.id} has no video itag ${itag}`);
        }
        const report = new PlayReport();
        const gate = new TrackGate(opts.maxAheadMs ?? 10_000, TRACKS, periods[0]!.startMs);
        const random = makeRng(opts.seed ?? 1);
        await Promise.all(
            TRACKS.map(async (track) => {
                try {
                    await this.playTrack(track, periods, opts, gate, report, random);
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

    /** Walks the Periods in time order, loading each representation's index once. */
    private async playTrack(
        track: Track,
        periods: MpdPeriod[],
        opts: PlayOptions,
        gate: TrackGate,
        report: PlayReport,
        random: () => number,
    ): Promise<void> {
        const style = opts.rangeStyle ?? "segments";
        const indexes = new Map<string, Sidx | null>();
        let timeMs = periods[0]!.startMs;
        let seekPending = opts.seek !== undefined;
        for (;;) {
            const period = periods.find((p) => p.endMs > timeMs);
            if (!period) return;
            const rep = pickRepresentation(period, track, opts, track === "video" ? videoItagAt(opts, timeMs) : opts.audioItag);
            if (!rep) {
                report.errors.push(`${track}: Period ${period.id} has no ${track} representation`);
                timeMs = period.endMs;
                continue;
            }
            const target = { track, period, rep };
            const windowStart = Math.max(timeMs, period.startMs);
            await gate.wait(track, windowStart);
            if (!indexes.has(rep.key)) indexes.set(rep.key, await this.loadIndex(target, style, report));
            const sidx = indexes.get(rep.key);
            if (!sidx) {
                timeMs = period.endMs;
                continue;
            }
            const items = mediaItems(sidx, period, rep, windowStart);
            const switched = track === "video" ? cutAtSwitch(items, opts, windowStart, period.endMs) : { items, nextMs: period.endMs };
            const playWindow = cutWindow(switched.items, switched.nextMs, seekPending ? opts.seek : undefined, opts.maxMediaMs);
            if (playWindow.seeked) seekPending = false;
            await this.fetchMedia(target, planRequests(playWindow.items, style, random), gate, report);
            if (playWindow.stop) return;
            timeMs = playWindow.nextMs;
        }
    }

    /** The planned media requests one after another, each waiting for the gate at its time. */
    private async fetchMedia(target: Target, planned: PlannedRequest[], gate: TrackGate, report: PlayReport): Promise<void> {
        for (const p of planned) {
            await gate.wait(target.track, p.startMs);
            const r = await this.fetchRange(target, "media", p.range, report, p.segments, p.startMs);
            if (failed(r)) report.errors.push(`${target.track} ${target.rep.key} ${rangeText(p.range)}: ${failureText(r)}`);
        }
    }

    /** Fetches init + index of a representation (two requests, or one 0..indexEnd) and parses the sidx; null on failure. */
    private async loadIndex(target: Target, style: RangeStyle, report: PlayReport): Promise<Sidx | null> {
        const { track, rep } = target;
        // Registered before any request, so a representation whose init fails still shows in the report.
        const received = report.received(rep.key, rep.itag, track);
        const indexBytes = await this.fetchInitAndIndex(target, style, report);
        if (!indexBytes) return null;
        let sidx: Sidx;
        try {
            sidx = parseSidx(indexBytes, rep.indexRange.start);
        } catch (e) {
            report.errors.push(`${track} ${rep.key}: ${String(e)}`);
            return null;
        }
        received.sidx = sidx;
        checkTotals(target, sidx, report);
        return sidx;
    }

    /** The index bytes, after the init and index requests succeeded; undefined (and an error line) otherwise. */
    private async fetchInitAndIndex(target: Target, style: RangeStyle, report: PlayReport): Promise<Buffer | undefined> {
        const rep = target.rep;
        const fail = (what: string, r: RequestRecord): undefined => {
            report.errors.push(`${target.track} ${rep.key} ${what} ${rangeText(r.range)}: ${failureText(r)}`);
            return undefined;
        };
        if (style === "combined-init" && rep.initRange.start <= rep.indexRange.start) {
            const range = { start: rep.initRange.start, end: Math.max(rep.initRange.end, rep.indexRange.end) };
            const r = await this.fetchRange(target, "init+index", range, report);
            if (failed(r)) return fail("init+index", r);
            return r.body.subarray(rep.indexRange.start - range.start, rep.indexRange.end - range.start + 1);
        }
        const init = await this.fetchRange(target, "init", rep.initRange, report);
        if (failed(init)) return fail("init", init);
        const index = await this.fetchRange(target, "index", rep.indexRange, report);
        if (failed(index)) return fail("index", index);
        return index.body;
    }

    /** One ranged GET, validated and recorded; the body is stored at its file position when the response is usable. */
    private async fetchRange(
        target: Target,
        kind: RequestKind,
        range: ByteRange,
        report: PlayReport,
        segments: number[] = [],
        timeMs?: number,
    ): Promise<Fetched> {
        const { track, period, rep } = target;
        const index = report.requests.length;
        const record: RequestRecord = {
            index,
            track,
            itag: rep.itag,
            key: rep.key,
            periodId: period.id,
            kind,
            range,
            segments,
            timeMs,
            status: 0,
            bytes: 0,
            ms: 0,
            headers: {},
            problems: [],
        };
        report.requests.push(record);
        const res = await this.get(rep.url, range);
        Object.assign(record, { status: res.status, bytes: res.body.length, ms: res.ms, headers: res.headers, socket: res.socket });
        if (res.error !== undefined) {
            record.error = res.error;
            return { ...record, body: res.body };
        }
        record.problems.push(...checkRangeResponse(record, res.body.length, report.representations.get(rep.key)?.sidx?.endOffset));
        if (res.status >= 400) record.problems.push(`the answer said: ${firstLineOf(res.body)}`);
        if (record.problems.length === 0) {
            report.received(rep.key, rep.itag, track).spans.push({ start: range.start, end: range.end, request: index, data: res.body });
        }
        return { ...record, body: res.body };
    }

    private get(url: string, range?: ByteRange): Promise<HttpResult> {
        return httpGet(mapPort(url, this.opts.portMap), {
            agent: this.agent,
            timeoutMs: this.timeoutMs,
            headers: this.opts.headers,
            range,
        });
    }
}

/** The track's representation of `period`: the requested itag, else the first one. */
function pickRepresentation(
    period: MpdPeriod,
    track: Track,
    opts: PlayOptions,
    itag = track === "video" ? opts.videoItag : opts.audioItag,
): MpdRepresentation | undefined {
    const reps = period.adaptationSets.filter((a) => a.contentType === track).flatMap((a) => a.representations);
    return itag === undefined ? reps[0] : reps.find((r) => r.itag === itag);
}

/** The video itag in force at presentation time `timeMs`: the last switch at or before it, else `videoItag`. */
function videoItagAt(opts: PlayOptions, timeMs: number): number {
    let itag = opts.videoItag;
    for (const s of [...(opts.switchAt ?? [])].sort((a, b) => a.atMs - b.atMs)) if (s.atMs <= timeMs) itag = s.videoItag;
    return itag;
}

/**
 * Ends the window before the first media item that starts at or after the next switch; the track
 * goes on from that item's start in the new representation (which fetches the segment holding it).
 */
function cutAtSwitch(items: MediaItem[], opts: PlayOptions, fromMs: number, periodEndMs: number): { items: MediaItem[]; nextMs: number } {
    const next = (opts.switchAt ?? []).filter((s) => s.atMs > fromMs && s.atMs < periodEndMs).sort((a, b) => a.atMs - b.atMs)[0];
    const cut = next ? items.findIndex((it) => it.startMs >= next.atMs) : -1;
    if (cut < 0) return { items, nextMs: periodEndMs };
    return { items: items.slice(0, cut), nextMs: items[cut]!.startMs };
}

/** Every Content-Range total of this representation so far must equal its real length (the sidx end). */
function checkTotals(target: Target, sidx: Sidx, report: PlayReport): void {
    for (const r of report.requests) {
        const total = r.contentRange?.total;
        if (r.key === target.rep.key && total !== null && total !== undefined && total !== sidx.endOffset) {
            const problem = `Content-Range total ${total} differs from the representation length ${sidx.endOffset}`;
            r.problems.push(problem);
            report.errors.push(`${target.track} ${target.rep.key} ${rangeText(r.range)}: ${problem}`);
        }
    }
}

/** The first line of an error answer's body, short enough for a problem list. */
function firstLineOf(body: Buffer): string {
    return (body.subarray(0, 300).toString("utf8").split("\n")[0] ?? "").trim();
}
