// @ts-check
// Last of the bridge's worker scripts: installs the bridge into the engine. roStreamSocket becomes
// the bridged socket (brs-bridge-sockets.js), roUrlTransfer gets bridged Async* methods
// (brs-bridge-url-transfer.js, unless the run keeps the engine's), and a BrsExtension's tick hook
// (run before every statement) pulls downloads so their files grow while the channel runs.
(function () {
    "use strict";
    if (!globalThis.brsBridge) return; // no engine: brs-bridge-base.js said so
    const bridge = globalThis.brsBridge;
    const { engine: E, transport, transfers } = bridge;
    const TICK_PULL_MS = 20;

    E.BrsObjects.set("roStreamSocket", () => new bridge.sockets.BridgedSocket());
    if (transport.config.urlTransfer) {
        const engineFactory = /** @type {NonNullable<ReturnType<BrsEngine.ObjectFactories["get"]>>} */ (E.BrsObjects.get("roUrlTransfer"));
        E.BrsObjects.set("roUrlTransfer", (interpreter) =>
            bridge.urlTransfer.wrap(/** @type {BrsEngine.UrlTransfer} */ (engineFactory(interpreter))),
        );
    }

    /** @implements {BrsEngine.Extension} */
    class BridgeExtension {
        constructor() {
            this.name = "brs-bridge";
            this.version = "1.0.0";
            this.lastPull = 0;
            this.allocatorChecked = false;
        }
        // Runs before every statement: cheap unless transfers are in flight.
        tick() {
            if (!this.allocatorChecked) {
                this.allocatorChecked = true;
                transfers.installAllocator();
            }
            if (!transfers.hasActive() || transport.isDead()) return;
            const now = performance.now();
            if (now - this.lastPull < TICK_PULL_MS) return;
            this.lastPull = now;
            transfers.pullActive();
        }
    }
    E.registerExtension(() => new BridgeExtension());
    const replaced = `roStreamSocket${transport.config.urlTransfer ? ", roUrlTransfer" : ""}`;
    bridge.log("debug", `installed (${replaced}; transport: ${transport.name()})`);
})();
