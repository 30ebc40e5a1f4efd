/** The origin over TLS (throwaway CA) and the number-typed manifest payload. */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:https";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { X509Certificate } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { SabrRedirect, UMPPartId } from "googlevideo/protos";
import { startOrigin, type OriginHandle } from "../../../tools/origin/server.ts";
import { segmentBytes } from "../../../tools/origin/media-model.ts";
import { makeTestCa } from "../../../tools/origin/test-ca.ts";
import { parseUmp, type UmpPart } from "../../../tools/origin/wire.ts";
import type { SabrPayload } from "../../../tools/origin/manifest.ts";
import { getManifest, runSabrStream } from "./helpers.ts";
import { RawClient, assemble } from "./client.ts";

/** assert.ok with a message always (without one, Node re-parses the transpiled source, which is slow). */
function ok(value: unknown, message?: string): asserts value {
    assert.ok(value, message ?? "expected a truthy value");
}

interface Answer {
    status: number;
    headers: IncomingHttpHeaders;
    body: Buffer;
}

/** One HTTPS request trusting only `ca` (Node's own roots when undefined); no connection reuse. */
function httpsRequest(
    url: string,
    opts: { ca?: string; method?: string; headers?: Record<string, string>; body?: Uint8Array } = {},
): Promise<Answer> {
    return new Promise((resolve, reject) => {
        const req = request(url, { method: opts.method ?? "GET", headers: opts.headers, ca: opts.ca, agent: false }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
            res.on("error", reject);
        });
        req.on("error", reject);
        req.end(opts.body);
    });
}

/** A fetch for googlevideo's SabrStream that trusts `ca`. */
function trustingFetch(ca: string): typeof fetch {
    return async (input, init) => {
        const url = input instanceof Request ? input.url : String(input);
        const body =
            init?.body instanceof Uint8Array
                ? init.body
                : init?.body
                  ? new Uint8Array(await new Response(init.body).arrayBuffer())
                  : undefined;
        const requestHeaders: Record<string, string> = {};
        new Headers(init?.headers).forEach((value, key) => {
            requestHeaders[key] = value;
        });
        const a = await httpsRequest(url, { ca, method: init?.method, headers: requestHeaders, body });
        const headers = new Headers();
        for (const [k, v] of Object.entries(a.headers)) if (typeof v === "string") headers.set(k, v);
        return new Response(new Uint8Array(a.body), { status: a.status, headers });
    };
}

function payloadsOf(xml: string): SabrPayload[] {
    return [...xml.matchAll(/schemeIdUri="urn:youtube:sabr" value="([^"]+)"/g)].map(
        (m) => JSON.parse(Buffer.from(m[1]!, "base64").toString("utf8")) as SabrPayload,
    );
}

/** Parts that carry per-session randomness (request token, cookie nonce) are left out of byte comparisons. */
function deterministicParts(parts: UmpPart[]): Array<{ type: number; hex: string }> {
    return parts
        .filter((p) => p.type !== UMPPartId.REQUEST_IDENTIFIER && p.type !== UMPPartId.NEXT_REQUEST_POLICY)
        .map((p) => ({ type: p.type, hex: Buffer.from(p.payload).toString("hex") }));
}

const SABR_HEADERS = { "content-type": "application/x-protobuf", accept: "application/vnd.yt-ump" };

let tlsOrigin: OriginHandle;
let httpOrigin: OriginHandle;
let ca: string;
before(async () => {
    tlsOrigin = await startOrigin({ port: 0, tls: true });
    httpOrigin = await startOrigin({ port: 0 });
    ca = tlsOrigin.tls!.caPem;
});
after(async () => {
    await tlsOrigin.close();
    await httpOrigin.close();
});

test("TLS: the handle gives the CA, a server certificate it signed, and https URLs", () => {
    ok(tlsOrigin.url.startsWith("https://127.0.0.1:"), tlsOrigin.url);
    assert.equal(httpOrigin.tls, undefined);
    const caCert = new X509Certificate(ca);
    const cert = new X509Certificate(tlsOrigin.tls!.certPem);
    ok(caCert.ca, "the CA certificate is a CA");
    ok(!cert.ca, "the server certificate is not a CA");
    ok(cert.checkIssued(caCert) && cert.verify(caCert.publicKey), "signed by the CA");
    assert.equal(cert.checkIP("127.0.0.1"), "127.0.0.1");
    assert.equal(cert.checkHost("localhost"), "localhost");
    for (const h of ["localhost", "127.0.0.1", "::1"]) ok(tlsOrigin.tls!.hosts.includes(h), h);
    ok(!ca.includes("PRIVATE KEY") && !tlsOrigin.tls!.certPem.includes("PRIVATE KEY"), "no key in the handle");
});

