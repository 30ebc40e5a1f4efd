// Collects a PlaybackTimeline while a title plays (tools/report/timeline.ts draws it). Fed from
// what a run already has: the player's samples and result (tools/player), the channel's console
// lines and /metrics, and the origin's request log. Everything is kept in epoch ms and made
// relative at the end, to the player's start when the player result is known, so the page's
// times and start-up agree with out/start/report.json.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { LogEntry } from "../origin/request-log.ts";
import type { PlayerResult } from "../player/run-player.ts";
import { renderTimelineHtml, type PlaybackSample, type PlaybackTimeline, type TimelineEvent, type TimelineSpan } from "./timeline.ts";

/** The channel's line per finished SABR fetch (src/server/pipeline/SabrPipeline.bs). */
const FETCH_LINE = /\[sabr\] fetch (\d+) (\S+) (ok|failed|cancelled) status (\S+) class '([^']*)' segments (\S+) rn (\S+)/;

export interface RecorderSample {
    currentTime: number;
    bufferAheadS: number;
    readaheadTargetS?: number;
}

export class PlaybackRecorder {
    private readonly samples: PlaybackSample[] = [];
    private readonly events: TimelineEvent[] = [];
    private readonly spans: TimelineSpan[] = [];
    private playerStartedAtMs: number | null = null;
    private startupMs: number | null = null;
    private endedAtMs: number | null = null;
    /** The cache-hit count at the last /metrics read; the channel counts from 0 at launch. */
    private lastHits = { count: 0, atMs: 0 };

    /** `startedAtMs`: epoch ms, before the player starts (the channel is up, nothing played yet). */
    constructor(readonly startedAtMs = Date.now()) {
        this.lastHits.atMs = startedAtMs;
    }

    /** One look at the player (run-player's onSample). */
    sample(state: RecorderSample, atEpochMs = Date.now()): void {
        const sample: PlaybackSample = { atMs: atEpochMs, positionS: state.currentTime, bufferAheadS: state.bufferAheadS };
        if (state.readaheadTargetS !== undefined) sample.readaheadTargetS = state.readaheadTargetS;
        this.samples.push(sample);
    }

    /** A console line of the channel; its `[sabr] fetch ...` lines become fetch marks. */
    channelLine(line: string, atEpochMs = Date.now()): void {
        const match = FETCH_LINE.exec(line);
        if (!match) return;
        const [, id, scope, outcome, status, errorClass, segments, rn] = match;
        this.events.push({
            kind: "fetch",
            atMs: atEpochMs,
            failed: outcome !== "ok",
            detail: `fetch ${id} (${scope}) ${outcome}, status ${status}${errorClass ? `, class ${errorClass}` : ""}, ${segments} segments, rn ${rn}`,
        });
    }

    /**
     * A /metrics answer of the channel's server. It counts cache hits but does not say when each
     * happened, so the hits counted since the last read are spread over the time between the reads.
     */
    metrics(metrics: Record<string, unknown>, atEpochMs = Date.now()): void {
        const pipeline = (metrics.pipeline ?? {}) as Record<string, number>;
        const count = pipeline.cacheHits;
        if (typeof count !== "number") return;
        const { count: before, atMs: since } = this.lastHits;
        // A read that saw nothing new still narrows where the next hits can have happened.
        this.lastHits = { count: Math.max(count, before), atMs: atEpochMs };
        const added = count - before;
        for (let index = 1; index <= added; index++) {
            this.events.push({
                kind: "cacheHit",
                atMs: since + ((atEpochMs - since) * index) / (added + 1),
                detail: `cache hit ${before + index}, counted by /metrics between two reads (${added} in this interval)`,
            });
        }
    }

    /** The origin's request log: every SABR POST it received since this recorder started (an origin may serve several runs). */
    originLog(entries: LogEntry[]): void {
        for (const entry of entries) {
            if (entry.method !== "POST" || !entry.path.includes("/videoplayback") || entry.time < this.startedAtMs) continue;
            const faults = entry.faults.length > 0 ? `, faults ${entry.faults.join("+")}` : "";
            const bytes = entry.bytesWritten !== undefined ? `, ${entry.bytesWritten} bytes` : "";
            this.events.push({
                kind: "post",
                atMs: entry.time,
                failed: entry.status === 0 || entry.status >= 400,
                detail: `POST #${entry.id} rn ${entry.rn ?? "-"} -> ${entry.status} ${entry.outcome}${bytes}${faults}`,
            });
        }
    }

