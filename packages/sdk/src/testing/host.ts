import { ValidationError, createExecutionContext } from "@espada/infra-core";
import type {
  CommandResult,
  ConfigValidationResult,
  ExecutionContext,
  InfrastructureProvider,
  ProgressUpdate,
  ProviderAuth,
  ProviderFactory,
  ValidationIssue,
} from "@espada/infra-core";
import { createMockLogger } from "./helpers.js";
import type { MockLogger } from "./helpers.js";

/** Options of {@link createInMemoryHost}. */
export interface InMemoryHostOptions {
  /** Instance id handed to the factory. Default `"test-instance"`. */
  readonly instanceId?: string;
  /** Provider settings (`providers[].settings`) handed to the factory and to `validateConfig`. Default `{}`. */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Credentials for `initialize`. Default: the provider's first auth method with no credentials. */
  readonly auth?: ProviderAuth;
  /** Where the provider's log goes. Default: a fresh {@link MockLogger}. */
  readonly logger?: MockLogger;
}

/** What a call through the host may set: any context field except the logger and the progress sink, which the host owns. */
export type HostCallContext = Partial<Omit<ExecutionContext, "logger" | "progress">>;

/**
 * A provider run the way the registry runs it, in memory: the factory gets `{ instanceId, settings,
 * logger }`, the settings go through `validateConfig` (a refusal throws a `ValidationError` whose
 * issues name `settings.<field>`), then `initialize(auth)` and `start()`. Every log line lands in
 * `logger`, every progress update in `progress`.
 */
export interface InMemoryHost {
  /** The instance id the factory received. */
  readonly instanceId: string;
  /** Everything the provider logged (its children and context loggers included). */
  readonly logger: MockLogger;
  /** Every progress update of every call, in order. */
  readonly progress: readonly ProgressUpdate[];
  /**
   * The provider once {@link InMemoryHost.create} has run.
   * @throws Error when read before `create()`.
   */
  readonly provider: InfrastructureProvider;
  /**
   * Calls the factory and validates the settings (idempotent: a second call returns the same provider).
   * @throws ValidationError when the provider refuses its settings (issues at `settings.<field>`).
   */
  create(): Promise<InfrastructureProvider>;
  /** `create()` if needed, then `initialize(auth)` and `start()`; returns the active provider. */
  start(): Promise<InfrastructureProvider>;
  /** Runs a command through `executeCommand` with the host's logger and progress capture. */
  execute(
    commandId: string,
    params?: Record<string, unknown>,
    context?: HostCallContext,
  ): Promise<CommandResult>;
  /** Stops an active provider and destroys it unless already terminated; a no-op before `create()`. */
  shutdown(): Promise<void>;
}

/** Prefixes a provider's relative config issue paths with `settings` (the registry's convention). */
export function settingsIssues(result: ConfigValidationResult): ValidationIssue[] {
  return result.errors.map((issue) => ({
    code: issue.code,
    message: issue.message,
    path: issue.path === undefined || issue.path === "" ? "settings" : `settings.${issue.path}`,
  }));
}

/**
 * Creates an {@link InMemoryHost} for `factory` — the registry's path (factory → settings check →
 * initialize → start → execute) without the registry, for a provider's own tests.
 *
 * @example
 * ```ts
 * import { createSimpleProvider, defineCommand, defineProvider, success } from "@espada/infra-sdk";
 * import { createInMemoryHost, expectSuccess } from "@espada/infra-sdk/testing";
 *
 * const meta = defineProvider().id("echo").name("Echo").version("1.0.0").category("custom").authMethods("custom").build();
 * const echo = defineCommand().id("echo").name("Echo").category("utility").stringParam("text", "What to say", { required: true })
 *   .handler((params, _ctx, logger) => { logger.info(`echo ${params.text}`); return success({ said: params.text }); });
 * const host = createInMemoryHost(({ logger }) => createSimpleProvider({ meta, commands: [echo], logger }));
 * await host.start();
 * const data = expectSuccess(await host.execute("echo", { text: "hi" }));
 * console.log(data, host.logger.find("info").map((e) => e.message)); // { said: "hi" } [ "echo hi" ]
 * await host.shutdown();
 * ```
 */
export function createInMemoryHost(
  factory: ProviderFactory,
  options: InMemoryHostOptions = {},
): InMemoryHost {
  const instanceId = options.instanceId ?? "test-instance";
  const settings = options.settings ?? {};
  const logger = options.logger ?? createMockLogger();
  const progress: ProgressUpdate[] = [];
  let created: InfrastructureProvider | undefined;
  let creating: Promise<InfrastructureProvider> | undefined;

  const create = (): Promise<InfrastructureProvider> => {
    creating ??= (async () => {
      const provider = await factory({ instanceId, settings, logger: logger.withContext({ instanceId }) });
      const verdict = await provider.validateConfig(settings);
      if (!verdict.valid) {
        const issues = settingsIssues(verdict);
        throw new ValidationError(
          `Invalid settings for provider "${provider.meta.id}": ${issues.map((i) => `${i.path ?? "settings"}: ${i.message}`).join("; ")}`,
          issues,
        );
      }
      created = provider;
      return provider;
    })();
    return creating;
  };

  return {
    instanceId,
    logger,
    progress,
    get provider(): InfrastructureProvider {
      if (created === undefined)
        throw new Error("the in-memory host has no provider yet: await host.create() or host.start() first");
      return created;
    },
    create,
    async start() {
      const provider = await create();
      if (provider.state === "uninitialized" || provider.state === "error") {
        await provider.initialize(
          options.auth ?? { method: provider.meta.authMethods[0] ?? "custom", credentials: {}, options: {} },
        );
      }
      if (provider.state !== "active") await provider.start();
      return provider;
    },
    async execute(commandId, params = {}, context = {}) {
      const provider = await create();
      const ctx = createExecutionContext({
        ...context,
        logger: logger.withContext({ instanceId, commandId }),
        progress: (update) => {
          progress.push(update);
        },
      });
      return provider.executeCommand(commandId, params, ctx);
    },
    async shutdown() {
      if (created === undefined) return;
      if (created.state === "active") await created.stop();
      if (created.state !== "terminated") await created.destroy();
    },
  };
}
