// @ts-check
// Relay worker of the bridge's fast transport (started by brs-bridge-page.js). Each engine worker
// owns a SharedArrayBuffer channel: it writes a call and blocks in Atomics.wait; the relay sees the
// call with Atomics.waitAsync, forwards it on one WebSocket to Node (/bridge/ws), writes the answer
// back (in chunks when it is bigger than the channel) and notifies. The channel's layout and
// states are in the protocol table (tools/bridge/protocol.ts), loaded first.
"use strict";
importScripts("./brs-bridge-protocol.js");
const PROTOCOL = /** @type {BridgeProtocol} */ (globalThis.brsBridgeProtocol);
const { word: WORD, state: STATE } = PROTOCOL.channel;

/**
 * One engine worker's channel, as the relay serves it.
 * @typedef {object} Channel
 * @property {number} id the page's id for it
 * @property {Int32Array} control
 * @property {Uint8Array} data
 * @property {number} request id of the call being answered (0: none)
 * @property {Uint8Array | null} answer what is left to write back
 * @property {number} sent bytes of `answer` written so far
 * @property {boolean} released its worker is gone
 */

/** @type {Map<number, Channel>} */
const channels = new Map();
/** @type {Map<number, Channel>} request id → channel */
const pending = new Map();
/** @type {Uint8Array[]} frames sent before the WebSocket opened */
const queued = [];
let nextRequest = 1;
let open = false;
let failure = "";

const socket = new WebSocket(new URL(PROTOCOL.paths.webSocket, self.location.href).href.replace(/^http/, "ws"));
socket.binaryType = "arraybuffer";
socket.onopen = () => {
    open = true;
    for (const frame of queued.splice(0)) socket.send(frame);
};
socket.onclose = (/** @type {CloseEvent} */ event) => {
    open = false;
    failure = `the bridge WebSocket closed (code ${event.code}${event.reason ? `, ${event.reason}` : ""})`;
    for (const channel of pending.values()) fail(channel, failure);
    pending.clear();
    queued.length = 0;
};
socket.onmessage = (/** @type {MessageEvent} */ event) => {
    const frame = event.data;
    if (!(frame instanceof ArrayBuffer) || frame.byteLength < 12) return;
    const id = new DataView(frame).getUint32(0, true);
    const channel = pending.get(id);
    pending.delete(id);
    if (!channel || channel.request !== id || channel.released) return;
    channel.answer = new Uint8Array(frame, 4);
    channel.sent = 0;
    writeChunk(channel);
};

/** From the page: `{ channel, id }` for a new engine worker, `{ release: id }` when it ends. */
self.onmessage = (event) => {
    const message = event.data;
    if (message && message.channel instanceof SharedArrayBuffer) {
        const buffer = message.channel;
        /** @type {Channel} */
        const channel = {
            id: message.id,
            control: new Int32Array(buffer, 0, PROTOCOL.channel.controlWords),
            data: new Uint8Array(buffer, PROTOCOL.channel.dataOffset),
            request: 0,
            answer: null,
            sent: 0,
            released: false,
        };
        channels.set(channel.id, channel);
        Atomics.store(channel.control, WORD.served, 1);
        Atomics.notify(channel.control, WORD.served);
        serve(channel);
    } else if (message && message.release) {
        const channel = channels.get(message.release);
        if (channel) channel.released = true;
        channels.delete(message.release);
    }
};

/**
 * Serves one channel until its worker is gone: forwards each request, writes each next chunk.
 * @param {Channel} channel
 */
async function serve(channel) {
    const control = channel.control;
    while (!channel.released) {
        let state = Atomics.load(control, WORD.state);
        if (state === STATE.request && channel.request === 0 && !channel.answer) {
            forward(channel); // the answer (or a failure) is stored later, with a notify
        } else if (state === STATE.more && channel.answer) {
            writeChunk(channel);
            state = STATE.answer; // what was just stored: the worker may already have taken it and asked for MORE again
        }
        // Wait on the last state seen or stored: a change since then (even one whose notify came
        // before this wait) returns at once. Only the relay stores ANSWER/ERROR, so no A-B-A here.
        const waited = Atomics.waitAsync(control, WORD.state, state);
        if (waited.async) await waited.value;
    }
}

/** @param {Channel} channel */
function forward(channel) {
    const length = channel.control[WORD.length] ?? 0;
    const frame = new Uint8Array(4 + length);
    const id = nextRequest++;
    new DataView(frame.buffer).setUint32(0, id, true);
    frame.set(channel.data.subarray(0, length), 4);
    channel.request = id;
    if (failure) return fail(channel, failure);
    pending.set(id, channel);
    if (open) socket.send(frame);
    else queued.push(frame);
}

/** @param {Channel} channel */
function writeChunk(channel) {
    const answer = /** @type {Uint8Array} */ (channel.answer);
    const n = Math.min(channel.data.length, answer.length - channel.sent);
    channel.data.set(answer.subarray(channel.sent, channel.sent + n));
    channel.sent += n;
    channel.control[WORD.length] = n;
    channel.control[WORD.total] = answer.length;
    if (channel.sent >= answer.length) {
        channel.answer = null;
        channel.request = 0;
    }
    Atomics.store(channel.control, WORD.state, STATE.answer);
    Atomics.notify(channel.control, WORD.state);
}

/**
 * @param {Channel} channel
 * @param {string} reason
 */
function fail(channel, reason) {
    const bytes = new TextEncoder().encode(reason).subarray(0, channel.data.length);
    channel.data.set(bytes);
    channel.control[WORD.length] = bytes.length;
    channel.answer = null;
    channel.request = 0;
    Atomics.store(channel.control, WORD.state, STATE.error);
    Atomics.notify(channel.control, WORD.state);
}
