/**
 * The origin's own endpoints, for people and tests rather than SABR clients: the index, the
 * request log, the fault switch, the F16 hold release and the raw source files.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { HeldResponses } from "./body-writer.ts";
import type { FaultSwitch } from "./fault-switch.ts";
import { FAULTS } from "./faults.ts";
import { json, readBody } from "./http-helpers.ts";
import type { Title } from "./media-model.ts";
import type { LogEntry, RequestLog } from "./request-log.ts";

export interface AdminRoutes {
    titles: Map<string, Title>;
    faults: FaultSwitch;
    log: RequestLog;
    held: HeldResponses;
    baseUrl(): string;
}

/** GET / (and /__index): titles with their manifest URLs, the fault catalogue, the faults on. */
export function handleIndex(o: AdminRoutes, res: ServerResponse, entry: LogEntry): void {
    entry.status = 200;
    entry.outcome = "index";
    json(res, 200, {
        titles: [...o.titles.values()].map((t) => ({
            videoId: t.videoId,
            durationMs: t.durationMs,
            manifests: ["single", "multi", "unscoped"].map((v) => `${o.baseUrl()}/manifest/${t.videoId}.mpd?variant=${v}`),
            itags: t.formats.map((f) => f.itag),
        })),
        faults: Object.values(FAULTS).map((f) => ({ name: f.name, title: f.title, params: f.params, expect: f.expect })),
        activeFaults: o.faults.describe(),
    });
}

/** GET /__log[?since=id], DELETE /__log. */
export function handleLog(o: AdminRoutes, req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.method === "DELETE") {
        o.log.clear();
        res.writeHead(204);
        res.end();
        return;
    }
    json(res, 200, o.log.since(Number(url.searchParams.get("since") ?? 0)));
}

/** POST /__release: every response F16 mode=hold is holding goes on. */
export function handleRelease(o: AdminRoutes, req: IncomingMessage, res: ServerResponse, entry: LogEntry): void {
    if (req.method !== "POST") {
        res.setHeader("Allow", "POST, OPTIONS");
        json(res, 405, { error: "use POST" });
        return;
    }
    const released = o.held.releaseAll();
    entry.status = 200;
    entry.outcome = `released=${released}`;
    json(res, 200, { released });
}

/** GET /__faults; POST /__faults with `F1,F6@nth=2` or `{"faults": "…", "seed": 1}`. */
export async function handleFaults(o: AdminRoutes, req: IncomingMessage, res: ServerResponse, entry: LogEntry): Promise<void> {
    if (req.method === "GET") {
        json(res, 200, { faults: o.faults.describe(), seed: o.faults.seed, rules: o.faults.current });
        return;
    }
    if (req.method !== "POST") {
        res.setHeader("Allow", "GET, POST, OPTIONS");
        json(res, 405, { error: "use GET or POST" });
        return;
    }
    const body = await readBody(req, 64 * 1024);
    try {
        if (body === "too-large") throw new Error("body too large");
        const text = body.toString("utf8").trim();
        let spec = text;
        let seed: number | undefined;
        if (text.startsWith("{")) {
            const j = JSON.parse(text) as { faults?: string; seed?: number };
            spec = j.faults ?? "";
            seed = j.seed;
        }
        o.faults.set(spec, seed);
        entry.status = 200;
        entry.outcome = `faults=${o.faults.describe() || "none"}`;
        json(res, 200, { faults: o.faults.describe(), seed: o.faults.seed });
    } catch (e) {
        entry.status = 400;
        entry.outcome = "bad-fault-spec";
        json(res, 400, { error: String((e as Error).message ?? e) });
    }
}

/** GET /__source/<videoId>/<itag>: the raw source file, with Range support. */
export function handleSource(
    o: AdminRoutes,
    req: IncomingMessage,
    res: ServerResponse,
    entry: LogEntry,
    videoId: string,
    itag: number,
): void {
    const f = o.titles.get(videoId)?.formats.find((x) => x.itag === itag);
    if (!f) {
        entry.status = 404;
        entry.outcome = "not-found";
        json(res, 404, { error: "unknown source" });
        return;
    }
    entry.status = 200;
    entry.outcome = "source";
    const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ""));
    if (range) {
        const a = Number(range[1]);
        const b = range[2] ? Math.min(Number(range[2]), f.bytes.length - 1) : f.bytes.length - 1;
        res.writeHead(206, {
            "Content-Type": f.containerMime,
            "Content-Range": `bytes ${a}-${b}/${f.bytes.length}`,
            "Content-Length": String(b - a + 1),
            "Accept-Ranges": "bytes",
        });
        res.end(f.bytes.subarray(a, b + 1));
        entry.status = 206;
        return;
    }
    res.writeHead(200, { "Content-Type": f.containerMime, "Content-Length": String(f.bytes.length), "Accept-Ranges": "bytes" });
    res.end(f.bytes);
}
