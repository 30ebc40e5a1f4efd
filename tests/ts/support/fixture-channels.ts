// Zips the plain BrightScript channels in tests/fixtures/channels (some cannot go through bsc:
// one has a syntax error on purpose).
import { RokuDeploy } from "roku-deploy";
import { resolve } from "node:path";

export async function zipFixtureChannel(name: string): Promise<string> {
    const zip = resolve(`out/packages/fixture-${name}.zip`);
    await new RokuDeploy().zipFolder(resolve(`tests/fixtures/channels/${name}`), zip);
    return zip;
}
