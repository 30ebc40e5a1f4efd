// What sbfs-allocator.js uses of zenfs 2.5.0 (bundled in brs-engine 2.2.0; none of it is public):
// the SingleBuffer store's on-buffer structures and StoreFS's internals. Check the list when the
// engine's zenfs changes.
declare global {
    namespace Zenfs {
        /** One value's place in the buffer (id 0 / offset 0: a free slot). */
        interface MetadataEntry {
            id: number;
            offset: number;
            size: number;
        }

        /** A metadata block: an Int32Array view whose `lockIndex` word is the block's lock. */
        interface MetadataBlock extends Int32Array {
            checksum: number;
            timestamp: bigint;
            readonly previous: MetadataBlock | undefined;
            readonly items: ArrayLike<MetadataEntry> & Iterable<MetadataEntry>;
            waitUnlocked(): void;
        }

        interface MetadataBlockClass {
            new (buffer: ArrayBufferLike, byteOffset: number): MetadataBlock;
            readonly lockIndex: number;
            readonly prototype: MetadataBlock;
        }

        interface SuperBlock {
            readonly buffer: ArrayBufferLike;
            readonly byteOffset: number;
            checksum: number;
            used_bytes: bigint;
            total_bytes: bigint;
            metadata_block_size: number;
            metadata_offset: number;
            metadata: MetadataBlock;
            rotateMetadata(): MetadataBlock;
        }

        /** The volume lock word and this worker's depth in it (set by sbfs-allocator.js). */
        interface Lock {
            word: Int32Array;
            depths: Map<number, number>;
            offset: number;
        }

        /** SingleBufferStore ("sbfs"). `__bridge*` fields are sbfs-allocator.js's own. */
        interface Store {
            readonly name: string;
            readonly superblock: SuperBlock;
            readonly _u8: Uint8Array;
            readonly buffer: ArrayBufferLike;
            get(id: number): Uint8Array | undefined;
            keys(): Iterable<number>;
            set(id: number, data: Uint8Array): void;
            delete(id: number): void;
            __bridgeLock?: Lock;
            __bridgeShared?: boolean;
        }

        /** A StoreFS method looked up by name to be wrapped. */
        type Method = (this: StoreFS, ...args: unknown[]) => unknown;

        /** StoreFS: a file system over a store (one per worker and volume). */
        interface StoreFS {
            readonly store?: Store;
            readonly attributes: Map<string, unknown>;
            /** Per-worker path → id table (unused under "no_id_tables"). */
            readonly _ids: Map<string, number>;
            transaction(): unknown;
            _findInodeSync(transaction: unknown, path: string): { ino: number };
            __bridgeShared?: boolean;
            /** Methods looked up by name. */
            readonly [name: string]: unknown;
        }

        /** StoreFS's prototype, whose methods are wrapped by name. */
        type StoreFSProto = Record<string, Method | undefined>;

        /** The zenfs file system functions behind an engine volume (getFS). */
        interface Fs {
            existsSync(path: string): boolean;
        }
    }
}

// A module (for moduleDetection "force", see tsconfig.json) that only adds globals.
export {};
