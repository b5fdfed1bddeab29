// Fuzz test: hostile plugin trees never make discover() throw, and never yield an entry outside its plugin directory.
import { existsSync, mkdirSync, realpathSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { manifest, meta, providerModule, tempDir } from "../test/fixtures.js";
import { InfrastructurePluginDiscoverer } from "./discoverer.js";
import { MANIFEST_FILE_NAMES, PACKAGE_JSON_KEY } from "./manifest.js";

const PATH_TRICKS = [
  "../x.js",
  "../../etc/passwd.js",
  "/etc/passwd.js",
  "a/../../x.js",
  "./a/./../../x.js",
  "..\\x.js",
  "C:/x.js",
  "file:///etc/x.js",
  "data:text/javascript,export default 1",
  "node:fs",
  "%2e%2e/x.js",
  "x.js\0.js",
  "",
  ".",
  "./",
  "loop.js",
  "out.js",
  "dir-link/x.js",
  "ok.js",
  "sub/ok.js",
] as const;

const FIELDS = ["name", "version", "frameworkVersion", "providers", "description", "extra"] as const;
const PROVIDER_FIELDS = [
  "meta",
  "entry",
  "export",
  "meta.id",
  "meta.version",
  "meta.category",
  "meta.authMethods",
] as const;

type Plugin =
  | { kind: "json"; file: number; json: unknown }
  | { kind: "mutated"; file: number; field: (typeof FIELDS)[number]; value: unknown }
  | { kind: "provider"; file: number; field: (typeof PROVIDER_FIELDS)[number]; value: unknown }
  | { kind: "entry"; file: number; entry: string }
  | { kind: "huge"; file: number; size: number }
  | { kind: "text"; file: number; text: string }
  | { kind: "links"; variant: number };

const jsonish = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ maxLength: 40 }),
  fc.constantFrom(null, 0, -1, 1e308, true, [], {}),
);
const plugin: fc.Arbitrary<Plugin> = fc.oneof(
  fc.record({ kind: fc.constant("json" as const), file: fc.nat(3), json: fc.jsonValue({ maxDepth: 4 }) }),
  fc.record({
    kind: fc.constant("mutated" as const),
    file: fc.nat(3),
    field: fc.constantFrom(...FIELDS),
    value: jsonish,
  }),
  fc.record({
    kind: fc.constant("provider" as const),
    file: fc.nat(3),
    field: fc.constantFrom(...PROVIDER_FIELDS),
    value: jsonish,
  }),
  fc.record({
    kind: fc.constant("entry" as const),
    file: fc.nat(3),
    entry: fc.oneof(fc.constantFrom(...PATH_TRICKS), fc.string({ maxLength: 20 })),
  }),
  fc.record({ kind: fc.constant("huge" as const), file: fc.nat(3), size: fc.constantFrom(5_000, 70_000) }),
  fc.record({ kind: fc.constant("text" as const), file: fc.nat(3), text: fc.string({ maxLength: 60 }) }),
  fc.record({ kind: fc.constant("links" as const), variant: fc.nat(5) }),
);

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node: Record<string, unknown> = target;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}

function safeWrite(path: string, content: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  } catch {
    // Some generated names cannot exist on disk (NUL, a parent that is a file): that is fine.
  }
}

