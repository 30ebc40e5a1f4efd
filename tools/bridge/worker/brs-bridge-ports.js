// @ts-check
// Events for message ports: a port that a bridged socket or transfer reports to gets a callback
// (RoMessagePort.registerCallback), which wait(), GetMessage() and PeekMessage() run. The callback
// sends one poll (Node holds it briefly until a watched socket is ready or a transfer has news)
// and returns the roSocketEvents that are due; transfer progress goes to brs-bridge-transfers.js.
// Adds `brsBridge.ports`.
(function () {
    "use strict";
    if (!globalThis.brsBridge) return; // no engine: brs-bridge-base.js said so
    const bridge = globalThis.brsBridge;
    const PORT_KEY = "brs-bridge";
    // A port's wait() may answer from fresh local states this long after its last real poll.
    const LOCAL_EVENTS_MS = 5;

    /** @typedef {{ watchers: Set<BrsBridge.Watched>, polledAt: number }} PortState */
    /** @type {WeakMap<BrsEngine.MessagePort, PortState>} */
    const ports = new WeakMap();

    /** @type {BrsBridge.Ports["watchers"]} */
    function watchers(port) {
        let state = ports.get(port);
        if (!state) {
            state = { watchers: new Set(), polledAt: -Infinity };
            ports.set(port, state);
            port.registerCallback(PORT_KEY, (_interpreter, wait) => pollPort(port, wait));
        }
        return state.watchers;
    }

    /**
     * How long Node may hold the poll.
     * @param {number | undefined} wait wait()'s timeout (0 = forever); undefined for GetMessage/PeekMessage
     */
    function holdFor(wait) {
        const { holdMaxMs } = bridge.transport.config;
        if (wait === undefined) return 0; // GetMessage/PeekMessage never block
        return wait === 0 ? holdMaxMs : Math.min(wait, holdMaxMs);
    }

    /**
     * The port's callback: returns the events that are due now (waiting briefly in the bridge).
     * @param {BrsEngine.MessagePort} port
     * @param {number | undefined} wait
     * @returns {BrsEngine.Event[]}
     */
    function pollPort(port, wait) {
        const state = ports.get(port);
        if (!state || state.watchers.size === 0 || bridge.transport.isDead()) return [];
        const { BridgedSocket, byId } = bridge.sockets;
        /** @type {[number, number][]} */
        const sockets = [];
        /** @type {number[]} */
        const transfers = [];
        for (const item of state.watchers) {
            if (item instanceof BridgedSocket) {
                const mask = item.interestMask();
                if (mask && !item.eventQueued(port)) sockets.push([item.id, mask]);
            } else if (item.active) {
                transfers.push(item.id);
            }
        }
        if (sockets.length === 0 && transfers.length === 0) return [];
        const local = transfers.length === 0 ? localEvents(port, state, sockets) : [];
        if (local.length > 0) return local;
        state.polledAt = performance.now();
        const { meta, data } = bridge.transport.poll(sockets, transfers, holdFor(wait));
        const events = [];
        for (const [id, mask] of sockets) {
            const socketState = meta.s[id];
            const socket = byId.get(id);
            if (!socket) continue;
            socket.remember(socketState);
            if (socketState && socket.matches(socketState, mask)) events.push(socket.newEvent(port));
        }
        bridge.transfers.applyProgress(meta.t, data);
        return events;
    }

    /**
     * Events known without a round trip: a socket whose state from its own last call (send, receive,
     * poll; as fresh as IsReadable & co require, see freshState) already matches its interest.
     * Readiness only grows between a socket's own calls, so such an event is never wrong. Used only
     * while the port has really polled within LOCAL_EVENTS_MS, so other sockets are never starved.
     * @param {BrsEngine.MessagePort} port
     * @param {PortState} state
     * @param {[number, number][]} sockets [id, interest mask] pairs
     */
    function localEvents(port, state, sockets) {
        const now = performance.now();
        if (!(now - state.polledAt < LOCAL_EVENTS_MS)) return [];
        const events = [];
        for (const [id, mask] of sockets) {
            const socket = bridge.sockets.byId.get(id);
            const fresh = socket && socket.freshState(now);
            if (socket && fresh && socket.matches(fresh, mask)) events.push(socket.newEvent(port));
        }
        return events;
    }

    bridge.ports = { watchers };
})();
