// Every fault profile of the local origin (docs/sabr-protocol.md §9.3) played through the
// channel: the channel must end in the behaviour that page expects, and never serve a byte that
// differs from the source. One package and one simulator serve every run; each run is a fresh
// channel (and so a fresh SABR session) with an empty cache (the simulator rebooted) and the fault
// active from its first request.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startOrigin, type OriginHandle } from "../../../tools/origin/server.ts";
import { buildChannel, launchChannel, type ChannelOptions } from "../../../tools/channel/launch.ts";
import { Simulator } from "../../../tools/sim/simulator.ts";
import { DashClient, type PlayReport } from "../../../tools/dash-client/index.ts";
import { AUDIO_ITAG, failedAssertions, posts } from "./pipeline-harness.ts";

const TITLE = "sabrOrigin2";
const VIDEO_ITAG = 160;
const workers = (process.env.PIPELINE_MODES ?? "workers").split(",")[0] === "workers";

type Outcome = "plays" | "fails-cleanly";
interface FaultCase {
    faults: string;
    outcome: Outcome;
    /** Extra checks on what the run left behind. */
    check?: (run: FaultRun) => void | Promise<void>;
    /** Origin assertions (docs/sabr-protocol.md §9.4) this fault makes fail on purpose (not the client's doing). */
    ignore?: string[];
}

interface FaultRun {
    origin: OriginHandle;
    /** Log entries of this run have ids from here on. */
    firstLogId: number;
    report: PlayReport;
    metrics: {
        pipeline: Record<string, number>;
        sessions: Record<string, { fatal: string; streamProtectionStatus: number; totals: Record<string, number> }>;
    };
}

const session = (run: FaultRun): { fatal: string; streamProtectionStatus: number; totals: Record<string, number> } =>
    run.metrics.sessions.root!;
const postsOf = (run: FaultRun): number => posts(run.origin, run.firstLogId);

const CASES: FaultCase[] = [
    { faults: "F1", outcome: "plays" },
    { faults: "F2", outcome: "plays" },
    { faults: "F3", outcome: "plays" },
    { faults: "F4@nth=2", outcome: "plays" },
    { faults: "F5@nth=2", outcome: "plays" },
    { faults: "F6@nth=1", outcome: "plays" },
    {
        faults: "F7",
        outcome: "plays",
        check: (run) => assert.ok((run.metrics.pipeline.duplicates ?? 0) > 0, "duplicates were seen and ignored"),
    },
    { faults: "F8", outcome: "plays" },
    { faults: "F9", outcome: "plays" },
    { faults: "F10:backoff=500@nth=2", outcome: "plays" },
    { faults: "F11:ms=2500@nth=1", outcome: "plays" },
    { faults: "F12:mode=data@nth=2", outcome: "plays", check: (run) => assert.equal(session(run).totals.redirects ?? 0, 1) },
    { faults: "F12:mode=only@nth=2", outcome: "plays" },
    { faults: "F12:mode=chain@times=3", outcome: "plays" },
    { faults: "F12:mode=loop@always", outcome: "fails-cleanly", check: (run) => assert.match(session(run).fatal, /redirect loop/) },
    { faults: "F13@nth=2", outcome: "plays", check: (run) => assert.ok((session(run).totals.reloads ?? 0) >= 1, "a config error reloads") },
    { faults: "F13:type=sabr.unknown_error:layout=gv@nth=2", outcome: "plays" },
    { faults: "F13@always", outcome: "fails-cleanly", check: (run) => assert.match(session(run).fatal, /SABR error|reload loop/) },
    {
        faults: "F14@nth=2",
        outcome: "plays",
        check: (run) =>
            assert.ok(
                run.origin.log().some((entry) => entry.id >= run.firstLogId && entry.method === "GET" && entry.path.includes("reload=")),
                "the manifest was reloaded with the token",
            ),
    },
    { faults: "F15@nth=3", outcome: "plays", check: (run) => assert.ok((session(run).totals.reloads ?? 0) >= 1) },
    { faults: "F16@times=3", outcome: "plays" },
    { faults: "F16:status=429:retryAfter=1@nth=2", outcome: "plays" },
    { faults: "F16:mode=rst@nth=2", outcome: "plays" },
    { faults: "F16:mode=slow:ms=2000@nth=2", outcome: "plays" },
    { faults: "F16:mode=trickle:bps=300000@nth=2", outcome: "plays" },
    { faults: "F17:status=2", outcome: "plays", check: (run) => assert.equal(session(run).streamProtectionStatus, 2) },
    { faults: "F17:status=3", outcome: "fails-cleanly", check: (run) => assert.match(session(run).fatal, /PO token/) },
    { faults: "F18:backoff=1000", outcome: "plays" },
    { faults: "F19:mode=keep", outcome: "plays" },
    { faults: "F19:mode=unspecified", outcome: "plays" },
    { faults: "F19:mode=empty", outcome: "plays" },
    { faults: "F20:action=start", outcome: "plays" },
    { faults: "F20:action=stop:encoding=packed", outcome: "plays" },
    { faults: "F20:action=discard", outcome: "plays" },
    // The origin keeps serving the other itag from then on: the Video node cannot switch to a
    // format it did not ask for, so the rest of this format fails with 503, and the segments of
    // the other itag are kept for when the player asks for it.
    { faults: "F21@nth=2", outcome: "fails-cleanly" },
    { faults: "F22", outcome: "plays" },
    { faults: "F23:mode=eot", outcome: "plays" },
    {
        faults: "F23:mode=short",
        outcome: "fails-cleanly",
        check: (run) => assert.ok(postsOf(run) < 40, `${postsOf(run)} POSTs: the missing last segment must not cause endless requests`),
    },
    { faults: "F24", outcome: "plays" },
    { faults: "F26:mode=cold", outcome: "plays" },
    { faults: "F26:mode=error", outcome: "plays" },
    { faults: "F27:size=large", outcome: "plays" },
    { faults: "F27:size=small", outcome: "plays" },
];

