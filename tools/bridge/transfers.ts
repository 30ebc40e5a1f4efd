// Real HTTP transfers behind the worker's bridged roUrlTransfer. Node performs them while
// BrightScript runs; the worker pulls the bytes that arrived so far and the final outcome.
import http from "node:http";
import https from "node:https";
import { rootCertificates } from "node:tls";

export interface TransferRequest {
    url: string;
    method: string;
    headers: Record<string, string>;
    retainBodyOnError: boolean;
    /** HEAD-like: the body is not wanted. */
    discardBody: boolean;
    /** What SetCertificatesFile named, if anything. */
    certificatesFile?: string;
    /** That file's PEM text, read by the worker (any file but the device's common bundle). */
    certificatesPem?: string;
}

/** How https transfers decide whom to trust. */
export interface TransferTls {
    /** The device rule: https fails unless SetCertificatesFile named a CA bundle. */
    requireCertificatesFile: boolean;
    /** Test CAs (PEM) that common:/certs/ca-bundle.crt trusts here besides the public ones. */
    trustedCertificates: string[];
}

/** The CA bundle every Roku carries; here it trusts Node's public roots plus the test CAs. */
export const DEVICE_CA_BUNDLE = "common:/certs/ca-bundle.crt";

/** What a pull returns for one transfer. */
export interface TransferProgress {
    id: number;
    /** Bytes of this pull, in order, appended after the previous pulls' bytes. */
    bytes: number;
    done: boolean;
    /** HTTP status, or a negative curl-style code for transport failures. */
    code?: number;
    reason?: string;
    headers?: string;
}

// curl error numbers, negated, are what Roku reports for transport failures (ifUrlTransfer).
const CURL_FAILURES: Record<string, [number, string]> = {
    ECONNREFUSED: [-7, "Couldn't connect to server"],
    ENOTFOUND: [-6, "Couldn't resolve host name"],
    ECONNRESET: [-56, "Failure when receiving data from the peer"],
    EPIPE: [-55, "Failed sending data to the peer"],
};

