// @ts-check
// roStreamSocket backed by a real TCP socket in the Node bridge (tools/bridge/sockets.ts), and its
// roSocketEvent. This script holds what a socket does (bind, listen, accept, connect, send,
// receive, readiness); its BrightScript interfaces are in brs-bridge-socket-methods.js.
// Non-blocking once a message port is set (ifSocketAsync); blocking without one: then a call
// waits in the bridge, bounded by SetSendTimeout/SetReceiveTimeout. Adds `brsBridge.sockets`.
(function () {
    "use strict";
    if (!globalThis.brsBridge) return; // no engine: brs-bridge-base.js said so
    const bridge = globalThis.brsBridge;
    const { engine: E, rules: RULES, transport } = bridge;
    const { BrsComponent, BrsEvent, BrsInvalid, BrsBoolean, ValueKind } = E;
    const { errno: ERR, interest: MASK, headers: HEADERS } = bridge.protocol;
    // A socket state this recent (from the last send/receive/poll) answers IsReadable & co.
    const STATE_FRESH_MS = 5;

    class RoSocketEvent extends BrsEvent {
        /** @param {number} socketId */
        constructor(socketId) {
            super("roSocketEvent");
            this.socketId = socketId;
            this.registerMethods({
                ifSocketEvent: [bridge.method("getSocketID", [], ValueKind.Int32, () => bridge.int(this.socketId))],
            });
        }
    }

    /** @type {Map<number, BrsBridge.Socket>} */
    const socketsById = new Map();

    /**
     * A new roSocketAddress holding `text` ("host:port").
     * @param {BrsEngine.Interpreter} interpreter
     * @param {string} text
     */
    function newSocketAddress(interpreter, text) {
        const factory = /** @type {NonNullable<ReturnType<BrsEngine.ObjectFactories["get"]>>} */ (E.BrsObjects.get("roSocketAddress"));
        const address = /** @type {BrsEngine.SocketAddress} */ (factory(interpreter));
        address.validateAddress(text);
        return address;
    }

    /** @implements {BrsBridge.Socket} */
    class BridgedSocket extends BrsComponent {
        /** @param {number} [id] the bridge's id of an accepted socket; a new socket asks for one */
        constructor(id) {
            super("roStreamSocket");
            this.kind = ValueKind.Object;
            this.id = id ?? transport.call("socketNew").id;
            this.errno = ERR.OK;
            this.notify = { r: false, w: false, x: false };
            /** @type {BrsBridge.SocketOptions} */
            this.options = {
                ttl: 64,
                reuseAddr: false,
                oobInline: false,
                sendBuf: 16384,
                rcvBuf: 262144,
                sendTimeout: 0,
                rcvTimeout: 0,
                keepAlive: false,
                linger: 0,
                maxSeg: 1460,
                noDelay: false,
            };
            this.listening = false;
            this.closed = false;
            /** @type {BrsBridge.SocketState | undefined} */
            this.state = undefined;
            this.stateAt = 0;
            /** @type {BrsEngine.Event | undefined} */
            this.lastEvent = undefined;
            /** @type {BrsEngine.SocketAddress | undefined} SetAddress's, or an accepted socket's local one */
            this.address = undefined;
            /** @type {BrsEngine.SocketAddress | undefined} SetSendToAddress's (Connect's target) */
            this.sendTo = undefined;
            /** @type {BrsEngine.SocketAddress | undefined} an accepted socket's peer */
            this.peer = undefined;
            /** @type {BrsEngine.MessagePort | undefined} */
            this.port = undefined;
            socketsById.set(this.id, this);
            this.registerMethods(bridge.socketMethods.of(this));
        }

        /** @override */
        toString() {
            return "<Component: roStreamSocket>";
        }
        /** @override */
        equalTo() {
            return BrsBoolean.False;
        }

        // Non-blocking once a message port is set (ifSocketAsync); blocking without one.
        get blocking() {
            return !this.port;
        }

        interestMask() {
            if (this.closed) return 0;
            return (this.notify.r ? MASK.readable : 0) | (this.notify.w ? MASK.writable : 0) | (this.notify.x ? MASK.exception : 0);
        }
        /**
         * @param {BrsBridge.SocketState} state
         * @param {number} mask
         */
        matches(state, mask) {
            return !!(
                (mask & MASK.readable && state.readable) ||
                (mask & MASK.writable && state.writable) ||
                (mask & MASK.exception && state.exception)
            );
        }
        /**
         * One undelivered event per socket at a time: level-triggered without flooding the queue.
         * @param {BrsEngine.MessagePort} port
         */
        eventQueued(port) {
            return this.lastEvent !== undefined && !!port.messageQueue && port.messageQueue.includes(this.lastEvent);
        }
        newEvent() {
            this.lastEvent = new RoSocketEvent(this.id);
            return this.lastEvent;
        }
        /** @param {BrsBridge.SocketState | null | undefined} state */
        remember(state) {
            if (state) {
                this.state = state;
                this.stateAt = performance.now();
            }
        }
        /** @param {number} now performance.now() */
        freshState(now) {
            return this.state && now - this.stateAt < STATE_FRESH_MS ? this.state : undefined;
        }
        /** State for IsReadable & co: the one a send/receive/poll just returned, else a fresh query. */
        current() {
            return this.freshState(performance.now()) ?? this.refresh();
        }
        /**
         * Asks the bridge for this socket's state, waiting up to `holdMs` for `mask` to hold.
         * @param {number} [holdMs]
         * @param {number} [mask]
         * @returns {BrsBridge.SocketState}
         */
        refresh(holdMs, mask) {
            const { meta } = transport.poll([[this.id, mask ?? 0]], [], holdMs ?? 0);
            this.remember(meta.s[this.id]);
            return (
                this.state ?? {
                    readable: false,
                    writable: false,
                    exception: true,
                    rcv: 0,
                    snd: 0,
                    errno: ERR.ENOTCONN,
                    listening: false,
                    connected: false,
                    closed: false,
                }
            );
        }
        /**
         * Blocking mode: waits in the bridge until `mask` holds, bounded by `timeoutSeconds` if set.
         * @param {number} mask
         * @param {number} timeoutSeconds
         */
        waitFor(mask, timeoutSeconds) {
            const deadline = timeoutSeconds > 0 ? performance.now() + timeoutSeconds * 1000 : Infinity;
            for (;;) {
                const state = this.refresh(transport.config.holdMaxMs, mask);
                if (this.matches(state, mask) || state.exception) return true;
                if (performance.now() >= deadline) return false;
            }
        }

        /** @param {BrsEngine.MessagePort} port */
        setPort(port) {
            port.addReference();
            if (this.port) {
                this.port.removeReference();
                bridge.ports.watchers(this.port).delete(this);
            }
            this.port = port;
            bridge.ports.watchers(port).add(this);
            return BrsInvalid.Instance;
        }

        /**
         * Send/SendStr: bytes accepted into the bridge's send buffer, -1 when none.
         * @param {Uint8Array} bytes
         */
        sendBytes(bytes) {
            let total = 0;
            for (;;) {
                // Never more than the bridge's send buffer can accept: the rest would be copied for nothing.
                const { sendBufferBytes } = transport.config;
                const limit = sendBufferBytes > 0 ? total + sendBufferBytes : bytes.length;
                const result = transport.call("socketSend", { id: String(this.id) }, bytes.subarray(total, limit));
                this.errno = result.errno;
                this.remember(result.state);
                if (result.n > 0) total += result.n;
                if (!this.blocking || total >= bytes.length) break;
                if (result.errno !== ERR.OK && result.errno !== ERR.EAGAIN) break;
                if (!this.waitFor(MASK.writable, this.options.sendTimeout)) break;
            }
            if (total > 0) {
                this.errno = ERR.OK;
                return total;
            }
            return bytes.length === 0 ? 0 : -1;
        }

        /**
         * Receive/ReceiveStr: up to `max` bytes (none: see errno).
         * @param {number} max
         */
        receiveBytes(max) {
            for (;;) {
                const reply = transport.callBinary("socketReceive", { id: String(this.id), max: String(Math.max(0, max)) }, null);
                this.errno = Number(reply.header(HEADERS.errno) ?? ERR.EINVAL);
                this.remember(JSON.parse(reply.header(HEADERS.state) ?? "null"));
                const data = reply.bytes;
                if (data.length > 0 || this.errno !== ERR.EAGAIN || !this.blocking) return data;
                if (!this.waitFor(MASK.readable, this.options.rcvTimeout)) return data;
            }
        }

        /**
         * SetAddress: the bind() call under the device rules, else just remembered for Listen.
         * @param {BrsEngine.SocketAddress} address
         */
        bindTo(address) {
            if (RULES.bindAtSetAddress) {
                const result = transport.call("socketBind", { id: String(this.id), port: String(address.port) });
                this.errno = result.errno;
                if (result.errno !== ERR.OK) return false;
            }
            this.address = address;
            return true;
        }

        /** @param {number} backlog */
        doListen(backlog) {
            // Under bindAtSetAddress an address is kept only when bind succeeded; without one the
            // socket listens on a free port, as listen() on an unbound socket does.
            const port = this.address ? this.address.port : RULES.bindAtSetAddress ? -1 : 0;
            const result = transport.call("socketListen", { id: String(this.id), port: String(port), backlog: String(backlog) });
            this.errno = result.errno;
            this.listening = result.errno === ERR.OK;
            return this.listening;
        }

        /** @param {BrsEngine.Interpreter} interpreter */
        doAccept(interpreter) {
            for (;;) {
                const result = transport.call("socketAccept", { id: String(this.id) });
                this.errno = result.errno;
                this.state = undefined; // readiness shrinks by accepting: no local events from the old state
                if (result.errno === ERR.OK) {
                    // An accepted connection always comes with its id and both addresses.
                    const socket = new BridgedSocket(result.id);
                    socket.address = newSocketAddress(interpreter, /** @type {string} */ (result.local));
                    socket.peer = newSocketAddress(interpreter, /** @type {string} */ (result.remote));
                    return socket;
                }
                if (!this.blocking || result.errno !== ERR.EAGAIN) return BrsInvalid.Instance;
                if (!this.waitFor(MASK.readable, this.options.rcvTimeout)) return BrsInvalid.Instance;
            }
        }

        doConnect() {
            const target = this.sendTo;
            if (!target) {
                this.errno = ERR.EDESTADDRREQ;
                return false;
            }
            const result = transport.call("socketConnect", { id: String(this.id), host: target.hostIP, port: String(target.port) });
            this.errno = result.errno;
            if (this.blocking && result.errno === ERR.EINPROGRESS) {
                this.waitFor(MASK.writable | MASK.exception, this.options.sendTimeout);
                this.errno = this.state && this.state.exception ? this.state.errno : ERR.OK;
            }
            return this.errno === ERR.OK || this.errno === ERR.EINPROGRESS;
        }

        doClose() {
            if (this.closed) return;
            this.closed = true;
            transport.call("socketClose", { id: String(this.id) });
            socketsById.delete(this.id);
            if (this.port) bridge.ports.watchers(this.port).delete(this);
        }

        /**
         * @param {keyof BrsBridge.SocketOptions} name
         * @param {number | boolean} value
         * @param {boolean} [remote] also apply it to the host socket (SetNoDelay, SetKeepAlive)
         */
        setOption(name, value, remote) {
            Object.assign(this.options, { [name]: value });
            if (remote) transport.call("socketOption", { id: String(this.id), [name]: value ? "1" : "0" });
            return BrsBoolean.True;
        }

        /**
         * NotifyReadable/Writable/Exception.
         * @param {"r" | "w" | "x"} which
         * @param {BrsEngine.BrsBoolean} on
         */
        setNotify(which, on) {
            this.notify[which] = on.toBoolean();
            return BrsInvalid.Instance;
        }
    }

    bridge.sockets = { BridgedSocket, byId: socketsById };
})();
