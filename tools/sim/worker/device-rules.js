// @ts-check
// The device rules (tools/sim/device-rules.ts) that live in the engine itself: number conversions
// through Float, roByteArray without Slice, Rename that refuses an existing target, a render thread
// that answers a Task's rendezvous while it is idle. The bridge applies the network ones
// (tools/bridge/worker and the Node side). Loaded after brs-sg.real.js.
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

    if (rules.rendezvousWhenRenderIdle) serveRendezvousBetweenFrames();

    /**
     * brs-scenegraph's render thread (RoSGScreen's message-port callback, run by every wait() on the
     * screen's port) applies the Tasks' field sets once per frame and then spins until the next frame
     * is due (1000 / maxFps ms): every rendezvous waits for a frame, and the idle render thread keeps a
     * core busy. And every field set, a Task's too, marks the scene for a redraw (4-18 ms here: a
     * software canvas and a 1280x720 frame posted to the page). Here frames keep their pace, but
     * between them the render thread applies Task updates at once and otherwise sleeps on a doorbell
     * the page rings whenever it hands an update over (tools/sim/page/sim-page.js); and a Task node's
     * own field changes draw nothing (the observers that change what is seen mark the scene themselves).
     */
    function serveRendezvousBetweenFrames() {
        const sg = /** @type {{ "brs-scenegraph"?: BrsSceneGraph.Exports }} */ (globalThis)["brs-scenegraph"];
        if (!sg?.RoSGScreen || !sg.sgRoot || !sg.Task) {
            postMessage("warning,[device-rules] brs-scenegraph exports not found; rendezvous wait for a frame");
            return;
        }
        const root = sg.sgRoot;
        // A Task node is never drawn: its changes keep the mark its sync looks for, without a redraw.
        sg.Task.prototype.makeDirty = function () {
            this.changed = true;
        };
        const screenPrototype = sg.RoSGScreen.prototype;
        const framePass = screenPrototype.getNewEvents;
        /** @type {Int32Array | undefined} */
        let doorbell;
        let frameMs = 0;
        let nextFrameAt = 0;
        screenPrototype.getNewEvents = function (interpreter, wait) {
            if (!root.scene) return framePass.call(this, interpreter, wait);
            if (!doorbell) {
                doorbell = new Int32Array(new SharedArrayBuffer(4));
                postMessage({ simRenderDoorbell: doorbell.buffer });
            }
            if (this.maxMs > 0) {
                // The frame pass must not spin: the wait between frames happens below.
                frameMs = this.maxMs;
                Object.assign(this, { maxMs: 0 }); // (`this.maxMs = 0` would make this function a class to TypeScript)
            }
            const now = performance.now();
            if (now >= nextFrameAt) {
                nextFrameAt = now + frameMs;
                return framePass.call(this, interpreter, wait);
            }
            const rung = Atomics.load(doorbell, 0);
            if (root.processTasks()) {
                return []; // observers may have queued events: let wait() look before sleeping
            }
            Atomics.wait(doorbell, 0, rung, nextFrameAt - now);
            return [];
        };
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
