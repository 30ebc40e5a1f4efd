// The Roku API check (`npm run lint`): the real channel passes; fixture channels written to a temp
// directory fail with file and line for an undocumented method, global or component, for a
// callFunc target no component declares, and for anything newer than the declared minimum Roku OS.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runTool } from "../support/run-tool.ts";
import { DEFAULT_API_PATH, checkProject, compareVersions, loadApi, type Finding } from "../../../tools/lint/roku-api-check.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const CLI = join(REPO, "tools/lint/roku-api-check.ts");
const API_LABEL = "tools/lint/roku-api.json";

const tempDirs: string[] = [];
after(() => {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A channel project in a temp dir: `files` maps paths under it to their text. */
function fixture(files: Record<string, string>, minimumOs: string | null = "7.1"): string {
    const root = mkdtempSync(join(tmpdir(), "roku-api-"));
    tempDirs.push(root);
    const manifest = ["title=fixture", "major_version=1", "minor_version=0", "build_version=0"];
    if (minimumOs !== null) manifest.push(`ytsabr_minimum_os=${minimumOs}`);
    writeFileSync(join(root, "manifest"), manifest.join("\n") + "\n");
    for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), text);
    }
    return root;
}

/** Findings as "file:line:col name kind", the parts a reader needs to find the problem. */
function brief(findings: Finding[]): string[] {
    return findings.map((f) => `${f.file}:${f.line}:${f.col} ${f.name} ${f.kind}`);
}

const MAIN = `sub Main()
    ba = CreateObject("roByteArray")
    part = ba.SliceBytes(0, 2)
    head = ba.Slice(0, 2)
    FrobnicateThing(ba)
    made = CreateObject("roMadeUp")
    print helper(1) + Util.pad("x")
    box = new Util.Box()
    print box.size() + part.Count() + head.Count()
end sub

function helper(n as integer) as integer
    return n + 1
end function

namespace Util
    function pad(s as string) as string
        return " " + s
    end function

    class Box
        function size() as integer
            return Len(pad("ab"))
        end function
    end class
end namespace
`;

describe("roku-api-check on the real channel", () => {
    it("finds nothing, checks thousands of calls and names what sets the minimum OS", () => {
        const result = checkProject({ root: REPO });
        assert.deepEqual(brief(result.findings), []);
        assert.ok(result.calls > 1000, `only ${result.calls} calls checked`);
        assert.ok(result.declaredMinimumOs !== null);
        assert.ok(result.required !== null && compareVersions(result.required.minimumOs, result.declaredMinimumOs!) <= 0);
        // The channel's LongIntegers (Roku OS 7.0) are seen, so the declared minimum cannot drop below 7.0.
        assert.ok(result.entriesUsed.some((e) => e.entry === "LongInteger" && e.minimumOs === "7.0"));
        assert.ok(result.entriesUsed.some((e) => e.entry === "roUrlTransfer"));
    });

    it("exits 0 from the command line with the summary as its last line", async () => {
        const run = await runTool(CLI, [], { timeoutMs: 120_000 });
        assert.equal(run.code, 0, run.stdout + run.stderr);
        assert.match(run.stdout.trimEnd().split("\n").at(-1)!, /^roku-api: \d+ calls checked, 0 findings$/);
    });
});

