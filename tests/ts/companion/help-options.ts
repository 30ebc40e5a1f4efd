/** The option names a CLI declares in its `parseArgs({ options: { ... } })` block. */
export function declaredOptions(source: string): string[] {
    const block = /options:\s*\{([\s\S]*?)\n\s{12}\},/.exec(source)?.[1] ?? "";
    return [...block.matchAll(/^\s*"?([a-z][a-z-]*)"?:\s*\{\s*type:/gm)].map((m) => m[1]!);
}
