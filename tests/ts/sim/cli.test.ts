// npm run sim: exit codes and one-line reasons for each way a channel can end.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { runTool, type ToolResult } from "../support/run-tool.ts";
import { zipFixtureChannel } from "../support/fixture-channels.ts";

function sim(...args: string[]): Promise<ToolResult> {
    return runTool("tools/sim/cli.ts", args);
}

const zips: Record<string, string> = {};
before(async () => {
    for (const name of ["exits", "crashes", "syntax-error", "runs-forever", "prints-launch-args"])
        zips[name] = await zipFixtureChannel(name);
});

describe("npm run sim", () => {
    it("exits 0 when the channel returns from Main, streaming its console", async () => {
        const result = await sim(zips.exits!, "--timeout", "30");
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /^fixture: hello$/m);
        assert.match(result.stderr, /sim: exited: the channel exited normally/);
    });

    it("exits 1 on a runtime crash and names the error", async () => {
        const result = await sim(zips.crashes!, "--timeout", "30");
        assert.equal(result.code, 1);
        assert.match(result.stderr, /sim: crashed: .*EXIT_BRIGHTSCRIPT_CRASH.*'Dot' Operator attempted/);
    });

    it("exits 1 on a compile error and names it", async () => {
        const result = await sim(zips["syntax-error"]!, "--timeout", "30");
        assert.equal(result.code, 1);
        assert.match(result.stderr, /sim: crashed: .*Syntax Error/);
        assert.doesNotMatch(result.stdout, /never runs/);
    });

    it("exits 3 on timeout", async () => {
        const result = await sim(zips["runs-forever"]!, "--timeout", "3");
        assert.equal(result.code, 3);
        assert.match(result.stderr, /sim: timeout: timed out after 3 s/);
    });

    it("exits 0 as soon as --until matches", async () => {
        const result = await sim(zips["runs-forever"]!, "--timeout", "30", "--until", "waiting forever");
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stderr, /sim: matched: /);
    });

    it("passes --launch parameters to Main(args), as ECP's /launch/dev does", async () => {
        const result = await sim(
            zips["prints-launch-args"]!,
            "--timeout",
            "30",
            "--launch",
            "contentId=https%3A%2F%2Fyoutu.be%2Fx&mediaType=movie",
        );
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /^fixture: contentId=https:\/\/youtu\.be\/x mediaType=movie$/m);
    });

    it("rejects bad usage with exit 2", async () => {
        assert.equal((await sim()).code, 2);
        assert.equal((await sim("no/such.zip")).code, 2);
        assert.equal((await sim(zips.exits!, "--until", "(")).code, 2);
        assert.equal((await sim(zips.exits!, "--timeout", "-1")).code, 2);
    });
});
