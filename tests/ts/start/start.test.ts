// The README's main job (npm start) runs end to end and fails loudly on bad input.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runTool, type ToolResult } from "../support/run-tool.ts";

function start(...args: string[]): Promise<ToolResult> {
    return runTool("tools/start.ts", args, { timeoutMs: 280_000 });
}

describe("npm start", () => {
    it("serves the origin's multi-period manifest through the channel's server", async () => {
        const result = await start("--title", "sabrOrigin2", "--variant", "multi");
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /periods: content-0, content-1/);
        assert.match(result.stdout, /http:\/\/127\.0\.0\.1:7011\/video\?key=160::content-1/);
        assert.match(result.stdout, /start: the channel serves sabrOrigin2 \(multi\)/);
    });

    it("names the stage that failed", async () => {
        const result = await start("--title", "noSuchTitle");
        assert.equal(result.code, 1);
        assert.match(result.stderr, /stage "options" failed: unknown --title noSuchTitle/);
    });
});
