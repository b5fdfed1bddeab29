#!/usr/bin/env node
// Runs `publint --strict` and `attw --pack --profile esm-only` on every published package.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { execFileSync } from "node:child_process";

const bin = (name) => resolve("node_modules", ".bin", name);
let failed = 0;
for (const dir of readdirSync("packages")) {
  const pkgFile = join("packages", dir, "package.json");
  if (!existsSync(pkgFile)) continue;
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
  if (pkg.private) continue;
  const cwd = join("packages", dir);
  for (const [tool, args] of [
    ["publint", ["--strict"]],
    ["attw", ["--pack", ".", "--profile", "esm-only", "--format", "table-flipped"]],
  ]) {
    process.stdout.write(`\n== ${tool} ${pkg.name}\n`);
    try {
      execFileSync(bin(tool), args, { cwd, stdio: "inherit" });
    } catch {
      failed += 1;
      console.error(`!! ${tool} failed for ${pkg.name}`);
    }
  }
}
if (failed > 0) {
  console.error(`\n${failed} package check(s) failed`);
  process.exit(1);
}
console.log("\nall package checks passed");
