/**
 * A throwaway certificate authority for serving the local origin over HTTPS: a CA made at run
 * time (nothing secret is committed) and a server certificate it signs for the given hosts.
 * Clients trust the origin by trusting `caPem`; the keys live only in this process.
 */
// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the Reflect
// metadata polyfill loaded before it.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { KeyObject, randomBytes, webcrypto } from "node:crypto";
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";

export interface TestCa {
    /** The CA certificate (PEM): what a client adds to its trusted certificates. */
    caPem: string;
    /** The server certificate (PEM), signed by the CA. */
    certPem: string;
    /** The server certificate's private key (PKCS#8 PEM). */
    keyPem: string;
    /** Names and addresses in the server certificate's subjectAltName. */
    hosts: string[];
}

export interface TestCaOptions {
    /** Extra DNS names or IP addresses for the server certificate (loopback names are always in). */
    hosts?: string[];
    /** Validity in days from now (default 30). */
    days?: number;
}

// RSA with SHA-256: the most widely accepted choice, so a real Roku can use the same certificates.
const ALGORITHM = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
const LOOPBACK = ["localhost", "127.0.0.1", "::1"];
const HOUR_MS = 3600_000;

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** Makes a new CA and a server certificate for loopback plus `options.hosts`. */
export async function makeTestCa(options: TestCaOptions = {}): Promise<TestCa> {
    const hosts = [...new Set([...LOOPBACK, ...(options.hosts ?? [])].map(bareHost).filter((h) => h !== ""))];
    // Start an hour back so a device whose clock runs a little behind still accepts the certificates.
    const notBefore = new Date(Date.now() - HOUR_MS);
    const notAfter = new Date(Date.now() + (options.days ?? 30) * 24 * HOUR_MS);
    const caKeys = await newKeyPair();
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: serialNumber(),
        name: `CN=ytsabr local origin test CA ${randomBytes(4).toString("hex")}`,
        notBefore,
        notAfter,
        keys: caKeys,
        signingAlgorithm: ALGORITHM,
        extensions: [
            new x509.BasicConstraintsExtension(true, 0, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
            await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
        ],
    });
    const serverKeys = await newKeyPair();
    const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serialNumber(),
        subject: `CN=${hosts[0]}`,
        issuer: ca.subject,
        notBefore,
        notAfter,
        publicKey: serverKeys.publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: ALGORITHM,
        extensions: [
            new x509.BasicConstraintsExtension(false, undefined, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
            new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
            new x509.SubjectAlternativeNameExtension(hosts.map((h): x509.JsonGeneralName => ({ type: isIP(h) ? "ip" : "dns", value: h }))),
            await x509.SubjectKeyIdentifierExtension.create(serverKeys.publicKey),
            await x509.AuthorityKeyIdentifierExtension.create(ca),
        ],
    });
    const keyPem = KeyObject.from(serverKeys.privateKey as webcrypto.CryptoKey)
        .export({ type: "pkcs8", format: "pem" })
        .toString();
    return { caPem: ca.toString("pem"), certPem: cert.toString("pem"), keyPem, hosts };
}

/**
 * The hosts a server bound to `bindHost` is reached by, besides loopback: the bind address
 * itself, or every non-internal interface address when it binds all of them.
 */
export function reachableHosts(bindHost: string): string[] {
    if (bindHost !== "0.0.0.0" && bindHost !== "::") return [bindHost];
    return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => !a.internal).map((a) => a.address));
}

async function newKeyPair(): Promise<CryptoKeyPair> {
    return (await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
}

/** A random positive 128-bit serial (the top bit cleared keeps the DER integer positive). */
function serialNumber(): string {
    const bytes = randomBytes(16);
    bytes[0] = bytes[0]! & 0x7f;
    return bytes.toString("hex");
}

/** `[::1]` and `::1%eth0` (URL and scoped forms) as the plain address a certificate names. */
function bareHost(host: string): string {
    return host.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
}