describe("roku-api-check on fixture channels", () => {
    it("reports an undocumented method, an unknown global and an unknown component with file and line", () => {
        const result = checkProject({ root: fixture({ "src/main.bs": MAIN }) });
        assert.deepEqual(brief(result.findings), [
            "src/main.bs:3:15 SliceBytes undocumented",
            "src/main.bs:5:5 FrobnicateThing undocumented",
            `src/main.bs:6:25 CreateObject("roMadeUp") undocumented`,
        ]);
        assert.equal(result.findings[0]!.message, `SliceBytes is not in Roku's documented API (${API_LABEL}) nor defined in the project`);
    });

    it("accepts what the project defines: functions, namespace functions, classes and their methods", () => {
        const clean = MAIN.replace("ba.SliceBytes(0, 2)", "ba.Slice(1, 3)")
            .replace("    FrobnicateThing(ba)\n", "")
            .replace(`CreateObject("roMadeUp")`, `CreateObject("roList")`);
        const result = checkProject({ root: fixture({ "src/main.bs": clean }) });
        assert.deepEqual(brief(result.findings), []);
        assert.ok(result.calls >= 10, `only ${result.calls} calls checked`);
    });

    it("fails from the command line with exit code 1, file:line:col messages and the summary", async () => {
        const root = fixture({ "src/main.bs": MAIN });
        const run = await runTool(CLI, ["--root", root], { timeoutMs: 120_000 });
        assert.equal(run.code, 1, run.stdout + run.stderr);
        const lines = run.stdout.trimEnd().split("\n");
        assert.ok(
            lines.includes(`src/main.bs:3:15: SliceBytes is not in Roku's documented API (${API_LABEL}) nor defined in the project`),
            run.stdout,
        );
        assert.ok(
            lines.includes(`src/main.bs:5:5: FrobnicateThing is not in Roku's documented API (${API_LABEL}) nor defined in the project`),
            run.stdout,
        );
        assert.match(lines.at(-1)!, /^roku-api: \d+ calls checked, 3 findings$/);
        const json = await runTool(CLI, ["--root", root, "--json"], { timeoutMs: 120_000 });
        assert.equal(json.code, 1);
        assert.equal((JSON.parse(json.stdout) as { findings: Finding[] }).findings.length, 3);
    });

    it("fails an entry whose minimum Roku OS is above the declared one, naming the entry", () => {
        const source = `sub Main()
    monitor = CreateObject("roAppMemoryMonitor")
    print monitor.GetChannelAvailableMemory()
    print monitor.GetMemoryLimitPercent()
end sub
`;
        const old = checkProject({ root: fixture({ "src/main.bs": source }, "7.1") });
        assert.deepEqual(brief(old.findings), [
            `src/main.bs:2:28 CreateObject("roAppMemoryMonitor") minimum-os`,
            "src/main.bs:3:19 monitor.GetChannelAvailableMemory minimum-os",
            "src/main.bs:4:19 monitor.GetMemoryLimitPercent minimum-os",
        ]);
        assert.match(
            old.findings[1]!.message,
            /needs Roku OS 12\.5 \(ifAppMemoryMonitor\.GetChannelAvailableMemory, https:\/\/developer\.roku\.com\/docs\/references\/brightscript\/interfaces\/ifappmemorymonitor\.md\), above the channel's declared minimum 7\.1/,
        );
        const mid = checkProject({ root: fixture({ "src/main.bs": source }, "10.5") });
        assert.deepEqual(brief(mid.findings), ["src/main.bs:3:19 monitor.GetChannelAvailableMemory minimum-os"]);
        const recent = checkProject({ root: fixture({ "src/main.bs": source }, "12.5") });
        assert.deepEqual(brief(recent.findings), []);
        assert.equal(recent.required?.minimumOs, "12.5");
    });

    it('accepts a newer call inside `if ...osAtLeast("X.Y")` for X.Y at least its minimum, and nowhere else', () => {
        const source = `sub Main()
    monitor = invalid
    if Device.osAtLeast("13.0")
        monitor = CreateObject("roAppMemoryMonitor")
    end if
    if monitor <> invalid and Device.osAtLeast("13.0")
        print monitor.GetChannelMemoryLimit()
    else
        print monitor.GetMemoryLimitPercent()
    end if
    if Device.osAtLeast("12.5")
        print monitor.GetChannelMemoryLimit()
        print monitor.GetChannelAvailableMemory()
    end if
end sub

namespace Device
    function osAtLeast(version as string) as boolean
        return true
    end function
end namespace
`;
        const result = checkProject({ root: fixture({ "src/main.bs": source }, "7.1") });
        assert.deepEqual(brief(result.findings), [
            "src/main.bs:9:23 monitor.GetMemoryLimitPercent minimum-os",
            "src/main.bs:12:23 monitor.GetChannelMemoryLimit minimum-os",
        ]);
        assert.equal(result.required?.minimumOs, "13.0", "the highest unguarded need sets the required OS");
    });

    it("checks language features with a documented first version (optional chaining: 11.0, LongInteger: 7.0)", () => {
        const source = `function f(aa as object) as dynamic\n    n = 5&\n    return aa?.child\nend function\n`;
        assert.deepEqual(brief(checkProject({ root: fixture({ "src/f.bs": source }, "7.0") }).findings), [
            "src/f.bs:3:14 optional chaining (?. ?[ ?( ?@) (?.) minimum-os",
        ]);
        assert.deepEqual(brief(checkProject({ root: fixture({ "src/f.bs": source }, "6.2") }).findings), [
            "src/f.bs:2:9 LongInteger (5&) minimum-os",
            "src/f.bs:3:14 optional chaining (?. ?[ ?( ?@) (?.) minimum-os",
        ]);
        assert.deepEqual(brief(checkProject({ root: fixture({ "src/f.bs": source }, "11.0") }).findings), []);
    });

    it("requires the manifest to declare a minimum Roku OS", () => {
        const result = checkProject({ root: fixture({ "src/main.bs": "sub Main()\nend sub\n" }, null) });
        assert.deepEqual(brief(result.findings), ["manifest:1:1 ytsabr_minimum_os manifest"]);
    });

    it("checks components: callFunc targets, m.top methods and inline XML scripts", () => {
        const xml = `<?xml version="1.0" encoding="utf-8"?>
<component name="Worker" extends="Task">
    <script type="text/brightscript" uri="Worker.bs" />
    <interface>
        <function name="doWork" />
    </interface>
</component>
`;
        const bs = `sub init()
    m.top.observeField("control", "onControl")
    m.top.doWork()
    node = CreateObject("roSGNode", "Worker")
    node.callFunc("doWork", {})
    node.callFunc("noSuchFunction")
end sub

function doWork(params as object) as object
    return params
end function
`;
        const scene = `<?xml version="1.0" encoding="utf-8"?>
<component name="Inline" extends="Scene">
    <script type="text/brightscript"><![CDATA[
        sub init()
            m.top.setFocus(true)
            print UnknownInlineCall()
        end sub
    ]]></script>
</component>
`;
        const result = checkProject({
            root: fixture({ "components/Worker.xml": xml, "components/Worker.bs": bs, "components/Inline.xml": scene }),
        });
        assert.deepEqual(brief(result.findings), [
            "components/Inline.xml:6:19 UnknownInlineCall undocumented",
            "components/Worker.bs:3:11 m.top.doWork undocumented",
            `components/Worker.bs:6:19 callFunc("noSuchFunction") undocumented`,
        ]);
        assert.match(result.findings[1]!.message, /doWork is not a method of roSGNode/);
    });
});

