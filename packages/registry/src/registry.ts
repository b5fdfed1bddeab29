import {
  AlreadyExistsError,
  createNoopLogger,
  InfrastructureError,
  MAX_TIMER_MS,
  NotFoundError,
  providerAuthSchema,
  providerMetaSchema,
  TimeoutError,
  toError,
  ValidationError,
} from "@espada/infra-core";
import type {
  CommandDefinition,
  DiscoveryProblem,
  InfrastructureCatalogue,
  InstanceSummary,
  ProviderSummary,
  DiscoverySource,
  HealthStatus,
  InfrastructureEventBus,
  InfrastructureLogger,
  InfrastructureProvider,
  LifecycleState,
  PluginDiscoverer,
  PluginInfo,
  ProviderAuth,
  ProviderFactory,
  ProviderMeta,
  ValidationIssue,
} from "@espada/infra-core";
import { attempt, withTimeout } from "./async.js";
import { InfrastructureLifecycleManager } from "./lifecycleManager.js";
import type {
  HealthSummary,
  LifecycleManagerOptions,
  LifecycleStatistics,
  ProviderFailure,
  ShutdownReport,
} from "./lifecycleManager.js";
import { intOption, parseWith } from "./options.js";
import type { ExecutorProviderSource } from "./providerSource.js";

/** A registered provider factory. */
export interface RegisteredFactory {
  /** The factory id: the provider meta id. */
  readonly id: string;
  readonly meta: ProviderMeta;
  readonly factory: ProviderFactory;
  /** Epoch ms of registration. */
  readonly registeredAt: number;
  /** The plugin it came from, when known. */
  readonly plugin: PluginInfo | undefined;
}

/**
 * A snapshot of one provider instance: metadata only. The provider object is never handed out, so
 * every command runs through the executor (validation, gate, audit).
 */
export interface ProviderInstanceInfo {
  readonly instanceId: string;
  readonly factoryId: string;
  /** Lifecycle state as the lifecycle manager tracks it. */
  readonly state: LifecycleState;
  /** Epoch ms of creation. */
  readonly createdAt: number;
  /** Last known health (`unknown` before the first check). */
  readonly health: HealthStatus;
  readonly lastError: ProviderFailure | undefined;
}

