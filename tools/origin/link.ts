/**
 * F28 `link`: a slow network between the origin and the client. Every SABR answer's first byte
 * waits `latencyMs` plus a seeded jitter, and its body then leaves in slices no faster than
 * `bps` bytes per second on average. The schedule is a pure function of the parameters, so tests
 * check it as a table; body-writer.ts only waits for the times it gives.
 */
import { makeRng } from "./faults.ts";

export interface LinkParams {
    /** Bytes per second; 0 or absent: no throttle (latency and jitter only). */
    bps: number;
    /** Delay before the first body byte of every answer, ms. */
    latencyMs: number;
    /** Up to this many ms more before the first byte, drawn per answer from `seed`. */
    jitterMs: number;
    seed: number;
    /** Largest write, bytes (the pacing step). */
    sliceBytes: number;
}

export const DEFAULT_SLICE_BYTES = 16 * 1024;

export interface LinkSlice {
    /** Body offsets [start, end). */
    start: number;
    end: number;
    /** When the slice may be written, ms after the answer started. */
    atMs: number;
}

export interface LinkPlan {
    /** latencyMs + this answer's jitter. */
    firstByteMs: number;
    jitterMs: number;
    /** 1000 / bps (0 without a throttle). */
    msPerByte: number;
    slices: LinkSlice[];
    /** When the answer may end: the last byte has had its share of the link, ms after the start. */
    endAtMs: number;
}

/** F28's params as the fault spec gives them (strings), with the origin's seed as the default seed. */
export function linkParams(params: Record<string, string>, originSeed: number): LinkParams {
    const number = (key: string, fallback: number): number => {
        const value = Number(params[key]);
        return params[key] !== undefined && params[key] !== "" && Number.isFinite(value) && value >= 0 ? value : fallback;
    };
    return {
        bps: number("bps", 0),
        latencyMs: number("latencyMs", 0),
        jitterMs: number("jitterMs", 0),
        seed: number("seed", originSeed),
        sliceBytes: Math.max(1, Math.floor(number("slice", DEFAULT_SLICE_BYTES))),
    };
}

/** The extra first-byte delay of answer number `answer` (1-based per session): the same for the same seed. */
export function linkJitterMs(link: Pick<LinkParams, "jitterMs" | "seed">, answer: number): number {
    if (link.jitterMs <= 0) return 0;
    // One generator per answer, so an answer's jitter does not depend on which answers came before.
    const random = makeRng((link.seed ^ Math.imul(answer, 0x9e3779b1)) >>> 0);
    return Math.floor(random() * (link.jitterMs + 1));
}

/**
 * When each slice of a `bodyBytes` body may leave: byte offset x goes no earlier than
 * firstByteMs + x / bps, so the first byte waits only for the latency, and the answer ends at
 * firstByteMs + bodyBytes / bps (the average is exactly `bps`).
 */
export function linkPlan(link: LinkParams, bodyBytes: number, answer: number): LinkPlan {
    const jitterMs = linkJitterMs(link, answer);
    const timing = { firstByteMs: link.latencyMs + jitterMs, msPerByte: link.bps > 0 ? 1000 / link.bps : 0 };
    const slices: LinkSlice[] = [];
    const step = link.bps > 0 ? link.sliceBytes : Math.max(1, bodyBytes);
    for (let start = 0; start < bodyBytes; start += step) {
        slices.push({ start, end: Math.min(bodyBytes, start + step), atMs: sendAtMs(timing, start) });
    }
    return { ...timing, jitterMs, slices, endAtMs: sendAtMs(timing, bodyBytes) };
}

/** When body offset `offset` may leave (writes cut at other points too: F1's slices, F16's hold). */
export function sendAtMs(plan: Pick<LinkPlan, "firstByteMs" | "msPerByte">, offset: number): number {
    return plan.firstByteMs + offset * plan.msPerByte;
}
