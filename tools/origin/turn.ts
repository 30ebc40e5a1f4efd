/**
 * One SABR request being answered: everything the answer is built from, and what each step
 * (and each fault effect, fault-effects.ts) adds to it. Steps run in this order:
 * arrive → decode and check → admit → choose → steer → replace or plan → compose → edit → transmit.
 */
import type { ActiveFault } from "./faults.ts";
import type { FormatModel, Title } from "./media-model.ts";
import type { LogEntry } from "./request-log.ts";
import type { Verdict } from "./checks.ts";
import type { DecodedRequest } from "./sabr-request.ts";
import type { Session, SessionStore } from "./session.ts";
import type { MediaLayout, PlannedSegment } from "./answers.ts";
import type { Transport } from "./body-writer.ts";
import type { WirePart } from "./wire.ts";
import type { PoTokenAuthority } from "./po-tokens.ts";

/** The answer's defaults, from the origin's options. */
export interface AnswerOptions {
    readaheadMs: number;
    maxSegmentsPerTrack: number;
    mediaPartBytes: number;
    missingVideo?: "error" | "audio-only";
    clientInfoCheck?: "log" | "error";
}

/** What one track (video, then audio) gets in this answer. */
export interface TrackPlan {
    format: FormatModel;
    segments: PlannedSegment[];
    /** Segments the client says it holds (ignored on a cold start). */
    held: Set<number>;
    needsFim: boolean;
    /** Media was looked for in the window (not control-only, withheld or past F27's one segment). */
    considered: boolean;
}

/** Which segments planning looks for. */
export interface SegmentWindow {
    readaheadMs: number;
    maxSegmentsPerTrack: number;
    /** F23 mode=short: the last segment of each track is never sent. */
    dropLastSegment: boolean;
    /** F27 size=small: one media segment in the whole answer. */
    onePerAnswer: boolean;
}

export interface Turn {
    session: Session;
    sessions: SessionStore;
    title: Title;
    entry: LogEntry;
    rn?: number;
    /** The fault seed in force (F1 derives its slices from it). */
    seed: number;
    faults: ActiveFault[];
    options: AnswerOptions;
    /** Verifies the PO tokens requests carry (F17 script=potoken). */
    poTokens: PoTokenAuthority;
    /** Undefined when the body was empty or undecodable. */
    request?: DecodedRequest;
    verdict?: Verdict;
    video?: FormatModel;
    audio?: FormatModel;
    /** F26: the cookie was not echoed, so the answer starts over. */
    coldStart: boolean;
    backoffMs: number;
    /** Control parts only, no media (F10, F12 only/loop). */
    onlyControl: boolean;
    /** Media held back (F17, F18). */
    withhold: boolean;
    /** Control parts the faults add to the standard ones. */
    control: WirePart[];
    window: SegmentWindow;
    tracks: TrackPlan[];
    layout: MediaLayout;
    parts: WirePart[];
    /** The serialized body and where each part starts in it (after edit). */
    wire?: { body: Buffer; offsets: Array<{ header: number; sizeAt: number; payload: number }> };
    transport: Transport;
}

export function newTurn(
    base: Pick<Turn, "session" | "sessions" | "title" | "entry" | "rn" | "seed" | "faults" | "options" | "poTokens">,
): Turn {
    const o = base.options;
    return {
        ...base,
        coldStart: false,
        backoffMs: 0,
        onlyControl: false,
        withhold: false,
        control: [],
        window: { readaheadMs: o.readaheadMs, maxSegmentsPerTrack: o.maxSegmentsPerTrack, dropLastSegment: false, onePerAnswer: false },
        tracks: [],
        layout: { idBase: 0, partBytes: o.mediaPartBytes },
        parts: [],
        transport: {},
    };
}

export function faultOf(t: Turn, name: string): ActiveFault | undefined {
    return t.faults.find((f) => f.profile === name);
}
