// Preloaded (`node --import`) by tooling/scripts/primeCodeCaches.mjs into real command runs: collects
// the script of every package's vendored libraries as its loader (dist/vendor/index.js) registers it,
// and writes the script's V8 code cache at exit, when the cache also holds the functions the command ran.
import { writeFileSync } from "node:fs";

const scripts = [];
globalThis[Symbol.for("espada.vendorCodeCache")] = scripts;
process.on("exit", () => {
  for (const { script, cachePath } of scripts) writeFileSync(cachePath, script.createCachedData());
});
