#!/usr/bin/env node
// The standalone `espada-infra` command. Loads only the CLI table at start; each command imports
// the framework packages it needs when it runs. No top-level await: the build runs this module's code
// from the package's compiled script (tooling/scripts/packageCode.mjs), which is not a module.
import { runStandalone } from "./cli/standalone.js";

const controller = new AbortController();
let interrupted = 0;
process.on("SIGINT", () => {
  interrupted += 1;
  if (interrupted > 1) process.exit(130);
  process.stderr.write("\ninterrupted: cancelling (press Ctrl-C again to quit at once)\n");
  controller.abort(new Error("interrupted"));
});
void runStandalone(process.argv.slice(2), { signal: controller.signal }).then((code) => {
  process.exitCode = code;
});
