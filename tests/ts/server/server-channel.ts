// Runs the channel's real ytsabrServerTask in the simulator through the network bridge, with
// media files fetched from the local origin's /__source, so real HTTP clients can test it.
import { buildTestChannel } from "../support/test-channels.ts";
import { Simulator, type RunResult } from "../../../tools/sim/simulator.ts";
import { startOrigin, type OriginHandle } from "../../../tools/origin/server.ts";
import { connect } from "../support/net-clients.ts";

export const TITLE = "sabrOrigin1";
export const VIDEO_KEY = "160::root";
export const AUDIO_KEY = "140:ChEKBWFjb250EghvcmlnaW5hbAoKCgRsYW5nEgJlbg:root";
/** The largest format of the title (360p, about 0.9 MB), for whole-body transfers. */
export const LARGE_KEY = "134::root";

export interface ServerUnderTest {
    origin: OriginHandle;
    /** Host ports the channel's 7010/7011/7012 are mapped to. */
    manifestPort: number;
    videoPort: number;
    audioPort: number;
    /** The bytes the server serves for each key, from the origin's source files. */
    source: Record<string, Buffer>;
    lines: string[];
    /** Asks the channel to stop its server (graceful shutdown) and waits for the run to end. */
    stop(): Promise<RunResult>;
    close(): Promise<void>;
}

export interface ServerSettings {
    idleTimeoutMs?: number;
    maxConnections?: number;
    sendBufferBytes?: number;
    cors?: boolean;
    pollMs?: number;
}

async function fetchSource(origin: OriginHandle, itag: number): Promise<Buffer> {
    const response = await fetch(`${origin.url}/__source/${TITLE}/${itag}`);
    if (!response.ok) throw new Error(`origin /__source/${TITLE}/${itag} answered ${response.status}`);
    return Buffer.from(await response.arrayBuffer());
}

export async function startServerChannel(settings: ServerSettings = {}): Promise<ServerUnderTest> {
    const origin = await startOrigin({ port: 0 });
    const source = {
        [VIDEO_KEY]: await fetchSource(origin, 160),
        [AUDIO_KEY]: await fetchSource(origin, 140),
        [LARGE_KEY]: await fetchSource(origin, 134),
    };
    const testConfig = {
        files: [
            { url: `${origin.url}/__source/${TITLE}/160`, path: "tmp:/fixtures/160.mp4" },
            { url: `${origin.url}/__source/${TITLE}/140`, path: "tmp:/fixtures/140.mp4" },
            { url: `${origin.url}/__source/${TITLE}/134`, path: "tmp:/fixtures/134.mp4" },
        ],
        server: {
            ports: [7010, 7011, 7012],
            manifestUrl: `${origin.url}/manifest/${TITLE}.mpd?variant=single`,
            idleTimeoutMs: settings.idleTimeoutMs ?? 30_000,
            maxConnections: settings.maxConnections ?? 32,
            cors: settings.cors ?? false,
            ...(settings.pollMs === undefined ? {} : { pollMs: settings.pollMs }),
            media: {
                [VIDEO_KEY]: {
                    path: "tmp:/fixtures/160.mp4",
                    total: source[VIDEO_KEY]!.length,
                    mimeType: 'video/mp4; codecs="avc1.4d400c"',
                },
                [AUDIO_KEY]: { path: "tmp:/fixtures/140.mp4", total: source[AUDIO_KEY]!.length, mimeType: 'audio/mp4; codecs="mp4a.40.2"' },
                [LARGE_KEY]: {
                    path: "tmp:/fixtures/134.mp4",
                    total: source[LARGE_KEY]!.length,
                    mimeType: 'video/mp4; codecs="avc1.4d401e"',
                },
            },
        },
    };
    const zip = await buildTestChannel("server", { outDir: "out/server-test", configName: "server-test.json", config: testConfig });

    const simulator = await Simulator.launch({
        bridge: { portMap: { 7010: 0, 7011: 0, 7012: 0, 7019: 0 }, sendBufferBytes: settings.sendBufferBytes },
    });
    const lines: string[] = [];
    const run = simulator.run(zip, { timeoutMs: 600_000, onLine: (line) => lines.push(line) });
    const ended = run.then((result) => {
        throw new Error(`the server channel ended early: ${result.reason}\n${lines.slice(-30).join("\n")}`);
    });
    const listening = (async () => {
        const ports = await Promise.all([7010, 7011, 7012, 7019].map((port) => simulator.bridge!.waitForListener(port, 120_000)));
        // The server listens before its manifest is loaded; wait for the status that says it is ready.
        while (!lines.some((line) => line.startsWith("SERVER-STATUS") && line.includes('"manifest":"ready"'))) {
            if (lines.some((line) => line.includes('"manifest":"failed"'))) throw new Error(`manifest failed:\n${lines.join("\n")}`);
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        return ports;
    })();
    const [manifestPort, videoPort, audioPort] = await Promise.race([listening, ended]);
    return {
        origin,
        manifestPort: manifestPort!,
        videoPort: videoPort!,
        audioPort: audioPort!,
        source,
        lines,
        stop: async () => {
            const control = await connect(simulator.bridge!.listenerPort(7019)!);
            control.destroy();
            return run;
        },
        close: async () => {
            await simulator.close();
            await origin.close();
        },
    };
}

/** The origin's single-period manifest, as the channel loads it. */
export async function originManifest(origin: OriginHandle): Promise<string> {
    return (await fetch(`${origin.url}/manifest/${TITLE}.mpd?variant=single`)).text();
}
