// The channel's server on a device whose port 7010 is taken: SetAddress (the bind) fails, and the
// channel must say so on screen instead of listening somewhere the player never asks.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { ChannelStartError, launchChannel } from "../../../tools/channel/launch.ts";

describe("the channel's server when its port is in use", () => {
    let squatter: net.Server;
    let taken: number;

    before(async () => {
        squatter = net.createServer();
        await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
        taken = (squatter.address() as net.AddressInfo).port;
    });
    after(async () => {
        await new Promise((resolve) => squatter.close(resolve));
    });

    it("reports the port in use as its error, with the device rule that SetAddress binds", async () => {
        const started = launchChannel({
            manifestUrl: "http://127.0.0.1:9/never-loaded.mpd",
            outDir: "out/port-in-use-test",
            timeoutMs: 180_000,
            portMap: { 7010: taken },
        });
        await assert.rejects(started, (error: unknown) => {
            assert.ok(error instanceof ChannelStartError, String(error));
            assert.equal(error.stage, "channel");
            assert.match(error.message, /status: error: cannot listen on 127\.0\.0\.1:7010: the port is in use \(status 98\)/);
            return true;
        });
    });
});