/** Writes one generated plugin into `dir`, next to a good module, an outside module and a few links. */
function writeGenerated(root: string, dir: string, spec: Plugin, index: number): void {
  mkdirSync(dir, { recursive: true });
  const id = `fz-${index}`;
  safeWrite(join(dir, "ok.js"), providerModule(meta(id)));
  safeWrite(join(dir, "sub", "ok.js"), providerModule(meta(id)));
  safeWrite(join(root, "outside", "out.js"), providerModule(meta("outside")));
  try {
    symlinkSync(join(root, "outside", "out.js"), join(dir, "out.js"));
    symlinkSync(join(dir, "loop.js"), join(dir, "loop.js"));
    symlinkSync(join(root, "outside"), join(dir, "dir-link"));
  } catch {
    // already there
  }
  const base = manifest(`p${index}`, [id]);
  (base.providers as { entry: string }[])[0]!.entry = "./ok.js";
  const fileName = (n: number): string => MANIFEST_FILE_NAMES[n] ?? "infrastructure.plugin.json";
  const asFile = (n: number, body: Record<string, unknown>): [string, string] => {
    const name = fileName(n);
    if (name !== "package.json") return [name, JSON.stringify(body)];
    const { name: pkgName, version, ...rest } = body;
    return [name, JSON.stringify({ name: pkgName, version, [PACKAGE_JSON_KEY]: rest })];
  };
  switch (spec.kind) {
    case "json":
      safeWrite(join(dir, fileName(spec.file)), JSON.stringify(spec.json) ?? "null");
      return;
    case "mutated": {
      setPath(base, spec.field, spec.value);
      const [name, text] = asFile(spec.file, base);
      safeWrite(join(dir, name), text);
      return;
    }
    case "provider": {
      setPath((base.providers as Record<string, unknown>[])[0]!, spec.field, spec.value);
      const [name, text] = asFile(spec.file, base);
      safeWrite(join(dir, name), text);
      return;
    }
    case "entry": {
      (base.providers as { entry: string }[])[0]!.entry = spec.entry;
      const [name, text] = asFile(spec.file, base);
      safeWrite(join(dir, name), text);
      return;
    }
    case "huge": {
      base.description = "d".repeat(spec.size);
      const [name, text] = asFile(spec.file, base);
      safeWrite(join(dir, name), text);
      return;
    }
    case "text":
      safeWrite(join(dir, fileName(spec.file)), spec.text);
      return;
    case "links": {
      const [name, text] = asFile(0, base);
      try {
        if (spec.variant === 0) symlinkSync(dir, join(dir, "self")); // a directory containing itself
        if (spec.variant === 1) symlinkSync(join(dir, name), join(dir, name)); // the manifest is a loop
        if (spec.variant === 2) symlinkSync(root, join(dir, "..", `up-${index}`)); // a plugin dir pointing at the root
        if (spec.variant === 3) symlinkSync(join(root, "outside", "out.js"), join(dir, name)); // manifest links out
        if (spec.variant === 4) symlinkSync(join(dir, `a-${index}`), join(dir, "..", `b-${index}`)); // dangling
        if (spec.variant === 5) {
          symlinkSync(join(dir, "..", `m-${index}`), join(dir, "..", `n-${index}`));
          symlinkSync(join(dir, "..", `n-${index}`), join(dir, "..", `m-${index}`)); // a two-link cycle
        }
      } catch {
        // already there
      }
      if (spec.variant !== 1 && spec.variant !== 3) safeWrite(join(dir, name), text);
      return;
    }
  }
}

describe("discover() under hostile plugin trees (fast-check)", () => {
  it("never throws and never yields an entry outside its plugin directory", async () => {
    let yielded = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(plugin, { minLength: 1, maxLength: 8 }),
        fc.array(plugin, { maxLength: 3 }),
        async (locals, installed) => {
          const { dir: root, remove } = tempDir("espada-fuzz-");
          try {
            locals.forEach((spec, i) => writeGenerated(root, join(root, "local", `p${i}`), spec, i));
            installed.forEach((spec, i) =>
              writeGenerated(
                root,
                join(root, "node_modules", `pkg${i}`),
                { ...spec, ...("file" in spec ? { file: 3 } : {}) },
                100 + i,
              ),
            );
            const discoverer = new InfrastructurePluginDiscoverer({
              cwd: root,
              config: {
                localDirs: ["local", "local/p0"],
                bundledDirs: ["local/p1"],
                maxManifestBytes: 64 * 1024,
              },
            });
            const result = await discoverer.discover();
            yielded += result.providers.length;
            for (const found of result.providers) {
              const pluginDir = found.plugin.path!;
              expect(realpathSync(pluginDir)).toBe(pluginDir);
              expect(existsSync(found.entry)).toBe(true);
              const real = realpathSync(found.entry);
              expect(real).toBe(found.entry);
              expect(real.startsWith(pluginDir + sep)).toBe(true);
              expect(statSync(real).isFile()).toBe(true);
              expect(real.startsWith(join(realpathSync(root), "outside"))).toBe(false);
            }
            for (const problem of result.problems) {
              expect(typeof problem.location).toBe("string");
              expect(typeof problem.message).toBe("string");
            }
            discoverer.close();
          } finally {
            remove();
          }
        },
      ),
      { numRuns: 40 },
    );
    // The entry check above must have been exercised, not just vacuously true.
    expect(yielded).toBeGreaterThan(0);
  }, 120_000);
});
