// Preloaded (`node --import`) by tooling/scripts/primeCodeCaches.mjs into real command runs: collects
// every compiled script (a package's code, its vendored libraries) as runtime/cachedScript.cjs runs it,
// and writes the script's V8 code cache at exit, when the cache also holds the functions the command
// ran. A cache an earlier run of the priming wrote is kept: the first command to run a script is the
// one its cache serves.
import { existsSync, writeFileSync } from "node:fs";

const scripts = [];
globalThis[Symbol.for("espada.codeCache")] = scripts;
process.on("exit", () => {
  for (const { script, cachePath } of scripts)
    if (!existsSync(cachePath)) writeFileSync(cachePath, script.createCachedData());
});