// What curl (and so a Roku) reports when the server's certificate does not chain to a trusted CA.
const CERTIFICATE_PROBLEM = -60;
const TLS_CERTIFICATE_CODES = new Set([
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "CERT_HAS_EXPIRED",
    "CERT_NOT_YET_VALID",
    "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function failureOf(error: NodeJS.ErrnoException, gotResponse: boolean): [number, string] {
    const known = CURL_FAILURES[error.code ?? ""];
    if (known) return known;
    if (TLS_CERTIFICATE_CODES.has(error.code ?? "")) return [CERTIFICATE_PROBLEM, `SSL certificate problem: ${error.message}`];
    if (error.code === "EPROTO" || error.code?.startsWith("ERR_SSL")) return [-35, `SSL connect error (${error.message})`];
    if (gotResponse) return [-18, `Transferred a partial file (${error.message})`];
    return [-7, `Couldn't connect to server (${error.message})`];
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

export class Transfer {
    private readonly chunks: Buffer[] = [];
    private request?: http.ClientRequest;
    private status?: number;
    private headerText?: string;
    private failure?: [number, string];
    private finished = false;
    cancelled = false;

    constructor(
        readonly id: number,
        private readonly spec: TransferRequest,
        private readonly changed: () => void,
        private readonly allowRemote: boolean,
        private readonly tls: TransferTls,
    ) {}

    start(body: Buffer): void {
        let url: URL;
        try {
            url = new URL(this.spec.url);
        } catch {
            return this.fail([-3, `URL using bad/illegal format or missing URL: ${this.spec.url}`]);
        }
        if (url.protocol !== "http:" && url.protocol !== "https:") return this.fail([-1, `Unsupported protocol: ${url.protocol}`]);
        if (!this.allowRemote && !LOOPBACK_HOSTS.has(url.hostname)) {
            return this.fail([-7, `Couldn't connect to server (the bridge only reaches loopback, not ${url.hostname})`]);
        }
        const headers: Record<string, string> = { ...this.spec.headers };
        if (body.length > 0 || this.spec.method === "POST") headers["Content-Length"] = String(body.length);
        let request: http.ClientRequest;
        if (url.protocol === "https:") {
            const ca = this.trustedAuthorities();
            if (!ca)
                return this.fail([
                    CERTIFICATE_PROBLEM,
                    "SSL certificate problem: unable to get local issuer certificate (no SetCertificatesFile)",
                ]);
            request = https.request(url, { method: this.spec.method, headers, agent: false, ca });
        } else {
            request = http.request(url, { method: this.spec.method, headers, agent: false });
        }
        this.request = request;
        request.on("response", (response) => this.onResponse(response));
        request.on("error", (error) => this.fail(failureOf(error, this.status !== undefined)));
        request.end(body);
    }

    /** The CAs an https request may chain to; undefined when a device would trust none. */
    private trustedAuthorities(): string[] | undefined {
        const file = this.spec.certificatesFile;
        if (!file) return this.tls.requireCertificatesFile ? undefined : [...rootCertificates, ...this.tls.trustedCertificates];
        if (file.toLowerCase() === DEVICE_CA_BUNDLE) return [...rootCertificates, ...this.tls.trustedCertificates];
        return this.spec.certificatesPem ? [this.spec.certificatesPem] : undefined;
    }

    private onResponse(response: http.IncomingMessage): void {
        this.status = response.statusCode ?? 0;
        this.headerText = headerLines(response.rawHeaders);
        const keepBody = !this.spec.discardBody && (this.status < 400 || this.spec.retainBodyOnError);
        response.on("data", (chunk: Buffer) => {
            if (keepBody) this.chunks.push(chunk);
            this.changed();
        });
        response.on("end", () => {
            this.finished = true;
            this.changed();
        });
        response.on("error", (error) => this.fail(failureOf(error, true)));
        response.on("aborted", () => this.fail([-18, "Transferred a partial file"]));
        this.changed();
    }

    private fail(failure: [number, string]): void {
        if (this.finished) return;
        this.failure = failure;
        this.finished = true;
        this.changed();
    }

    cancel(): void {
        this.cancelled = true;
        this.finished = true;
        this.request?.destroy();
        this.chunks.length = 0;
    }

    /** True when a pull would return something new. */
    hasNews(): boolean {
        return this.chunks.length > 0 || this.finished;
    }

    /** Takes up to `max` buffered bytes; reports the outcome once everything has been taken. */
    pull(max: number): { progress: TransferProgress; data: Buffer } {
        const parts: Buffer[] = [];
        let size = 0;
        while (this.chunks.length > 0 && size + this.chunks[0]!.length <= max) {
            const chunk = this.chunks.shift()!;
            parts.push(chunk);
            size += chunk.length;
        }
        if (parts.length === 0 && this.chunks.length > 0) {
            const head = this.chunks[0]!;
            parts.push(head.subarray(0, max));
            this.chunks[0] = head.subarray(max);
            size = max;
        }
        const done = this.finished && this.chunks.length === 0;
        const progress: TransferProgress = { id: this.id, bytes: size, done };
        if (done) {
            const [code, reason] = this.failure ?? [this.status ?? -1, httpReason(this.status ?? -1)];
            Object.assign(progress, { code, reason, headers: this.headerText ?? "" });
        }
        return { progress, data: Buffer.concat(parts, size) };
    }
}

/** Roku's failure reason for an HTTP status (curl's wording for errors, "OK" otherwise). */
function httpReason(status: number): string {
    return status >= 400 ? `The requested URL returned error: ${status}` : "OK";
}

/** Headers as "name: value" lines, duplicates kept, the form RoURLEvent parses. */
function headerLines(raw: string[]): string {
    const lines: string[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) lines.push(`${raw[i]}: ${raw[i + 1]}`);
    return lines.join("\r\n");
}
