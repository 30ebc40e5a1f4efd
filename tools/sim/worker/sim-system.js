// @ts-check
// What the simulated system does to a running channel, in every engine thread (loaded after
// device-rules.js): cachefs: carried over from the previous launch (device rule
// cachefsKeptUntilReboot), cachefs: files deleted while the channel runs (the simulator's
// `remote.cachefs`), and roAppMemoryMonitor answering from the simulator's memory figures, with
// roAppMemoryNotificationEvent when usage crosses a threshold (device rule memoryMonitorFromRules).
// The page (tools/sim/page/sim-page.js) makes the cachefs: volume and one shared buffer of words
// and passes both in the engine's device info, which every thread receives (docs/simulator.md).
(function () {
    "use strict";
    const engine = globalThis.brsEngine;
    const rules = globalThis.__simDeviceRules ?? {};
    if (!engine || !engine.BrsObjects || !engine.BrsDevice) {
        postMessage("warning,[sim-system] brsEngine exports not found; cachefs: and memory figures are the engine's own");
        return;
    }
    const E = engine; // narrowed once for the functions below
    const device = E.BrsDevice;

    // Word layout of the shared buffer (the same table is in sim-page.js).
    const SYS = {
        memoryGeneration: 0,
        usedKiB: 1,
        limitKiB: 2,
        requestState: 3, // 0 idle, 1 asked, 2 being served, 3 answered
        requestBytes: 4,
        ackBell: 5,
        firstMonitorSlot: 8,
        monitorSlots: 64,
        dataOffset: 512,
        dataBytes: 1024 * 1024,
    };
    const THRESHOLDS = [80, 85, 90, 95];
    // Longest sleep of a monitor alone on a port between looks at its thread's other business.
    const IDLE_SLEEP_MS = 50;

    /** @type {Int32Array | undefined} */
    let system;
    let mainThread = false;

    // setupFileSystem runs once per thread, after the device info arrived: the main interpreter
    // (no taskData) makes the volumes, so cachefs: becomes the page's buffer there; each Task gets
    // the main thread's volumes from it.
    const setupFileSystem = device.setupFileSystem;
    device.setupFileSystem = function (payload) {
        const info = device.deviceInfo;
        if (info.simSystem instanceof SharedArrayBuffer) system = new Int32Array(info.simSystem);
        mainThread = !payload.taskData;
        if (mainThread && info.simCacheFS instanceof SharedArrayBuffer && info.simCacheFS.byteLength === info.cacheFSVolSize) {
            device.cacheFS = info.simCacheFS;
        }
        return setupFileSystem.call(this, payload);
    };

    // Requests from the page are served by the main thread whenever it looks at a message port
    // (every turn of wait(), GetMessage(), PeekMessage()): one thread, so without the network
    // bridge's shared-volume fix the thread that serves is the one whose file tables are fresh.
    const portFactory = E.BrsObjects.get("roMessagePort");
    const portPrototype = portFactory ? Object.getPrototypeOf(portFactory(/** @type {BrsEngine.Interpreter} */ ({}))) : undefined;
    if (portPrototype && typeof portPrototype.updateMessageQueue === "function") {
        const updateMessageQueue = portPrototype.updateMessageQueue;
        portPrototype.updateMessageQueue = function (/** @type {unknown[]} */ ...args) {
            if (mainThread && system && Atomics.load(system, SYS.requestState) === 1) serveRequest(system);
            return updateMessageQueue.apply(this, args);
        };
    } else {
        postMessage("warning,[sim-system] roMessagePort.updateMessageQueue not found; cachefs: requests are not served");
    }

    /** @param {Int32Array} words */
    function serveRequest(words) {
        if (Atomics.compareExchange(words, SYS.requestState, 1, 2) !== 1) return;
        const bytes = new Uint8Array(words.buffer, SYS.dataOffset, Atomics.load(words, SYS.requestBytes)).slice();
        /** @type {{ result?: unknown, error?: string }} */
        let answer;
        try {
            const request = JSON.parse(new TextDecoder().decode(bytes));
            answer = { result: request.op === "list" ? listCachefs() : removeFromCachefs(request.paths) };
        } catch (error) {
            answer = { error: /** @type {Error} */ (error).message };
        }
        let out = new TextEncoder().encode(JSON.stringify(answer));
        if (out.length > SYS.dataBytes) out = new TextEncoder().encode(JSON.stringify({ error: "answer too long" }));
        new Uint8Array(words.buffer, SYS.dataOffset, out.length).set(out);
        Atomics.store(words, SYS.requestBytes, out.length);
        Atomics.store(words, SYS.requestState, 3);
        Atomics.notify(words, SYS.requestState);
    }

    function fileSystem() {
        const files = device.fileSystem;
        if (!files) throw new Error("the engine's file system is not set up");
        return files;
    }

    /** Every file under cachefs:, as { path: "cachefs:/a/b", size }, sorted by path. */
    function listCachefs() {
        const files = fileSystem();
        const zfs = files.getFS("cachefs:/");
        /** @type {{ path: string, size: number }[]} */
        const found = [];
        /** @param {string} dir a "cachefs:/..." path ending in "/" */
        const walk = (dir) => {
            for (const name of zfs.readdirSync(files.getPath(dir))) {
                const path = dir + name;
                const stat = zfs.statSync(files.getPath(path));
                if (stat.isDirectory()) walk(path + "/");
                else found.push({ path, size: stat.size });
            }
        };
        walk("cachefs:/");
        return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    }

    /**
     * Deletes the files that exist; returns their paths (folders are left alone).
     * @param {unknown} paths
     */
    function removeFromCachefs(paths) {
        if (!Array.isArray(paths)) throw new Error("remove needs a list of paths");
        const files = fileSystem();
        const zfs = files.getFS("cachefs:/");
        /** @type {string[]} */
        const removed = [];
        for (const path of paths) {
            if (typeof path !== "string" || !/^cachefs:\//i.test(path)) throw new Error(`not a cachefs: path: ${String(path)}`);
            const real = files.getPath(path);
            if (!zfs.existsSync(real) || zfs.statSync(real).isDirectory()) continue;
            zfs.unlinkSync(real);
            removed.push(path);
        }
        return removed;
    }

    if (rules.memoryMonitorFromRules) installMemoryMonitor();

    /**
     * roAppMemoryMonitor from the simulator's figures (usedKiB of limitKiB, shared by every thread).
     * A monitor with a port checks the figures each time its port is looked at; with warnings on it
     * queues one roAppMemoryNotificationEvent when the percentage moved across a threshold since
     * it last looked. It then records the generation it saw in its slot, which is how the page knows
     * the change reached every monitor.
     */
    function installMemoryMonitor() {
        const {
            BrsComponent,
            BrsEvent,
            BrsBoolean,
            BrsInvalid,
            BrsString,
            Int32,
            Callable,
            StdlibArgument,
            ValueKind,
            RoAssociativeArray,
        } = E;

        /**
         * @param {string} name
         * @param {[string, number][]} args
         * @param {number} returns
         * @param {BrsEngine.NewImplementation} impl
         */
        const method = (name, args, returns, impl) =>
            new Callable(name, { signature: { args: args.map(([n, kind]) => new StdlibArgument(n, kind)), returns }, impl });

        /** @param {Record<string, BrsEngine.Value>} fields */
        const newAA = (fields) =>
            new RoAssociativeArray(Object.entries(fields).map(([name, value]) => ({ name: new BrsString(name), value })));

        function figures() {
            const words = /** @type {Int32Array} */ (system);
            const limitKiB = Atomics.load(words, SYS.limitKiB);
            const usedKiB = Atomics.load(words, SYS.usedKiB);
            return { limitKiB, usedKiB, percent: limitKiB > 0 ? Math.floor((usedKiB * 100) / limitKiB) : 0 };
        }
        /** How many thresholds a percentage has reached: an event is due when this changes. */
        const band = (/** @type {number} */ percent) => THRESHOLDS.filter((threshold) => percent >= threshold).length;

        class RoAppMemoryNotificationEvent extends BrsEvent {
            /** @param {number} percent */
            constructor(percent) {
                super("roAppMemoryNotificationEvent");
                this.registerMethods({
                    ifAppMemoryNotificationEvent: [
                        method("getInfo", [], ValueKind.Object, () => newAA({ memoryUsagePercent: new Int32(percent) })),
                    ],
                });
            }
            /** @override */
            toString() {
                return "<Component: roAppMemoryNotificationEvent>";
            }
        }

        let nextMonitor = 1;
        class SimMemoryMonitor extends BrsComponent {
            constructor() {
                super("roAppMemoryMonitor");
                this.kind = ValueKind.Object;
                this.key = `sim-memory-monitor-${nextMonitor++}`;
                this.enabled = false;
                /** @type {BrsEngine.MessagePort | undefined} */
                this.port = undefined;
                this.slot = -1;
                this.seenGeneration = 0;
                this.seenPercent = 0;
                this.registerMethods({
                    ifAppMemoryMonitor: [
                        method(
                            "enableMemoryWarningEvent",
                            [["enable", ValueKind.Boolean]],
                            ValueKind.Boolean,
                            (_i, /** @type {BrsEngine.BrsBoolean} */ enable) => {
                                this.enabled = enable.toBoolean();
                                this.baseline();
                                this.updateSlot();
                                return BrsBoolean.True;
                            },
                        ),
                        method("getMemoryLimitPercent", [], ValueKind.Int32, () => new Int32(figures().percent)),
                        method("getChannelAvailableMemory", [], ValueKind.Int32, () => {
                            const { limitKiB, usedKiB } = figures();
                            return new Int32(Math.max(0, limitKiB - usedKiB));
                        }),
                        method("getChannelMemoryLimit", [], ValueKind.Object, () => {
                            const { limitKiB } = figures();
                            return newAA({
                                maxForegroundMemory: new Int32(limitKiB),
                                maxBackgroundMemory: new Int32(Math.floor(limitKiB / 4)),
                                maxRokuManagedHeapMemory: new Int32(Math.floor(limitKiB / 2)),
                            });
                        }),
                    ],
                    ifSetMessagePort: [
                        method(
                            "setMessagePort",
                            [["port", ValueKind.Object]],
                            ValueKind.Void,
                            (_i, /** @type {BrsEngine.Value} */ port) => {
                                this.setPort(port);
                                return BrsInvalid.Instance;
                            },
                        ),
                    ],
                    ifGetMessagePort: [method("getMessagePort", [], ValueKind.Object, () => this.port ?? BrsInvalid.Instance)],
                });
            }
            /** @override */
            toString() {
                return "<Component: roAppMemoryMonitor>";
            }
            /** @override */
            equalTo() {
                return BrsBoolean.False;
            }
            baseline() {
                this.seenGeneration = system ? Atomics.load(system, SYS.memoryGeneration) : 0;
                this.seenPercent = system ? figures().percent : 0;
            }
            /** @param {BrsEngine.Value} port */
            setPort(port) {
                if (this.port) this.port.unregisterCallback(this.key);
                const isPort =
                    port instanceof BrsComponent && /** @type {BrsEngine.Component} */ (port).getComponentName?.() === "roMessagePort";
                this.port = isPort ? /** @type {BrsEngine.MessagePort} */ (port) : undefined;
                this.port?.registerCallback(this.key, (_interpreter, wait) => this.check(wait));
                this.baseline();
                this.updateSlot();
            }
            /**
             * Holds a slot while a port is set: the page waits for every such monitor to look at new
             * figures, so a test can tell "no event" from "not looked yet" (warnings on or off).
             */
            updateSlot() {
                if (!system) return;
                const wanted = !!this.port;
                if (wanted && this.slot < 0) {
                    for (let i = 0; i < SYS.monitorSlots; i++) {
                        if (Atomics.compareExchange(system, SYS.firstMonitorSlot + i, 0, Math.max(1, this.seenGeneration)) === 0) {
                            this.slot = i;
                            break;
                        }
                    }
                    if (this.slot < 0)
                        postMessage("warning,[sim-system] more than 64 memory monitors; remote.memory() does not wait for this one");
                } else if (!wanted && this.slot >= 0) {
                    Atomics.store(system, SYS.firstMonitorSlot + this.slot, 0);
                    this.slot = -1;
                    this.ring();
                }
            }
            ring() {
                if (!system) return;
                Atomics.add(system, SYS.ackBell, 1);
                Atomics.notify(system, SYS.ackBell);
            }
            /**
             * The port's callback: an event when the figures crossed a threshold since the last look.
             * @param {number | undefined} wait wait()'s timeout (0 = forever); undefined for GetMessage/PeekMessage
             */
            check(wait) {
                if (!system) return [];
                let generation = Atomics.load(system, SYS.memoryGeneration);
                if (generation === this.seenGeneration && wait !== undefined && this.aloneOnPort()) {
                    // wait() spins over its callbacks: on a port with nothing else to look at, sleep
                    // until the figures change (the page notifies) or a while has passed.
                    Atomics.wait(system, SYS.memoryGeneration, generation, wait === 0 ? IDLE_SLEEP_MS : Math.min(wait, IDLE_SLEEP_MS));
                    generation = Atomics.load(system, SYS.memoryGeneration);
                }
                if (generation === this.seenGeneration) return [];
                const { percent } = figures();
                const crossed = band(percent) !== band(this.seenPercent);
                this.seenGeneration = generation;
                this.seenPercent = percent;
                if (this.slot >= 0) {
                    Atomics.store(system, SYS.firstMonitorSlot + this.slot, generation);
                    this.ring();
                }
                return crossed && this.enabled ? [new RoAppMemoryNotificationEvent(percent)] : [];
            }
            aloneOnPort() {
                const port = this.port;
                return !!port && port.callbackMap?.size === 1 && port.messageQueue.length === 0;
            }
            dispose() {
                this.port?.unregisterCallback(this.key);
                this.port = undefined;
                this.updateSlot();
            }
        }

        E.BrsObjects.set("roAppMemoryMonitor", () => new SimMemoryMonitor());
    }
})();
