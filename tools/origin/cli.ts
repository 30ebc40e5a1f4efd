/**
 * CLI of the local SABR origin:  tsx tools/origin/cli.ts [options]
 * Run with --help for the option list.
 */
import { parseArgs } from "node:util";
import { writeFileSync } from "node:fs";
import { startOrigin } from "./server.ts";
import { FAULTS, parseFaultSpec } from "./faults.ts";

const HELP = `Local SABR origin: YouTube-style SABR manifests and a UMP videoplayback endpoint
serving bundled test media, with switchable faults.

Usage: tsx tools/origin/cli.ts [options]

Options:
  --host <addr>            Interface to bind (default 127.0.0.1; 0.0.0.0 serves the LAN, e.g. a real Roku)
  --port <n>               TCP port (default 8090; 0 = any free port)
  --public-url <url>       Base URL written into manifests (default http://<host>:<port>;
                           set it to http://<lan-ip>:<port> when binding 0.0.0.0; https:// with --tls)
  --tls                    Serve HTTPS with a certificate signed by a throwaway CA made at start-up
                           (nothing secret on disk); it names localhost, 127.0.0.1, ::1, the --host
                           address (every interface address for 0.0.0.0) and the --public-url host.
                           Manifest and SABR URLs become https://; clients must trust the CA
  --ca-out <path>          With --tls: write the CA certificate (PEM) there, to inspect or trust it
  --numbers                Integer payload fields (lastModified, contentLength, approxDurationMs,
                           initRange/indexRange, expiresInSeconds, audioSampleRate) as JSON numbers,
                           as real payloads send them, instead of strings (per manifest: ?numbers=1|0)
  --faults <spec,...>      Fault profiles, e.g. "F6@nth=2,F16:status=503@times=2,F1@p=0.5"
                           syntax PROFILE[:key=value...][@always|@rn=1+2|@nth=1+2|@times=N|@p=0.25]
                           (also settable at run time: POST /__faults {"faults":"...","seed":1})
  --seed <n>               Seed of the fault RNG (default 1)
  --delay <ms>             Extra delay before every videoplayback answer (default 0)
  --readahead <ms>         Media window filled per response from player_time_ms (default 15000)
  --max-segments <n>       Max media segments per track per response (default 8)
  --media-part <bytes>     Media bytes per MEDIA part (default 32768)
  --content-length         Send Content-Length instead of chunked transfer encoding
  --expire-seconds <s>     Lifetime of issued streaming URLs (default 21540)
  --pot-ttl <s>            Lifetime of the PO tokens POST /get_pot mints (default 21600; per request:
                           POST /get_pot?ttl=<s>). SABR answers check them with --faults F17:script=potoken
  --max-body <bytes>       Largest accepted request body (default 1048576; larger => HTTP 413)
  --missing-video <mode>   Request without a video format (f17): audio-only (default) | error
  --client-info <mode>     Client info differing from the manifest's: log (default) | error
  --media-dir <dir>        Media root with <videoId>/<itag>.mp4 files (default tools/origin/media)
  --quiet                  No per-request log lines
  --list-faults            Print the fault profiles and exit
  -h, --help               This help

Endpoints:
  GET  /, /__index                         index (titles, manifest URLs, faults) as JSON (a browser asking
                                           for text/html at / gets the BotGuard stand-in page instead)
  GET  /manifest/<videoId>.mpd?variant=single|multi|unscoped[&expire=<s>][&reload=<token>][&numbers=1|0]
  POST /videoplayback?sabr=1&...&ei=<session>&rn=<n>   VideoPlaybackAbrRequest -> application/vnd.yt-ump
  GET  /__log[?since=<id>]   DELETE /__log  request log with the per-request assertions
  GET|POST /__faults                       current / new fault spec
  GET  /__source/<videoId>/<itag>          raw source file (Range supported)
  POST /youtubei/v1/player                 InnerTube stand-in: WEB/TV/WEB_EMBEDDED player responses
                                           (refusals: needsSignIn, ageLimited1, privateClip, regionBlock,
                                           liveStream1); GET /iframe_api and the player script it names
  GET  /ping   POST /get_pot[?ttl=<s>]     PO-token provider stand-in (the protocol of bgutil-ytdlp-pot-provider's
                                           server): {"content_binding":"<videoId>"} -> {"poToken","contentBinding","expiresAt"}
  GET  / (Accept: text/html), GET /js/th/<hash>.js   BotGuard challenge stand-in (stops where BotGuard's VM would run)
`;

