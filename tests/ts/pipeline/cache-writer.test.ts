// Runs the real sabrCacheWriterTask in the simulator (no bridge): a driver task sends it bursts of
// messages the way the server will, and prints one JSON summary the tests below check against a
// model of the cache's rules (LRU order, pinned entries, maintenance every N stores). Then the
// next launch: the writer is stopped and a new instance started over the same cachefs: folder
// (within one run: the simulator does not keep cachefs: between runs), and asked for its entries.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { buildTestChannel } from "../support/test-channels.ts";
import { Simulator } from "../../../tools/sim/simulator.ts";

const WRITER = {
    cacheDir: "cachefs:/cw/cache",
    spoolDir: "tmp:/cw/spool",
    snapshotPath: "tmp:/cw/state/session.json",
    budgetBytes: 3600,
    maintenanceEveryStores: 8,
    // Far away: only the store count and FLUSH trigger maintenance, so the cadence is exact.
    maintenanceIntervalMs: 600_000,
    // Wide enough that the whole SNAPSHOT_REQUEST burst falls in one window.
    snapshotDebounceMs: 30_000,
    // Likewise: the index is written at FLUSH only, never in the middle of the request burst.
    indexDebounceMs: 30_000,
    failStores: 1,
};
const CHUNKS = [
    { offset: 0, length: 100 },
    { offset: 300, length: 200 },
    { offset: 700, length: 50 },
];
const SEGMENT_BYTES = CHUNKS.reduce((sum, chunk) => sum + chunk.length, 0);
const STORES = 40;
const SNAPSHOTS = 10;
const PINNED_REQUEST = 2;
const KEY_PREFIX = "160:aB:root:";
const SEGMENT_PATH = /^cachefs:\/cw\/cache\/seg-\d+-\d+\.bin$/;

interface StoreOutcome {
    requestId: number;
    cacheKey: string;
    storedPath: string;
    cacheBytesWritten: number;
    evicted: string[];
    removed: number;
    remainingBytes: number;
    error: string;
}

interface CachedEntry {
    cacheKey: string;
    path: string;
    bytes: number;
    meta: Record<string, unknown>;
}

interface Relaunch {
    steps: string[];
    vanishedKey: string;
    batches: Array<{ requestId: number; entries: number; done: boolean; error: string }>;
    entries: CachedEntry[];
    bytesMatch: boolean;
    stats: {
        entries: number;
        entriesDropped: number;
        indexLoad: { adopted: number; dropped: number; deleted: number; rebuilt: boolean; slices: number } | null;
    } | null;
}

interface Summary {
    releasedEvicted: number;
    steps: string[];
    orphanSwept: boolean;
    results: StoreOutcome[];
    order: string[];
    messageErrors: Array<{ requestId: number; receivedType: string; error: string }>;
    flush: { requestId: number; storesCompleted: number; snapshotWritten: boolean; error: string } | null;
    stats: {
        messages: number;
        rejected: number;
        storesCompleted: number;
        storesFailed: number;
        maintenanceRuns: number;
        snapshotWrites: number;
        indexWrites: number;
        entries: number;
        totalBytes: number;
        budgetBytes: number;
    } | null;
    bytesMatch: boolean;
    survivors: string[];
    cacheFiles: number;
    cacheBytes: number;
    cacheNames: string[];
    snapshotDirFiles: string[];
    snapshot: Record<string, unknown> | null;
    spoolKept: boolean;
    relaunch: Relaunch;
}

/** What the cache rules predict for the plan: per store, and after the touch and FLUSH. */
interface Prediction {
    evictedByStore: Map<number, string[]>;
    runsDuringStores: number;
    /** The oldest unpinned key after the burst: the test touches it, so FLUSH must spare it. */
    touchKey: string;
    survivors: string[];
    flushRuns: number;
}

function key(requestId: number): string {
    return KEY_PREFIX + String(requestId);
}

/** A plain model: entries in use order (the array order), maintenance when due, LRU eviction. */
function predict(): Prediction {
    let used: Array<{ key: string; pinned: boolean }> = [];
    let total = 0;
    let storesSince = 0;
    let runsDuringStores = 0;
    const evictedByStore = new Map<number, string[]>();
    const maintain = (): string[] => {
        const evicted: string[] = [];
        while (total > WRITER.budgetBytes) {
            const victim = used.find((entry) => !entry.pinned);
            if (!victim) break;
            used = used.filter((entry) => entry !== victim);
            total -= SEGMENT_BYTES;
            evicted.push(victim.key);
        }
        storesSince = 0;
        return evicted;
    };
    for (let requestId = 1; requestId <= STORES; requestId++) {
        if (requestId <= WRITER.failStores) {
            evictedByStore.set(requestId, []);
            continue;
        }
        used.push({ key: key(requestId), pinned: requestId === PINNED_REQUEST });
        total += SEGMENT_BYTES;
        storesSince++;
        if (total > WRITER.budgetBytes && storesSince >= WRITER.maintenanceEveryStores) {
            runsDuringStores++;
            evictedByStore.set(requestId, maintain());
        } else {
            evictedByStore.set(requestId, []);
        }
    }
    const touched = used.find((entry) => !entry.pinned)!;
    used = [...used.filter((entry) => entry !== touched), touched];
    let flushRuns = 0;
    if (total > WRITER.budgetBytes) {
        flushRuns = 1;
        maintain();
    }
    return { evictedByStore, runsDuringStores, touchKey: touched.key, survivors: used.map((entry) => entry.key), flushRuns };
}

