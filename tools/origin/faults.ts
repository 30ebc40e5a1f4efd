/**
 * Fault profiles of the local SABR origin (docs/sabr-protocol.md §9.3) and their selection.
 *
 * Spec syntax (CLI `--faults`, `POST /__faults {"faults": "..."}`):
 *
 *   PROFILE[:key=value[:key=value...]][@WHEN] [, ...]
 *
 *   WHEN  = always            every request (default)
 *         | rn=2+5            requests whose `rn` query value is 2 or 5
 *         | nth=1+3           the 1st and 3rd request of each session (1-based,
 *                             independent of the client's rn base)
 *         | times=N           the next N matching requests of the origin, then off
 *         | p=0.25            with probability 0.25 (seeded RNG: --seed)
 *
 * Example: `F6@nth=2,F16:status=503@times=2,F1@p=0.5`.
 */

export type FaultName =
    | "F1"
    | "F2"
    | "F3"
    | "F4"
    | "F5"
    | "F6"
    | "F7"
    | "F8"
    | "F9"
    | "F10"
    | "F11"
    | "F12"
    | "F13"
    | "F14"
    | "F15"
    | "F16"
    | "F17"
    | "F18"
    | "F19"
    | "F20"
    | "F21"
    | "F22"
    | "F23"
    | "F24"
    | "F26"
    | "F27"
    | "F28";

export interface FaultInfo {
    name: FaultName;
    title: string;
    /** What the origin does. */
    injection: string;
    /** Parameters (key=value) and their defaults. */
    params: Record<string, string>;
    /** The client behaviour the profile expects. */
    expect: string;
}

