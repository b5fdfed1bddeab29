#!/usr/bin/env node
// Builds what each published package runs, over tsc's output (tsc -b writes the declarations, and
// per-module files the entries do not use). Runs after `tsc -b` in `pnpm build`. Every entry point
// (the `default` files of package.json `exports`, and `bin`) is bundled from src with esbuild into the
// package's ONE script, `dist/runtime/code.js`, run from a V8 code cache made at build time; each
// `dist/<entry>.js` is a small ES module facade over its entry in that script, and `dist/<entry>.cjs`
// its CommonJS twin, package.json's `require` condition (packageCode.mjs).
// Node 20 has no compile cache for ES modules, and its ESM loader pays for every module it resolves,
// reads and compiles at start-up. Dependencies (other @espada packages included) stay external;
// classes are identical across a package's entries (`instanceof` holds between `.` and
// `./authoring`); an entry's modules run on its first use.
//
// A package may inline dependencies that none of its public types mention and that nothing shares
// with other packages (`"espadaBuild": { "inline": ["yaml"] }` in its package.json; they are then
// devDependencies), with what they import in turn: a package of 70 files costs more to load than the
// code it runs. Inlined libraries go to `dist/vendor/`, compiled at start from a V8 code cache made at
// build time (tooling/scripts/vendorLibs.mjs). The licences of everything inlined are copied to
// `dist/THIRD-PARTY-LICENSES.txt`.
//
// zod is the exception to "nothing shared": core inlines it (without zod's locale files) and exposes it
// as its `./zod` entry, and every other package's `import … from "zod"` is pointed at
// `@espada/infra-core/zod`, so all our packages share that one copy. zod stays a dependency of each
// package for its types.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { build } from "esbuild";
import {
  ENTRIES_SOURCE,
  analyseEntries,
  buildPackageCode,
  writeFacades,
  writeScriptLoaders,
} from "./packageCode.mjs";
import { primeCodeCaches } from "./primeCodeCaches.mjs";
import {
  VENDOR_FACADE_NAMESPACE,
  buildVendorLibs,
  importedNames,
  lazyRequire,
  vendorFacades,
  vendorSpecifiers,
} from "./vendorLibs.mjs";

const root = new URL("../..", import.meta.url).pathname;

/** A `bin` target: `./dist/<name>.js`, or its CommonJS facade `./dist/<name>.cjs` (no ES module loader at start). */
const BIN_TARGET = /^\.\/dist\/(.+)\.c?js$/;

/**
 * `{ "testing/index": "src/testing/index.ts" }` for every `./dist/<name>.js` the package exposes (and
 * every `bin`). Each `exports` entry must be
 * `{ "types", "require": "./dist/<name>.cjs", "default": "./dist/<name>.js" }`.
 */
function entryPoints(dir, pkg) {
  const names = [];
  for (const [key, value] of Object.entries(pkg.exports ?? {})) {
    if (typeof value !== "object" || typeof value.default !== "string") continue;
    const name = /^\.\/dist\/(.+)\.js$/.exec(value.default)?.[1];
    if (name === undefined)
      throw new Error(`${pkg.name}: entry ${value.default} is not a ./dist/<name>.js file`);
    if (value.require !== `./dist/${name}.cjs`)
      throw new Error(
        `${pkg.name}: exports[${JSON.stringify(key)}].require must be "./dist/${name}.cjs" (the CommonJS facade of ${value.default}), not ${JSON.stringify(value.require)}`,
      );
    names.push(name);
  }
  for (const value of Object.values(pkg.bin ?? {})) {
    const name = BIN_TARGET.exec(value)?.[1];
    if (name === undefined)
      throw new Error(`${pkg.name}: bin ${value} is not a ./dist/<name>.js or .cjs file`);
    names.push(name);
  }
  const entries = {};
  for (const name of names) {
    const source = join(dir, "src", `${name}.ts`);
    if (!existsSync(source)) throw new Error(`${pkg.name}: entry ${name} has no source ${source}`);
    entries[name] = source;
  }
  return entries;
}

/** Every bare import the earlier plugins left stays external (`#vendor` included). */
const bareImportsExternal = {
  name: "bare-imports-external",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => ({ path: args.path, external: true }));
  },
};

const CORE = "@espada/infra-core";
const SHARED_ZOD = `${CORE}/zod`;

/**
 * Every `zod` import of a package other than core goes to core's bundled copy (`SHARED_ZOD`), so all
 * our packages run on one zod instance; core itself inlines zod. A zod subpath is refused: the shared
 * copy is zod's main entry only. An import of named exports goes through a module of getters that
 * requires core's copy on the first read (as core's own imports of zod do, see vendorLibs.mjs), so
 * loading a module that defines schemas loads no zod.
 */
/** The esbuild namespace of the modules of getters over the shared zod (`espada-shared-zod:zod#<names>`). */
const SHARED_ZOD_NAMESPACE = "espada-shared-zod";

function sharedZod(pkg) {
  return {
    name: "shared-zod",
    setup(b) {
      b.onLoad({ filter: /.*/, namespace: SHARED_ZOD_NAMESPACE }, (args) => ({
        contents: lazyRequire(SHARED_ZOD, args.path.split("#")[1].split(",")),
        loader: "js",
      }));
      b.onResolve({ filter: /^zod(\/|$)/ }, (args) => {
        if (args.importer.includes("/node_modules/")) return undefined;
        if (args.path !== "zod")
          throw new Error(`${pkg.name}: ${args.importer} imports ${args.path}; only "zod" is shared`);
        if (pkg.name === CORE) return undefined;
        if (pkg.dependencies?.[CORE] === undefined)
          throw new Error(
            `${pkg.name} imports zod, which it gets from ${SHARED_ZOD}, without depending on ${CORE}`,
          );
        const names = importedNames(args.importer, args.path);
        return names === undefined
          ? { path: SHARED_ZOD, external: true }
          : { path: `zod#${names.join(",")}`, namespace: SHARED_ZOD_NAMESPACE };
      });
    },
  };
}

