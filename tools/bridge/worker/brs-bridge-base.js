// @ts-check
// First of the bridge's worker scripts (after brs-sg.real.js and the protocol table): creates the
// namespace the others share, `globalThis.brsBridge` (its parts: brs-bridge.d.ts), with what
// they all use: the engine, the protocol table, the run's device rules and helpers to build
// BrightScript methods.
// Without the engine's exports nothing is created, and the later scripts install nothing.
(function () {
    "use strict";
    const E = globalThis.brsEngine;
    const protocol = globalThis.brsBridgeProtocol;
    if (!E || !E.BrsObjects) {
        postMessage("warning,[bridge] brsEngine exports not found; bridge not installed");
        return;
    }
    if (!protocol) {
        postMessage("warning,[bridge] protocol table not loaded; bridge not installed");
        return;
    }
    const { Callable, StdlibArgument, BrsBoolean, Int32 } = E;

    /**
     * @param {string} level debug, warning or error
     * @param {string} text
     */
    function log(level, text) {
        postMessage(`${level},[bridge] ${text}`);
    }

    /** @type {BrsBridge.Namespace["method"]} */
    function method(name, args, returns, impl) {
        return new Callable(name, {
            signature: { args: args.map(([n, kind, dflt]) => new StdlibArgument(n, kind, dflt)), returns },
            impl,
        });
    }

    // The other parts are added by the scripts that follow (load order: BRIDGE_WORKER_SCRIPTS).
    globalThis.brsBridge = /** @type {BrsBridge.Namespace} */ ({
        engine: E,
        protocol,
        // The device rules of this run (tools/sim/device-rules.ts), set by the simulator's worker setup.
        rules: globalThis.__simDeviceRules ?? {},
        log,
        method,
        bool: (value) => BrsBoolean.from(!!value),
        int: (value) => new Int32(value),
    });
})();