export const FAULTS: Record<FaultName, FaultInfo> = {
    F1: {
        name: "F1",
        title: "chunk-split",
        injection:
            "Writes the body in separate slices with a pause between them: boundaries right after the type varint, inside multi-byte size varints and exactly after the size varint of the first parts, plus seeded random slices down to 1 byte.",
        params: { parts: "12 (parts whose headers get boundaries)", random: "40 (extra random boundaries)", gapMs: "2" },
        expect: "No desync: the client accumulates bytes across reads and decodes the same parts (catches googlevideo 4.1.1 UmpReader defect).",
    },
    F2: {
        name: "F2",
        title: "header-id>=128",
        injection: "Allocates MEDIA_HEADER header ids from `base` (default 128) so MEDIA/MEDIA_END carry a 2-byte UMP varint id prefix.",
        params: { base: "128" },
        expect: "Header id decoded as a UMP varint; media intact (1-byte readers mis-assign or lose the media).",
    },
    F3: {
        name: "F3",
        title: "unknown-parts",
        injection:
            "Inserts unknown part ids 66, 68..72 and 200 (2-byte type varint), zero-length parts, and re-encodes the size varint of every MEDIA_END and the first FIM in the non-shortest 5-byte form.",
        params: {},
        expect: "Unknown parts skipped silently, non-shortest varints accepted; media intact.",
    },
    F4: {
        name: "F4",
        title: "reset-mid-media",
        injection: "Destroys the TCP connection in the middle of the `part`-th MEDIA part (default: the middle MEDIA part).",
        params: { part: "middle" },
        expect: "Open segment discarded; request retried with the same state (rn incremented); the segment arrives again.",
    },
    F5: {
        name: "F5",
        title: "end-without-media-end",
        injection: "Ends the response cleanly right after the first MEDIA part of a multi-part segment (no MEDIA_END, no later parts).",
        params: {},
        expect: "Same as F4 without a transport error: the incomplete segment is discarded and asked for again.",
    },
    F6: {
        name: "F6",
        title: "content-length-mismatch",
        injection: "Announces content_length = real + `delta` (default 1) in the MEDIA_HEADER of the first media segment.",
        params: { delta: "1" },
        expect: "Segment dropped (never handed to the player) and re-requested.",
    },
    F7: {
        name: "F7",
        title: "duplicates",
        injection:
            "Re-sends every segment the request reports as held (first media segment if none), and back-fills N-1 after N for the video track.",
        params: {},
        expect: "Duplicates ignored; no duplicate bytes reach the player.",
    },
    F8: {
        name: "F8",
        title: "interleave-max",
        injection:
            "Opens every segment of the response at once (concurrent header ids), interleaves their MEDIA parts round-robin in `chunk`-byte parts, and sends MEDIA_END in reverse order.",
        params: { chunk: "8192" },
        expect: "Per-header-id assembly; out-of-order MEDIA_END handled.",
    },
    F9: {
        name: "F9",
        title: "sparse-media-header",
        injection:
            "MEDIA_HEADER without the fields in `omit` (default duration,length,start): duration_ms, content_length, start_ms; time_range always present.",
        params: { omit: "duration,length,start" },
        expect: 'Duration/start from time_range, no length check. googlevideo 4.1.1 stalls (duration "0") and drops segments without content_length.',
    },
    F10: {
        name: "F10",
        title: "policy-only",
        injection: "Answers with control parts only (no FIM, no media); NEXT_REQUEST_POLICY carries backoff_time_ms=`backoff` (default 0).",
        params: { backoff: "0" },
        expect: "Waits the backoff, asks again with the cookie; not treated as end of stream.",
    },
    F11: {
        name: "F11",
        title: "large-backoff",
        injection: "Normal media response whose NEXT_REQUEST_POLICY carries backoff_time_ms=`ms` (default 10000).",
        params: { ms: "10000" },
        expect: "The next request arrives no earlier than the backoff (assertion backoffHonoured).",
    },
    F12: {
        name: "F12",
        title: "redirect",
        injection:
            "SABR_REDIRECT to /r<k>/videoplayback?... . mode=data (redirect + media), only (redirect is the only media-less answer), chain (every triggered request moves to a new URL), loop (redirect-only answers forever, alternating between two URLs). After a redirect the old URL answers 403.",
        params: { mode: "data" },
        expect: "Next request goes to the new URL with state intact; loops are capped by the client.",
    },
    F13: {
        name: "F13",
        title: "sabr-error",
        injection:
            "SABR_ERROR with type=`type` (default sabr.malformed_config) in layout=`layout` (gv: {1 type, 2 code}; yt: {1 type, 2 action=2, 3 {4: 4}}, the observed 31-byte body).",
        params: { type: "sabr.malformed_config", layout: "yt" },
        expect: "Error classified; bounded retries; reload for config errors.",
    },
    F14: {
        name: "F14",
        title: "reload-player-response",
        injection:
            "RELOAD_PLAYER_RESPONSE {params {token}}; from then on the session URL answers 403. GET /manifest/<id>.mpd?reload=<token> issues a new URL + config that continue the old session.",
        params: { token: "reload-<n>" },
        expect: "Client fetches the manifest/player again with the token, swaps URL + config, clears contexts, continues at the same position.",
    },
    F15: {
        name: "F15",
        title: "expired-url",
        injection:
            "Marks the session URL as expired: this and every later request to it answer HTTP 403 with an empty body (manifests issued with ?expire=<s> or --expire-seconds also expire naturally).",
        params: {},
        expect: "Reload the manifest/player response (proactively before `expire`, or on 403).",
    },
    F16: {
        name: "F16",
        title: "http-failure",
        injection:
            "mode=status (HTTP `status`, default 503, empty body; 429 adds Retry-After: `retryAfter`), rst (socket destroyed before any byte), slow (first byte after `ms`, default 3000), trickle (`bps` bytes/s, default 65536; with `overMs` the whole body is spread evenly over that many ms instead, whatever its size), hold (the body stops right after the MEDIA_END of segment `seq` of `itag`, or after `bytes` body bytes, or before its first byte without either or when that segment is not in the body, until releaseHeld() on the origin handle or POST /__release).",
        params: {
            mode: "status",
            status: "503",
            retryAfter: "1",
            ms: "3000",
            bps: "65536",
            overMs: "",
            bytes: "",
            itag: "",
            seq: "0 (the init segment)",
        },
        expect: "Exponential backoff, bounded retries; timeouts for slow first bytes; bandwidth estimate drops when trickled.",
    },
    F17: {
        name: "F17",
        title: "stream-protection",
        injection:
            "STREAM_PROTECTION_STATUS script: status=1|2|3 every time; script=grace (status 2, media only for the first `graceMs` ms of content, default 20000, then status 2 without media); script=token (status 3 without media until the request po_token differs from the first one seen); script=potoken (YouTube's WEB rule: a PO token minted by this origin's provider stand-in (POST /get_pot), bound to the session's video id and not expired, gets status 1; without one, status 2 with media for `graceMs` of content (default 45000) counted from when the session lost its valid token, then status 3 without media until a valid token arrives). maxRetries adds field 2.",
        params: { status: "2", script: "none", graceMs: "", maxRetries: "" },
        expect: "PO-token refresh on 2/3; retry with the new token; clear failure when no refresh is possible.",
    },
    F18: {
        name: "F18",
        title: "ad-gate",
        injection:
            "SABR_CONTEXT_UPDATE {type 5, scope CONTENT_ADS, value, send_by_default, OVERWRITE} + backoff `backoff` ms (default 2000) and no media until a request carries sabr_contexts {5, value} at least `backoff` ms later.",
        params: { backoff: "2000" },
        expect: "Context echoed, wait honoured, media resumes.",
    },
    F19: {
        name: "F19",
        title: "context-write-policy",
        injection:
            "mode=keep: context type 6 stored with OVERWRITE then a KEEP_EXISTING update with another value; mode=unspecified: write_policy absent (overwrites); mode=empty: an update with an empty value (ignored). All send_by_default.",
        params: { mode: "keep" },
        expect: "keep: the first value keeps being sent; unspecified: the new value is sent; empty: ignored.",
    },
    F20: {
        name: "F20",
        title: "context-sending-policy",
        injection:
            "Stores context type 7 (send_by_default=false) then SABR_CONTEXT_SENDING_POLICY: action=start|stop|discard (default start) for type 7, encoding=packed|unpacked.",
        params: { action: "start", encoding: "unpacked" },
        expect: "start: context 7 sent from the next request; stop: no longer sent; discard: value forgotten.",
    },
    F21: {
        name: "F21",
        title: "server-format-switch",
        injection:
            "Serves another video itag (`itag`, default the next higher quality) with its FIM + init segment instead of the requested one, from this response on.",
        params: { itag: "next" },
        expect: "Player switches or pins quality; no crash.",
    },
    F22: {
        name: "F22",
        title: "fim-repeat",
        injection: "Re-sends FORMAT_INITIALIZATION_METADATA for already initialized formats.",
        params: {},
        expect: "Ignored; held segments kept (googlevideo 4.1.1 overwrites its segment map).",
    },
    F23: {
        name: "F23",
        title: "end-of-track",
        injection: "mode=eot: END_OF_TRACK after the last segment of a track; mode=short: the last segment of each track is never sent.",
        params: { mode: "eot" },
        expect: "End detected via end_segment_number / end time; stall logic terminates cleanly.",
    },
    F24: {
        name: "F24",
        title: "ignorable-parts",
        injection:
            "Adds SNACKBAR_MESSAGE, PREWARM_CONNECTION, ALLOWED_CACHED_FORMATS and SELECTABLE_FORMATS parts (PLAYBACK_START_POLICY, REQUEST_IDENTIFIER and REQUEST_CANCELLATION_POLICY are always sent).",
        params: {},
        expect: "Ignored (or used as hints); media intact.",
    },
    F26: {
        name: "F26",
        title: "strict-cookie",
        injection:
            "A follow-up request (f2/f3 non-empty) without the last cookie byte for byte (including its unknown field 9) gets a cold-start answer (mode=cold: FIMs + first segments again) or SABR_ERROR sabr.malformed_config (mode=error).",
        params: { mode: "cold" },
        expect: "Cookie echoed verbatim, unknown fields included (googlevideo 4.1.1 re-encodes it and never advances).",
    },
    F27: {
        name: "F27",
        title: "response-size",
        injection:
            "size=large: the whole remaining title in one response, padded with duplicate segments up to `minBytes` (default 10 MiB); size=small: one segment per response in 1 KiB MEDIA parts.",
        params: { size: "large", minBytes: String(10 * 1024 * 1024) },
        expect: "Memory bounded; no assumption on response size.",
    },
    F28: {
        name: "F28",
        title: "link",
        injection:
            "A slow link for every SABR answer with a UMP body: headers and first byte wait `latencyMs` plus a jitter of 0..`jitterMs` ms drawn per answer from `seed` (default: the origin's --seed) and the request's number in its session; the body then leaves in `slice`-byte writes, byte x no earlier than first byte + x/`bps` s, and the answer ends at first byte + size/`bps` s (an average of exactly `bps`). Manifests, /__source and plain HTTP errors are not slowed.",
        params: { bps: "0 (no throttle)", latencyMs: "0", jitterMs: "0", seed: "", slice: "16384" },
        expect: "Plays on; readahead and quality choices follow the bandwidth the link allows.",
    },
};

