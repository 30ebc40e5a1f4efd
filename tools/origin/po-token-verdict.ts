/**
 * F17 script=potoken: what a SABR answer says about the PO token, the way YouTube treats a WEB
 * session (docs/sabr-protocol.md §5.13): a valid token gets status 1; without one (missing,
 * forged, bound to another video, expired) media keeps flowing with status 2 for a grace of
 * content time, then status 3 and no media until a valid token arrives. The grace counts from
 * the moment the session stopped having a valid token, so a token that expires mid-play gives a
 * new grace, then 3.
 */
import type { TokenCheck } from "./po-tokens.ts";

/** YouTube's WEB sessions were reported to stop after 45-60 s of content without a token. */
export const DEFAULT_POTOKEN_GRACE_MS = 45_000;

export interface PoTokenVerdict {
    status: 1 | 2 | 3;
    withhold: boolean;
    /** Video content served (ms) when the session lost its valid token; undefined while it has one. */
    lapsedAtMs: number | undefined;
}

/**
 * @param servedMs video content the session has been served so far (ms)
 * @param lapsedAtMs the previous verdict's `lapsedAtMs`
 */
export function poTokenVerdict(check: TokenCheck, servedMs: number, lapsedAtMs: number | undefined, graceMs: number): PoTokenVerdict {
    if (check === "valid") return { status: 1, withhold: false, lapsedAtMs: undefined };
    const since = lapsedAtMs ?? servedMs;
    return servedMs - since < graceMs
        ? { status: 2, withhold: false, lapsedAtMs: since }
        : { status: 3, withhold: true, lapsedAtMs: since };
}
