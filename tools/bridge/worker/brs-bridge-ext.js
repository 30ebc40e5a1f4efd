// Worker side of the network bridge (plain JS, loaded with importScripts after brs-sg.js).
// Replaces the engine's mock roStreamSocket with one backed by real TCP in the Node bridge, and
// makes roUrlTransfer's Async* calls real background transfers. Every call to the bridge is
// synchronous: through the worker's SharedArrayBuffer channel (Atomics.wait; the page's relay
// worker forwards it to Node over a WebSocket, see brs-bridge-relay.js) when the page gave this
// worker one, else (or for a request bigger than the channel) a synchronous XHR to /bridge/ on the
// page's origin. Events reach message
// ports through the port's callback hook (called by wait()/GetMessage()/PeekMessage()), and the
// extension's tick hook (called before every statement) pulls downloads so target files grow.
(function () {
    "use strict";
    const E = globalThis.brsEngine;
    if (!E || !E.BrsObjects) {
        postMessage("warning,[bridge] brsEngine exports not found; bridge not installed");
        return;
    }
    const { Callable, StdlibArgument, ValueKind, Int32, BrsBoolean, BrsString, BrsInvalid, BrsComponent, BrsEvent } = E;
    const BASE = new URL("/bridge/", self.location.href).href;
    const PORT_KEY = "brs-bridge";
    const TICK_PULL_MS = 20;
    // A socket state this recent (from the last send/receive/poll) answers IsReadable & co.
    const STATE_FRESH_MS = 5;
    // A port's wait() may answer from fresh local states this long after its last real poll.
    const LOCAL_EVENTS_MS = 5;
    const FILE_FLUSH_MS = 50;
    const FILE_FLUSH_BYTES = 1024 * 1024;
    // The device rules of this run (tools/sim/device-rules.ts), set by the simulator's worker setup.
    const RULES = globalThis.__simDeviceRules ?? {};
    const DEVICE_CA_BUNDLE = "common:/certs/ca-bundle.crt";

    const ERR = { OK: 0, EAGAIN: 11, EADDRINUSE: 98, EFAULT: 14, EINVAL: 22, EDESTADDRREQ: 89, ECONNABORTED: 103, ECONNRESET: 104,
        EISCONN: 106, ENOTCONN: 107, ECONNREFUSED: 111, EHOSTUNREACH: 113, EALREADY: 114, EINPROGRESS: 115 };
    const MASK = { R: 1, W: 2, X: 4 };

    // ---- transport -------------------------------------------------------------------------

    let dead = "";
    let config = { urlTransfer: false, requestTimeoutMs: 15000, holdMaxMs: 50, sendBufferBytes: 0 };

    /** Reports a broken bridge once and stops the interpreter: a run must fail, not hang. */
    function fatal(message) {
        if (!dead) {
            dead = message;
            postMessage(`error,[bridge] FATAL: ${message}`);
        }
        throw new Error(`[bridge] FATAL: ${dead}`);
    }

    // Channel states and layout: see brs-bridge-relay.js.
    const CH = { IDLE: 0, REQUEST: 1, ANSWER: 2, MORE: 3, ERROR: 4, DATA: 64 };
    let channel;

    /** How long the first call waits for the relay (started beside this worker) to take the channel. */
    const RELAY_START_WAIT_MS = 10000;

    /** The SharedArrayBuffer channel once the relay serves it (brs-worker-boot.js keeps it). */
    function fastChannel() {
        if (channel) return channel.control[3] === 1 ? channel : undefined;
        const buffer = globalThis.__brsBridgeChannel;
        if (!(buffer instanceof SharedArrayBuffer)) return undefined;
        channel = { control: new Int32Array(buffer, 0, 16), data: new Uint8Array(buffer, CH.DATA) };
        // The page hands the channel to the relay and to this worker at once; on a busy machine the
        // relay may take it later than this first call. Wait for it (it notifies) rather than
        // sending this call, and so every call of a slow start, by XHR.
        Atomics.wait(channel.control, 3, 0, RELAY_START_WAIT_MS);
        return channel.control[3] === 1 ? channel : undefined;
    }

    function transportName() {
        return fastChannel() ? "shared memory + WebSocket" : "XHR";
    }

    /** Bridge answer, whichever transport carried it. */
    class Reply {
        constructor(status, headers, bytes) {
            this.status = status;
            this.headers = headers;
            this.bytes = bytes;
        }
        header(name) {
            if (typeof this.headers === "function") return this.headers(name);
            return this.headers[name] ?? null;
        }
        json() {
            return JSON.parse(new TextDecoder().decode(this.bytes));
        }
    }

    const encoder = new TextEncoder();

    /** One call through the channel; undefined when the request does not fit (the caller uses XHR). */
    function channelCall(ch, op, query, body, started) {
        const head = encoder.encode(op + query);
        const bodyLength = body ? body.length : 0;
        if (8 + head.length + bodyLength > ch.data.length) return undefined;
        const { control, data } = ch;
        new DataView(data.buffer, CH.DATA, 4).setUint32(0, head.length, true);
        data.set(head, 4);
        if (body) data.set(body, 4 + head.length);
        control[1] = 4 + head.length + bodyLength;
        Atomics.store(control, 0, CH.REQUEST);
        Atomics.notify(control, 0);
        const deadline = started + config.requestTimeoutMs;
        let answer;
        let received = 0;
        for (;;) {
            const state = Atomics.load(control, 0);
            if (state === CH.REQUEST || state === CH.MORE) {
                const left = deadline - performance.now();
                if (left <= 0) throw new Error(`no answer within ${config.requestTimeoutMs} ms (timeout)`);
                Atomics.wait(control, 0, state, left);
                continue;
            }
            if (state === CH.ERROR) {
                const reason = new TextDecoder().decode(data.slice(0, control[1]));
                Atomics.store(control, 0, CH.IDLE);
                throw new Error(reason);
            }
            if (state !== CH.ANSWER) throw new Error(`bad channel state ${state}`);
            const n = control[1];
            if (!answer) answer = new Uint8Array(control[2]);
            answer.set(data.subarray(0, n), received);
            received += n;
            if (received < answer.length) {
                Atomics.store(control, 0, CH.MORE);
                Atomics.notify(control, 0);
                continue;
            }
            Atomics.store(control, 0, CH.IDLE);
            break;
        }
        const view = new DataView(answer.buffer);
        const headersLength = view.getUint32(4, true);
        const headers = headersLength > 0 ? JSON.parse(new TextDecoder().decode(answer.subarray(8, 8 + headersLength))) : {};
        return new Reply(view.getUint32(0, true), headers, answer.subarray(8 + headersLength));
    }

    function xhrCall(op, query, body) {
        const xhr = new XMLHttpRequest();
        xhr.open("POST", BASE + op + query, false);
        xhr.timeout = config.requestTimeoutMs;
        xhr.responseType = "arraybuffer";
        xhr.send(body ?? null);
        return new Reply(xhr.status, (name) => xhr.getResponseHeader(name), new Uint8Array(xhr.response ?? new ArrayBuffer(0)));
    }

    /** A synchronous bridge call: parsed JSON, or the Reply itself when `binary`. */
    function call(op, params, body, binary) {
        if (dead) fatal(dead);
        const query = params ? "?" + new URLSearchParams(params).toString() : "";
        const started = performance.now();
        let reply;
        try {
            const ch = fastChannel();
            if (ch) reply = channelCall(ch, op, query, body, started);
            if (!reply) reply = xhrCall(op, query, body);
        } catch (error) {
            const waited = Math.round(performance.now() - started);
            fatal(`bridge call ${op} failed after ${waited} ms (${error && error.name}: ${error && error.message}); the bridge is dead or stuck`);
        }
        if (reply.status !== 200) fatal(`bridge call ${op} answered HTTP ${reply.status}`);
        return binary ? reply : reply.json();
    }

    /** Sends the poll; answers socket states and transfer progress with the transfer bytes. */
    function poll(sockets, transfers, holdMs) {
        const body = JSON.stringify({ s: sockets, t: transfers });
        const bytes = call("poll", { hold: String(Math.max(0, Math.round(holdMs))) }, encoder.encode(body), true).bytes;
        const metaLength = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
        const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + metaLength)));
        return { meta, data: bytes.subarray(4 + metaLength) };
    }

    function framed(meta, payload) {
        const metaBytes = new TextEncoder().encode(JSON.stringify(meta));
        const out = new Uint8Array(4 + metaBytes.length + payload.length);
        new DataView(out.buffer).setUint32(0, metaBytes.length, true);
        out.set(metaBytes, 4);
        out.set(payload, 4 + metaBytes.length);
        return out;
    }

    try {
        config = call("hello");
    } catch (error) {
        // Keep SceneGraph loading; the first socket or transfer call reports the failure.
        postMessage(`warning,[bridge] not reachable at load: ${error.message}`);
    }

    // ---- message ports -----------------------------------------------------------------------

    /** Objects (sockets, transfers) whose events go to a port, keyed on the port itself. */
    function watchers(port) {
        if (!port.__bridgeWatchers) {
            port.__bridgeWatchers = new Set();
            port.registerCallback(PORT_KEY, (interpreter, wait) => pollPort(port, wait));
        }
        return port.__bridgeWatchers;
    }

    function holdFor(wait) {
        if (wait === undefined) return 0; // GetMessage/PeekMessage never block
        return wait === 0 ? config.holdMaxMs : Math.min(wait, config.holdMaxMs);
    }

    /** The port's callback: returns the events that are due now (waiting briefly in the bridge). */
    function pollPort(port, wait) {
        const set = port.__bridgeWatchers;
        if (!set || set.size === 0 || dead) return [];
        const sockets = [];
        const transfers = [];
        for (const item of set) {
            if (item instanceof BridgedSocket) {
                const mask = item.interestMask();
                if (mask && !item.eventQueued(port)) sockets.push([item.id, mask]);
            } else if (item.active) {
                transfers.push(item.id);
            }
        }
        if (sockets.length === 0 && transfers.length === 0) return [];
        const local = transfers.length === 0 ? localEvents(port, sockets) : [];
        if (local.length > 0) return local;
        port.__bridgePolledAt = performance.now();
        const { meta, data } = poll(sockets, transfers, holdFor(wait));
        const events = [];
        for (const [id, mask] of sockets) {
            const state = meta.s[id];
            const socket = socketsById.get(id);
            if (!socket) continue;
            socket.remember(state);
            if (state && socket.matches(state, mask)) events.push(socket.newEvent(port));
        }
        applyTransferProgress(meta.t, data);
        return events;
    }

    /**
     * Events known without a round trip: a socket whose state from its own last call (send, receive,
     * poll; under STATE_FRESH_MS old, the rule IsReadable & co follow) already matches its interest.
     * Readiness only grows between a socket's own calls, so such an event is never wrong. Used only
     * while the port has really polled within LOCAL_EVENTS_MS, so other sockets are never starved.
     */
    function localEvents(port, sockets) {
        const now = performance.now();
        if (!(now - (port.__bridgePolledAt ?? -Infinity) < LOCAL_EVENTS_MS)) return [];
        const events = [];
        for (const [id, mask] of sockets) {
            const socket = socketsById.get(id);
            if (socket && socket.state && now - socket.stateAt < STATE_FRESH_MS && socket.matches(socket.state, mask)) {
                events.push(socket.newEvent(port));
            }
        }
        return events;
    }

    // ---- roSocketEvent -------------------------------------------------------------------

    class RoSocketEvent extends BrsEvent {
        constructor(socketId) {
            super("roSocketEvent");
            this.socketId = socketId;
            this.registerMethods({
                ifSocketEvent: [
                    new Callable("getSocketID", {
                        signature: { args: [], returns: ValueKind.Int32 },
                        impl: () => new Int32(this.socketId),
                    }),
                ],
            });
        }
    }

    // ---- roStreamSocket ------------------------------------------------------------------

    const socketsById = new Map();

    function fn(name, args, returns, impl) {
        return new Callable(name, {
            signature: { args: args.map(([n, kind, dflt]) => new StdlibArgument(n, kind, dflt)), returns },
            impl,
        });
    }
    const bool = (value) => BrsBoolean.from(!!value);
    const int = (value) => new Int32(value);

    function newSocketAddress(interpreter, text) {
        const address = E.BrsObjects.get("roSocketAddress")(interpreter);
        address.validateAddress(text);
        return address;
    }

    class BridgedSocket extends BrsComponent {
        constructor(id) {
            super("roStreamSocket");
            this.kind = ValueKind.Object;
            this.id = id ?? call("sock/new").id;
            this.errno = ERR.OK;
            this.notify = { r: false, w: false, x: false };
            this.options = { ttl: 64, reuseAddr: false, oobInline: false, sendBuf: 16384, rcvBuf: 262144,
                sendTimeout: 0, rcvTimeout: 0, keepAlive: false, linger: 0, maxSeg: 1460, noDelay: false };
            this.listening = false;
            this.closed = false;
            this.state = undefined;
            this.lastEvent = undefined;
            socketsById.set(this.id, this);
            this.registerMethods(this.socketMethods());
        }

        toString() {
            return "<Component: roStreamSocket>";
        }
        equalTo() {
            return BrsBoolean.False;
        }

        // Non-blocking once a message port is set (ifSocketAsync); blocking without one.
        get blocking() {
            return !this.port;
        }

        interestMask() {
            if (this.closed) return 0;
            return (this.notify.r ? MASK.R : 0) | (this.notify.w ? MASK.W : 0) | (this.notify.x ? MASK.X : 0);
        }
        matches(state, mask) {
            return (mask & MASK.R && state.readable) || (mask & MASK.W && state.writable) || (mask & MASK.X && state.exception);
        }
        /** One undelivered event per socket at a time: level-triggered without flooding the queue. */
        eventQueued(port) {
            return this.lastEvent !== undefined && port.messageQueue && port.messageQueue.includes(this.lastEvent);
        }
        newEvent() {
            this.lastEvent = new RoSocketEvent(this.id);
            return this.lastEvent;
        }
        remember(state) {
            if (state) {
                this.state = state;
                this.stateAt = performance.now();
            }
        }
        /** State for IsReadable & co: the one a send/receive/poll just returned, else a fresh query. */
        current() {
            if (this.state && performance.now() - this.stateAt < STATE_FRESH_MS) return this.state;
            return this.refresh();
        }
        refresh(holdMs, mask) {
            const { meta } = poll([[this.id, mask ?? 0]], [], holdMs ?? 0);
            this.remember(meta.s[this.id]);
            return this.state ?? { readable: false, writable: false, exception: true, rcv: 0, snd: 0, errno: ERR.ENOTCONN };
        }
        /** Blocking mode: waits in the bridge until `mask` holds, bounded by `timeoutSeconds` if set. */
        waitFor(mask, timeoutSeconds) {
            const deadline = timeoutSeconds > 0 ? performance.now() + timeoutSeconds * 1000 : Infinity;
            for (;;) {
                const state = this.refresh(config.holdMaxMs, mask);
                if (this.matches(state, mask) || state.exception) return true;
                if (performance.now() >= deadline) return false;
            }
        }

        setPort(port) {
            port.addReference();
            if (this.port) {
                this.port.removeReference();
                watchers(this.port).delete(this);
            }
            this.port = port;
            watchers(port).add(this);
            return BrsInvalid.Instance;
        }

        sendBytes(bytes) {
            let total = 0;
            for (;;) {
                // Never more than the bridge's send buffer can accept: the rest would be copied for nothing.
                const limit = config.sendBufferBytes > 0 ? total + config.sendBufferBytes : bytes.length;
                const result = call("sock/send", { id: String(this.id) }, bytes.subarray(total, limit));
                this.errno = result.errno;
                this.remember(result.state);
                if (result.n > 0) total += result.n;
                if (!this.blocking || total >= bytes.length) break;
                if (result.errno !== ERR.OK && result.errno !== ERR.EAGAIN) break;
                if (!this.waitFor(MASK.W, this.options.sendTimeout)) break;
            }
            if (total > 0) {
                this.errno = ERR.OK;
                return total;
            }
            return bytes.length === 0 ? 0 : -1;
        }

        receiveBytes(max) {
            for (;;) {
                const reply = call("sock/recv", { id: String(this.id), max: String(Math.max(0, max)) }, null, true);
                this.errno = Number(reply.header("X-Bridge-Errno") ?? ERR.EINVAL);
                this.remember(JSON.parse(reply.header("X-Bridge-State") ?? "null"));
                const data = reply.bytes;
                if (data.length > 0 || this.errno !== ERR.EAGAIN || !this.blocking) return data;
                if (!this.waitFor(MASK.R, this.options.rcvTimeout)) return data;
            }
        }

        /** SetAddress: the bind() call under the device rules, else just remembered for Listen. */
        bindTo(address) {
            if (RULES.bindAtSetAddress) {
                const result = call("sock/bind", { id: String(this.id), port: String(address.port) });
                this.errno = result.errno;
                if (result.errno !== ERR.OK) return false;
            }
            this.address = address;
            return true;
        }

        doListen(backlog) {
            // Under bindAtSetAddress an address is kept only when bind succeeded; without one the
            // socket listens on a free port, as listen() on an unbound socket does.
            const port = this.address ? this.address.port : RULES.bindAtSetAddress ? -1 : 0;
            const result = call("sock/listen", { id: String(this.id), port: String(port), backlog: String(backlog) });
            this.errno = result.errno;
            this.listening = result.errno === ERR.OK;
            return this.listening;
        }

        doAccept(interpreter) {
            for (;;) {
                const result = call("sock/accept", { id: String(this.id) });
                this.errno = result.errno;
                this.state = undefined; // readiness shrinks by accepting: no local events from the old state
                if (result.errno === ERR.OK) {
                    const socket = new BridgedSocket(result.id);
                    socket.address = newSocketAddress(interpreter, result.local);
                    socket.peer = newSocketAddress(interpreter, result.remote);
                    return socket;
                }
                if (!this.blocking || result.errno !== ERR.EAGAIN) return BrsInvalid.Instance;
                if (!this.waitFor(MASK.R, this.options.rcvTimeout)) return BrsInvalid.Instance;
            }
        }

        doConnect() {
            const target = this.sendTo;
            if (!target) {
                this.errno = ERR.EDESTADDRREQ;
                return false;
            }
            const result = call("sock/connect", { id: String(this.id), host: target.hostIP, port: String(target.port) });
            this.errno = result.errno;
            if (this.blocking && result.errno === ERR.EINPROGRESS) {
                this.waitFor(MASK.W | MASK.X, this.options.sendTimeout);
                this.errno = this.state && this.state.exception ? this.state.errno : ERR.OK;
            }
            return this.errno === ERR.OK || this.errno === ERR.EINPROGRESS;
        }

        doClose() {
            if (this.closed) return;
            this.closed = true;
            call("sock/close", { id: String(this.id) });
            socketsById.delete(this.id);
            if (this.port) watchers(this.port).delete(this);
        }

        setOption(name, value, remote) {
            this.options[name] = value;
            if (remote) call("sock/opt", { id: String(this.id), [name]: value ? "1" : "0" });
            return BrsBoolean.True;
        }

        socketMethods() {
            const K = ValueKind;
            const errnoIs = (name, ...codes) => fn(name, [], K.Boolean, () => bool(codes.includes(this.errno)));
            const getter = (name, key, kind) =>
                fn(name, [], kind, () => (kind === K.Boolean ? bool(this.options[key]) : int(this.options[key])));
            const setter = (name, key, kind, remote) =>
                fn(name, [["value", kind]], K.Boolean, (_, value) =>
                    this.setOption(key, kind === K.Boolean ? value.toBoolean() : value.getValue(), remote)
                );
            return {
                ifSocketConnection: [
                    fn("listen", [["backlog", K.Int32]], K.Boolean, (_, backlog) => bool(this.doListen(backlog.getValue()))),
                    fn("isListening", [], K.Boolean, () => bool(this.listening && !this.closed)),
                    fn("connect", [], K.Boolean, () => bool(this.doConnect())),
                    fn("accept", [], K.Object, (interpreter) => this.doAccept(interpreter)),
                    fn("isConnected", [], K.Boolean, () => bool(!this.closed && this.current().connected)),
                ],
                ifSocket: [
                    fn("send", [["data", K.Object], ["startIndex", K.Int32], ["length", K.Int32]], K.Int32, (_, data, start, length) => {
                        const elements = data.elements ?? new Uint8Array(0);
                        const from = Math.max(0, start.getValue());
                        const to = Math.min(elements.length, from + Math.max(0, length.getValue()));
                        return int(this.sendBytes(elements.subarray(from, Math.max(from, to))));
                    }),
                    fn("sendStr", [["data", K.String]], K.Int32, (_, data) => int(this.sendBytes(new TextEncoder().encode(data.value)))),
                    fn("receive", [["data", K.Object], ["startIndex", K.Int32], ["length", K.Int32]], K.Int32, (_, data, start, length) => {
                        const bytes = this.receiveBytes(length.getValue());
                        if (bytes.length === 0 && this.errno === ERR.EAGAIN && RULES.receiveZeroWhenEmpty) return int(0);
                        if (bytes.length === 0) return int(this.errno === ERR.OK ? 0 : -1);
                        writeInto(data, Math.max(0, start.getValue()), bytes);
                        return int(bytes.length);
                    }),
                    fn("receiveStr", [["length", K.Int32]], K.String, (_, length) =>
                        new BrsString(new TextDecoder().decode(this.receiveBytes(length.getValue())))
                    ),
                    fn("close", [], K.Void, () => {
                        this.doClose();
                        return BrsInvalid.Instance;
                    }),
                    fn("setAddress", [["sockAddr", K.Object]], K.Boolean, (_, address) => bool(this.bindTo(address))),
                    fn("getAddress", [], K.Object, () => this.address ?? BrsInvalid.Instance),
                    fn("setSendToAddress", [["sockAddr", K.Object]], K.Boolean, (_, address) => {
                        this.sendTo = address;
                        return BrsBoolean.True;
                    }),
                    fn("getSendToAddress", [], K.Object, () => this.sendTo ?? BrsInvalid.Instance),
                    fn("getReceivedFromAddress", [], K.Object, () => this.peer ?? BrsInvalid.Instance),
                    fn("getCountRcvBuf", [], K.Int32, () => int(this.current().rcv)),
                    fn("getCountSendBuf", [], K.Int32, () => int(this.current().snd)),
                    fn("status", [], K.Int32, () => int(this.errno)),
                ],
                ifSocketStatus: [
                    errnoIs("eAgain", ERR.EAGAIN),
                    errnoIs("eAlready", ERR.EALREADY),
                    errnoIs("eBadAddr", ERR.EFAULT),
                    errnoIs("eDestAddrReq", ERR.EDESTADDRREQ),
                    errnoIs("eHostUnreach", ERR.EHOSTUNREACH),
                    errnoIs("eInvalid", ERR.EINVAL),
                    errnoIs("eInProgress", ERR.EINPROGRESS),
                    errnoIs("eWouldBlock", ERR.EAGAIN),
                    errnoIs("eSuccess", ERR.OK),
                    errnoIs("eOK", ERR.OK, ERR.EAGAIN, ERR.EALREADY, ERR.EINPROGRESS),
                ],
                ifSocketConnectionStatus: [
                    errnoIs("eConnAborted", ERR.ECONNABORTED),
                    errnoIs("eConnRefused", ERR.ECONNREFUSED),
                    errnoIs("eConnReset", ERR.ECONNRESET),
                    errnoIs("eIsConn", ERR.EISCONN),
                    errnoIs("eNotConn", ERR.ENOTCONN),
                ],
                ifSocketAsync: [
                    fn("isReadable", [], K.Boolean, () => bool(this.current().readable)),
                    fn("isWritable", [], K.Boolean, () => bool(this.current().writable)),
                    fn("isException", [], K.Boolean, () => bool(this.current().exception)),
                    fn("notifyReadable", [["enable", K.Boolean]], K.Void, (_, on) => this.setNotify("r", on)),
                    fn("notifyWritable", [["enable", K.Boolean]], K.Void, (_, on) => this.setNotify("w", on)),
                    fn("notifyException", [["enable", K.Boolean]], K.Void, (_, on) => this.setNotify("x", on)),
                    fn("getID", [], K.Int32, () => int(this.id)),
                ],
                ifSocketOption: [
                    getter("getTTL", "ttl", K.Int32),
                    setter("setTTL", "ttl", K.Int32),
                    getter("getReuseAddr", "reuseAddr", K.Boolean),
                    setter("setReuseAddr", "reuseAddr", K.Boolean),
                    getter("getOOBInline", "oobInline", K.Boolean),
                    setter("setOOBInline", "oobInline", K.Boolean),
                    getter("getSendBuf", "sendBuf", K.Int32),
                    setter("setSendBuf", "sendBuf", K.Int32),
                    getter("getRcvBuf", "rcvBuf", K.Int32),
                    setter("setRcvBuf", "rcvBuf", K.Int32),
                    getter("getSendTimeout", "sendTimeout", K.Int32),
                    setter("setSendTimeout", "sendTimeout", K.Int32),
                    getter("getReceiveTimeout", "rcvTimeout", K.Int32),
                    setter("setReceiveTimeout", "rcvTimeout", K.Int32),
                ],
                ifSocketConnectionOption: [
                    getter("getKeepAlive", "keepAlive", K.Boolean),
                    setter("setKeepAlive", "keepAlive", K.Boolean, true),
                    getter("getLinger", "linger", K.Int32),
                    setter("setLinger", "linger", K.Int32),
                    getter("getMaxSeg", "maxSeg", K.Int32),
                    setter("setMaxSeg", "maxSeg", K.Int32),
                    getter("getNoDelay", "noDelay", K.Boolean),
                    setter("setNoDelay", "noDelay", K.Boolean, true),
                ],
                ifSetMessagePort: [
                    fn("setMessagePort", [["port", K.Object]], K.Void, (_, port) => this.setPort(port)),
                    fn("setPort", [["port", K.Object]], K.Void, (_, port) => this.setPort(port)),
                ],
                ifGetMessagePort: [
                    fn("getMessagePort", [], K.Object, () => this.port ?? BrsInvalid.Instance),
                    fn("getPort", [], K.Object, () => this.port ?? BrsInvalid.Instance),
                ],
            };
        }

        setNotify(which, on) {
            this.notify[which] = on.toBoolean();
            return BrsInvalid.Instance;
        }
    }

    /** Receive(ba, start, n) semantics: bytes land at `start`, the array grows if it is shorter. */
    function writeInto(byteArray, start, bytes) {
        const old = byteArray.elements ?? new Uint8Array(0);
        let target = old;
        if (old.length < start + bytes.length) {
            target = new Uint8Array(start + bytes.length);
            target.set(old);
        }
        target.set(bytes, start);
        byteArray.elements = target;
        if (typeof byteArray.updateCapacity === "function") byteArray.updateCapacity();
    }

    // ---- roUrlTransfer -------------------------------------------------------------------

    const activeTransfers = new Set();
    let nextIdentity = 1000 + Math.floor(Math.random() * 1000) * 1000;

    class BridgedTransfer {
        constructor(owner, kind, target) {
            this.owner = owner;
            this.kind = kind; // "string" | "file" | "head"
            this.target = target;
            this.tmp = target ? `${target}.tmp` : undefined;
            this.chunks = [];
            this.active = true;
            this.id = 0;
        }
    }

    /** Replaces tmp:/'s space allocator once the volume is mounted (sbfs-allocator.js). */
    function installAllocator() {
        if (typeof globalThis.__bridgeInstallAllocator === "function") globalThis.__bridgeInstallAllocator();
    }

    function fileSystem() {
        return E.BrsDevice.fileSystem;
    }

    function appendToFile(path, bytes) {
        const fs = fileSystem();
        fs.getFS(path).appendFileSync(fs.getPath(path), bytes);
    }

    function readRequestFile(path) {
        const fs = fileSystem();
        if (!fs.existsSync(path)) return undefined;
        return new Uint8Array(fs.readFileSync(path));
    }

    function headersOf(owner) {
        const headers = {};
        if (owner.customHeaders) for (const [key, value] of owner.customHeaders) headers[key] = value;
        if (owner.user !== undefined && owner.password !== undefined) {
            headers.Authorization = "Basic " + btoa(`${owner.user}:${owner.password}`);
        }
        return headers;
    }

    /** What SetCertificatesFile named; any file but the device's own bundle goes along as PEM. */
    function certificatesOf(owner) {
        const file = owner.certificatesFile;
        if (!file) return {};
        if (file.toLowerCase() === DEVICE_CA_BUNDLE) return { certificatesFile: file };
        const bytes = readRequestFile(file);
        return { certificatesFile: file, certificatesPem: bytes ? new TextDecoder().decode(bytes) : undefined };
    }

    /** Starts one transfer in the bridge; false when this object already has one in flight. */
    function startTransfer(owner, kind, defaultMethod, body, target) {
        if (owner.__bridgeTransfer && owner.__bridgeTransfer.active) return false;
        const transfer = new BridgedTransfer(owner, kind, target);
        const spec = {
            url: owner.url,
            method: owner.reqMethod || defaultMethod,
            headers: headersOf(owner),
            retainBodyOnError: !!owner.__retainBody,
            discardBody: kind === "head",
            ...certificatesOf(owner),
        };
        installAllocator();
        if (transfer.tmp) fileSystem().writeFileSync(transfer.tmp, new Uint8Array(0));
        transfer.id = call("xfer/start", null, framed(spec, body ?? new Uint8Array(0))).id;
        owner.__bridgeTransfer = transfer;
        activeTransfers.add(transfer);
        if (owner.port) watchers(owner.port).add(transfer);
        return true;
    }

    /** Applies pulled bytes (in the order of `progress`) and finishes completed transfers. */
    function applyTransferProgress(progress, data) {
        let offset = 0;
        for (const item of progress) {
            const transfer = transferById(item.id);
            const bytes = data.subarray(offset, offset + item.bytes);
            offset += item.bytes;
            if (!transfer || !transfer.active) continue;
            if (bytes.length > 0) transfer.chunks.push(bytes.slice());
            if (transfer.kind === "file") flushToFile(transfer, item.done);
            if (item.done) finishTransfer(transfer, item);
        }
    }

    /**
     * Appends buffered bytes to <target>.tmp at most every FILE_FLUSH_MS (or per FILE_FLUSH_BYTES):
     * zenfs rewrites the whole file on every append (see sbfs-allocator.js), so tiny appends are slow.
     */
    function flushToFile(transfer, force) {
        const pending = transfer.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
        if (pending === 0) return;
        const now = performance.now();
        if (!force && pending < FILE_FLUSH_BYTES && now - (transfer.flushedAt ?? 0) < FILE_FLUSH_MS) return;
        appendToFile(transfer.tmp, concatChunks(transfer.chunks));
        transfer.chunks = [];
        transfer.flushedAt = now;
    }

    function transferById(id) {
        for (const transfer of activeTransfers) if (transfer.id === id) return transfer;
        return undefined;
    }

    function finishTransfer(transfer, item) {
        transfer.active = false;
        activeTransfers.delete(transfer);
        const owner = transfer.owner;
        if (owner.port) watchers(owner.port).delete(transfer);
        const ok = item.code >= 200 && item.code < 300;
        let text = "";
        if (transfer.kind === "file") {
            const fs = fileSystem();
            // RetainBodyOnError(true) keeps whatever body arrived, a transport failure's partial one
            // too: a streaming client has parsed (and must act on) the parts that came before it.
            if (ok || owner.__retainBody) fs.renameSync(transfer.tmp, transfer.target);
            else if (fs.existsSync(transfer.tmp)) fs.unlinkSync(transfer.tmp);
        } else if (transfer.kind === "string") {
            text = decodeChunks(transfer.chunks);
        }
        owner.failureReason = item.reason ?? "";
        if (!owner.port) return;
        const event = new E.RoURLEvent(owner.__identity, owner.host ?? "", text, item.code, item.reason ?? "", item.headers ?? "");
        if (RULES.headersOnlyFor2xx && !ok) {
            // Documented: GetResponseHeaders() returns headers only for 2xx; the array form has them always.
            event.overrideMethods([fn("getResponseHeaders", [], ValueKind.Object, () => new E.RoAssociativeArray([]))]);
        }
        owner.port.pushMessage(event);
    }

    function decodeChunks(chunks) {
        return new TextDecoder().decode(concatChunks(chunks));
    }

    function concatChunks(chunks) {
        const size = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
        const all = new Uint8Array(size);
        let at = 0;
        for (const chunk of chunks) {
            all.set(chunk, at);
            at += chunk.length;
        }
        return all;
    }

    function cancelTransfer(owner) {
        const transfer = owner.__bridgeTransfer;
        if (!transfer || !transfer.active) return;
        transfer.active = false;
        activeTransfers.delete(transfer);
        if (owner.port) watchers(owner.port).delete(transfer);
        call("xfer/cancel", { id: String(transfer.id) });
        // Undocumented on a device: the kind bridge keeps the partial <target>.tmp, the device rule
        // cancelDeletesPartial removes it (the channel must not depend on it either way).
        if (RULES.cancelDeletesPartial && transfer.tmp) {
            const fs = fileSystem();
            if (fs.existsSync(transfer.tmp)) fs.unlinkSync(transfer.tmp);
        }
    }

    /** Pulls every in-flight transfer (tick hook): downloads grow even when nobody waits. */
    function pullActive() {
        const ids = [...activeTransfers].map((transfer) => transfer.id);
        if (ids.length === 0) return;
        const { meta, data } = poll([], ids, 0);
        applyTransferProgress(meta.t, data);
    }

    function bridgeUrlTransfer(owner) {
        owner.__identity = nextIdentity++;
        // The engine starts every transfer with the common bundle; a device trusts nothing until
        // SetCertificatesFile is called (the device rule httpsNeedsCertificates acts on that).
        owner.certificatesFile = "";
        const K = ValueKind;
        const stringResult = (started) => bool(started);
        owner.overrideMethods([
            fn("getIdentity", [], K.Int32, () => int(owner.__identity)),
            fn("asyncGetToString", [], K.Boolean, () => stringResult(startTransfer(owner, "string", "GET"))),
            fn("asyncGetToFile", [["filePath", K.String]], K.Boolean, (_, path) =>
                bool(startTransfer(owner, "file", "GET", undefined, path.value))
            ),
            fn("asyncHead", [], K.Boolean, () => bool(startTransfer(owner, "head", "HEAD"))),
            fn("asyncPostFromString", [["request", K.String]], K.Boolean, (_, body) =>
                bool(startTransfer(owner, "string", "POST", new TextEncoder().encode(body.value)))
            ),
            fn("asyncPostFromFile", [["filePath", K.String]], K.Boolean, (_, path) => {
                const body = readRequestFile(path.value);
                return bool(body !== undefined && startTransfer(owner, "string", "POST", body));
            }),
            fn("asyncPostFromFileToFile", [["fromFile", K.String], ["toFile", K.String]], K.Boolean, (_, from, to) => {
                const body = readRequestFile(from.value);
                return bool(body !== undefined && startTransfer(owner, "file", "POST", body, to.value));
            }),
            fn("asyncCancel", [], K.Boolean, () => {
                cancelTransfer(owner);
                return BrsBoolean.True;
            }),
            fn("retainBodyOnError", [["retain", K.Boolean]], K.Boolean, (_, retain) => {
                const previous = !!owner.__retainBody;
                owner.__retainBody = retain.toBoolean();
                return bool(previous);
            }),
            fn("getFailureReason", [], K.String, () => new BrsString(owner.failureReason ?? "")),
        ]);
        return owner;
    }

    // ---- registration ------------------------------------------------------------------------

    E.BrsObjects.set("roStreamSocket", () => new BridgedSocket());
    if (config.urlTransfer) {
        const engineFactory = E.BrsObjects.get("roUrlTransfer");
        E.BrsObjects.set("roUrlTransfer", (interpreter) => bridgeUrlTransfer(engineFactory(interpreter)));
    }

    class BridgeExtension {
        constructor() {
            this.name = "brs-bridge";
            this.version = "1.0.0";
            this.lastPull = 0;
        }
        // Runs before every statement: cheap unless transfers are in flight.
        tick() {
            if (!this.allocatorChecked) {
                this.allocatorChecked = true;
                installAllocator();
            }
            if (activeTransfers.size === 0 || dead) return;
            const now = performance.now();
            if (now - this.lastPull < TICK_PULL_MS) return;
            this.lastPull = now;
            pullActive();
        }
    }
    E.registerExtension(() => new BridgeExtension());
    postMessage(`debug,[bridge] installed (roStreamSocket${config.urlTransfer ? ", roUrlTransfer" : ""}; transport: ${transportName()})`);
})();
