/**
 * CLI of the companion:  npm run companion -- [options]            serve manifests of real videos
 *                        npm run companion -- probe <videoId>      what each client gets right now
 * Run with --help for the option list.
 */
import { parseArgs } from "node:util";
import { setDefaultResultOrder } from "node:dns";
import { setDefaultAutoSelectFamily } from "node:net";
import { networkInterfaces } from "node:os";
import { BotguardTokens } from "./botguard.ts";
import { PoTokenCache } from "./po-token-cache.ts";
import { providerTokens } from "./pot-provider.ts";
import { probe, probeTable } from "./probe.ts";
import { Refusal } from "./refusals.ts";
import { PlayerCache } from "./player-cache.ts";
import { startCompanion } from "./service.ts";
import { isClientName, Youtube } from "./youtube.ts";

export const HELP = `Companion: turns a YouTube video id into the SABR DASH manifest the channel plays.

Usage: npm run companion -- [options]               serve manifests
       npm run companion -- probe <videoId> [options] which clients give SABR for a video now

Options:
  --host <addr>          Interface to bind (default 127.0.0.1; 0.0.0.0 serves the Roku on the LAN).
                         Off loopback every path must start with a token made at start (printed)
  --port <n>             TCP port (default 8095; 0 = any free port)
  --client <name>        InnerTube client for /player: WEB (default), TV or WEB_EMBEDDED
                         (a request's ?client= overrides it)
  --codecs <list>        Codec families the manifest keeps (default avc1,mp4a: H.264 video, AAC audio;
                         e.g. avc1,av01,mp4a when the Roku decodes AV1; a request's ?codecs= overrides it)
  --innertube <url>      Send InnerTube, player-script and BotGuard requests to this base URL instead of
                         YouTube (e.g. the local origin's stand-in: http://127.0.0.1:8090)
  --player-id <id>       Use this YouTube player script instead of the current one (for the days the
                         current one cannot be read: pin one that worked)
  --cache-dir <dir>      Keep youtubei.js's cache (the extracted player) in this directory (default: none)
  --eval-timeout <ms>    Time limit of one run of YouTube's player code in the sandbox (default 2000)
  --pot-provider <url>   Get PO tokens from this provider (the HTTP protocol of bgutil-ytdlp-pot-provider's
                         server, e.g. http://127.0.0.1:4416: POST /get_pot). Without it the companion mints
                         them with BotGuard (bgutils-js), handing out cold-start tokens while it warms up
  --fresh-manifests      Call /player for every manifest (default: a video's /player answer is reused
                         while its SABR URL has more than 30 minutes left; ?fresh=1 does this per request)
  --quiet                No per-request log lines
  -h, --help             This help

Endpoints (prefix every path with /<token> off loopback):
  GET /manifest/<videoId>.mpd[?codecs=avc1,mp4a][&maxHeight=N][&client=TV][&reload=<token>][&fresh=1]
  GET /reload/<videoId>[?token=<reload token>]     a fresh payload as JSON
  GET /potoken/<videoId>[?renew=1]                 a PO token for the video as JSON:
      {"videoId", "poToken", "expiresAt" (unix ms), "source": "provider"|"botguard"|"cold-start"}
  GET /health

The Roku and the companion must reach the internet through the same public IP address: YouTube
binds every SABR URL to the address that asked for it.
`;

function lanAddresses(): string[] {
    return Object.values(networkInterfaces())
        .flat()
        .filter((a): a is NonNullable<typeof a> => !!a && a.family === "IPv4" && !a.internal)
        .map((a) => a.address);
}

