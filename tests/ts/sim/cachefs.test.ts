// cachefs: across launches (device rule cachefsKeptUntilReboot) and cachefs: files deleted while
// the channel runs (remote.cachefs), seen from BrightScript: the fixture channel
// tests/fixtures/channels/cachefs writes six segments and a note, and prints what it reads back.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Simulator, seededChoice, type Remote, type RunResult } from "../../../tools/sim/simulator.ts";
import { zipFixtureChannel } from "../support/fixture-channels.ts";

// Hang guard only: every step waits for a line the channel prints.
const RUN_TIMEOUT_MS = 90_000;
const SEGMENTS = ["seg1", "seg2", "seg3", "seg4", "seg5", "seg6"];

type State = Record<string, string | boolean>;

/** What one segment's line reads when its 256 bytes are (i * 7 + k) mod 256, as written. */
function written(i: number): string {
    let sum = 0;
    for (let k = 0; k < 256; k++) sum += ((i * 7 + k) % 256) * (k + 1);
    return `256:${sum}`;
}

const WRITTEN: State = Object.fromEntries(SEGMENTS.map((name, index) => [name, written(index + 1)]));

/** A run of the fixture: `steps` gets the remote and a way to ask the channel for its state. */
async function runChannel(
    simulator: Simulator,
    zip: string,
    launchParams: Record<string, string>,
    steps: (remote: Remote, check: () => Promise<State>, line: (pattern: RegExp) => Promise<void>) => Promise<void>,
    end: { cmd: string; outcome: RunResult["outcome"] } = { cmd: "exit", outcome: "exited" },
): Promise<{ result: RunResult; states: State[] }> {
    const states: State[] = [];
    const waiters: ((state: State) => void)[] = [];
    const lines: string[] = [];
    const lineWaiters: { pattern: RegExp; resolve: () => void }[] = [];
    let failure: unknown;
    const result = await simulator.run(zip, {
        timeoutMs: RUN_TIMEOUT_MS,
        launchParams,
        onLine: (line) => {
            lines.push(line);
            for (const waiter of lineWaiters.filter((w) => w.pattern.test(line))) waiter.resolve();
            const match = /cachefs-state (\{.*\})/.exec(line);
            if (!match?.[1]) return;
            const state = JSON.parse(match[1]) as State;
            states.push(state);
            waiters.shift()?.(state);
        },
        onStarted: (remote) => {
            const nextState = (): Promise<State> => new Promise((resolve) => waiters.push(resolve));
            const first = nextState();
            void (async () => {
                try {
                    await first;
                    await steps(
                        remote,
                        async () => {
                            const state = nextState();
                            await remote.input({ cmd: "check" });
                            return state;
                        },
                        (pattern) =>
                            lines.some((seen) => pattern.test(seen))
                                ? Promise.resolve()
                                : new Promise((resolve) => lineWaiters.push({ pattern, resolve })),
                    );
                } catch (error) {
                    failure = error;
                } finally {
                    await remote.input({ cmd: end.cmd }).catch(() => undefined);
                }
            })();
        },
    });
    if (failure) throw failure;
    assert.equal(result.outcome, end.outcome, result.reason);
    return { result, states };
}

