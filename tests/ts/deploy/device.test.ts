// make deploy / make test-device against a local stand-in that speaks a Roku's protocols.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runTool, type ToolResult } from "../support/run-tool.ts";
import { readFileSync } from "node:fs";
import { followConsole, sideload, targetFromEnvironment } from "../../../tools/deploy/device.ts";
import { fakeRokusForThisFile, standInEnvironment, standInPortFlags, type FakeRoku } from "../support/fake-roku.ts";

const recorded = (name: string) => readFileSync(`tests/fixtures/rooibos/${name}.log`, "utf8").split("\n");
const standIns = fakeRokusForThisFile();

function fakeRoku(log: string[]): Promise<FakeRoku> {
    return standIns.start({ consoleLog: log });
}

/** Runs make test-device's CLI against the stand-in. */
function runTestDevice(roku: FakeRoku, password: string): Promise<ToolResult> {
    const args = [
        "--zip",
        standIns.zip,
        "--timeout",
        "20",
        "--junit",
        "out/test-results/device-standin.xml",
        ...standInPortFlags(roku, { ecp: false }),
    ];
    const env = standInEnvironment(password);
    return runTool("tools/deploy/test-device.ts", args, { env });
}

describe("sideload", () => {
    it("uploads the package with digest auth, byte for byte", async () => {
        const roku = await fakeRoku([]);
        const message = await sideload({ host: "127.0.0.1", password: "secret", packagePort: roku.packagePort }, standIns.zip);
        assert.equal(message, "Successful deploy");
        assert.equal(roku.installs.length, 1);
        assert.ok(roku.installs[0]?.equals(readFileSync(standIns.zip)));
    });

    it("fails clearly with a wrong password", async () => {
        const roku = await fakeRoku([]);
        await assert.rejects(
            sideload({ host: "127.0.0.1", password: "wrong", packagePort: roku.packagePort }, standIns.zip),
            /Unauthorized/,
        );
        assert.equal(roku.installs.length, 0);
        assert.ok(roku.refused > 0);
    });

    it("needs ROKU_DEV_TARGET and ROKU_DEV_PASSWORD", () => {
        assert.throws(() => targetFromEnvironment({}), /ROKU_DEV_TARGET/);
        assert.deepEqual(targetFromEnvironment({ ROKU_DEV_TARGET: "10.0.0.9", ROKU_DEV_PASSWORD: "p" }), {
            host: "10.0.0.9",
            password: "p",
        });
    });
});

describe("console report reading", () => {
    it("reads until the end marker even when lines arrive split across packets", async () => {
        const roku = await fakeRoku(recorded("pass"));
        const target = { host: "127.0.0.1", password: "secret", packagePort: roku.packagePort, consolePort: roku.consolePort };
        const session = await followConsole(target, { timeoutMs: 10_000, isDone: (line) => line.startsWith("[Rooibos Shutdown]") });
        await sideload(target, standIns.zip);
        const lines = await session.finished;
        assert.ok(lines.some((line) => line.includes("RESULT: Success")));
        assert.equal(lines.at(-1), "[Rooibos Shutdown]");
    });

    it("times out with a clear message when the report never ends", async () => {
        const roku = await fakeRoku(recorded("pass").slice(0, 10));
        const target = { host: "127.0.0.1", password: "secret", packagePort: roku.packagePort, consolePort: roku.consolePort };
        const session = await followConsole(target, { timeoutMs: 1_000, isDone: (line) => line.startsWith("[Rooibos Shutdown]") });
        await sideload(target, standIns.zip);
        await assert.rejects(session.finished, /no end of report .* within 1 s/);
    });
});

describe("make test-device (the CLI) against the stand-in", () => {
    it("passes on a passing report", async () => {
        const result = await runTestDevice(await fakeRoku(recorded("pass")), "secret");
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /rooibos: 4 passed, 0 failed\n$/);
    });

    it("fails on a failing, a crashing and an empty report", async () => {
        for (const name of ["failing", "crashing", "empty"]) {
            const result = await runTestDevice(await fakeRoku(recorded(name)), "secret");
            assert.equal(result.code, 1, `${name}: ${result.stdout}`);
            assert.match(result.stdout, /rooibos: \d+ passed, [1-9]\d* failed\n$/);
        }
    });

    it("fails when the device refuses the password", async () => {
        const result = await runTestDevice(await fakeRoku(recorded("pass")), "wrong");
        assert.equal(result.code, 1);
        assert.match(result.stdout, /Unauthorized/);
    });
});
