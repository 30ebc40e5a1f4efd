// npm run deploy (make deploy): sideloads a channel package to the Roku at ROKU_DEV_TARGET.
import { parseArgs } from "node:util";
import { existsSync } from "node:fs";
import { sideload, targetFromEnvironment } from "./device.ts";

const USAGE = `Usage: npm run deploy [-- --zip <path>]     (or: make deploy)

Sideloads a package (default out/channel.zip, built by 'make package') to the Roku in
developer mode at ROKU_DEV_TARGET, using the developer password in ROKU_DEV_PASSWORD.

Options:
  --zip <path>            the package to install (default out/channel.zip)
  --package-port <n>      developer web server port (default 80)
  -h, --help              show this help`;

const { values } = parseArgs({
    options: {
        zip: { type: "string", default: "out/channel.zip" },
        "package-port": { type: "string", default: "80" },
        help: { type: "boolean", short: "h", default: false },
    },
});
if (values.help) {
    console.log(USAGE);
    process.exit(0);
}
try {
    if (!existsSync(values.zip)) throw new Error(`no package at ${values.zip}; run 'make package' first`);
    const target = { ...targetFromEnvironment(), packagePort: Number(values["package-port"]) };
    console.log(`deploy: ${await sideload(target, values.zip)} (${values.zip} to ${target.host})`);
} catch (error) {
    console.error(`deploy: ${(error as Error).message}`);
    process.exit(1);
}
