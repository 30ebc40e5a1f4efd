// @ts-check
// roUrlTransfer's Async* methods (and GetIdentity, AsyncCancel, RetainBodyOnError,
// GetFailureReason) replaced on the engine's own object, so requests run in the Node bridge in the
// background (brs-bridge-transfers.js); the synchronous methods stay the engine's.
// Adds `brsBridge.urlTransfer`.
(function () {
    "use strict";
    if (!globalThis.brsBridge) return; // no engine: brs-bridge-base.js said so
    const bridge = globalThis.brsBridge;
    const { method, bool, int, transfers } = bridge;
    const { BrsBoolean, BrsString, ValueKind: K } = bridge.engine;
    const DEVICE_CA_BUNDLE = "common:/certs/ca-bundle.crt";
    // Unique per object, like a device's; the engine's own picks a random number below 80.
    let nextIdentity = 1000 + Math.floor(Math.random() * 1000) * 1000;

    /** @param {BrsEngine.UrlTransfer} owner */
    function headersOf(owner) {
        /** @type {Record<string, string>} */
        const headers = {};
        if (owner.customHeaders) for (const [key, value] of owner.customHeaders) headers[key] = value;
        if (owner.user !== undefined && owner.password !== undefined) {
            headers.Authorization = "Basic " + btoa(`${owner.user}:${owner.password}`);
        }
        return headers;
    }

    /**
     * What SetCertificatesFile named; any file but the device's own bundle goes along as PEM.
     * @param {BrsEngine.UrlTransfer} owner
     * @returns {{ certificatesFile?: string, certificatesPem?: string }}
     */
    function certificatesOf(owner) {
        const file = owner.certificatesFile;
        if (!file) return {};
        if (file.toLowerCase() === DEVICE_CA_BUNDLE) return { certificatesFile: file };
        const bytes = transfers.readFile(file);
        return { certificatesFile: file, certificatesPem: bytes ? new TextDecoder().decode(bytes) : undefined };
    }

    /**
     * Starts one transfer in the bridge; false when this object already has one in flight.
     * @param {BrsEngine.UrlTransfer} owner
     * @param {"string" | "file" | "head"} kind
     * @param {string} defaultMethod the method unless SetRequest named another
     * @param {Uint8Array} [body]
     * @param {string} [target]
     */
    function begin(owner, kind, defaultMethod, body, target) {
        if (transfers.inFlight(owner)) return false;
        /** @type {BrsBridge.TransferRequest} */
        const request = {
            url: owner.url,
            method: owner.reqMethod || defaultMethod,
            headers: headersOf(owner),
            retainBodyOnError: transfers.stateOf(owner).retainBody,
            discardBody: kind === "head",
            ...certificatesOf(owner),
        };
        transfers.start(owner, kind, request, body, target);
        return true;
    }

    /**
     * The Async* methods.
     * @param {BrsEngine.UrlTransfer} owner
     */
    function asyncMethods(owner) {
        return [
            method("asyncGetToString", [], K.Boolean, () => bool(begin(owner, "string", "GET"))),
            method("asyncGetToFile", [["filePath", K.String]], K.Boolean, (_, /** @type {BrsEngine.BrsString} */ path) =>
                bool(begin(owner, "file", "GET", undefined, path.value)),
            ),
            method("asyncHead", [], K.Boolean, () => bool(begin(owner, "head", "HEAD"))),
            method("asyncPostFromString", [["request", K.String]], K.Boolean, (_, /** @type {BrsEngine.BrsString} */ body) =>
                bool(begin(owner, "string", "POST", new TextEncoder().encode(body.value))),
            ),
            method("asyncPostFromFile", [["filePath", K.String]], K.Boolean, (_, /** @type {BrsEngine.BrsString} */ path) => {
                const body = transfers.readFile(path.value);
                return bool(body !== undefined && begin(owner, "string", "POST", body));
            }),
            method(
                "asyncPostFromFileToFile",
                [
                    ["fromFile", K.String],
                    ["toFile", K.String],
                ],
                K.Boolean,
                (_, /** @type {BrsEngine.BrsString} */ from, /** @type {BrsEngine.BrsString} */ to) => {
                    const body = transfers.readFile(from.value);
                    return bool(body !== undefined && begin(owner, "file", "POST", body, to.value));
                },
            ),
            method("asyncCancel", [], K.Boolean, () => {
                transfers.cancel(owner);
                return BrsBoolean.True;
            }),
        ];
    }

    /** @type {BrsBridge.UrlTransfers["wrap"]} */
    function wrap(owner) {
        const state = transfers.stateOf(owner);
        state.identity = nextIdentity++;
        // The engine starts every transfer with the common bundle; a device trusts nothing until
        // SetCertificatesFile is called (the device rule httpsNeedsCertificates acts on that).
        owner.certificatesFile = "";
        owner.overrideMethods([
            method("getIdentity", [], K.Int32, () => int(state.identity)),
            ...asyncMethods(owner),
            method("retainBodyOnError", [["retain", K.Boolean]], K.Boolean, (_, /** @type {BrsEngine.BrsBoolean} */ retain) => {
                const previous = state.retainBody;
                state.retainBody = retain.toBoolean();
                return bool(previous);
            }),
            method("getFailureReason", [], K.String, () => new BrsString(owner.failureReason ?? "")),
        ]);
        return owner;
    }

    bridge.urlTransfer = { wrap };
})();
