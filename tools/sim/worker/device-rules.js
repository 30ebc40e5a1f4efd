// The device rules (tools/sim/device-rules.ts) that live in the engine itself: number conversions
// through Float, roByteArray without Slice, Rename that refuses an existing target. The bridge
// applies the network ones (brs-bridge-ext.js and the Node side). Loaded after brs-sg.real.js.
(function () {
    "use strict";
    const E = globalThis.brsEngine;
    const rules = globalThis.__simDeviceRules ?? {};
    if (!E || !E.BrsObjects || !E.stdlib) {
        postMessage("warning,[device-rules] brsEngine exports not found; device rules not applied");
        return;
    }

    /** The JavaScript number a BrightScript numeric holds (LongIntegers are Long objects). */
    function numberOf(value) {
        const raw = typeof value.unbox === "function" ? value.unbox().getValue() : value.getValue();
        return typeof raw === "number" ? raw : raw.toNumber();
    }

    /**
     * Runs a global function with its argument first rounded to a 32-bit Float, as its documented
     * signature takes it. `single` is that Float's exact value (the engine's Float keeps only seven
     * digits, so it is carried as a Double).
     */
    function throughFloat(callable, convert) {
        for (const signature of callable.signatures) {
            const original = signature.impl;
            signature.impl = (interpreter, value, ...rest) => {
                if (!value || typeof value.getValue !== "function" && typeof value.unbox !== "function") {
                    return original(interpreter, value, ...rest);
                }
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

    /** Wraps a built-in component's factory so each new object can be adjusted. */
    function adjustComponent(name, adjust) {
        const factory = E.BrsObjects.get(name);
        if (!factory) return postMessage(`warning,[device-rules] no ${name} to adjust`);
        E.BrsObjects.set(name, (...args) => {
            const object = factory(...args);
            adjust(object);
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
            const rename = fileSystem.methods.get("rename");
            const exists = fileSystem.methods.get("exists");
            for (const signature of rename.signatures) {
                const original = signature.impl;
                signature.impl = (interpreter, from, to) => {
                    if (exists.signatures[0].impl(interpreter, to).toBoolean()) return E.BrsBoolean.False;
                    return original(interpreter, from, to);
                };
            }
        });
    }
})();
