/**
 * The SABR endpoint, `POST …/videoplayback?sabr=1&ei=<session>&rn=<n>`: from the HTTP request
 * to the UMP body on the socket, and what the session learns from what was delivered.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { checkArrival, checkHttp } from "./checks.ts";
import { runEffects } from "./fault-effects.ts";
import type { FaultSwitch } from "./fault-switch.ts";
import { HttpAnswer, json, readBody } from "./http-helpers.ts";
import type { FormatModel, Title } from "./media-model.ts";
import type { LogEntry } from "./request-log.ts";
import { answerRequest } from "./sabr-answer.ts";
import { findFormat, pairKey } from "./sabr-request.ts";
import { deadReason, noteArrival, noteEndOfPair, recordDelivery, type SessionStore } from "./session.ts";
import { newTurn, type AnswerOptions, type Turn } from "./turn.ts";
import { writeBody, type HeldResponses, type WriteOptions } from "./body-writer.ts";
import { serializeParts, toHex } from "./wire.ts";
import type { PoTokenAuthority } from "./po-tokens.ts";

export interface SabrEndpoint {
    titles: Map<string, Title>;
    sessions: SessionStore;
    faults: FaultSwitch;
    held: HeldResponses;
    poTokens: PoTokenAuthority;
    options: AnswerOptions & WriteOptions & { maxBodyBytes: number };
}

/** Answers one request, plain HTTP answers (403s, F16's statuses) included. */
export async function handleVideoplayback(
    o: SabrEndpoint,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    entry: LogEntry,
): Promise<void> {
    try {
        await answerSabr(o, req, res, url, entry);
    } catch (e) {
        if (!(e instanceof HttpAnswer)) throw e;
        entry.status = e.status;
        entry.outcome = `http-${e.status}${e.headers["X-Origin-Reason"] ? `:${e.headers["X-Origin-Reason"]}` : ""}`;
        if (!res.headersSent) {
            res.writeHead(e.status, { "Content-Length": String(Buffer.byteLength(e.body)), ...e.headers });
            res.end(e.body);
        }
    }
}

async function answerSabr(o: SabrEndpoint, req: IncomingMessage, res: ServerResponse, url: URL, entry: LogEntry): Promise<void> {
    const rnText = url.searchParams.get("rn");
    const rn = rnText !== null && /^\d+$/.test(rnText) ? Number(rnText) : undefined;
    entry.rn = rn;
    if (req.method !== "POST") {
        entry.status = 405;
        entry.outcome = "method-not-allowed";
        res.setHeader("Allow", "POST, OPTIONS");
        json(res, 405, { error: "method not allowed: use POST with a VideoPlaybackAbrRequest body" });
        return;
    }
    const body = await readBody(req, o.options.maxBodyBytes);
    if (body === "too-large") {
        entry.status = 413;
        entry.outcome = "body-too-large";
        res.setHeader("Connection", "close");
        json(res, 413, { error: `request body larger than ${o.options.maxBodyBytes} bytes` });
        return;
    }
    entry.bodyHex = body.length <= 4096 ? toHex(body) : `${toHex(body.subarray(0, 4096))}...`;
    const t = arrive(o, req, res, url, entry, rn);
    if (runEffects(t, "arrive") === "reset") {
        req.socket.destroy();
        return;
    }
    answerRequest(t, body);
    runEffects(t, "edit");
    await transmit(o, t, req, res);
}

/** The session this request belongs to, checked and counted, and the faults that fire for it. */
function arrive(o: SabrEndpoint, req: IncomingMessage, res: ServerResponse, url: URL, entry: LogEntry, rn: number | undefined): Turn {
    const ei = url.searchParams.get("ei") ?? "";
    const s = o.sessions.get(ei);
    entry.session = ei || undefined;
    checkHttp(entry, url, req);
    if (!s) throw new HttpAnswer(403, "", { "X-Origin-Reason": "unknown-session" });
    s.requests++;
    entry.nth = s.requests;
    checkArrival(entry, s, url, rn);
    noteArrival(s, rn);
    // Selected before the 403s below, so `@nth=`/`@times=` count requests to a dead URL too.
    const faults = o.faults.select(rn, s.requests);
    entry.faults = faults.map((f) => f.profile);
    res.setHeader("X-Origin-Faults", entry.faults.join(",") || "none");
    const dead = deadReason(s, url.pathname, url.searchParams.get("n"));
    if (dead) throw new HttpAnswer(403, "", { "X-Origin-Reason": dead });
    return newTurn({
        session: s,
        sessions: o.sessions,
        title: o.titles.get(s.videoId)!,
        entry,
        rn,
        seed: o.faults.seed,
        faults,
        options: o.options,
        poTokens: o.poTokens,
    });
}

/** Serializes the parts, writes them as the transport faults say, and records what was delivered. */
async function transmit(o: SabrEndpoint, t: Turn, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { entry, session: s } = t;
    t.wire = serializeParts(t.parts);
    entry.parts = t.parts.map((p) => ({ type: p.type, size: p.payload.length, label: p.label }));
    entry.bytesPlanned = t.wire.body.length;
    runEffects(t, "transmit");
    const partEnds = t.wire.offsets.map((off, i) => off.payload + t.parts[i]!.payload.length);
    const written = await writeBody(req, res, entry, { bytes: t.wire.body, parts: t.parts, partEnds }, t.transport, o.held, o.options);
    entry.bytesWritten = written;
    entry.delivered = recordDelivery(s, t.parts, partEnds, written);
    if (t.request) noteEndOfPair(s, pairKey(t.request), requestedFormats(t));
    s.lastResponseEnd = Date.now();
}

/** The audio and video formats the request asked for (not F21's switched one). */
function requestedFormats(t: Turn): FormatModel[] {
    const r = t.request!.raw;
    return [findFormat(t.title, r.preferredAudioFormatIds[0]), findFormat(t.title, r.preferredVideoFormatIds[0])].filter(
        (f): f is FormatModel => !!f,
    );
}
