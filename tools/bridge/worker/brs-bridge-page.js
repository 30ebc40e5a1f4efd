// @ts-check
// Page init script of the bridge's fast transport (added by the Simulator when the bridge is on,
// after the protocol table: bridgePageScript in tools/bridge/attach.ts).
// Wraps window.Worker: each engine worker (/brs.worker.js: the main interpreter and every Task)
// gets a SharedArrayBuffer channel, posted to it before any engine message, and the same buffer goes
// to one relay worker (/brs-bridge-relay.js) that forwards the worker's calls to Node over a
// WebSocket. Without SharedArrayBuffer/Atomics.waitAsync nothing is wrapped and workers use XHR.
(() => {
    "use strict";
    const protocol = globalThis.brsBridgeProtocol;
    if (!protocol) return;
    // Per worker; bigger answers go in chunks.
    const CHANNEL_BYTES = protocol.channel.dataOffset + protocol.channel.dataBytes;
    if (typeof SharedArrayBuffer !== "function" || typeof Atomics.waitAsync !== "function") return;
    if (!globalThis.crossOriginIsolated || !/^https?:$/.test(location.protocol)) return;
    const NativeWorker = globalThis.Worker;
    /** @type {Worker | undefined} */
    let relay;
    let nextChannel = 1;
    function relayWorker() {
        if (!relay) {
            relay = new NativeWorker(new URL("/brs-bridge-relay.js", location.href));
            relay.addEventListener("error", (event) => console.error(`[bridge] relay worker failed: ${event.message}`));
        }
        return relay;
    }
    class BridgedWorker extends NativeWorker {
        /**
         * @param {string | URL} url
         * @param {WorkerOptions} [options]
         */
        constructor(url, options) {
            super(url, options);
            /** @type {number | undefined} the relay's id for this worker's channel */
            this.__bridgeChannelId = undefined;
            let engineWorker = false;
            try {
                engineWorker = new URL(String(url), location.href).pathname.endsWith("/brs.worker.js");
            } catch {
                engineWorker = false;
            }
            if (!engineWorker) return;
            const channel = new SharedArrayBuffer(CHANNEL_BYTES);
            this.__bridgeChannelId = nextChannel++;
            relayWorker().postMessage({ channel, id: this.__bridgeChannelId });
            super.postMessage({ brsBridgeChannel: channel });
        }
        /** @override */
        terminate() {
            if (this.__bridgeChannelId && relay) relay.postMessage({ release: this.__bridgeChannelId });
            super.terminate();
        }
    }
    globalThis.Worker = BridgedWorker;
})();
