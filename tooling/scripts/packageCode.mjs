// A package's own code, the part of tooling/scripts/bundle-entries.mjs that writes what its entry
// points run. Node 20 has no compile cache for ES modules: a cold `espada-infra status` spent a fifth
// of its time resolving, reading and compiling our modules. So every entry of a package is bundled
// into ONE script, `dist/runtime/code.js` (a function taking CommonJS's module parameters and
// `__import`), which `dist/runtime/cachedScript.cjs` (a CommonJS copy of cachedScript.mjs) compiles
// from a V8 code cache made at build time (primeCodeCaches.mjs). Each `dist/<entry>.js` named in
// package.json is a small ES module, a facade that runs the script once through that loader and
// re-exports that entry's exports; the declarations stay tsc's. Beside it, `dist/<entry>.cjs`
// (package.json's `require` condition) hands out the same entry object through the same loader, so
// `require()` of a package, by another package's script or by a host loading a plugin, never enters
// Node's ES module loader, and an `import` of it costs that loader one module.
//
// In the script, an entry's modules run on first use of that entry (esbuild's lazy module
// initialisers), so `./testing` costs nothing to a process that never imports it. Other packages are
// loaded with `require()` (their CommonJS facades), a dynamic import of an `@espada` package included;
// every other dynamic import (a plugin's entry file) is a real `import()` through `__import`. Both
// facades of a package run its script through the loader's once-per-process map, so an ES module
// graph and a `require()` of the same package share one instance of its code.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { init, parse } from "es-module-lexer";

/** The module parameters of every compiled script (vendored libraries' too). */
export const SCRIPT_PARAMETERS = "exports, require, module, __filename, __dirname, __import";
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const OUR_PACKAGE = /^@espada\//;
/** A package name, not a URL, a `node:` builtin or a path. */
const BARE_PACKAGE = /^(?![a-z][a-z0-9+.-]*:)[^./]/i;
/** The generated module of a script's entry getters, as source maps name it (its text is embedded). */
export const ENTRIES_SOURCE = "espada-entries.js";

/** What each entry exposes, from an ESM bundling pass that writes nothing. */
export async function analyseEntries(options) {
  const result = await build({ ...options, write: false, metafile: true, sourcemap: false });
  const outputs = result.metafile.outputs;
  const texts = new Map(result.outputFiles.map((file) => [relative(process.cwd(), file.path), file.text]));
  const entries = new Map();
  for (const [path, output] of Object.entries(outputs)) {
    if (output.entryPoint === undefined) continue;
    const name = /dist\/(.+)\.js$/.exec(path)?.[1];
    const starFrom = [...(texts.get(path) ?? "").matchAll(/^export \* from "([^"]+)";$/gm)].map((m) => m[1]);
    entries.set(name, { exports: output.exports, starFrom });
  }
  return entries;
}

/**
 * Replaces each dynamic `import(` esbuild left in `code` (other packages, plugin files) with a call of
 * the script's `__import` (a `vm.Script` has no module to resolve from), or of `require` for an
 * `@espada` package. The lexer sees code, not the text of strings or comments.
 * @throws for a dynamic import of another bare package name: `__import` is the shared script
 * loader's `import()`, which resolves a package name from wherever that loader is, not from this
 * package. Such a package is a static import, or a dependency loaded with `require()`.
 */
async function routeDynamicImports(code) {
  await init;
  const [imports] = parse(code);
  let out = "";
  let at = 0;
  for (const i of imports) {
    if (i.d < 0) continue; // a static import or import.meta: none survive the CommonJS output
    const specifier = i.n;
    if (specifier !== undefined && BARE_PACKAGE.test(specifier) && !OUR_PACKAGE.test(specifier))
      throw new Error(
        `import("${specifier}"): a script cannot import() a package by name (only @espada packages, node: builtins and URLs); import it statically`,
      );
    const toRequire = specifier !== undefined && OUR_PACKAGE.test(specifier);
    out += code.slice(at, i.ss);
    out += toRequire ? `Promise.resolve().then(() => require(${JSON.stringify(specifier)}))` : "__import";
    at = toRequire ? i.se : i.ss + "import".length;
  }
  return out + code.slice(at);
}

/**
 * Bundles every entry of the package at `dir` (`entries`: name → source file) into
 * `dist/runtime/code.js` with `plugins`. Returns the metafile.
 */
export async function buildPackageCode(dir, entries, plugins) {
  const outfile = join(dir, "dist", "runtime", "code.js");
  const getters = Object.entries(entries).map(
    ([name, source]) =>
      `  get ${JSON.stringify(name)}() { return require(${JSON.stringify(`./${relative(dir, source)}`)}); },`,
  );
  const result = await build({
    stdin: {
      contents: `module.exports = {\n${getters.join("\n")}\n};\n`,
      resolveDir: dir,
      sourcefile: ENTRIES_SOURCE,
      loader: "js",
    },
    outfile,
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    plugins,
    define: { "import.meta.url": "__codeUrl" },
    banner: {
      js: `(function (${SCRIPT_PARAMETERS}) {\n"use strict";\nconst __codeUrl = require("node:url").pathToFileURL(__filename).href;`,
    },
    footer: { js: "})" },
    sourcemap: true,
    legalComments: "none",
    logLevel: "warning",
    metafile: true,
  });
  // A warning means esbuild changed what the code does (`import.meta.resolve` in a script is empty).
  if (result.warnings.length > 0) throw new Error(`${dir}: the package's code bundled with warnings`);
  writeFileSync(outfile, asciiOnly(await routeDynamicImports(readFileSync(outfile, "utf8"))));
  return result.metafile;
}

