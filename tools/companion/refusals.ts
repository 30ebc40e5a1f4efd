/**
 * YouTube's refusals, named: every way `/player` (or the extraction around it) can fail to give a
 * SABR session becomes a `Refusal` with a cause, a sentence saying what happened and one saying
 * what to try. The service answers them as text, the probe prints their cause.
 */

export type RefusalCause =
    | "bot-check"
    | "age-restricted"
    | "private"
    | "region"
    | "unavailable"
    | "live"
    | "no-sabr"
    | "login-required"
    | "unplayable"
    | "extraction-failed"
    | "innertube-error"
    | "po-token";

export class Refusal extends Error {
    constructor(
        override readonly cause: RefusalCause,
        readonly what: string,
        readonly tryThis: string,
        readonly status?: string,
        readonly reason?: string,
    ) {
        super(`${what} Try: ${tryThis}`);
    }
}

export interface Playability {
    status?: string;
    reason?: string;
}

/** The refusal a `playabilityStatus` stands for, or undefined when it is `OK`. */
export function refusalOf(p: Playability | undefined, client: string): Refusal | undefined {
    const status = p?.status ?? "";
    const reason = p?.reason ?? "";
    if (status === "OK") return undefined;
    const r = (cause: RefusalCause, what: string, tryThis: string): Refusal => new Refusal(cause, what, tryThis, status, reason);
    const said = reason ? ` YouTube said: "${reason}".` : "";
    if (/not a bot/i.test(reason))
        return r(
            "bot-check",
            `YouTube wants a sign-in to confirm this is not a bot (client ${client}).${said} It asks this when a request has no valid PO token or comes from an address it distrusts.`,
            "another client (--client TV), a PO-token provider (--pot-provider <url>), waiting a while, or another network.",
        );
    if (
        /confirm your age|age-restricted|inappropriate/i.test(reason) ||
        status === "AGE_CHECK_REQUIRED" ||
        status === "AGE_VERIFICATION_REQUIRED"
    )
        return r(
            "age-restricted",
            `The video is age-restricted and YouTube will not play it without a signed-in adult account (client ${client}).${said}`,
            "--client WEB_EMBEDDED (works only for videos their owner allows to be embedded); signing in is not supported.",
        );
    if (/private/i.test(reason))
        return r(
            "private",
            `The video is private: only accounts its owner invited can play it.${said}`,
            "nothing on this side; ask the owner to make it public or unlisted.",
        );
    if (/country|region|location/i.test(reason))
        return r(
            "region",
            `The video is blocked in the country YouTube places this network in.${said}`,
            "nothing in the companion; the Roku must play from the same public address, so a VPN on this machine alone does not help.",
        );
    if (status === "ERROR")
        return r(
            "unavailable",
            `YouTube does not have a playable video with this id (removed, or a wrong id).${said}`,
            "check the id (11 characters, from the watch URL's v= parameter).",
        );
    if (status === "LOGIN_REQUIRED")
        return r(
            "login-required",
            `YouTube wants a signed-in account for this video (client ${client}).${said}`,
            "another client (--client TV or --client WEB_EMBEDDED); signing in is not supported.",
        );
    return r(
        "unplayable",
        `YouTube will not play this video (status ${status || "missing"}).${said}`,
        "another client (--client TV or WEB_EMBEDDED), or `probe <videoId>` to see what each client says.",
    );
}

export function liveRefusal(): Refusal {
    return new Refusal(
        "live",
        "The video is a live stream; the companion and the channel play videos on demand only.",
        "a video that is not live (a finished stream's replay works once YouTube has processed it).",
    );
}

export function noSabrRefusal(client: string): Refusal {
    return new Refusal(
        "no-sabr",
        `YouTube gave client ${client} no SABR URL (serverAbrStreamingUrl) for this video, so the channel has nothing to stream from.`,
        "another client (--client WEB gives SABR most reliably), or `probe <videoId>`.",
    );
}

export function extractionRefusal(detail: string): Refusal {
    return new Refusal(
        "extraction-failed",
        `Solving YouTube's player challenge failed (${detail}); without it every SABR request is refused with 403.`,
        "pin a player id that still works (--player-id <id>), or update youtubei.js.",
    );
}

export function innertubeRefusal(detail: string): Refusal {
    return new Refusal(
        "innertube-error",
        `The InnerTube /player request failed (${detail}).`,
        "check this machine's internet connection (or --innertube), then `probe <videoId>`.",
    );
}

export function poTokenRefusal(what: string, tryThis: string): Refusal {
    return new Refusal("po-token", what, tryThis);
}
