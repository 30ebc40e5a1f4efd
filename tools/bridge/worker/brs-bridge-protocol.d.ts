// The protocol table (tools/bridge/protocol.json) as the worker scripts and the page script see
// it: `globalThis.brsBridgeProtocol`, set by /brs-bridge-protocol.js (protocolScript in
// tools/bridge/protocol.ts) before they run.
import type PROTOCOL from "../protocol.json";

declare global {
    type BridgeProtocol = typeof PROTOCOL;
    var brsBridgeProtocol: BridgeProtocol | undefined;
}