/** Options of {@link InfrastructureProviderRegistry.createProvider}. */
export interface CreateProviderOptions {
  /** Instance id; default `<factoryId>-<8 random hex>`. */
  readonly instanceId?: string;
  /** Provider settings, checked with the provider's `validateConfig`. Default `{}`. */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Credentials (parsed with core's `providerAuthSchema`). Default: the factory's first auth method, no credentials. */
  readonly auth?: unknown;
  /** Logger handed to the factory (scoped to the instance). Default: the registry's. */
  readonly logger?: InfrastructureLogger;
}

/** Options of {@link InfrastructureProviderRegistry}. */
export interface ProviderRegistryOptions {
  /** A lifecycle manager to use, or options for the one the registry creates. */
  readonly lifecycle?: InfrastructureLifecycleManager | LifecycleManagerOptions;
  /** Event bus (ignored when a lifecycle manager instance is given: its bus is used). */
  readonly events?: InfrastructureEventBus;
  readonly logger?: InfrastructureLogger;
  /** Default discoverer of {@link InfrastructureProviderRegistry.discoverAndRegisterProviders}. */
  readonly discoverer?: PluginDiscoverer;
  /** Bound on a factory call and on `validateConfig`, in ms (1 … 2^31 − 1). Default: the lifecycle manager's `operationTimeout`. */
  readonly factoryTimeout?: number;
}

/** Options of {@link InfrastructureProviderRegistry.discoverAndRegisterProviders}. */
export interface DiscoverOptions {
  /** Overrides the registry's discoverer. */
  readonly discoverer?: PluginDiscoverer;
  readonly signal?: AbortSignal;
  /** Bypass the discoverer's cache. */
  readonly refresh?: boolean;
}

/** What a discovery run registered, skipped and could not load. */
export interface DiscoveryReport {
  readonly registered: readonly {
    readonly id: string;
    readonly source: DiscoverySource;
    readonly plugin: PluginInfo;
  }[];
  /** Providers whose id was already registered (kept: the first registration wins). */
  readonly duplicates: readonly {
    readonly id: string;
    readonly source: DiscoverySource;
    readonly plugin: PluginInfo;
    readonly existingPlugin: PluginInfo | undefined;
  }[];
  /** The discoverer's problems plus providers that failed to register. */
  readonly problems: readonly DiscoveryProblem[];
}

/** What {@link InfrastructureProviderRegistry.getStatistics} returns. */
export interface RegistryStatistics {
  readonly factories: number;
  readonly instances: number;
  readonly instancesByState: Record<LifecycleState, number>;
  readonly health: HealthSummary;
  /** The lifecycle manager's own statistics (restarts, hooks…). */
  readonly lifecycle: LifecycleStatistics;
}

interface InstanceRecord {
  readonly instanceId: string;
  readonly factoryId: string;
  readonly provider: InfrastructureProvider;
  readonly createdAt: number;
}

const PROVIDER_METHODS = [
  "initialize",
  "start",
  "stop",
  "destroy",
  "healthCheck",
  "validateConfig",
  "getCommands",
  "executeCommand",
] as const;

/**
 * The central registry of provider factories and instances. Instances are driven through an
 * {@link InfrastructureLifecycleManager}; `shutdown()` stops them all in bounded time.
 */
export class InfrastructureProviderRegistry {
  /** The lifecycle manager instances run under. */
  readonly lifecycle: InfrastructureLifecycleManager;
  /** The bus every registry and lifecycle event is emitted on. */
  readonly events: InfrastructureEventBus;
  readonly #logger: InfrastructureLogger;
  /** The logger the registry was given (unnamed); each provider instance logs through `child(instanceId)` of it. */
  readonly #rootLogger: InfrastructureLogger;
  readonly #discoverer: PluginDiscoverer | undefined;
  readonly #factoryTimeout: number;
  readonly #factories = new Map<string, RegisteredFactory>();
  readonly #instances = new Map<string, InstanceRecord>();
  readonly #creating = new Set<string>();
  #shutdown: Promise<ShutdownReport> | undefined;
  /**
   * What exists, as plain metadata (core's `InfrastructureCatalogue`): hand this, never the
   * registry, to the conversation pipeline, the gateway and agent tools.
   */
  readonly catalogue: InfrastructureCatalogue;

