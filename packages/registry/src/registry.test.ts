import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AlreadyExistsError,
  NotFoundError,
  ValidationError,
  createConsoleLogger,
  isInfrastructureError,
} from "@espada/infra-core";
import type {
  DiscoveryResult,
  InfrastructureLogger,
  PluginDiscoverer,
  ProviderEvent,
  ProviderFactory,
} from "@espada/infra-core";
import { InfrastructureProviderRegistry } from "./registry.js";
import { InfrastructureLifecycleManager } from "./lifecycleManager.js";
import { FAKE_AUTH, FakeProvider } from "../test/fakeProvider.js";
import type { FakeProviderOptions } from "../test/fakeProvider.js";

const metaOf = (id: string): Record<string, unknown> => ({
  id,
  name: id,
  displayName: `Fake ${id}`,
  version: "1.0.0",
  category: "custom",
  authMethods: ["api-key"],
});

function fakeFactory(options: FakeProviderOptions = {}): ProviderFactory & { created: FakeProvider[] } {
  const created: FakeProvider[] = [];
  const factory: ProviderFactory = () => {
    const provider = new FakeProvider(options);
    created.push(provider);
    return provider;
  };
  return Object.assign(factory, { created });
}

/** A logger that records warning messages (children and contexts share the list). */
function capturingLogger(warnings: string[]): InfrastructureLogger {
  const noop = (): void => undefined;
  const logger: InfrastructureLogger = {
    trace: noop,
    debug: noop,
    info: noop,
    warn: (message) => void warnings.push(message),
    error: noop,
    fatal: noop,
    child: () => logger,
    withContext: () => logger,
    isLevelEnabled: () => true,
  };
  return logger;
}

