// TypeScript lint rules for tools/ and tests/ (BrightScript is linted by bslint, see bslint.json).
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "out/", "tools/sim/page/", "tools/bridge/worker/", "src/", "components/"] },
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        rules: {
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
            "@typescript-eslint/no-explicit-any": "error",
            "@typescript-eslint/consistent-type-imports": "error",
            eqeqeq: ["error", "always"],
            "no-var": "error",
            "prefer-const": "error",
        },
    }
);
