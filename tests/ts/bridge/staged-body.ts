// A response body served in stages: the server stops at each boundary and sends the next stage
// only once the channel has reported (through a console line) that it saw its file reach that
// boundary. Tests of growing downloads then observe growth by construction, however fast or slow
// the machine is, instead of by hoping that a poll lands between two writes.
import type http from "node:http";

/** What one download's gates saw: the size the channel reported when each boundary opened. */
export interface StagedRun {
    openedAt: { boundary: number; seenSize: number }[];
    /** Boundaries given up on after `holdTimeoutMs` without a report (the test must fail). */
    timedOut: number[];
}

interface Gate {
    seen: number;
    run: StagedRun;
    wake?: () => void;
}

export class StagedBody {
    private readonly gates = new Map<string, Gate>();

    /** boundaries: byte offsets (ascending, inside the body) where the server waits for a report. */
    constructor(
        readonly body: Buffer,
        readonly boundaries: number[],
        private readonly options: { chunkBytes: number; holdTimeoutMs: number },
    ) {}

    /** The channel reported that download `key` has reached `size` bytes on disk. */
    seen(key: string, size: number): void {
        const gate = this.gate(key);
        if (size > gate.seen) gate.seen = size;
        gate.wake?.();
    }

    run(key: string): StagedRun {
        return this.gate(key).run;
    }

    /** Writes the body for download `key`, holding at every boundary until it was seen. */
    async send(key: string, res: http.ServerResponse): Promise<void> {
        let at = 0;
        for (const boundary of [...this.boundaries, this.body.length]) {
            while (at < boundary) {
                const end = Math.min(at + this.options.chunkBytes, boundary);
                if (!res.write(this.body.subarray(at, end))) await new Promise((resolve) => res.once("drain", resolve));
                at = end;
                if (res.destroyed) return;
            }
            if (boundary < this.body.length) await this.waitSeen(key, boundary);
        }
        res.end();
    }

    private gate(key: string): Gate {
        let gate = this.gates.get(key);
        if (!gate) {
            gate = { seen: -1, run: { openedAt: [], timedOut: [] } };
            this.gates.set(key, gate);
        }
        return gate;
    }

    private async waitSeen(key: string, boundary: number): Promise<void> {
        const gate = this.gate(key);
        const deadline = Date.now() + this.options.holdTimeoutMs;
        while (gate.seen < boundary) {
            const left = deadline - Date.now();
            if (left <= 0) {
                gate.run.timedOut.push(boundary);
                return;
            }
            await new Promise<void>((resolve) => {
                const timer = setTimeout(resolve, left);
                gate.wake = () => {
                    clearTimeout(timer);
                    resolve();
                };
            });
            gate.wake = undefined;
        }
        gate.run.openedAt.push({ boundary, seenSize: gate.seen });
    }
}
