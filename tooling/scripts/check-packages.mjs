#!/usr/bin/env node
// Runs `publint --strict` and `attw --pack --profile esm-only` on every published package, then checks
// that its tarball stands on its own: every source map's sources are in the tarball, and every
// relative link of its README points at a file in the tarball (no repository-only paths), and its README
// installs it the one way every package does (`npm install <name>`).
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { dirname, join, normalize, resolve } from "node:path";
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

/**
 * Problems of a packed package: source maps or README links that point outside the tarball, or a
 * README whose install instruction is not the one style every package uses (`npm install <name>`).
 */
function tarballProblems(cwd, name) {
  const [report] = JSON.parse(
    execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }),
  );
  const files = new Set(report.files.map((file) => normalize(file.path)));
  const problems = [];
  for (const file of files) {
    if (!file.endsWith(".map")) continue;
    const map = JSON.parse(readFileSync(join(cwd, file), "utf8"));
    for (const [index, source] of (map.sources ?? []).entries()) {
      const target = normalize(join(dirname(file), map.sourceRoot ?? "", source));
      const embedded = typeof map.sourcesContent?.[index] === "string";
      if (!embedded && !files.has(target))
        problems.push(`${file}: source ${source} is neither in the tarball nor embedded`);
    }
  }
  const readme = readFileSync(join(cwd, "README.md"), "utf8");
  for (const [, link] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(link) || link.startsWith("#")) continue;
    const target = normalize(link.split("#")[0]);
    if (!files.has(target) && ![...files].some((file) => file.startsWith(`${target}/`)))
      problems.push(`README.md links to ${link}, which is not in the tarball (use an absolute URL)`);
  }
  if (!readme.includes(`npm install ${name}`))
    problems.push(`README.md has no install instruction in the one style: npm install ${name}`);
  for (const [other] of readme.matchAll(/^\s*(?:pnpm add|yarn add|npm i) .*$/gm))
    problems.push(`README.md installs with "${other.trim()}": use npm install, as every package does`);
  return problems;
}

for (const dir of readdirSync("packages")) {
  const pkgFile = join("packages", dir, "package.json");
  if (!existsSync(pkgFile)) continue;
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
  if (pkg.private) continue;
  process.stdout.write(`\n== tarball ${pkg.name}\n`);
  const problems = tarballProblems(join("packages", dir), pkg.name);
  if (problems.length === 0)
    console.log("source maps and README links resolve inside the tarball; README installs with npm install");
  else {
    failed += 1;
    for (const problem of problems) console.error(`!! ${problem}`);
  }
}
if (failed > 0) {
  console.error(`\n${failed} package check(s) failed`);
  process.exit(1);
}
console.log("\nall package checks passed");
