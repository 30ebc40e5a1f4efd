/**
 * The origin's request log: one entry per HTTP request (GET /__log, `OriginHandle.log()`),
 * with the assertions a SABR request was checked against (docs/sabr-protocol.md §9.4).
 */

export interface Assertion {
    name: string;
    /** null = not applicable for this request. */
    ok: boolean | null;
    detail?: string;
}

export interface LogEntry {
    id: number;
    time: number;
    method: string;
    path: string;
    session?: string;
    rn?: number;
    nth?: number;
    status: number;
    outcome: string;
    faults: string[];
    assertions: Assertion[];
    request?: unknown;
    bodyHex?: string;
    parts?: Array<{ type: number; size: number; label?: string }>;
    bytesPlanned?: number;
    bytesWritten?: number;
    delivered?: string[];
    slices?: number[];
    notes?: string[];
}

/** Old entries are dropped past this many, so a long-running origin stays bounded. */
const MAX_ENTRIES = 5000;

export class RequestLog {
    readonly entries: LogEntry[] = [];
    private nextId = 1;

    constructor(private readonly onLine?: (line: string) => void) {}

    /** A fresh entry for a request that just arrived; `add` it once the answer is known. */
    open(method: string, path: string): LogEntry {
        return { id: this.nextId++, time: Date.now(), method, path, status: 0, outcome: "", faults: [], assertions: [] };
    }

    add(e: LogEntry): void {
        this.entries.push(e);
        if (this.entries.length > MAX_ENTRIES) this.entries.shift();
        this.onLine?.(describeEntry(e));
    }

    since(id: number): LogEntry[] {
        return this.entries.filter((e) => e.id > id);
    }

    clear(): void {
        this.entries.length = 0;
    }
}

export function addNote(entry: LogEntry, note: string): void {
    entry.notes = [...(entry.notes ?? []), note];
}

/** The one-line form printed by the CLI: failed assertions are named so they stand out. */
function describeEntry(e: LogEntry): string {
    const failed = e.assertions.filter((a) => a.ok === false).map((a) => a.name);
    const path = e.path.length > 80 ? e.path.slice(0, 77) + "..." : e.path;
    return (
        `${new Date(e.time).toISOString()} #${e.id} ${e.method} ${path} -> ${e.status} ${e.outcome}` +
        `${e.rn !== undefined ? ` rn=${e.rn}` : ""}${e.faults.length ? ` faults=${e.faults.join("+")}` : ""}` +
        `${e.bytesWritten !== undefined ? ` bytes=${e.bytesWritten}` : ""}${failed.length ? ` FAILED=${failed.join(",")}` : ""}`
    );
}
