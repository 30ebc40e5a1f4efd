/**
 * Writing a UMP body to the socket the way the transport faults ask: in slices with pauses
 * (F1), cut mid-body with a reset (F4), after a first-byte delay or trickled (F16 slow/trickle),
 * held at a point until a test releases it (F16 hold), or over a slow link (F28).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { UMPPartId } from "googlevideo/protos";
import { sleep } from "./http-helpers.ts";
import { linkPlan, sendAtMs, type LinkParams, type LinkPlan } from "./link.ts";
import { addNote, type LogEntry } from "./request-log.ts";
import type { WirePart } from "./wire.ts";

export interface Transport {
    /** Body offsets to pause at (F1). */
    slices?: number[];
    gapMs?: number;
    /** Destroy the socket after this many bytes (F4). */
    cutAt?: number;
    firstByteDelayMs?: number;
    trickleBps?: number;
    /** F16 mode=trickle:overMs: the whole body spread over this many ms (sets trickleBps per body). */
    trickleOverMs?: number;
    /** F16 mode=hold: stop after this segment's MEDIA_END (`itag:seq`), or before the first byte (''). */
    holdAfter?: string;
    /** F16 mode=hold:bytes: stop after this many body bytes (mid-part, mid-segment). */
    holdAtByte?: number;
    /** F28: a slow link; `answer` is the request's number in its session (picks the jitter). */
    link?: { params: LinkParams; answer: number };
}

/** Without a fault the body goes out in pieces of this size. */
const PIECE_BYTES = 256 * 1024;

/**
 * Responses held by F16 mode=hold wait here until `releaseAll` (or until their connection
 * closes), so a test decides when the rest of a body comes instead of racing a timer.
 */
export class HeldResponses {
    private readonly waiting = new Set<() => void>();

    get size(): number {
        return this.waiting.size;
    }

    hold(res: ServerResponse, entry: LogEntry, at: number): Promise<void> {
        return new Promise((resolve) => {
            addNote(entry, `held at byte ${at} (F16)`);
            const release = (): void => {
                this.waiting.delete(release);
                resolve();
            };
            this.waiting.add(release);
            res.once("close", release);
        });
    }

    /** Lets every held response go on; returns how many there were. */
    releaseAll(): number {
        const held = [...this.waiting];
        for (const release of held) release();
        return held.length;
    }
}

export interface UmpBody {
    bytes: Buffer;
    parts: WirePart[];
    /** Offset just past each part's payload. */
    partEnds: number[];
}

export interface WriteOptions {
    contentLength?: boolean;
    delayMs?: number;
}

/** Writes a 200 UMP answer; returns how many body bytes reached the socket. */
export async function writeBody(
    req: IncomingMessage,
    res: ServerResponse,
    entry: LogEntry,
    body: UmpBody,
    transport: Transport,
    held: HeldResponses,
    opts: WriteOptions,
): Promise<number> {
    res.statusCode = 200;
    res.setHeader("Content-Type", "application/vnd.yt-ump");
    res.setHeader("Cache-Control", "no-store");
    if (opts.contentLength && transport.cutAt === undefined) res.setHeader("Content-Length", String(body.bytes.length));
    if (opts.delayMs) await sleep(opts.delayMs);
    if (transport.firstByteDelayMs) await sleep(transport.firstByteDelayMs);
    const end = transport.cutAt ?? body.bytes.length;
    const link = transport.link ? new LinkClock(linkPlan(transport.link.params, end, transport.link.answer)) : undefined;
    if (link) {
        addNote(entry, link.describe(transport.link!.params));
        await link.waitFor(0);
    }
    entry.status = 200;
    res.flushHeaders();
    req.socket.setNoDelay(true);
    if (transport.trickleOverMs) transport.trickleBps = Math.max(1, Math.ceil((end * 1000) / transport.trickleOverMs));
    const holdAt = holdPoint(transport, body, end);
    const boundaries = pieceBoundaries(transport, end, holdAt, link?.plan);
    let written = 0;
    const hold = async (at: number): Promise<void> => {
        const since = Date.now();
        await held.hold(res, entry, at);
        link?.pause(Date.now() - since);
    };
    try {
        if (holdAt === 0) await hold(0);
        for (const bnd of boundaries) {
            if (bnd <= written) continue;
            await link?.waitFor(written);
            await writeChunk(res, body.bytes.subarray(written, bnd));
            written = bnd;
            if (transport.slices) await sleep(transport.gapMs ?? 2);
            if (transport.trickleBps)
                await sleep(Math.round(((bnd - (boundaries[boundaries.indexOf(bnd) - 1] ?? 0)) / transport.trickleBps) * 1000));
            if (bnd === holdAt) await hold(holdAt);
        }
        if (transport.cutAt !== undefined) {
            entry.outcome += " reset-mid-media (F4)";
            await sleep(5);
            req.socket.destroy();
        } else {
            // The last slice still needs its share of the link before the answer is complete.
            await link?.waitFor(end);
            await new Promise<void>((r) => res.end(r));
        }
    } catch (e) {
        addNote(entry, `write aborted: ${String(e)}`);
    }
    return written;
}

