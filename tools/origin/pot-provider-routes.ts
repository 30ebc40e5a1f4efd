/**
 * A stand-in for the PO-token provider server many yt-dlp users run (bgutil-ytdlp-pot-provider's
 * HTTP server, default port 4416), speaking its protocol so the companion's `--pot-provider`
 * can be tested against it:
 *
 *   GET  /ping      {"server_uptime": <s>, "version": "...", "token_ttl_hours": <h>}
 *   POST /get_pot   {"content_binding": "<video id>", ...}  ->  {"poToken", "contentBinding", "expiresAt"}
 *
 * `expiresAt` is an ISO date string, as that server serialises its `Date`. The other request
 * fields (`proxy`, `bypass_cache`, `source_address`, `disable_tls_verification`, `challenge`,
 * `innertube_context`) are accepted and ignored; the deprecated `data_sync_id`, `visitor_data`
 * and `disable_innertube` are refused with 400 as that server refuses them. Unlike it, a
 * missing `content_binding` is refused (400): the tokens here are only ever checked against a
 * video id. `?ttl=<seconds>` on `/get_pot` mints a token with another lifetime (tests: short
 * or already expired tokens). Errors answer `{"error": "..."}`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { json, readBody } from "./http-helpers.ts";
import type { PoTokenAuthority } from "./po-tokens.ts";
import type { LogEntry } from "./request-log.ts";

const STARTED = Date.now();
const DEPRECATED = ["data_sync_id", "visitor_data", "disable_innertube"];

export function handlePing(poTokens: PoTokenAuthority, res: ServerResponse, entry: LogEntry): void {
    entry.status = 200;
    entry.outcome = "pot-ping";
    json(res, 200, {
        server_uptime: (Date.now() - STARTED) / 1000,
        version: "ytsabr-origin",
        token_ttl_hours: poTokens.ttlMs / 3_600_000,
    });
}

export async function handleGetPot(
    poTokens: PoTokenAuthority,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    entry: LogEntry,
): Promise<void> {
    const refuse = (status: number, error: string): void => {
        entry.status = status;
        entry.outcome = `pot-refused: ${error}`;
        json(res, status, { error });
    };
    if (req.method !== "POST") {
        res.setHeader("Allow", "POST, OPTIONS");
        refuse(405, "use POST");
        return;
    }
    const body = await readBody(req, 64 * 1024);
    let request: Record<string, unknown>;
    try {
        if (body === "too-large") throw new Error("body too large");
        request = JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>;
    } catch (e) {
        refuse(400, `bad JSON body: ${(e as Error).message}`);
        return;
    }
    const deprecated = DEPRECATED.find((k) => request[k]);
    if (deprecated) return refuse(400, `${deprecated} is deprecated, use content_binding instead`);
    const binding = request.content_binding;
    if (typeof binding !== "string" || !binding) return refuse(400, "content_binding (a video id) is required by this stand-in");
    const ttl = url.searchParams.get("ttl");
    if (ttl !== null && !(Number(ttl) >= 0)) return refuse(400, `ttl must be a number of seconds >= 0: ${ttl}`);
    let minted;
    try {
        minted = poTokens.mint(binding, ttl === null ? undefined : Number(ttl) * 1000);
    } catch (e) {
        return refuse(400, (e as Error).message);
    }
    entry.status = 200;
    entry.outcome = `pot-minted:${binding}`;
    json(res, 200, {
        poToken: minted.poToken,
        contentBinding: minted.contentBinding,
        expiresAt: new Date(minted.expiresAtMs).toISOString(),
    });
}
