// The registry across launches (device rule registryKeptAcrossLaunches), seen from BrightScript:
// the fixture channel tests/fixtures/channels/registry prints the whole registry at launch and
// writes keys when the test asks (roInput), flushed or not.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Simulator, type RegistryContents, type RunResult } from "../../../tools/sim/simulator.ts";
import { zipFixtureChannel } from "../support/fixture-channels.ts";

// Hang guard only: every step waits for a line the channel prints.
const RUN_TIMEOUT_MS = 90_000;

interface Channel {
    /** Writes section.key = value in the channel (flushed when `flush`), once it printed so. */
    write(section: string, key: string, value: string, flush: boolean): Promise<void>;
    /** The registry as the channel reads it now. */
    check(): Promise<RegistryContents>;
    /** Waits for a console line (seen already or to come). */
    line(pattern: RegExp): Promise<void>;
}

/**
 * One run of the fixture: `steps` drives it once it is ready; then it exits (end "exit") or the
 * run is cut off from outside with the page closed, as a power cut would (end "stop"). Returns
 * the registry the channel printed at launch.
 */
async function runChannel(
    simulator: Simulator,
    zip: string,
    steps: (channel: Channel) => Promise<void>,
    { end = "exit", launchParams = {} }: { end?: "exit" | "stop"; launchParams?: Record<string, string> } = {},
): Promise<{ atLaunch: RegistryContents; result: RunResult }> {
    const lines: string[] = [];
    const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
    const line = (pattern: RegExp, from = 0): Promise<string> => {
        const seen = lines.slice(from).find((text) => pattern.test(text));
        return seen !== undefined ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ pattern, resolve }));
    };
    const stopper = new AbortController();
    let failure: unknown;
    const result = await simulator.run(zip, {
        timeoutMs: RUN_TIMEOUT_MS,
        launchParams,
        signal: stopper.signal,
        onLine: (text) => {
            lines.push(text);
            for (const waiter of waiters.filter((w) => w.pattern.test(text))) {
                waiters.splice(waiters.indexOf(waiter), 1);
                waiter.resolve(text);
            }
        },
        onStarted: (remote) => {
            void (async () => {
                try {
                    await line(/registry-ready/);
                    await steps({
                        write: async (section, key, value, flush) => {
                            const written = line(new RegExp(`registry-written ${section}\\.${key}$`), lines.length);
                            await remote.input({ cmd: "write", section, key, value, flush: flush ? "1" : "0" });
                            await written;
                        },
                        check: async () => {
                            const from = lines.length;
                            await remote.input({ cmd: "check" });
                            return stateOf(await line(/registry-state /, from));
                        },
                        line: async (pattern) => void (await line(pattern)),
                    });
                } catch (error) {
                    failure = error;
                } finally {
                    if (end === "stop" || failure) stopper.abort();
                    else await remote.input({ cmd: "exit" }).catch(() => undefined);
                }
            })();
        },
    });
    if (failure) throw failure;
    assert.equal(result.outcome, end === "exit" ? "exited" : "stopped", result.reason);
    const atLaunch = lines.find((text) => /registry-state /.test(text));
    assert.ok(atLaunch, "the channel printed its registry at launch");
    return { atLaunch: stateOf(atLaunch), result };
}

/** The registry a "registry-state {...}" line shows (values without quotes: FormatJson does not escape them). */
function stateOf(line: string): RegistryContents {
    return JSON.parse(line.slice(line.indexOf("registry-state ") + "registry-state ".length)) as RegistryContents;
}