  constructor(options: ProviderRegistryOptions = {}) {
    this.#rootLogger = options.logger ?? createNoopLogger();
    this.#logger = this.#rootLogger.child("registry");
    this.lifecycle =
      options.lifecycle instanceof InfrastructureLifecycleManager
        ? options.lifecycle
        : new InfrastructureLifecycleManager({
            ...options.lifecycle,
            logger: options.logger ?? createNoopLogger(),
            ...(options.events === undefined ? {} : { events: options.events }),
          });
    this.events = this.lifecycle.events;
    this.#discoverer = options.discoverer;
    this.#factoryTimeout = intOption(
      options.factoryTimeout,
      this.lifecycle.options.operationTimeout,
      1,
      "factoryTimeout",
      MAX_TIMER_MS,
    );
    this.catalogue = Object.freeze(this.#createCatalogue());
    EXECUTOR_SOURCES.set(this, {
      getInstance: (instanceId) => {
        const record = this.#instances.get(instanceId);
        return record === undefined
          ? undefined
          : { state: this.#info(record).state, provider: record.provider };
      },
      instanceIds: () => [...this.#instances.keys()],
    });
  }

  /**
   * Registers a factory. `meta` is parsed with core's `providerMetaSchema`. Emits `provider:registered`.
   * @throws ValidationError naming the field (`meta.version`, `factory`); AlreadyExistsError for a duplicate id; `SHUTDOWN`.
   */
  registerFactory(meta: unknown, factory: ProviderFactory, plugin?: PluginInfo): RegisteredFactory {
    this.#assertOpen();
    const parsed = parseWith(providerMetaSchema, meta, "meta", "provider meta");
    if (typeof factory !== "function") {
      throw new ValidationError("Invalid provider factory: must be a function", [
        { code: "TYPE_MISMATCH", message: "must be a function", path: "factory" },
      ]);
    }
    if (this.#factories.has(parsed.id))
      throw new AlreadyExistsError("provider", parsed.id, { field: "meta.id" });
    const entry: RegisteredFactory = {
      id: parsed.id,
      meta: parsed,
      factory,
      registeredAt: Date.now(),
      plugin,
    };
    this.#factories.set(parsed.id, entry);
    this.events.emit("provider:registered", { timestamp: entry.registeredAt, providerId: parsed.id });
    this.#logger.info(`registered provider factory "${parsed.id}"`, { providerId: parsed.id });
    return entry;
  }

  /**
   * Removes a factory. Refused while instances of it exist (destroy them first).
   * @returns false when no such factory was registered.
   * @throws `CONFLICT` while instances exist.
   */
  unregisterFactory(factoryId: string): boolean {
    if (!this.#factories.has(factoryId)) return false;
    const live = this.getInstancesByFactory(factoryId).length;
    if (live > 0) {
      throw new InfrastructureError(
        "CONFLICT",
        `factoryId: provider "${factoryId}" still has ${live} instance(s); destroy them first`,
        { field: "factoryId" },
      );
    }
    this.#factories.delete(factoryId);
    return true;
  }

  /** A factory by id, or undefined. */
  getFactory(factoryId: string): RegisteredFactory | undefined {
    return this.#factories.get(factoryId);
  }

  /** Every registered factory, in registration order. */
  getAllFactories(): RegisteredFactory[] {
    return [...this.#factories.values()];
  }

  /**
   * Creates an instance (state `uninitialized`): calls the factory, then the provider's
   * `validateConfig(settings)`, then puts it under the lifecycle manager. A provider that is not
   * admitted (invalid settings, `validateConfig` throws or outlasts `factoryTimeout`) is destroyed,
   * bounded by `operationTimeout`, before the error is thrown; one that the factory delivers after
   * `factoryTimeout` is destroyed when it arrives (logged as a warning).
   * @throws NotFoundError (`factoryId`); AlreadyExistsError (`instanceId`); ValidationError listing
   * every settings issue as `settings.<path>`; `PROVIDER_FAILED` when the factory throws; `SHUTDOWN`.
   */
  async createProvider(
    factoryId: string,
    options: CreateProviderOptions = {},
  ): Promise<ProviderInstanceInfo> {
    this.#assertOpen();
    const entry = this.#factories.get(factoryId);
    if (entry === undefined)
      throw new NotFoundError("provider", factoryId, {
        field: "factoryId",
        available: this.#factories.keys(),
      });
    const instanceId = options.instanceId ?? `${factoryId}-${globalThis.crypto.randomUUID().slice(0, 8)}`;
    if (typeof instanceId !== "string" || instanceId.length === 0) {
      throw new ValidationError("Invalid instanceId: must be a non-empty string", [
        { code: "INVALID_VALUE", message: "must be a non-empty string", path: "instanceId" },
      ]);
    }
    if (this.#instances.has(instanceId) || this.#creating.has(instanceId) || this.lifecycle.has(instanceId)) {
      throw new AlreadyExistsError("instance", instanceId, { field: "instanceId" });
    }
    const settings = options.settings ?? {};
    if (typeof settings !== "object" || settings === null || Array.isArray(settings)) {
      throw new ValidationError("Invalid settings: must be an object", [
        { code: "TYPE_MISMATCH", message: "must be an object", path: "settings" },
      ]);
    }
    const auth =
      options.auth === undefined
        ? undefined
        : parseWith(providerAuthSchema, options.auth, "auth", "provider auth");
    this.#creating.add(instanceId);
    try {
      // labelled with the instance id (`[web-1]`), not `[registry]`
      const logger = (options.logger ?? this.#rootLogger.child(instanceId)).withContext({
        providerId: factoryId,
        instanceId,
      });
      const provider = await this.#callFactory(entry, { instanceId, settings, logger });
      try {
        const validation = await this.#bounded(
          attempt(() => provider.validateConfig(settings)),
          `validateConfig of provider "${factoryId}"`,
        );
        if (!validation.valid) {
          const issues: ValidationIssue[] = validation.errors.map((issue) => ({
            code: issue.code,
            message: issue.message,
            path: issue.path === undefined || issue.path === "" ? "settings" : `settings.${issue.path}`,
          }));
          const detail = issues.map((issue) => `${issue.path ?? "settings"}: ${issue.message}`).join("; ");
          throw new ValidationError(`Invalid settings for provider "${factoryId}": ${detail}`, issues);
        }
        this.#assertOpen();
        this.lifecycle.registerProvider(provider, { instanceId, ...(auth === undefined ? {} : { auth }) });
      } catch (error) {
        await this.#discard(provider, instanceId, "it was not admitted");
        throw error;
      }
      const record: InstanceRecord = { instanceId, factoryId, provider, createdAt: Date.now() };
      this.#instances.set(instanceId, record);
      return this.#info(record);
    } finally {
      this.#creating.delete(instanceId);
    }
  }

  /**
   * Creates an instance, initializes it with `auth` and starts it (state `active`). When any step
   * fails the half-made instance is destroyed and removed, and the error is rethrown.
   */
  async createAndInitializeProvider(
    factoryId: string,
    options: CreateProviderOptions = {},
  ): Promise<ProviderInstanceInfo> {
    const created = await this.createProvider(factoryId, options);
    const meta = this.#factories.get(factoryId)?.meta;
    const auth: ProviderAuth =
      options.auth === undefined
        ? { method: meta?.authMethods[0] ?? "custom", credentials: {}, options: {} }
        : parseWith(providerAuthSchema, options.auth, "auth", "provider auth");
    try {
      await this.lifecycle.initializeProvider(created.instanceId, auth);
      await this.lifecycle.startProvider(created.instanceId);
    } catch (error) {
      await this.destroyInstance(created.instanceId).catch((destroyError: unknown) => {
        this.#logger.warn(`could not tear down instance "${created.instanceId}" after a failed start`, {
          error: destroyError,
        });
      });
      throw error;
    }
    return this.#info(this.#getRecord(created.instanceId));
  }

  /** An instance by id, or undefined. */
  getInstance(instanceId: string): ProviderInstanceInfo | undefined {
    const record = this.#instances.get(instanceId);
    return record === undefined ? undefined : this.#info(record);
  }

  /** Every instance, in creation order. */
  getAllInstances(): ProviderInstanceInfo[] {
    return [...this.#instances.values()].map((record) => this.#info(record));
  }

  /** The instances created from one factory. */
  getInstancesByFactory(factoryId: string): ProviderInstanceInfo[] {
    return [...this.#instances.values()]
      .filter((r) => r.factoryId === factoryId)
      .map((record) => this.#info(record));
  }

  /**
   * Tears an instance down (stop when active, destroy → `terminated`, `provider:terminated`) and
   * removes it. When the provider fails to destroy, it stays registered in `error` and the error is thrown.
   * @throws NotFoundError (`instanceId`).
   */
  async destroyInstance(instanceId: string): Promise<void> {
    this.#getRecord(instanceId);
    await this.lifecycle.destroyProvider(instanceId);
    if (this.lifecycle.has(instanceId)) this.lifecycle.unregisterProvider(instanceId);
    this.#instances.delete(instanceId);
  }

  /**
   * Runs plugin discovery through core's `PluginDiscoverer` and registers every provider found.
   * Never throws for one bad plugin: problems and duplicates are collected in the report. A
   * discoverer that fails entirely is reported as one problem.
   * @throws `INVALID_ARGUMENT` when no discoverer is configured; `SHUTDOWN`.
   */
  async discoverAndRegisterProviders(options: DiscoverOptions = {}): Promise<DiscoveryReport> {
    this.#assertOpen();
    const discoverer = options.discoverer ?? this.#discoverer;
    if (discoverer === undefined) {
      throw new InfrastructureError("INVALID_ARGUMENT", "No plugin discoverer configured", {
        field: "discoverer",
      });
    }
    const registered: DiscoveryReport["registered"][number][] = [];
    const duplicates: DiscoveryReport["duplicates"][number][] = [];
    const problems: DiscoveryProblem[] = [];
    let result;
    try {
      result = await discoverer.discover({
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.refresh === undefined ? {} : { refresh: options.refresh }),
      });
    } catch (error) {
      return {
        registered,
        duplicates,
        problems: [
          { location: "discoverer", source: "local", message: `discovery failed: ${toError(error).message}` },
        ],
      };
    }
    problems.push(...result.problems);
    for (const found of result.providers) {
      const id = (found.meta as { id?: unknown } | undefined)?.id;
      const existing = typeof id === "string" ? this.#factories.get(id) : undefined;
      if (existing !== undefined) {
        duplicates.push({
          id: existing.id,
          source: found.source,
          plugin: found.plugin,
          existingPlugin: existing.plugin,
        });
        continue;
      }
      try {
        const entry = this.registerFactory(found.meta, found.factory, found.plugin);
        registered.push({ id: entry.id, source: found.source, plugin: found.plugin });
      } catch (error) {
        const err = toError(error);
        const field = err instanceof InfrastructureError ? err.field : undefined;
        problems.push({
          location: found.plugin.path ?? found.plugin.name,
          source: found.source,
          message: err.message,
          ...(field === undefined ? {} : { field }),
        });
      }
    }
    return { registered, duplicates, problems };
  }

  /** Factory and instance counts, instances by state, a health summary, and lifecycle statistics. */
  getStatistics(): RegistryStatistics {
    const lifecycle = this.lifecycle.getStatistics();
    return {
      factories: this.#factories.size,
      instances: this.#instances.size,
      instancesByState: lifecycle.byState,
      health: lifecycle.health,
      lifecycle,
    };
  }

  /**
   * Stops every provider in parallel through the lifecycle manager; a provider that does not stop
   * within `shutdownTimeout` is forced to `terminated` and listed in `report.forced`. Removes every
   * instance. Safe to call twice (same report). Afterwards new work is refused with `SHUTDOWN`.
   */
  shutdown(): Promise<ShutdownReport> {
    this.#shutdown ??= this.lifecycle.shutdown().then((report) => {
      for (const instanceId of this.#instances.keys()) {
        if (this.lifecycle.has(instanceId)) this.lifecycle.unregisterProvider(instanceId);
      }
      this.#instances.clear();
      return report;
    });
    return this.#shutdown;
  }

  #assertOpen(): void {
    if (this.#shutdown !== undefined || this.lifecycle.isShutDown) {
      throw new InfrastructureError("SHUTDOWN", "The provider registry has been shut down");
    }
  }

