// `npm run lint` runs `prettier --check .` and `bsfmt --check`: these tests show that, with the
// project's own settings, each formatter tells a formatting difference from the formatted text, and
// that the files it must cover are not ignored.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as prettier from "prettier";
import { Formatter } from "brighterscript-formatter";

const bsfmtOptions = JSON.parse(readFileSync("bsfmt.json", "utf8")) as Record<string, unknown> & { files: string[] };

test("prettier covers tools/ and tests/ TypeScript and leaves generated and data files alone", async () => {
    for (const file of ["tools/origin/server.ts", "tools/bridge/worker/brs-bridge-ext.js", "tests/ts/lint/format-check.test.ts"]) {
        const info = await prettier.getFileInfo(file, { ignorePath: ".prettierignore" });
        assert.equal(info.ignored, false, `${file} must be checked`);
    }
    for (const file of ["src/shared/protobuf/generated/Sabr.bs", "package-lock.json", "out/anything.ts", "docs/pipeline.md"]) {
        const info = await prettier.getFileInfo(file, { ignorePath: ".prettierignore" });
        assert.equal(info.ignored, true, `${file} must not be checked`);
    }
});

test("prettier with the project's settings rejects the origin's old style and accepts its own output", async () => {
    const options = { ...(await prettier.resolveConfig("tools/origin/server.ts")), filepath: "tools/origin/server.ts" };
    const oldStyle = "const faults = {\n  slow: 'slow',\n  drop: 'drop'\n};\n";
    assert.equal(await prettier.check(oldStyle, options), false);
    const formatted = await prettier.format(oldStyle, options);
    assert.equal(formatted, 'const faults = {\n    slow: "slow",\n    drop: "drop",\n};\n');
    assert.equal(await prettier.check(formatted, options), true);
});

test("bsfmt with the project's settings changes a misformatted file and keeps a formatted one", () => {
    const { files, ...options } = bsfmtOptions;
    assert.ok(files.includes("src/**/*.bs") && files.includes("tests/spec/**/*.bs"), "bsfmt covers the channel and its specs");
    const formatter = new Formatter();
    const formatted =
        "function add(a as integer, b as integer) as integer\n    if a > 0 then\n        return a + b\n    end if\n    return b\nend function\n";
    assert.equal(formatter.format(formatted, options), formatted);
    const misformatted =
        "FUNCTION add(a as integer, b as integer) as integer\n  if a>0 then\n     return a+b\n  endif\n  return b\nend function\n";
    assert.equal(formatter.format(misformatted, options), formatted);
});
