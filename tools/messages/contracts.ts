// The messages the channel's tasks exchange: the one source of truth. `npm run generate` turns
// every interface below into BrighterScript constructors and validators
// (src/shared/messages/generated/Messages.bs); the tests import these types directly.
//
// Rules the generator relies on (keep them when editing):
// - Every message interface has a literal `type` and is listed in MESSAGE_TYPES; the types together
//   become the enum Messages.MessageType (so no alias here may be named MessageType).
// - Field types are the aliases below, an enum (a type alias of string literals), `string`,
//   `boolean`, another interface of this file, an array of one of those (`T[]`), or
//   `Record<string, unknown>` (any associative array).
// - Every message and structure also becomes a BrighterScript `interface` of the same name, the
//   type the constructors return, so the compiler knows a message's fields.
// - `?` marks a field that may be absent; every other field must be present with its type.
// - No roByteArray ever crosses a task boundary (it is dropped silently): bytes travel as
//   base64 strings (small control values) or as tmp:/ files plus {offset, length} chunks.

/** A BrightScript Integer (32-bit). */
export type Int = number;
/** A BrightScript LongInteger (an Integer is accepted too): byte positions in media files, times. */
export type Long = number;
/** Bytes as a standard base64 string ("" for none). */
export type Base64 = string;

// ---- enums: a union of string literals becomes a BrightScript enum (Messages.<Name>.<value>,
// "" is named `none`) and its validator accepts exactly these values ----

/** How a fetch ended. */
export type FetchOutcome = "ok" | "failed" | "cancelled";

/** Why a fetch failed, which decides what the session does next (docs/sabr-protocol.md). */
export type ErrorClass = "" | "transient" | "expired" | "forbidden" | "client" | "data" | "cancelled";

// ---- shared structures ----

/** A piece of a file: `length` bytes at `offset`. */
export interface Chunk {
    offset: Int;
    length: Int;
}

/** A format as SABR names it. `lastModified` is the exact decimal of the uint64 (no arithmetic needed). */
export interface FormatRef {
    itag: Int;
    xtags: string;
    lastModified: string;
}

/** One buffered range the request claims (SABR BufferedRange, times in ms). */
export interface BufferedRangePlan {
    format: FormatRef;
    startTimeMs: Long;
    durationMs: Long;
    startSegmentIndex: Int;
    endSegmentIndex: Int;
}

export interface ClientInfoPlan {
    clientName: Int;
    clientVersion: string;
    osName: string;
    osVersion: string;
}

export interface ContextValue {
    type: Int;
    value: Base64;
}

/**
 * Everything a VideoPlaybackAbrRequest needs, as plain data. The session builds it in the
 * server; the fetch worker turns it into protobuf bytes (sabrpb.encodeVideoPlaybackAbrRequest).
 */
export interface AbrRequestPlan {
    playerTimeMs: Long;
    /** ClientAbrState.time_since_last_seek in ms; -1 (not sent) before the first seek. */
    timeSinceLastSeekMs: Long;
    /** ClientAbrState.enabled_track_types_bitfield: 0 audio and video, 1 audio only. */
    enabledTrackTypes: Int;
    stickyResolution: Int;
    audioFormat: FormatRef;
    videoFormat: FormatRef;
    selectedFormats: FormatRef[];
    bufferedRanges: BufferedRangePlan[];
    ustreamerConfig: Base64;
    clientInfo: ClientInfoPlan;
    poToken: Base64;
    playbackCookie: Base64;
    contexts: ContextValue[];
    unsentContexts: Int[];
}

/** The segment a fetch is for: an init segment, or a media segment by sequence number. */
export interface SegmentRef {
    itag: Int;
    xtags: string;
    isInit: boolean;
    sequence: Int;
}

/** A segment whose MEDIA_END arrived complete (length checked when announced). */
export interface ReadySegment {
    itag: Int;
    xtags: string;
    lastModified: string;
    isInit: boolean;
    /** 0 for an init segment. */
    sequence: Int;
    /** Byte position of the segment in the format's file, and its length. */
    startRange: Long;
    contentLength: Long;
    startMs: Long;
    durationMs: Long;
    /** The segment's media bytes in the spool file, in order. */
    chunks: Chunk[];
    /** True for the segment the fetch was asked for. */
    target: boolean;
}

export interface NextPolicy {
    /** False when the response carried no NEXT_REQUEST_POLICY (the other fields are then 0). */
    received: boolean;
    backoffTimeMs: Int;
    targetAudioReadaheadMs: Int;
    targetVideoReadaheadMs: Int;
    maxTimeSinceLastRequestMs: Int;
}

