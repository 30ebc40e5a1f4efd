// Relay worker of the bridge's fast transport (started by brs-bridge-page.js). Each engine worker
// owns a SharedArrayBuffer channel: it writes a call and blocks in Atomics.wait; the relay sees the
// call with Atomics.waitAsync, forwards it on one WebSocket to Node (/bridge/ws), writes the answer
// back (in chunks when it is bigger than the channel) and notifies.
//
// Channel layout (Int32 words at the start, data from byte 64):
//   [0] state: 0 idle, 1 request (worker → relay), 2 answer chunk (relay → worker),
//       3 more (worker → relay: chunk taken, send the next), 4 error (relay → worker, data = UTF-8 reason)
//   [1] byte length of the request / chunk / reason in data
//   [2] total byte length of the answer
//   [3] 1 once the relay serves this channel (notified; the worker's first call waits for it)
// Request data: [u32 head length][head "op?query"][body]. Answer: [u32 status][u32 headers length]
// [headers JSON][body].
"use strict";
const REQUEST = 1;
const ANSWER = 2;
const MORE = 3;
const ERROR = 4;
const DATA_OFFSET = 64;

const channels = new Map();
const pending = new Map(); // request id → channel
const queued = [];
let nextRequest = 1;
let open = false;
let failure = "";

const socket = new WebSocket(new URL("/bridge/ws", self.location.href).href.replace(/^http/, "ws"));
socket.binaryType = "arraybuffer";
socket.onopen = () => {
    open = true;
    for (const frame of queued.splice(0)) socket.send(frame);
};
socket.onclose = (event) => {
    open = false;
    failure = `the bridge WebSocket closed (code ${event.code}${event.reason ? `, ${event.reason}` : ""})`;
    for (const channel of pending.values()) fail(channel, failure);
    pending.clear();
    queued.length = 0;
};
socket.onmessage = (event) => {
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

self.onmessage = (event) => {
    const message = event.data;
    if (message && message.channel instanceof SharedArrayBuffer) {
        const buffer = message.channel;
        const channel = {
            id: message.id,
            control: new Int32Array(buffer, 0, 16),
            data: new Uint8Array(buffer, DATA_OFFSET),
            request: 0,
            answer: null,
            sent: 0,
            released: false,
        };
        channels.set(channel.id, channel);
        Atomics.store(channel.control, 3, 1);
        Atomics.notify(channel.control, 3);
        serve(channel);
    } else if (message && message.release) {
        const channel = channels.get(message.release);
        if (channel) channel.released = true;
        channels.delete(message.release);
    }
};

async function serve(channel) {
    const control = channel.control;
    while (!channel.released) {
        let state = Atomics.load(control, 0);
        if (state === REQUEST && channel.request === 0 && !channel.answer) {
            forward(channel); // the answer (or a failure) is stored later, with a notify
        } else if (state === MORE && channel.answer) {
            writeChunk(channel);
            state = ANSWER; // what was just stored: the worker may already have taken it and asked for MORE again
        }
        // Wait on the last state seen or stored: a change since then (even one whose notify came
        // before this wait) returns at once. Only the relay stores ANSWER/ERROR, so no A-B-A here.
        const waited = Atomics.waitAsync(control, 0, state);
        if (waited.async) await waited.value;
    }
}

function forward(channel) {
    const length = channel.control[1];
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

function writeChunk(channel) {
    const answer = channel.answer;
    const n = Math.min(channel.data.length, answer.length - channel.sent);
    channel.data.set(answer.subarray(channel.sent, channel.sent + n));
    channel.sent += n;
    channel.control[1] = n;
    channel.control[2] = answer.length;
    if (channel.sent >= answer.length) {
        channel.answer = null;
        channel.request = 0;
    }
    Atomics.store(channel.control, 0, ANSWER);
    Atomics.notify(channel.control, 0);
}

function fail(channel, reason) {
    const bytes = new TextEncoder().encode(reason).subarray(0, channel.data.length);
    channel.data.set(bytes);
    channel.control[1] = bytes.length;
    channel.answer = null;
    channel.request = 0;
    Atomics.store(channel.control, 0, ERROR);
    Atomics.notify(channel.control, 0);
}
