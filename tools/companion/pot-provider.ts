/**
 * `--pot-provider <url>`: PO tokens from a provider server speaking the protocol of
 * bgutil-ytdlp-pot-provider's HTTP server (the one many yt-dlp users already run, default
 * http://127.0.0.1:4416): `POST /get_pot {"content_binding": "<videoId>", "bypass_cache": bool}`
 * → `{"poToken", "contentBinding", "expiresAt"}` (an ISO date there; unix ms is accepted too),
 * errors as `{"error": "..."}`.
 */
import type { PoToken, PoTokenSource } from "./po-token-cache.ts";
import { poTokenRefusal } from "./refusals.ts";
import type { FetchLike } from "./youtube.ts";

/** bgutil's own yt-dlp plugin waits 12.5 s for a token; a little more, and never forever. */
const TIMEOUT_MS = 15_000;

export function providerTokens(baseUrl: string, fetchImpl: FetchLike = fetch): PoTokenSource {
    const base = baseUrl.replace(/\/+$/, "");
    const tryThis = `check that the provider runs and answers GET ${base}/ping, or leave out --pot-provider to mint tokens with BotGuard.`;
    const fail = (what: string): Error => poTokenRefusal(`The PO-token provider at ${base} ${what}.`, tryThis);
    return {
        async token(videoId: string, renew: boolean): Promise<PoToken> {
            let res: Response;
            try {
                res = await fetchImpl(`${base}/get_pot`, {
                    method: "POST",
                    headers: { "Content-Type": "application/json" },
                    body: JSON.stringify({ content_binding: videoId, bypass_cache: renew }),
                    signal: AbortSignal.timeout(TIMEOUT_MS),
                });
            } catch (e) {
                throw fail(`could not be reached (${String((e as Error).message ?? e)})`);
            }
            let body: { poToken?: unknown; contentBinding?: unknown; expiresAt?: unknown; error?: unknown };
            try {
                body = (await res.json()) as typeof body;
            } catch {
                throw fail(`answered ${res.status} without JSON`);
            }
            if (!res.ok || body.error !== undefined) throw fail(`answered ${res.status}: ${String(body.error ?? "no error text")}`);
            if (typeof body.poToken !== "string" || !body.poToken) throw fail("answered without a poToken");
            if (body.contentBinding !== undefined && body.contentBinding !== videoId)
                throw fail(`bound its token to ${JSON.stringify(body.contentBinding)} instead of ${videoId}`);
            const expiresAt = typeof body.expiresAt === "number" ? body.expiresAt : Date.parse(String(body.expiresAt));
            if (!Number.isFinite(expiresAt)) throw fail(`answered an expiresAt that is not a date: ${JSON.stringify(body.expiresAt)}`);
            return { poToken: body.poToken, expiresAt, source: "provider" };
        },
    };
}
