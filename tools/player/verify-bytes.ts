// Checks the media bodies a player captured (`captureBodies`) against the source files, each
// response on its own: the representation comes from the URL's `key` (`<itag>:<xtags>:<scope>`),
// the offsets from the Range it asked for, so a body of the wrong itag or at the wrong offset is
// caught even when the player switches representations mid-title.
import { parseRangeHeader } from "../dash-client/byte-range.ts";
import type { PlayerResponse } from "./run-player.ts";

export interface ResponseVerdict {
    responses: number;
    bytesChecked: number;
    /** Ranged responses per itag. */
    byItag: Map<number, number>;
    /** One line per response that is not the source's bytes at its range. */
    mismatches: string[];
}

/** `sources`: the bytes of each itag's file, as the origin serves them. */
export function verifyResponses(sources: Map<number, Uint8Array>, responses: PlayerResponse[]): ResponseVerdict {
    const verdict: ResponseVerdict = { responses: responses.length, bytesChecked: 0, byItag: new Map(), mismatches: [] };
    for (const response of responses) {
        const key = new URL(response.url).searchParams.get("key") ?? "";
        const itag = Number(key.split(":")[0]);
        const where = `itag ${itag} ${response.range ?? "(no range)"}`;
        verdict.byItag.set(itag, (verdict.byItag.get(itag) ?? 0) + 1);
        const source = sources.get(itag);
        const range = parseRangeHeader(response.range);
        if (!source) verdict.mismatches.push(`${where}: no source for key "${key}" (${response.url})`);
        else if (response.status !== 206) verdict.mismatches.push(`${where}: status ${response.status}`);
        else if (!range) verdict.mismatches.push(`${where}: not a bytes=S-E range`);
        else {
            const expected = source.subarray(range.start, range.end + 1);
            const at = firstDifference(response.body, expected);
            if (at >= 0)
                verdict.mismatches.push(
                    `${where}: ${response.body.length} bytes for ${expected.length}, first difference at file offset ${range.start + at}`,
                );
            verdict.bytesChecked += response.body.length;
        }
    }
    return verdict;
}

/** Index of the first differing byte (a length difference counts at the shorter length); -1 when equal. */
function firstDifference(actual: Uint8Array, expected: Uint8Array): number {
    if (Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(expected)) return -1;
    const n = Math.min(actual.length, expected.length);
    for (let i = 0; i < n; i++) if (actual[i] !== expected[i]) return i;
    return n;
}
