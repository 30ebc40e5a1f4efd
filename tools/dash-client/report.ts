// What a play did: every request with its validation result, and the bytes received per
// representation key.
import type { IncomingHttpHeaders } from "node:http";
import type { ByteRange } from "./byte-range.ts";
import type { SocketInfo } from "./http-get.ts";
import { ReceivedRepresentation, type VerifyResult } from "./received.ts";
import type { Track } from "./track.ts";

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
    socket?: SocketInfo;
    /** Validation failures of this response (empty when it is a correct 206). */
    problems: string[];
    error?: string;
}

/** A request that got no usable answer: a transport error or a failed validation. */
export function failed(r: RequestRecord): boolean {
    return r.error !== undefined || r.problems.length > 0;
}

/** Why `failed(r)`, in one line. */
export function failureText(r: RequestRecord): string {
    return r.error ?? r.problems.join("; ");
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

    /** The received bytes of a key, created empty on first use. */
    received(key: string, itag: number, track: Track): ReceivedRepresentation {
        let r = this.representations.get(key);
        if (!r) {
            r = new ReceivedRepresentation(key, itag, track);
            this.representations.set(key, r);
        }
        return r;
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
