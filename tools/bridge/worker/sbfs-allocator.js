// @ts-check
// Makes the engine's tmp:/ and cachefs:/ volumes work as one file system shared by every engine
// worker (plain JS, loaded with importScripts in every engine worker, before the bridge extension).
//
// Those volumes are zenfs "SingleBuffer" stores (zenfs 2.5.0 in brs-engine 2.2.0) on one
// SharedArrayBuffer per volume, shared by all workers (the main/render interpreter and each Task);
// each worker has its own zenfs StoreFS object over it. zenfs did not make that safe:
//
// 1. Space. The store's `set(id, data)` is a bump allocator: a value that grows is always copied to
//    the end of the used area (its own old extent counts as "in use", so it can never grow in
//    place), freed or abandoned extents are never reused, and nothing checks the end of the buffer,
//    so `Uint8Array.set` finally throws "offset is out of bounds". zenfs rewrites a whole file on
//    every write, so a file appended in k-byte pieces costs about size²/(2k) bytes of volume: an
//    8 MiB download appended in 256 KiB pieces needs ~130 MiB of a 64 MiB volume.
// 2. Inode ids. StoreFS.allocNew numbers new inodes from a per-worker counter (`_lastID`, the
//    largest id this worker knew when it first created something), so files and directories made by
//    two workers got the same ids and overwrote each other's inode and data.
// 3. Stale per-worker state. Path lookups may use per-worker path->id tables (`_ids`, `_paths`;
//    unless the "no_id_tables" attribute is set), blind to what other workers created, deleted or
//    renamed. Each worker's superblock object keeps its own newest metadata block, so entries
//    another worker put in a newer block were invisible to `get`. And every read of an open file
//    marks it dirty (atime), so closing it wrote the inode as it was at open: a reader in one
//    thread set a file that another thread was appending to back to its old size (the next
//    append then overwrote the end of the file).
// 4. No locking. Directory listings are read-modify-written by whichever worker creates, deletes
//    or renames an entry, and metadata entries and values by whichever worker writes: two workers
//    at the same moment lost entries, read half-written listings, or broke checksums.
// 5. The engine's Rename/MoveFile copy the file and delete the source (two steps, the whole file
//    copied), so another thread could see both names, or none.
//
// The fix keeps zenfs's on-buffer format (superblock, metadata blocks, entries, checksums, inodes,
// JSON directory listings) and changes code only, in every worker:
// - one lock per volume for all workers: the lock word of the oldest metadata block (the one word
//   of a block not covered by its checksum; zenfs's own `waitUnlocked` already honours it),
//   reentrant within a worker. Every store access (get, keys, set, delete) and every StoreFS
//   operation (create, mkdir, unlink, rmdir, rename, link, read, write, touch, stat, readdir) runs
//   under it, so each is atomic for the other workers; the async variants run the sync ones.
// - the allocator: a value grows in place when the space after it is free (the last value just
//   moves the end of the used area), else it moves to the end of the used area (growing values) or
//   into the first free gap big enough (new values); freed space is found again from the live
//   entries; a full volume throws ENOSPC.
// - new inode ids: under the lock, the next even id above every id in the store (ino = id,
//   data = id + 1), so they are unique across workers.
// - lookups walk the shared directory inodes ("no_id_tables"; the per-worker tables are no longer
//   kept), `get` and friends follow the superblock to the newest metadata block, reads do not
//   touch atime ("no_atime"), so closing a read-only file writes nothing.
// - Rename/MoveFile of a file within tmp:/ or cachefs:/ is one zenfs rename (atomic, no copy).
// Left as it is: the original case of a name (the volumes fold to lower case) is remembered only
// by the worker that created the file; other workers list it in lower case.
(function () {
    "use strict";
    const E = globalThis.brsEngine;
    const log = (/** @type {string} */ level, /** @type {string} */ text) => postMessage(`${level},[bridge] ${text}`);

    /** @typedef {{ sbSize: number, blockSize: number, Block: Zenfs.MetadataBlockClass }} Context */
    /** @typedef {[number, number][]} Extents [start, end) pairs */

    /** @param {number} poly */
    function crcTable(poly) {
        const table = new Uint32Array(256);
        for (let n = 0; n < 256; n++) {
            let c = n;
            for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
            table[n] = c >>> 0;
        }
        return table;
    }
    const CRC32C = crcTable(0x82f63b78);
    /** @param {Uint8Array} bytes */
    function crc(bytes) {
        let c = 0xffffffff;
        // Indexes are in range: the casts drop noUncheckedIndexedAccess's undefined.
        for (let i = 0; i < bytes.length; i++)
            c = (c >>> 8) ^ /** @type {number} */ (CRC32C[(c ^ /** @type {number} */ (bytes[i])) & 0xff]);
        return (c ^ 0xffffffff) >>> 0;
    }

    const VOLUMES = ["/tmp:", "/cachefs:"];
    const LOCK_STALE_MS = 10000;

    /**
     * The zenfs mount table (mount point -> file system), caught while zenfs resolves a path: zenfs
     * exposes none here, and creating a probe file to reach the store through a file handle would
     * itself race with the other workers before the fix is in.
     * @param {Zenfs.Fs} zfs
     * @param {string} path
     * @returns {Map<string, Zenfs.StoreFS> | undefined}
     */
    function mountTable(zfs, path) {
        const proto = Map.prototype;
        const iterate = proto[Symbol.iterator];
        /** @type {Map<string, Zenfs.StoreFS> | undefined} */
        let table;
        proto[Symbol.iterator] = function () {
            // eslint-disable-next-line @typescript-eslint/no-this-alias -- the Map being iterated is the one wanted
            if (!table && this.has(VOLUMES[0])) table = /** @type {Map<string, Zenfs.StoreFS>} */ (this);
            return iterate.call(this);
        };
        try {
            zfs.existsSync(path);
        } finally {
            proto[Symbol.iterator] = iterate;
        }
        return table;
    }

    /**
     * The StoreFS objects of tmp:/ and cachefs:/ (empty while tmp:/ is not mounted).
     * @param {BrsEngine.FileSystem} device
     * @returns {(Zenfs.StoreFS & { store: Zenfs.Store })[]}
     */
    function sharedFileSystems(device) {
        const zfs = /** @type {Zenfs.Fs | undefined} */ (device.getFS("tmp:/"));
        const table = zfs && typeof zfs.existsSync === "function" ? mountTable(zfs, device.getPath("tmp:/")) : undefined;
        if (!table) return [];
        return /** @type {(Zenfs.StoreFS & { store: Zenfs.Store })[]} */ (
            VOLUMES.map((volume) => table.get(volume)).filter((fs) => fs && fs.store)
        );
    }

    /**
     * The object on `fs`'s prototype chain that defines `name`.
     * @param {object} fs
     * @param {string} name
     * @returns {Zenfs.StoreFSProto | undefined}
     */
    function owner(fs, name) {
        for (let proto = Object.getPrototypeOf(fs); proto; proto = Object.getPrototypeOf(proto)) {
            if (Object.prototype.hasOwnProperty.call(proto, name)) return proto;
        }
        return undefined;
    }

    const STOREFS_METHODS = [
        "allocNew",
        "commitNewSync",
        "removeSync",
        "renameSync",
        "rmdirSync",
        "linkSync",
        "touchSync",
        "writeSync",
        "readSync",
        "readdirSync",
        "statSync",
        "_findInodeSync",
        "transaction",
    ];

    /**
     * Installs the fix: "" when installed (now or before), a problem when this zenfs is not the
     * expected one, undefined while tmp:/ is not mounted.
     * @returns {string | undefined}
     */
    function install() {
        const device = E && E.BrsDevice && E.BrsDevice.fileSystem;
        if (!device) return undefined;
        const systems = sharedFileSystems(device);
        const first = systems[0];
        if (!first) return undefined; // not mounted yet
        const store = first.store;
        /** @type {Zenfs.Store} */
        const proto = Object.getPrototypeOf(store);
        if (!proto || store.name !== "sbfs" || !store.superblock || !store._u8 || !(store.buffer instanceof SharedArrayBuffer)) {
            return "tmp:/ is not a zenfs SingleBuffer store on a SharedArrayBuffer";
        }
        if (proto.__bridgeShared) return "";
        const sb = store.superblock;
        const Block = /** @type {Zenfs.MetadataBlockClass} */ (sb.metadata.constructor);
        if (typeof Block.lockIndex !== "number" || typeof Block.prototype.waitUnlocked !== "function")
            return "unknown metadata block layout";
        const blockSize = Number(sb.metadata_block_size);
        const oldest = oldestBlock(sb.metadata);
        /** @type {Context} */
        const ctx = { sbSize: oldest.byteOffset - sb.byteOffset, blockSize, Block };
        const fsProto = owner(first, "allocNew");
        const missing = STOREFS_METHODS.filter((name) => !fsProto || typeof fsProto[name] !== "function");
        if (!fsProto || missing.length > 0) return `unknown StoreFS (no ${missing.join(", ")})`;
        if (typeof Object.getPrototypeOf(device).renameSync !== "function") return "unknown engine file system";
        // Self-test, under the lock (other workers write meanwhile): the checksums must come out as
        // zenfs computed them, or the format differs.
        const problem = withLock(store, ctx, () => {
            refreshMetadata(sb, Block);
            if (crc(new Uint8Array(sb.buffer, sb.byteOffset + 4, ctx.sbSize - 4)) !== sb.checksum) return "superblock checksum differs";
            if (blockChecksum(sb.metadata, blockSize) !== sb.metadata.checksum) return "metadata checksum differs";
            return "";
        });
        if (problem) return problem;
        patchBlock(Block);
        patchStore(proto, ctx);
        patchStoreFS(fsProto, proto, ctx);
        patchDevice(Object.getPrototypeOf(device));
        for (const fs of systems) sharedStore(fs, proto);
        proto.__bridgeShared = true;
        return "";
    }

    /** @param {Zenfs.MetadataBlock} block */
    function oldestBlock(block) {
        let b = block;
        while (b.previous) b = b.previous;
        return b;
    }

    /**
     * @param {Zenfs.MetadataBlock} block
     * @param {number} blockSize
     */
    function blockChecksum(block, blockSize) {
        return crc(new Uint8Array(block.buffer, block.byteOffset + 4, blockSize - 8));
    }

    // ---- the volume lock ------------------------------------------------------------------------

    /** Per worker: how deep this worker holds each lock word, by buffer and byte offset. */
    /** @type {WeakMap<ArrayBufferLike, Map<number, number>>} */
    const depths = new WeakMap();

    /** @param {ArrayBufferLike} buffer */
    function depthsOf(buffer) {
        let map = depths.get(buffer);
        if (!map) depths.set(buffer, (map = new Map()));
        return map;
    }

    /**
     * The volume's lock word: the lock field of its oldest metadata block (never moves).
     * @param {Zenfs.Store} store
     * @param {Context} ctx
     */
    function lockOf(store, ctx) {
        if (!store.__bridgeLock) {
            const oldest = oldestBlock(store.superblock.metadata);
            const offset = oldest.byteOffset + ctx.Block.lockIndex * 4;
            store.__bridgeLock = { word: new Int32Array(oldest.buffer, offset, 1), depths: depthsOf(oldest.buffer), offset };
        }
        return store.__bridgeLock;
    }

    /**
     * Takes the volume lock (0 free, 1 held: zenfs's own `waitUnlocked` reads it that way), or
     * deeper when this worker already holds it. Every release notifies, so a holder that has not
     * released for LOCK_STALE_MS is taken for dead (a Task worker terminated by STOP in the middle
     * of an operation); the lock is then taken over (1 -> 2, once) with a warning.
     * @param {Zenfs.Store} store
     * @param {Context} ctx
     */
    function acquire(store, ctx) {
        const lock = lockOf(store, ctx);
        const depth = lock.depths.get(lock.offset) ?? 0;
        if (depth === 0) {
            let since = performance.now();
            for (;;) {
                const seen = Atomics.compareExchange(lock.word, 0, 0, 1);
                if (seen === 0) break;
                if (performance.now() - since > LOCK_STALE_MS) {
                    if (seen === 1 && Atomics.compareExchange(lock.word, 0, 1, 2) === 1) {
                        log("warning", `sbfs: volume lock held for over ${LOCK_STALE_MS} ms, taken over`);
                        break;
                    }
                    since = performance.now();
                }
                if (Atomics.wait(lock.word, 0, seen, 5) === "ok") since = performance.now();
            }
        }
        lock.depths.set(lock.offset, depth + 1);
        return lock;
    }

    /** @param {Zenfs.Lock} lock held by this worker */
    function release(lock) {
        const depth = /** @type {number} */ (lock.depths.get(lock.offset)) - 1;
        lock.depths.set(lock.offset, depth);
        if (depth === 0) {
            Atomics.store(lock.word, 0, 0);
            Atomics.notify(lock.word, 0);
        }
    }

    /**
     * @template T
     * @param {Zenfs.Store} store
     * @param {Context} ctx
     * @param {() => T} fn
     */
    function withLock(store, ctx, fn) {
        const lock = acquire(store, ctx);
        try {
            return fn();
        } finally {
            release(lock);
        }
    }

    /**
     * zenfs waits on a block's lock word before reading it: not for a lock this worker holds.
     * @param {Zenfs.MetadataBlockClass} Block
     */
    function patchBlock(Block) {
        const index = Block.lockIndex;
        Block.prototype.waitUnlocked = function () {
            if ((depthsOf(this.buffer).get(this.byteOffset + index * 4) ?? 0) > 0) return;
            const started = performance.now();
            while (Atomics.load(this, index) !== 0 && performance.now() - started < LOCK_STALE_MS) {
                Atomics.wait(this, index, Atomics.load(this, index), 5);
            }
        };
    }

    /**
     * @param {string} message
     * @param {string} [code]
     */
    function enospc(message, code = "ENOSPC") {
        const error = /** @type {Error & { code?: string, errno?: number }} */ (new Error(`${code}: ${message}`));
        error.code = code;
        error.errno = code === "ENOSPC" ? 28 : 16;
        return error;
    }

    /**
     * Another worker may have added a metadata block: follow the superblock to the newest one.
     * @param {Zenfs.SuperBlock} sb
     * @param {Zenfs.MetadataBlockClass} Block
     */
    function refreshMetadata(sb, Block) {
        const current = Number(sb.metadata_offset);
        if (sb.metadata.byteOffset !== current) sb.metadata = new Block(sb.buffer, current);
    }

    /**
     * [start, end) of everything in use, sorted, without `skip` (the value being rewritten).
     * @param {Zenfs.SuperBlock} sb
     * @param {Context} ctx
     * @param {Zenfs.MetadataEntry} [skip]
     */
    function extents(sb, ctx, skip) {
        /** @type {Extents} */
        const list = [[sb.byteOffset, sb.byteOffset + ctx.sbSize]];
        for (let block = /** @type {Zenfs.MetadataBlock | undefined} */ (sb.metadata); block; block = block.previous) {
            list.push([block.byteOffset, block.byteOffset + ctx.blockSize]);
            for (const entry of block.items) {
                // eslint-disable-next-line eqeqeq -- ids are numbers in this zenfs; == still holds if one is a bigint
                if (!entry.offset || entry.size === 0 || (skip && entry.offset === skip.offset && entry.id == skip.id)) continue;
                list.push([entry.offset, entry.offset + entry.size]);
            }
        }
        return list.sort((a, b) => a[0] - b[0]);
    }

    /**
     * The largest values in use, for the ENOSPC message.
     * @param {Extents} list
     */
    function describe(list) {
        const inUse = list.reduce((sum, [s, e]) => sum + e - s, 0);
        const big = list
            .map(([s, e]) => e - s)
            .sort((a, b) => b - a)
            .slice(0, 4);
        return `, ${inUse} in use, largest ${big.join(", ")}`;
    }

    /**
     * Whether [start, start + length) is inside `limit` and overlaps nothing in `list`.
     * @param {Extents} list
     * @param {number} start
     * @param {number} length
     * @param {number} limit
     */
    function isFree(list, start, length, limit) {
        if (start + length > limit) return false;
        for (const [s, e] of list) {
            if (s >= start + length) break;
            if (e > start) return false;
        }
        return true;
    }

    /**
     * A free gap of at least `length` bytes (8-byte aligned), up to the end of the volume:
     * "best" = the smallest that fits (new values: keeps big gaps whole), "largest" = the biggest
     * (a value that grows moves where it can keep growing in place). -1 when none fits.
     * @param {Extents} list
     * @param {number} length
     * @param {number} total
     * @param {"best" | "largest"} mode
     */
    function findGap(list, length, total, mode) {
        let best = -1;
        let bestSize = mode === "best" ? Infinity : -1;
        let at = 0;
        const consider = (/** @type {number} */ end) => {
            const start = Math.ceil(at / 8) * 8;
            const size = end - start;
            if (size >= length && (mode === "best" ? size < bestSize : size > bestSize)) {
                best = start;
                bestSize = size;
            }
        };
        for (const [s, e] of list) {
            if (s > at) consider(s);
            at = Math.max(at, e);
        }
        consider(total);
        return best;
    }

    /**
     * used_bytes = the end of the last value (zenfs's own bump allocations start there).
     * @param {Zenfs.SuperBlock} sb
     * @param {Extents} list
     * @param {number} end
     */
    function setUsed(sb, list, end) {
        let last = end;
        for (const [, e] of list) last = Math.max(last, e);
        sb.used_bytes = BigInt(last);
    }

    /**
     * Stores the checksums of a changed block and of the superblock.
     * @param {Zenfs.SuperBlock} sb
     * @param {Zenfs.MetadataBlock} block
     * @param {Context} ctx
     */
    function seal(sb, block, ctx) {
        block.timestamp = BigInt(Date.now());
        block.checksum = blockChecksum(block, ctx.blockSize);
        sb.checksum = crc(new Uint8Array(sb.buffer, sb.byteOffset + 4, ctx.sbSize - 4));
    }

    /**
     * The live entry of `id` and its block, or {} when there is none.
     * @param {Zenfs.SuperBlock} sb
     * @param {number} id
     * @returns {{ entry?: Zenfs.MetadataEntry, block?: Zenfs.MetadataBlock }}
     */
    function findEntry(sb, id) {
        for (let block = /** @type {Zenfs.MetadataBlock | undefined} */ (sb.metadata); block; block = block.previous) {
            for (const entry of block.items) {
                // eslint-disable-next-line eqeqeq -- as in extents()
                if (entry.offset && entry.id == id) return { entry, block };
            }
        }
        return {};
    }

    /**
     * The store's `set`: writes `data` as the value of `id`, in place when it fits.
     * @param {Zenfs.Store} store
     * @param {number} id
     * @param {Uint8Array} data
     * @param {Context} ctx
     */
    function allocateAndSet(store, id, data, ctx) {
        const sb = store.superblock;
        const lock = acquire(store, ctx);
        try {
            refreshMetadata(sb, ctx.Block);
            const length = data.length;
            const total = Number(sb.total_bytes);
            const { entry: found, block: foundBlock } = findEntry(sb, id);
            if (found && length <= found.size) {
                store._u8.set(data, found.offset);
                if (length !== found.size) {
                    found.size = length;
                    seal(sb, /** @type {Zenfs.MetadataBlock} */ (foundBlock), ctx);
                }
                return;
            }
            if (found) {
                const list = extents(sb, ctx, found);
                let offset = found.offset;
                if (!isFree(list, offset, length, total)) offset = findGap(list, length, total, "largest");
                if (offset < 0) throw enospc(`sbfs: no room for ${length} bytes (volume of ${total} bytes${describe(list)})`);
                store._u8.set(data, offset);
                found.offset = offset;
                found.size = length;
                setUsed(sb, list, offset + length);
                seal(sb, /** @type {Zenfs.MetadataBlock} */ (foundBlock), ctx);
                return;
            }
            let block = sb.metadata;
            let entry = Array.from(block.items).find((item) => !item.offset);
            if (!entry) {
                setUsed(sb, extents(sb, ctx), 0);
                // The new block goes at used_bytes; zenfs does not align it, and its Int32Array view needs it.
                sb.used_bytes = BigInt(Math.ceil(Number(sb.used_bytes) / 8) * 8);
                if (Number(sb.used_bytes) + ctx.blockSize + 8 > total) throw enospc("sbfs: no room for a new metadata block");
                block = sb.rotateMetadata();
                entry = /** @type {Zenfs.MetadataEntry} */ (block.items[0]);
            }
            const list = extents(sb, ctx);
            const offset = length === 0 ? Number(sb.used_bytes) : findGap(list, length, total, "best");
            if (offset < 0) throw enospc(`sbfs: no room for ${length} bytes (volume of ${total} bytes${describe(list)})`);
            store._u8.set(data, offset);
            entry.id = id;
            entry.offset = offset;
            entry.size = length;
            setUsed(sb, list, offset + length);
            seal(sb, block, ctx);
        } finally {
            release(lock);
        }
    }

    // ---- the store: every access under the volume lock ----------------------------------------

    /**
     * @param {Zenfs.Store} proto the store's prototype
     * @param {Context} ctx
     */
    function patchStore(proto, ctx) {
        const { get, keys } = proto;
        proto.set = function (id, data) {
            return allocateAndSet(this, id, data, ctx);
        };
        proto.get = function (id) {
            return withLock(this, ctx, () => {
                refreshMetadata(this.superblock, ctx.Block);
                return get.call(this, id);
            });
        };
        proto.keys = function () {
            return withLock(this, ctx, () => {
                refreshMetadata(this.superblock, ctx.Block);
                return Array.from(keys.call(this));
            })[Symbol.iterator]();
        };
        proto.delete = function (id) {
            withLock(this, ctx, () => {
                const sb = this.superblock;
                refreshMetadata(sb, ctx.Block);
                const { entry, block } = findEntry(sb, id);
                if (!entry) return;
                entry.offset = 0;
                entry.size = 0;
                entry.id = 0;
                seal(sb, /** @type {Zenfs.MetadataBlock} */ (block), ctx);
            });
        };
    }

    // ---- StoreFS: atomic operations, shared ids and lookups ------------------------------------

    const MAX_ID = 0xffffffff;

    /**
     * The store of `fs` when it is a shared volume (then with the attributes the fix needs).
     * @param {Zenfs.StoreFS} fs
     * @param {Zenfs.Store} storeProto
     */
    function sharedStore(fs, storeProto) {
        const store = fs.store;
        if (!store || Object.getPrototypeOf(store) !== storeProto) return undefined;
        if (!fs.__bridgeShared) {
            fs.attributes.set("no_id_tables", true);
            fs.attributes.set("no_atime", true);
            fs.__bridgeShared = true;
        }
        return store;
    }

    /**
     * The next even id above every id in the store (inode = id, data = id + 1), or a free pair.
     * @param {Zenfs.Store} store
     * @param {Context} ctx
     */
    function newId(store, ctx) {
        const sb = store.superblock;
        refreshMetadata(sb, ctx.Block);
        const used = new Set();
        let max = 0;
        for (let block = /** @type {Zenfs.MetadataBlock | undefined} */ (sb.metadata); block; block = block.previous) {
            for (const entry of block.items) {
                if (!entry.offset) continue;
                const id = Number(entry.id);
                used.add(id);
                if (id > max) max = id;
            }
        }
        const next = (max | 1) + 1;
        if (next + 1 <= MAX_ID) return next;
        for (let id = 2; id + 1 <= MAX_ID; id += 2) if (!used.has(id) && !used.has(id + 1)) return id;
        throw enospc("sbfs: no inode ids left");
    }

    /**
     * The ino at `path`, read from the store (zenfs's rename compares it with its table).
     * @param {Zenfs.StoreFS} fs
     * @param {string} path
     */
    function inoAt(fs, path) {
        try {
            return fs._findInodeSync(fs.transaction(), path).ino;
        } catch {
            return undefined;
        }
    }

    const LOCKED = [
        "commitNewSync",
        "removeSync",
        "renameSync",
        "rmdirSync",
        "linkSync",
        "touchSync",
        "writeSync",
        "readSync",
        "readdirSync",
        "statSync",
    ];
    const ASYNC = {
        commitNew: "commitNewSync",
        remove: "removeSync",
        rename: "renameSync",
        rmdir: "rmdirSync",
        link: "linkSync",
        touch: "touchSync",
        write: "writeSync",
        read: "readSync",
        readdir: "readdirSync",
        stat: "statSync",
        exists: "existsSync",
        createFile: "createFileSync",
        mkdir: "mkdirSync",
        unlink: "unlinkSync",
    };
    const TABLES = ["_add", "_remove", "_move"];

    /**
     * Wraps StoreFS's methods (every StoreFS of every volume shares them; only the shared volumes'
     * ones change behaviour).
     * @param {Zenfs.StoreFSProto} fsProto
     * @param {Zenfs.Store} storeProto
     * @param {Context} ctx
     */
    function patchStoreFS(fsProto, storeProto, ctx) {
        for (const name of LOCKED) {
            const original = /** @type {Zenfs.Method} */ (fsProto[name]); // install() checked they exist
            fsProto[name] = function (...args) {
                const store = sharedStore(this, storeProto);
                if (!store) return original.apply(this, args);
                return withLock(store, ctx, () => {
                    if (name !== "renameSync") return original.apply(this, args);
                    const path = /** @type {string} */ (args[0]);
                    const ino = inoAt(this, path);
                    if (ino !== undefined) this._ids.set(path, ino);
                    try {
                        return original.apply(this, args);
                    } finally {
                        this._ids.delete(path);
                    }
                });
            };
        }
        // The store is synchronous: the async variants run the locked sync ones.
        for (const [name, sync] of Object.entries(ASYNC)) {
            const original = fsProto[name];
            if (typeof original !== "function") continue;
            fsProto[name] = async function (...args) {
                if (!sharedStore(this, storeProto)) return original.apply(this, args);
                return /** @type {Zenfs.Method} */ (this[sync]).apply(this, args);
            };
        }
        const allocNew = /** @type {Zenfs.Method} */ (fsProto.allocNew);
        fsProto.allocNew = function (path) {
            const store = sharedStore(this, storeProto);
            if (!store) return allocNew.call(this, path);
            return withLock(store, ctx, () => newId(store, ctx));
        };
        // The per-worker path tables are not read any more ("no_id_tables"): stop growing them.
        for (const name of TABLES) {
            const original = fsProto[name];
            if (typeof original !== "function") continue;
            fsProto[name] = function (...args) {
                if (!sharedStore(this, storeProto)) return original.apply(this, args);
            };
        }
    }

    // ---- the engine: Rename/MoveFile of a file is one zenfs rename -----------------------------

    /** @param {string} path */
    function volumeOf(path) {
        const match = /^\s*(tmp|cachefs):/i.exec(path);
        return match ? /** @type {string} */ (match[1]).toLowerCase() : "";
    }

    /** @param {BrsEngine.FileSystem} deviceProto the engine FileSystem's prototype */
    function patchDevice(deviceProto) {
        const renameSync = deviceProto.renameSync;
        /** @this {BrsEngine.FileSystem} */
        deviceProto.renameSync = function (from, to) {
            const volume = volumeOf(from);
            if (volume && volume === volumeOf(to)) {
                const zfs = this.getFS(from);
                const source = this.getPath(from);
                if (zfs.statSync(source).isFile()) {
                    zfs.renameSync(source, this.getPath(to));
                    this.deletePath(from);
                    this.savePath(to);
                    return;
                }
            }
            return renameSync.call(this, from, to);
        };
    }

    // tmp:/ may be mounted only after extensions load: the bridge calls this again from its tick hook
    // (before the first statement runs) and before each file transfer; it reports once.
    let state = "pending";
    globalThis.__bridgeInstallAllocator = function () {
        if (state !== "pending") return state === "installed";
        try {
            const problem = install();
            if (problem === undefined) return false; // not mounted yet
            if (problem) {
                state = "failed";
                log("warning", `tmp:/ and cachefs:/ not made safe to share (${problem}); files may be lost across threads`);
            } else {
                state = "installed";
                log("debug", "tmp:/ and cachefs:/ made safe to share");
            }
        } catch (caught) {
            const error = /** @type {{ code?: string, message?: string } | undefined} */ (caught);
            if (error && error.code === "ENOENT") return false; // not mounted yet
            state = "failed";
            log("warning", `tmp:/ and cachefs:/ not made safe to share (${error && error.message})`);
        }
        return state === "installed";
    };
    globalThis.__bridgeInstallAllocator();
})();
