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
    await brs.initialize(
        {
            assets,
            extensions,
            tmpVolSize: window.simConfig.tmpVolSize,
            cacheFSVolSize: window.simConfig.cacheFSVolSize,
            ...(window.simConfig.maxFps ? { maxFps: window.simConfig.maxFps } : {}),
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