/**
 * `code` with every character outside ASCII written as a `\uXXXX` escape. esbuild escapes them in
 * strings, templates and regular expressions, but keeps the comments it carries (a class member's
 * TSDoc) as they are, and one `→` in a comment makes the whole script a two-byte string. An ASCII
 * script is also one the loader may decode as Latin-1 (`readScript` in cachedScript.mjs): ~0.4 ms
 * for core's, against 2–3 ms as UTF-8, at every start. Only comments are left to escape, and there
 * the escape is text.
 */
function asciiOnly(code) {
  return code.replace(/[^\x00-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * Writes the scripts' loader to the package's `dist/runtime/`: `cachedScript.cjs`, a CommonJS copy of
 * cachedScript.mjs. Returns its key, for {@link loaderExpression}.
 */
export async function writeScriptLoaders(dir) {
  const runtimeDir = join(dir, "dist", "runtime");
  mkdirSync(runtimeDir, { recursive: true });
  const loader = join(runtimeDir, "cachedScript.cjs");
  const result = await build({
    entryPoints: [fileURLToPath(new URL("./cachedScript.mjs", import.meta.url))],
    outfile: loader,
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    banner: {
      js: '// Generated by the build: a CommonJS copy of tooling/scripts/cachedScript.mjs.\n"use strict";',
    },
    logLevel: "warning",
  });
  if (result.warnings.length > 0) throw new Error(`${loader}: the loader built with warnings`);
  return `espada.scriptLoader.${createHash("sha256").update(readFileSync(loader)).digest("hex").slice(0, 16)}`;
}

/**
 * The expression by which a facade gets the script loader (an object with `runCachedScript`): the
 * one already loaded in this process under `key` (the loader's content hash, see
 * {@link writeScriptLoaders}), else its package's own at `loaderPath`, loaded with `requireCall` and
 * kept under `key`. So a process loads one copy of the loader for all packages built with the same
 * one (loading a copy per package was ~5 % of `espada-infra status`), and never shares a loader that
 * differs. `requireCall` is `require` in CommonJS; an ES module facade requires through
 * `process.getBuiltinModule`, so an `import` of a package costs Node's ES module loader one module.
 */
export function loaderExpression(key, loaderPath, requireCall) {
  return `(globalThis[Symbol.for(${JSON.stringify(key)})] ??= ${requireCall}(${JSON.stringify(loaderPath)}))`;
}

/** {@link loaderExpression}'s `requireCall` for an ES module at `import.meta.url`. */
export const ESM_REQUIRE = 'process.getBuiltinModule("node:module").createRequire(import.meta.url)';

/**
 * Writes, for each entry, `dist/<name>.js` (an ES module) and `dist/<name>.cjs` (CommonJS): facades
 * over the entry in `dist/runtime/code.js`, run through the script loader under `loaderKey` (see
 * {@link loaderExpression}). An entry that only re-exports one other package is, in CommonJS, that
 * package's `require()`.
 */
export function writeFacades(dir, pkg, entries, analysis, bins, loaderKey) {
  for (const name of Object.keys(entries)) {
    const entry = analysis.get(name);
    if (entry === undefined) throw new Error(`${pkg.name}: entry ${name} missing from the analysis`);
    const file = join(dir, "dist", `${name}.js`);
    const toRuntime = relative(dirname(file), join(dir, "dist", "runtime"));
    const runtime = toRuntime.startsWith(".") ? toRuntime : `./${toRuntime}`;
    const names = entry.exports;
    const runsCode = names.length > 0 || entry.starFrom.length === 0;
    const shebang = bins.has(name) ? ["#!/usr/bin/env node"] : [];
    const mode = bins.has(name) ? 0o755 : 0o644;
    const about = runsCode
      ? `// ${pkg.name}, entry ${JSON.stringify(name)}: a facade over this package's code, which runs from\n// ${runtime}/code.js, compiled from the V8 code cache beside it (see ${runtime}/cachedScript.cjs).`
      : `// ${pkg.name}, entry ${JSON.stringify(name)}: re-exports ${entry.starFrom.join(", ")}.`;
    const lines = [
      ...shebang,
      about,
      ...entry.starFrom.map((from) => `export * from ${JSON.stringify(from)};`),
    ];
    if (runsCode) {
      const loader = loaderExpression(loaderKey, `${runtime}/cachedScript.cjs`, ESM_REQUIRE);
      const run = `${loader}.runCachedScript(new URL("${runtime}/code.js", import.meta.url)).exports[${JSON.stringify(name)}]`;
      lines.push(names.length > 0 ? `const entry = ${run};` : `void ${run};`);
    }
    if (names.length > 0) {
      lines.push(`const ${names.map((n, i) => `e${i} = entry[${JSON.stringify(n)}]`).join(",\n  ")};`);
      const exported = names.map((n, i) => `e${i} as ${IDENTIFIER.test(n) ? n : JSON.stringify(n)}`);
      lines.push(`export { ${exported.join(", ")} };`);
    }
    writeFileSync(file, `${lines.join("\n")}\n`, { mode });
    const reExported = runsCode ? undefined : entry.starFrom.length === 1 ? entry.starFrom[0] : undefined;
    const cjs = [
      ...shebang,
      about,
      '"use strict";',
      reExported === undefined
        ? `module.exports = ${loaderExpression(loaderKey, `${runtime}/cachedScript.cjs`, "require")}.runCachedScript(\n  new URL("${runtime}/code.js", require("node:url").pathToFileURL(__filename)),\n).exports[${JSON.stringify(name)}];`
        : `module.exports = require(${JSON.stringify(reExported)});`,
    ];
    writeFileSync(join(dir, "dist", `${name}.cjs`), `${cjs.join("\n")}\n`, { mode });
  }
}
