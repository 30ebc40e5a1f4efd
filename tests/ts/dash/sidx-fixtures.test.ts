// The SIDX Rooibos specs compare against tables the origin's media model derives; this fails when
// the committed fixtures drift from it (recapture: npx tsx tests/fixtures/sidx/capture.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { sidxFixtures } from "../../fixtures/sidx/capture.ts";

describe("SIDX fixtures", () => {
    it("match the origin's media and the synthetic boxes byte for byte", () => {
        for (const fixture of sidxFixtures()) {
            assert.ok(readFileSync(`tests/fixtures/sidx/${fixture.name}.sidx`).equals(fixture.box), `${fixture.name}.sidx`);
            assert.deepEqual(
                JSON.parse(readFileSync(`tests/fixtures/sidx/${fixture.name}.json`, "utf8")),
                fixture.table,
                `${fixture.name}.json`,
            );
        }
    });
});