export interface FaultWhen {
    always?: boolean;
    rn?: number[];
    nth?: number[];
    times?: number;
    probability?: number;
}

export interface FaultRule {
    profile: FaultName;
    params: Record<string, string>;
    when: FaultWhen;
    /** How many times the rule fired. */
    fired: number;
}

export interface ActiveFault {
    profile: FaultName;
    params: Record<string, string>;
}

export function isFaultName(s: string): s is FaultName {
    return Object.prototype.hasOwnProperty.call(FAULTS, s);
}

/** Parses a fault spec (see the module comment); throws with a readable message. */
export function parseFaultSpec(spec: string): FaultRule[] {
    const rules: FaultRule[] = [];
    for (const raw of spec
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)) {
        const [head = "", whenStr] = raw.split("@", 2);
        const [name = "", ...kv] = head.split(":");
        const profile = name.toUpperCase();
        if (!isFaultName(profile)) throw new Error(`unknown fault profile "${name}" (known: ${Object.keys(FAULTS).join(", ")})`);
        const params: Record<string, string> = {};
        for (const pair of kv) {
            const eq = pair.indexOf("=");
            if (eq <= 0) throw new Error(`bad parameter "${pair}" in "${raw}" (expected key=value)`);
            params[pair.slice(0, eq)] = pair.slice(eq + 1);
        }
        const when: FaultWhen = {};
        if (!whenStr || whenStr === "always") when.always = true;
        else {
            const eq = whenStr.indexOf("=");
            const key = whenStr.slice(0, eq);
            const val = whenStr.slice(eq + 1);
            const nums = (): number[] =>
                val.split("+").map((v) => {
                    const n = Number(v);
                    if (!Number.isInteger(n)) throw new Error(`bad number "${v}" in "${raw}"`);
                    return n;
                });
            if (key === "rn") when.rn = nums();
            else if (key === "nth") when.nth = nums();
            else if (key === "times") when.times = nums()[0] ?? 1;
            else if (key === "p") {
                const p = Number(val);
                if (!(p >= 0 && p <= 1)) throw new Error(`bad probability "${val}" in "${raw}"`);
                when.probability = p;
            } else throw new Error(`bad selector "@${whenStr}" in "${raw}" (use always, rn=, nth=, times=, p=)`);
        }
        rules.push({ profile, params, when, fired: 0 });
    }
    return rules;
}

