/**
 * The BotGuard challenge as YouTube's home page hands it out (the flow bgutils-js 4.0.3's
 * InnerTube example follows), for the companion's minting path:
 *
 *   GET /  (Accept: text/html)   a page with `ytcfg.set({...})` (EVENT_ID among it) and
 *                                `window.ytAtN({R: {bgChallenge: {interpreterUrl, program, globalName}}})`
 *   GET /js/th/<hash>.js         the "interpreter" the challenge names (`//www.google.com/js/th/...`)
 *
 * The stand-in cannot be BotGuard: its interpreter defines the VM global the challenge names,
 * and its entry point (`<globalName>.a(program, ...)`, what bgutils-js's BotGuardClient calls to
 * load the program) throws, quoting the program it was given. Everything before that point
 * (the page, the challenge, the interpreter download and its run in the DOM shim) is real.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import type { LogEntry } from "./request-log.ts";

export const STANDIN_VM_GLOBAL = "standinBotGuardVm";
const INTERPRETER_HASH = "0rigin-bg01";

/** A browser asking for the page (`GET /` otherwise answers the origin's JSON index). */
export function wantsHtml(req: IncomingMessage): boolean {
    return /^text\/html\b/.test(String(req.headers.accept ?? ""));
}

export function handleHomePage(res: ServerResponse, entry: LogEntry): void {
    const ytcfg = {
        EVENT_ID: randomBytes(12).toString("base64url"),
        INNERTUBE_CLIENT_NAME: "WEB",
        VISITOR_DATA: randomBytes(18).toString("base64url"),
    };
    const challenge = {
        bgChallenge: {
            interpreterUrl: { privateDoNotAccessOrElseTrustedResourceUrlWrappedValue: `//www.google.com/js/th/${INTERPRETER_HASH}.js` },
            interpreterHash: INTERPRETER_HASH,
            program: randomBytes(24).toString("base64"),
            globalName: STANDIN_VM_GLOBAL,
        },
    };
    entry.status = 200;
    entry.outcome = "botguard-page";
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    res.end(
        `<!DOCTYPE html><html><head><script>ytcfg.set(${JSON.stringify(ytcfg)});</script></head>` +
            `<body><p>ytsabr origin: the BotGuard challenge stand-in. The origin's index is at <a href="/__index">/__index</a>.</p>` +
            `<script>window.ytAtN(${JSON.stringify({ R: challenge })})</script></body></html>`,
    );
}

export function handleInterpreter(res: ServerResponse, entry: LogEntry): void {
    entry.status = 200;
    entry.outcome = "botguard-interpreter";
    res.writeHead(200, { "Content-Type": "text/javascript" });
    res.end(
        `window.${STANDIN_VM_GLOBAL} = { a: function (program) {` +
            ` throw new Error("stand-in interpreter: no BotGuard VM to run program " + String(program).slice(0, 12)); } };`,
    );
}
