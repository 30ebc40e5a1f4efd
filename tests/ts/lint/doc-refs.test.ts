// The documentation reference check (`npm run lint`): the repository passes; fixture trees written
// to a temp directory fail with file and line for a missing section, a missing doc, a broken link
// and a note kept outside the repository, and pass with good references.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runTool } from "../support/run-tool.ts";
import { checkDocRefs, sectionsOf, type Finding } from "../../../tools/lint/doc-refs.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const CLI = join(REPO, "tools/lint/doc-refs.ts");

const PROTOCOL = [
    "# Protocol",
    "",
    "## 7. The session's rules",
    "",
    "### 7.5 Error classes",
    "",
    "### 7.12 The order",
    "",
    "## Appendix A. Bytes",
    "",
    "**A.1 A request**",
    "",
].join("\n");

const tempDirs: string[] = [];
after(() => {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A tree in a temp dir with docs/sabr-protocol.md: `files` maps paths under it to their text. */
function fixture(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), "doc-refs-"));
    tempDirs.push(root);
    for (const [path, text] of Object.entries({ "docs/sabr-protocol.md": PROTOCOL, ...files })) {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), text);
    }
    return root;
}

function brief(findings: Finding[]): string[] {
    return findings.map((f) => `${f.file}:${f.line}:${f.col} ${f.message}`);
}

describe("doc-refs on the repository", () => {
    it("finds every reference resolvable", () => {
        const result = checkDocRefs();
        assert.deepEqual(brief(result.findings), []);
        assert.ok(result.references > 50, `only ${result.references} references checked`);
    });
});

describe("doc-refs on fixture trees", () => {
    it("reads numbered headings, appendix letters and bold appendix items as sections", () => {
        assert.deepEqual([...sectionsOf(PROTOCOL)].sort(), ["7", "7.12", "7.5", "A", "A.1"]);
    });

    it("accepts good references: explicit, linked, ranges and bare ones after a named doc", () => {
        const result = checkDocRefs({
            root: fixture({
                "src/server/Good.bs": "' Loop caps (docs/sabr-protocol.md §7.5); the order: §7.12, §7.5-7.12.\n",
                "docs/guide.md": "# Guide\n\nRules in [sabr-protocol.md](sabr-protocol.md) §7 and §A.1.\n",
            }),
        });
        assert.deepEqual(brief(result.findings), []);
        assert.equal(result.references, 6); // 3 in Good.bs; 2 in guide.md, plus its link
    });

    it("reports a missing section, a missing doc, a broken link and an outside note with file and line", () => {
        const outside = "research" + "/notes.md";
        const result = checkDocRefs({
            root: fixture({
                "src/server/Bad.bs": `' Loop caps (docs/sabr-protocol.md §7.11).\n' see docs/missing.md §1\n' from ${outside}\n`,
                "docs/guide.md": "# Guide\n\n[protocol](sabr-protocol.md) and [gone](gone.md); then §9.4.\n",
            }),
        });
        assert.deepEqual(brief(result.findings), [
            "docs/guide.md:3:41 link gone.md: no such file",
            "docs/guide.md:3:56 §9.4: docs/sabr-protocol.md has no section 9.4",
            "src/server/Bad.bs:1:36 docs/sabr-protocol.md §7.11: docs/sabr-protocol.md has no section 7.11",
            "src/server/Bad.bs:2:7 docs/missing.md §1: no file docs/missing.md in the repository",
            `src/server/Bad.bs:3:8 "${"research"}/": notes outside the repository cannot be cited; put the rule in docs/`,
        ]);
    });

    it("exits 1 from the command line with file:line:col messages and the summary, 0 when clean", async () => {
        const bad = fixture({ "tools/origin/faults.ts": "/** Fault profiles (docs/sabr-protocol.md §9.3). */\n" });
        const run = await runTool(CLI, ["--root", bad], { timeoutMs: 60_000 });
        assert.equal(run.code, 1, run.stdout + run.stderr);
        const lines = run.stdout.trimEnd().split("\n");
        assert.ok(
            lines.includes("tools/origin/faults.ts:1:43: docs/sabr-protocol.md §9.3: docs/sabr-protocol.md has no section 9.3"),
            run.stdout,
        );
        assert.match(lines.at(-1)!, /^doc-refs: 1 references checked in 2 files, 1 findings$/);

        const good = fixture({ "tools/origin/faults.ts": "/** Fault profiles (docs/sabr-protocol.md §7.5). */\n" });
        const clean = await runTool(CLI, ["--root", good], { timeoutMs: 60_000 });
        assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    });
});
