// @ts-check
// The bridge's transport in an engine worker: every call to the Node bridge is synchronous.
// Fast path: the worker's SharedArrayBuffer channel (kept by brs-worker-boot.js); the call is
// written into it and the worker blocks in Atomics.wait while the page's relay worker
// (brs-bridge-relay.js) forwards it to Node over a WebSocket. Fallback: a synchronous XHR to
// /bridge/ on the page's origin, when the worker has no channel, the relay did not take it, or the
// request is bigger than the channel. Layout and states: tools/bridge/protocol.ts.
// Adds `brsBridge.transport`; sends `hello` while loading.
(function () {
    "use strict";
    if (!globalThis.brsBridge) return; // no engine: brs-bridge-base.js said so
    const bridge = globalThis.brsBridge;
    const { ops, paths, channel: CH } = bridge.protocol;
    const BASE = new URL(paths.http, self.location.href).href;
    /** How long the first call waits for the relay (started beside this worker) to take the channel. */
    const RELAY_START_WAIT_MS = 10000;
    const encoder = new TextEncoder();

    let dead = "";
    /** @type {BrsBridge.Config} */
    let config = { urlTransfer: false, requestTimeoutMs: 15000, holdMaxMs: 50, sendBufferBytes: 0 };

    /**
     * Reports a broken bridge once and stops the interpreter: a run must fail, not hang.
     * @param {string} message
     * @returns {never}
     */
    function fatal(message) {
        if (!dead) {
            dead = message;
            bridge.log("error", `FATAL: ${message}`);
        }
        throw new Error(`[bridge] FATAL: ${dead}`);
    }

    /** @typedef {{ control: Int32Array, data: Uint8Array }} Channel */
    /** @type {Channel | undefined} */
    let channel;

    /**
     * The SharedArrayBuffer channel once the relay serves it.
     * @returns {Channel | undefined}
     */
    function fastChannel() {
        if (channel) return channel.control[CH.word.served] === 1 ? channel : undefined;
        const buffer = globalThis.__brsBridgeChannel;
        if (!(buffer instanceof SharedArrayBuffer)) return undefined;
        channel = { control: new Int32Array(buffer, 0, CH.controlWords), data: new Uint8Array(buffer, CH.dataOffset) };
        // The page hands the channel to the relay and to this worker at once; on a busy machine the
        // relay may take it later than this first call. Wait for it (it notifies) rather than
        // sending this call, and so every call of a slow start, by XHR.
        Atomics.wait(channel.control, CH.word.served, 0, RELAY_START_WAIT_MS);
        return channel.control[CH.word.served] === 1 ? channel : undefined;
    }

    /** @implements {BrsBridge.Reply} */
    class Reply {
        /**
         * @param {number} status
         * @param {Record<string, string> | ((name: string) => string | null)} headers
         * @param {Uint8Array} bytes
         */
        constructor(status, headers, bytes) {
            this.status = status;
            this.headers = headers;
            this.bytes = bytes;
        }
        /** @param {string} name */
        header(name) {
            if (typeof this.headers === "function") return this.headers(name);
            return this.headers[name] ?? null;
        }
        json() {
            return JSON.parse(new TextDecoder().decode(this.bytes));
        }
    }

    /**
     * One call through the channel; undefined when the request does not fit (the caller uses XHR).
     * @param {Channel} ch
     * @param {string} head "op?query"
     * @param {Uint8Array | null | undefined} body
     * @param {number} started performance.now() when the call began
     */
    function channelCall(ch, head, body, started) {
        const headBytes = encoder.encode(head);
        const bodyLength = body ? body.length : 0;
        if (8 + headBytes.length + bodyLength > ch.data.length) return undefined;
        const { control, data } = ch;
        new DataView(data.buffer, CH.dataOffset, 4).setUint32(0, headBytes.length, true);
        data.set(headBytes, 4);
        if (body) data.set(body, 4 + headBytes.length);
        control[CH.word.length] = 4 + headBytes.length + bodyLength;
        Atomics.store(control, CH.word.state, CH.state.request);
        Atomics.notify(control, CH.word.state);
        const answer = awaitAnswer(ch, started + config.requestTimeoutMs);
        const view = new DataView(answer.buffer);
        const headersLength = view.getUint32(4, true);
        const headers = headersLength > 0 ? JSON.parse(new TextDecoder().decode(answer.subarray(8, 8 + headersLength))) : {};
        return new Reply(view.getUint32(0, true), headers, answer.subarray(8 + headersLength));
    }

    /**
     * Blocks until the relay has written the whole answer (in chunks when it is bigger than the
     * channel) or reported an error; throws at `deadline` (performance.now() time).
     * @param {Channel} ch
     * @param {number} deadline
     */
    function awaitAnswer(ch, deadline) {
        const { control, data } = ch;
        const STATE = CH.word.state;
        /** @type {Uint8Array | undefined} */
        let answer;
        let received = 0;
        for (;;) {
            const state = Atomics.load(control, STATE);
            if (state === CH.state.request || state === CH.state.more) {
                const left = deadline - performance.now();
                if (left <= 0) throw new Error(`no answer within ${config.requestTimeoutMs} ms (timeout)`);
                Atomics.wait(control, STATE, state, left);
                continue;
            }
            if (state === CH.state.error) {
                const reason = new TextDecoder().decode(data.slice(0, control[CH.word.length]));
                Atomics.store(control, STATE, CH.state.idle);
                throw new Error(reason);
            }
            if (state !== CH.state.answer) throw new Error(`bad channel state ${state}`);
            const n = control[CH.word.length] ?? 0;
            if (!answer) answer = new Uint8Array(control[CH.word.total] ?? 0);
            answer.set(data.subarray(0, n), received);
            received += n;
            if (received < answer.length) {
                Atomics.store(control, STATE, CH.state.more);
                Atomics.notify(control, STATE);
                continue;
            }
            Atomics.store(control, STATE, CH.state.idle);
            return answer;
        }
    }

    /**
     * @param {string} head "op?query"
     * @param {Uint8Array | null | undefined} body
     */
    function xhrCall(head, body) {
        const xhr = new XMLHttpRequest();
        xhr.open("POST", BASE + head, false);
        xhr.timeout = config.requestTimeoutMs;
        xhr.responseType = "arraybuffer";
        // Bodies are never views of shared memory (the type allows it).
        xhr.send(/** @type {Uint8Array<ArrayBuffer> | null} */ (body ?? null));
        return new Reply(xhr.status, (name) => xhr.getResponseHeader(name), new Uint8Array(xhr.response ?? new ArrayBuffer(0)));
    }

    /**
     * A synchronous bridge call, over whichever transport takes it; any failure is fatal.
     * @param {BrsBridge.OpName} name
     * @param {BrsBridge.Params | undefined} params
     * @param {Uint8Array | null | undefined} body
     */
    function request(name, params, body) {
        if (dead) fatal(dead);
        const op = ops[name];
        const head = op + (params ? "?" + new URLSearchParams(params).toString() : "");
        const started = performance.now();
        /** @type {Reply | undefined} */
        let reply;
        try {
            const ch = fastChannel();
            if (ch) reply = channelCall(ch, head, body, started);
            if (!reply) reply = xhrCall(head, body);
        } catch (error) {
            const waited = Math.round(performance.now() - started);
            const failure = /** @type {Error | undefined} */ (error);
            fatal(
                `bridge call ${op} failed after ${waited} ms (${failure && failure.name}: ${failure && failure.message}); the bridge is dead or stuck`,
            );
        }
        if (reply.status !== 200) fatal(`bridge call ${op} answered HTTP ${reply.status}`);
        return reply;
    }

    /** @type {BrsBridge.Transport["poll"]} */
    function poll(sockets, transfers, holdMs) {
        const body = JSON.stringify({ s: sockets, t: transfers });
        const bytes = request("poll", { hold: String(Math.max(0, Math.round(holdMs))) }, encoder.encode(body)).bytes;
        const metaLength = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
        const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + metaLength)));
        return { meta, data: bytes.subarray(4 + metaLength) };
    }

    /** @type {BrsBridge.Transport["framed"]} */
    function framed(meta, payload) {
        const metaBytes = new TextEncoder().encode(JSON.stringify(meta));
        const out = new Uint8Array(4 + metaBytes.length + payload.length);
        new DataView(out.buffer).setUint32(0, metaBytes.length, true);
        out.set(metaBytes, 4);
        out.set(payload, 4 + metaBytes.length);
        return out;
    }

    bridge.transport = {
        get config() {
            return config;
        },
        isDead: () => dead !== "",
        name: () => (fastChannel() ? "shared memory + WebSocket" : "XHR"),
        call: (op, params, body) => /** @type {BrsBridge.Answers[typeof op]} */ (request(op, params, body).json()),
        callBinary: request,
        poll,
        framed,
    };

    try {
        config = bridge.transport.call("hello");
    } catch (error) {
        // Keep SceneGraph loading; the first socket or transfer call reports the failure.
        bridge.log("warning", `not reachable at load: ${/** @type {Error} */ (error).message}`);
    }
})();