/** Deterministic PRNG (mulberry32). */
export function makeRng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** Picks the rules that fire for one request. */
export function selectFaults(rules: FaultRule[], rn: number | undefined, nth: number, rng: () => number): ActiveFault[] {
    const out: ActiveFault[] = [];
    for (const r of rules) {
        const w = r.when;
        let fire = false;
        if (w.always) fire = true;
        else if (w.rn) fire = rn !== undefined && w.rn.includes(rn);
        else if (w.nth) fire = w.nth.includes(nth);
        else if (w.times !== undefined) fire = r.fired < w.times;
        else if (w.probability !== undefined) fire = rng() < w.probability;
        if (fire) {
            r.fired++;
            out.push({ profile: r.profile, params: { ...defaultParams(r.profile), ...r.params } });
        }
    }
    return out;
}

function defaultParams(name: FaultName): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(FAULTS[name].params)) out[k] = v.split(" ")[0] ?? "";
    return out;
}

export function describeRules(rules: FaultRule[]): string {
    return rules
        .map((r) => {
            const p = Object.entries(r.params)
                .map(([k, v]) => `:${k}=${v}`)
                .join("");
            const w = r.when;
            const when = w.always
                ? ""
                : w.rn
                  ? `@rn=${w.rn.join("+")}`
                  : w.nth
                    ? `@nth=${w.nth.join("+")}`
                    : w.times !== undefined
                      ? `@times=${w.times}`
                      : `@p=${w.probability}`;
            return `${r.profile}${p}${when}`;
        })
        .join(",");
}
