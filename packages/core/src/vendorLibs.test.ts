// The build's vendored zod (tooling/scripts/vendorLibs.mjs): core's `dist/vendor/` as `pnpm build`
// leaves it, run in fresh processes (a module runs once per process). Needs a built core.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import * as zodModule from "zod";

const builtDist = join(import.meta.dirname, "..", "dist");
const builtVendor = join(builtDist, "vendor");
const scratch: string[] = [];

/**
 * A copy of the built `dist/vendor` and of the loader it runs through (`dist/runtime/cachedScript.cjs`),
 * timestamps kept, in a scratch folder; returns the copy of `vendor`.
 */
function copyOfVendor(): string {
  const root = mkdtempSync(join(tmpdir(), "espada-vendor-"));
  scratch.push(root);
  const dir = join(root, "vendor");
  cpSync(builtVendor, dir, { recursive: true, preserveTimestamps: true });
  const loader = join("runtime", "cachedScript.cjs");
  cpSync(join(builtDist, loader), join(root, loader), { preserveTimestamps: true });
  return dir;
}

interface Loaded {
  readonly codeCacheUsed: boolean;
  readonly exports: string[];
  readonly parsed: unknown;
}

/** Loads `dir/index.js` in a fresh node and reports whether the cache was used and what zod exports. */
function load(dir: string): Loaded {
  const script = `
    const { vendor, codeCacheUsed } = await import(${JSON.stringify(join(dir, "index.js"))});
    const zod = vendor.v0;
    const parsed = zod.z.object({ port: zod.z.number().int() }).safeParse({ port: 80 });
    process.stdout.write(JSON.stringify({ codeCacheUsed, exports: Object.keys(zod), parsed: parsed.data }));`;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return JSON.parse(
    execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      env,
      stdio: ["ignore", "pipe", "pipe"],
    }),
  ) as Loaded;
}

beforeAll(() => {
  if (!existsSync(join(builtVendor, "libs.v8-cache")))
    throw new Error(`${builtVendor} has no code cache: run \`pnpm build\` at the repository root first`);
});
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("core's vendored zod", () => {
  it("runs from the code cache the build made, and exports what zod exports but its locales", () => {
    const loaded = load(copyOfVendor());
    expect(loaded.codeCacheUsed).toBe(true);
    expect(loaded.parsed).toEqual({ port: 80 });
    const expected = Object.keys(zodModule).filter((name) => name !== "locales");
    expect(loaded.exports.filter((name) => name !== "__esModule").sort()).toEqual(expected.sort());
  });

  it("ignores a cache older than the script (an edited libs.js never runs stale bytecode)", () => {
    const dir = copyOfVendor();
    const scriptTime = statSync(join(dir, "libs.js")).mtime;
    const before = new Date(scriptTime.getTime() - 1000);
    utimesSync(join(dir, "libs.v8-cache"), before, before);
    const loaded = load(dir);
    expect(loaded.codeCacheUsed).toBe(false);
    expect(loaded.parsed).toEqual({ port: 80 });
  });

  it("can be require()d, as hosts load plugins: no top-level await in the graph", () => {
    const entry = join(import.meta.dirname, "..", "dist", "index.js");
    const script = `const core = require(${JSON.stringify(entry)}); process.stdout.write(typeof core.parseInfrastructureConfig);`;
    expect(execFileSync(process.execPath, ["-e", script], { encoding: "utf8" })).toBe("function");
  });

  it("says what to do when its script is not beside it (the package was bundled)", () => {
    const dir = copyOfVendor();
    rmSync(join(dir, "libs.js"));
    expect(() => load(dir)).toThrow(/libs\.js is missing: an @espada package was bundled/);
  });

  it("compiles from source when the cache is missing or is not a V8 cache", () => {
    const missing = copyOfVendor();
    rmSync(join(missing, "libs.v8-cache"));
    expect(load(missing)).toMatchObject({ codeCacheUsed: false, parsed: { port: 80 } });
    const corrupt = copyOfVendor();
    writeFileSync(join(corrupt, "libs.v8-cache"), "not a code cache");
    expect(load(corrupt)).toMatchObject({ codeCacheUsed: false, parsed: { port: 80 } });
  });
});
