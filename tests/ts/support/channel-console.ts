// Drives a channel running in the simulator by what it prints: every wait ends on a console line
// (or a change on screen), never on a clock. A wait rejects when the run ends first, with the
// run's reason, so a broken channel fails fast instead of hanging.
import type { Simulator, Remote, RunOptions, RunResult, ScreenArea } from "../../../tools/sim/simulator.ts";

interface Waiter {
    pattern: RegExp;
    from: number;
    resolve: (line: string) => void;
    reject: (error: Error) => void;
}

export class ChannelConsole {
    readonly lines: string[] = [];
    readonly finished: Promise<RunResult>;
    private readonly waiters = new Set<Waiter>();
    private readonly stopRun = new AbortController();
    private readonly started: Promise<Remote>;
    private ended: RunResult | undefined;

    constructor(simulator: Simulator, zip: string, options: Pick<RunOptions, "timeoutMs" | "launchParams">) {
        let onStarted: (remote: Remote) => void = () => undefined;
        this.started = new Promise((resolve) => (onStarted = resolve));
        this.finished = simulator.run(zip, {
            ...options,
            signal: this.stopRun.signal,
            onStarted,
            onLine: (line) => this.onLine(line),
        });
        void this.finished.then((result) => {
            this.ended = result;
            for (const waiter of this.waiters) waiter.reject(new Error(`the run ended before ${waiter.pattern}: ${result.reason}`));
            this.waiters.clear();
        });
    }

    remote(): Promise<Remote> {
        return this.started;
    }

    /** The index the next console line will have: waits from here see only what comes after. */
    mark(): number {
        return this.lines.length;
    }

    /** The first line matching `pattern` at index `from` or later (already printed or still to come). */
    waitFor(pattern: RegExp, from = 0): Promise<string> {
        const seen = this.lines.slice(from).find((line) => pattern.test(line));
        if (seen !== undefined) return Promise.resolve(seen);
        if (this.ended) return Promise.reject(new Error(`the run ended before ${pattern}: ${this.ended.reason}`));
        return new Promise((resolve, reject) => this.waiters.add({ pattern, from, resolve, reject }));
    }

    /** Presses a key and waits for the line it causes. */
    async press(key: string, expected: RegExp): Promise<string> {
        const from = this.mark();
        await (await this.remote()).sendKey(key);
        return this.waitFor(expected, from);
    }

    /**
     * Presses a key whose effect the channel cannot report (focus moving inside a dialog: the
     * engine tells no node about it) and waits until `area` of the screen differs from before the
     * press. The area should leave out what changes by itself, such as a blinking text cursor.
     */
    async pressAndWatch(key: string, area: ScreenArea): Promise<void> {
        const remote = await this.remote();
        const before = await remote.screenshot(area);
        await remote.sendKey(key);
        await this.waitForScreenChange(before, area);
    }

    /** Waits until the screen (or `area` of it) differs from `before`, a PNG of the same area. */
    async waitForScreenChange(before: Buffer, area?: ScreenArea): Promise<void> {
        const remote = await this.remote();
        while ((await remote.screenshot(area)).equals(before)) {
            if (this.ended) throw new Error(`the run ended before the screen changed: ${this.ended.reason}`);
        }
    }

    async stop(): Promise<RunResult> {
        this.stopRun.abort();
        return this.finished;
    }

    private onLine(line: string): void {
        const index = this.lines.push(line) - 1;
        for (const waiter of this.waiters) {
            if (index >= waiter.from && waiter.pattern.test(line)) {
                this.waiters.delete(waiter);
                waiter.resolve(line);
            }
        }
    }
}
