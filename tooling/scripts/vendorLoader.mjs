// The run-time loader of a package's vendored libraries. The build (tooling/scripts/vendorLibs.mjs)
// copies this file to the package's `dist/vendor/index.js`, which the package's bundles reach as
// `#vendor` (package.json `imports`). `dist/vendor/libs.js` is an ES module whose default export is
// the libraries bundled as one function; this loader runs it once per process, compiled as a classic
// script with the V8 code cache the build made beside it (`libs.v8-cache`, by running real commands),
// so a command does not parse ~300 KB of zod or yaml before its first line runs.
//
// V8 refuses a cache made by another V8 version or with other V8 flags (the script is then compiled
// as usual), but it checks only the length of the source: a cache older than the script is not used,
// so an edited `libs.js` is never run with the bytecode of the build it replaced. When `libs.js` is
// not beside this file (someone bundled the package into one file), the bundler followed the
// `import("./libs.js")` below and the libraries come from the bundle, without a cache.
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";

const scriptPath = fileURLToPath(new URL("./libs.js", import.meta.url));
const cachePath = fileURLToPath(new URL("./libs.v8-cache", import.meta.url));
/** What makes `libs.js` a module; as spaces it leaves a script of the same length and columns. */
const MODULE_PREFIX = "export default ";

/** The shipped code cache, when it is at least as new as the script. */
function readCodeCache() {
  try {
    if (statSync(cachePath).mtimeMs < statSync(scriptPath).mtimeMs) return undefined;
    return readFileSync(cachePath);
  } catch {
    return undefined;
  }
}

/** `libs.js` compiled as a script (with the code cache when it is usable), or undefined without the file. */
function compileScript() {
  let source;
  try {
    source = readFileSync(scriptPath, "utf8");
  } catch (error) {
    if (error.code === "ENOENT") return undefined;
    throw error;
  }
  if (!source.startsWith(MODULE_PREFIX)) throw new Error(`${scriptPath} is not a vendored-libraries bundle`);
  const cachedData = readCodeCache();
  const script = new Script(" ".repeat(MODULE_PREFIX.length) + source.slice(MODULE_PREFIX.length), {
    filename: scriptPath,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  // The build's priming run (tooling/scripts/primeCodeCaches.mjs) collects the script to write its cache.
  globalThis[Symbol.for("espada.vendorCodeCache")]?.push({ script, cachePath });
  return {
    run: script.runInThisContext(),
    cacheUsed: cachedData !== undefined && !script.cachedDataRejected,
  };
}

const compiled = compileScript();
const run = compiled?.run ?? (await import("./libs.js")).default;
const module = { exports: {} };
run(module.exports, createRequire(scriptPath), module, scriptPath, dirname(scriptPath));

/** The vendored libraries' module namespaces (`v0`, `v1`, … in the order the build lists them). */
export const vendor = module.exports;

/** Whether V8 compiled the libraries from the shipped code cache. */
export const codeCacheUsed = compiled?.cacheUsed ?? false;