    /** The player's result: its media range requests, and its events as stalls and seeks. */
    playerResult(result: PlayerResult): void {
        const started = result.startedAtMs;
        this.playerStartedAtMs = started;
        this.endedAtMs = started + result.wallMs;
        this.startupMs = result.startupMs;
        for (const request of result.requests) {
            if (request.range === null) continue; // the manifest; only media ranges are drawn
            const track = request.url.includes("/audio") ? "audio" : request.url.includes("/video") ? "video" : "other";
            const key = safeParam(request.url, "key");
            const took = request.endMs === null ? "no answer by the end" : `${request.endMs - request.atMs} ms`;
            const answer = request.failure ?? (request.status === null ? "no status" : String(request.status));
            const event: TimelineEvent = {
                kind: "request",
                atMs: started + request.atMs,
                track,
                failed: request.failure !== undefined || (request.status !== null && request.status >= 400),
                detail: `${track} ${key ?? ""} ${request.range} -> ${answer}, ${took}`.replace(/\s+/g, " "),
            };
            if (request.endMs !== null) event.endMs = started + request.endMs;
            this.events.push(event);
        }
        this.spansFrom(result, started);
    }

    /**
     * Stalls as the player page counts them: a 'waiting' after the first 'playing' that is not a
     * seek filling its buffer, until the next 'playing'. Seeks: 'seeking' to 'seeked'.
     */
    private spansFrom(result: PlayerResult, started: number): void {
        const end = started + result.wallMs;
        let playingSeen = false;
        let stall: { atMs: number; position: number } | null = null;
        let seek: { atMs: number; to: number } | null = null;
        const closeStall = (atMs: number): void => {
            if (!stall) return;
            this.spans.push({
                kind: "stall",
                startMs: stall.atMs,
                endMs: atMs,
                detail: `stall at ${stall.position.toFixed(2)} s for ${atMs - stall.atMs} ms`,
            });
            stall = null;
        };
        for (const event of result.timeline) {
            const atMs = started + event.atMs;
            if (event.type === "playing") {
                playingSeen = true;
                closeStall(atMs);
            } else if (event.type === "waiting" && playingSeen && event.detail !== "seeking" && !stall && !seek) {
                stall = { atMs, position: event.currentTime };
            } else if (event.type === "seeking") {
                closeStall(atMs);
                seek ??= { atMs, to: event.currentTime };
            } else if (event.type === "seeked" && seek) {
                this.spans.push({
                    kind: "seek",
                    startMs: seek.atMs,
                    endMs: atMs,
                    detail: `seek to ${seek.to.toFixed(2)} s, landed at ${event.currentTime.toFixed(2)} s after ${atMs - seek.atMs} ms`,
                });
                seek = null;
            } else if (event.type === "ended") closeStall(atMs);
        }
        closeStall(end);
        if (seek) {
            const open = seek as { atMs: number; to: number };
            this.spans.push({
                kind: "seek",
                startMs: open.atMs,
                endMs: end,
                detail: `seek to ${open.to.toFixed(2)} s, not done by the end`,
            });
        }
    }

    /** The timeline, relative to the player's start (or to this recorder's start without a player result). */
    finish(meta: Pick<PlaybackTimeline, "title" | "subtitle" | "mediaDurationS" | "outcome">, endEpochMs = Date.now()): PlaybackTimeline {
        const zero = this.playerStartedAtMs ?? this.startedAtMs;
        const end = this.endedAtMs ?? endEpochMs;
        return {
            ...meta,
            wallMs: Math.max(0, end - zero),
            startupMs: this.startupMs,
            samples: this.samples.map((sample) => ({ ...sample, atMs: sample.atMs - zero })),
            events: this.events
                .map((event) => ({
                    ...event,
                    atMs: event.atMs - zero,
                    ...(event.endMs !== undefined ? { endMs: event.endMs - zero } : {}),
                }))
                .sort((a, b) => a.atMs - b.atMs),
            spans: this.spans.map((span) => ({ ...span, startMs: span.startMs - zero, endMs: span.endMs - zero })),
        };
    }
}

function safeParam(url: string, name: string): string | null {
    try {
        return new URL(url).searchParams.get(name);
    } catch {
        return null;
    }
}

/** Writes the page of a finished recording (creating the folder); returns the path. */
export async function writeTimelinePage(path: string, timeline: PlaybackTimeline): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, renderTimelineHtml(timeline));
    return path;
}
