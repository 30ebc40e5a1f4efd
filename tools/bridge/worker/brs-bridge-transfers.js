// @ts-check
// roUrlTransfer requests in flight in the Node bridge (tools/bridge/transfers.ts): their bytes
// arrive with polls (a port's wait() or the tick hook), `*ToFile` targets grow on disk as
// `<target>.tmp` and are renamed when done, then the roUrlEvent goes to the object's port.
// The roUrlTransfer methods that start them are in brs-bridge-url-transfer.js.
// Adds `brsBridge.transfers`.
(function () {
    "use strict";
    if (!globalThis.brsBridge) return; // no engine: brs-bridge-base.js said so
    const bridge = globalThis.brsBridge;
    const { engine: E, rules: RULES, transport } = bridge;
    const FILE_FLUSH_MS = 50;
    const FILE_FLUSH_BYTES = 1024 * 1024;

    /** @implements {BrsBridge.Transfer} */
    class BridgedTransfer {
        /**
         * @param {BrsEngine.UrlTransfer} owner
         * @param {"string" | "file" | "head"} kind
         * @param {string | undefined} target the file of a "file" transfer
         */
        constructor(owner, kind, target) {
            this.owner = owner;
            this.kind = kind;
            this.target = target;
            this.tmp = target ? `${target}.tmp` : undefined;
            /** @type {Uint8Array[]} bytes not yet appended or decoded */
            this.chunks = [];
            this.active = true;
            this.id = 0;
            /** @type {number | undefined} performance.now() of the last append */
            this.flushedAt = undefined;
        }
    }

    /** @type {Set<BridgedTransfer>} */
    const activeTransfers = new Set();
    /** @type {WeakMap<BrsEngine.UrlTransfer, BrsBridge.TransferOwnerState>} */
    const owners = new WeakMap();

    /** @type {BrsBridge.Transfers["stateOf"]} */
    function stateOf(owner) {
        let state = owners.get(owner);
        if (!state) {
            state = { identity: 0, retainBody: false, transfer: undefined };
            owners.set(owner, state);
        }
        return state;
    }

    /** Replaces tmp:/'s space allocator once the volume is mounted (sbfs-allocator.js). */
    function installAllocator() {
        if (typeof globalThis.__bridgeInstallAllocator === "function") globalThis.__bridgeInstallAllocator();
    }

    function fileSystem() {
        return /** @type {BrsEngine.FileSystem} */ (E.BrsDevice.fileSystem);
    }

    /**
     * @param {string} path
     * @param {Uint8Array} bytes
     */
    function appendToFile(path, bytes) {
        const fs = fileSystem();
        fs.getFS(path).appendFileSync(fs.getPath(path), bytes);
    }

    /** @param {string} path */
    function readFile(path) {
        const fs = fileSystem();
        if (!fs.existsSync(path)) return undefined;
        return new Uint8Array(fs.readFileSync(path));
    }

    /** @param {BrsEngine.UrlTransfer} owner */
    function inFlight(owner) {
        const transfer = stateOf(owner).transfer;
        return !!transfer && transfer.active;
    }

    /** @type {BrsBridge.Transfers["start"]} */
    function start(owner, kind, request, body, target) {
        const transfer = new BridgedTransfer(owner, kind, target);
        installAllocator();
        if (transfer.tmp) fileSystem().writeFileSync(transfer.tmp, new Uint8Array(0));
        transfer.id = transport.call("transferStart", null, transport.framed(request, body ?? new Uint8Array(0))).id;
        stateOf(owner).transfer = transfer;
        activeTransfers.add(transfer);
        if (owner.port) bridge.ports.watchers(owner.port).add(transfer);
    }

    /** @type {BrsBridge.Transfers["applyProgress"]} */
    function applyProgress(progress, data) {
        // The bytes of each item follow one another in `data`, in the order of `progress`.
        let offset = 0;
        for (const item of progress) {
            const transfer = transferById(item.id);
            const bytes = data.subarray(offset, offset + item.bytes);
            offset += item.bytes;
            if (!transfer || !transfer.active) continue;
            if (bytes.length > 0) transfer.chunks.push(bytes.slice());
            if (transfer.kind === "file") flushToFile(transfer, item.done);
            if (item.done) finish(transfer, item);
        }
    }

    /**
     * Appends buffered bytes to <target>.tmp at most every FILE_FLUSH_MS (or per FILE_FLUSH_BYTES):
     * zenfs rewrites the whole file on every append (see sbfs-allocator.js), so tiny appends are slow.
     * @param {BridgedTransfer} transfer
     * @param {boolean} force
     */
    function flushToFile(transfer, force) {
        const pending = transfer.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
        if (pending === 0) return;
        const now = performance.now();
        if (!force && pending < FILE_FLUSH_BYTES && now - (transfer.flushedAt ?? 0) < FILE_FLUSH_MS) return;
        appendToFile(/** @type {string} */ (transfer.tmp), concatChunks(transfer.chunks));
        transfer.chunks = [];
        transfer.flushedAt = now;
    }

    /** @param {number} id */
    function transferById(id) {
        for (const transfer of activeTransfers) if (transfer.id === id) return transfer;
        return undefined;
    }

    /**
     * A transfer is done: its file gets its final name (or goes), then the roUrlEvent is posted.
     * @param {BridgedTransfer} transfer
     * @param {BrsBridge.TransferProgress} item
     */
    function finish(transfer, item) {
        transfer.active = false;
        activeTransfers.delete(transfer);
        const owner = transfer.owner;
        if (owner.port) bridge.ports.watchers(owner.port).delete(transfer);
        const code = item.code ?? 0;
        const ok = code >= 200 && code < 300;
        let text = "";
        if (transfer.kind === "file") {
            const fs = fileSystem();
            const tmp = /** @type {string} */ (transfer.tmp);
            // RetainBodyOnError(true) keeps whatever body arrived, a transport failure's partial one
            // too: a streaming client has parsed (and must act on) the parts that came before it.
            if (ok || stateOf(owner).retainBody) fs.renameSync(tmp, /** @type {string} */ (transfer.target));
            else if (fs.existsSync(tmp)) fs.unlinkSync(tmp);
        } else if (transfer.kind === "string") {
            text = new TextDecoder().decode(concatChunks(transfer.chunks));
        }
        owner.failureReason = item.reason ?? "";
        if (!owner.port) return;
        const event = new E.RoURLEvent(
            stateOf(owner).identity,
            owner.host ?? "",
            text,
            /** @type {number} */ (item.code),
            item.reason ?? "",
            item.headers ?? "",
        );
        if (RULES.headersOnlyFor2xx && !ok) {
            // Documented: GetResponseHeaders() returns headers only for 2xx; the array form has them always.
            event.overrideMethods([bridge.method("getResponseHeaders", [], E.ValueKind.Object, () => new E.RoAssociativeArray([]))]);
        }
        owner.port.pushMessage(event);
    }

    /** @param {Uint8Array[]} chunks */
    function concatChunks(chunks) {
        const size = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
        const all = new Uint8Array(size);
        let at = 0;
        for (const chunk of chunks) {
            all.set(chunk, at);
            at += chunk.length;
        }
        return all;
    }

    /** @type {BrsBridge.Transfers["cancel"]} */
    function cancel(owner) {
        const transfer = /** @type {BridgedTransfer | undefined} */ (stateOf(owner).transfer);
        if (!transfer || !transfer.active) return;
        transfer.active = false;
        activeTransfers.delete(transfer);
        if (owner.port) bridge.ports.watchers(owner.port).delete(transfer);
        transport.call("transferCancel", { id: String(transfer.id) });
        // Undocumented on a device: the kind bridge keeps the partial <target>.tmp, the device rule
        // cancelDeletesPartial removes it (the channel must not depend on it either way).
        if (RULES.cancelDeletesPartial && transfer.tmp) {
            const fs = fileSystem();
            if (fs.existsSync(transfer.tmp)) fs.unlinkSync(transfer.tmp);
        }
    }

    /** Pulls every in-flight transfer (tick hook): downloads grow even when nobody waits. */
    function pullActive() {
        const ids = [...activeTransfers].map((transfer) => transfer.id);
        if (ids.length === 0) return;
        const { meta, data } = transport.poll([], ids, 0);
        applyProgress(meta.t, data);
    }

    bridge.transfers = {
        stateOf,
        inFlight,
        start,
        cancel,
        applyProgress,
        pullActive,
        hasActive: () => activeTransfers.size > 0,
        installAllocator,
        readFile,
    };
})();
