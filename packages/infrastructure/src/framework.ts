// The composition root: the one place that builds the framework's concrete packages from one
// validated `extensions.infrastructure` block. Every part but the registry is built on first use
// through a dynamic import, so a CLI command loads only what it needs (see docs/decisions.md).
import { resolve } from "node:path";
import type {
  InfrastructureCatalogue,
  InfrastructureConfig,
  InfrastructureEventBus,
  InfrastructureLogger,
  OperationRunner,
  StateStore,
} from "@espada/infra-core";
import type { InfrastructureConversationManager } from "@espada/infra-conversation";
import type { InfrastructurePluginDiscoverer } from "@espada/infra-discovery";
import type {
  DiscoveryReport,
  InfrastructureCommandExecutor,
  InfrastructureProviderRegistry,
  ProviderInstanceInfo,
  ShutdownReport,
} from "@espada/infra-registry";
import type { InfrastructureSecurityFacade } from "@espada/infra-security";
import type { InfrastructureSessionManager, SessionStorage, StoreProblem } from "@espada/infra-sessions";
import type { RedisStateStore } from "@espada/infra-store-redis";

/** The state directory of the standalone CLI, relative to its working directory. */
export const STANDALONE_STATE_DIR = ".espada-infra";

/** Options of {@link createInfrastructureFramework} beyond the configuration. */
export interface FrameworkOptions {
  /**
   * Where file state lives (sessions, approvals, break-glass, rate counters, audit). Wins over
   * `config.stateDir`. Default: `config.stateDir`, else `./.espada-infra` under `cwd`.
   */
  readonly stateDir?: string;
  /** Base of relative paths (state directory, discovery folders). Default `process.cwd()`. */
  readonly cwd?: string;
  /** Environment read for encryption and audit keys. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Logger to use instead of one built from `loggingConfig` (the CLI passes a quiet one). */
  readonly logger?: InfrastructureLogger;
  /**
   * How long to wait for a state directory's lock while another process holds it (ms; 0: fail at
   * once with `STORAGE_LOCKED`). Default 0.
   */
  readonly lockWaitMs?: number;
  /**
   * The clock of the state: session, approval and break-glass expiries, rate windows, store TTLs
   * and audit times (epoch ms). Default `Date.now`; tests move it instead of waiting.
   */
  readonly now?: () => number;
}

/** Which configured providers came up at start, and which did not (with the reason). */
export interface StartReport {
  readonly started: readonly ProviderInstanceInfo[];
  readonly failed: readonly {
    readonly providerId: string;
    readonly code: string;
    readonly message: string;
  }[];
  /** Discovery's report, when discovery ran. */
  readonly discovery: DiscoveryReport | undefined;
}

/**
 * The composed framework. The registry (with its lifecycle manager and event bus) exists at once;
 * every other part is opened on first use and shared afterwards.
 */
export interface InfrastructureFramework {
  /** The validated configuration, defaults filled in. */
  readonly config: InfrastructureConfig;
  /** Absolute state directory. */
  readonly stateDir: string;
  readonly logger: InfrastructureLogger;
  readonly registry: InfrastructureProviderRegistry;
  /** What exists (hand this, never the registry, to chat and agent tools). */
  readonly catalogue: InfrastructureCatalogue;
  readonly events: InfrastructureEventBus;
  /** The plugin discoverer over `discoveryConfig`. */
  discoverer(): Promise<InfrastructurePluginDiscoverer>;
  /**
   * Sessions: history, pending operations. With `persistState`, kept under `<stateDir>/sessions`, or
   * in Redis when `stateStoreConfig.backend` is `redis` (then shared by every instance).
   */
  sessions(): Promise<InfrastructureSessionManager>;
  /**
   * The security facade (the executor's gate and audit sink) over a file store under
   * `<stateDir>/security`, or over Redis when `stateStoreConfig.backend` is `redis`.
   */
  security(): Promise<InfrastructureSecurityFacade>;
  /** The command executor: validation → gate → audit → provider, with sessions and events. */
  executor(): Promise<InfrastructureCommandExecutor>;
  /** The executor's runner (core's `OperationRunner`). */
  runner(): Promise<OperationRunner>;
  /** The conversational pipeline over the catalogue and the runner. */
  conversation(): Promise<InfrastructureConversationManager>;
  /** Runs discovery and registers what it finds (never throws for one bad plugin). */
  discover(options?: { readonly signal?: AbortSignal; readonly refresh?: boolean }): Promise<DiscoveryReport>;
  /**
   * Brings the configured, enabled providers up: discovers plugins when discovery is on, then
   * creates, initializes and starts one instance per `providers[]` entry (instance id = provider
   * id). A provider that fails is reported, not thrown; the others still start. Idempotent.
   */
  start(options?: { readonly signal?: AbortSignal }): Promise<StartReport>;
  /**
   * Shuts everything down: executor, registry (each provider bounded by `lifecycleConfig.shutdownTimeout`),
   * conversation, security, sessions, stores, discoverer and the logger it built. Safe to call twice.
   */
  shutdown(): Promise<ShutdownReport | undefined>;
}

