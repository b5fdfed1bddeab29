import { mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isInfrastructureError } from "@espada/infra-core";
import { loads, manifest, meta, providerModule, tempDir, writeFiles, writePlugin } from "../test/fixtures.js";
import { InfrastructurePluginDiscoverer, getFrameworkVersion } from "./discoverer.js";
import { PACKAGE_JSON_KEY } from "./manifest.js";

let dir: string;
let remove: () => void;
beforeEach(() => {
  ({ dir, remove } = tempDir());
});
afterEach(() => remove());

const discoverer = (
  config: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): InfrastructurePluginDiscoverer =>
  new InfrastructurePluginDiscoverer({ cwd: dir, config: { installedDirs: [], ...config }, ...extra });

const factoryOptions = { instanceId: "i-1", settings: {}, logger: undefined as never };

describe("InfrastructurePluginDiscoverer: local sources", () => {
  it("finds plugins under every manifest name, in a folder of plugins or a plugin folder itself", async () => {
    writePlugin(join(dir, "local", "a"), "plugin-a", ["prov-a"]);
    writePlugin(join(dir, "local", "b"), "plugin-b", ["prov-b"], "espada-infrastructure.json");
    writePlugin(join(dir, "local", "c"), "plugin-c", ["prov-c"], "plugin.json");
    writeFiles(join(dir, "local", "d"), {
      "package.json": {
        name: "plugin-d",
        version: "2.0.0",
        [PACKAGE_JSON_KEY]: {
          frameworkVersion: "*",
          providers: [{ meta: meta("prov-d"), entry: "./index.js" }],
        },
      },
      "index.js": providerModule(meta("prov-d")),
    });
    writeFiles(join(dir, "local", "not-a-plugin"), {
      "plugin.json": { name: "some other tool" },
      "package.json": { name: "x", version: "1.0.0" },
    });
    writePlugin(join(dir, "single"), "plugin-single", ["prov-single"]);
    const result = await discoverer({ localDirs: ["local", "single"] }).discover();
    expect(result.problems).toEqual([]);
    expect(result.providers.map((p) => p.meta.id)).toEqual([
      "prov-a",
      "prov-b",
      "prov-c",
      "prov-d",
      "prov-single",
    ]);
    const d = result.providers.find((p) => p.meta.id === "prov-d");
    expect(d?.plugin).toMatchObject({ name: "plugin-d", version: "2.0.0" });
    expect(d?.source).toBe("local");
    expect(d?.entry).toBe(join(d?.plugin.path ?? "", "index.js"));
  });

  it("takes installed plugins from package.json in node_modules, scoped and symlinked (pnpm layout) included", async () => {
    const store = join(dir, "node_modules", ".pnpm", "real-pkg");
    writeFiles(store, {
      "package.json": {
        name: "linked",
        version: "1.2.3",
        [PACKAGE_JSON_KEY]: { frameworkVersion: "*", providers: [{ meta: meta("linked"), entry: "./i.js" }] },
      },
      "i.js": providerModule(meta("linked")),
    });
    symlinkSync(store, join(dir, "node_modules", "linked"));
    writeFiles(join(dir, "node_modules", "@acme", "cloud"), {
      "package.json": {
        name: "@acme/cloud",
        version: "0.3.0",
        [PACKAGE_JSON_KEY]: {
          frameworkVersion: "*",
          providers: [{ meta: meta("acme-cloud"), entry: "./i.js" }],
        },
      },
      "i.js": providerModule(meta("acme-cloud")),
    });
    writeFiles(join(dir, "node_modules", "lodash"), { "package.json": { name: "lodash", version: "4.0.0" } });
    writeFiles(join(dir, "node_modules", "broken"), { "package.json": "{ not json" });
    // A dedicated manifest in node_modules is not read: installed plugins declare themselves in package.json.
    writePlugin(join(dir, "node_modules", "dedicated"), "dedicated", ["dedicated"]);
    const result = await new InfrastructurePluginDiscoverer({ cwd: dir }).discover();
    expect(result.problems).toEqual([]);
    expect(result.providers.map((p) => [p.meta.id, p.source, p.plugin.name])).toEqual([
      ["acme-cloud", "installed", "@acme/cloud"],
      ["linked", "installed", "linked"],
    ]);
  });

  it("reports a broken manifest naming the file and the field, with a suggestion for a typo, and goes on", async () => {
    writeFiles(join(dir, "p", "bad-json"), { "infrastructure.plugin.json": "{ nope" });
    writeFiles(join(dir, "p", "bad-version"), {
      "infrastructure.plugin.json": manifest("bv", ["bv"], { version: "one" }),
      "bv.js": "",
    });
    const typo = manifest("typo", ["typo"]);
    typo.frameworkVerison = typo.frameworkVersion;
    delete typo.frameworkVersion;
    writeFiles(join(dir, "p", "typo"), { "infrastructure.plugin.json": typo });
    const badMeta = manifest("bm", ["bm"]);
    (badMeta.providers as { meta: Record<string, unknown> }[])[0]!.meta.category = "weather";
    writeFiles(join(dir, "p", "bad-meta"), { "infrastructure.plugin.json": badMeta });
    writePlugin(join(dir, "p", "good"), "good", ["good"]);
    const result = await discoverer({ localDirs: ["p"] }).discover();
    expect(result.providers.map((p) => p.meta.id)).toEqual(["good"]);
    const byDir = (name: string) =>
      result.problems.filter((p) => p.location === join(dir, "p", name, "infrastructure.plugin.json"));
    expect(byDir("bad-json")[0]?.message).toMatch(/not valid JSON/);
    expect(byDir("bad-version")).toEqual([expect.objectContaining({ field: "version", source: "local" })]);
    expect(byDir("typo")).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          field: "frameworkVerison",
          message: expect.stringMatching(/did you mean "frameworkVersion"/),
        }),
        expect.objectContaining({ field: "frameworkVersion", message: expect.stringMatching(/required/) }),
      ]),
    );
    expect(byDir("bad-meta")).toEqual([expect.objectContaining({ field: "providers[0].meta.category" })]);
  });

  it("skips an incompatible plugin with the reason, and does not let it shadow a compatible one", async () => {
    writeFiles(join(dir, "bundled", "future"), {
      "infrastructure.plugin.json": manifest("future", ["shared"], { frameworkVersion: ">=99.0.0" }),
      "shared.js": providerModule(meta("shared")),
    });
    writePlugin(join(dir, "local", "ok"), "ok", ["shared"]);
    const result = await discoverer({ bundledDirs: ["bundled"], localDirs: ["local"] }).discover({});
    expect(result.providers.map((p) => [p.meta.id, p.source])).toEqual([["shared", "local"]]);
    expect(result.problems).toEqual([
      expect.objectContaining({
        source: "bundled",
        field: "frameworkVersion",
        message: expect.stringMatching(/needs framework >=99\.0\.0.*skipped/),
      }),
    ]);
  });

  it("settles one id found twice by source precedence, then by version, reporting the shadowed copy", async () => {
    writeFiles(join(dir, "bundled", "x"), {
      "infrastructure.plugin.json": manifest("bx", ["dup"]),
      "dup.js": providerModule(meta("dup")),
    });
    const newer = manifest("lx", ["dup"]);
    (newer.providers as { meta: Record<string, unknown> }[])[0]!.meta.version = "9.0.0";
    writeFiles(join(dir, "local", "x"), { "infrastructure.plugin.json": newer, "dup.js": "" });
    const v2 = manifest("l2", ["twice"]);
    (v2.providers as { meta: Record<string, unknown> }[])[0]!.meta.version = "2.0.0";
    writeFiles(join(dir, "local", "a-v1"), {
      "infrastructure.plugin.json": manifest("l1", ["twice"]),
      "twice.js": "",
    });
    writeFiles(join(dir, "local", "b-v2"), { "infrastructure.plugin.json": v2, "twice.js": "" });
    const result = await discoverer({ bundledDirs: ["bundled"], localDirs: ["local"] }).discover();
    expect(result.providers.map((p) => [p.meta.id, p.source, p.meta.version])).toEqual([
      ["dup", "bundled", "1.0.0"],
      ["twice", "local", "2.0.0"],
    ]);
    expect(result.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/"dup" 9\.0\.0 is shadowed by 1\.0\.0 .*\(bundled\)/),
      expect.stringMatching(/"twice" 1\.0\.0 is shadowed by 2\.0\.0/),
    ]);
  });

  it("refuses entries outside the plugin directory: '..', absolute, URL, and a symlink pointing out", async () => {
    writeFiles(join(dir, "outside"), { "evil.js": providerModule(meta("evil")) });
    const tricks = [
      "../outside/evil.js",
      "/etc/passwd.js",
      "file:///etc/x.js",
      "a/../../x.js",
      "link.js",
      "missing.js",
      "dir.js",
    ];
    tricks.forEach((entry, i) => {
      const m = manifest(`t${i}`, [`t-${i}`]);
      (m.providers as { entry: string }[])[0]!.entry = entry;
      writeFiles(join(dir, "p", `t${i}`), { "infrastructure.plugin.json": m });
    });
    symlinkSync(join(dir, "outside", "evil.js"), join(dir, "p", "t4", "link.js"));
    mkdirSync(join(dir, "p", "t6", "dir.js"));
    const result = await discoverer({ localDirs: ["p"] }).discover();
    expect(result.providers).toEqual([]);
    expect(result.problems).toHaveLength(tricks.length);
    for (const problem of result.problems) expect(problem.field).toMatch(/^providers\[0\]\.entry$/);
    // the plugin's own folder, not any "t5" in the random temporary path
    const problemOf = (plugin: string) =>
      result.problems.find((p) => new RegExp(`[\\\\/]p[\\\\/]${plugin}([\\\\/]|$)`).test(p.location));
    expect(problemOf("t4")?.message).toMatch(/outside the plugin directory/);
    expect(problemOf("t5")?.message).toMatch(/does not exist/);
    expect(loads("evil")).toBe(0);
  });

  it("survives symlink loops, dangling links, a manifest that is a symlink and an oversized manifest", async () => {
    mkdirSync(join(dir, "p"), { recursive: true });
    symlinkSync(join(dir, "p", "loop"), join(dir, "p", "loop"));
    symlinkSync(join(dir, "p"), join(dir, "p", "self"));
    symlinkSync(join(dir, "nowhere"), join(dir, "p", "dangling"));
    writeFiles(join(dir, "real"), { "infrastructure.plugin.json": manifest("r", ["r"]) });
    mkdirSync(join(dir, "p", "manifest-link"));
    symlinkSync(
      join(dir, "real", "infrastructure.plugin.json"),
      join(dir, "p", "manifest-link", "infrastructure.plugin.json"),
    );
    writeFiles(join(dir, "p", "huge"), {
      "infrastructure.plugin.json": JSON.stringify({ name: "x".repeat(5000) }),
    });
    const result = await discoverer({ localDirs: ["p"], maxManifestBytes: 1024 }).discover();
    expect(result.providers).toEqual([]);
    const messages = Object.fromEntries(
      result.problems.map((p) => [p.location.slice(join(dir, "p").length + 1), p.message]),
    );
    expect(messages.loop).toMatch(/loop/);
    expect(messages.dangling).toMatch(/does not exist/);
    expect(messages["manifest-link/infrastructure.plugin.json"]).toMatch(/symbolic link/);
    expect(messages["huge/infrastructure.plugin.json"]).toMatch(/larger than 1024 bytes/);
    // `self` resolves to the folder being scanned, which holds no manifest: nothing, and no endless walk.
    expect(Object.keys(messages)).not.toContain("self");
  });

  it("reports a configured folder that does not exist, but not a missing node_modules", async () => {
    const result = await new InfrastructurePluginDiscoverer({
      cwd: dir,
      config: { localDirs: ["gone"], bundledDirs: [] },
    }).discover();
    expect(result.problems).toEqual([
      {
        location: join(dir, "gone"),
        source: "local",
        message: "plugin directory does not exist",
        field: "localDirs[0]",
      },
    ]);
  });

  it("handles more plugin directories than one batch holds, each once, with links to a sibling in another batch", async () => {
    const count = 600; // more than two batches of directories
    for (let i = 0; i < count; i++)
      writePlugin(join(dir, "many", `p-${String(i).padStart(3, "0")}`), `plugin-${i}`, [`prov-${i}`]);
    // A link sorted into the last batch points at a directory of the first one; a broken manifest in a later batch.
    symlinkSync(join(dir, "many", "p-000"), join(dir, "many", "z-link"));
    writeFiles(join(dir, "many", "p-599"), { "infrastructure.plugin.json": "{ not json" });
    const result = await discoverer({ localDirs: ["many"] }).discover();
    expect(result.providers).toHaveLength(count - 1);
    expect(new Set(result.providers.map((p) => p.meta.id)).size).toBe(count - 1);
    expect(result.providers.map((p) => p.meta.id).slice(0, 3)).toEqual(["prov-0", "prov-1", "prov-2"]);
    expect(result.problems).toEqual([
      expect.objectContaining({
        location: join(dir, "many", "p-599", "infrastructure.plugin.json"),
        source: "local",
      }),
    ]);
  });

  it("finds nothing when disabled", async () => {
    writePlugin(join(dir, "p", "a"), "a", ["a"]);
    expect(await discoverer({ localDirs: ["p"], enabled: false }).discover()).toMatchObject({
      providers: [],
      problems: [],
    });
  });

  it("refuses an invalid config or framework version with a typed error naming the field", () => {
    expect(
      () => new InfrastructurePluginDiscoverer({ config: { remoteRegistries: [{ url: "ftp://x" }] } }),
    ).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", field: "discoveryConfig.remoteRegistries[0].url" }),
    );
    expect(() => new InfrastructurePluginDiscoverer({ config: { cacheTtl: -1 } })).toThrow(
      expect.objectContaining({ field: "discoveryConfig.cacheTtl" }),
    );
    expect(() => new InfrastructurePluginDiscoverer({ frameworkVersion: "latest" })).toThrow(
      expect.objectContaining({ field: "frameworkVersion" }),
    );
    expect(getFrameworkVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("InfrastructurePluginDiscoverer: framework ranges", () => {
  it("counts a prerelease framework against a range, the same range checked for every plugin", async () => {
    writeFiles(join(dir, "local", "open"), {
      "infrastructure.plugin.json": manifest("open", ["open"], { frameworkVersion: ">=0.1.0" }),
      "open.js": providerModule(meta("open")),
    });
    writeFiles(join(dir, "local", "open-too"), {
      "infrastructure.plugin.json": manifest("open-too", ["open-too"], { frameworkVersion: ">=0.1.0" }),
      "open-too.js": providerModule(meta("open-too")),
    });
    writeFiles(join(dir, "local", "caret"), {
      "infrastructure.plugin.json": manifest("caret", ["caret"], { frameworkVersion: "^0.1.0" }),
      "caret.js": providerModule(meta("caret")),
    });
    const result = await discoverer({ localDirs: ["local"] }, { frameworkVersion: "0.2.0-rc.1" }).discover();
    expect(result.providers.map((p) => p.meta.id)).toEqual(["open", "open-too"]);
    expect(result.problems).toEqual([
      expect.objectContaining({
        field: "frameworkVersion",
        message: 'plugin "caret" needs framework ^0.1.0, this is 0.2.0-rc.1; skipped',
      }),
    ]);
  });

  it("reads the framework version from the installed @espada/infra-core", () => {
    const core = JSON.parse(
      readFileSync(join(import.meta.dirname, "..", "..", "core", "package.json"), "utf8"),
    ) as {
      version: string;
    };
    expect(getFrameworkVersion()).toBe(core.version);
  });
});

describe("InfrastructurePluginDiscoverer: lazy factories", () => {
  it("runs no plugin code during discovery and imports the entry on first use, once", async () => {
    writePlugin(join(dir, "p", "lazy"), "lazy", ["lazy-one"]);
    const found = await discoverer({ localDirs: ["p"] }).discover();
    expect(loads("lazy-one")).toBe(0);
    const factory = found.providers[0]!.factory;
    const first = await factory(factoryOptions);
    const second = await factory({ ...factoryOptions, instanceId: "i-2" });
    expect(loads("lazy-one")).toBe(1);
    expect(first.meta.id).toBe("lazy-one");
    expect(second).not.toBe(first);
  });

  it("takes a named export when the manifest names one", async () => {
    const m = manifest("named", ["named-one"]);
    (m.providers as Record<string, unknown>[])[0]!.export = "plugin";
    writeFiles(join(dir, "p", "named"), {
      "infrastructure.plugin.json": m,
      "named-one.js": providerModule(meta("named-one"), "plugin"),
    });
    const found = await discoverer({ localDirs: ["p"] }).discover();
    expect((await found.providers[0]!.factory(factoryOptions)).meta.id).toBe("named-one");
  });

  it("refuses a module whose meta differs from its manifest, naming the field", async () => {
    writeFiles(join(dir, "p", "liar"), {
      "infrastructure.plugin.json": manifest("liar", ["liar"]),
      "liar.js": providerModule(meta("liar", { version: "6.6.6" })),
    });
    writeFiles(join(dir, "p", "no-create"), {
      "infrastructure.plugin.json": manifest("no-create", ["no-create"]),
      "no-create.js": `export const meta = ${JSON.stringify(meta("no-create"))};`,
    });
    const found = await discoverer({ localDirs: ["p"] }).discover();
    const [liar, noCreate] = found.providers;
    const error: unknown = await Promise.resolve(liar!.factory(factoryOptions)).catch((e: unknown) => e);
    expect(isInfrastructureError(error, "DISCOVERY_FAILED") && error.field).toBe("meta.version");
    await expect(noCreate!.factory(factoryOptions)).rejects.toMatchObject({
      code: "DISCOVERY_FAILED",
      field: "createProvider",
    });
  });

  it("re-checks the entry at import time: a symlink swapped in after discovery is refused", async () => {
    writePlugin(join(dir, "p", "swap"), "swap", ["swap"]);
    writeFiles(join(dir, "outside"), { "swap.js": providerModule(meta("swap-evil")) });
    const found = await discoverer({ localDirs: ["p"] }).discover();
    const { rmSync } = await import("node:fs");
    rmSync(join(dir, "p", "swap", "swap.js"));
    symlinkSync(join(dir, "outside", "swap.js"), join(dir, "p", "swap", "swap.js"));
    await expect(found.providers[0]!.factory(factoryOptions)).rejects.toMatchObject({
      code: "DISCOVERY_FAILED",
      message: expect.stringMatching(/outside the plugin directory/),
    });
    expect(loads("swap-evil")).toBe(0);
  });
});

describe("InfrastructurePluginDiscoverer: cache", () => {
  it("reuses a result for cacheTtl ms, refreshes on demand, and forgets it on invalidate()", async () => {
    let now = 1_000;
    const d = discoverer({ localDirs: ["p"], cacheTtl: 60_000 }, { now: () => now });
    writePlugin(join(dir, "p", "a"), "a", ["c-a"]);
    const first = await d.discover();
    writePlugin(join(dir, "p", "b"), "b", ["c-b"]);
    now += 59_999;
    const cached = await d.discover();
    expect(cached.fromCache).toBe(true);
    expect(cached.providers.map((p) => p.meta.id)).toEqual(["c-a"]);
    expect(cached.providers[0]!.factory).toBe(first.providers[0]!.factory);
    now += 1;
    expect((await d.discover()).providers.map((p) => p.meta.id)).toEqual(["c-a", "c-b"]);
    writePlugin(join(dir, "p", "c"), "c", ["c-c"]);
    expect((await d.discover({ refresh: true })).providers).toHaveLength(3);
    writePlugin(join(dir, "p", "d"), "d", ["c-d"]);
    expect((await d.discover()).fromCache).toBe(true);
    d.invalidate();
    expect((await d.discover()).providers).toHaveLength(4);
  });

  it("shares one run between concurrent callers; cacheTtl 0 never caches", async () => {
    writePlugin(join(dir, "p", "a"), "a", ["s-a"]);
    const d = discoverer({ localDirs: ["p"], cacheTtl: 0 });
    const [a, b] = await Promise.all([d.discover(), d.discover()]);
    expect(a).toBe(b);
    expect((await d.discover()).fromCache).toBe(false);
  });

  it("rejects an aborted call with CANCELLED and every call after close() with SHUTDOWN", async () => {
    const d = discoverer({ localDirs: ["p"] });
    const controller = new AbortController();
    controller.abort();
    await expect(d.discover({ signal: controller.signal })).rejects.toMatchObject({ code: "CANCELLED" });
    const running = d.discover();
    const late = new AbortController();
    const waiting = d.discover({ signal: late.signal });
    late.abort();
    await expect(waiting).rejects.toMatchObject({ code: "CANCELLED" });
    await expect(running).resolves.toMatchObject({ providers: [] });
    d.close();
    await expect(d.discover()).rejects.toMatchObject({ code: "SHUTDOWN" });
  });

  it("close() during a run rejects it with SHUTDOWN", async () => {
    for (let i = 0; i < 150; i++) writePlugin(join(dir, "p", `x${i}`), `x${i}`, [`x-${i}`]);
    const d = discoverer({ localDirs: ["p"] });
    const run = d.discover();
    d.close();
    await expect(run).rejects.toMatchObject({ code: "SHUTDOWN" });
  });
});
