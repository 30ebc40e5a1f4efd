// Compiles BrighterScript projects with bsc, treating every diagnostic (error or warning) as a failure.
// bsc prints each diagnostic with its source excerpt; callers only summarise.
import { ProgramBuilder, DiagnosticSeverity, type BsConfig } from "brighterscript";
import { relative } from "node:path";

export interface BuildResult {
    ok: boolean;
    /** Diagnostics formatted as `file:line:col severity code message`. */
    problems: string[];
    outFile: string;
}

const SEVERITY: Record<number, string> = {
    [DiagnosticSeverity.Error]: "error",
    [DiagnosticSeverity.Warning]: "warning",
    [DiagnosticSeverity.Information]: "info",
    [DiagnosticSeverity.Hint]: "hint",
};

/**
 * Builds the project described by `project` (a bsconfig path), with optional overrides, into a zip.
 * No package is trusted when a diagnostic was reported: `ok` is false and the problems say why.
 */
export async function buildPackage(project: string, overrides: BsConfig = {}): Promise<BuildResult> {
    const builder = new ProgramBuilder();
    await builder.run({ project, createPackage: true, logLevel: "error", watch: false, ...overrides });
    const failing = builder
        .getDiagnostics()
        .filter((d) => d.severity === DiagnosticSeverity.Error || d.severity === DiagnosticSeverity.Warning);
    const problems = failing.map((d) => {
        const file = d.file?.srcPath ? relative(process.cwd(), d.file.srcPath) : "<project>";
        const where = `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}`;
        return `${where} ${SEVERITY[d.severity ?? 1]} BS${d.code} ${d.message}`;
    });
    return { ok: problems.length === 0, problems, outFile: builder.options.outFile ?? "" };
}
