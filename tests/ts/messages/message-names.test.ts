// The task XML files describe their fields with the messages they carry. Those comments are read by
// people, not the compiler, so this test keeps them honest: every message name a task's interface
// mentions must be a message type of tools/messages/contracts.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { findFiles } from "../../../tools/test/find-files.ts";

const contracts = readFileSync("tools/messages/contracts.ts", "utf8");
const messageTypes = new Set([...contracts.matchAll(/^\s*type: "([A-Z_]+)";$/gm)].map((match) => match[1]));

test("contracts.ts declares the messages the tasks exchange", () => {
    for (const name of ["FETCH_REQUEST", "SEGMENT_READY", "FETCH_RESULT", "STORE_REQUEST", "FILE_RELEASE"]) {
        assert.ok(messageTypes.has(name), `${name} in contracts.ts`);
    }
});

test("task XML files name only messages that exist", () => {
    const unknown: string[] = [];
    for (const file of findFiles("components", ".xml")) {
        for (const match of readFileSync(file, "utf8").matchAll(/\b[A-Z]+(?:_[A-Z]+)+\b/g)) {
            if (!messageTypes.has(match[0])) unknown.push(`${file}: ${match[0]}`);
        }
    }
    assert.deepEqual(unknown, []);
});
