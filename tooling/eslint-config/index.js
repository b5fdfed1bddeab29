// Shared ESLint flat config: typescript-eslint's type-checked rules for every package.
import tseslint from "typescript-eslint";

/**
 * Build the flat config for a package rooted at `tsconfigRootDir`.
 * @param {string} tsconfigRootDir absolute path of the package folder
 */
export function espadaConfig(tsconfigRootDir) {
  return tseslint.config(
    {
      ignores: [
        "dist/**",
        "coverage/**",
        ".bench/**",
        ".tmp-*/**",
        "**/*.local.ts",
        "**/*.generated.ts",
        "**/*.js",
        "**/*.mjs",
      ],
    },
    ...tseslint.configs.recommendedTypeChecked,
    {
      languageOptions: {
        parserOptions: { project: ["./tsconfig.check.json"], tsconfigRootDir },
      },
      rules: {
        "@typescript-eslint/consistent-type-imports": "error",
        "@typescript-eslint/no-floating-promises": "error",
        "@typescript-eslint/no-misused-promises": "error",
        "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        "no-restricted-imports": [
          "error",
          {
            patterns: [
              {
                group: ["../../*/src/*", "@espada/*/src/*", "@espada/*/dist/*"],
                message: "Import other packages through their public entry point.",
              },
            ],
          },
        ],
      },
    },
    {
      files: ["**/*.test.ts", "**/*.bench.ts", "bench/**/*.ts", "test/**/*.ts"],
      rules: {
        "@typescript-eslint/no-non-null-assertion": "off",
        "@typescript-eslint/unbound-method": "off",
        "@typescript-eslint/no-unsafe-assignment": "off",
        "@typescript-eslint/no-unsafe-member-access": "off",
      },
    },
  );
}