  #bounded<T>(work: Promise<T>, what: string): Promise<T> {
    return withTimeout(work, this.#factoryTimeout, what).catch((error: unknown) => {
      if (error instanceof InfrastructureError) throw error;
      throw new InfrastructureError("PROVIDER_FAILED", `${what} failed: ${toError(error).message}`, {
        cause: error,
      });
    });
  }

  /**
   * Calls a factory bounded by `factoryTimeout` and checks what it returned. A provider that
   * arrives after the timeout is destroyed when it arrives, so a slow factory leaks nothing.
   */
  async #callFactory(
    entry: RegisteredFactory,
    context: Parameters<ProviderFactory>[0],
  ): Promise<InfrastructureProvider> {
    const what = `factory of provider "${entry.id}"`;
    const work = attempt(() => entry.factory(context));
    const provider = await this.#bounded(work, what).catch((error: unknown) => {
      if (error instanceof TimeoutError) {
        void work.then(
          (late) => {
            if (!hasDestroy(late)) return;
            this.#logger.warn(
              `${what} resolved after the ${this.#factoryTimeout} ms timeout; destroying the late provider`,
              { instanceId: context.instanceId },
            );
            return this.#discard(late, context.instanceId, "it arrived after the factory timeout");
          },
          () => undefined,
        );
      }
      throw error;
    });
    assertProvider(provider, entry.id);
    return provider;
  }

  /** Destroys a provider the registry will not keep, bounded by `operationTimeout`; a failure is logged, never thrown. */
  async #discard(provider: { destroy(): unknown }, instanceId: string, why: string): Promise<void> {
    const what = `destroy of provider instance "${instanceId}" (${why})`;
    await withTimeout(
      attempt(() => provider.destroy()),
      this.lifecycle.options.operationTimeout,
      what,
    ).catch((error: unknown) => {
      this.#logger.warn(`${what} failed: ${toError(error).message}`, { instanceId, error });
    });
  }

  #getRecord(instanceId: string): InstanceRecord {
    const record = this.#instances.get(instanceId);
    if (record === undefined)
      throw new NotFoundError("instance", instanceId, {
        field: "instanceId",
        available: this.#instances.keys(),
      });
    return record;
  }

  #info(record: InstanceRecord): ProviderInstanceInfo {
    const managed = this.lifecycle.getProviderInfo(record.instanceId);
    return {
      instanceId: record.instanceId,
      factoryId: record.factoryId,
      state: managed?.state ?? record.provider.state,
      createdAt: record.createdAt,
      health: managed?.lastHealth?.status ?? "unknown",
      lastError: managed?.lastError,
    };
  }

  #createCatalogue(): InfrastructureCatalogue {
    const providerSummary = (entry: RegisteredFactory): ProviderSummary => ({
      id: entry.id,
      meta: structuredClone(entry.meta),
      registeredAt: entry.registeredAt,
      ...(entry.plugin === undefined ? {} : { plugin: { ...entry.plugin } }),
    });
    const instanceSummary = (record: InstanceRecord): InstanceSummary => {
      const info = this.#info(record);
      return {
        instanceId: info.instanceId,
        providerId: info.factoryId,
        state: info.state,
        createdAt: info.createdAt,
        health: info.health,
        ...(info.lastError === undefined
          ? {}
          : { lastError: { code: info.lastError.code, message: info.lastError.message } }),
      };
    };
    const commandsOf = (instanceId: string): CommandDefinition[] | undefined => {
      const record = this.#instances.get(instanceId);
      if (record === undefined) return undefined;
      try {
        return record.provider.getCommands().map((command) => structuredClone(command));
      } catch (error) {
        this.#logger.warn(`getCommands of instance "${instanceId}" threw`, { instanceId, error });
        return [];
      }
    };
    return {
      listProviders: () => [...this.#factories.values()].map(providerSummary),
      getProvider: (providerId) => {
        const entry = this.#factories.get(providerId);
        return entry === undefined ? undefined : providerSummary(entry);
      },
      listInstances: (filter = {}) =>
        [...this.#instances.values()]
          .map(instanceSummary)
          .filter(
            (i) =>
              (filter.providerId === undefined || i.providerId === filter.providerId) &&
              (filter.state === undefined || i.state === filter.state),
          ),
      getInstance: (instanceId) => {
        const record = this.#instances.get(instanceId);
        return record === undefined ? undefined : instanceSummary(record);
      },
      listCommands: commandsOf,
      getCommand: (instanceId, commandId) => commandsOf(instanceId)?.find((c) => c.id === commandId),
    };
  }
}

