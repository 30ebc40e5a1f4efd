// Talking to a Roku in developer mode: sideloading a package and reading its debug console.
import { RokuDeploy } from "roku-deploy";
import { connect } from "node:net";
import { basename, dirname, resolve } from "node:path";

export interface DeviceTarget {
    host: string;
    password: string;
    /** Port of the developer web server that takes /plugin_install (80 on devices). */
    packagePort?: number;
    /** Port of the BrightScript debug console (8085 on devices). */
    consolePort?: number;
}

/** Reads ROKU_DEV_TARGET and ROKU_DEV_PASSWORD; throws a clear error when either is missing. */
export function targetFromEnvironment(env: NodeJS.ProcessEnv = process.env): DeviceTarget {
    const host = env.ROKU_DEV_TARGET;
    const password = env.ROKU_DEV_PASSWORD;
    if (!host || !password) {
        throw new Error("set ROKU_DEV_TARGET (the device's IP address) and ROKU_DEV_PASSWORD (its developer password)");
    }
    return { host, password };
}

/** Uploads `zip` to the device's /plugin_install (digest auth, user rokudev) and returns its answer. */
export async function sideload(target: DeviceTarget, zip: string, timeoutMs = 150_000): Promise<string> {
    const rokuDeploy = new RokuDeploy();
    const result = await rokuDeploy.publish({
        host: target.host,
        password: target.password,
        packagePort: target.packagePort ?? 80,
        outDir: dirname(resolve(zip)),
        outFile: basename(zip),
        retainDeploymentArchive: true,
        failOnCompileError: true,
        timeout: timeoutMs,
        logLevel: "error",
    });
    return result.message;
}

export interface ConsoleSession {
    /** Resolves with every line read once `isDone` accepts a line, or rejects on timeout or a closed console. */
    finished: Promise<string[]>;
    close(): void;
}

/**
 * Follows the device's debug console (TCP 8085) line by line until `isDone(line)` is true.
 * Connect before sideloading: the console only shows what is printed while a client is connected.
 */
export function followConsole(
    target: DeviceTarget,
    options: { timeoutMs: number; isDone: (line: string) => boolean; onLine?: (line: string) => void },
): Promise<ConsoleSession> {
    return new Promise((resolveSession, rejectSession) => {
        const socket = connect({ host: target.host, port: target.consolePort ?? 8085 });
        const lines: string[] = [];
        let pending = "";
        let settled = false;
        let resolveFinished: (lines: string[]) => void = () => undefined;
        let rejectFinished: (error: Error) => void = () => undefined;
        const finished = new Promise<string[]>((res, rej) => {
            resolveFinished = res;
            rejectFinished = rej;
        });
        // The caller may still be sideloading when the console fails; it reads the error from `finished`.
        finished.catch(() => undefined);
        const end = (error?: Error) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            socket.destroy();
            if (error) rejectFinished(error);
            else resolveFinished(lines);
        };
        const timer = setTimeout(
            () => end(new Error(`no end of report on ${target.host}:${target.consolePort ?? 8085} within ${options.timeoutMs / 1000} s`)),
            options.timeoutMs,
        );
        socket.setEncoding("utf8");
        socket.once("connect", () => resolveSession({ finished, close: () => end() }));
        socket.once("error", (error) => {
            const failure = new Error(`debug console ${target.host}:${target.consolePort ?? 8085}: ${error.message}`);
            if (socket.connecting) {
                clearTimeout(timer);
                rejectSession(failure);
            } else {
                end(failure);
            }
        });
        socket.on("data", (chunk: string) => {
            const parts = (pending + chunk).split(/\r?\n/);
            pending = parts.pop() ?? "";
            for (const line of parts) {
                lines.push(line);
                options.onLine?.(line);
                if (options.isDone(line)) return end();
            }
        });
        socket.once("close", () => end(new Error("the debug console closed before the report ended")));
    });
}
