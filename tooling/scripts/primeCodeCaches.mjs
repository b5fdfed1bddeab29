// The last build step: makes the V8 code cache of every compiled script of every package (its code,
// `dist/runtime/code.v8-cache`, see packageCode.mjs; its vendored libraries, `dist/vendor/libs.v8-cache`,
// see vendorLibs.mjs) by running what their start-up serves, in fresh processes without V8 flags (V8
// refuses a cache made under other flags), with codeCacheHook.mjs preloaded: `espada-infra status` on
// the benchmark's workspace, then `espada-infra --help`, then an import of every library entry (for
// the packages neither command loads). The first run to load a script writes its cache.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createStatusWorkspace } from "../bench/statusWorkspace.mjs";

/** Every compiled script of the built package at `dir`, with its cache's path. */
function scriptsOf(dir) {
  return [
    ["runtime", "code"],
    ["vendor", "libs"],
  ]
    .map(([folder, name]) => ({
      script: join(dir, "dist", folder, `${name}.js`),
      cache: join(dir, "dist", folder, `${name}.v8-cache`),
    }))
    .filter(({ script }) => existsSync(script));
}

/** Every library entry (`exports`' `default` files) of the published package at `dir`, as file URLs. */
function libraryEntries(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  if (pkg.private) return [];
  return Object.values(pkg.exports ?? {})
    .filter((value) => typeof value === "object" && typeof value.default === "string")
    .map((value) => pathToFileURL(join(dir, value.default)).href);
}

/** Primes the caches of every package under `root/packages`; throws if one is not made. */
export function primeCodeCaches(root) {
  const packageDirs = readdirSync(join(root, "packages"))
    .map((name) => join(root, "packages", name))
    .filter((dir) => existsSync(join(dir, "package.json")));
  for (const dir of packageDirs) for (const { cache } of scriptsOf(dir)) rmSync(cache, { force: true });
  const infrastructure = join(root, "packages", "infrastructure");
  const { version } = JSON.parse(readFileSync(join(root, "packages", "core", "package.json"), "utf8"));
  const workspace = createStatusWorkspace(infrastructure, version);
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  // the installed `espada-infra` (package.json `bin`)
  const bin = join(
    infrastructure,
    JSON.parse(readFileSync(join(infrastructure, "package.json"), "utf8")).bin["espada-infra"],
  );
  const importAll = `for (const url of ${JSON.stringify(packageDirs.flatMap(libraryEntries))}) await import(url);`;
  try {
    for (const args of [
      [bin, "status"],
      [bin, "--help"],
      ["--input-type=module", "-e", importAll],
    ])
      execFileSync(
        process.execPath,
        ["--import", new URL("./codeCacheHook.mjs", import.meta.url).href, ...args],
        { cwd: workspace, env, stdio: ["ignore", "ignore", "pipe"] },
      );
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
  for (const dir of packageDirs)
    for (const { script, cache } of scriptsOf(dir))
      if (!existsSync(cache) || statSync(cache).mtimeMs < statSync(script).mtimeMs)
        throw new Error(`${dir}: no command primed the code cache of ${script}`);
}
