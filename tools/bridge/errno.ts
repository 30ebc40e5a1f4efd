// Linux errno values: roStreamSocket.status() reports errno numbers, and the worker side
// derives eOK/eSuccess/eWouldBlock/... from them (see ifSocketStatus).
export const ERRNO = {
    OK: 0,
    EBADF: 9,
    EAGAIN: 11, // == EWOULDBLOCK on Linux
    EFAULT: 14,
    EINVAL: 22,
    EPIPE: 32,
    EDESTADDRREQ: 89,
    EADDRINUSE: 98,
    ECONNRESET: 104,
    ENOTCONN: 107,
    ECONNREFUSED: 111,
    EHOSTUNREACH: 113,
    EALREADY: 114,
    EINPROGRESS: 115,
} as const;

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
