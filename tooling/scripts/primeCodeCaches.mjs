// The last build step: makes the V8 code cache of every package's vendored libraries
// (`dist/vendor/libs.v8-cache`, see vendorLibs.mjs) by running the commands whose start-up it serves,
// `espada-infra --help` and `espada-infra status` on the benchmark's workspace, in fresh processes
// without V8 flags (V8 refuses a cache made under other flags), with codeCacheHook.mjs preloaded.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { createStatusWorkspace } from "../bench/statusWorkspace.mjs";

/**
 * Primes the caches of every package under `root/packages` that has a `dist/vendor`; throws if one
 * is not made.
 */
export function primeCodeCaches(root) {
  const infrastructure = join(root, "packages", "infrastructure");
  const { version } = JSON.parse(readFileSync(join(root, "packages", "core", "package.json"), "utf8"));
  const workspace = createStatusWorkspace(infrastructure, version);
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  try {
    // `status` last: core's and discovery's caches are then the ones a status run leaves.
    for (const command of [["--help"], ["status"]])
      execFileSync(
        process.execPath,
        [
          "--import",
          new URL("./codeCacheHook.mjs", import.meta.url).href,
          join(infrastructure, "dist", "bin.js"),
          ...command,
        ],
        { cwd: workspace, env, stdio: ["ignore", "ignore", "pipe"] },
      );
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
  for (const name of readdirSync(join(root, "packages"))) {
    const vendorDir = join(root, "packages", name, "dist", "vendor");
    if (!existsSync(vendorDir)) continue;
    const cache = join(vendorDir, "libs.v8-cache");
    if (!existsSync(cache) || statSync(cache).mtimeMs < statSync(join(vendorDir, "libs.js")).mtimeMs)
      throw new Error(`${name}: no command primed the code cache of its vendored libraries`);
  }
}
