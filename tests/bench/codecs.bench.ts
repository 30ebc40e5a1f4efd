// Codec benchmark in the simulator (one run): UMP scan of a 10 MiB and a 1 MiB response with the
// same part count, request encode, control-part decode, and a naive byte walk as the baseline.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as GV from "googlevideo/protos";
import { buildPackage } from "../../tools/build/bsc.ts";
import { Simulator } from "../../tools/sim/simulator.ts";
import type { DeviceRuleOverrides } from "../../tools/sim/device-rules.ts";
import { writeParts } from "../../tools/interop/vectors.ts";

const DIR = "out/bench-codecs/data";
const MEDIA_PARTS = 320;

/** A response shaped like YouTube's: control parts, then MEDIA parts of equal size in segments of 10. */
function response(totalBytes: number): Uint8Array {
    const parts: Array<[number, Uint8Array]> = [
        [58, GV.StreamProtectionStatus.encode({ status: 1 }).finish()],
        [
            35,
            GV.NextRequestPolicy.encode({
                targetAudioReadaheadMs: 15000,
                targetVideoReadaheadMs: 15000,
                maxTimeSinceLastRequestMs: 60000,
            }).finish(),
        ],
    ];
    const mediaSize = Math.floor(totalBytes / MEDIA_PARTS);
    for (let i = 0; i < MEDIA_PARTS; i++) {
        const headerId = Math.floor(i / 10) % 100;
        if (i % 10 === 0) parts.push([20, mediaHeader(headerId, 1 + i / 10)]);
        const payload = new Uint8Array(mediaSize);
        payload[0] = headerId;
        for (let j = 1; j < mediaSize; j += 997) payload[j] = j & 0xff;
        parts.push([21, payload]);
        if (i % 10 === 9) parts.push([22, new Uint8Array([headerId])]);
    }
    return writeParts(parts);
}

function mediaHeader(headerId: number, sequence: number): Uint8Array {
    return GV.MediaHeader.encode({
        headerId,
        videoId: "dQw4w9WgXcQ",
        itag: 248,
        lmt: "1700000000000001",
        startRange: String(sequence * 1048576),
        sequenceNumber: sequence,
        startMs: String(sequence * 5000),
        durationMs: "5000",
        formatId: { itag: 248, lastModified: "1700000000000001", xtags: "" },
        contentLength: "1048576",
        timeRange: { startTicks: String(sequence * 5000), durationTicks: "5000", timescale: 1000 },
    }).finish();
}

/** Writes a response as 1 MiB chunk files <name>-NN.bin (how the network hands it over). */
function writeChunks(name: string, body: Uint8Array): void {
    for (let i = 0; i * CHUNK < body.length; i++)
        writeFileSync(`${DIR}/${name}-${String(i).padStart(2, "0")}.bin`, body.subarray(i * CHUNK, (i + 1) * CHUNK));
}
const CHUNK = 1024 * 1024;

rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
writeChunks("response-10MiB", response(10 * 1024 * 1024));
writeChunks("response-1MiB", response(1024 * 1024));
writeFileSync(`${DIR}/media-header.bin`, mediaHeader(3, 37));
writeFileSync(
    `${DIR}/next-request-policy.bin`,
    GV.NextRequestPolicy.encode({
        targetAudioReadaheadMs: 15000,
        targetVideoReadaheadMs: 15000,
        maxTimeSinceLastRequestMs: 60000,
        backoffTimeMs: 0,
        playbackCookie: {
            resolution: 999999,
            field2: 0,
            videoFmt: { itag: 313, lastModified: "1700000000000001", xtags: "" },
            audioFmt: { itag: 140, lastModified: "1700000000000000", xtags: "" },
        },
        videoId: "dQw4w9WgXcQ",
    }).finish(),
);

const build = await buildPackage("bsconfig.json", {
    files: [
        "manifest",
        { src: "src/shared/**/*", dest: "source/shared" },
        { src: "tests/interop/channel/source/generated/**/*", dest: "source/generated" },
        { src: "tests/bench/codecs-channel/source/**/*", dest: "source/bench" },
        { src: `${DIR}/**/*`, dest: "bench" },
    ],
    stagingDir: "out/staging/bench-codecs",
    outFile: "out/packages/bench-codecs.zip",
});
if (!build.ok) throw new Error(`bench package does not build:\n${build.problems.join("\n")}`);

/** Runs the bench channel once; its results by bench name. */
async function runBench(deviceRules: DeviceRuleOverrides): Promise<Map<string, Record<string, number | string>>> {
    const simulator = await Simulator.launch({ volumeBytes: 64 * 1024 * 1024, deviceRules });
    try {
        const results = new Map<string, Record<string, number | string>>();
        const run = await simulator.run(build.outFile, {
            timeoutMs: 600_000,
            until: /^bench-done/,
            onLine(line) {
                if (process.env.BENCH_VERBOSE) console.error(`[channel] ${line}`);
                if (line.startsWith("BENCH ")) {
                    const record = JSON.parse(line.slice(6)) as Record<string, number | string>;
                    results.set(String(record.bench), record);
                }
            },
        });
        if (run.outcome !== "matched") throw new Error(`bench channel: ${run.reason}`);
        return results;
    } finally {
        await simulator.close();
    }
}

const results = await runBench({});
const walk = Number(results.get("naive-walk-10MiB")?.msPerScan);
const scan10 = Number(results.get("ump-scan-10MiB")?.msPerScan);
const scan1 = Number(results.get("ump-scan-1MiB")?.msPerScan);
for (const [name, record] of results) {
    const out: Record<string, unknown> = { ...record, bench: `codecs/${name}` };
    if (name.startsWith("ump-scan") || name.startsWith("naive"))
        out.ratioToNaiveWalk = Number((Number(record.msPerScan) / walk).toPrecision(3));
    if (name === "ump-scan-10MiB") out.ratioTo1MiBScan = Number((scan10 / scan1).toPrecision(3));
    console.log(JSON.stringify(out));
}

// The same channel where roByteArray has no Slice (a firmware the documentation cannot rule
// out): protobuf string and bytes fields are copied byte by byte. Ratios against the run above.
const withoutSlice = await runBench({ noByteArraySlice: true });
for (const [name, record] of withoutSlice) {
    if (!name.startsWith("decode") && !name.startsWith("ump-scan")) continue;
    const base = results.get(name);
    const key = "usPerOp" in record ? "usPerOp" : "msPerScan";
    const ratio = base ? Number((Number(record[key]) / Number(base[key])).toPrecision(3)) : null;
    console.log(JSON.stringify({ ...record, bench: `codecs-without-slice/${name}`, ratioToWithSlice: ratio }));
}
