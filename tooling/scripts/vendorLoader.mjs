// The run-time loader of a package's vendored libraries. The build (tooling/scripts/vendorLibs.mjs)
// copies this file to the package's `dist/vendor/index.js`, which the package's bundles reach as
// `#vendor` (package.json `imports`). It runs `dist/vendor/libs.js` (the libraries bundled as one
// function) once per process and compiles it with the V8 code cache the build made beside it
// (`libs.v8-cache`, by running real commands), so a command does not parse ~300 KB of zod or yaml
// before its first line runs. No top-level await: hosts load plugins with `require()`, which Node
// refuses for a module graph that has one.
//
// V8 refuses a cache made by another V8 version or with other V8 flags (the script is then compiled
// as usual), but it checks only the length of the source: a cache older than the script is not used,
// so an edited `libs.js` is never run with the bytecode of the build it replaced.
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";

const scriptPath = fileURLToPath(new URL("./libs.js", import.meta.url));
const cachePath = fileURLToPath(new URL("./libs.v8-cache", import.meta.url));

/** The shipped code cache, when it is at least as new as the script. */
function readCodeCache() {
  try {
    if (statSync(cachePath).mtimeMs < statSync(scriptPath).mtimeMs) return undefined;
    return readFileSync(cachePath);
  } catch {
    return undefined;
  }
}

/** `libs.js`, read; a clear error when it is not beside this file (the package was bundled). */
function readScript() {
  try {
    return readFileSync(scriptPath, "utf8");
  } catch (error) {
    if (error.code !== "ENOENT") throw error;
    throw new Error(
      `${scriptPath} is missing: an @espada package was bundled into another file; leave @espada packages out of the bundle, or copy the package's dist/vendor/libs.js and libs.v8-cache to this path`,
      { cause: error },
    );
  }
}

const cachedData = readCodeCache();
const script = new Script(readScript(), {
  filename: scriptPath,
  ...(cachedData === undefined ? {} : { cachedData }),
});
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(scriptPath), module, scriptPath, dirname(scriptPath));

// The build's priming run (tooling/scripts/primeCodeCaches.mjs) collects the script to write its cache.
globalThis[Symbol.for("espada.vendorCodeCache")]?.push({ script, cachePath });

/** The vendored libraries' module namespaces (`v0`, `v1`, … in the order the build lists them). */
export const vendor = module.exports;

/** Whether V8 compiled the libraries from the shipped code cache. */
export const codeCacheUsed = cachedData !== undefined && !script.cachedDataRejected;
