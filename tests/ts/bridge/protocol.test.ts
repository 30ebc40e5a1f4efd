// The protocol table is the one source of op names, header names, channel layout and errno
// numbers for both sides: the worker scripts get it as a classic script, and name none of it
// themselves.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import vm from "node:vm";
import { PROTOCOL, protocolScript } from "../../../tools/bridge/protocol.ts";
import { BRIDGE_WORKER_SCRIPTS, bridgePageScript } from "../../../tools/bridge/attach.ts";
import { ERRNO } from "../../../tools/bridge/errno.ts";

const WORKER_DIR = "tools/bridge/worker";
const workerScripts = readdirSync(WORKER_DIR).filter((file) => file.endsWith(".js"));

describe("bridge protocol table", () => {
    it("reaches the workers as a script that sets the same table", () => {
        const context: { brsBridgeProtocol?: unknown } = {};
        vm.runInNewContext(protocolScript(), context);
        // Through JSON: the context's objects have that context's prototypes.
        assert.deepEqual(JSON.parse(JSON.stringify(context.brsBridgeProtocol)), PROTOCOL);
    });

    it("comes first in the page script", () => {
        assert.ok(bridgePageScript().startsWith(protocolScript()));
    });

    it("is loaded by every engine worker before the bridge's scripts", () => {
        const protocolAt = BRIDGE_WORKER_SCRIPTS.indexOf("./brs-bridge-protocol.js");
        assert.ok(protocolAt >= 0);
        for (const script of BRIDGE_WORKER_SCRIPTS.slice(protocolAt + 1)) {
            assert.ok(workerScripts.includes(script.slice(2)), `${script} is a file in ${WORKER_DIR}`);
        }
    });

    it("gives the Node side its errno numbers", () => {
        assert.equal(ERRNO, PROTOCOL.errno);
    });

    it("is the only place the worker scripts take op and header names from", () => {
        const names = [...Object.values(PROTOCOL.ops).filter((op) => op.includes("/")), ...Object.values(PROTOCOL.headers)];
        for (const file of workerScripts) {
            const text = readFileSync(join(WORKER_DIR, file), "utf8");
            for (const name of names) assert.ok(!text.includes(`"${name}"`), `${file} names "${name}" itself`);
        }
    });
});
