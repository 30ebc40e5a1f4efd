// Reads a saved cachefs: image in Node, between runs (Simulator.cachefsFiles). The volume is a
// zenfs SingleBuffer store; @zenfs/core is brs-engine's own dependency (same inode format, 5).
import { SingleBuffer, resolveMountConfig } from "@zenfs/core";
import type { CachefsFile } from "./simulator.ts";

export async function listCachefsImage(image: Buffer, volumeBytes: number): Promise<CachefsFile[]> {
    const buffer = new ArrayBuffer(volumeBytes);
    new Uint8Array(buffer).set(image.subarray(0, volumeBytes));
    const fs = await resolveMountConfig({ backend: SingleBuffer, buffer });
    const found: CachefsFile[] = [];
    const walk = (dir: string): void => {
        for (const name of fs.readdirSync(dir)) {
            const path = `${dir === "/" ? "" : dir}/${name}`;
            const stat = fs.statSync(path);
            if ((stat.mode & 0o170000) === 0o040000) walk(path);
            else found.push({ path: `cachefs:${path}`, size: stat.size });
        }
    };
    walk("/");
    return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