const prediction = predict();
let summary: Summary;
let consoleLines: string[] = [];

before(async () => {
    const plan = {
        writer: WRITER,
        // A package file: see the scene for why the spool is not created in tmp:/ here.
        spoolPath: "pkg:/fixtures/response-1.ump",
        chunks: CHUNKS,
        stores: STORES,
        pinnedRequestId: PINNED_REQUEST,
        keyPrefix: KEY_PREFIX,
        touchKeys: [prediction.touchKey, "no-such-key"],
        snapshots: SNAPSHOTS,
        snapshotDir: "tmp:/cw/state",
    };
    // Byte p of the spool is p mod 251, so every chunk is recognisable.
    await mkdir("out/cache-writer-test/fixtures", { recursive: true });
    await writeFile("out/cache-writer-test/fixtures/response-1.ump", Buffer.from(Array.from({ length: 1000 }, (_, p) => p % 251)));
    const zip = await buildTestChannel("cache-writer", {
        outDir: "out/cache-writer-test",
        configName: "cache-writer-test.json",
        config: plan,
        extra: [{ src: "out/cache-writer-test/fixtures/*", dest: "fixtures" }],
    });
    const simulator = await Simulator.launch();
    try {
        const run = await simulator.run(zip, { timeoutMs: 300_000 });
        consoleLines = run.lines;
        const line = run.lines.find((text) => text.startsWith("CACHE-WRITER-SUMMARY "));
        if (!line) throw new Error(`no summary line (${run.reason}):\n${run.lines.slice(-40).join("\n")}`);
        summary = JSON.parse(line.slice("CACHE-WRITER-SUMMARY ".length)) as Summary;
    } finally {
        await simulator.close();
    }
});