describe("the registry is kept across launches (registryKeptAcrossLaunches)", () => {
    let simulator: Simulator;
    let zip: string;
    before(async () => {
        zip = await zipFixtureChannel("registry");
        simulator = await Simulator.launch();
    });
    after(async () => {
        await simulator?.close();
    });

    it("run 2 reads what run 1 wrote and flushed; registry() shows it; reboot() keeps it; clearRegistry() empties it", async () => {
        const run1 = await runChannel(simulator, zip, async (channel) => {
            await channel.write("ytsabr", "recentVideos", "dQw4w9WgXcQ,jNQXAC9IVRw", true);
            await channel.write("ytsabr", "note", "kept", true);
            await channel.write("other", "a", "b", true);
            assert.deepEqual(await channel.check(), {
                ytsabr: { recentVideos: "dQw4w9WgXcQ,jNQXAC9IVRw", note: "kept" },
                other: { a: "b" },
            });
        });
        assert.deepEqual(run1.atLaunch, {}, "a new Simulator starts with an empty registry");
        const kept = { ytsabr: { recentVideos: "dQw4w9WgXcQ,jNQXAC9IVRw", note: "kept" }, other: { a: "b" } };
        assert.deepEqual(simulator.registry(), kept);

        simulator.reboot();
        assert.deepEqual(simulator.registry(), kept, "a reboot keeps the registry");
        const run2 = await runChannel(simulator, zip, async (channel) => {
            await channel.write("ytsabr", "note", "changed", true);
        });
        assert.deepEqual(run2.atLaunch, kept);
        assert.deepEqual(simulator.registry(), { ...kept, ytsabr: { ...kept.ytsabr, note: "changed" } });

        simulator.clearRegistry();
        assert.deepEqual(simulator.registry(), {});
        const run3 = await runChannel(simulator, zip, async () => undefined);
        assert.deepEqual(run3.atLaunch, {});
    });

    it("a run cut off keeps only what it flushed; on exit the engine flushes what is left", async () => {
        simulator.clearRegistry();
        await runChannel(
            simulator,
            zip,
            async (channel) => {
                await channel.write("ytsabr", "flushed", "1", true);
                await channel.write("ytsabr", "unflushed", "2", false);
                assert.deepEqual(await channel.check(), { ytsabr: { flushed: "1", unflushed: "2" } });
            },
            { end: "stop" },
        );
        assert.deepEqual(simulator.registry(), { ytsabr: { flushed: "1" } });

        // brs-engine flushes a dirty registry when Main returns (a device may not: docs/simulator.md).
        const run2 = await runChannel(simulator, zip, async (channel) => {
            await channel.write("ytsabr", "atExit", "3", false);
        });
        assert.deepEqual(run2.atLaunch, { ytsabr: { flushed: "1" } });
        assert.deepEqual(simulator.registry(), { ytsabr: { flushed: "1", atExit: "3" } });
    });

    it("keeps what a Task thread flushed", async () => {
        simulator.clearRegistry();
        await runChannel(
            simulator,
            zip,
            async (channel) => {
                await channel.line(/registry-task-written/);
                assert.deepEqual(await channel.check(), { task: { from: "a task" } });
            },
            { launchParams: { task: "1" } },
        );
        assert.deepEqual(simulator.registry(), { task: { from: "a task" } });
        const run2 = await runChannel(simulator, zip, async () => undefined);
        assert.deepEqual(run2.atLaunch, { task: { from: "a task" } });
    });
});

describe("the registry with registryKeptAcrossLaunches off", () => {
    it("starts every run with an empty registry", async () => {
        const zip = await zipFixtureChannel("registry");
        const simulator = await Simulator.launch({ deviceRules: { registryKeptAcrossLaunches: false } });
        try {
            const run1 = await runChannel(simulator, zip, async (channel) => {
                await channel.write("ytsabr", "note", "kept", true);
                assert.deepEqual(await channel.check(), { ytsabr: { note: "kept" } });
            });
            assert.deepEqual(run1.atLaunch, {});
            assert.deepEqual(simulator.registry(), {});
            const run2 = await runChannel(simulator, zip, async () => undefined);
            assert.deepEqual(run2.atLaunch, {});
        } finally {
            await simulator.close();
        }
    });
});