test("TLS: a client trusting the CA gets the manifest with https SABR URLs, equal to HTTP but for the session", async () => {
    const query = "/manifest/sabrOrigin1.mpd?variant=multi";
    const a = await httpsRequest(`${tlsOrigin.url}${query}`, { ca });
    assert.equal(a.status, 200);
    assert.equal(a.headers["content-type"], "application/dash+xml");
    const xml = a.body.toString("utf8");
    const plain = await getManifest(httpOrigin.url, "sabrOrigin1", "?variant=multi");
    const strip = (x: string): string => x.replace(/(schemeIdUri="urn:youtube:sabr" value=")[^"]+/g, "$1");
    assert.equal(strip(xml), strip(plain.xml));
    const payloads = payloadsOf(xml);
    assert.equal(payloads.length, 3);
    payloads.forEach((p, i) => {
        ok(p.serverAbrStreamingUrl.startsWith(`${tlsOrigin.url}/videoplayback?`), p.serverAbrStreamingUrl);
        assert.deepEqual(p.adaptiveFormats, plain.payloads[i]!.adaptiveFormats);
        assert.deepEqual(p.clientInfo, plain.payloads[i]!.clientInfo);
    });
    const index = JSON.parse((await httpsRequest(`${tlsOrigin.url}/`, { ca })).body.toString("utf8")) as {
        titles: Array<{ manifests: string[] }>;
    };
    for (const t of index.titles) for (const m of t.manifests) ok(m.startsWith("https://"), m);
});

test("TLS: a SABR POST answers byte for byte what the same POST gets over HTTP", async () => {
    const tlsPayload = payloadsOf((await httpsRequest(`${tlsOrigin.url}/manifest/sabrOrigin2.mpd`, { ca })).body.toString("utf8"))[0]!;
    const tlsClient = RawClient.fromPayload(tlsPayload, 160);
    const url = new URL(tlsPayload.serverAbrStreamingUrl);
    url.searchParams.set("rn", "0");
    const a = await httpsRequest(url.href, { ca, method: "POST", headers: SABR_HEADERS, body: tlsClient.body({ playerTimeMs: 0 }) });
    assert.equal(a.status, 200);
    assert.equal(a.headers["content-type"], "application/vnd.yt-ump");
    const tlsParts = parseUmp(a.body);

    const plainPayload = (await getManifest(httpOrigin.url, "sabrOrigin2")).payloads[0]!;
    const plain = await RawClient.fromPayload(plainPayload, 160).post(RawClient.fromPayload(plainPayload, 160).body({ playerTimeMs: 0 }));
    assert.equal(plain.status, 200);
    assert.deepEqual(
        tlsParts.map((p) => p.type),
        plain.parts.map((p) => p.type),
    );
    assert.deepEqual(deterministicParts(tlsParts), deterministicParts(plain.parts));

    // And the media are the source's bytes: init (init + sidx) and media segments of both tracks.
    const formats = tlsOrigin.titles.get("sabrOrigin2")!.formats;
    const segments = [...assemble(tlsParts).values()];
    ok(segments.some((s) => s.header.isInitSeg) && segments.some((s) => !s.header.isInitSeg), "init and media segments");
    for (const s of segments) {
        const f = formats.find((x) => x.itag === s.header.itag)!;
        ok(s.ended, `segment ${s.header.itag}:${s.header.sequenceNumber ?? 0} ended`);
        ok(
            s.bytes.equals(segmentBytes(f, s.header.isInitSeg ? 0 : s.header.sequenceNumber!)),
            `segment ${s.header.itag}:${s.header.sequenceNumber ?? 0} bytes`,
        );
    }
    const entry = tlsOrigin.log().find((e) => e.session === url.searchParams.get("ei") && e.method === "POST");
    ok(entry, "the POST is in the log");
    for (const name of ["configMatches", "audioFormatValid", "videoFormatPresent", "clientInfoMatches"]) {
        assert.equal(entry.assertions.find((x) => x.name === name)?.ok, true, name);
    }
});

