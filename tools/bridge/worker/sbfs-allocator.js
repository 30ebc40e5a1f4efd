// Replaces the space allocator of the engine's tmp:/ and cachefs:/ volumes (plain JS, loaded with
// importScripts in every engine worker, before the bridge extension).
//
// Why: those volumes are zenfs "SingleBuffer" stores (zenfs 2.5.0 in brs-engine 2.2.0) on a
// SharedArrayBuffer shared by all workers. Its `set(id, data)` is a bump allocator: a value that
// grows is always copied to the end of the used area (its own old extent counts as "in use", so
// it can never grow in place), freed or abandoned extents are never reused, and nothing checks the
// end of the buffer, so `Uint8Array.set` finally throws "offset is out of bounds". zenfs rewrites
// a whole file on every write, so a file appended in k-byte pieces costs about size²/(2k) bytes of
// volume: an 8 MiB download appended in 256 KiB pieces needs ~130 MiB of a 64 MiB volume.
//
// The replacement keeps zenfs's on-buffer format (superblock, metadata blocks, entries, checksums)
// and changes only where values go: a value grows in place when the space after it is free (the
// last value just moves the end of the used area), else it moves to the end of the used area
// (growing values) or into the first free gap big enough (new values); freed space is found again
// from the live entries; a full volume throws ENOSPC. Allocation runs under one lock for all
// workers: the lock word of the oldest metadata block (not covered by checksums).
(function () {
    "use strict";
    const E = globalThis.brsEngine;
    const log = (level, text) => postMessage(`${level},[bridge] ${text}`);

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
    function crc(bytes) {
        let c = 0xffffffff;
        for (let i = 0; i < bytes.length; i++) c = (c >>> 8) ^ CRC32C[(c ^ bytes[i]) & 0xff];
        return (c ^ 0xffffffff) >>> 0;
    }

    /** Finds the store behind tmp:/ through a file handle (zenfs exposes no mount table here). */
    function findStore() {
        const device = E && E.BrsDevice && E.BrsDevice.fileSystem;
        if (!device) return undefined;
        const zfs = device.getFS("tmp:/");
        if (!zfs || !zfs.promises || typeof zfs.promises.FileHandle !== "function") return undefined;
        const probe = device.getPath("tmp:/.sbfs-allocator-probe");
        const fd = zfs.openSync(probe, "w");
        try {
            const handle = new zfs.promises.FileHandle(undefined, fd).vfs;
            return handle && handle.fs && handle.fs.store;
        } finally {
            zfs.closeSync(fd);
            zfs.unlinkSync(probe);
        }
    }

    function install() {
        const store = findStore();
        const proto = store && Object.getPrototypeOf(store);
        if (!proto || store.name !== "sbfs" || !store.superblock || !store._u8) {
            return "tmp:/ is not a zenfs SingleBuffer store";
        }
        if (proto.__bridgeAllocator) return "";
        const sb = store.superblock;
        const Block = sb.metadata.constructor;
        if (typeof Block.lockIndex !== "number") return "unknown metadata block layout";
        const blockSize = Number(sb.metadata_block_size);
        const oldest = oldestBlock(sb.metadata);
        const sbSize = oldest.byteOffset - sb.byteOffset;
        // Self-test: the checksums must come out as zenfs computed them, or the format differs.
        if (crc(new Uint8Array(sb.buffer, sb.byteOffset + 4, sbSize - 4)) !== sb.checksum) return "superblock checksum differs";
        if (blockChecksum(sb.metadata, blockSize) !== sb.metadata.checksum) return "metadata checksum differs";
        const original = proto.set;
        proto.set = function (id, data) {
            return allocateAndSet(this, id, data, { sbSize, blockSize, Block });
        };
        proto.__bridgeAllocator = { original };
        return "";
    }

    function oldestBlock(block) {
        let b = block;
        while (b.previous) b = b.previous;
        return b;
    }

    function blockChecksum(block, blockSize) {
        return crc(new Uint8Array(block.buffer, block.byteOffset + 4, blockSize - 8));
    }

    function lock(block, Block) {
        const index = Block.lockIndex;
        for (let attempt = 0; Atomics.compareExchange(block, index, 0, 1) !== 0; attempt++) {
            if (attempt > 2000) throw enospc("sbfs: allocator lock held for over 10 s", "EBUSY");
            Atomics.wait(block, index, 1, 5);
        }
        return () => {
            Atomics.store(block, index, 0);
            Atomics.notify(block, index);
        };
    }

    function enospc(message, code = "ENOSPC") {
        const error = new Error(`${code}: ${message}`);
        error.code = code;
        error.errno = code === "ENOSPC" ? 28 : 16;
        return error;
    }

    /** Another worker may have added a metadata block: follow the superblock to the newest one. */
    function refreshMetadata(sb, Block) {
        const current = Number(sb.metadata_offset);
        if (sb.metadata.byteOffset !== current) sb.metadata = new Block(sb.buffer, current);
    }

    /** [start, end) of everything in use, sorted, without `skip` (the value being rewritten). */
    function extents(sb, ctx, skip) {
        const list = [[sb.byteOffset, sb.byteOffset + ctx.sbSize]];
        for (let block = sb.metadata; block; block = block.previous) {
            list.push([block.byteOffset, block.byteOffset + ctx.blockSize]);
            for (const entry of block.items) {
                if (!entry.offset || entry.size === 0 || (skip && entry.offset === skip.offset && entry.id == skip.id)) continue;
                list.push([entry.offset, entry.offset + entry.size]);
            }
        }
        return list.sort((a, b) => a[0] - b[0]);
    }

    /** The largest values in use, for the ENOSPC message. */
    function describe(list) {
        const inUse = list.reduce((sum, [s, e]) => sum + e - s, 0);
        const big = list.map(([s, e]) => e - s).sort((a, b) => b - a).slice(0, 4);
        return `, ${inUse} in use, largest ${big.join(", ")}`;
    }

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
     */
    function findGap(list, length, total, mode) {
        let best = -1;
        let bestSize = mode === "best" ? Infinity : -1;
        let at = 0;
        const consider = (end) => {
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

    /** used_bytes = the end of the last value (zenfs's own bump allocations start there). */
    function setUsed(sb, list, end) {
        let last = end;
        for (const [, e] of list) last = Math.max(last, e);
        sb.used_bytes = BigInt(last);
    }

    function seal(sb, block, ctx) {
        block.timestamp = BigInt(Date.now());
        block.checksum = blockChecksum(block, ctx.blockSize);
        sb.checksum = crc(new Uint8Array(sb.buffer, sb.byteOffset + 4, ctx.sbSize - 4));
    }

    function findEntry(sb, id) {
        for (let block = sb.metadata; block; block = block.previous) {
            for (const entry of block.items) {
                if (entry.offset && entry.id == id) return { entry, block };
            }
        }
        return {};
    }

    function allocateAndSet(store, id, data, ctx) {
        const sb = store.superblock;
        refreshMetadata(sb, ctx.Block);
        const release = lock(oldestBlock(sb.metadata), ctx.Block);
        try {
            refreshMetadata(sb, ctx.Block);
            const length = data.length;
            const total = Number(sb.total_bytes);
            const { entry: found, block: foundBlock } = findEntry(sb, id);
            if (found && length <= found.size) {
                store._u8.set(data, found.offset);
                if (length !== found.size) {
                    found.size = length;
                    seal(sb, foundBlock, ctx);
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
                seal(sb, foundBlock, ctx);
                return;
            }
            let block = sb.metadata;
            let entry = Array.from(block.items).find((item) => !item.offset);
            if (!entry) {
                setUsed(sb, extents(sb, ctx), 0);
                if (Number(sb.used_bytes) + ctx.blockSize + 8 > total) throw enospc("sbfs: no room for a new metadata block");
                block = sb.rotateMetadata();
                entry = block.items[0];
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
            release();
        }
    }

    // tmp:/ may be mounted only after extensions load: the bridge calls this again from its tick hook
    // (before the first statement runs) and before each file transfer; it reports once.
    let state = "pending";
    globalThis.__bridgeInstallAllocator = function () {
        if (state !== "pending") return state === "installed";
        try {
            const problem = install();
            if (problem) {
                state = "failed";
                log("warning", `tmp:/ allocator not replaced (${problem}); large tmp:/ files may fail`);
            } else state = "installed";
        } catch (error) {
            if (error && error.code === "ENOENT") return false; // not mounted yet
            state = "failed";
            log("warning", `tmp:/ allocator not replaced (${error && error.message})`);
        }
        return state === "installed";
    };
    globalThis.__bridgeInstallAllocator();
})();
