// The bridge's wire protocol: one table (protocol.json) read by both sides. Node imports it here;
// the worker scripts get it as /brs-bridge-protocol.js (`protocolScript`), which sets
// `globalThis.brsBridgeProtocol` for importScripts. JSON because it is the one format a TypeScript
// import types without allowJs and a classic worker script can take without a bundler.
//
// Calls: op names under `ops`, each with a URL query and a body. Over XHR a call is
// `POST <paths.http><op>?<query>`; on the fast path the worker writes it into its channel.
//
// Channel (one SharedArrayBuffer per engine worker): `controlWords` Int32 words, data from byte
// `dataOffset` (`dataBytes` long). Words, by `channel.word`:
//   state   `channel.state`: idle, request (worker → relay), answer (a chunk, relay → worker),
//           more (worker → relay: chunk taken, send the next), error (relay → worker, data = UTF-8 reason)
//   length  byte length of the request, answer chunk or reason in data
//   total   byte length of the whole answer
//   served  1 once the relay serves the channel (notified; the worker's first call waits for it)
// Request data: [u32 head length][head "op?query"][body]. Answer: [u32 status][u32 headers length]
// [headers JSON][body]. On the WebSocket each frame carries a u32 request id in front.
//
// `headers` name the reply headers of sock/recv (its body is the bytes received); `interest` is
// the poll's readiness mask; `errno` the Linux numbers roStreamSocket.status() reports.
import PROTOCOL from "./protocol.json" with { type: "json" };

export type BridgeProtocol = typeof PROTOCOL;

export { PROTOCOL };
export const OPS = PROTOCOL.ops;
export const REPLY_HEADERS = PROTOCOL.headers;
export const INTEREST = PROTOCOL.interest;

/** URL path of the script that hands the table to the worker scripts (see protocolScript). */
export const PROTOCOL_SCRIPT_PATH = "/brs-bridge-protocol.js";

/** The table as a classic script: workers and the page cannot import JSON synchronously. */
export function protocolScript(): string {
    return `"use strict";\nglobalThis.brsBridgeProtocol = ${JSON.stringify(PROTOCOL)};\n`;
}
