// @ts-check
// Served as /brs-sg.js in every simulator run: loads the real SceneGraph bundle, then the device
// rules (device-rules.js), the simulated system (sim-system.js: cachefs: across launches, memory
// figures) and the extension scripts of this run (the network bridge's, when on).
// The run's settings come from /sim-worker.json, asked for synchronously before anything runs.
importScripts("./brs-sg.real.js");
(function () {
    "use strict";
    const xhr = new XMLHttpRequest();
    xhr.open("GET", "./sim-worker.json", false);
    xhr.send();
    /** @type {{ deviceRules: SimDeviceRules; scripts: string[] }} */
    const setup = JSON.parse(xhr.responseText);
    globalThis.__simDeviceRules = setup.deviceRules;
    importScripts("./device-rules.js", "./sim-system.js", ...setup.scripts);
})();
