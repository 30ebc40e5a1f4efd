// Keeps the tracks of a play close in presentation time, as a player's buffer does: a track that
// runs too far ahead waits until the others catch up.
import type { Track } from "./track.ts";

/** Lets a track proceed only while it is at most `aheadMs` ahead of the other tracks. */
export class TrackGate {
    private readonly positions = new Map<Track, number>();
    private waiters: Array<() => void> = [];

    constructor(
        private readonly aheadMs: number,
        tracks: Track[],
        startMs: number,
    ) {
        for (const t of tracks) this.positions.set(t, startMs);
    }

    set(track: Track, positionMs: number): void {
        this.positions.set(track, positionMs);
        // Every move may unblock someone; each waiter re-checks its own condition.
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) w();
    }

    /** A finished track never holds the others back. */
    done(track: Track): void {
        this.set(track, Infinity);
    }

    async wait(track: Track, positionMs: number): Promise<void> {
        this.set(track, positionMs);
        while (!this.allowed(track, positionMs)) await new Promise<void>((resolve) => this.waiters.push(resolve));
    }

    private allowed(track: Track, positionMs: number): boolean {
        for (const [t, p] of this.positions) if (t !== track && positionMs > p + this.aheadMs) return false;
        return true;
    }
}