test("TLS: SABR_REDIRECT points at an https URL", async () => {
    const payload = payloadsOf((await httpsRequest(`${tlsOrigin.url}/manifest/sabrOrigin2.mpd`, { ca })).body.toString("utf8"))[0]!;
    tlsOrigin.setFaults("F12:mode=only@always");
    try {
        const url = new URL(payload.serverAbrStreamingUrl);
        url.searchParams.set("rn", "0");
        const a = await httpsRequest(url.href, {
            ca,
            method: "POST",
            headers: SABR_HEADERS,
            body: RawClient.fromPayload(payload, 160).body(),
        });
        const redirect = parseUmp(a.body).find((p) => p.type === UMPPartId.SABR_REDIRECT);
        ok(redirect, "a SABR_REDIRECT part");
        const target = SabrRedirect.decode(redirect.payload).url ?? "";
        ok(target.startsWith(`${tlsOrigin.url}/r1/videoplayback?`), target);
    } finally {
        tlsOrigin.setFaults("");
    }
});

test("TLS: googlevideo SabrStream trusting the CA downloads a title byte-exact", async () => {
    const payload = payloadsOf((await httpsRequest(`${tlsOrigin.url}/manifest/sabrOrigin2.mpd`, { ca })).body.toString("utf8"))[0]!;
    const r = await runSabrStream(payload, 160, 140, { fetch: trustingFetch(ca), timeoutMs: 60_000 });
    assert.equal(r.error, undefined, String(r.error));
    for (const [got, itag] of [
        [r.video, 160],
        [r.audio, 140],
    ] as const) {
        const f = tlsOrigin.titles.get("sabrOrigin2")!.formats.find((x) => x.itag === itag)!;
        ok(got.equals(f.bytes), `itag ${itag}: the whole source file`);
    }
});

test("TLS: clients that do not trust the CA are refused", async () => {
    const other = (await makeTestCa()).caPem;
    for (const [name, trust] of [
        ["Node's roots", undefined],
        ["another test CA", other],
    ] as const) {
        await assert.rejects(httpsRequest(`${tlsOrigin.url}/manifest/sabrOrigin2.mpd`, { ca: trust }), (e: NodeJS.ErrnoException) => {
            assert.match(String(e.code), /CERT|SIGNATURE|ISSUER/, `${name}: ${e.code} ${e.message}`);
            return true;
        });
    }
    // Node's fetch has no way to add a CA per request: it is refused too.
    await assert.rejects(fetch(`${tlsOrigin.url}/`), (e: Error & { cause?: NodeJS.ErrnoException }) => {
        assert.match(String(e.cause?.code), /CERT|SIGNATURE|ISSUER/, String(e.cause));
        return true;
    });
});

test("TLS: a plain http publicUrl is refused", async () => {
    await assert.rejects(startOrigin({ port: 0, tls: true, publicUrl: "http://192.0.2.1:8090" }), /https/);
});

/** Integer fields of an adaptiveFormats entry that the numbers option turns into JSON numbers. */
const INTEGER_PATHS = [
    "lastModified",
    "contentLength",
    "approxDurationMs",
    "initRange.start",
    "initRange.end",
    "indexRange.start",
    "indexRange.end",
];

function at(value: Record<string, unknown>, path: string): unknown {
    return path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);
}

function checkNumbersAgainstStrings(numeric: SabrPayload[], strings: SabrPayload[]): void {
    assert.equal(numeric.length, strings.length);
    numeric.forEach((p, i) => {
        const s = strings[i]!;
        assert.equal(typeof p.expiresInSeconds, "number");
        assert.equal(typeof s.expiresInSeconds, "string");
        assert.equal(p.adaptiveFormats.length, s.adaptiveFormats.length);
        p.adaptiveFormats.forEach((f, j) => {
            const g = s.adaptiveFormats[j]!;
            const paths = [...INTEGER_PATHS, ...(f.audioSampleRate === undefined ? [] : ["audioSampleRate"])];
            for (const path of paths) {
                const n = at(f, path);
                const str = at(g, path);
                assert.equal(typeof n, "number", `itag ${String(f.itag)} ${path} is a number`);
                assert.equal(typeof str, "string", `itag ${String(f.itag)} ${path} is a string by default`);
                assert.equal(String(n), str, `itag ${String(f.itag)} ${path} has the same value`);
            }
            assert.match(String(f.lastModified), /^\d{16}$/, "lastModified has 16 digits");
            ok(Number.isSafeInteger(f.lastModified), "lastModified is exact");
            // Everything else is the same in both forms.
            const rest = (x: Record<string, unknown>): Record<string, unknown> => {
                const copy = structuredClone(x);
                for (const path of ["contentLength", "approxDurationMs", "lastModified", "initRange", "indexRange", "audioSampleRate"])
                    delete copy[path];
                return copy;
            };
            assert.deepEqual(rest(f), rest(g));
        });
    });
}

