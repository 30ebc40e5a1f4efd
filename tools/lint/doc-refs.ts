// `npm run lint` step: every reference to the project's documentation resolves inside the
// repository. Checked in src/, components/, tools/, tests/, docs/, README.md and CONTRIBUTING.md:
// - `docs/<file>.md §n.m` (also `[x.md](x.md) §n`, ranges `§8.1-8.2`): the file exists and has a
//   heading numbered n.m (`### 7.5 ...`, `## 7. ...`, `## Appendix A. ...`, `**A.1 ...**`);
// - a bare `§n.m` in a file that names a numbered doc before it (or only one anywhere), or in that
//   doc itself: checked against that doc;
// - relative Markdown links `[text](path)` in .md files: the path exists;
// - no mention of notes kept outside the repository (a `research/` folder, `../shared/`).
import { readFileSync, existsSync, readdirSync, statSync } from "node:fs";
import { dirname, extname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** What is scanned, relative to the root. */
export const SCANNED = ["src", "components", "tools", "tests", "docs", "README.md", "CONTRIBUTING.md"];
const TEXT_EXTENSIONS = new Set([".md", ".ts", ".js", ".mjs", ".bs", ".brs", ".xml", ".proto", ".sh"]);
const SKIPPED_DIRS = new Set(["node_modules", "out", ".git"]);
/** This checker and its test spell out broken references on purpose. */
const SKIPPED_FILES = new Set(["tools/lint/doc-refs.ts", "tests/ts/lint/doc-refs.test.ts"]);

export interface Finding {
    file: string;
    line: number;
    col: number;
    message: string;
}

export interface CheckResult {
    files: number;
    references: number;
    findings: Finding[];
}

// `name.md`, optionally followed by its Markdown link target and a closing parenthesis.
const DOC_NAME = String.raw`([\w./-]*[\w-]+\.md)(?:\]\([^)\s]*\))?\)?`;
const SECTION = String.raw`§\s*([0-9]+(?:\.[0-9]+)*|[A-Z](?:\.[0-9]+)?)(?:\s*[-–]\s*([0-9]+(?:\.[0-9]+)*|[A-Z](?:\.[0-9]+)?))?`;
const EXPLICIT_REF = new RegExp(DOC_NAME + String.raw`[ \t:,]*` + SECTION, "g");
const BARE_REF = new RegExp(SECTION, "g");
const DOC_MENTION = /[\w./-]*[\w-]+\.md\b/g;
const MARKDOWN_LINK = /\]\(([^)\s#]+)(?:#[^)\s]*)?\)/g;
const OUTSIDE_NOTES = new RegExp(String.raw`\bresearch/|\.\./shared/`, "g");

/** The section numbers a Markdown document's headings carry: "7", "7.5", "A", "A.1". */
export function sectionsOf(markdown: string): Set<string> {
    const sections = new Set<string>();
    for (const line of markdown.split("\n")) {
        // "## 7. Title", "### 7.5 Title", "## Appendix A. Title", "### A.1 Title" (not "### A title").
        const numbered = /^#{1,6}\s+(?:([0-9]+(?:\.[0-9]+)*)\.?|Appendix\s+([A-Z](?:\.[0-9]+)*)\.?|([A-Z]\.[0-9]+(?:\.[0-9]+)*))\s/.exec(
            line,
        );
        const id = numbered?.[1] ?? numbered?.[2] ?? numbered?.[3];
        if (id) sections.add(id);
        const bold = /^\*\*([A-Z]\.[0-9]+)\s/.exec(line);
        if (bold?.[1]) sections.add(bold[1]);
    }
    return sections;
}

function listFiles(root: string, path: string): string[] {
    const full = join(root, path);
    if (!existsSync(full)) return [];
    if (statSync(full).isFile()) return [path];
    const files: string[] = [];
    for (const entry of readdirSync(full, { withFileTypes: true })) {
        const child = path === "" ? entry.name : `${path}/${entry.name}`;
        if (entry.isDirectory()) {
            if (!SKIPPED_DIRS.has(entry.name)) files.push(...listFiles(root, child));
        } else if (TEXT_EXTENSIONS.has(extname(entry.name))) {
            files.push(child);
        }
    }
    return files.sort();
}

function position(text: string, offset: number): { line: number; col: number } {
    const before = text.slice(0, offset);
    const line = before.split("\n").length;
    return { line, col: offset - before.lastIndexOf("\n") };
}

export function checkDocRefs(options: { root?: string; paths?: string[] } = {}): CheckResult {
    const root = resolve(options.root ?? REPO_ROOT);
    const files = (options.paths ?? SCANNED).flatMap((p) => listFiles(root, p)).filter((f) => !SKIPPED_FILES.has(f));
    const sectionCache = new Map<string, Set<string> | null>();
    const findings: Finding[] = [];
    let references = 0;

    /** The repository path a doc name in `file` points at, or null when no such file exists. */
    const resolveDoc = (file: string, name: string): string | null => {
        const candidates = [resolve(root, dirname(file), name), resolve(root, name)];
        if (!name.includes("/")) candidates.push(resolve(root, "docs", name));
        for (const candidate of candidates) {
            if (!candidate.startsWith(root + sep) || !existsSync(candidate)) continue;
            return relative(root, candidate).split(sep).join("/");
        }
        return null;
    };
    const sectionsIn = (doc: string): Set<string> | null => {
        if (!sectionCache.has(doc)) {
            const sections = sectionsOf(readFileSync(join(root, doc), "utf8"));
            sectionCache.set(doc, sections.size > 0 ? sections : null);
        }
        return sectionCache.get(doc) ?? null;
    };
    const report = (file: string, text: string, offset: number, message: string): void => {
        findings.push({ file, ...position(text, offset), message });
    };
    const checkSections = (file: string, text: string, offset: number, doc: string, cited: string, ids: string[]): void => {
        references++;
        const sections = sectionsIn(doc);
        for (const id of ids) {
            if (!sections?.has(id)) report(file, text, offset, `${cited}: ${doc} has no section ${id}`);
        }
    };

    for (const file of files) {
        const text = readFileSync(join(root, file), "utf8");
        const explicitAt = new Set<number>();

        for (const m of text.matchAll(EXPLICIT_REF)) {
            const sectionOffset = m.index + m[0].indexOf("§");
            explicitAt.add(sectionOffset);
            const name = m[1]!;
            const doc = resolveDoc(file, name);
            if (doc === null) {
                references++;
                report(file, text, m.index, `${m[0]}: no file ${name} in the repository`);
                continue;
            }
            checkSections(
                file,
                text,
                sectionOffset,
                doc,
                m[0],
                [m[2], m[3]].filter((s): s is string => s !== undefined),
            );
        }

        // Numbered docs this file names, by position: the context of its bare references.
        const mentions: { offset: number; doc: string }[] = [];
        for (const m of text.matchAll(DOC_MENTION)) {
            const doc = resolveDoc(file, m[0]);
            if (doc !== null && sectionsIn(doc) !== null) mentions.push({ offset: m.index, doc });
        }
        const ownSections = file.endsWith(".md") && sectionsIn(file) !== null;
        const distinct = new Set(mentions.map((m) => m.doc));
        for (const m of text.matchAll(BARE_REF)) {
            if (explicitAt.has(m.index)) continue;
            let doc: string | null = ownSections ? file : null;
            if (doc === null) doc = mentions.filter((mention) => mention.offset < m.index).pop()?.doc ?? null;
            if (doc === null && distinct.size === 1) doc = [...distinct][0]!;
            if (doc === null) continue; // no doc named: nothing to check it against
            checkSections(
                file,
                text,
                m.index,
                doc,
                m[0],
                [m[1], m[2]].filter((s): s is string => s !== undefined),
            );
        }

        if (file.endsWith(".md")) {
            for (const m of text.matchAll(MARKDOWN_LINK)) {
                const target = m[1]!;
                if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, ...
                references++;
                const full = resolve(root, dirname(file), target);
                const at = m.index + 2; // the target, after "]("
                if (!full.startsWith(root + sep) && full !== root) report(file, text, at, `link ${target} leaves the repository`);
                else if (!existsSync(full)) report(file, text, at, `link ${target}: no such file`);
            }
        }

        for (const m of text.matchAll(OUTSIDE_NOTES)) {
            report(file, text, m.index, `"${m[0]}": notes outside the repository cannot be cited; put the rule in docs/`);
        }
    }
    findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
    return { files: files.length, references, findings };
}

// ---------------------------------------------------------------------------------------------
// Command line

const HELP = `Usage: tsx tools/lint/doc-refs.ts [--root <dir>]

Checks that every documentation reference in ${SCANNED.join(", ")} resolves inside the
repository: "docs/<file>.md §n.m" names an existing file with a heading numbered n.m; a bare
"§n.m" is checked against the numbered doc the file names before it (or its only one); relative
Markdown links point at existing files; and no file cites notes kept outside the repository
("research/", "../shared/").

Exit code 1 on any finding (file:line:col: message), 0 otherwise. The last line is
"doc-refs: N references checked in F files, M findings".`;

function main(argv: string[]): number {
    let root = REPO_ROOT;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--help" || arg === "-h") {
            console.log(HELP);
            return 0;
        } else if (arg === "--root" && argv[i + 1] !== undefined) {
            root = resolve(argv[++i]!);
        } else {
            console.error(`doc-refs: unknown option ${arg} (see --help)`);
            return 2;
        }
    }
    const result = checkDocRefs({ root });
    for (const f of result.findings) console.log(`${f.file}:${f.line}:${f.col}: ${f.message}`);
    console.log(`doc-refs: ${result.references} references checked in ${result.files} files, ${result.findings.length} findings`);
    return result.findings.length > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
    process.exitCode = main(process.argv.slice(2));
}
