// What a correct answer to `Range: bytes=S-E` looks like: 206, a Content-Range naming exactly S-E
// and the representation's real length, and a body of E-S+1 bytes.
import type { RequestRecord } from "./report.ts";

/**
 * Problems of the response recorded in `record` (empty when correct); also stores the parsed
 * Content-Range in `record.contentRange`. `knownTotal` is the representation's length once known.
 */
export function checkRangeResponse(record: RequestRecord, bodyLength: number, knownTotal: number | undefined): string[] {
    const problems: string[] = [];
    const { start, end } = record.range;
    if (record.status !== 206) problems.push(`status ${record.status}, expected 206`);
    problems.push(...checkContentRange(record, knownTotal));
    const cl = record.headers["content-length"];
    if (cl === undefined) problems.push("no Content-Length");
    else if (Number(cl) !== bodyLength) problems.push(`Content-Length ${cl} but ${bodyLength} body bytes`);
    if (bodyLength !== end - start + 1) problems.push(`${bodyLength} body bytes for a ${end - start + 1}-byte range`);
    return problems;
}

function checkContentRange(record: RequestRecord, knownTotal: number | undefined): string[] {
    const { start, end } = record.range;
    const cr = record.headers["content-range"];
    const m = typeof cr === "string" ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr.trim()) : null;
    if (!m) return [`Content-Range '${cr ?? ""}' is not 'bytes S-E/TOTAL'`];
    const got = { start: Number(m[1]), end: Number(m[2]), total: m[3] === "*" ? null : Number(m[3]) };
    record.contentRange = got;
    const problems: string[] = [];
    if (got.start !== start || got.end !== end)
        problems.push(`Content-Range ${got.start}-${got.end} does not match the requested ${start}-${end}`);
    if (got.total === null) problems.push("Content-Range total is '*'");
    else if (knownTotal !== undefined && got.total !== knownTotal)
        problems.push(`Content-Range total ${got.total} differs from the representation length ${knownTotal}`);
    else if (got.total <= got.end) problems.push(`Content-Range total ${got.total} is not past the end ${got.end}`);
    return problems;
}