/**
 * F28's schedule against the wall clock: offsets leave at the plan's times after the answer
 * started, shifted by the time spent held (F16 hold), so a released body is paced again.
 * Waiting for absolute times keeps the average at `bps` even when timers fire late.
 */
class LinkClock {
    private readonly startedAt = Date.now();
    private pausedMs = 0;

    constructor(readonly plan: LinkPlan) {}

    async waitFor(offset: number): Promise<void> {
        const wait = this.startedAt + this.pausedMs + sendAtMs(this.plan, offset) - Date.now();
        if (wait > 0) await sleep(Math.ceil(wait));
    }

    pause(ms: number): void {
        this.pausedMs += ms;
    }

    describe(params: LinkParams): string {
        const rate = params.bps > 0 ? `${params.bps} B/s in ${this.plan.slices.length} slices` : "no throttle";
        return `link (F28): first byte after ${this.plan.firstByteMs} ms (jitter ${this.plan.jitterMs}), ${rate}, ends after ${Math.round(this.plan.endAtMs)} ms`;
    }
}

/** Where the body is split into writes, in order, ending at `end`. */
function pieceBoundaries(transport: Transport, end: number, holdAt: number, link: LinkPlan | undefined): number[] {
    const boundaries: number[] = [];
    if (transport.slices) boundaries.push(...transport.slices.filter((x) => x < end));
    else if (link && link.msPerByte > 0) boundaries.push(...link.slices.map((s) => s.end).filter((x) => x < end));
    else if (transport.trickleBps) {
        const step = Math.max(256, Math.floor(transport.trickleBps / 20));
        for (let x = step; x < end; x += step) boundaries.push(x);
    } else for (let x = PIECE_BYTES; x < end; x += PIECE_BYTES) boundaries.push(x);
    boundaries.push(end);
    if (holdAt > 0) boundaries.push(holdAt);
    return boundaries.sort((x, y) => x - y);
}

/** Where F16 mode=hold stops the body (-1: nowhere). */
function holdPoint(transport: Transport, body: UmpBody, end: number): number {
    if (transport.holdAtByte !== undefined) return Math.min(transport.holdAtByte, end);
    return transport.holdAfter === undefined ? -1 : holdOffset(transport.holdAfter, body);
}

/** The body offset right after segment `itag:seq`'s MEDIA_END ('' or not in the body: 0, before the first byte). */
function holdOffset(after: string, body: UmpBody): number {
    if (after === "") return 0;
    const index = body.parts.findIndex((p) => p.type === UMPPartId.MEDIA_END && p.label?.startsWith(`end:${after}:`));
    return index < 0 ? 0 : body.partEnds[index]!;
}

function writeChunk(res: ServerResponse, c: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
        if (res.destroyed) {
            reject(new Error("socket closed"));
            return;
        }
        res.write(c, (err) => (err ? reject(err) : resolve()));
    });
}
