// Browser side of the simulator: loads the engine once, then runs app packages on request from Node.
// Every engine event is forwarded to Node through the `simEvent` binding the driver exposes.
"use strict";

const forward = (type, data) => {
    let payload = data;
    if (typeof data !== "string") {
        try {
            payload = JSON.stringify(data);
        } catch {
            payload = String(data);
        }
    }
    window.simEvent(type, payload ?? "");
};

// The render thread's doorbell (device rule rendezvousWhenRenderIdle, tools/sim/worker/device-rules.js):
// the render worker posts it once; from then on every Atomics.notify on this page, which is how the
// engine hands a thread update to the thread that waits for it, rings it too, so the render thread
// wakes for a Task's field set at once instead of at its next frame.
let renderDoorbell;
const EngineWorker = window.Worker;
window.Worker = class extends EngineWorker {
    constructor(url, options) {
        super(url, options);
        // Registered before the engine's listener, which never sees the doorbell message.
        this.addEventListener("message", (event) => {
            if (event.data?.simRenderDoorbell instanceof SharedArrayBuffer) {
                event.stopImmediatePropagation();
                renderDoorbell = new Int32Array(event.data.simRenderDoorbell);
            }
        });
    }
};
const notify = Atomics.notify;
Atomics.notify = (array, index, count) => {
    const woken = notify(array, index, count);
    if (renderDoorbell && array !== renderDoorbell) {
        Atomics.add(renderDoorbell, 0, 1);
        notify(renderDoorbell, 0);
    }
    return woken;
};

// What the simulator shares with every engine thread (tools/sim/worker/sim-system.js): the cachefs:
// volume, made here so it outlives the engine and can be carried to the next launch, and one
// buffer of Int32 words for the memory figures and the cachefs: requests. The engine hands both to
// each thread inside its device info (the render thread's payload, copied into every Task's).
// Word layout (the same table is in sim-system.js):
const SYS = {
    memoryGeneration: 0, // bumped at every change of the figures
    usedKiB: 1,
    limitKiB: 2,
    requestState: 3, // 0 idle, 1 asked, 2 being served, 3 answered
    requestBytes: 4, // length of the request or answer (JSON) at dataOffset
    ackBell: 5, // bumped and notified whenever a memory monitor has seen a change
    firstMonitorSlot: 8, // 64 slots: 0 free, else the memory generation that monitor last saw
    monitorSlots: 64,
    dataOffset: 512,
    dataBytes: 1024 * 1024,
};
let cacheFS;
let registryLoaded = false;
const system = new Int32Array(new SharedArrayBuffer(SYS.dataOffset + SYS.dataBytes));
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

async function fetchBytes(url) {
    const response = await fetch(url);
    if (!response.ok) {
        throw new Error(`GET ${url} answered ${response.status}`);
    }
    return response.arrayBuffer();
}

// Resolves once the engine is initialised with the common file system already in memory:
// executing before common.zip is loaded crashes the app (see the simulator notes).
window.simReady = (async () => {
    const assets = await fetchBytes("./assets/common.zip");
    const extensions = new Map([[brs.SupportedExtension.SceneGraph, "./brs-sg.js"]]);
    brs.subscribe("sim", (event, data) => forward(event, data));
    const config = window.simConfig;
    const volume = new SharedArrayBuffer(config.cacheFSVolSize);
    // The bytes the previous launch left (device rule cachefsKeptUntilReboot); the rest stays zero.
    if (config.cachefsImage) new Uint8Array(volume).set(new Uint8Array(await fetchBytes(config.cachefsImage)));
    cacheFS = volume; // only now: a page that failed to load the image must not save an empty one
    // The registry earlier launches kept (device rule registryKeptAcrossLaunches). brs-engine keeps
    // it in this page's localStorage ("<developerId>.<section>.<key>"), reads it once in
    // brs.initialize and writes it back at every Flush(); each run's page has a browser context
    // of its own, so its localStorage starts empty and the simulator fills it here.
    for (const [key, value] of config.registry ?? []) localStorage.setItem(key, value);
    registryLoaded = true; // only now: a page that failed before this must not save an empty registry
    Atomics.store(system, SYS.limitKiB, config.memory.limitKiB);
    Atomics.store(system, SYS.usedKiB, config.memory.usedKiB);
    Atomics.store(system, SYS.memoryGeneration, 1);
    await brs.initialize(
        {
            assets,
            extensions,
            tmpVolSize: window.simConfig.tmpVolSize,
            cacheFSVolSize: window.simConfig.cacheFSVolSize,
            ...(window.simConfig.maxFps ? { maxFps: window.simConfig.maxFps } : {}),
            simCacheFS: cacheFS,
            simSystem: system.buffer,
        },
        { debugToConsole: false, disableKeys: true, showStats: false },
    );
    return brs.getVersion();
})();

