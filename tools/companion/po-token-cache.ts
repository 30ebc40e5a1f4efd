/**
 * Content-bound PO tokens (bound to a video id, as YouTube's web client mints them) from one
 * source, kept per video for their lifetime: a request gets the held token until shortly before
 * it expires, then a new one. Cold-start tokens are never kept: they stand in only while the
 * BotGuard minter warms up, and the next request should get a real one.
 */

export interface PoToken {
    /** As minted (base64url for BotGuard and bgutil's provider). */
    poToken: string;
    /** Unix ms. */
    expiresAt: number;
    source: "provider" | "botguard" | "cold-start";
}

export interface PoTokenSource {
    /** A token bound to `videoId`; `renew`: not one the source itself cached. Throws a `po-token` Refusal when it has none. */
    token(videoId: string, renew: boolean): Promise<PoToken>;
    close?(): Promise<void>;
}

/** A held token is renewed this long before it expires (or a tenth of its lifetime when that is shorter). */
export const RENEW_MARGIN_MS = 60_000;

export class PoTokenCache {
    private readonly held = new Map<string, PoToken & { renewAt: number }>();
    private readonly pending = new Map<string, Promise<PoToken>>();

    constructor(
        readonly source: PoTokenSource,
        private readonly clock: () => number = Date.now,
    ) {}

    /** The held token for `videoId` while it is fresh; otherwise (or with `renew`) a new one from the source. */
    async get(videoId: string, renew = false): Promise<PoToken> {
        const held = this.held.get(videoId);
        if (held && !renew && this.clock() < held.renewAt) return strip(held);
        // One request to the source per video at a time.
        const inFlight = this.pending.get(videoId);
        if (inFlight) return inFlight;
        const fetching = this.fetch(videoId, renew).finally(() => this.pending.delete(videoId));
        this.pending.set(videoId, fetching);
        return fetching;
    }

    async close(): Promise<void> {
        await this.source.close?.();
    }

    private async fetch(videoId: string, renew: boolean): Promise<PoToken> {
        const now = this.clock();
        const t = await this.source.token(videoId, renew);
        for (const [id, h] of this.held) if (h.expiresAt <= now) this.held.delete(id);
        if (t.source === "cold-start") this.held.delete(videoId);
        else this.held.set(videoId, { ...t, renewAt: t.expiresAt - Math.min(RENEW_MARGIN_MS, (t.expiresAt - now) / 10) });
        return t;
    }
}

function strip(h: PoToken): PoToken {
    return { poToken: h.poToken, expiresAt: h.expiresAt, source: h.source };
}