/**
 * Leaves zod's locale namespaces (`z.locales`, `z.core.locales`: ~50 modules, ~40% of zod's code)
 * out of core's bundled copy. English, zod's default, is registered by its schemas module itself.
 */
const withoutZodLocales = {
  name: "zod-without-locales",
  setup(b) {
    b.onLoad({ filter: /\/zod\/v4\/(classic\/external|core\/index)\.js$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      const contents = text.replace(/^export \* as locales from "\.\.\/locales\/index\.js";$/m, "");
      if (contents === text) throw new Error(`${args.path}: zod's locales export not found`);
      return { contents, loader: "js", resolveDir: dirname(args.path) };
    });
  },
};

/**
 * Keeps, in the source maps of `outputs`, the embedded text of what the build generated only (the
 * vendored libraries' facades, the getters over the shared zod, the script's entry getters: they exist nowhere else); our own sources
 * ship in the tarball's `src`.
 */
function embedFacadesOnly(outputs) {
  for (const output of outputs) {
    if (!output.endsWith(".map")) continue;
    const map = JSON.parse(readFileSync(output, "utf8"));
    map.sourcesContent = map.sources.map((source, i) =>
      source.startsWith(`${VENDOR_FACADE_NAMESPACE}:`) ||
      source.startsWith(`${SHARED_ZOD_NAMESPACE}:`) ||
      source.endsWith(ENTRIES_SOURCE)
        ? map.sourcesContent[i]
        : null,
    );
    writeFileSync(output, JSON.stringify(map));
  }
}

/** Writes the licence texts of every package whose code was inlined (from the build's inputs). */
function writeLicences(dir, inputs) {
  const packageDirs = new Set();
  for (const input of inputs) {
    const match = /^(.*\/node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(resolve(root, input));
    if (match?.[1] !== undefined) packageDirs.add(match[1]);
  }
  const texts = [...packageDirs].sort().map((pkgDir) => {
    const licence = readdirSync(pkgDir).find((file) => /^licen[cs]e/i.test(file));
    if (licence === undefined) throw new Error(`inlined package ${pkgDir} ships no licence file`);
    const { name, version } = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
    return `${name}@${version}\n\n${readFileSync(join(pkgDir, licence), "utf8").trim()}\n`;
  });
  writeFileSync(join(dir, "dist", "THIRD-PARTY-LICENSES.txt"), texts.join("\n---\n\n"));
}

const packagesDir = join(root, "packages");
let bundled = 0;
for (const name of readdirSync(packagesDir)) {
  const dir = join(packagesDir, name);
  const pkgFile = join(dir, "package.json");
  if (!existsSync(pkgFile)) continue;
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
  if (pkg.private) continue;
  for (const old of ["chunks", "vendor", "runtime"])
    rmSync(join(dir, "dist", old), { recursive: true, force: true });
  const loaderKey = await writeScriptLoaders(dir);
  const inline = pkg.espadaBuild?.inline ?? [];
  const entries = entryPoints(dir, pkg);
  const options = {
    entryPoints: entries,
    outdir: join(dir, "dist"),
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    chunkNames: "chunks/[name]-[hash]",
    logLevel: "warning",
  };
  let plugins = [sharedZod(pkg), bareImportsExternal];
  let analysisPlugins = plugins;
  if (inline.length > 0) {
    const vendorImport = pkg.imports?.["#vendor"];
    if (
      vendorImport?.require !== "./dist/vendor/index.cjs" ||
      vendorImport.default !== "./dist/vendor/index.js"
    )
      throw new Error(
        `${pkg.name} inlines ${inline.join(", ")}: its package.json needs "imports": { "#vendor": { "require": "./dist/vendor/index.cjs", "default": "./dist/vendor/index.js" } }`,
      );
    const specifiers = await vendorSpecifiers({ ...options, plugins: [sharedZod(pkg)] }, inline);
    const vendored = await buildVendorLibs(
      dir,
      specifiers,
      inline.includes("zod") ? [withoutZodLocales] : [],
      loaderKey,
    );
    plugins = [sharedZod(pkg), vendorFacades(inline, specifiers, vendored.exports), bareImportsExternal];
    // the entries' export names, read statically: an `export *` of a lazy facade has none to read
    analysisPlugins = [
      sharedZod(pkg),
      vendorFacades(inline, specifiers, vendored.exports, { lazy: false }),
      bareImportsExternal,
    ];
    writeLicences(dir, Object.keys(vendored.metafile.inputs));
  }
  const analysis = await analyseEntries({ ...options, plugins: analysisPlugins });
  const metafile = await buildPackageCode(dir, entries, plugins);
  embedFacadesOnly(Object.keys(metafile.outputs).map((output) => resolve(root, output)));
  writeFacades(
    dir,
    pkg,
    entries,
    analysis,
    new Set(Object.values(pkg.bin ?? {}).map((target) => BIN_TARGET.exec(target)?.[1])),
    loaderKey,
  );
  bundled += 1;
}
primeCodeCaches(root);
console.log(
  `bundled the entry points of ${bundled} packages; primed the code caches of their code and vendored libraries`,
);
