#!/usr/bin/env node
// Bundles each published package's entry points (the `default` files of package.json `exports`, and
// `bin`) from src with esbuild into dist, over tsc's per-module output of those entries: one module
// per entry plus shared chunks, instead of one module per source file — Node's ESM loader pays for
// every module it resolves, reads and compiles at start-up. Dependencies (other @espada packages
// included) stay external imports; code reachable from several entries of a package lands in one
// shared chunk, so classes stay identical across entries (`instanceof` holds between `.` and
// `./authoring`); relative dynamic imports stay lazy chunks. tsc still writes the declarations (and
// the per-module files, which the entries no longer use). Runs after `tsc -b` in `pnpm build`.
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const root = new URL("../..", import.meta.url).pathname;

/** `{ "testing/index": "src/testing/index.ts" }` for every `./dist/<name>.js` the package exposes. */
function entryPoints(dir, pkg) {
  const targets = [];
  for (const value of Object.values(pkg.exports ?? {}))
    if (typeof value === "object" && typeof value.default === "string") targets.push(value.default);
  for (const value of Object.values(pkg.bin ?? {})) targets.push(value);
  const entries = {};
  for (const target of targets) {
    const name = /^\.\/dist\/(.+)\.js$/.exec(target)?.[1];
    if (name === undefined) throw new Error(`${pkg.name}: entry ${target} is not a ./dist/<name>.js file`);
    const source = join(dir, "src", `${name}.ts`);
    if (!existsSync(source)) throw new Error(`${pkg.name}: entry ${target} has no source ${source}`);
    entries[name] = source;
  }
  return entries;
}

const packagesDir = join(root, "packages");
let bundled = 0;
for (const name of readdirSync(packagesDir)) {
  const dir = join(packagesDir, name);
  const pkgFile = join(dir, "package.json");
  if (!existsSync(pkgFile)) continue;
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
  if (pkg.private) continue;
  rmSync(join(dir, "dist", "chunks"), { recursive: true, force: true });
  await build({
    entryPoints: entryPoints(dir, pkg),
    outdir: join(dir, "dist"),
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    sourcemap: true,
    sourcesContent: false,
    chunkNames: "chunks/[name]-[hash]",
    legalComments: "none",
    logLevel: "warning",
  });
  bundled += 1;
}
console.log(`bundled the entry points of ${bundled} packages`);
