import { ValidationError } from "@espada/infra-core/authoring";
import type {
  CommandDefinition,
  CommandResult,
  CommandValidationConfig,
  ConfigValidationResult,
  ExecutionContext,
  HealthCheckItem,
  InfrastructureLogger,
  ProviderAuth,
  ProviderMeta,
} from "@espada/infra-core";
import { BaseInfrastructureProvider } from "./baseProvider.js";
import { isCommandImplementation } from "./defineCommand.js";
import type { ProviderCommand } from "./defineCommand.js";
import type { CommandClient } from "./call.js";
import type { ResourceTracker } from "./resourceTracker.js";
import { validation } from "./results.js";
import type { RawSettings, SettingsSchema } from "./settings.js";

/**
 * What {@link createSimpleProvider} needs: meta and commands; every lifecycle callback is optional
 * and has a documented default (a provider with no callbacks initializes, starts, stops and is
 * destroyed doing nothing, and reports healthy).
 * Every callback receives, after the arguments the spec names, `resources` — the provider's
 * {@link ResourceTracker} (`update(resource)`, `remove(id)`, `list()`), which feeds `getResources()`.
 * Typed command handlers get the same tracker as their fourth argument.
 */
export interface SimpleProviderOptions<S = RawSettings> {
  /** Provider meta (from `defineProvider().build()`). */
  readonly meta: ProviderMeta;
  /** Commands: definitions (run by `onExecuteCommand`) or definitions with typed handlers (`.handler(fn)`). */
  readonly commands?: readonly ProviderCommand[];
  /** Logger of the provider. Default: core's console logger on stderr (`ESPADA_LOG_LEVEL`, default `info`; `silent` turns it off). */
  readonly logger?: InfrastructureLogger;
  /** Instance id when created by a registry factory. */
  readonly instanceId?: string;
  /** Command validation settings (`commandConfig.validation`); defaults: strict, dry runs allowed, dangerous commands need confirmation. */
  readonly validation?: Partial<CommandValidationConfig>;
  /**
   * **Typed settings.** The schema of the provider's settings (`providers[].settings`): `validateConfig`
   * parses them with it — each issue names its field (`region`; the registry reports `settings.region`)
   * through core's `toValidationIssues` — and every callback receives the parsed, typed value as its
   * last argument. `onValidateConfig` then only adds checks a schema cannot express.
   */
  readonly settingsSchema?: SettingsSchema<S>;
  /**
   * The raw settings, for a provider used without the registry (the registry passes them to
   * `validateConfig`; a factory may forward `options.settings` here). Parsed at `initialize` when
   * `validateConfig` has not run; invalid settings then fail `initialize` with the field named.
   * Default `{}`.
   */
  readonly settings?: unknown;
  /** Authenticate and connect. Default: nothing to do (the credentials are accepted as they are). */
  readonly onInitialize?: (
    auth: ProviderAuth,
    logger: InfrastructureLogger,
    resources: ResourceTracker,
    settings: S,
  ) => Promise<void> | void;
  /** Prepare for operations. Default: nothing to do. */
  readonly onStart?: (
    logger: InfrastructureLogger,
    resources: ResourceTracker,
    settings: S,
  ) => Promise<void> | void;
  /** Pause gracefully. Default: nothing to do. */
  readonly onStop?: (
    logger: InfrastructureLogger,
    resources: ResourceTracker,
    settings: S,
  ) => Promise<void> | void;
  /** Release resources (the tracked ones are still listed here and forgotten after). Default: nothing to do. */
  readonly onDestroy?: (
    logger: InfrastructureLogger,
    resources: ResourceTracker,
    settings: S,
  ) => Promise<void> | void;
  /**
   * One item per sub-check; the worst decides the provider's health. Default: one `healthy` item
   * named `provider` (a provider with nothing to check is healthy while ready, active or suspended).
   */
  readonly onHealthCheck?: (
    logger: InfrastructureLogger,
    resources: ResourceTracker,
    settings: S,
  ) => Promise<readonly HealthCheckItem[]> | readonly HealthCheckItem[];
  /**
   * Validate provider settings (`providers[].settings`); paths are relative to the settings
   * (`region`; the registry reports `settings.region`). With a `settingsSchema` it runs only when the
   * schema passed, and `settings` is the parsed value. Default: every config is valid.
   */
  readonly onValidateConfig?: (
    config: unknown,
    logger: InfrastructureLogger,
    resources: ResourceTracker,
    settings: S,
  ) => Promise<ConfigValidationResult> | ConfigValidationResult;
  /**
   * Run a command that has no handler of its own. Required unless every command carries a handler.
   */
  readonly onExecuteCommand?: (
    cmd: CommandDefinition,
    params: Record<string, unknown>,
    ctx: ExecutionContext,
    logger: InfrastructureLogger,
    resources: ResourceTracker,
    settings: S,
  ) => Promise<CommandResult> | CommandResult;
}

/**
 * What {@link createSimpleProvider} returns: a {@link BaseInfrastructureProvider} that also knows its
 * commands' types (`call`) and its parsed `settings`.
 */
export interface SimpleInfrastructureProvider<
  Cs extends readonly ProviderCommand[] = readonly ProviderCommand[],
  S = RawSettings,
>
  extends BaseInfrastructureProvider<S>, CommandClient<Cs> {}

/** What a provider without `onHealthCheck` reports: one healthy item. */
const DEFAULT_HEALTH: readonly HealthCheckItem[] = [
  { name: "provider", status: "healthy", message: "no health checks defined" },
];