// launchParams: the deep link of the launch ({ contentId, mediaType, ... }), merged by the engine
// with its own launch parameters.
window.simRun = async (zipUrl, name, launchParams = {}) => {
    await window.simReady;
    const zip = await fetchBytes(zipUrl);
    brs.execute(name, zip, { clearDisplayOnExit: false, muteSound: true }, new Map(Object.entries(launchParams)));
};

window.simStop = () => brs.terminate();
// A remote-control key press ("back", "home", "play", "Lit_a", ...), pressed and released at once
// as ECP's /keypress does. brs-engine's sendKeyPress releases 300 ms later, so a test's next press
// could come while the key is still down.
window.simKey = (key) => {
    brs.sendKeyDown(key);
    brs.sendKeyUp(key);
};
// A deep link while running, as ECP's /input sends it: the app's roInput gets an roInputEvent.
window.simInput = (params) => brs.sendInput(params);

// cachefs: as it is now, up to its last non-zero byte (the rest of a volume is zeros), sent to the
// simulator, which gives it to the next launch. Works after the app ended or crashed too.
window.simSaveCachefs = async (url) => {
    if (!cacheFS) return 0;
    const bytes = new Uint8Array(cacheFS);
    let end = bytes.length;
    while (end > 0 && bytes[end - 1] === 0) end--;
    const copy = bytes.slice(0, end);
    const response = await fetch(url, { method: "POST", body: copy });
    if (!response.ok) throw new Error(`POST ${url} answered ${response.status}`);
    return end;
};

// The registry as brs-engine last wrote it to localStorage (what the channel flushed, and what
// the engine flushed for it when Main or a Task's function returned), as [key, value] pairs, for
// the simulator to give to the next launch; null when this page never loaded the kept registry.
// A section named "Transient" is left out: brs-engine deletes it whenever it loads the registry.
window.simRegistry = () => {
    if (!registryLoaded) return null;
    const entries = [];
    for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i);
        const parts = key?.split(".") ?? [];
        if (parts.length < 3 || parts[1] === "Transient") continue;
        entries.push([key, localStorage.getItem(key) ?? ""]);
    }
    return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
};

// New memory figures; resolves once every memory monitor with a port has seen them
// (so its event, if any, is queued), or rejects after guardMs naming how many have not.
window.simMemory = async (usedKiB, guardMs) => {
    Atomics.store(system, SYS.usedKiB, usedKiB);
    const generation = Atomics.add(system, SYS.memoryGeneration, 1) + 1;
    Atomics.notify(system, SYS.memoryGeneration);
    const deadline = performance.now() + guardMs;
    for (;;) {
        const bell = Atomics.load(system, SYS.ackBell);
        let behind = 0;
        for (let i = 0; i < SYS.monitorSlots; i++) {
            const seen = Atomics.load(system, SYS.firstMonitorSlot + i);
            if (seen !== 0 && seen < generation) behind++;
        }
        if (behind === 0) return;
        const left = deadline - performance.now();
        if (left <= 0)
            throw new Error(
                `${behind} memory monitor(s) did not see the new figures within ${guardMs} ms (is a thread waiting on its port?)`,
            );
        await Atomics.waitAsync(system, SYS.ackBell, bell, left).value;
    }
};

// A cachefs: request ({ op: "list" } or { op: "remove", paths }) served by the channel's main
// thread the next time it looks at a message port; resolves with its answer.
window.simCachefs = async (request, guardMs) => {
    while (Atomics.load(system, SYS.requestState) !== 0)
        await Atomics.waitAsync(system, SYS.requestState, Atomics.load(system, SYS.requestState), 100).value;
    const bytes = textEncoder.encode(JSON.stringify(request));
    if (bytes.length > SYS.dataBytes) throw new Error("cachefs request too long");
    new Uint8Array(system.buffer, SYS.dataOffset, bytes.length).set(bytes);
    Atomics.store(system, SYS.requestBytes, bytes.length);
    Atomics.store(system, SYS.requestState, 1);
    Atomics.notify(system, SYS.requestState);
    const deadline = performance.now() + guardMs;
    for (;;) {
        const state = Atomics.load(system, SYS.requestState);
        if (state === 3) break;
        const left = deadline - performance.now();
        if (left <= 0) {
            Atomics.compareExchange(system, SYS.requestState, 1, 0);
            throw new Error(
                `the channel's main thread did not serve the cachefs request within ${guardMs} ms (is it waiting on a message port?)`,
            );
        }
        await Atomics.waitAsync(system, SYS.requestState, state, left).value;
    }
    const length = Atomics.load(system, SYS.requestBytes);
    const answer = JSON.parse(textDecoder.decode(new Uint8Array(system.buffer, SYS.dataOffset, length).slice()));
    Atomics.store(system, SYS.requestState, 0);
    if (answer.error) throw new Error(`cachefs ${request.op}: ${answer.error}`);
    return answer.result;
};
