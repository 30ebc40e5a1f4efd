// Runs one of the project's TypeScript CLIs in a child process (asynchronously, so servers the
// test keeps in this process stay responsive) and collects its exit code and output.
import { execFile } from "node:child_process";

export interface ToolResult {
    code: number;
    stdout: string;
    stderr: string;
}

export function runTool(
    script: string,
    args: string[],
    options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ToolResult> {
    return new Promise((resolve) => {
        execFile(
            process.execPath,
            ["--import", "tsx", script, ...args],
            { env: options.env, timeout: options.timeoutMs },
            (error, stdout, stderr) => {
                resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
            },
        );
    });
}
