/**
 * `npm run companion -- probe <videoId>`: asks `/player` once per client and prints a table of
 * what YouTube said right now: whether the client gets SABR, whether it wants a PO token, the
 * playability status and reason, and how many default (H.264/AAC) formats the manifest would
 * carry. It is the first thing to run when playback of real videos breaks.
 *
 * "PO token wanted" is what is known of each client (WEB needs a content-bound PO token for
 * SABR; TV and WEB_EMBEDDED were reported not to in 2026): a response does not say it.
 */
import { buildManifest, NoFormatsError } from "./sabr-manifest.ts";
import { Refusal } from "./refusals.ts";
import { CLIENTS, type ClientName, type Youtube } from "./youtube.ts";

export interface ProbeRow {
    client: ClientName;
    sabr: boolean;
    poTokenWanted: boolean;
    status: string;
    reason: string;
    /** H.264 video / AAC audio formats the default manifest would carry. */
    formats: string;
    /** The refusal's cause, or `ok`. */
    outcome: string;
}

export async function probe(yt: Youtube, videoId: string, clients: ClientName[] = ["WEB", "TV", "WEB_EMBEDDED"]): Promise<ProbeRow[]> {
    const rows: ProbeRow[] = [];
    for (const client of clients) {
        const row: ProbeRow = {
            client,
            sabr: false,
            poTokenWanted: CLIENTS[client].poTokenWanted,
            status: "",
            reason: "",
            formats: "-",
            outcome: "ok",
        };
        try {
            const p = await yt.player(videoId, { client });
            row.sabr = true;
            row.status = p.playability.status;
            row.reason = p.playability.reason;
            try {
                const m = buildManifest(p);
                const v = m.formats.filter((f) => f.kind === "video").length;
                row.formats = `${v} video, ${m.formats.length - v} audio`;
            } catch (e) {
                if (!(e instanceof NoFormatsError)) throw e;
                row.formats = "none usable";
                row.outcome = "no-formats";
            }
        } catch (e) {
            if (!(e instanceof Refusal)) throw e;
            row.status = e.status ?? "";
            row.reason = e.reason ?? e.what;
            row.outcome = e.cause;
            row.sabr = false;
            if (e.cause === "bot-check") row.poTokenWanted = true;
        }
        rows.push(row);
    }
    return rows;
}

/** The table `probe` prints. */
export function probeTable(videoId: string, rows: ProbeRow[]): string {
    const head = ["client", "SABR", "PO token", "status", "outcome", "formats", "reason"];
    const cells = rows.map((r) => [
        r.client,
        r.sabr ? "yes" : "no",
        r.poTokenWanted ? "wanted" : "not wanted",
        r.status || "-",
        r.outcome,
        r.formats,
        r.reason || "-",
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
    const line = (c: string[]): string =>
        c
            .map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]!)))
            .join("  ")
            .trimEnd();
    const usable = rows.filter((r) => r.sabr && r.outcome === "ok").map((r) => r.client);
    return [
        `probe ${videoId}`,
        line(head),
        ...cells.map(line),
        usable.length
            ? `SABR from: ${usable.join(", ")}. Serve with --client ${usable[0]}.`
            : "No client gives a usable SABR session for this video right now (see outcome and reason).",
    ].join("\n");
}
