// Linux errno values: roStreamSocket.status() reports errno numbers, and the worker side
// derives eOK/eSuccess/eWouldBlock/... from them (see ifSocketStatus). The numbers live in the
// protocol table both sides read (EAGAIN == EWOULDBLOCK on Linux).
import { PROTOCOL } from "./protocol.ts";

export const ERRNO = PROTOCOL.errno;

const BY_CODE: Record<string, number> = {
    EADDRINUSE: ERRNO.EADDRINUSE,
    ECONNRESET: ERRNO.ECONNRESET,
    ECONNREFUSED: ERRNO.ECONNREFUSED,
    EPIPE: ERRNO.EPIPE,
    EHOSTUNREACH: ERRNO.EHOSTUNREACH,
    EACCES: ERRNO.EINVAL,
};

/** errno for a Node error (`error.code`), EINVAL when unknown. */
export function errnoOf(error: unknown): number {
    const code = (error as { code?: string } | undefined)?.code ?? "";
    return BY_CODE[code] ?? ERRNO.EINVAL;
}
