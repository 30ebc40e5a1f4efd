/**
 * The origin's PO tokens: minted by its PO-token provider stand-in (pot-provider-routes.ts) and
 * checked by its SABR answers (F17 script=potoken, po-token-verdict.ts). Real PO tokens are
 * opaque to clients; these are too, but the origin can verify them:
 *
 *   base64url( "OPOT" | binding length (1 byte) | binding (UTF-8) | expiry (unix ms, 8 bytes BE) | HMAC-SHA256[0..16) )
 *
 * The HMAC key is made at start-up, so tokens from another origin process never verify.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

const MAGIC = Buffer.from("OPOT");
const MAC_BYTES = 16;

export interface MintedToken {
    /** base64url, as YouTube's web client hands PO tokens around. */
    poToken: string;
    contentBinding: string;
    expiresAtMs: number;
}

/** What a token presented in a SABR request is worth for one video at one moment. */
export type TokenCheck = "valid" | "missing" | "forged" | "other-video" | "expired";

export class PoTokenAuthority {
    private readonly key = randomBytes(32);

    constructor(
        /** Lifetime of minted tokens, ms. */
        readonly ttlMs: number,
        readonly clock: () => number = Date.now,
    ) {}

    mint(contentBinding: string, ttlMs = this.ttlMs): MintedToken {
        const binding = Buffer.from(contentBinding, "utf8");
        if (binding.length === 0 || binding.length > 255) throw new RangeError("content binding must be 1..255 bytes");
        const expiresAtMs = this.clock() + ttlMs;
        const expiry = Buffer.alloc(8);
        expiry.writeBigUInt64BE(BigInt(expiresAtMs));
        const body = Buffer.concat([MAGIC, Uint8Array.of(binding.length), binding, expiry]);
        return { poToken: Buffer.concat([body, this.mac(body)]).toString("base64url"), contentBinding, expiresAtMs };
    }

    /** The binding and expiry a token carries, or undefined when this origin did not mint it. */
    read(token: Uint8Array): { contentBinding: string; expiresAtMs: number } | undefined {
        const b = Buffer.from(token);
        if (b.length < MAGIC.length + 1 + 8 + MAC_BYTES || !b.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
        const len = b[MAGIC.length]!;
        const bodyEnd = MAGIC.length + 1 + len + 8;
        if (b.length !== bodyEnd + MAC_BYTES) return undefined;
        const body = b.subarray(0, bodyEnd);
        if (!timingSafeEqual(this.mac(body), b.subarray(bodyEnd))) return undefined;
        return {
            contentBinding: b.subarray(MAGIC.length + 1, MAGIC.length + 1 + len).toString("utf8"),
            expiresAtMs: Number(b.readBigUInt64BE(MAGIC.length + 1 + len)),
        };
    }

    /** The raw bytes a SABR request carries (`streamerContext.poToken`) checked against a video id. */
    check(token: Uint8Array | undefined, videoId: string): TokenCheck {
        if (!token || token.length === 0) return "missing";
        const t = this.read(token);
        if (!t) return "forged";
        if (t.contentBinding !== videoId) return "other-video";
        return this.clock() < t.expiresAtMs ? "valid" : "expired";
    }

    private mac(body: Uint8Array): Buffer {
        return createHmac("sha256", this.key).update(body).digest().subarray(0, MAC_BYTES);
    }
}
