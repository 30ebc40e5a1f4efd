/**
 * The companion as `npm start -- --video` and the benchmarks run it: in process, on the local
 * origin's InnerTube stand-in, with PO tokens from the origin's provider stand-in and the
 * `/player` answer cache on, so a video id goes through the same steps as with YouTube.
 */
import type { OriginHandle } from "../origin/server.ts";
import { PlayerCache } from "./player-cache.ts";
import { PoTokenCache } from "./po-token-cache.ts";
import { providerTokens } from "./pot-provider.ts";
import { startCompanion, type CompanionHandle } from "./service.ts";
import { Youtube } from "./youtube.ts";

export interface StandInCompanion {
    companion: CompanionHandle;
    close(): Promise<void>;
}

export async function startCompanionOnOrigin(origin: OriginHandle, onLog?: (line: string) => void): Promise<StandInCompanion> {
    const youtube = await Youtube.create({ innertube: origin.url });
    const poTokens = new PoTokenCache(providerTokens(origin.url));
    const companion = await startCompanion({
        youtube,
        poTokens,
        playerCache: new PlayerCache(),
        port: 0,
        ...(onLog ? { onLog } : {}),
    }).catch(async (error: unknown) => {
        await youtube.close();
        throw error;
    });
    return {
        companion,
        close: async () => {
            await companion.close();
            await poTokens.close();
            await youtube.close();
        },
    };
}
