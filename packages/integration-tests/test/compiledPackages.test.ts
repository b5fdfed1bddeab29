// The packages as the build ships them (tooling/scripts/packageCode.mjs): each entry is a facade over
// the package's one compiled script, run from the V8 code cache the build made, an ES module for
// `import` and a CommonJS twin for `require()`. Fresh processes (a script runs once per process), on
// the built dist; needs `pnpm build` at the root.
import { execFileSync, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { init, parse } from "es-module-lexer";
import { afterEach, beforeAll, describe, expect, it } from "vitest";

const packagesDir = join(import.meta.dirname, "..", "..");
const scratch: string[] = [];

interface PackageJson {
  readonly name: string;
  readonly private?: boolean;
  readonly exports?: Record<string, string | { readonly default?: string }>;
}

const published = readdirSync(packagesDir)
  .map((name) => join(packagesDir, name))
  .filter((dir) => existsSync(join(dir, "package.json")))
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PackageJson }))
  .filter(({ pkg }) => pkg.private !== true);

/** The file URLs of a package's library entries (`exports`' `default` files). */
function entriesOf(dir: string, pkg: PackageJson): string[] {
  return Object.values(pkg.exports ?? {}).flatMap((value) =>
    typeof value === "object" && value.default !== undefined
      ? [pathToFileURL(join(dir, value.default)).href]
      : [],
  );
}

/** The specifiers of a package's library entries (`@espada/infra-core/testing`). */
function specifiersOf(pkg: PackageJson): string[] {
  return Object.entries(pkg.exports ?? {}).flatMap(([key, value]) =>
    typeof value === "object" ? [key === "." ? pkg.name : `${pkg.name}/${key.slice(2)}`] : [],
  );
}

/** Where the integration tests resolve every published package from (they depend on all of them). */
const integrationTests = join(packagesDir, "integration-tests");

