// @ts-check
// The device rules (tools/sim/device-rules.ts) that live in the engine itself: number conversions
// through Float, roByteArray without Slice, Rename that refuses an existing target. The bridge
// applies the network ones (tools/bridge/worker and the Node side). Loaded after brs-sg.real.js.
(function () {
    "use strict";
    const engine = globalThis.brsEngine;
    const rules = globalThis.__simDeviceRules ?? {};
    if (!engine || !engine.BrsObjects || !engine.stdlib) {
        postMessage("warning,[device-rules] brsEngine exports not found; device rules not applied");
        return;
    }
    const E = engine; // narrowed once for the functions below

    /**
     * The JavaScript number a BrightScript numeric holds (LongIntegers are Long objects).
     * @param {BrsEngine.Numeric} value
     */
    function numberOf(value) {
        const raw = typeof value.unbox === "function" ? value.unbox().getValue() : value.getValue();
        return typeof raw === "number" ? raw : raw.toNumber();
    }

    /**
     * Runs a global function with its argument first rounded to a 32-bit Float, as its documented
     * signature takes it. `single` is that Float's exact value (the engine's Float keeps only seven
     * digits, so it is carried as a Double).
     * @param {BrsEngine.Callable} callable
     * @param {(single: number, original: (argument: BrsEngine.Value) => BrsEngine.Value) => BrsEngine.Value} convert
     */
    function throughFloat(callable, convert) {
        for (const signature of callable.signatures) {
            const original = signature.impl;
            signature.impl = (interpreter, value, ...rest) => {
                if (!isNumeric(value)) return original(interpreter, value, ...rest);
                const single = Math.fround(numberOf(value));
                return convert(single, (argument) => original(interpreter, argument, ...rest));
            };
        }
    }

    if (rules.numbersThroughFloat) {
        // Str(value as Float): the Float's text, %g with six significant digits (" 1.75905e+15").
        throughFloat(E.stdlib.Str, (single) => new E.BrsString((single >= 0 ? " " : "") + new E.Float(single).toString()));
        throughFloat(E.stdlib.Int, (single, original) => original(new E.Double(single)));
        throughFloat(E.stdlib.Fix, (single, original) => original(new E.Double(single)));
    }

    /**
     * Whether a BrightScript value carries a number (unboxed, or boxed with `unbox`).
     * @param {BrsEngine.Value | undefined} value
     * @returns {value is BrsEngine.Numeric}
     */
    function isNumeric(value) {
        const maybe = /** @type {Partial<BrsEngine.Numeric> | undefined} */ (value);
        return !!maybe && (typeof maybe.getValue === "function" || typeof maybe.unbox === "function");
    }

    /**
     * Wraps a built-in component's factory so each new object can be adjusted.
     * @template {BrsEngine.Component} T
     * @param {string} name
     * @param {(object: T) => void} adjust
     */
    function adjustComponent(name, adjust) {
        const factory = E.BrsObjects.get(name);
        if (!factory) return postMessage(`warning,[device-rules] no ${name} to adjust`);
        E.BrsObjects.set(name, (...args) => {
            const object = factory(...args);
            adjust(/** @type {T} */ (object));
            return object;
        });
    }

    if (rules.noByteArraySlice) {
        adjustComponent("roByteArray", (byteArray) => {
            byteArray.methods.delete("slice");
            byteArray.interfaces.delete("ifarrayslice");
        });
    }

    if (rules.renameRefusesExisting) {
        adjustComponent("roFileSystem", (fileSystem) => {
            // Both exist on every roFileSystem (the casts drop Map.get's undefined).
            const rename = /** @type {BrsEngine.Callable} */ (fileSystem.methods.get("rename"));
            const exists = /** @type {BrsEngine.Callable} */ (fileSystem.methods.get("exists"));
            for (const signature of rename.signatures) {
                const original = signature.impl;
                signature.impl = (interpreter, from, to) => {
                    const existsImpl = /** @type {BrsEngine.Implementation} */ (exists.signatures[0]?.impl);
                    if (/** @type {BrsEngine.BrsBoolean} */ (existsImpl(interpreter, to)).toBoolean()) return E.BrsBoolean.False;
                    return original(interpreter, from, to);
                };
            }
        });
    }
})();