describe(`origin fault profiles (${workers ? "fetch worker + cache writer" : "inline fetches"})`, { timeout: 1_800_000 }, () => {
    let origin: OriginHandle;
    let simulator: Simulator;
    let zip: string;
    let options: ChannelOptions;
    const sources = new Map<number, Buffer>();

    before(async () => {
        origin = await startOrigin({ port: 0 });
        options = {
            manifestUrl: `${origin.url}/manifest/${TITLE}.mpd?variant=single`,
            // Short waits: a run that cannot get a segment must fail in seconds, not hang.
            server: { waitTimeoutMs: 20_000 },
            outDir: `out/pipeline-test/faults-${workers ? "workers" : "inline"}`,
            timeoutMs: 300_000,
            ...(workers ? { fetchWorker: {}, cacheWriter: {} } : { fetchWorker: false as never, cacheWriter: false as never }),
        };
        zip = await buildChannel(options);
        simulator = await Simulator.launch({ bridge: { portMap: { 7010: 0, 7011: 0, 7012: 0 } } });
        for (const itag of [VIDEO_ITAG, AUDIO_ITAG]) {
            sources.set(itag, Buffer.from(await (await fetch(`${origin.url}/__source/${TITLE}/${itag}`)).arrayBuffer()));
        }
    });
    after(async () => {
        await simulator?.close();
        await origin?.close();
    });

    for (const faultCase of CASES) {
        it(`${faultCase.faults}: ${faultCase.outcome === "plays" ? "plays byte-identical" : "fails cleanly, nothing wrong served"}`, async () => {
            origin.setFaults(faultCase.faults, 7);
            const firstLogId = (origin.log().at(-1)?.id ?? 0) + 1;
            // An empty segment cache: every profile meets its fault from the first segment on.
            simulator.reboot();
            const channel = await launchChannel(options, { zip, simulator });
            const client = new DashClient({
                manifestUrl: channel.localManifestUrl,
                requestTimeoutMs: 30_000,
                portMap: { 7010: channel.ports.manifest, 7011: channel.ports.video, 7012: channel.ports.audio },
            });
            try {
                const report = await client.play({ videoItag: VIDEO_ITAG });
                const metrics = (await channel.metrics()) as FaultRun["metrics"];
                const run: FaultRun = { origin, firstLogId, report, metrics };
                for (const itag of [VIDEO_ITAG, AUDIO_ITAG]) {
                    const verdict = report.verify(itag, sources.get(itag)!);
                    assert.ok(verdict.ok, `itag ${itag}: ${verdict.message}`);
                }
                const timeouts = report.requests.filter((request) => request.error?.includes("timeout"));
                assert.deepEqual(
                    timeouts.map((request) => `${request.kind} ${request.range.start}`),
                    [],
                    "no request may hang",
                );
                if (faultCase.outcome === "plays") {
                    assert.deepEqual(report.errors, []);
                    assert.deepEqual(
                        report
                            .problems()
                            .map(
                                (request) => `${request.kind} ${request.range.start}-${request.range.end}: ${request.problems.join("; ")}`,
                            ),
                        [],
                    );
                    for (const itag of [VIDEO_ITAG, AUDIO_ITAG])
                        assert.ok(report.byItag(itag).covers(sources.get(itag)!.length), `itag ${itag} incomplete`);
                } else {
                    const failures = report.requests.filter((request) => request.status >= 500);
                    assert.ok(failures.length > 0, "the failure reached the player as an HTTP error");
                }
                assert.deepEqual(failedAssertions(origin, faultCase.ignore, firstLogId), []);
                await faultCase.check?.(run);
            } finally {
                client.close();
                await channel.close();
                origin.setFaults("");
            }
        });
    }
});
