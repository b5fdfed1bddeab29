#!/usr/bin/env node
// Scaffolds packages/<folder> with the house package.json, tsconfigs, eslint and vitest configs.
// Usage: node tooling/scripts/new-package.mjs <folder> <npm-name> "<description>" [dep ...]
import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";

const [folder, name, description, ...deps] = process.argv.slice(2);
if (!folder || !name || !description) {
  console.error("usage: new-package.mjs <folder> <npm-name> <description> [workspace-dep ...]");
  process.exit(2);
}
const dir = join("packages", folder);
mkdirSync(join(dir, "src"), { recursive: true });
const internal = deps.filter((d) => d.startsWith("@espada/"));
const pkg = {
  name,
  version: "0.1.0",
  description,
  license: "MIT",
  type: "module",
  sideEffects: false,
  engines: { node: ">=20.19" },
  exports: {
    ".": { types: "./dist/index.d.ts", default: "./dist/index.js" },
    "./package.json": "./package.json",
  },
  main: "./dist/index.js",
  types: "./dist/index.d.ts",
  files: ["dist", "!dist/**/*.test.*", "!dist/**/*.tsbuildinfo", "README.md"],
  publishConfig: { access: "public" },
  scripts: {
    build: "tsc -b",
    typecheck: "tsc -p tsconfig.check.json",
    lint: "eslint .",
    test: "vitest run",
  },
  dependencies: Object.fromEntries(internal.map((d) => [d, "workspace:*"])),
};
const ref = (d) => ({ path: `../${d.replace("@espada/infra-", "")}` });
if (!existsSync(join(dir, "package.json")))
  writeFileSync(join(dir, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
writeFileSync(
  join(dir, "tsconfig.json"),
  JSON.stringify(
    {
      extends: "../../tsconfig.base.json",
      compilerOptions: { rootDir: "src", outDir: "dist", tsBuildInfoFile: "dist/.tsbuildinfo" },
      include: ["src"],
      exclude: ["src/**/*.test.ts", "src/**/*.bench.ts"],
      references: internal.map(ref),
    },
    null,
    2,
  ) + "\n",
);
writeFileSync(
  join(dir, "tsconfig.check.json"),
  JSON.stringify(
    {
      extends: "../../tsconfig.base.json",
      compilerOptions: {
        noEmit: true,
        composite: false,
        incremental: false,
        declaration: false,
        declarationMap: false,
      },
      include: ["src", "bench", "test", "*.ts"],
    },
    null,
    2,
  ) + "\n",
);
writeFileSync(
  join(dir, "eslint.config.js"),
  `import { espadaConfig } from "@espada/eslint-config";\n\nexport default espadaConfig(import.meta.dirname);\n`,
);
writeFileSync(
  join(dir, "vitest.config.ts"),
  `import { defineConfig } from "vitest/config";\n\nexport default defineConfig({\n  test: { include: ["src/**/*.test.ts", "test/**/*.test.ts"] },\n});\n`,
);
console.log(`scaffolded ${dir}`);
