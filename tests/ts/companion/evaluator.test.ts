/**
 * The sandbox YouTube's player code runs in (tools/companion/evaluator.ts): a worker thread, a
 * fresh vm context, a time limit, JSON out. youtubei.js's own use of it (extracting and running
 * the stand-in's player script) is covered in companion.test.ts.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Platform } from "youtubei.js";
import { SandboxEvaluator, EvaluatorError } from "../../../tools/companion/evaluator.ts";
import { Youtube } from "../../../tools/companion/youtube.ts";
import { playerScript, solveN } from "../../../tools/origin/innertube-player-js.ts";

const ev = new SandboxEvaluator(300);
after(() => ev.close());

test("runs a function body and returns its JSON result", async () => {
    assert.deepEqual(await ev.evaluate("var a = [3, 1, 2]; a.sort(); return { n: a.join('') };"), { n: "123" });
});

test("the sandbox sees none of the service: no process, require, fetch, timers or globals of the host", async () => {
    (globalThis as Record<string, unknown>).companionSecret = "s3cret";
    const seen = await ev.evaluate(
        "return [typeof process, typeof require, typeof fetch, typeof setTimeout, typeof companionSecret, typeof globalThis.process, typeof Buffer];",
    );
    assert.deepEqual(seen, ["undefined", "undefined", "undefined", "undefined", "undefined", "undefined", "undefined"]);
    delete (globalThis as Record<string, unknown>).companionSecret;
    // The constructor escape gives the sandbox's own Function, still without the host's globals.
    assert.equal(await ev.evaluate("return (function(){}).constructor('return typeof process')();"), "undefined");
});

test("a script that never ends is stopped at the time limit, and the next one runs", async () => {
    const started = Date.now();
    await assert.rejects(ev.evaluate("for (;;) {}"), (e: unknown) => e instanceof EvaluatorError && /within 300 ms/.test(e.message));
    assert.ok(Date.now() - started < 3000, "stopped promptly");
    assert.equal(await ev.evaluate("return 1 + 1;"), 2);
});

test("a script blocked where vm's timeout may not reach (Atomics.wait) is stopped too, and the next one runs", async () => {
    const started = Date.now();
    await assert.rejects(ev.evaluate("Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); return 1;"), EvaluatorError);
    assert.ok(Date.now() - started < 5000, "stopped within the limit plus the grace second");
    assert.equal(await ev.evaluate("return 'after';"), "after");
});

test("a worker that does not answer at all is terminated after the limit and replaced", async () => {
    const mute = new SandboxEvaluator(100, "require('node:worker_threads').parentPort.on('message', () => {});");
    try {
        await assert.rejects(mute.evaluate("return 1;"), (e: unknown) => e instanceof EvaluatorError && /within 100 ms/.test(e.message));
        assert.equal(mute.restarts, 1);
        await assert.rejects(mute.evaluate("return 1;"), EvaluatorError);
        assert.equal(mute.restarts, 2, "a new worker was started for the second call, and terminated too");
    } finally {
        await mute.close();
    }
});

test("a getter or toJSON on the result runs inside the time limit, not in the service", async () => {
    await assert.rejects(ev.evaluate("return { toJSON() { for (;;) {} } };"), EvaluatorError);
    assert.deepEqual(await ev.evaluate("return { get n() { return 'x'; } };"), { n: "x" });
});

test("errors thrown by the script come back as EvaluatorError with the message", async () => {
    await assert.rejects(ev.evaluate("throw new Error('boom');"), (e: unknown) => e instanceof EvaluatorError && /boom/.test(e.message));
});

test("youtubei.js's eval hook goes to the sandbox, and n is solved there from the stand-in's player script", async () => {
    const script = playerScript();
    const seen: string[] = [];
    const fake: typeof fetch = (input) => {
        const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
        seen.push(url);
        return Promise.resolve(
            new Response(url.endsWith("base.js") ? script : "not here", { status: url.endsWith("base.js") ? 200 : 404 }),
        );
    };
    const yt = await Youtube.create({ innertube: "http://standin.invalid", playerId: "pinned01", fetch: fake });
    try {
        assert.deepEqual(
            seen,
            ["http://standin.invalid/s/player/pinned01/player_es6.vflset/en_US/base.js"],
            "--player-id skips /iframe_api",
        );
        const out = await yt.innertube.session.player!.decipher("https://x.invalid/videoplayback?sabr=1&n=abcXYZ&c=WEB");
        assert.equal(new URL(out).searchParams.get("n"), solveN("abcXYZ"));
        assert.equal(new URL(out).searchParams.get("pot"), null, "no pot= on a SABR URL");
        // The hook is the sandbox: a player script that hangs is stopped instead of hanging the service.
        const hook = Platform.shim.eval as unknown as (d: { output: string }, env: object) => Promise<unknown>;
        await assert.rejects(hook({ output: "for (;;) {}" }, {}), EvaluatorError);
    } finally {
        await yt.close();
    }
});
