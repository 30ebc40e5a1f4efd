/**
 * `/player` answers kept per video and client while their SABR URL has life left, so starting a
 * video again (or a second Roku starting it) costs no InnerTube round trip and no `n` solving.
 * A SABR URL serves any number of playbacks until it expires; the session state lives in the
 * playback cookie, not in the URL. Reloads never come from here: they ask `/player` with the
 * server's reload context.
 */
import type { ClientName, PlayerResult } from "./youtube.ts";

/** A cached answer is used until this long before its URL expires. */
export const PLAYER_CACHE_MARGIN_MS = 30 * 60_000;

export class PlayerCache {
    private readonly held = new Map<string, { result: PlayerResult; usableUntil: number }>();

    constructor(private readonly clock: () => number = Date.now) {}

    /** The held answer for the video and client while it is usable. */
    get(videoId: string, client: ClientName): PlayerResult | undefined {
        const key = `${videoId}|${client}`;
        const entry = this.held.get(key);
        if (!entry) return undefined;
        if (this.clock() < entry.usableUntil) return entry.result;
        this.held.delete(key);
        return undefined;
    }

    /** Keeps an answer whose URL lives long enough to be worth keeping. */
    put(result: PlayerResult): void {
        const lifetimeMs = Number(result.expiresInSeconds) * 1000;
        if (!(lifetimeMs > PLAYER_CACHE_MARGIN_MS)) return;
        this.held.set(`${result.videoId}|${result.client}`, { result, usableUntil: this.clock() + lifetimeMs - PLAYER_CACHE_MARGIN_MS });
    }
}