describe("cachefs: is kept across launches until a reboot (cachefsKeptUntilReboot)", () => {
    let simulator: Simulator;
    let zip: string;
    before(async () => {
        zip = await zipFixtureChannel("cachefs");
        simulator = await Simulator.launch();
    });
    after(async () => {
        await simulator.close();
    });

    it("reads run 1's cachefs: file back byte-identical in run 2, but not its tmp: file; reboot() empties cachefs:", async () => {
        const run1 = await runChannel(simulator, zip, { write: "1" }, async () => undefined);
        assert.deepEqual(run1.states[0], { ...WRITTEN, note: "kept", tmpExists: true, task: "" });

        const kept = await simulator.cachefsFiles();
        assert.deepEqual(
            kept.map((file) => [file.path, file.size]),
            [...SEGMENTS.map((name) => [`cachefs:/ytsabr/cache/${name}.bin`, 256]), ["cachefs:/ytsabr/note.txt", 4]],
        );

        const run2 = await runChannel(simulator, zip, {}, async () => undefined);
        assert.deepEqual(run2.states[0], { ...WRITTEN, note: "kept", tmpExists: false, task: "" });

        simulator.reboot();
        assert.deepEqual(await simulator.cachefsFiles(), []);
        const run3 = await runChannel(simulator, zip, {}, async () => undefined);
        assert.deepEqual(run3.states[0], {
            ...Object.fromEntries(SEGMENTS.map((name) => [name, "missing"])),
            note: "",
            tmpExists: false,
            task: "",
        });
    });

    it("keeps what a run that crashed had written", async () => {
        simulator.reboot();
        await runChannel(simulator, zip, { write: "1" }, async () => undefined, { cmd: "crash", outcome: "crashed" });
        const run2 = await runChannel(simulator, zip, {}, async () => undefined);
        assert.deepEqual(run2.states[0], { ...WRITTEN, note: "kept", tmpExists: false, task: "" });
    });

    it("deletes files while the channel runs: the channel then finds them missing; a seed picks the same files", async () => {
        simulator.reboot();
        const picks: string[][] = [];
        for (const run of [1, 2]) {
            await runChannel(simulator, zip, { write: "1" }, async (remote, check) => {
                const listed = await remote.cachefs.list();
                assert.equal(listed.length, 7);
                assert.ok(listed.some((file) => file.path === "cachefs:/ytsabr/note.txt" && file.size === 4));

                // One named file: remove answers what it removed (not what did not exist).
                const removed = await remote.cachefs.remove(["cachefs:/ytsabr/cache/seg2.bin", "cachefs:/ytsabr/cache/none.bin"]);
                assert.deepEqual(removed, ["cachefs:/ytsabr/cache/seg2.bin"]);
                const afterRemove = await check();
                assert.deepEqual(afterRemove, { ...WRITTEN, seg2: "missing", note: "kept", tmpExists: true, task: "" });

                // Two seeded picks under the cache folder (the note outside it stays).
                const random = await remote.cachefs.removeRandom({ count: 2, seed: 42, under: "cachefs:/ytsabr/cache" });
                assert.equal(random.length, 2, `run ${run}`);
                picks.push(random);
                const afterRandom = await check();
                for (const path of random) {
                    const name = /\/(seg\d)\.bin$/.exec(path)?.[1] ?? "";
                    assert.equal(afterRandom[name], "missing", `${path} is gone for the channel`);
                }
                assert.equal(afterRandom.note, "kept");
                const left = SEGMENTS.filter((name) => afterRandom[name] !== "missing");
                assert.equal(left.length, 3);
                assert.deepEqual((await remote.cachefs.list()).length, 4);
            });
            simulator.reboot();
        }
        assert.deepEqual(picks[0], picks[1], "the same seed picks the same files");
        const expected = seededChoice(
            ["seg1", "seg3", "seg4", "seg5", "seg6"].map((name) => `cachefs:/ytsabr/cache/${name}.bin`),
            2,
            42,
        );
        assert.deepEqual(picks[0], expected);
    });
});

describe("cachefs: with cachefsKeptUntilReboot off", () => {
    let simulator: Simulator;
    let zip: string;
    before(async () => {
        zip = await zipFixtureChannel("cachefs");
        simulator = await Simulator.launch({ deviceRules: { cachefsKeptUntilReboot: false } });
    });
    after(async () => {
        await simulator.close();
    });

    it("starts every run with an empty cachefs:", async () => {
        const run1 = await runChannel(simulator, zip, { write: "1" }, async () => undefined);
        assert.equal(run1.states[0]?.seg1, WRITTEN.seg1);
        assert.deepEqual(await simulator.cachefsFiles(), []);
        const run2 = await runChannel(simulator, zip, {}, async () => undefined);
        assert.deepEqual(run2.states[0], {
            ...Object.fromEntries(SEGMENTS.map((name) => [name, "missing"])),
            note: "",
            tmpExists: false,
            task: "",
        });
    });
});

describe("seededChoice", () => {
    it("is a function of the items and the seed", () => {
        const items = Array.from({ length: 20 }, (_, i) => `f${i}`);
        assert.deepEqual(seededChoice(items, 5, 7), seededChoice(items, 5, 7));
        assert.notDeepEqual(seededChoice(items, 5, 7), seededChoice(items, 5, 8));
        assert.equal(new Set(seededChoice(items, 20, 1)).size, 20);
        assert.deepEqual(seededChoice(items, 0, 1), []);
    });
});

describe("cachefs: across launches with the network bridge and a Task thread", () => {
    let simulator: Simulator;
    let zip: string;
    before(async () => {
        zip = await zipFixtureChannel("cachefs");
        simulator = await Simulator.launch({ bridge: true });
    });
    after(async () => {
        await simulator.close();
    });

    it("keeps what the main thread and a Task wrote; a removal is seen by the next launch too", async () => {
        await runChannel(simulator, zip, { write: "1", task: "1" }, async (remote, _check, line) => {
            await line(/task-written/);
            assert.deepEqual(await remote.cachefs.remove(["cachefs:/ytsabr/cache/seg6.bin"]), ["cachefs:/ytsabr/cache/seg6.bin"]);
        });
        assert.ok((await simulator.cachefsFiles()).some((file) => file.path === "cachefs:/ytsabr/task.txt" && file.size === 9));
        const run2 = await runChannel(simulator, zip, {}, async () => undefined);
        assert.deepEqual(run2.states[0], { ...WRITTEN, seg6: "missing", note: "kept", tmpExists: false, task: "from task" });
    });
});
