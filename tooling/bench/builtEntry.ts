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
 * URL of a package's built entry (`<packageDir>/dist/index.js`), for benchmarks that measure what
 * ships; refuses a missing build or one older than `src/`.
 */
export function builtEntry(packageDir: string): string {
  const entry = join(packageDir, "dist", "index.js");
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`pnpm build\` first`);
  // tsc -b touches .tsbuildinfo even when it finds sources newer but unchanged
  const buildInfo = join(packageDir, "dist", ".tsbuildinfo");
  const built = existsSync(buildInfo) ? statSync(buildInfo).mtimeMs : newest(join(packageDir, "dist"), ".js");
  if (newest(join(packageDir, "src"), ".ts") > built)
    throw new Error(`${join(packageDir, "dist")} is older than src/: run \`pnpm build\` first`);
  return pathToFileURL(entry).href;
}