describe("tools/lint/roku-api.json", () => {
    const api = loadApi(DEFAULT_API_PATH);
    const interfaces = new Set(api.interfaces.map((i) => i.name));
    const components = new Map(api.components.map((c) => [c.name, c]));
    const methods = new Map(api.methods.map((m) => [`${m.interface}.${m.name}`, m]));

    it("links every entry to Roku's BrightScript reference and names only known interfaces", () => {
        const entries = [...api.globalFunctions, ...api.components, ...api.interfaces, ...api.methods, ...api.languageFeatures];
        for (const e of entries) {
            assert.match(
                e.url,
                /^https:\/\/developer\.roku\.com\/docs\/references\/brightscript\/(components|interfaces|events|language)\/[a-z0-9-]+\.md$/,
                e.name,
            );
            assert.ok(e.minimumOs === null || /^\d+\.\d+$/.test(e.minimumOs), `${e.name}: ${e.minimumOs}`);
        }
        for (const c of api.components)
            for (const i of c.interfaces) assert.ok(interfaces.has(i) || components.get(i)?.kind === "event", `${c.name}: ${i}`);
        for (const m of api.methods)
            assert.ok(interfaces.has(m.interface) || components.get(m.interface)?.kind === "event", `${m.interface}.${m.name}`);
    });

    it("covers what the channel's networking and memory code calls", () => {
        for (const key of [
            "ifHttpAgent.SetCertificatesFile",
            "ifHttpAgent.InitClientCertificates",
            "ifUrlTransfer.AsyncPostFromFileToFile",
            "ifUrlTransfer.RetainBodyOnError",
            "ifUrlTransfer.GetIdentity",
            "roUrlEvent.GetResponseHeadersArray",
            "ifAppMemoryMonitor.EnableMemoryWarningEvent",
            "ifAppMemoryMonitor.GetMemoryLimitPercent",
            "ifSocketConnection.Accept",
            "ifByteArray.GetSignedByte",
        ]) {
            assert.ok(methods.has(key), key);
        }
        assert.ok(api.globalFunctions.some((g) => g.name === "GetInterface"));
        assert.equal(components.get("roLongInteger")?.minimumOs, "7.0");
        assert.equal(components.get("roAppMemoryMonitor")?.minimumOs, "10.5");
    });

    it("records Slice on roByteArray with no documented first firmware, and says so", () => {
        assert.ok(components.get("roByteArray")?.interfaces.includes("ifArraySlice"));
        const slice = methods.get("ifArraySlice.Slice");
        assert.equal(slice?.minimumOs, null);
        assert.match(slice?.note ?? "", /no Roku OS version/i);
    });
});