export interface ContextUpdate {
    type: Int;
    scope: Int;
    value: Base64;
    sendByDefault: boolean;
    writePolicy: Int;
}

export interface SendingPolicy {
    start: Int[];
    stop: Int[];
    discard: Int[];
}

export interface FormatInit {
    itag: Int;
    xtags: string;
    lastModified: string;
    endSegmentNumber: Long;
    endTimeMs: Long;
    mimeType: string;
}

/** What the response's control parts ask of the session, in arrival order where it matters. */
export interface ControlEffects {
    /** Raw bytes of the last NEXT_REQUEST_POLICY.playback_cookie ("" when none came). */
    playbackCookie: Base64;
    policy: NextPolicy;
    contextUpdates: ContextUpdate[];
    sendingPolicies: SendingPolicy[];
    /** Last SABR_REDIRECT url, "" when none. */
    redirectUrl: string;
    /** SABR_ERROR type ("" when none) and code. */
    sabrErrorType: string;
    sabrErrorCode: Int;
    /** RELOAD_PLAYER_RESPONSE token, "" when none. */
    reloadToken: string;
    /** STREAM_PROTECTION_STATUS status, 0 when none came. */
    streamProtectionStatus: Int;
    formats: FormatInit[];
    endOfTrack: boolean;
}

export interface ScanSummary {
    parts: Int;
    mediaParts: Int;
    bytes: Long;
    unknownParts: Int;
    /** Segments thrown away: length mismatch, no MEDIA_END, duplicate header ids. */
    droppedSegments: Int;
}

/** Stage durations of one fetch in ms (-1 when the stage did not happen). */
export interface FetchMetrics {
    protoEncodeMs: Int;
    /** From the POST to the end of the response body (last attempt). */
    proxyRoundTripMs: Int;
    /** Time spent reading and decoding UMP parts. */
    umpProcessMs: Int;
    firstByteMs: Int;
    /** From the POST to the SEGMENT_READY of the target segment. */
    segmentReadyMs: Int;
    totalMs: Int;
}

export interface MaintenanceSummary {
    removed: Int;
    remainingBytes: Long;
    durationMs: Int;
}

// ---- messages ----

/** Server → fetch worker: fetch the SABR response that brings `target`. */
export interface FetchRequest {
    type: "FETCH_REQUEST";
    requestId: Int;
    scope: string;
    /** Session URL without rn; the worker appends `&rn=<n>` per attempt. */
    url: string;
    /** The worker numbers attempts above this (the highest rn the server has seen used). */
    rnFloor: Int;
    request: AbrRequestPlan;
    target: SegmentRef;
    /** Where the response body is written (tmp:/). */
    spoolPath: string;
    /** Attempts for transient failures (HTTP 5xx, transport errors, truncated bodies). */
    maxAttempts: Int;
}

/** Fetch worker → server: segments complete in the spool, sent as soon as their MEDIA_END is in. */
export interface SegmentReady {
    type: "SEGMENT_READY";
    requestId: Int;
    scope: string;
    spoolPath: string;
    rn: Int;
    segments: ReadySegment[];
    /** Wall-clock ms (since the epoch) when the worker had these segments complete. */
    sentAtMs: Long;
}

/** Fetch worker → server: the fetch ended (body parsed to the end, cancelled, or failed). */
export interface FetchResult {
    type: "FETCH_RESULT";
    requestId: Int;
    scope: string;
    outcome: FetchOutcome;
    /** HTTP status of the last attempt (0: no response). */
    status: Int;
    errorClass: ErrorClass;
    error: string;
    spoolPath: string;
    /** Highest rn used, and the number of attempts. */
    rn: Int;
    attempts: Int;
    segmentCount: Int;
    targetDelivered: boolean;
    scan: ScanSummary;
    effects: ControlEffects;
    metrics: FetchMetrics;
}

/**
 * Fetch worker → server: how a fetch is going, for the server's watchdog. At most one per fetch
 * per second (none for a fetch that ends sooner), in the worker's per-pass batch.
 */
export interface FetchProgress {
    type: "FETCH_PROGRESS";
    requestId: Int;
    scope: string;
    /** Body bytes of the current attempt on disk, and the UMP parts parsed from them. */
    bytes: Long;
    parts: Int;
    /** The target segment is complete (announced in a SEGMENT_READY). */
    targetIn: boolean;
    /** Since the current attempt was sent. */
    elapsedMs: Int;
    /** Since bytes or parts last grew (or the attempt was sent, or its retry wait ended). */
    sinceProgressMs: Int;
}

