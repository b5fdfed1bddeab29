// The run-time loader of a package's compiled scripts. The build (tooling/scripts/bundle-entries.mjs)
// writes a CommonJS copy of this file to the package's `dist/runtime/cachedScript.cjs`, which both
// kinds of facade use: the CommonJS facades `require()` it, and the ES module facades require it too
// (through `process.getBuiltinModule("node:module")`), so a `require()` of the package never enters
// Node's ES module loader and an `import` of it costs that loader only the facade. One map of the
// scripts already run, so both facades hand out the same objects. A script is one function taking
// CommonJS's module parameters and `__import` (a dynamic `import()` resolved from the package): the
// package's own code (`dist/runtime/code.js`, reached through the entry facades) or the libraries it
// inlines (`dist/vendor/libs.js`, reached as `#vendor`). Each runs once per process, compiled with the
// V8 code cache the build made beside it (`<name>.v8-cache`, by running real commands), so a command
// does not parse and compile its code before its first line runs: Node 20 has no compile cache for
// ES modules. No top-level await: the CommonJS copy could not have one.
//
// V8 refuses a cache made by another V8 version or with other V8 flags (the script is then compiled
// as usual), but it checks only the length of the source: a cache older than the script is not used,
// so an edited script is never run with the bytecode of the build it replaced.
import { isAscii } from "node:buffer";
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";

/**
 * Scripts already run in this process, by path: one instance of a package's code even when a test
 * runner loads this loader twice (once natively, once through its own module system).
 */
const ran = (globalThis[Symbol.for("espada.cachedScripts")] ??= new Map());

/** The code cache beside `scriptPath`, when it is at least as new as the script. */
function readCodeCache(scriptPath, cachePath) {
  try {
    if (statSync(cachePath).mtimeMs < statSync(scriptPath).mtimeMs) return undefined;
    return readFileSync(cachePath);
  } catch {
    return undefined;
  }
}

/**
 * The script's text; a clear error when it is not where the package put it (the package was bundled).
 * The build writes ASCII scripts, and ASCII bytes are the same text read as Latin-1, which Node 20
 * decodes ~4× faster than UTF-8 (0.4 ms against 1.5 ms for core's script, at every start); any other
 * content is read as UTF-8.
 */
function readScript(scriptPath) {
  try {
    const bytes = readFileSync(scriptPath);
    return bytes.toString(isAscii(bytes) ? "latin1" : "utf8");
  } catch (error) {
    if (error.code !== "ENOENT") throw error;
    throw new Error(
      `${scriptPath} is missing: an @espada package was bundled into another file; leave @espada packages out of the bundle, or copy the package's dist folder beside the bundle`,
      { cause: error },
    );
  }
}

/**
 * `import()` for the scripts' dynamic imports that are not of an `@espada` package: URLs (plugin
 * files) and `node:` builtins. Not a package name: one loader serves several packages, and the
 * build refuses a script that imports a package by name dynamically (`routeDynamicImports`).
 */
const importFromPackage = (specifier) => import(specifier);

/**
 * The script's `require`: Node's, from the script's path, except that each `@espada` package is
 * resolved once per script. esbuild's output requires a package in every module that imports it
 * (registry's modules require core seven times), and Node resolves the specifier again each time
 * (it remembers a resolution only when it loads the module): 0.1 to 0.4 ms each, ~2 % of
 * `espada-infra status`. Our packages' facades assign `module.exports` once, and packages do not
 * depend on each other in a cycle, so the first result is the one every later call would get.
 */
function scriptRequire(scriptPath) {
  const require = createRequire(scriptPath);
  const packages = new Map();
  return (specifier) => {
    if (!specifier.startsWith("@espada/")) return require(specifier);
    let exports = packages.get(specifier);
    if (exports === undefined) {
      exports = require(specifier);
      packages.set(specifier, exports);
    }
    return exports;
  };
}

/**
 * Runs the script at `url` (once per process) and returns its `module.exports` and whether V8
 * compiled it from the shipped code cache.
 */
export function runCachedScript(url) {
  const scriptPath = fileURLToPath(url);
  const done = ran.get(scriptPath);
  if (done !== undefined) return done;
  const cachePath = scriptPath.replace(/\.js$/, ".v8-cache");
  const cachedData = readCodeCache(scriptPath, cachePath);
  const script = new Script(readScript(scriptPath), {
    filename: scriptPath,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  // The build's priming run (tooling/scripts/primeCodeCaches.mjs) collects the script to write its cache.
  globalThis[Symbol.for("espada.codeCache")]?.push({ script, cachePath });
  const module = { exports: {} };
  script.runInThisContext()(
    module.exports,
    scriptRequire(scriptPath),
    module,
    scriptPath,
    dirname(scriptPath),
    importFromPackage,
  );
  const result = {
    exports: module.exports,
    codeCacheUsed: cachedData !== undefined && !script.cachedDataRejected,
  };
  ran.set(scriptPath, result);
  return result;
}
