#!/usr/bin/env node
// Runs publint (strict) and `attw --pack --profile esm-only` on every published package, then checks
// that its tarball stands on its own: every source map's sources are in the tarball, and every
// relative link of its README points at a file in the tarball (no repository-only paths), and its README
// installs it the one way every package does (`npm install <name>`).
//
// Every entry of `exports` is `{ "types", "require": "./dist/<name>.cjs", "default": "./dist/<name>.js" }`:
// the `require` file is a CommonJS twin of the ES module facade (tooling/scripts/packageCode.mjs),
// which hands out the very objects of the ES module, under the same names (and `__esModule`). Its
// types are therefore the ES module's declarations, on purpose: a CommonJS consumer is typed as one
// that requires an ES module (TypeScript's `node20`/`nodenext`), which is what it does, only faster.
// So the two findings that say the `require` condition's types are ESM while its file is CommonJS are
// expected: publint's EXPORTS_TYPES_INVALID_FORMAT is skipped for a `require` file that is the `.cjs`
// twin of the entry's `default` file, and attw's FalseESM rule is off (the `.cjs` twins are the only
// CommonJS files an entry can resolve to: the build refuses any other `require` target).
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { dirname, join, normalize, resolve } from "node:path";
import { execFileSync } from "node:child_process";
import { publint } from "publint";
import { formatMessage } from "publint/utils";

const bin = (name) => resolve("node_modules", ".bin", name);

/** Whether `message` is publint's finding on an entry's `require` twin (see above). */
function isTwinTypesFinding(message, pkg) {
  if (message.code !== "EXPORTS_TYPES_INVALID_FORMAT" || message.args.condition !== "require") return false;
  const entry = message.path[0] === "exports" ? pkg.exports?.[message.path[1]] : undefined;
  return typeof entry?.default === "string" && entry.require === entry.default.replace(/\.js$/, ".cjs");
}

let failed = 0;
for (const dir of readdirSync("packages")) {
  const pkgFile = join("packages", dir, "package.json");
  if (!existsSync(pkgFile)) continue;
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
  if (pkg.private) continue;
  const cwd = join("packages", dir);
  process.stdout.write(`\n== publint ${pkg.name}\n`);
  const linted = await publint({ pkgDir: cwd, strict: true });
  const findings = linted.messages.filter((message) => !isTwinTypesFinding(message, linted.pkg));
  for (const message of findings)
    console.error(`${message.type}: ${formatMessage(message, linted.pkg, { color: false })}`);
  if (findings.some((message) => message.type !== "suggestion")) {
    failed += 1;
    console.error(`!! publint failed for ${pkg.name}`);
  } else
    console.log(
      `publint: no problems (${linted.messages.length - findings.length} twin types findings skipped)`,
    );
  process.stdout.write(`\n== attw ${pkg.name}\n`);
  try {
    execFileSync(
      bin("attw"),
      ["--pack", ".", "--profile", "esm-only", "--ignore-rules", "false-esm", "--format", "table-flipped"],
      { cwd, stdio: "inherit" },
    );
  } catch {
    failed += 1;
    console.error(`!! attw failed for ${pkg.name}`);
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
