// roAppMemoryMonitor from the simulator's figures (device rule memoryMonitorFromRules), seen from
// BrightScript: the fixture tests/fixtures/channels/memory-monitor has a monitor on the main
// thread's port and one in a Task thread; each prints its figures and every
// roAppMemoryNotificationEvent it receives.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Simulator, DEFAULT_MEMORY, type Remote } from "../../../tools/sim/simulator.ts";
import { zipFixtureChannel } from "../support/fixture-channels.ts";

// Hang guard only: every step waits for a line the channel prints, or for remote.memory(), which
// resolves once every monitor has looked at the new figures.
const RUN_TIMEOUT_MS = 90_000;
const LIMIT_KIB = 100_000; // 1 % = 1000 KiB, for runs that name their figures
const SIMULATOR_LIMIT_KIB = 500_000; // the simulator's own, for runs that do not

interface Figures {
    percent: number;
    available: number;
    foreground: number;
    background: number;
    heap: number;
}

interface Session {
    figures: Map<string, Figures>;
    /** "main 91", "task 89", ... in the order printed. */
    events: string[];
    enabled: string[];
}

/**
 * Runs the fixture until both monitors are ready, then `steps`; `until(n)` resolves once n events
 * have been printed in all.
 */
async function runChannel(
    simulator: Simulator,
    launchParams: Record<string, string>,
    memory: { limitKiB: number; usedKiB: number } | undefined,
    steps: (remote: Remote, session: Session, until: (count: number) => Promise<void>) => Promise<void>,
): Promise<Session> {
    const zip = await zipFixtureChannel("memory-monitor");
    const session: Session = { figures: new Map(), events: [], enabled: [] };
    const eventWaiters: { count: number; resolve: () => void }[] = [];
    let readyCount = 0;
    let onReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (onReady = resolve));
    let failure: unknown;
    const result = await simulator.run(zip, {
        timeoutMs: RUN_TIMEOUT_MS,
        launchParams,
        ...(memory ? { memory } : {}),
        onLine: (line) => {
            const figures = /^(main|task) memory-figures (\{.*\})/.exec(line);
            if (figures?.[1] && figures[2]) session.figures.set(figures[1], JSON.parse(figures[2]) as Figures);
            const enabled = /^(main|task) enabled (\w+)/.exec(line);
            if (enabled) session.enabled.push(`${enabled[1]} ${enabled[2]}`);
            const event = /^(main|task) memory event (-?\d+) \((\w+)\)/.exec(line);
            if (event) {
                assert.equal(event[3], "roAppMemoryNotificationEvent");
                session.events.push(`${event[1]} ${event[2]}`);
                for (const waiter of eventWaiters.filter((w) => session.events.length >= w.count)) waiter.resolve();
            }
            if (/^(main|task)-monitor-ready/.test(line) && ++readyCount === 2) onReady();
        },
        onStarted: (remote) => {
            void (async () => {
                try {
                    await ready;
                    await steps(remote, session, (count) => new Promise((resolve) => eventWaiters.push({ count, resolve })));
                } catch (error) {
                    failure = error;
                } finally {
                    await remote.input({ cmd: "exit" }).catch(() => undefined);
                }
            })();
        },
    });
    if (failure) throw failure;
    assert.equal(result.outcome, "exited", result.reason);
    return session;
}

describe("roAppMemoryMonitor answers from the simulator's figures (memoryMonitorFromRules)", () => {
    let simulator: Simulator;
    before(async () => {
        simulator = await Simulator.launch({ memory: { limitKiB: SIMULATOR_LIMIT_KIB } });
    });
    after(async () => {
        await simulator.close();
    });

    it("reports the limit, the available memory and the percentage in the main and a Task thread", async () => {
        const session = await runChannel(simulator, {}, { limitKiB: LIMIT_KIB, usedKiB: 43_210 }, async () => undefined);
        const expected: Figures = { percent: 43, available: 56_790, foreground: LIMIT_KIB, background: 25_000, heap: 50_000 };
        assert.deepEqual(session.figures.get("main"), expected);
        assert.deepEqual(session.figures.get("task"), expected);
        assert.deepEqual(session.enabled.sort(), ["main true", "task true"]);
        assert.deepEqual(session.events, []);
    });

    it("uses the simulator's figures, then the defaults, when a run names none", async () => {
        const session = await runChannel(simulator, {}, undefined, async () => undefined);
        const used = DEFAULT_MEMORY.usedKiB;
        assert.equal(session.figures.get("main")?.foreground, SIMULATOR_LIMIT_KIB);
        assert.equal(session.figures.get("main")?.available, SIMULATOR_LIMIT_KIB - used);
        assert.equal(session.figures.get("task")?.percent, Math.floor((used * 100) / SIMULATOR_LIMIT_KIB));
    });

    it("sends one event per monitor when usage crosses 90 %, none for a change within a band", async () => {
        const session = await runChannel(simulator, {}, { limitKiB: LIMIT_KIB, usedKiB: 88_000 }, async (remote, seen, until) => {
            // 88 % -> 89.5 %: no threshold crossed. memory() resolves once both monitors looked.
            await remote.memory({ usedKiB: 89_500 });
            // -> 91 %: 90 crossed upwards.
            await remote.memory({ usedKiB: 91_000 });
            await until(2);
            assert.deepEqual([...seen.events].sort(), ["main 91", "task 91"]);
            // -> 92 %: within the 90-95 band, nothing; -> 86 %: 90 crossed downwards.
            await remote.memory({ usedKiB: 92_000 });
            await remote.memory({ usedKiB: 86_000 });
            await until(4);
        });
        assert.deepEqual(session.events.slice(0, 2).sort(), ["main 91", "task 91"]);
        assert.deepEqual(session.events.slice(2).sort(), ["main 86", "task 86"]);
        assert.equal(session.events.length, 4);
    });

    it("sends nothing to monitors that did not enable warnings", async () => {
        const session = await runChannel(simulator, { warnings: "off" }, { limitKiB: LIMIT_KIB, usedKiB: 50_000 }, async (remote) => {
            await remote.memory({ usedKiB: 97_000 });
            await remote.memory({ usedKiB: 10_000 });
            // memory() resolved once both monitors (ports set, warnings off) had looked at the figures:
            // an event would be queued by now, and printed before the exit is read.
        });
        assert.deepEqual(session.enabled, []);
        assert.deepEqual(session.events, []);
    });
});