async function main(): Promise<number> {
    let parsed;
    try {
        parsed = parseArgs({
            allowPositionals: true,
            options: {
                host: { type: "string", default: "127.0.0.1" },
                port: { type: "string", default: "8095" },
                client: { type: "string", default: "WEB" },
                codecs: { type: "string" },
                innertube: { type: "string" },
                "player-id": { type: "string" },
                "cache-dir": { type: "string" },
                "eval-timeout": { type: "string", default: "2000" },
                "pot-provider": { type: "string" },
                "fresh-manifests": { type: "boolean", default: false },
                quiet: { type: "boolean", default: false },
                help: { type: "boolean", short: "h", default: false },
            },
        });
    } catch (e) {
        console.error(`${(e as Error).message}\n\n${HELP}`);
        return 2;
    }
    const { values, positionals } = parsed;
    if (values.help) {
        console.log(HELP);
        return 0;
    }
    const client = values.client;
    if (!isClientName(client)) {
        console.error("--client must be WEB, TV or WEB_EMBEDDED");
        return 2;
    }
    const port = Number(values.port);
    const evalTimeoutMs = Number(values["eval-timeout"]);
    if (!Number.isInteger(port) || port < 0 || port > 65535 || !(evalTimeoutMs > 0)) {
        console.error("--port must be 0..65535 and --eval-timeout a positive number of ms");
        return 2;
    }
    if (values["pot-provider"] !== undefined && !/^https?:\/\/[^/]/.test(values["pot-provider"])) {
        console.error("--pot-provider must be an http:// or https:// URL, e.g. http://127.0.0.1:4416");
        return 2;
    }
    if (!values.innertube) {
        // SABR URLs are bound to one address: ask YouTube over IPv4, the family a Roku behind the same NAT most likely uses.
        setDefaultResultOrder("ipv4first");
        setDefaultAutoSelectFamily(false);
    }
    const ytOptions = {
        ...(values.innertube ? { innertube: values.innertube } : {}),
        ...(values["player-id"] ? { playerId: values["player-id"] } : {}),
        ...(values["cache-dir"] ? { cacheDir: values["cache-dir"] } : {}),
        evalTimeoutMs,
    };
    const [command, videoId] = positionals;
    if (command === "probe") {
        if (!videoId) {
            console.error("usage: npm run companion -- probe <videoId>");
            return 2;
        }
        const yt = await Youtube.create(ytOptions);
        try {
            const rows = await probe(yt, videoId);
            console.log(probeTable(videoId, rows));
            return rows.some((r) => r.sabr && r.outcome === "ok") ? 0 : 1;
        } finally {
            await yt.close();
        }
    }
    if (command !== undefined) {
        console.error(`unknown command ${command}\n\n${HELP}`);
        return 2;
    }
    const yt = await Youtube.create(ytOptions);
    const provider = values["pot-provider"];
    const source = provider ? providerTokens(provider) : new BotguardTokens(yt.fetch);
    if (source instanceof BotguardTokens) void source.warmUp();
    const poTokens = new PoTokenCache(source);
    const c = await startCompanion({
        youtube: yt,
        poTokens,
        ...(values["fresh-manifests"] ? {} : { playerCache: new PlayerCache() }),
        host: values.host,
        port,
        client,
        ...(values.codecs ? { codecs: values.codecs.split(",").filter(Boolean) } : {}),
        ...(values.quiet ? {} : { onLog: (line: string) => console.log(line) }),
    });
    const wildcard = values.host === "0.0.0.0" || values.host === "::";
    const bases = wildcard ? lanAddresses().map((a) => `http://${a}:${c.port}${c.token ? `/${c.token}` : ""}`) : [c.url];
    console.log(
        `companion listening (client ${client}${values.innertube ? `, InnerTube at ${values.innertube}` : ""}, player ${yt.playerId ?? "none"})`,
    );
    for (const b of bases)
        console.log(`  manifest: ${b}/manifest/<videoId>.mpd   reload: ${b}/reload/<videoId>?token=<t>   PO token: ${b}/potoken/<videoId>`);
    console.log(
        `  PO tokens from ${provider ? `the provider at ${provider}` : "BotGuard (bgutils-js), cold-start tokens while it warms up"}`,
    );
    if (c.token) console.log(`  token for this start: ${c.token} (every path must start with /${c.token}/)`);
    console.log(
        "The Roku and this machine must share one public IP address: YouTube binds each SABR URL to the address that asked for it.",
    );
    return await new Promise<number>((resolve) => {
        const stop = (): void => {
            void c
                .close()
                .then(() => poTokens.close())
                .then(() => yt.close())
                .then(() => resolve(0));
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
    });
}

main().then(
    (code) => process.exit(code),
    (e: unknown) => {
        console.error(e instanceof Refusal ? `${e.cause}: ${e.message}` : String((e as Error).stack ?? e));
        process.exit(1);
    },
);
