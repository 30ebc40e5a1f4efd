/**
 * Faults that exercise SABR contexts (docs/sabr-protocol.md §7.4): F18's ad gate, F19's write
 * policies and F20's sending policies. The session remembers what the client was told to hold
 * and send, which is what contextsEchoed checks.
 */
import { randomBytes } from "node:crypto";
import { SabrContextUpdate, UMPPartId } from "googlevideo/protos";
import type { ActiveFault } from "./faults.ts";
import { addNote } from "./request-log.ts";
import type { Turn } from "./turn.ts";
import { PbWriter, bytesEqual, type WirePart } from "./wire.ts";

const contextUpdate = (fields: Parameters<typeof SabrContextUpdate.encode>[0], label: string): WirePart => ({
    type: UMPPartId.SABR_CONTEXT_UPDATE,
    payload: SabrContextUpdate.encode(fields).finish(),
    label,
});

/** F18's gate stays closed until a request echoes its context no sooner than the backoff asked. */
export function checkAdGate(t: Turn): void {
    const gate = t.session.adGate;
    if (!gate || gate.passed) return;
    const sent = new Map(t.request!.contexts.map((c) => [c.type, c.value]));
    const echoed = bytesEqual(sent.get(5), gate.value);
    if (echoed && Date.now() >= gate.notBefore - 20) {
        gate.passed = true;
        return;
    }
    t.withhold = true;
    t.backoffMs = Math.max(0, gate.notBefore - Date.now());
    addNote(t.entry, `ad gate closed (echoed=${echoed})`);
}

export function openAdGate(t: Turn, f: ActiveFault): void {
    const s = t.session;
    if (s.adGate) return;
    const wait = Number(f.params.backoff ?? 2000) || 2000;
    const value = new PbWriter().message(1, new PbWriter().uint(1, Date.now()).uint(2, 15000)).bytes(2, randomBytes(8)).finish();
    s.adGate = { value, notBefore: Date.now() + wait, passed: false };
    s.storedCtx.set(5, value);
    s.activeCtx.add(5);
    t.control.push(contextUpdate({ type: 5, scope: 4, value, sendByDefault: true, writePolicy: 1 }, "ctx-update:5"));
    t.backoffMs = wait;
    t.withhold = true;
}

export function contextWritePolicy(t: Turn, f: ActiveFault): void {
    const s = t.session;
    const mode = f.params.mode ?? "keep";
    const first = Uint8Array.from(Buffer.from("ctx6-first"));
    const second = Uint8Array.from(Buffer.from("ctx6-second"));
    if (mode === "keep") {
        t.control.push(contextUpdate({ type: 6, scope: 1, value: first, sendByDefault: true, writePolicy: 1 }, "ctx-update:6:overwrite"));
        t.control.push(
            contextUpdate({ type: 6, scope: 1, value: second, sendByDefault: true, writePolicy: 2 }, "ctx-update:6:keep-existing"),
        );
        if (!s.storedCtx.has(6)) s.storedCtx.set(6, first);
    } else if (mode === "unspecified") {
        t.control.push(contextUpdate({ type: 6, scope: 1, value: second, sendByDefault: true }, "ctx-update:6:unspecified"));
        s.storedCtx.set(6, second);
    } else {
        // Hand-encoded: an update with an empty value, which a client ignores.
        t.control.push({
            type: UMPPartId.SABR_CONTEXT_UPDATE,
            payload: new PbWriter().uint(1, 8).uint(2, 1).bytes(3, new Uint8Array()).bool(4, true).uint(5, 1).finish(),
            label: "ctx-update:8:empty",
        });
        s.mustNotSend.add(8);
    }
    if (mode !== "empty") s.activeCtx.add(6);
}

export function contextSendingPolicy(t: Turn, f: ActiveFault): void {
    const s = t.session;
    const action = f.params.action ?? "start";
    const value = Uint8Array.from(Buffer.from("ctx7"));
    if (!s.storedCtx.has(7)) {
        t.control.push(contextUpdate({ type: 7, scope: 1, value, sendByDefault: action !== "start", writePolicy: 1 }, "ctx-update:7"));
        s.storedCtx.set(7, value);
    }
    const field = action === "start" ? 1 : action === "stop" ? 2 : 3;
    const w = new PbWriter();
    if (f.params.encoding === "packed") w.packed(field, [7]);
    else w.unpacked(field, [7]);
    t.control.push({
        type: UMPPartId.SABR_CONTEXT_SENDING_POLICY,
        payload: w.finish(),
        label: `ctx-policy:${action}:7:${f.params.encoding}`,
    });
    if (action === "start") {
        s.activeCtx.add(7);
        s.mustNotSend.delete(7);
    } else {
        s.activeCtx.delete(7);
        s.mustNotSend.add(7);
        if (action === "discard") s.storedCtx.delete(7);
    }
}