/** A state store the framework opened and closes. */
type OwnedStore = StateStore & { close(): Promise<void> };

/** Builds a part once; later calls share the promise (a failure is not cached, so a retry may succeed). */
function once<T>(build: () => Promise<T>): { get: () => Promise<T>; peek: () => Promise<T> | undefined } {
  let pending: Promise<T> | undefined;
  return {
    get: () => {
      pending ??= build().catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
      return pending;
    },
    peek: () => pending,
  };
}

/**
 * Builds the framework from one `extensions.infrastructure` block (validated with core's schema;
 * an invalid block throws core's `ConfigValidationError` listing every issue with its path). A
 * config core has already validated and branded (what `loadInfrastructureConfig` returns) is used
 * as it is; any other object, a changed copy of one included, is parsed. Nothing is opened on disk
 * until a part that needs it is first used.
 */
export async function createInfrastructureFramework(
  config: unknown = {},
  options: FrameworkOptions = {},
): Promise<InfrastructureFramework> {
  const core = await import("@espada/infra-core");
  const parsed = core.parseInfrastructureConfig(config ?? {});
  const { InfrastructureProviderRegistry } = await import("@espada/infra-registry");
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const stateDir = resolve(cwd, options.stateDir ?? parsed.stateDir ?? STANDALONE_STATE_DIR);
  let ownLogger: { close(): Promise<void> } | undefined;
  let logger: InfrastructureLogger;
  if (options.logger === undefined) {
    const { InfrastructureLoggerImpl } = await import("@espada/infra-logging");
    const built = new InfrastructureLoggerImpl(parsed.loggingConfig, { baseDir: stateDir, env });
    ownLogger = built;
    logger = built;
  } else {
    logger = options.logger;
  }
  const lockWaitMs = options.lockWaitMs ?? 0;
  const clock = options.now === undefined ? {} : { now: options.now };

  const discoverer = once(async () => {
    const { createPluginDiscoverer } = await import("@espada/infra-discovery");
    return createPluginDiscoverer({ config: parsed.discoveryConfig, cwd, logger });
  });
  const registry = new InfrastructureProviderRegistry({
    logger,
    lifecycle: parsed.lifecycleConfig,
    discoverer: {
      discover: async (discoverOptions) => (await discoverer.get()).discover(discoverOptions),
    },
  });
  const events = registry.events;

  const sessionProblem = (problem: StoreProblem): void =>
    logger.warn(
      `sessions: ${problem.kind}${problem.key === undefined ? "" : ` (${problem.key})`}: ${problem.error.message}`,
    );
  const redisConfig = parsed.stateStoreConfig.backend === "redis" ? parsed.stateStoreConfig : undefined;
  /**
   * The one Redis store every shared part uses (security under `security/…`, sessions under
   * `sessions/…` and `history/…`). ioredis is imported only here, so the file backend never loads it.
   */
  const redisStore = once(async (): Promise<RedisStateStore> => {
    const { createRedisStateStore } = await import("@espada/infra-store-redis");
    return createRedisStateStore(redisConfig ?? {}, { logger, ...clock });
  });
  const securityStore = once(async (): Promise<OwnedStore> => {
    if (redisConfig !== undefined) return redisStore.get();
    const { FileStateStore } = await import("@espada/infra-sessions");
    return FileStateStore.open({ directory: resolve(stateDir, "security"), lockWaitMs, ...clock });
  });
  const security = once(async () => {
    const { InfrastructureSecurityFacade } = await import("@espada/infra-security");
    return InfrastructureSecurityFacade.fromConfig(parsed.securityConfig, {
      store: await securityStore.get(),
      env,
      ...clock,
      onProblem: (message) => logger.warn(`security: ${message}`),
    });
  });
  /** Sessions in the shared Redis store (when `persistState`), sealed with a key every instance shares. */
  const sharedSessionStorage = async (): Promise<SessionStorage | undefined> => {
    if (redisConfig === undefined || !parsed.sessionConfig.persistState) return undefined;
    const { EncryptionKeyring, ENCRYPTION_KEY_ENV, StateSessionStorage } =
      await import("@espada/infra-sessions");
    const encryption = parsed.securityConfig.encryption;
    if (encryption.enabled && encryption.key === undefined && (env[ENCRYPTION_KEY_ENV] ?? "") === "") {
      // A keyring generated per machine would seal sessions that other instances cannot open.
      const message = `stateStoreConfig.backend "redis" shares sessions between instances, so every instance needs the same encryption key: set securityConfig.encryption.key or ${ENCRYPTION_KEY_ENV} (or securityConfig.encryption.enabled false)`;
      throw new core.ConfigValidationError(
        `Invalid configuration: securityConfig.encryption.key: ${message}`,
        [{ code: "REQUIRED", message, path: "securityConfig.encryption.key" }],
      );
    }
    const keyring = encryption.enabled
      ? await EncryptionKeyring.open({ config: encryption, env, ...clock })
      : undefined;
    return new StateSessionStorage({
      store: await redisStore.get(),
      ...(keyring === undefined ? {} : { keyring }),
      parse: true,
      onProblem: sessionProblem,
    });
  };
  const sessions = once(async () => {
    const { createInfrastructureSessionManager } = await import("@espada/infra-sessions");
    const storage = await sharedSessionStorage();
    return createInfrastructureSessionManager({
      sessionConfig: parsed.sessionConfig,
      commandConfig: parsed.commandConfig,
      securityConfig: parsed.securityConfig,
      ...(storage !== undefined
        ? { storage }
        : parsed.sessionConfig.persistState
          ? { stateDirectory: resolve(stateDir, "sessions") }
          : {}),
      events,
      logger,
      env,
      ...clock,
      onProblem: sessionProblem,
    });
  });
  const executor = once(async () => {
    const { createCommandExecutor } = await import("@espada/infra-registry");
    const [gate, store] = await Promise.all([security.get(), sessions.get()]);
    return createCommandExecutor({
      providers: registry,
      gate,
      audit: gate,
      auditConfig: parsed.securityConfig.audit,
      sessions: store,
      events,
      logger,
      config: parsed.commandConfig,
    });
  });
  // Pending confirmations live here (under `conversation/confirmations/` in Redis), so a "yes"
  // after a restart still finds its question.
  const conversationStore = once(async (): Promise<OwnedStore> => {
    if (redisConfig !== undefined) return redisStore.get();
    const { FileStateStore } = await import("@espada/infra-sessions");
    return FileStateStore.open({ directory: resolve(stateDir, "conversation"), lockWaitMs, ...clock });
  });
  const conversation = once(async () => {
    const { InfrastructureConversationManager } = await import("@espada/infra-conversation");
    const [run, store, confirmations] = await Promise.all([
      executor.get(),
      sessions.get(),
      conversationStore.get(),
    ]);
    return new InfrastructureConversationManager({
      catalogue: registry.catalogue,
      runner: run.runner,
      sessions: store,
      store: confirmations,
      onStoreError: (error, operation, id) =>
        logger.warn(
          `conversation: store ${operation}${id === undefined ? "" : ` (${id})`}: ${error.message}`,
        ),
      config: parsed.conversationConfig,
    });
  });

  let starting: Promise<StartReport> | undefined;
  let stopping: Promise<ShutdownReport | undefined> | undefined;

  const discover: InfrastructureFramework["discover"] = async (discoverOptions = {}) =>
    registry.discoverAndRegisterProviders(discoverOptions);

  async function bringUp(signal: AbortSignal | undefined): Promise<StartReport> {
    const report = parsed.discoveryConfig.enabled
      ? await discover(signal === undefined ? {} : { signal })
      : undefined;
    const started: ProviderInstanceInfo[] = [];
    const failed: { providerId: string; code: string; message: string }[] = [];
    // One provider after another: a provider's start may be slow, and a failure must not stop the others.
    for (const provider of parsed.providers) {
      if (!provider.enabled) continue;
      if (signal?.aborted === true) {
        failed.push({ providerId: provider.id, code: "CANCELLED", message: "start was cancelled" });
        continue;
      }
      if (registry.getInstance(provider.id) !== undefined) continue;
      try {
        started.push(
          await registry.createAndInitializeProvider(provider.id, {
            instanceId: provider.id,
            settings: provider.settings,
            ...(provider.auth === undefined
              ? {}
              : {
                  auth: { method: provider.auth.method, credentials: provider.auth.credentials, options: {} },
                }),
          }),
        );
      } catch (error) {
        const err = core.toError(error);
        const code = core.isInfrastructureError(err) ? err.code : "PROVIDER_FAILED";
        // Messages come from our own packages and name fields, never credential values; redact anyway.
        const message = core.redactSecretText(err.message);
        failed.push({ providerId: provider.id, code, message });
        logger.error(`provider "${provider.id}" did not start: ${message}`, { providerId: provider.id });
      }
    }
    return { started, failed, discovery: report };
  }

  const framework: InfrastructureFramework = {
    config: parsed,
    stateDir,
    logger,
    registry,
    catalogue: registry.catalogue,
    events,
    discoverer: discoverer.get,
    sessions: sessions.get,
    security: security.get,
    executor: executor.get,
    runner: async () => (await executor.get()).runner,
    conversation: conversation.get,
    discover,
    start(startOptions = {}) {
      if (stopping !== undefined)
        return Promise.reject(
          new core.InfrastructureError("SHUTDOWN", "The infrastructure framework has been shut down"),
        );
      starting ??= bringUp(startOptions.signal);
      return starting;
    },
    shutdown() {
      stopping ??= (async () => {
        const settle = async (
          work: Promise<unknown> | undefined,
          close: (value: never) => unknown,
          what: string,
        ): Promise<void> => {
          if (work === undefined) return;
          try {
            const value = (await work) as never;
            await close(value);
          } catch (error) {
            logger.warn(`${what} did not close cleanly: ${core.toError(error).message}`);
          }
        };
        await settle(
          starting?.catch(() => undefined),
          () => undefined,
          "start",
        );
        await settle(executor.peek(), (e: InfrastructureCommandExecutor) => e.close(), "executor");
        let report: ShutdownReport | undefined;
        try {
          report = await registry.shutdown();
        } catch (error) {
          logger.warn(`registry did not shut down cleanly: ${core.toError(error).message}`);
        }
        await settle(
          conversation.peek(),
          (c: InfrastructureConversationManager) => closeIfPossible(c),
          "conversation",
        );
        // the Redis store is shared by every part: closed once, after all of them
        if (redisConfig === undefined)
          await settle(conversationStore.peek(), (s: OwnedStore) => s.close(), "conversation store");
        await settle(security.peek(), (s: InfrastructureSecurityFacade) => s.close(), "security");
        await settle(sessions.peek(), (s: InfrastructureSessionManager) => s.close(), "sessions");
        if (redisConfig === undefined)
          await settle(securityStore.peek(), (s: OwnedStore) => s.close(), "security store");
        await settle(redisStore.peek(), (s: RedisStateStore) => s.close(), "state store");
        await settle(discoverer.peek(), (d: InfrastructurePluginDiscoverer) => d.close(), "discoverer");
        if (ownLogger !== undefined) await ownLogger.close().catch(() => undefined);
        return report;
      })();
      return stopping;
    },
  };
  return framework;
}

function closeIfPossible(value: unknown): unknown {
  const close = (value as { close?: unknown } | null)?.close;
  return typeof close === "function" ? (close as () => unknown).call(value) : undefined;
}