/** The executor's private way to the provider objects of a registry (never exported from the package). */
const EXECUTOR_SOURCES = new WeakMap<InfrastructureProviderRegistry, ExecutorProviderSource>();

/** The provider source of a registry, for the executor of this package only. */
export function executorSourceOf(registry: InfrastructureProviderRegistry): ExecutorProviderSource {
  const source = EXECUTOR_SOURCES.get(registry);
  if (source === undefined)
    throw new InfrastructureError("INVALID_ARGUMENT", "Not a provider registry", { field: "providers" });
  return source;
}

/** True when `value` has a `destroy` method to call. */
function hasDestroy(value: unknown): value is { destroy(): unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { destroy?: unknown }).destroy === "function"
  );
}

/** Checks that a factory returned something shaped like a provider. */
function assertProvider(value: unknown, factoryId: string): asserts value is InfrastructureProvider {
  const candidate = value as Record<string, unknown> | null;
  const missing =
    typeof candidate !== "object" || candidate === null
      ? ["(not an object)"]
      : PROVIDER_METHODS.filter((name) => typeof candidate[name] !== "function");
  if (missing.length > 0) {
    throw new InfrastructureError(
      "PROVIDER_FAILED",
      `Factory of provider "${factoryId}" returned no valid provider (missing ${missing.join(", ")})`,
      {
        field: "factory",
      },
    );
  }
}