/** Runs `code` (an ES module, or CommonJS with `type` "commonjs") in a fresh node and returns what it printed. */
function runFresh(code: string, cwd = packagesDir, type: "module" | "commonjs" = "module"): string {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return execFileSync(process.execPath, [`--input-type=${type}`, "-e", code], {
    cwd,
    encoding: "utf8",
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** The compiled scripts a fresh process ran after `imports`, by path relative to packages/, with whether each used its cache. */
function scriptsRunBy(imports: readonly string[], cwd?: string): Record<string, boolean> {
  const code = `
    for (const url of ${JSON.stringify(imports)}) await import(url);
    const ran = globalThis[Symbol.for("espada.cachedScripts")] ?? new Map();
    process.stdout.write(JSON.stringify(Object.fromEntries([...ran].map(([path, r]) => [path, r.codeCacheUsed]))));`;
  const ran = JSON.parse(runFresh(code, cwd)) as Record<string, boolean>;
  return Object.fromEntries(
    Object.entries(ran).map(([path, used]) => [path.slice(packagesDir.length + 1), used]),
  );
}

/** A copy of the built package at `dir` (package.json and dist, timestamps kept) inside it, so it resolves what the package depends on. */
function copyOfPackage(dir: string): string {
  const copy = mkdtempSync(join(dir, ".tmp-compiled-"));
  scratch.push(copy);
  cpSync(join(dir, "package.json"), join(copy, "package.json"));
  cpSync(join(dir, "dist"), join(copy, "dist"), { recursive: true, preserveTimestamps: true });
  return copy;
}

const core = join(packagesDir, "core");

beforeAll(() => {
  if (!existsSync(join(core, "dist", "runtime", "code.v8-cache")))
    throw new Error("the packages are not built: run `pnpm build` at the repository root first");
});
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("compiled packages", () => {
  it.each(published.map(({ dir, pkg }) => [pkg.name, dir, pkg] as const))(
    "%s: every entry loads, and every script it runs comes from the code cache the build made",
    (_name, dir, pkg) => {
      const ran = scriptsRunBy(entriesOf(dir, pkg));
      expect(Object.keys(ran).length).toBeGreaterThan(0);
      expect(Object.entries(ran).filter(([, used]) => !used)).toEqual([]);
    },
  );

  it.each(published.map(({ dir, pkg }) => [pkg.name, dir] as const))(
    "%s: its compiled scripts are ASCII, so V8 holds them as one-byte strings",
    (_name, dir) => {
      const scripts = [join(dir, "dist", "runtime", "code.js"), join(dir, "dist", "vendor", "libs.js")];
      for (const script of scripts.filter((path) => existsSync(path))) {
        const outside = /[^\x00-\x7f]/.exec(readFileSync(script, "utf8"));
        expect(
          outside === null ? null : `${script}: ${JSON.stringify(outside[0])} at ${outside.index}`,
        ).toBeNull();
      }
    },
  );

  it.each(published.map(({ pkg }) => [pkg.name, pkg] as const))(
    "%s: every entry can be require()d, from the code cache, and hands out the objects import() does",
    (_name, pkg) => {
      const specifiers = specifiersOf(pkg);
      // require() first, in a CommonJS process, then import() of the same entries.
      const code = `
        const specifiers = ${JSON.stringify(specifiers)};
        const required = specifiers.map((specifier) => require(specifier));
        const ran = [...globalThis[Symbol.for("espada.cachedScripts")]];
        (async () => {
          const result = [];
          for (const [i, specifier] of specifiers.entries()) {
            const namespace = await import(specifier);
            const names = Object.keys(namespace);
            result.push({
              specifier,
              names: names.length,
              sameNames: JSON.stringify(names) === JSON.stringify(Object.keys(required[i]).filter((n) => n !== "__esModule").sort()),
              different: names.filter((n) => namespace[n] !== required[i][n]),
            });
          }
          process.stdout.write(JSON.stringify({
            result,
            ran: ran.map(([path, r]) => [path.slice(${JSON.stringify(packagesDir.length + 1)}), r.codeCacheUsed]),
          }));
        })();`;
      const { result, ran } = JSON.parse(runFresh(code, integrationTests, "commonjs")) as {
        result: { specifier: string; names: number; sameNames: boolean; different: string[] }[];
        ran: [string, boolean][];
      };
      expect(result.map((r) => r.specifier)).toEqual(specifiers);
      for (const r of result) {
        expect(r.names, r.specifier).toBeGreaterThan(0);
        expect(r.sameNames, r.specifier).toBe(true);
        expect(r.different, r.specifier).toEqual([]);
      }
      expect(ran.length).toBeGreaterThan(0);
      expect(ran.filter(([, used]) => !used)).toEqual([]);
    },
  );

  it("require() of a package from another package's script loads CommonJS facades only, never the ES module loader", () => {
    // The sdk's script requires @espada/infra-core; core's script requires its #vendor (zod) when a
    // schema is first built, not before.
    const code = `
      const ours = () => Object.keys(require.cache).filter((f) => f.startsWith(${JSON.stringify(`${packagesDir}/`)})).map((f) => f.slice(${JSON.stringify(packagesDir.length + 1)}));
      const sdk = require("@espada/infra-sdk");
      const loaded = ours();
      require("@espada/infra-core/zod").z.string().parse("built");
      process.stdout.write(JSON.stringify({
        loaded,
        files: ours(),
        esmJobs: process.moduleLoadList.includes("NativeModule internal/modules/esm/module_job"),
      }));`;
    const { loaded, files, esmJobs } = JSON.parse(runFresh(code, integrationTests, "commonjs")) as {
      loaded: string[];
      files: string[];
      esmJobs: boolean;
    };
    expect(loaded).toEqual(
      expect.arrayContaining([
        "sdk/dist/index.cjs",
        "sdk/dist/runtime/cachedScript.cjs",
        "core/dist/authoring.cjs",
      ]),
    );
    expect(loaded).not.toContain("core/dist/vendor/index.cjs");
    expect(files).toContain("core/dist/vendor/index.cjs");
    expect(files.filter((f) => f.endsWith(".js"))).toEqual([]);
    expect(esmJobs).toBe(false);
  });

  it("runs a package's code once: its entries share classes, and a second copy of the loader gets the same script", () => {
    const code = `
      const core = await import(${JSON.stringify(pathToFileURL(join(core, "dist", "index.js")).href)});
      const authoring = await import(${JSON.stringify(pathToFileURL(join(core, "dist", "authoring.js")).href)});
      const { createRequire } = await import("node:module");
      const require = createRequire(import.meta.url);
      const loaderPath = ${JSON.stringify(join(core, "dist", "runtime", "cachedScript.cjs"))};
      delete require.cache[loaderPath]; // the facades required it: this is a second copy
      const loader = require(loaderPath);
      const again = loader.runCachedScript(new URL(${JSON.stringify(pathToFileURL(join(core, "dist", "runtime", "code.js")).href)}));
      process.stdout.write(JSON.stringify([
        core.LifecycleStateMachine === authoring.LifecycleStateMachine,
        again.exports.index.LifecycleStateMachine === core.LifecycleStateMachine,
      ]));`;
    expect(JSON.parse(runFresh(code))).toEqual([true, true]);
  });

  it("can be require()d, as hosts load plugins: no top-level await in any entry", () => {
    const entry = join(packagesDir, "infrastructure", "dist", "index.js");
    const code = `const plugin = require(${JSON.stringify(entry)}); process.stdout.write(typeof plugin.default.register);`;
    expect(execFileSync(process.execPath, ["-e", code], { encoding: "utf8" })).toBe("function");
  });

  it("ignores a code cache older than its script (an edited script never runs stale bytecode)", () => {
    const copy = copyOfPackage(core);
    const cache = join(copy, "dist", "runtime", "code.v8-cache");
    const before = new Date(Date.now() - 3_600_000);
    utimesSync(cache, before, before);
    const ran = scriptsRunBy([pathToFileURL(join(copy, "dist", "index.js")).href]);
    const relative = join(copy, "dist", "runtime", "code.js").slice(packagesDir.length + 1);
    expect(ran[relative]).toBe(false);
    expect(
      runFresh(
        `const core = await import(${JSON.stringify(pathToFileURL(join(copy, "dist", "index.js")).href)}); process.stdout.write(typeof core.parseInfrastructureConfig);`,
      ),
    ).toBe("function");
  });

  it("reads an ASCII script as Latin-1 and any other as UTF-8: the same text either way", () => {
    const copy = copyOfPackage(core);
    const script = join(copy, "dist", "runtime", "code.js");
    const text = readFileSync(script, "utf8");
    writeFileSync(script, text.replace('"use strict";', '"use strict";globalThis.espadaText = "é → ok";'));
    const read = `const core = await import(${JSON.stringify(pathToFileURL(join(copy, "dist", "index.js")).href)}); process.stdout.write(typeof core.parseInfrastructureConfig + " " + globalThis.espadaText);`;
    expect(runFresh(read)).toBe("function é → ok");
    writeFileSync(
      script,
      text.replace('"use strict";', '"use strict";globalThis.espadaText = "\\u00e9 ok";'),
    );
    expect(runFresh(read)).toBe("function é ok");
  });

  it("says what to do when the script is not where the package put it (the package was bundled)", () => {
    const copy = copyOfPackage(core);
    rmSync(join(copy, "dist", "runtime", "code.js"));
    expect(() =>
      runFresh(`await import(${JSON.stringify(pathToFileURL(join(copy, "dist", "index.js")).href)});`),
    ).toThrow(/code\.js is missing: an @espada package was bundled into another file/);
  });

  it("leaves no dynamic import() in a script: other packages are required, everything else goes through __import", async () => {
    await init;
    for (const { dir } of published) {
      const code = readFileSync(join(dir, "dist", "runtime", "code.js"), "utf8");
      const [imports] = parse(code);
      expect(imports.filter((i) => i.d >= 0).map((i) => `${dir}: ${code.slice(i.ss, i.ss + 60)}`)).toEqual(
        [],
      );
    }
  });
});

describe("espada-infra status in a fresh process", () => {
  it("loads each package it needs once and one script loader, never zod (its parsers were compiled at build time), and writes to its pipes without Node's net module", async () => {
    const { createStatusWorkspace } = await import("../../../tooling/bench/statusWorkspace.mjs");
    const infrastructure = join(packagesDir, "infrastructure");
    const { version } = JSON.parse(readFileSync(join(packagesDir, "core", "package.json"), "utf8")) as {
      version: string;
    };
    const workspace = createStatusWorkspace(infrastructure, version);
    scratch.push(workspace);
    const report = join(workspace, "report.json");
    const hook = join(workspace, "report.cjs");
    writeFileSync(
      hook,
      `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(report)}, JSON.stringify({ scripts: [...globalThis[Symbol.for("espada.cachedScripts")].keys()], builtins: process.moduleLoadList, loaders: Object.keys(require.cache).filter((path) => path.endsWith("cachedScript.cjs")).length })));`,
    );
    // stdout and stderr are pipes, as under a shell's `|` or the benchmark.
    const out = execFileSync(
      process.execPath,
      ["-r", hook, join(infrastructure, "dist", "bin.cjs"), "status", "--json"],
      { cwd: workspace, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    expect(JSON.parse(out)).toMatchObject({ data: { instances: 1, overallHealth: "healthy" } });
    const { scripts, builtins, loaders } = JSON.parse(readFileSync(report, "utf8")) as {
      scripts: string[];
      builtins: string[];
      loaders: number;
    };
    // Paths as `require()` resolved them: a package reached through a symlink it did not resolve
    // would appear twice, under node_modules.
    expect(scripts.map((path) => relative(packagesDir, path)).sort()).toEqual([
      "core/dist/runtime/code.js",
      "discovery/dist/runtime/code.js",
      "discovery/dist/vendor/libs.js",
      "infrastructure/dist/runtime/code.js",
      "registry/dist/runtime/code.js",
      "sdk/dist/runtime/code.js",
    ]);
    expect(builtins).not.toContain("NativeModule net");
    // One copy of the script loader serves every package built with it.
    expect(loaders).toBe(1);
  });

  it("ends quietly, exit code 0, when its reader is gone (`espada-infra --help | true`)", async () => {
    const bin = join(packagesDir, "infrastructure", "dist", "bin.cjs");
    const child = spawn(process.execPath, [bin, "--help"], { stdio: ["ignore", "pipe", "pipe"] });
    // Closed before the child (a fresh Node process) can write: its write fails with EPIPE.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const code = await new Promise<number | null>((done) => child.on("close", done));
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
  });
});