/** Server → fetch worker: stop a fetch nobody needs (the worker answers with a cancelled FETCH_RESULT). */
export interface Cancel {
    type: "CANCEL";
    requestId: Int;
}

/** Server → cache writer: copy a delivered segment out of its spool into the cache. */
export interface StoreRequest {
    type: "STORE_REQUEST";
    requestId: Int;
    cacheKey: string;
    spoolPath: string;
    chunks: Chunk[];
    contentLength: Long;
    /** Pinned entries (init segments) are never evicted. */
    pinned: boolean;
    /**
     * What the server needs to serve the segment again in a later launch (its SegmentStore entry:
     * sequence, isInit, startRange, startMs, durationMs, ...). Kept with the entry and given back
     * in CACHE_INDEX unchanged; the cache writer never reads it.
     */
    meta?: Record<string, unknown>;
}

export interface StoreResult {
    type: "STORE_RESULT";
    requestId: Int;
    cacheKey: string;
    /** The cache file now holding the segment ("" when the store failed). */
    storedPath: string;
    cacheBytesWritten: Long;
    /** Keys evicted to keep the budget: the server forgets them. */
    evicted: string[];
    maintenanceSummary: MaintenanceSummary;
    error: string;
    storeMs: Int;
}

/**
 * Server → cache writer: which kept entries have keys starting with `keyPrefix` (a title's
 * prefix)? Asked once a title's manifest is known; answered with CACHE_INDEX messages once the
 * entries are checked against the disk.
 */
export interface CacheQuery {
    type: "CACHE_QUERY";
    requestId: Int;
    keyPrefix: string;
}

/** One kept cache entry, as CACHE_INDEX reports it. */
export interface CachedEntry {
    cacheKey: string;
    /** The cache file (cachefs:/...): a file the system may still delete at any moment. */
    path: string;
    bytes: Long;
    /** STORE_REQUEST's `meta`, unchanged. */
    meta: Record<string, unknown>;
}

/**
 * Cache writer → server: the answer to CACHE_QUERY, in batches of at most 100 entries (the last
 * one has `done` true; a query with no match gets one message with no entries). Only entries
 * whose file matched its recorded size and CRC when checked are listed.
 */
export interface CacheIndex {
    type: "CACHE_INDEX";
    requestId: Int;
    entries: CachedEntry[];
    done: boolean;
    error: string;
}

/** Server → cache writer: these keys were served from the cache (least-recently-used order). */
export interface CacheTouch {
    type: "CACHE_TOUCH";
    cacheKeys: string[];
}

/**
 * Server → cache writer: nothing refers to this file any more; delete it. A response spool once
 * its fetch ended and its segments are stored, or a cache file the writer evicted once no answer
 * reads it (the writer never deletes a cache file an answer may be sending).
 */
export interface FileRelease {
    type: "FILE_RELEASE";
    path: string;
}

/** Server → cache writer: the session state to persist (debounced, written atomically). */
export interface SnapshotRequest {
    type: "SNAPSHOT_REQUEST";
    snapshot: Record<string, unknown>;
}

/** Server → cache writer: finish pending stores and write the snapshot now (shutdown). */
export interface FlushRequest {
    type: "FLUSH_REQUEST";
    requestId: Int;
}

export interface FlushResult {
    type: "FLUSH_RESULT";
    requestId: Int;
    /** Keys evicted since the last STORE_RESULT (the flush's own maintenance included). */
    evicted: string[];
    storesCompleted: Int;
    snapshotWritten: boolean;
    error: string;
}

/** Any receiver → sender: a message failed validation; it was not acted on. */
export interface MessageError {
    type: "MESSAGE_ERROR";
    /** The rejected message's requestId, or -1. */
    requestId: Int;
    receivedType: string;
    error: string;
}

export const MESSAGE_TYPES = [
    "FetchRequest",
    "SegmentReady",
    "FetchResult",
    "FetchProgress",
    "Cancel",
    "StoreRequest",
    "StoreResult",
    "CacheTouch",
    "CacheQuery",
    "CacheIndex",
    "FileRelease",
    "SnapshotRequest",
    "FlushRequest",
    "FlushResult",
    "MessageError",
] as const;

export type Message =
    | FetchRequest
    | SegmentReady
    | FetchResult
    | FetchProgress
    | Cancel
    | StoreRequest
    | StoreResult
    | CacheTouch
    | CacheQuery
    | CacheIndex
    | FileRelease
    | SnapshotRequest
    | FlushRequest
    | FlushResult
    | MessageError;