function main(): void {
    let values;
    try {
        ({ values } = parseArgs({
            options: {
                host: { type: "string", default: "127.0.0.1" },
                port: { type: "string", default: "8090" },
                "public-url": { type: "string" },
                tls: { type: "boolean", default: false },
                "ca-out": { type: "string" },
                numbers: { type: "boolean", default: false },
                faults: { type: "string", default: "" },
                seed: { type: "string", default: "1" },
                delay: { type: "string", default: "0" },
                readahead: { type: "string", default: "15000" },
                "max-segments": { type: "string", default: "8" },
                "media-part": { type: "string", default: "32768" },
                "content-length": { type: "boolean", default: false },
                "expire-seconds": { type: "string", default: "21540" },
                "pot-ttl": { type: "string", default: "21600" },
                "max-body": { type: "string", default: String(1024 * 1024) },
                "missing-video": { type: "string", default: "audio-only" },
                "client-info": { type: "string", default: "log" },
                "media-dir": { type: "string" },
                quiet: { type: "boolean", default: false },
                "list-faults": { type: "boolean", default: false },
                help: { type: "boolean", short: "h", default: false },
            },
            strict: true,
        }));
    } catch (e) {
        process.stderr.write(`${(e as Error).message}\n\n${HELP}`);
        process.exit(2);
    }
    if (values.help) {
        process.stdout.write(HELP);
        return;
    }
    if (values["list-faults"]) {
        for (const f of Object.values(FAULTS)) {
            process.stdout.write(
                `${f.name} ${f.title}\n  does:   ${f.injection}\n  params: ${
                    Object.entries(f.params)
                        .map(([k, v]) => `${k}=${v}`)
                        .join("; ") || "-"
                }\n  expect: ${f.expect}\n`,
            );
        }
        return;
    }
    const num = (name: string, v: string | undefined): number => {
        const n = Number(v);
        if (!Number.isFinite(n) || n < 0) {
            process.stderr.write(`--${name}: not a non-negative number: ${v}\n`);
            process.exit(2);
        }
        return n;
    };
    try {
        parseFaultSpec(values.faults ?? "");
    } catch (e) {
        process.stderr.write(`--faults: ${(e as Error).message}\n`);
        process.exit(2);
    }
    if (values["ca-out"] && !values.tls) {
        process.stderr.write("--ca-out needs --tls\n");
        process.exit(2);
    }
    const missingVideo = values["missing-video"] === "error" ? "error" : "audio-only";
    const clientInfoCheck = values["client-info"] === "error" ? "error" : "log";
    startOrigin({
        host: values.host,
        port: num("port", values.port),
        publicUrl: values["public-url"],
        faults: values.faults,
        seed: num("seed", values.seed),
        delayMs: num("delay", values.delay),
        readaheadMs: num("readahead", values.readahead),
        maxSegmentsPerTrack: num("max-segments", values["max-segments"]),
        mediaPartBytes: Math.max(1, num("media-part", values["media-part"])),
        contentLength: values["content-length"],
        expireSeconds: num("expire-seconds", values["expire-seconds"]),
        potTtlSeconds: num("pot-ttl", values["pot-ttl"]),
        maxBodyBytes: num("max-body", values["max-body"]),
        missingVideo,
        clientInfoCheck,
        mediaDir: values["media-dir"],
        tls: values.tls,
        numericPayload: values.numbers,
        onLog: values.quiet ? undefined : (line) => process.stdout.write(`${line}\n`),
    }).then(
        (origin) => {
            process.stdout.write(`SABR origin listening on ${origin.url} (bound ${values.host}:${origin.port})\n`);
            if (origin.tls) reportTls(origin.tls, values["ca-out"]);
            if (values.numbers) process.stdout.write("  payload integers as JSON numbers (?numbers=0 for strings)\n");
            for (const t of origin.titles.values()) {
                process.stdout.write(
                    `  ${t.videoId} (${(t.durationMs / 1000).toFixed(1)} s, itags ${t.formats.map((f) => f.itag).join("/")}):\n`,
                );
                for (const v of ["single", "multi", "unscoped"])
                    process.stdout.write(`    ${origin.url}/manifest/${t.videoId}.mpd?variant=${v}\n`);
            }
            process.stdout.write(`  faults: ${values.faults || "none"}   log: ${origin.url}/__log\n`);
            let closing = false;
            const stop = (sig: string): void => {
                if (closing) return;
                closing = true;
                process.stdout.write(`${sig}: closing\n`);
                origin.close().then(
                    () => process.exit(0),
                    () => process.exit(1),
                );
                setTimeout(() => process.exit(1), 3000).unref();
            };
            process.on("SIGINT", () => stop("SIGINT"));
            process.on("SIGTERM", () => stop("SIGTERM"));
        },
        (e: unknown) => {
            process.stderr.write(`cannot start origin: ${String((e as Error).message ?? e)}\n`);
            process.exit(1);
        },
    );
}

/** Names what the certificate covers and, with --ca-out, saves the CA for the user to trust. */
function reportTls(tls: { caPem: string; hosts: string[] }, caOut: string | undefined): void {
    process.stdout.write(`  TLS: certificate for ${tls.hosts.join(", ")}, signed by a CA made for this run\n`);
    if (!caOut) return;
    try {
        writeFileSync(caOut, tls.caPem);
    } catch (e) {
        process.stderr.write(`--ca-out: cannot write ${caOut}: ${(e as Error).message}\n`);
        process.exit(1);
    }
    process.stdout.write(`  CA certificate written to ${caOut}\n`);
}

main();