describe("InfrastructureProviderRegistry", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("registers factories with parsed meta, emits provider:registered and lists them", () => {
    const registry = new InfrastructureProviderRegistry();
    const seen: ProviderEvent[] = [];
    registry.events.on("provider:registered", (e) => seen.push(e));
    const entry = registry.registerFactory(metaOf("alpha"), fakeFactory(), {
      name: "alpha-plugin",
      version: "1.0.0",
    });
    expect(entry.meta.capabilities).toEqual([]);
    expect(registry.getFactory("alpha")).toBe(entry);
    expect(registry.getAllFactories().map((f) => [f.id, f.plugin?.name])).toEqual([
      ["alpha", "alpha-plugin"],
    ]);
    expect(typeof entry.registeredAt).toBe("number");
    expect(seen.map((e) => e.providerId)).toEqual(["alpha"]);
  });

  it("names the bad meta field and refuses duplicates", () => {
    const registry = new InfrastructureProviderRegistry();
    const bad = (): unknown =>
      registry.registerFactory({ ...metaOf("alpha"), version: "one" }, fakeFactory());
    expect(bad).toThrow(ValidationError);
    expect(bad).toThrow(/meta\.version/);
    try {
      bad();
    } catch (error) {
      expect((error as ValidationError).field).toBe("meta.version");
    }
    expect(() => registry.registerFactory(metaOf("alpha"), "nope" as unknown as ProviderFactory)).toThrow(
      /factory/,
    );
    registry.registerFactory(metaOf("alpha"), fakeFactory());
    expect(() => registry.registerFactory(metaOf("alpha"), fakeFactory())).toThrow(AlreadyExistsError);
  });

  it("names a factoryTimeout that is not a delay a timer can honour", () => {
    for (const factoryTimeout of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
      expect(() => new InfrastructureProviderRegistry({ factoryTimeout })).toThrow(
        expect.objectContaining({ code: "CONFIG_INVALID", field: "factoryTimeout" }) as Error,
      );
    }
    expect(() => new InfrastructureProviderRegistry({ factoryTimeout: 10 })).not.toThrow();
  });

  it("hands each provider a logger labelled with its instance id, not [registry]", async () => {
    const lines: string[] = [];
    const registry = new InfrastructureProviderRegistry({
      logger: createConsoleLogger({ write: (line) => lines.push(line) }),
    });
    const inner = fakeFactory();
    registry.registerFactory(metaOf("alpha"), (options) => {
      options.logger.info("hello from the provider");
      return inner(options);
    });
    await registry.createProvider("alpha", { instanceId: "alpha-1" });
    const line = lines.find((l) => l.includes("hello from the provider"));
    expect(line).toContain("[alpha-1] hello from the provider providerId=alpha instanceId=alpha-1");
    expect(lines.find((l) => l.includes("registered provider factory"))).toContain("[registry]");
    await registry.shutdown();
  });

  it("creates instances, validates settings with paths and refuses duplicate instance ids", async () => {
    const registry = new InfrastructureProviderRegistry();
    registry.registerFactory(metaOf("alpha"), fakeFactory());
    registry.registerFactory(
      metaOf("picky"),
      fakeFactory({ configErrors: [{ code: "REQUIRED", message: "region is required", path: "region" }] }),
    );
    const info = await registry.createProvider("alpha", { instanceId: "a-1", settings: { x: 1 } });
    expect(info).toMatchObject({
      instanceId: "a-1",
      factoryId: "alpha",
      state: "uninitialized",
      health: "unknown",
    });
    await expect(registry.createProvider("alpha", { instanceId: "a-1" })).rejects.toBeInstanceOf(
      AlreadyExistsError,
    );
    const error: unknown = await registry.createProvider("picky").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      { code: "REQUIRED", message: "region is required", path: "settings.region" },
    ]);
    await expect(registry.createProvider("ghost")).rejects.toBeInstanceOf(NotFoundError);
    const generated = await registry.createProvider("alpha");
    expect(generated.instanceId).toMatch(/^alpha-[0-9a-f]{8}$/);
    expect(registry.getAllInstances().map((i) => i.instanceId)).toEqual(["a-1", generated.instanceId]);
    expect(registry.getInstancesByFactory("alpha")).toHaveLength(2);
    expect(registry.getInstancesByFactory("picky")).toHaveLength(0);
  });

  it("reports a factory that throws or returns no provider", async () => {
    const registry = new InfrastructureProviderRegistry();
    registry.registerFactory(metaOf("boom"), () => {
      throw new Error("factory exploded");
    });
    registry.registerFactory(metaOf("empty"), () => ({}) as never);
    await expect(registry.createProvider("boom")).rejects.toMatchObject({
      code: "PROVIDER_FAILED",
      message: /factory exploded/,
    });
    await expect(registry.createProvider("empty")).rejects.toMatchObject({
      code: "PROVIDER_FAILED",
      message: /missing initialize/,
    });
    expect(registry.getAllInstances()).toHaveLength(0);
  });

  it("destroys a provider the factory delivers after factoryTimeout, and logs it", async () => {
    vi.useFakeTimers();
    const warnings: string[] = [];
    const registry = new InfrastructureProviderRegistry({
      factoryTimeout: 100,
      logger: capturingLogger(warnings),
    });
    const late = new FakeProvider({ destroy: "throw" });
    registry.registerFactory(
      metaOf("slow"),
      () => new Promise<FakeProvider>((resolve) => setTimeout(() => resolve(late), 500)),
    );
    const created = registry.createProvider("slow", { instanceId: "s-1" }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(await created).toMatchObject({ code: "TIMEOUT" });
    expect(late.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(400);
    expect(late.calls).toEqual(["destroy"]);
    expect(warnings.some((w) => /resolved after the 100 ms timeout/.test(w))).toBe(true);
    expect(warnings.some((w) => /destroy of provider instance "s-1".*failed: step failed/.test(w))).toBe(
      true,
    );
    expect(registry.getAllInstances()).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("destroys a provider that fails validateConfig, whose validateConfig throws or hangs, before throwing", async () => {
    vi.useFakeTimers();
    const registry = new InfrastructureProviderRegistry({
      factoryTimeout: 100,
      lifecycle: { operationTimeout: 1_000 },
    });
    const made: FakeProvider[] = [];
    const factoryWith =
      (
        validate: "invalid" | "throw" | "hang",
        destroy: FakeProviderOptions["destroy"] = "ok",
      ): ProviderFactory =>
      () => {
        const provider = new FakeProvider({
          destroy,
          ...(validate === "invalid"
            ? { configErrors: [{ code: "REQUIRED", message: "region is required", path: "region" }] }
            : {}),
        });
        if (validate === "throw")
          provider.validateConfig = () => Promise.reject(new Error("validator exploded"));
        if (validate === "hang") provider.validateConfig = () => new Promise<never>(() => undefined);
        made.push(provider);
        return provider;
      };
    registry.registerFactory(metaOf("invalid"), factoryWith("invalid"));
    registry.registerFactory(metaOf("throws"), factoryWith("throw", "throw"));
    registry.registerFactory(metaOf("hangs"), factoryWith("hang"));
    registry.registerFactory(metaOf("stuck"), factoryWith("invalid", "hang"));

    const invalid: unknown = await registry.createProvider("invalid").catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(made[0]?.calls).toEqual(["destroy"]);
    await expect(registry.createProvider("throws")).rejects.toMatchObject({
      code: "PROVIDER_FAILED",
      message: /validator exploded/,
    });
    expect(made[1]?.calls).toEqual(["destroy"]);

    const hangs = registry.createProvider("hangs").catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(await hangs).toMatchObject({ code: "TIMEOUT" });
    expect(made[2]?.calls).toEqual(["destroy"]);

    let settled: unknown;
    const stuck = registry.createProvider("stuck").then(
      () => undefined,
      (e: unknown) => (settled = e),
    );
    await vi.advanceTimersByTimeAsync(999);
    expect(made[3]?.calls).toEqual(["destroy"]);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await stuck;
    expect(settled).toBeInstanceOf(ValidationError);
    expect(registry.getAllInstances()).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("createAndInitializeProvider creates, initializes with auth and starts", async () => {
    const registry = new InfrastructureProviderRegistry();
    const factory = fakeFactory();
    registry.registerFactory(metaOf("alpha"), factory);
    const info = await registry.createAndInitializeProvider("alpha", { instanceId: "a-1", auth: FAKE_AUTH });
    expect(info.state).toBe("active");
    expect(factory.created[0]?.lastAuth).toEqual(FAKE_AUTH);
    await expect(
      registry.createAndInitializeProvider("alpha", { auth: { method: "telepathy" } }),
    ).rejects.toThrow(/auth\.method/);
  });

  it("createAndInitializeProvider tears down a provider that fails to start", async () => {
    const registry = new InfrastructureProviderRegistry();
    registry.registerFactory(metaOf("alpha"), fakeFactory({ start: "throw" }));
    await expect(registry.createAndInitializeProvider("alpha", { instanceId: "a-1" })).rejects.toMatchObject({
      code: "LIFECYCLE_FAILED",
    });
    expect(registry.getInstance("a-1")).toBeUndefined();
  });

  it("destroyInstance tears down, removes and emits provider:terminated; unregisterFactory waits for it", async () => {
    const registry = new InfrastructureProviderRegistry();
    registry.registerFactory(metaOf("alpha"), fakeFactory());
    await registry.createAndInitializeProvider("alpha", { instanceId: "a-1" });
    const terminated: ProviderEvent[] = [];
    registry.events.on("provider:terminated", (e) => terminated.push(e));
    expect(() => registry.unregisterFactory("alpha")).toThrow(
      expect.objectContaining({ code: "CONFLICT" }) as Error,
    );
    await registry.destroyInstance("a-1");
    expect(registry.getInstance("a-1")).toBeUndefined();
    expect(terminated).toMatchObject([{ instanceId: "a-1", state: "terminated" }]);
    expect(registry.unregisterFactory("alpha")).toBe(true);
    expect(registry.unregisterFactory("alpha")).toBe(false);
    await expect(registry.destroyInstance("a-1")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("discovers and registers providers, collecting problems and duplicates without throwing", async () => {
    const registry = new InfrastructureProviderRegistry();
    registry.registerFactory(metaOf("alpha"), fakeFactory());
    const result: DiscoveryResult = {
      providers: [
        {
          meta: metaOf("beta") as never,
          factory: fakeFactory(),
          source: "installed",
          plugin: { name: "beta-plugin" },
        },
        {
          meta: metaOf("alpha") as never,
          factory: fakeFactory(),
          source: "local",
          plugin: { name: "other-alpha", path: "/x" },
        },
        {
          meta: { ...metaOf("gamma"), category: "nonsense" } as never,
          factory: fakeFactory(),
          source: "bundled",
          plugin: { name: "gamma", path: "/g" },
        },
      ],
      problems: [{ location: "/broken", source: "local", message: "bad manifest", field: "name" }],
    };
    const discoverer: PluginDiscoverer = { discover: () => Promise.resolve(result) };
    const report = await registry.discoverAndRegisterProviders({ discoverer });
    expect(report.registered.map((r) => r.id)).toEqual(["beta"]);
    expect(report.duplicates).toMatchObject([{ id: "alpha", plugin: { name: "other-alpha" } }]);
    expect(report.problems).toHaveLength(2);
    expect(report.problems[1]).toMatchObject({ location: "/g", field: "meta.category" });
    const failing = new InfrastructureProviderRegistry({
      discoverer: { discover: () => Promise.reject(new Error("disk gone")) },
    });
    const failed = await failing.discoverAndRegisterProviders();
    expect(failed.problems[0]?.message).toMatch(/disk gone/);
    await expect(new InfrastructureProviderRegistry().discoverAndRegisterProviders()).rejects.toMatchObject({
      field: "discoverer",
    });
  });

  it("reports statistics with a health summary", async () => {
    const registry = new InfrastructureProviderRegistry();
    registry.registerFactory(metaOf("alpha"), fakeFactory());
    registry.registerFactory(metaOf("sick"), fakeFactory({ health: "degraded" }));
    await registry.createAndInitializeProvider("alpha", { instanceId: "a-1" });
    await registry.createAndInitializeProvider("sick", { instanceId: "s-1" });
    await registry.createProvider("alpha", { instanceId: "a-2" });
    await registry.lifecycle.checkHealth("a-1");
    await registry.lifecycle.checkHealth("s-1");
    const stats = registry.getStatistics();
    expect(stats).toMatchObject({
      factories: 2,
      instances: 3,
      health: { healthy: 1, degraded: 1, unhealthy: 0, unknown: 1 },
    });
    expect(stats.instancesByState).toMatchObject({ active: 2, uninitialized: 1 });
    expect(registry.getInstance("s-1")?.health).toBe("degraded");
    await registry.shutdown();
  });

  it("shutdown forces a provider whose stop never resolves, is safe twice and refuses new work", async () => {
    vi.useFakeTimers();
    const registry = new InfrastructureProviderRegistry({ lifecycle: { shutdownTimeout: 2_000 } });
    registry.registerFactory(metaOf("good"), fakeFactory());
    registry.registerFactory(metaOf("stuck"), fakeFactory({ stop: "hang" }));
    await registry.createAndInitializeProvider("good", { instanceId: "g" });
    await registry.createAndInitializeProvider("stuck", { instanceId: "s" });
    const first = registry.shutdown();
    const second = registry.shutdown();
    await vi.advanceTimersByTimeAsync(2_000);
    const report = await first;
    expect(await second).toBe(report);
    expect(report.stopped).toEqual(["g"]);
    expect(report.forced).toEqual([{ instanceId: "s", reason: "did not stop within 2000 ms" }]);
    expect(registry.getAllInstances()).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    expect(() => registry.registerFactory(metaOf("late"), fakeFactory())).toThrow(
      expect.objectContaining({ code: "SHUTDOWN" }) as Error,
    );
    const error: unknown = await registry.createProvider("good").catch((e: unknown) => e);
    expect(isInfrastructureError(error, "SHUTDOWN")).toBe(true);
  });

  it("accepts an existing lifecycle manager and shares its bus", () => {
    const lifecycle = new InfrastructureLifecycleManager({ shutdownTimeout: 10 });
    const registry = new InfrastructureProviderRegistry({ lifecycle });
    expect(registry.lifecycle).toBe(lifecycle);
    expect(registry.events).toBe(lifecycle.events);
  });

  describe("catalogue: what callers outside the shell receive", () => {
    it("lists providers, instances and commands as metadata, never a provider object", async () => {
      const registry = new InfrastructureProviderRegistry();
      registry.registerFactory(metaOf("alpha"), fakeFactory());
      const info = await registry.createAndInitializeProvider("alpha", {
        instanceId: "a-1",
        auth: FAKE_AUTH,
      });
      expect(Object.keys(info)).not.toContain("provider");
      expect(JSON.stringify(registry.getAllInstances())).not.toContain("executeCommand");
      const { catalogue } = registry;
      expect(Object.isFrozen(catalogue)).toBe(true);
      expect(Object.keys(catalogue).sort()).toEqual([
        "getCommand",
        "getInstance",
        "getProvider",
        "listCommands",
        "listInstances",
        "listProviders",
      ]);
      expect(catalogue.listProviders()).toMatchObject([{ id: "alpha", meta: { id: "alpha" } }]);
      expect(catalogue.listInstances()).toEqual([
        {
          instanceId: "a-1",
          providerId: "alpha",
          state: "active",
          createdAt: info.createdAt,
          health: "unknown",
        },
      ]);
      expect(catalogue.listInstances({ state: "suspended" })).toEqual([]);
      expect(catalogue.getInstance("nope")).toBeUndefined();
      expect(catalogue.listCommands("nope")).toBeUndefined();
      const command = catalogue.getCommand("a-1", "echo");
      expect(command).toMatchObject({ id: "echo", category: "utility" });
      // copies: changing what a caller got changes nothing the executor sees
      if (command !== undefined) (command as { dangerous: boolean }).dangerous = true;
      expect(catalogue.getCommand("a-1", "echo")?.dangerous).toBe(false);
      const everything = JSON.stringify([
        catalogue.listProviders(),
        catalogue.listInstances(),
        catalogue.listCommands("a-1"),
      ]);
      expect(everything).not.toMatch(/executeCommand|initialize/);
      await registry.shutdown();
    });

    it("not-found errors say provider or instance and suggest the closest id", async () => {
      const registry = new InfrastructureProviderRegistry();
      registry.registerFactory(metaOf("alpha"), fakeFactory());
      await expect(registry.createProvider("alpah")).rejects.toMatchObject({
        code: "NOT_FOUND",
        field: "factoryId",
        message: 'Provider "alpah" not found; did you mean "alpha"?',
      });
      await registry.createProvider("alpha", { instanceId: "a-1" });
      await expect(registry.destroyInstance("a-2")).rejects.toMatchObject({
        message: 'Instance "a-2" not found; did you mean "a-1"?',
      });
      await expect(registry.createProvider("alpha", { instanceId: "a-1" })).rejects.toMatchObject({
        code: "ALREADY_EXISTS",
        message: 'Instance "a-1" already exists',
      });
      await registry.shutdown();
    });
  });
});
