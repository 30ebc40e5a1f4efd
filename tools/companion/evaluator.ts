/**
 * The sandbox YouTube's player code runs in. youtubei.js 18 ships no JavaScript evaluator: it
 * extracts the `n` function from the player script and hands the extracted script to
 * `Platform.shim.eval`. Here that script never runs in the companion's own context: it runs in
 * a `worker_threads` worker, inside a fresh `node:vm` context (no `process`, `require`, timers,
 * `fetch` or globals of the service), with a time limit. The worker has an empty environment and
 * a small heap; a script that outlasts the limit is stopped by `vm`'s timeout, and if the worker
 * does not answer shortly after, it is terminated and replaced.
 *
 * Only JSON leaves the sandbox: the script's result is serialised inside the vm, under the same
 * time limit, so no getter or `toJSON` of the result runs outside it.
 */
import { Worker } from "node:worker_threads";

/** The worker's code (CommonJS, `eval: true`, so it needs no loader for TypeScript). */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const vm = require("node:vm");
parentPort.on("message", (m) => {
    try {
        const context = vm.createContext(Object.create(null), { name: "youtube-player", microtaskMode: "afterEvaluate" });
        const wrapped = "JSON.stringify((function () {\\n" + m.code + "\\n})())";
        const text = vm.runInContext(wrapped, context, { timeout: m.timeoutMs, displayErrors: false });
        parentPort.postMessage({ id: m.id, ok: true, text: typeof text === "string" ? text : "null" });
    } catch (e) {
        const message = e && typeof e === "object" && "message" in e ? String(e.message) : String(e);
        parentPort.postMessage({ id: m.id, ok: false, error: message });
    }
});
`;

interface Pending {
    resolve: (v: unknown) => void;
    reject: (e: Error) => void;
    timer: NodeJS.Timeout;
}

export class EvaluatorError extends Error {}

export class SandboxEvaluator {
    private worker: Worker | undefined;
    private nextId = 1;
    private readonly pending = new Map<number, Pending>();
    /** How many workers were terminated for not answering in time (tests read it). */
    restarts = 0;

    /** `workerSource` replaces the worker's code (tests use a worker that never answers). */
    constructor(
        readonly timeoutMs = 2000,
        private readonly workerSource = WORKER_SOURCE,
    ) {}

    /**
     * Runs `body` (the statements of a function body; its `return` value is the result) in the
     * sandbox and resolves with the JSON-serialisable result.
     */
    evaluate(body: string): Promise<unknown> {
        const worker = this.ensureWorker();
        const id = this.nextId++;
        return new Promise((resolve, reject) => {
            // The vm timeout covers synchronous code; this one covers a worker that hangs anyway.
            const timer = setTimeout(() => {
                this.pending.delete(id);
                this.restart();
                reject(new EvaluatorError(`player script did not finish within ${this.timeoutMs} ms`));
            }, this.timeoutMs + 1000);
            this.pending.set(id, { resolve, reject, timer });
            worker.postMessage({ id, code: body, timeoutMs: this.timeoutMs });
        });
    }

    async close(): Promise<void> {
        const w = this.worker;
        this.worker = undefined;
        for (const [id, p] of this.pending) {
            clearTimeout(p.timer);
            p.reject(new EvaluatorError("evaluator closed"));
            this.pending.delete(id);
        }
        if (w) await w.terminate();
    }

    private ensureWorker(): Worker {
        if (this.worker) return this.worker;
        const w = new Worker(this.workerSource, {
            eval: true,
            env: {},
            resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
        });
        w.unref();
        w.on("message", (m: { id: number; ok: boolean; text?: string; error?: string }) => {
            const p = this.pending.get(m.id);
            if (!p) return;
            this.pending.delete(m.id);
            clearTimeout(p.timer);
            if (!m.ok) {
                const timedOut = /timed out/i.test(m.error ?? "");
                p.reject(
                    new EvaluatorError(
                        timedOut ? `player script did not finish within ${this.timeoutMs} ms` : `player script failed: ${m.error}`,
                    ),
                );
                return;
            }
            try {
                p.resolve(JSON.parse(m.text ?? "null"));
            } catch (e) {
                p.reject(new EvaluatorError(`player script gave no JSON result: ${String(e)}`));
            }
        });
        w.on("error", (e) => this.failAll(new EvaluatorError(`evaluator worker failed: ${e.message}`)));
        w.on("exit", () => {
            if (this.worker === w) this.worker = undefined;
        });
        this.worker = w;
        return w;
    }

    private restart(): void {
        const w = this.worker;
        this.worker = undefined;
        this.restarts++;
        if (w) void w.terminate();
    }

    private failAll(e: Error): void {
        this.worker = undefined;
        for (const [id, p] of this.pending) {
            clearTimeout(p.timer);
            p.reject(e);
            this.pending.delete(id);
        }
    }
}

/** What youtubei.js passes to `Platform.shim.eval`: the extracted script, ending in a `return`. */
export interface BuildScriptResult {
    output: string;
}

/** The `Platform.shim.eval` function youtubei.js calls, running the script in `evaluator`. */
export function youtubeiEval(evaluator: SandboxEvaluator): (data: BuildScriptResult, env: Record<string, unknown>) => Promise<unknown> {
    return (data) => evaluator.evaluate(data.output);
}
