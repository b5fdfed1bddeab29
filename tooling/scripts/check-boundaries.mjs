#!/usr/bin/env node
// The one rule of shape (design.md): a library package imports @espada/infra-core and nothing else of
// ours. Checked here for every published package but the shell (which alone composes concrete
// packages): its runtime dependencies, and every import in its non-test sources (static, dynamic,
// re-exports). A relative import that leaves the package is refused in every package. Test files may
// use other packages through devDependencies (cross-package behaviour belongs in integration-tests).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("../../", import.meta.url)));
const COMPOSER = "@espada/infrastructure";
const ALLOWED = new Set(["@espada/infra-core"]);
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']/g;

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter(
      (entry) => entry.isFile() && /\.(?:m?ts|tsx|m?js)$/.test(entry.name) && !entry.name.endsWith(".d.ts"),
    )
    .map((entry) => join(entry.parentPath, entry.name));
}

const isTest = (file) =>
  /\.(?:test|spec|bench)\.[mc]?[jt]sx?$/.test(file) || file.includes(`${sep}__fixtures__${sep}`);
const ourName = (specifier) => /^@espada\/[^/]+/.exec(specifier)?.[0];

const problems = [];
for (const folder of ["packages", "examples"]) {
  for (const name of readdirSync(join(root, folder))) {
    const dir = join(root, folder, name);
    let pkg;
    try {
      pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    } catch {
      continue;
    }
    const library =
      folder === "packages" &&
      pkg.private !== true &&
      pkg.name !== COMPOSER &&
      pkg.name !== "@espada/infra-core";
    if (library) {
      for (const field of ["dependencies", "peerDependencies", "optionalDependencies"])
        for (const dep of Object.keys(pkg[field] ?? {}))
          if (dep.startsWith("@espada/") && !ALLOWED.has(dep))
            problems.push(
              `${folder}/${name}/package.json: ${field} names ${dep}; a library package depends on @espada/infra-core only`,
            );
    }
    let files = [];
    try {
      files = sourceFiles(join(dir, "src"));
    } catch {
      continue;
    }
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(SPECIFIER)) {
        const specifier = match[1];
        const where = `${relative(root, file)}: imports "${specifier}"`;
        if (specifier.startsWith(".")) {
          const target = resolve(dirname(file), specifier);
          if (!target.startsWith(dir + sep))
            problems.push(`${where}, a relative path that leaves its package; import the package by name`);
          continue;
        }
        const ours = ourName(specifier);
        if (library && ours !== undefined && !ALLOWED.has(ours) && ours !== pkg.name && !isTest(file))
          problems.push(
            `${where}; a library package imports @espada/infra-core and nothing else of ours (meet through core's interfaces)`,
          );
      }
    }
  }
}

if (problems.length > 0) {
  console.error(`${problems.length} boundary problem(s):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  process.exit(1);
}
console.log("package boundaries hold: library packages import only @espada/infra-core");
