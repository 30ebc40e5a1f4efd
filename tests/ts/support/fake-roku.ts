// A local stand-in for a Roku in developer mode: the /plugin_install upload with HTTP digest
// auth, a debug console (TCP) that plays a recorded console log after each install, and the
// ECP port's POST /launch/dev, which plays a scripted console (lines and pauses) per launch.
import { createHash, randomBytes } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage } from "node:http";
import { createServer as createTcpServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { after, before } from "node:test";
import { zipFixtureChannel } from "./fixture-channels.ts";

const REALM = "rokudev";
const md5 = (text: string) => createHash("md5").update(text).digest("hex");

/** One step of a scripted console: a line to print, or a pause. */
export type ConsoleStep = string | { waitMs: number };

export interface FakeRoku {
    packagePort: number;
    consolePort: number;
    /** The ECP port (8060 on devices). */
    ecpPort: number;
    /** Apps launched through ECP (`POST /launch/<id>`), in order. */
    launches: string[];
    /** The paths of those launches, with their query (launch parameters). */
    launchUrls: string[];
    /** Archives received by successful installs, in order. */
    installs: Buffer[];
    /** Authorization attempts that were refused. */
    refused: number;
    close(): Promise<void>;
}

/** The flags that point a device tool (deploy, test-device, smoke, probe) at this stand-in's ports. */
export function standInPortFlags(roku: FakeRoku, { ecp = true } = {}): string[] {
    const flags = ["--package-port", String(roku.packagePort), "--console-port", String(roku.consolePort)];
    return ecp ? [...flags, "--ecp-port", String(roku.ecpPort)] : flags;
}

/** The environment a device tool reads its target from, aimed at a stand-in on loopback. */
export function standInEnvironment(password: string): NodeJS.ProcessEnv {
    return { ...process.env, ROKU_DEV_TARGET: "127.0.0.1", ROKU_DEV_PASSWORD: password };
}

/** Parses `Digest a="b", c=d` into a map. */
function parseDigest(header: string): Map<string, string> {
    const fields = new Map<string, string>();
    for (const match of header.replace(/^Digest\s+/i, "").matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) {
        fields.set(match[1] ?? "", match[2] ?? match[3] ?? "");
    }
    return fields;
}

/** Checks an RFC 2617 digest (qop=auth, MD5) against the expected user and password. */
function digestIsValid(req: IncomingMessage, password: string, nonce: string): boolean {
    const header = req.headers.authorization;
    if (!header?.startsWith("Digest ")) return false;
    const f = parseDigest(header);
    if (f.get("username") !== "rokudev" || f.get("nonce") !== nonce || f.get("realm") !== REALM) return false;
    const ha1 = md5(`rokudev:${REALM}:${password}`);
    const ha2 = md5(`${req.method}:${f.get("uri")}`);
    const expected = md5(`${ha1}:${nonce}:${f.get("nc")}:${f.get("cnonce")}:${f.get("qop")}:${ha2}`);
    return f.get("response") === expected;
}

/** Extracts the bytes of the multipart field `name`. */
function multipartField(body: Buffer, contentType: string, name: string): Buffer | undefined {
    const boundary = contentType.match(/boundary=(?:"([^"]+)"|([^;]+))/);
    const marker = Buffer.from(`--${boundary?.[1] ?? boundary?.[2]}`);
    let start = body.indexOf(marker);
    while (start >= 0) {
        const next = body.indexOf(marker, start + marker.length);
        if (next < 0) return undefined;
        const part = body.subarray(start + marker.length + 2, next - 2);
        const headerEnd = part.indexOf("\r\n\r\n");
        if (part.subarray(0, headerEnd).toString().includes(`name="${name}"`)) return part.subarray(headerEnd + 4);
        start = next;
    }
    return undefined;
}

export interface FakeRokuOptions {
    password: string;
    /** Printed on the console after each install, `chunkLines` lines per write. */
    consoleLog?: string[];
    chunkLines?: number;
    /** Printed on the console after each `POST /launch/dev`, one write per line. */
    launchScript?: ConsoleStep[];
    /** Status ECP answers launches with (200 on devices; 403 when ECP is limited). */
    launchStatus?: number;
}

export async function startFakeRoku(options: FakeRokuOptions): Promise<FakeRoku> {
    const consoles = new Set<Socket>();
    const state = { installs: [] as Buffer[], refused: 0, launches: [] as string[], launchUrls: [] as string[] };
    const consoleLog = options.consoleLog ?? [];
    const nonce = randomBytes(16).toString("hex");

    const playConsole = async () => {
        const chunk = options.chunkLines ?? 5;
        for (let i = 0; i < consoleLog.length; i += chunk) {
            const text = consoleLog.slice(i, i + chunk).join("\r\n") + "\r\n";
            for (const socket of consoles) socket.write(text);
            await new Promise((resolve) => setTimeout(resolve, 2));
        }
    };

    const http = createHttpServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
            if (req.method !== "POST" || req.url !== "/plugin_install") {
                res.writeHead(404).end();
                return;
            }
            if (!digestIsValid(req, options.password, nonce)) {
                if (req.headers.authorization) state.refused += 1;
                res.writeHead(401, { "WWW-Authenticate": `Digest realm="${REALM}", nonce="${nonce}", qop="auth"` }).end();
                return;
            }
            const archive = multipartField(Buffer.concat(chunks), req.headers["content-type"] ?? "", "archive");
            if (!archive) {
                res.writeHead(400).end("missing archive");
                return;
            }
            state.installs.push(archive);
            res.writeHead(200, { "Content-Type": "text/html" }).end(
                '<html><body><font color="red">Application Received: Install Success.</font></body></html>',
            );
            void playConsole();
        });
    });
    const playLaunchScript = async () => {
        for (const step of options.launchScript ?? []) {
            if (typeof step === "string") {
                for (const socket of consoles) socket.write(`${step}\r\n`);
            }
            await new Promise((resolve) => setTimeout(resolve, typeof step === "string" ? 2 : step.waitMs));
        }
    };

    // ECP: no authentication; an unknown app id is 404 like on a device.
    const ecp = createHttpServer((req, res) => {
        req.resume();
        req.on("end", () => {
            const launch = req.method === "POST" ? /^\/launch\/([^/?]+)/.exec(req.url ?? "") : null;
            if (!launch) {
                res.writeHead(404).end();
                return;
            }
            // Only the sideloaded channel is known.
            if (launch[1] !== "dev" || state.installs.length === 0) {
                res.writeHead(404).end();
                return;
            }
            const status = options.launchStatus ?? 200;
            if (status !== 200) {
                res.writeHead(status).end();
                return;
            }
            state.launches.push(launch[1]);
            state.launchUrls.push(req.url ?? "");
            res.writeHead(200).end();
            void playLaunchScript();
        });
    });
    const tcp = createTcpServer((socket) => {
        consoles.add(socket);
        socket.on("close", () => consoles.delete(socket));
        socket.on("error", () => consoles.delete(socket));
    });
    const listen = (server: {
        listen: (port: number, host: string, cb: () => void) => unknown;
        address: () => AddressInfo | string | null;
    }) => new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
    const packagePort = await listen(http);
    const consolePort = await listen(tcp);
    const ecpPort = await listen(ecp);
    return {
        packagePort,
        consolePort,
        ecpPort,
        get launchUrls() {
            return state.launchUrls;
        },
        get launches() {
            return state.launches;
        },
        get installs() {
            return state.installs;
        },
        get refused() {
            return state.refused;
        },
        close: async () => {
            for (const socket of consoles) socket.destroy();
            await Promise.all([new Promise((r) => http.close(r)), new Promise((r) => tcp.close(r)), new Promise((r) => ecp.close(r))]);
        },
    };
}

/**
 * A test file's stand-ins: `zip` is the fixture channel they install (built before the file's
 * tests), `start` makes a fake Roku with the developer password "secret", closed after them.
 */
export function fakeRokusForThisFile(): { readonly zip: string; start(options?: Omit<FakeRokuOptions, "password">): Promise<FakeRoku> } {
    const rokus: FakeRoku[] = [];
    let zip = "";
    before(async () => {
        zip = await zipFixtureChannel("exits");
    });
    after(async () => {
        await Promise.all(rokus.map((roku) => roku.close()));
    });
    return {
        get zip() {
            return zip;
        },
        async start(options = {}) {
            const roku = await startFakeRoku({ password: "secret", ...options });
            rokus.push(roku);
            return roku;
        },
    };
}