class SimpleProvider<S> extends BaseInfrastructureProvider<S> {
  readonly #options: SimpleProviderOptions<S>;
  readonly #resources: ResourceTracker = {
    update: (resource) => this.updateResource(resource),
    remove: (id) => this.removeResource(id),
    list: () => this.getResources(),
  };

  constructor(options: SimpleProviderOptions<S>) {
    super(options.meta, {
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.instanceId === undefined ? {} : { instanceId: options.instanceId }),
      ...(options.commands === undefined ? {} : { commands: options.commands }),
      ...(options.validation === undefined ? {} : { validation: options.validation }),
      ...(options.settingsSchema === undefined ? {} : { settingsSchema: options.settingsSchema }),
      ...(options.settings === undefined ? {} : { settings: options.settings }),
    });
    this.#options = options;
  }

  /** Runs a command with compile-time checked id and params (see {@link CommandClient}). */
  call(
    id: string,
    params: Record<string, unknown>,
    context?: Partial<ExecutionContext>,
  ): Promise<CommandResult> {
    return this.executeCommand(id, params, context);
  }

  protected override async onInitialize(auth: ProviderAuth): Promise<void> {
    await this.#options.onInitialize?.(auth, this.logger, this.#resources, this.settings);
  }
  protected override async onStart(): Promise<void> {
    await this.#options.onStart?.(this.logger, this.#resources, this.settings);
  }
  protected override async onStop(): Promise<void> {
    await this.#options.onStop?.(this.logger, this.#resources, this.settings);
  }
  protected override async onDestroy(): Promise<void> {
    // A provider whose settings never parsed (its initialize failed) is still destroyed.
    let settings: S | undefined;
    try {
      settings = this.settings;
    } catch {
      settings = undefined;
    }
    await this.#options.onDestroy?.(this.logger, this.#resources, settings as S);
  }
  protected override async performHealthChecks(): Promise<readonly HealthCheckItem[]> {
    const check = this.#options.onHealthCheck;
    return check === undefined ? DEFAULT_HEALTH : check(this.logger, this.#resources, this.settings);
  }
  protected override async onValidateConfig(config: unknown, settings: S): Promise<ConfigValidationResult> {
    const check = this.#options.onValidateConfig;
    return check === undefined ? validation.ok() : check(config, this.logger, this.#resources, settings);
  }
  protected override async onExecuteCommand(
    cmd: CommandDefinition,
    params: Record<string, unknown>,
    ctx: ExecutionContext,
    log: InfrastructureLogger,
  ): Promise<CommandResult> {
    const run = this.#options.onExecuteCommand;
    if (run === undefined) throw new Error(`no handler for command "${cmd.id}"`);
    return run(cmd, params, ctx, log, this.#resources, this.settings);
  }
}

const CALLBACKS = [
  "onInitialize",
  "onStart",
  "onStop",
  "onDestroy",
  "onHealthCheck",
  "onValidateConfig",
  "onExecuteCommand",
] as const;

function requireFunction<S>(options: SimpleProviderOptions<S>, key: (typeof CALLBACKS)[number]): void {
  const value = options[key];
  if (value !== undefined && typeof value !== "function") {
    throw new ValidationError(`Invalid simple provider: ${key} must be a function`, [
      { code: "TYPE_MISMATCH", message: `${key} must be a function`, path: key },
    ]);
  }
}

/**
 * Builds a provider from meta, commands and plain callbacks — the quickest way to a working
 * `InfrastructureProvider` with the full lifecycle, hooks, validation and dry-run enforcement of
 * {@link BaseInfrastructureProvider}.
 *
 * @example
 * ```ts
 * import { createSimpleProvider, defineCommand, defineProvider, success } from "@espada/infra-sdk";
 *
 * const meta = defineProvider().id("my-cloud").name("My Cloud").version("1.0.0").category("cloud").authMethods("api-key").build();
 * const create = defineCommand().id("create-instance").name("Create Instance").category("provision")
 *   .stringParam("name", "Instance name", { required: true }).numberParam("cpu", "CPU count", { default: 2 })
 *   .handler((params) => success({ instanceId: `i-${params.name}-${params.cpu}` }));
 * const provider = createSimpleProvider({ meta, commands: [create] }); // every lifecycle callback is optional
 * await provider.initialize({ method: "api-key", credentials: { apiKey: "…" }, options: {} });
 * await provider.start();
 * const result = await provider.call("create-instance", { name: "web" });
 * console.log(result.success && result.data.instanceId); // i-web-2
 * ```
 * @throws ValidationError when the meta is invalid, a callback is not a function, or a command has neither
 * its own handler nor an `onExecuteCommand` to run it.
 */
export function createSimpleProvider<
  const Cs extends readonly ProviderCommand[] = readonly ProviderCommand[],
  S = RawSettings,
>(options: SimpleProviderOptions<S> & { readonly commands?: Cs }): SimpleInfrastructureProvider<Cs, S> {
  for (const key of CALLBACKS) requireFunction(options, key);
  if (options.onExecuteCommand === undefined) {
    const unhandled = (options.commands ?? [])
      .filter((c) => !isCommandImplementation(c))
      .map((c) => (c as CommandDefinition).id);
    if (unhandled.length > 0) {
      throw new ValidationError(
        `Invalid simple provider: onExecuteCommand is required to run ${unhandled.join(", ")}`,
        [
          {
            code: "REQUIRED",
            message: `onExecuteCommand is required: commands without a handler (${unhandled.join(", ")})`,
            path: "onExecuteCommand",
          },
        ],
      );
    }
  }
  if (options.settingsSchema !== undefined && typeof options.settingsSchema.safeParse !== "function") {
    throw new ValidationError(
      "Invalid simple provider: settingsSchema must be a schema with safeParse (a zod schema)",
      [{ code: "TYPE_MISMATCH", message: "settingsSchema must have safeParse", path: "settingsSchema" }],
    );
  }
  return new SimpleProvider(options) as unknown as SimpleInfrastructureProvider<Cs, S>;
}
