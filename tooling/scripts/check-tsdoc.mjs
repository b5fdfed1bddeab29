#!/usr/bin/env node
// Fails when an export of a published package has no TSDoc. For each non-private packages/<dir>
// with a src/index.ts, loads the entry with the TypeScript compiler API, walks every exported
// symbol (following re-exports and aliases to the declaration) and lists each export whose
// declaration carries no JSDoc comment. Class and interface members are not checked.
// Usage: node tooling/scripts/check-tsdoc.mjs [packageDir ...]   (default: every packages/<dir>)
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..", "..");

/** Compiler options of a package's tsconfig.json (falls back to the base config). */
function optionsFor(packageDir) {
  const configPath =
    ts.findConfigFile(packageDir, ts.sys.fileExists, "tsconfig.json") ?? join(root, "tsconfig.base.json");
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
  return ts.parseJsonConfigFileContent(read.config, ts.sys, dirname(configPath)).options;
}

/** True when the declaration (or, for a variable, its statement) has a JSDoc comment with text or tags. */
function hasDoc(declaration) {
  return ts.getJSDocCommentsAndTags(declaration).some((node) => {
    if (!ts.isJSDoc(node)) return true; // a tag attached to the declaration
    const text =
      typeof node.comment === "string"
        ? node.comment
        : (node.comment ?? []).map((part) => part.text).join("");
    return text.trim().length > 0 || (node.tags?.length ?? 0) > 0;
  });
}

function kindOf(declaration) {
  return ts.SyntaxKind[declaration.kind]
    .replace(/Declaration$/, "")
    .replace(/^([A-Z])/, (c) => c.toLowerCase());
}

const missing = [];
let checked = 0;
const args = process.argv.slice(2);
const packageDirs =
  args.length > 0
    ? args.map((a) => resolve(a))
    : readdirSync(join(root, "packages"))
        .sort()
        .map((dir) => join(root, "packages", dir));
for (const packageDir of packageDirs) {
  const pkgFile = join(packageDir, "package.json");
  const entry = join(packageDir, "src", "index.ts");
  if (!existsSync(pkgFile) || !existsSync(entry)) continue;
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
  if (pkg.private) continue;
  const program = ts.createProgram([entry], { ...optionsFor(packageDir), noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) {
    missing.push(`${pkg.name}: cannot load ${relative(root, entry)}`);
    continue;
  }
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declarations = target.declarations ?? [];
    checked++;
    if (declarations.length === 0 || declarations.some(hasDoc)) continue;
    const first = declarations[0];
    const file = first.getSourceFile();
    const { line } = file.getLineAndCharacterOfPosition(first.getStart());
    missing.push(
      `${pkg.name}: ${exported.getName()} (${kindOf(first)}) ${relative(root, file.fileName)}:${line + 1}`,
    );
  }
}

if (missing.length > 0) {
  console.error(`${missing.length} export(s) without TSDoc:\n${missing.map((m) => `  ${m}`).join("\n")}`);
  process.exit(1);
}
console.log(`TSDoc present on all ${checked} exports of the published packages`);
