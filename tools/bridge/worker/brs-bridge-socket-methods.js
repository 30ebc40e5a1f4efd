// @ts-check
// roStreamSocket's BrightScript interfaces (ifSocket, ifSocketConnection, ifSocketStatus,
// ifSocketConnectionStatus, ifSocketAsync, ifSocketOption, ifSocketConnectionOption and the message
// port ones), each method mapped onto a BridgedSocket (brs-bridge-sockets.js).
// Adds `brsBridge.socketMethods`.
(function () {
    "use strict";
    if (!globalThis.brsBridge) return; // no engine: brs-bridge-base.js said so
    const bridge = globalThis.brsBridge;
    const { method, bool, int, rules: RULES } = bridge;
    const { BrsString, BrsInvalid, BrsBoolean, ValueKind: K } = bridge.engine;
    const { errno: ERR } = bridge.protocol;

    /** @typedef {BrsBridge.Socket} Socket */
    /** @typedef {"ttl" | "sendBuf" | "rcvBuf" | "sendTimeout" | "rcvTimeout" | "linger" | "maxSeg"} IntOption */
    /** @typedef {"reuseAddr" | "oobInline" | "keepAlive" | "noDelay"} BoolOption */

    /**
     * Receive(ba, start, n) semantics: bytes land at `start`, the array grows if it is shorter.
     * @param {BrsEngine.ByteArray} byteArray
     * @param {number} start
     * @param {Uint8Array} bytes
     */
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

    /** @param {Socket} socket */
    function connectionMethods(socket) {
        return [
            method("listen", [["backlog", K.Int32]], K.Boolean, (_, /** @type {BrsEngine.Int32} */ backlog) =>
                bool(socket.doListen(backlog.getValue())),
            ),
            method("isListening", [], K.Boolean, () => bool(socket.listening && !socket.closed)),
            method("connect", [], K.Boolean, () => bool(socket.doConnect())),
            method("accept", [], K.Object, (interpreter) => socket.doAccept(interpreter)),
            method("isConnected", [], K.Boolean, () => bool(!socket.closed && socket.current().connected)),
        ];
    }

    /**
     * ifSocket: moving bytes, addresses and counts.
     * @param {Socket} socket
     */
    function ioMethods(socket) {
        /**
         * Send(data, startIndex, length): what the send buffer took, -1 when nothing.
         * @param {BrsEngine.Interpreter} _
         * @param {BrsEngine.ByteArray} data
         * @param {BrsEngine.Int32} start
         * @param {BrsEngine.Int32} length
         */
        function send(_, data, start, length) {
            const elements = data.elements ?? new Uint8Array(0);
            const from = Math.max(0, start.getValue());
            const to = Math.min(elements.length, from + Math.max(0, length.getValue()));
            return int(socket.sendBytes(elements.subarray(from, Math.max(from, to))));
        }
        /**
         * Receive(data, startIndex, length): bytes stored, 0 or -1 when none (see status()).
         * @param {BrsEngine.Interpreter} _
         * @param {BrsEngine.ByteArray} data
         * @param {BrsEngine.Int32} start
         * @param {BrsEngine.Int32} length
         */
        function receive(_, data, start, length) {
            const bytes = socket.receiveBytes(length.getValue());
            if (bytes.length === 0 && socket.errno === ERR.EAGAIN && RULES.receiveZeroWhenEmpty) return int(0);
            if (bytes.length === 0) return int(socket.errno === ERR.OK ? 0 : -1);
            writeInto(data, Math.max(0, start.getValue()), bytes);
            return int(bytes.length);
        }
        /** @type {[string, number][]} */
        const range = [
            ["data", K.Object],
            ["startIndex", K.Int32],
            ["length", K.Int32],
        ];
        return [
            method("send", range, K.Int32, send),
            method("sendStr", [["data", K.String]], K.Int32, (_, /** @type {BrsEngine.BrsString} */ data) =>
                int(socket.sendBytes(new TextEncoder().encode(data.value))),
            ),
            method("receive", range, K.Int32, receive),
            method(
                "receiveStr",
                [["length", K.Int32]],
                K.String,
                (_, /** @type {BrsEngine.Int32} */ length) =>
                    new BrsString(new TextDecoder().decode(socket.receiveBytes(length.getValue()))),
            ),
            method("close", [], K.Void, () => {
                socket.doClose();
                return BrsInvalid.Instance;
            }),
            method("setAddress", [["sockAddr", K.Object]], K.Boolean, (_, /** @type {BrsEngine.SocketAddress} */ address) =>
                bool(socket.bindTo(address)),
            ),
            method("getAddress", [], K.Object, () => socket.address ?? BrsInvalid.Instance),
            method("setSendToAddress", [["sockAddr", K.Object]], K.Boolean, (_, /** @type {BrsEngine.SocketAddress} */ address) => {
                socket.sendTo = address;
                return BrsBoolean.True;
            }),
            method("getSendToAddress", [], K.Object, () => socket.sendTo ?? BrsInvalid.Instance),
            method("getReceivedFromAddress", [], K.Object, () => socket.peer ?? BrsInvalid.Instance),
            method("getCountRcvBuf", [], K.Int32, () => int(socket.current().rcv)),
            method("getCountSendBuf", [], K.Int32, () => int(socket.current().snd)),
            method("status", [], K.Int32, () => int(socket.errno)),
        ];
    }

    /**
     * ifSocketStatus and ifSocketConnectionStatus: the last operation's errno, by name.
     * @param {Socket} socket
     */
    function statusMethods(socket) {
        /**
         * @param {string} name
         * @param {number[]} codes
         */
        const errnoIs = (name, ...codes) => method(name, [], K.Boolean, () => bool(codes.includes(socket.errno)));
        return {
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
        };
    }

    /**
     * ifSocketAsync: readiness and event interest.
     * @param {Socket} socket
     */
    function asyncMethods(socket) {
        /** @param {"r" | "w" | "x"} which */
        const notify = (which) => (/** @type {BrsEngine.Interpreter} */ _, /** @type {BrsEngine.BrsBoolean} */ on) =>
            socket.setNotify(which, on);
        return [
            method("isReadable", [], K.Boolean, () => bool(socket.current().readable)),
            method("isWritable", [], K.Boolean, () => bool(socket.current().writable)),
            method("isException", [], K.Boolean, () => bool(socket.current().exception)),
            method("notifyReadable", [["enable", K.Boolean]], K.Void, notify("r")),
            method("notifyWritable", [["enable", K.Boolean]], K.Void, notify("w")),
            method("notifyException", [["enable", K.Boolean]], K.Void, notify("x")),
            method("getID", [], K.Int32, () => int(socket.id)),
        ];
    }

    /**
     * Get/Set pair of an Integer option.
     * @param {Socket} socket
     * @param {string} name the option's name in Get<name>/Set<name>
     * @param {IntOption} key
     */
    function intOption(socket, name, key) {
        return [
            method(`get${name}`, [], K.Int32, () => int(socket.options[key])),
            method(`set${name}`, [["value", K.Int32]], K.Boolean, (_, /** @type {BrsEngine.Int32} */ value) =>
                socket.setOption(key, value.getValue()),
            ),
        ];
    }

    /**
     * Get/Set pair of a Boolean option; `remote` ones also reach the host socket.
     * @param {Socket} socket
     * @param {string} name
     * @param {BoolOption} key
     * @param {boolean} [remote]
     */
    function boolOption(socket, name, key, remote) {
        return [
            method(`get${name}`, [], K.Boolean, () => bool(socket.options[key])),
            method(`set${name}`, [["value", K.Boolean]], K.Boolean, (_, /** @type {BrsEngine.BrsBoolean} */ value) =>
                socket.setOption(key, value.toBoolean(), remote),
            ),
        ];
    }

    /**
     * ifSetMessagePort and ifGetMessagePort, each under both names.
     * @param {Socket} socket
     */
    function portMethods(socket) {
        const setPort = (/** @type {BrsEngine.Interpreter} */ _, /** @type {BrsEngine.MessagePort} */ port) => socket.setPort(port);
        const getPort = () => socket.port ?? BrsInvalid.Instance;
        return {
            ifSetMessagePort: [
                method("setMessagePort", [["port", K.Object]], K.Void, setPort),
                method("setPort", [["port", K.Object]], K.Void, setPort),
            ],
            ifGetMessagePort: [method("getMessagePort", [], K.Object, getPort), method("getPort", [], K.Object, getPort)],
        };
    }

    /** @type {BrsBridge.SocketMethods["of"]} */
    function of(socket) {
        return {
            ifSocketConnection: connectionMethods(socket),
            ifSocket: ioMethods(socket),
            ...statusMethods(socket),
            ifSocketAsync: asyncMethods(socket),
            ifSocketOption: [
                ...intOption(socket, "TTL", "ttl"),
                ...boolOption(socket, "ReuseAddr", "reuseAddr"),
                ...boolOption(socket, "OOBInline", "oobInline"),
                ...intOption(socket, "SendBuf", "sendBuf"),
                ...intOption(socket, "RcvBuf", "rcvBuf"),
                ...intOption(socket, "SendTimeout", "sendTimeout"),
                ...intOption(socket, "ReceiveTimeout", "rcvTimeout"),
            ],
            ifSocketConnectionOption: [
                ...boolOption(socket, "KeepAlive", "keepAlive", true),
                ...intOption(socket, "Linger", "linger"),
                ...intOption(socket, "MaxSeg", "maxSeg"),
                ...boolOption(socket, "NoDelay", "noDelay", true),
            ],
            ...portMethods(socket),
        };
    }

    bridge.socketMethods = { of };
})();
