// The README's main job (npm start) runs end to end and fails loudly on bad input.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";

function start(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(process.execPath, ["--import", "tsx", "tools/start.ts", ...args], { timeout: 280_000 }, (error, stdout, stderr) => {
            resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
        });
    });
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
