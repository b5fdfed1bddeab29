import { ValidationError } from "@espada/infra-core";
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
import type { ResourceTracker } from "./resourceTracker.js";
import { validation } from "./results.js";

/**
 * What {@link createSimpleProvider} needs: meta and commands; every lifecycle callback is optional
 * and has a documented default (a provider with no callbacks initializes, starts, stops and is
 * destroyed doing nothing, and reports healthy).
 * Every callback receives, after the arguments the spec names, `resources` — the provider's
 * {@link ResourceTracker} (`update(resource)`, `remove(id)`, `list()`), which feeds `getResources()`.
 * Typed command handlers get the same tracker as their fourth argument.
 */
export interface SimpleProviderOptions {
  /** Provider meta (from `defineProvider().build()`). */
  readonly meta: ProviderMeta;
  /** Commands: definitions (run by `onExecuteCommand`) or definitions with typed handlers (`.handler(fn)`). */
  readonly commands?: readonly ProviderCommand[];
  /** Logger of the provider; the default records nothing. */
  readonly logger?: InfrastructureLogger;
  /** Instance id when created by a registry factory. */
  readonly instanceId?: string;
  /** Command validation settings (`commandConfig.validation`); defaults: strict, dry runs allowed, dangerous commands need confirmation. */
  readonly validation?: Partial<CommandValidationConfig>;
  /** Authenticate and connect. Default: nothing to do (the credentials are accepted as they are). */
  readonly onInitialize?: (auth: ProviderAuth, logger: InfrastructureLogger, resources: ResourceTracker) => Promise<void> | void;
  /** Prepare for operations. Default: nothing to do. */
  readonly onStart?: (logger: InfrastructureLogger, resources: ResourceTracker) => Promise<void> | void;
  /** Pause gracefully. Default: nothing to do. */
  readonly onStop?: (logger: InfrastructureLogger, resources: ResourceTracker) => Promise<void> | void;
  /** Release resources (the tracked ones are still listed here and forgotten after). Default: nothing to do. */
  readonly onDestroy?: (logger: InfrastructureLogger, resources: ResourceTracker) => Promise<void> | void;
  /**
   * One item per sub-check; the worst decides the provider's health. Default: one `healthy` item
   * named `provider` (a provider with nothing to check is healthy while ready, active or suspended).
   */
  readonly onHealthCheck?: (
    logger: InfrastructureLogger,
    resources: ResourceTracker,
  ) => Promise<readonly HealthCheckItem[]> | readonly HealthCheckItem[];
  /**
   * Validate provider settings (`providers[].settings`); paths are relative to the settings
   * (`region`; the registry reports `settings.region`). Default: every config is valid.
   */
  readonly onValidateConfig?: (
    config: unknown,
    logger: InfrastructureLogger,
    resources: ResourceTracker,
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
  ) => Promise<CommandResult> | CommandResult;
}

/** What a provider without `onHealthCheck` reports: one healthy item. */
const DEFAULT_HEALTH: readonly HealthCheckItem[] = [{ name: "provider", status: "healthy", message: "no health checks defined" }];

class SimpleProvider extends BaseInfrastructureProvider {
  readonly #options: SimpleProviderOptions;
  readonly #resources: ResourceTracker = {
    update: (resource) => this.updateResource(resource),
    remove: (id) => this.removeResource(id),
    list: () => this.getResources(),
  };

  constructor(options: SimpleProviderOptions) {
    super(options.meta, {
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.instanceId === undefined ? {} : { instanceId: options.instanceId }),
      ...(options.commands === undefined ? {} : { commands: options.commands }),
      ...(options.validation === undefined ? {} : { validation: options.validation }),
    });
    this.#options = options;
  }

  protected override async onInitialize(auth: ProviderAuth): Promise<void> {
    await this.#options.onInitialize?.(auth, this.logger, this.#resources);
  }
  protected override async onStart(): Promise<void> {
    await this.#options.onStart?.(this.logger, this.#resources);
  }
  protected override async onStop(): Promise<void> {
    await this.#options.onStop?.(this.logger, this.#resources);
  }
  protected override async onDestroy(): Promise<void> {
    await this.#options.onDestroy?.(this.logger, this.#resources);
  }
  protected override async performHealthChecks(): Promise<readonly HealthCheckItem[]> {
    const check = this.#options.onHealthCheck;
    return check === undefined ? DEFAULT_HEALTH : check(this.logger, this.#resources);
  }
  protected override async onValidateConfig(config: unknown): Promise<ConfigValidationResult> {
    return this.#options.onValidateConfig ? this.#options.onValidateConfig(config, this.logger, this.#resources) : validation.ok();
  }
  protected override async onExecuteCommand(
    cmd: CommandDefinition,
    params: Record<string, unknown>,
    ctx: ExecutionContext,
    log: InfrastructureLogger,
  ): Promise<CommandResult> {
    const run = this.#options.onExecuteCommand;
    if (run === undefined) throw new Error(`no handler for command "${cmd.id}"`);
    return run(cmd, params, ctx, log, this.#resources);
  }
}

const CALLBACKS = ["onInitialize", "onStart", "onStop", "onDestroy", "onHealthCheck", "onValidateConfig", "onExecuteCommand"] as const;

function requireFunction(options: SimpleProviderOptions, key: (typeof CALLBACKS)[number]): void {
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
 * @throws ValidationError when the meta is invalid, a callback is not a function, or a command has neither
 * its own handler nor an `onExecuteCommand` to run it.
 */
export function createSimpleProvider(options: SimpleProviderOptions): BaseInfrastructureProvider {
  for (const key of CALLBACKS) requireFunction(options, key);
  if (options.onExecuteCommand === undefined) {
    const unhandled = (options.commands ?? []).filter((c) => !isCommandImplementation(c)).map((c) => (c as CommandDefinition).id);
    if (unhandled.length > 0) {
      throw new ValidationError(`Invalid simple provider: onExecuteCommand is required to run ${unhandled.join(", ")}`, [
        { code: "REQUIRED", message: `onExecuteCommand is required: commands without a handler (${unhandled.join(", ")})`, path: "onExecuteCommand" },
      ]);
    }
  }
  return new SimpleProvider(options);
}
