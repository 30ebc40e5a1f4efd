/**
 * `GET /manifest/<videoId>.mpd?variant=single|multi|unscoped[&expire=s][&reload=token][&numbers=1|0]`:
 * a DASH manifest whose payload opens a new SABR session (one per Period for `multi`).
 */
import type { ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import { json } from "./http-helpers.ts";
import {
    adaptiveFormat,
    encodePayload,
    payloadInteger,
    renderMpd,
    splitPoint,
    type ManifestVariant,
    type PeriodSpec,
    type SabrPayload,
} from "./manifest.ts";
import type { Title } from "./media-model.ts";
import type { LogEntry } from "./request-log.ts";
import type { Session, SessionStore } from "./session.ts";

export interface ManifestRoute {
    titles: Map<string, Title>;
    sessions: SessionStore;
    expireSeconds: number;
    numericPayload?: boolean;
}

const VARIANTS: ManifestVariant[] = ["single", "multi", "unscoped"];

export function handleManifest(o: ManifestRoute, url: URL, res: ServerResponse, entry: LogEntry): void {
    const videoId = /^\/manifest\/([^/]+)\.mpd$/.exec(url.pathname)?.[1] ?? "";
    const title = o.titles.get(videoId);
    if (!title) {
        entry.status = 404;
        entry.outcome = "unknown-video";
        json(res, 404, { error: "unknown videoId", videoIds: [...o.titles.keys()] });
        return;
    }
    const variant = (url.searchParams.get("variant") ?? "single") as ManifestVariant;
    if (!VARIANTS.includes(variant)) {
        entry.status = 400;
        entry.outcome = "bad-variant";
        json(res, 400, { error: "variant must be single, multi or unscoped" });
        return;
    }
    const expireSeconds = Number(url.searchParams.get("expire") ?? o.expireSeconds);
    const numbersParam = url.searchParams.get("numbers");
    const numbers = numbersParam === null ? !!o.numericPayload : numbersParam !== "0" && numbersParam !== "false";
    const root = o.sessions.create(videoId, expireSeconds, reloaded(o, url, entry));
    entry.session = root.ei;
    const payload = (s: Session): string => payloadFor(o.sessions, title, s, numbers);
    const rootPayload = payload(root);
    let periods: PeriodSpec[];
    if (variant === "multi") {
        const split = splitPoint(title);
        const a = o.sessions.create(videoId, expireSeconds);
        const b = o.sessions.create(videoId, expireSeconds);
        periods = [
            { id: "content-0", startMs: 0, durationMs: split, ptoMs: 0, scope: "content-0", payload: payload(a) },
            {
                id: "content-1",
                startMs: split,
                durationMs: title.durationMs - split,
                ptoMs: split,
                scope: "content-1",
                payload: payload(b),
            },
        ];
        entry.notes = [...(entry.notes ?? []), `period sessions ${a.ei} ${b.ei}`];
    } else if (variant === "unscoped") {
        periods = [{ id: "content-0", startMs: 0, durationMs: title.durationMs, ptoMs: 0 }];
    } else {
        periods = [{ id: "content-0", startMs: 0, durationMs: title.durationMs, ptoMs: 0, scope: "root" }];
    }
    const body = renderMpd(title, periods, rootPayload);
    entry.status = 200;
    entry.outcome = `manifest:${variant}`;
    res.writeHead(200, { "Content-Type": "application/dash+xml", "Cache-Control": "no-store", "X-Origin-Session": root.ei });
    res.end(body);
}

/** `?reload=<token>` (after F14): the session the new one continues, when the token is known. */
function reloaded(o: ManifestRoute, url: URL, entry: LogEntry): Session | undefined {
    const token = url.searchParams.get("reload");
    if (!token) return undefined;
    const inherit = o.sessions.byReload(token);
    entry.notes = [inherit ? `reload of session ${inherit.ei}` : `unknown reload token ${token}`];
    return inherit;
}

/** The base64 JSON player payload a manifest carries for one session. */
function payloadFor(sessions: SessionStore, title: Title, s: Session, numbers: boolean): string {
    const p: SabrPayload = {
        expiresInSeconds: payloadInteger(s.expire - Math.floor(Date.now() / 1000), numbers),
        formats: [],
        adaptiveFormats: title.formats.map((f) => adaptiveFormat(f, numbers)),
        serverAbrStreamingUrl: sessions.streamingUrl(s),
        hlsFormats: [],
        ustreamerConfig: Buffer.from(s.config).toString("base64url"),
        clientInfo: { ...s.clientInfo },
        poToken: randomBytes(99).toString("base64url"),
    };
    return encodePayload(p);
}
