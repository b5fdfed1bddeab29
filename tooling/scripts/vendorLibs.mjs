// Vendored libraries, the part of tooling/scripts/bundle-entries.mjs that handles the dependencies a
// package inlines (`espadaBuild.inline`). They are not bundled into the package's code but together
// into one function in `dist/vendor/libs.js`, which `dist/vendor/index.cjs` (`#vendor` to the
// package's `require()`; `index.js` is its ES module twin) runs once per process from a V8 code cache
// made at build time (primeCodeCaches.mjs), through the script loader
// (`dist/runtime/cachedScript.cjs`, see `loaderExpression` in packageCode.mjs). Each import of one of
// them in the package's code becomes a small facade module that re-exports it from `#vendor`. Compiling zod or yaml from source is most of what loading
// them costs on a cold start; from the cache V8 deserialises bytecode instead.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { ESM_REQUIRE, SCRIPT_PARAMETERS, loaderExpression } from "./packageCode.mjs";

/** The `#vendor` import of the package's bundles (package.json `imports`). */
const VENDOR_IMPORT = "#vendor";
/** The esbuild namespace of the facades (their sources are `espada-vendor:<specifier>` in source maps). */
export const VENDOR_FACADE_NAMESPACE = "espada-vendor";

/** The package name of a bare import (`semver/functions/valid.js` → `semver`). */
function packageName(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

/** Whether `args` is an import, in the package's own code, of one of the `inline` packages. */
const isVendorImport = (args, inline) =>
  !args.importer.includes("/node_modules/") && inline.includes(packageName(args.path));

/**
 * Every import of an `inline` package in the package's own code, found by a bundling pass that writes
 * nothing (`options` are the package's build options; every bare import stays external).
 */
export async function vendorSpecifiers(options, inline) {
  const specifiers = new Set();
  await build({
    ...options,
    write: false,
    sourcemap: false,
    metafile: false,
    plugins: [
      ...options.plugins,
      {
        name: "find-vendor-imports",
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) => {
            if (isVendorImport(args, inline)) specifiers.add(args.path);
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  return [...specifiers].sort();
}

/**
 * Bundles `specifiers` into `dist/vendor/libs.js` (one function taking CommonJS's module parameters,
 * whose exports are the libraries' namespaces `v0`, `v1`, …) and writes `#vendor` beside it (ES module
 * and CommonJS twins, which run it through the script loader under `loaderKey`). Returns each
 * specifier's exports (`{ names, callableDefault }`, see vendorNames.mjs) and the bundle's metafile
 * (for the licences of what was inlined). The code cache is made once every package is built
 * (primeCodeCaches.mjs).
 */
export async function buildVendorLibs(dir, specifiers, plugins, loaderKey) {
  const vendorDir = join(dir, "dist", "vendor");
  mkdirSync(vendorDir, { recursive: true });
  const result = await build({
    stdin: {
      contents: specifiers
        .map((specifier, i) => `export * as v${i} from ${JSON.stringify(specifier)};`)
        .join("\n"),
      resolveDir: dir,
      sourcefile: "vendor-libs.js",
      loader: "js",
    },
    outfile: join(vendorDir, "libs.js"),
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    plugins,
    // An ESM library may read `import.meta.url` (yargs does, for `createRequire`): it is the bundle's.
    define: { "import.meta.url": "__vendorUrl" },
    banner: {
      js: `(function (${SCRIPT_PARAMETERS}) {\nconst __vendorUrl = require("node:url").pathToFileURL(__filename).href;`,
    },
    footer: { js: "})" },
    sourcemap: true,
    sourcesContent: true,
    // Without comments (one non-ASCII character in a comment makes V8 hold the whole source as
    // UTF-16, which is slower to read and scan); the source map keeps the original text.
    minifyWhitespace: true,
    legalComments: "none",
    logLevel: "warning",
    metafile: true,
  });
  if (result.warnings.length > 0) throw new Error(`${dir}: vendored libraries bundled with warnings`);
  noteUnpublishedSources(join(vendorDir, "libs.js.map"));
  writeVendorEntries(vendorDir, loaderKey);
  const names = JSON.parse(
    execFileSync(
      process.execPath,
      [new URL("./vendorNames.mjs", import.meta.url).pathname, join(vendorDir, "index.js")],
      {
        encoding: "utf8",
      },
    ),
  );
  return {
    exports: new Map(specifiers.map((specifier, i) => [specifier, names[`v${i}`]])),
    metafile: result.metafile,
  };
}

/** Writes `#vendor`'s ES module (`index.js`) and CommonJS (`index.cjs`) twins in `vendorDir`. */
function writeVendorEntries(vendorDir, loaderKey) {
  const loader = "../runtime/cachedScript.cjs";
  const about =
    "// The libraries this package inlines (`#vendor`): ./libs.js, run once per process from its V8 code\n// cache by the script loader. Generated by tooling/scripts/vendorLibs.mjs.";
  const doc = {
    vendor:
      "/** The vendored libraries' module namespaces (`v0`, `v1`, … in the order the build lists them). */",
    codeCacheUsed: "/** Whether V8 compiled the libraries from the shipped code cache. */",
  };
  writeFileSync(
    join(vendorDir, "index.js"),
    [
      about,
      `const libs = ${loaderExpression(loaderKey, loader, ESM_REQUIRE)}.runCachedScript(new URL("./libs.js", import.meta.url));`,
      doc.vendor,
      "export const vendor = libs.exports;",
      doc.codeCacheUsed,
      "export const codeCacheUsed = libs.codeCacheUsed;",
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(vendorDir, "index.cjs"),
    [
      about,
      '"use strict";',
      `const libs = ${loaderExpression(loaderKey, loader, "require")}.runCachedScript(new URL("./libs.js", require("node:url").pathToFileURL(__filename)));`,
      doc.vendor,
      "exports.vendor = libs.exports;",
      doc.codeCacheUsed,
      "exports.codeCacheUsed = libs.codeCacheUsed;",
      "",
    ].join("\n"),
  );
}

/**
 * Gives a source the map cannot embed a line saying so: a library's own source map may name a file
 * its package does not publish (get-caller-file's index.ts), and a tarball's maps must resolve.
 */
function noteUnpublishedSources(mapFile) {
  const map = JSON.parse(readFileSync(mapFile, "utf8"));
  map.sourcesContent = map.sources.map(
    (source, i) =>
      map.sourcesContent?.[i] ??
      `// ${source.replace(/^.*node_modules\//, "")} is not published by its package.\n`,
  );
  writeFileSync(mapFile, JSON.stringify(map));
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * The names `importer` (a source file of the package) imports from `specifier`, or undefined when it
 * takes them all (`import * as`, `export *`) or imports it in a form this does not read.
 */
export function importedNames(importer, specifier) {
  const source = readFileSync(importer, "utf8");
  const quoted = `["']${specifier.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}["']`;
  const forms = [...source.matchAll(new RegExp(`(?:import|export)\\b([^;]*?)\\bfrom\\s*${quoted}`, "g"))];
  const names = new Set();
  for (const [, clause] of forms) {
    const braces = /^\s*(type\s+)?\{([^}]*)\}\s*$/.exec(clause);
    if (braces === null) return undefined;
    if (braces[1] !== undefined) continue; // a type-only import is erased
    for (const part of braces[2].split(",")) {
      const name = part.trim().split(/\s+as\s+/)[0];
      if (name !== "" && !name.startsWith("type ")) names.add(name);
    }
  }
  return names.size === 0 || forms.length !== source.split(new RegExp(quoted)).length - 1
    ? undefined
    : [...names].sort();
}

/**
 * A facade that reads the library's exports where the package's code uses them: a CommonJS module
 * of getters, so `#vendor` runs on the first read and a command that never builds a zod schema does
 * not load the libraries at all. Each importer gets a facade of the names it imports (esbuild
 * copies a CommonJS module's properties into every importer's namespace object). (esbuild hands an ES module importing a CommonJS module its
 * `module.exports` as the default export, so a library whose default export is a function, such as
 * yargs or a semver function, cannot have one: see {@link eagerFacade}.)
 */
function lazyFacade(index, names) {
  return lazyRequire(VENDOR_IMPORT, names, `.vendor.v${index}`);
}

/**
 * A CommonJS module of getters for `names` that requires `specifier` (and reads `path` of it) on the
 * first read of one.
 */
export function lazyRequire(specifier, names, path = "") {
  return [
    "let m;",
    `const lib = () => (m ??= require(${JSON.stringify(specifier)})${path});`,
    `Object.defineProperty(exports, "__esModule", { value: true });`,
    `for (const name of ${JSON.stringify(names)})`,
    "  Object.defineProperty(exports, name, { enumerable: true, get: () => lib()[name] });",
  ].join("\n");
}

/** A facade that runs `#vendor` when the package's module importing it runs, and re-exports the library's values. */
function eagerFacade(index, names) {
  const locals = names.map((name, i) => `e${i} = m[${JSON.stringify(name)}]`);
  const exported = names.map((name, i) => `e${i} as ${IDENTIFIER.test(name) ? name : JSON.stringify(name)}`);
  return [
    `import { vendor } from ${JSON.stringify(VENDOR_IMPORT)};`,
    `const m = vendor.v${index};`,
    ...(locals.length === 0 ? [] : [`const ${locals.join(", ")};`]),
    `export { ${exported.join(", ")} };`,
  ].join("\n");
}

/**
 * Resolves each import of an `inline` package in the package's own code to a facade that re-exports
 * the library from `#vendor` under the names it has (`exports` from {@link buildVendorLibs}): lazy
 * where it can be (see {@link lazyFacade}), unless `lazy` is false (for a build that only reads the
 * entries' export names).
 */
export function vendorFacades(inline, specifiers, exports, { lazy = true } = {}) {
  return {
    name: "vendor-facades",
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (!isVendorImport(args, inline)) return undefined;
        if (!exports.has(args.path)) throw new Error(`${args.importer}: ${args.path} was not vendored`);
        const names = exports.get(args.path).callableDefault
          ? undefined
          : importedNames(args.importer, args.path);
        return {
          path: names === undefined ? args.path : `${args.path}#${names.join(",")}`,
          namespace: VENDOR_FACADE_NAMESPACE,
        };
      });
      b.onLoad({ filter: /.*/, namespace: VENDOR_FACADE_NAMESPACE }, (args) => {
        const [specifier, only] = args.path.split("#");
        const { names, callableDefault } = exports.get(specifier);
        const index = specifiers.indexOf(specifier);
        const exported = only === undefined ? names.filter((name) => name !== "__esModule") : only.split(",");
        return {
          contents: callableDefault || !lazy ? eagerFacade(index, exported) : lazyFacade(index, exported),
          loader: "js",
        };
      });
    },
  };
}