describe("sabrCacheWriterTask in the simulator", () => {
    it("sweeps orphans while loading its (empty) index, and the driver saw no timeouts", () => {
        assert.deepEqual(summary.steps, [], consoleLines.slice(-30).join("\n"));
        assert.equal(summary.orphanSwept, true);
    });

    it("receives every request set as its own event and answers each STORE_REQUEST once", () => {
        // Sets the writer counted: 40 stores, 1 touch, the snapshot burst, 1 bad, 1 release, 1 flush,
        // then one release per evicted file and a second flush.
        const sent = STORES + 1 + SNAPSHOTS + 3 + summary.releasedEvicted + 1;
        assert.ok(summary.stats, "no stats after FLUSH_RESULT");
        assert.ok(summary.releasedEvicted > 0, "evicted files were released");
        assert.equal(
            summary.stats.messages,
            sent,
            `the writer saw ${summary.stats.messages} of ${sent} request sets: the simulator coalesced field sets`,
        );
        assert.equal(
            summary.results.length,
            STORES,
            `the driver saw ${summary.results.length} of ${STORES} STORE_RESULTs: response sets were coalesced`,
        );
        assert.deepEqual(
            summary.results.map((result) => [result.requestId, result.cacheKey]),
            Array.from({ length: STORES }, (_, index) => [index + 1, key(index + 1)]),
        );
    });

    it("fails the injected store without a path and stores the others with their exact bytes", () => {
        const [failed, ...stored] = summary.results;
        assert.equal(failed!.storedPath, "");
        assert.match(failed!.error, /fault injection/);
        for (const result of stored) {
            assert.equal(result.error, "", `store ${result.requestId}`);
            assert.equal(result.cacheBytesWritten, SEGMENT_BYTES);
            assert.match(result.storedPath, SEGMENT_PATH);
        }
        assert.equal(summary.bytesMatch, true, "a cache file differs from its chunks");
        assert.equal(summary.stats!.storesFailed, 1);
        assert.equal(summary.flush!.storesCompleted, STORES - 1);
    });

    it("runs maintenance every maintenanceEveryStores stores while over budget, evicting LRU first", () => {
        const ranAt = summary.results.filter((result) => result.removed > 0).map((result) => result.requestId);
        const expectedAt = [...prediction.evictedByStore].filter(([, keys]) => keys.length > 0).map(([requestId]) => requestId);
        assert.deepEqual(ranAt, expectedAt);
        assert.ok(ranAt.length >= 3 && ranAt.length < STORES / 2, `maintenance ran at ${ranAt.join(",")}`);
        for (const result of summary.results) {
            assert.deepEqual(result.evicted, prediction.evictedByStore.get(result.requestId), `evicted by store ${result.requestId}`);
            if (result.removed > 0) assert.ok(result.remainingBytes <= WRITER.budgetBytes);
        }
        assert.equal(summary.stats!.maintenanceRuns, prediction.runsDuringStores + prediction.flushRuns);
    });

    it("holds the budget after FLUSH, never evicts the pinned entry, and spares the touched key", () => {
        assert.ok(summary.cacheBytes <= WRITER.budgetBytes, `${summary.cacheBytes} bytes on disk`);
        assert.equal(summary.cacheBytes, summary.stats!.totalBytes);
        assert.equal(summary.cacheFiles, prediction.survivors.length);
        assert.deepEqual([...summary.survivors].sort(), [...prediction.survivors].sort());
        assert.ok(summary.survivors.includes(key(PINNED_REQUEST)));
        assert.ok(summary.survivors.includes(prediction.touchKey));
    });

    it("answers the bad message with MESSAGE_ERROR and keeps answering", () => {
        assert.equal(summary.messageErrors[0]!.requestId, 999);
        assert.equal(summary.messageErrors[0]!.receivedType, "STORE_REQUEST");
        assert.match(summary.messageErrors[0]!.error, /cacheKey/);
        assert.deepEqual(summary.order.slice(-4), ["MESSAGE_ERROR", "MESSAGE_ERROR", "FLUSH_RESULT", "FLUSH_RESULT"]);
        assert.equal(summary.stats!.rejected, 2);
    });

    it("writes the snapshot burst once, atomically, and FLUSH reports it", () => {
        assert.deepEqual(summary.flush, { requestId: 1000, storesCompleted: STORES - 1, snapshotWritten: true, error: "" });
        assert.equal(summary.stats!.snapshotWrites, 1);
        assert.deepEqual(summary.snapshotDirFiles, ["session.json"]);
        assert.deepEqual(summary.snapshot, {
            seq: SNAPSHOTS,
            playerTimeMs: 1000 * SNAPSHOTS,
            url: `https://example.invalid/videoplayback?rn=${SNAPSHOTS}`,
        });
    });

    it("refuses to delete a released spool outside spoolDir", () => {
        // Deleting both names of a spool inside spoolDir is covered by tests/spec/cacheWriter.
        assert.equal(summary.messageErrors.length, 2);
        assert.equal(summary.messageErrors[1]!.receivedType, "FILE_RELEASE");
        assert.match(summary.messageErrors[1]!.error, /not inside tmp:\/cw\/spool/);
        assert.equal(summary.spoolKept, true);
    });

    it("keeps its index in cacheDir, next to the segments, written on FLUSH", () => {
        assert.ok(summary.cacheNames.includes("index.txt"), summary.cacheNames.join(","));
        assert.ok(summary.stats!.indexWrites >= 1);
        assert.ok(!summary.cacheNames.some((name) => name.endsWith(".partial")), summary.cacheNames.join(","));
    });
});

describe("sabrCacheWriterTask, next launch over the same cachefs: folder", () => {
    it("starts a new instance that answers CACHE_QUERY in one done batch, and none for another title", () => {
        const relaunch = summary.relaunch;
        assert.deepEqual(relaunch.steps, [], consoleLines.slice(-30).join("\n"));
        const kept = summary.survivors.length - 1;
        assert.deepEqual(relaunch.batches, [
            { requestId: 2000, entries: kept, done: true, error: "" },
            { requestId: 2001, entries: 0, done: true, error: "" },
        ]);
    });

    it("lists every kept entry with its meta, and not the file that vanished", () => {
        const relaunch = summary.relaunch;
        const expected = summary.survivors.filter((cacheKey) => cacheKey !== relaunch.vanishedKey).sort();
        assert.deepEqual(relaunch.entries.map((entry) => entry.cacheKey).sort(), expected);
        assert.ok(!relaunch.entries.some((entry) => entry.cacheKey === relaunch.vanishedKey));
        for (const entry of relaunch.entries) {
            const requestId = Number(entry.cacheKey.slice(KEY_PREFIX.length));
            assert.match(entry.path, SEGMENT_PATH);
            assert.equal(entry.bytes, SEGMENT_BYTES);
            assert.deepEqual(entry.meta, { sequence: requestId, isInit: requestId === PINNED_REQUEST, label: entry.cacheKey });
        }
        assert.equal(relaunch.bytesMatch, true, "a kept file differs from its chunks");
    });

    it("read the index back: the vanished entry dropped, the rest adopted, nothing rebuilt", () => {
        const stats = summary.relaunch.stats;
        assert.ok(stats?.indexLoad, "no indexLoad figures");
        assert.equal(stats.indexLoad.adopted, summary.survivors.length - 1);
        assert.equal(stats.indexLoad.dropped, 1);
        assert.equal(stats.indexLoad.rebuilt, false);
        assert.equal(stats.entries, summary.survivors.length - 1);
    });
});
