// The Rooibos manifest specs run on captured copies of the origin's manifests; this fails when the
// origin's manifests change shape (payload values and expiry differ per session and are ignored).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { originManifests, VARIANTS } from "../../fixtures/manifests/capture-origin.ts";

/** The manifest with its per-session parts (payload values) blanked. */
function shape(manifest: string): string {
    return manifest.replace(/(schemeIdUri="urn:youtube:sabr" value=")[^"]*"/g, '$1…"');
}

describe("captured origin manifests", () => {
    it("match what the origin serves now (recapture: npx tsx tests/fixtures/manifests/capture-origin.ts)", async () => {
        const live = await originManifests();
        for (const variant of VARIANTS) {
            const captured = await readFile(`tests/fixtures/manifests/origin-${variant}.mpd`, "utf8");
            assert.equal(shape(captured), shape(live[variant]), `variant ${variant}`);
        }
    });
});
