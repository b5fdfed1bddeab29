// Shared by the package benchmarks that import the built package rather than its sources.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** Newest modification time of the files under `dir` whose name ends with `suffix`. */
function newest(dir: string, suffix: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(suffix) && !entry.name.endsWith(".test.ts"))
      latest = Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

/**
 * URL of a package's built entry (`<packageDir>/dist/index.js`, the file `pnpm build` bundles from
 * `src/`), for benchmarks that measure what ships; refuses a missing build or an entry older than
 * `src/`. The entry's own time is what counts: a package's `tsc -b` (what `turbo run bench` runs
 * first) rewrites only the per-module files of changed sources, so after it the bundled entry still
 * holds the old code while `.tsbuildinfo` looks fresh.
 */
export function builtEntry(packageDir: string): string {
  const entry = join(packageDir, "dist", "index.js");
  if (!existsSync(entry))
    throw new Error(`${entry} is missing: run \`pnpm build\` at the repository root first`);
  if (newest(join(packageDir, "src"), ".ts") > statSync(entry).mtimeMs)
    throw new Error(
      `${entry} is older than src/: run \`pnpm build\` at the repository root first (it bundles the entries)`,
    );
  return pathToFileURL(entry).href;
}
