/**
 * Faults on the UMP bytes rather than on what they say: unknown parts and non-shortest varints
 * (F3), a body that ends without MEDIA_END (F5), a reset mid-media (F4) and reads split at
 * awkward places (F1).
 */
import { UMPPartId } from "googlevideo/protos";
import { makeRng, type ActiveFault } from "./faults.ts";
import { addNote } from "./request-log.ts";
import type { Turn } from "./turn.ts";
import type { WirePart } from "./wire.ts";

export function unknownParts(t: Turn): void {
    const extra: WirePart[] = [
        { type: 66, payload: Uint8Array.of(1, 2, 3), label: "unknown:66" },
        { type: 68, payload: new Uint8Array(), label: "unknown:68:empty" },
        { type: 69, payload: Uint8Array.of(0), label: "unknown:69" },
        { type: 70, payload: new Uint8Array(), label: "unknown:70:empty" },
        { type: 71, payload: Uint8Array.of(8, 1), label: "unknown:71" },
        { type: 72, payload: new Uint8Array(), label: "unknown:72:empty" },
        { type: 200, payload: Uint8Array.of(0xde, 0xad), label: "unknown:200" },
    ];
    t.parts.splice(Math.min(t.parts.length, 3), 0, ...extra);
    // Non-shortest size varints: every MEDIA_END and the first FIM.
    for (const p of t.parts) if (p.type === UMPPartId.MEDIA_END) p.sizeWidth = 5;
    const fim = t.parts.find((p) => p.type === UMPPartId.FORMAT_INITIALIZATION_METADATA);
    if (fim) fim.sizeWidth = 5;
    t.parts.push({ type: 0, payload: new Uint8Array(), label: "unknown:0:empty" });
}

/** Cut after the first MEDIA part of a segment with more than one MEDIA part. */
export function endWithoutMediaEnd(t: Turn): void {
    const parts = t.parts;
    const counts = new Map<string, number>();
    for (const p of parts) if (p.type === UMPPartId.MEDIA && p.label) counts.set(p.label, (counts.get(p.label) ?? 0) + 1);
    const idx = parts.findIndex((p) => p.type === UMPPartId.MEDIA && (counts.get(p.label ?? "") ?? 0) > 1);
    const cut = idx >= 0 ? idx + 1 : parts.findIndex((p) => p.type === UMPPartId.MEDIA) + 1;
    if (cut <= 0) return;
    parts.length = cut;
    addNote(t.entry, `ended after part ${cut - 1} (${parts[cut - 1]?.label})`);
}

export function resetMidMedia(t: Turn, f: ActiveFault): void {
    const { offsets } = t.wire!;
    const media = t.parts.map((p, i) => ({ p, i })).filter((x) => x.p.type === UMPPartId.MEDIA);
    const pick =
        f.params.part === "middle" || !f.params.part
            ? media[Math.floor(media.length / 2)]
            : media[Math.min(media.length - 1, Number(f.params.part))];
    if (!pick) return;
    t.transport.cutAt = offsets[pick.i]!.payload + Math.max(1, Math.floor(pick.p.payload.length / 2));
}

/** Boundaries after each type varint, inside and after each size varint of the first parts, plus seeded random ones. */
export function chunkSplit(t: Turn, f: ActiveFault): void {
    const { body, offsets } = t.wire!;
    const rng = makeRng(t.seed ^ (t.rn ?? 0) ^ 0x5eed);
    const b = new Set<number>();
    const n = Math.min(offsets.length, Number(f.params.parts) || 12);
    for (let i = 0; i < n; i++) {
        const o = offsets[i]!;
        b.add(o.sizeAt);
        for (let k = o.sizeAt + 1; k < o.payload; k++) b.add(k);
        b.add(o.payload);
        if (o.header > 0) b.add(o.header);
    }
    const randomN = Number(f.params.random) || 40;
    for (let i = 0; i < randomN; i++) b.add(1 + Math.floor(rng() * (body.length - 1)));
    // A few 1-byte slices.
    for (let i = 0; i < 8; i++) {
        const x = 1 + Math.floor(rng() * (body.length - 2));
        b.add(x);
        b.add(x + 1);
    }
    t.transport.slices = [...b].filter((x) => x > 0 && x < body.length).sort((x, y) => x - y);
    t.transport.gapMs = Number(f.params.gapMs) || 2;
    t.entry.slices = t.transport.slices;
}
