// The channel's HTTP server (ytsabrServerTask) in the simulator through the network bridge:
// requests per second for a small cached answer on one keep-alive connection and on eight, and
// MB/s for a large cached body. Read them next to the bridge's own loopback figures
// (bridge.echo.*, printed by the bridge benchmark in the same `npm run bench` run): the server's
// overhead is the difference. Simulator figures, not device figures.
import { connect } from "../ts/support/net-clients.ts";
import { readResponses, requestText } from "../ts/server/http-client.ts";
import { LARGE_KEY, VIDEO_KEY, startServerChannel } from "../ts/server/server-channel.ts";

const REQUESTS = 200;

function emit(record: Record<string, unknown>): void {
    console.log(JSON.stringify(record));
}

async function keepAliveRequests(port: number, count: number, path: string): Promise<void> {
    const socket = await connect(port);
    try {
        for (let i = 0; i < count; i++) {
            const responses = readResponses(socket, 1, 60_000);
            socket.write(requestText(path, { Range: "bytes=0-999" }));
            const [response] = await responses;
            if (response?.status !== 206 || response.body.length !== 1000) throw new Error(`request ${i} answered ${response?.status}`);
        }
    } finally {
        socket.destroy();
    }
}

const server = await startServerChannel({ idleTimeoutMs: 60_000 });
try {
    const path = `/video?key=${encodeURIComponent(VIDEO_KEY)}`;
    for (const connections of [1, 8]) {
        const started = performance.now();
        await Promise.all(Array.from({ length: connections }, () => keepAliveRequests(server.videoPort, REQUESTS / connections, path)));
        const seconds = (performance.now() - started) / 1000;
        emit({
            bench: `server.smallCached.keepAlive.${connections}conn`,
            unit: "req/s",
            value: Number((REQUESTS / seconds).toFixed(1)),
            requests: REQUESTS,
            where: "simulator+bridge",
        });
    }
    const socket = await connect(server.videoPort);
    try {
        const expected = server.source[LARGE_KEY]!;
        const started = performance.now();
        const responses = readResponses(socket, 1, 300_000);
        socket.write(requestText(`/video?key=${encodeURIComponent(LARGE_KEY)}`));
        const [response] = await responses;
        const seconds = (performance.now() - started) / 1000;
        if (!response?.body.equals(expected)) throw new Error("the large body differs from the source");
        emit({
            bench: "server.largeCached.throughput",
            unit: "MB/s",
            value: Number((expected.length / 1024 / 1024 / seconds).toFixed(2)),
            bytes: expected.length,
            where: "simulator+bridge",
        });
    } finally {
        socket.destroy();
    }
} finally {
    await server.close();
}