test("numbers: ?numbers=1 sends integer payload fields as JSON numbers equal to the strings", async () => {
    for (const variant of ["single", "multi", "unscoped"]) {
        const numeric = await getManifest(httpOrigin.url, "sabrOrigin1", `?variant=${variant}&numbers=1`);
        const strings = await getManifest(httpOrigin.url, "sabrOrigin1", `?variant=${variant}`);
        checkNumbersAgainstStrings(numeric.payloads, strings.payloads);
        // The JSON text itself carries the 16 digits unquoted, as a real payload does.
        const text = Buffer.from(/urn:youtube:sabr" value="([^"]+)"/.exec(numeric.xml)![1]!, "base64").toString("utf8");
        assert.match(text, /"lastModified":\d{16},/);
    }
});

test("numbers: startOrigin({ numericPayload: true }) sends numbers by default, ?numbers=0 strings", async () => {
    const origin = await startOrigin({ port: 0, numericPayload: true });
    try {
        const numeric = await getManifest(origin.url, "sabrOrigin2", "?variant=multi");
        const strings = await getManifest(origin.url, "sabrOrigin2", "?variant=multi&numbers=0");
        checkNumbersAgainstStrings(numeric.payloads, strings.payloads);
        // A client building its FormatIds from the numeric payload gets media.
        const c = RawClient.fromPayload(numeric.payloads[0]!, 160);
        const r = await c.post(c.body({ playerTimeMs: 0 }));
        ok(
            [...assemble(r.parts).values()].some((s) => s.header.itag === 160 && s.header.isInitSeg),
            "init segment of itag 160",
        );
    } finally {
        await origin.close();
    }
});

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * Runs the origin CLI; once it has printed `until`, runs `whileUp` with the output so far, then
 * stops it. Returns everything it printed, and `whileUp`'s failure if any.
 */
function runCli(
    args: string[],
    until: RegExp,
    whileUp: (out: string) => Promise<void> = async () => undefined,
): Promise<{ out: string; code: number | null; failure?: unknown }> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", "tools/origin/cli.ts", ...args], {
            cwd: REPO_ROOT,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        let up = false;
        let failure: unknown;
        const onData = (c: Buffer): void => {
            out += c.toString("utf8");
            if (up || !until.test(out)) return;
            up = true;
            whileUp(out)
                .catch((e: unknown) => {
                    failure = e;
                })
                .finally(() => child.kill("SIGTERM"));
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
        child.on("error", reject);
        child.on("close", (code) => resolve({ out, code, failure }));
    });
}

test("CLI: --tls --ca-out writes the CA a client trusts the running origin with; --ca-out alone is refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "origin-ca-"));
    try {
        const caPath = join(dir, "ca.pem");
        // While it runs, the written CA is what a client needs to fetch a (numeric) manifest.
        const run = await runCli(["--tls", "--numbers", "--port", "0", "--quiet", "--ca-out", caPath], /log: https:\/\//, async (out) => {
            const manifest = /(https:\/\/127\.0\.0\.1:\d+\/manifest\/sabrOrigin1\.mpd\?variant=single)/.exec(out)?.[1];
            ok(manifest, "an https manifest URL");
            ok(new X509Certificate(readFileSync(caPath)).ca, "a CA certificate");
            const a = await httpsRequest(manifest, { ca: readFileSync(caPath, "utf8") });
            assert.equal(a.status, 200);
            assert.equal(typeof payloadsOf(a.body.toString("utf8"))[0]!.adaptiveFormats[0]!.lastModified, "number");
        });
        assert.equal(run.failure, undefined, String(run.failure));
        assert.match(run.out, /listening on https:\/\/127\.0\.0\.1:\d+/);
        assert.match(run.out, /CA certificate written to/);
        const refused = await runCli(["--ca-out", caPath], /$^/);
        assert.equal(refused.code, 2);
        assert.match(refused.out, /--ca-out needs --tls/);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});
