// npm run build [-- --tests]: compiles the channel (or the Rooibos test package) into out/.
import { parseArgs } from "node:util";
import { buildPackage } from "./bsc.ts";

const { values } = parseArgs({
    options: {
        tests: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
    },
});
if (values.help) {
    console.log(`Usage: npm run build [-- --tests]

Compiles the channel with bsc into out/channel.zip (or, with --tests, the Rooibos test
package into out/tests.zip). Any bsc error or warning fails the build.`);
    process.exit(0);
}

const project = values.tests ? "bsconfig.tests.json" : "bsconfig.json";
const result = await buildPackage(project);
if (!result.ok) {
    console.error(`build: ${project}: ${result.problems.length} problem(s); no package trusted`);
    process.exit(1);
}
console.log(`build: ${result.outFile}`);
