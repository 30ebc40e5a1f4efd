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
        { assets, extensions, tmpVolSize: window.simConfig.tmpVolSize, cacheFSVolSize: window.simConfig.cacheFSVolSize },
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
