// ISO 8601 durations as DASH manifests write them (mediaPresentationDuration, Period@start).

/** `PT1H2M3.456S` (and `P1DT…`) in integer ms; undefined when absent, throws when malformed. */
export function parseIsoDurationMs(value: string | undefined): number | undefined {
    if (value === undefined) return undefined;
    const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d*))?S)?)?$/.exec(value.trim());
    if (!m) throw new Error(`bad ISO 8601 duration '${value}'`);
    const n = (s: string | undefined): number => (s ? Number(s) : 0);
    // Milliseconds: the first three fraction digits, right-padded.
    const fraction = Number((m[5] ?? "").padEnd(3, "0").slice(0, 3));
    return ((n(m[1]) * 24 + n(m[2])) * 60 + n(m[3])) * 60_000 + n(m[4]) * 1000 + fraction;
}
