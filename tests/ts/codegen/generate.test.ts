// The committed generated BrighterScript must equal what the generator produces now (no drift),
// and the schema must agree with googlevideo's field numbers and wire types.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { generatedFiles } from "../../../tools/codegen/generate.ts";
import { loadSchema, tagBytes, tagOf, wireType } from "../../../tools/codegen/schema.ts";
import { GV_CODECS, gvEncode, gvKnows, refEncode } from "../../../tools/interop/oracle.ts";
import { Rng, randomScalar, type Msg } from "../../../tools/interop/values.ts";

describe("codegen", () => {
    it("committed generated files match the schema (run npm run generate after editing the .proto)", () => {
        for (const [path, text] of generatedFiles()) {
            assert.equal(readFileSync(path, "utf8"), text, `${path} is stale: run npm run generate`);
        }
    });

    it("every field googlevideo knows has the same number and wire type as ours", () => {
        const schema = loadSchema();
        const rng = new Rng(3);
        let checked = 0;
        for (const message of schema.messages) {
            if (!GV_CODECS[message.name]) continue;
            for (const field of message.fields) {
                if (!gvKnows(message.name, field) || field.kind === "message") continue;
                let sample = randomScalar(rng, field.kind);
                while (
                    sample === 0 ||
                    sample === 0n ||
                    sample === false ||
                    sample === "" ||
                    (sample instanceof Uint8Array && sample.length === 0)
                )
                    sample = randomScalar(rng, field.kind);
                if (message.name === "NextRequestPolicy" && field.name === "playbackCookie") sample = new Uint8Array([8, 1]);
                // googlevideo always writes its packed lists, even empty, so give ours all of them too.
                const msg: Msg = Object.fromEntries(
                    message.fields.filter((f) => f.repeated && f.kind !== "message").map((f) => [f.name, []]),
                );
                msg[field.name] = field.repeated ? [sample] : sample;
                const ours = refEncode(schema, message.name, msg, { unpacked: false, explicitDefaults: false });
                const theirs = gvEncode(schema, message.name, msg);
                assert.deepEqual([...theirs], [...ours], `${message.name}.${field.name}`);
                const tag = tagBytes(tagOf(field.number, wireType(field)));
                assert.ok(Buffer.from(theirs).includes(Buffer.from(tag)), `${message.name}.${field.name}: tag ${tag} not written`);
                checked += 1;
            }
        }
        assert.ok(checked > 100, `only ${checked} fields checked`);
    });

    it("the packed field of an empty message is still written, as googlevideo does", () => {
        const schema = loadSchema();
        assert.deepEqual([...gvEncode(schema, "StreamerContext", {})], [0x32, 0x00]);
    });
});
