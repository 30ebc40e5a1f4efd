// @ts-check
// Served as /brs.worker.js when the bridge is on: every engine worker (main interpreter and each
// Task) starts here. The page's Worker wrapper (brs-bridge-page.js) posts `{ brsBridgeChannel }`
// (a SharedArrayBuffer served by the relay) before the engine's first message; this listener is
// registered before the engine's onmessage, keeps the channel for brs-bridge-transport.js and hides the
// message from the engine. Then the real engine worker is loaded.
"use strict";
self.addEventListener("message", (/** @type {MessageEvent} */ event) => {
    const data = event.data;
    if (data && typeof data === "object" && data.brsBridgeChannel instanceof SharedArrayBuffer) {
        event.stopImmediatePropagation();
        self.__brsBridgeChannel = data.brsBridgeChannel;
    }
});
importScripts("./brs.worker.real.js");
