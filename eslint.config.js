// TypeScript lint rules for tools/ and tests/ (BrightScript is linted by bslint, see bslint.json).
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "out/", "tools/sim/page/", "src/", "components/"] },
    ...tseslint.configs.recommended,
    {
        // Scripts loaded by importScripts or as a page init script, not modules (type-checked by
        // tools/bridge/worker/tsconfig*.json and tools/sim/worker/tsconfig.json).
        files: ["tools/bridge/worker/*.js", "tools/sim/worker/*.js"],
        languageOptions: { sourceType: "script" },
    },
    {
        files: ["**/*.ts", "tools/bridge/worker/*.js", "tools/sim/worker/*.js"],
        rules: {
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
            "@typescript-eslint/no-explicit-any": "error",
            "@typescript-eslint/consistent-type-imports": "error",
            eqeqeq: ["error", "always"],
            "no-var": "error",
            "prefer-const": "error",
        },
    },
);
