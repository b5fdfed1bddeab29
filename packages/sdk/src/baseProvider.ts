import {
  InfrastructureCommandValidator,
  InfrastructureError,
  LifecycleStateMachine,
  LifecycleTransitionError,
  TimeoutError,
  ValidationError,
  clampTimerDelay,
  createExecutionContext,
  isDryRunRequest,
  isInfrastructureError,
  isValidatedCall,
  refusalCode,
  formatIssues,
  lifecycleHookStageSchema,
  notFoundMessage,
  providerAuthSchema,
  providerMetaSchema,
  raceAbort,
  summarizeHealth,
  tieredSafeParse,
  toError,
} from "@espada/infra-core/authoring";
import type {
  CommandDefinition,
  CommandResult,
  CommandValidationConfig,
  ConfigValidationResult,
  ExecutionContext,
  HealthCheckItem,
  InfrastructureLogger,
  InfrastructureProvider,
  LifecycleHook,
  LifecycleHookContext,
  LifecycleHookStage,
  LifecycleState,
  ProviderAuth,
  ProviderCapability,
  ProviderHealth,
  ProviderMeta,
  ResourceState,
  ResourceType,
  Unsubscribe,
  ValidationIssue,
} from "@espada/infra-core";
import { isCommandImplementation } from "./defineCommand.js";
import { defaultProviderLogger } from "./defaultLogger.js";
import type { CommandImplementation, ProviderCommand, TypedCommandDefinition } from "./defineCommand.js";
import { schemaIssuesToError } from "./issues.js";
import { resourceRefsToIds } from "./resourceRefs.js";
import { toResourceState } from "./resourceTracker.js";
import type { ResourceTracker, ResourceUpdate } from "./resourceTracker.js";
import { failure, validation } from "./results.js";
import { parseSettings } from "./settings.js";
import type { RawSettings, SettingsSchema } from "./settings.js";

/** Options of {@link BaseInfrastructureProvider}; `S` is the type of its parsed settings. */
export interface BaseProviderOptions<S = RawSettings> {
  /**
   * Logger of the provider. Default: core's console logger on stderr labelled with the instance id
   * (or provider id), level from `ESPADA_LOG_LEVEL` (default `info`; `silent` turns it off).
   */
  readonly logger?: InfrastructureLogger;
  /** Instance id when the registry creates the provider; passed to hooks and log context. */
  readonly instanceId?: string;
  /** Commands to register at construction (definitions or definitions with typed handlers). */
  readonly commands?: readonly ProviderCommand[];
  /** Command validation settings (`commandConfig.validation`); defaults: strict, dry runs allowed, dangerous commands need confirmation. */
  readonly validation?: Partial<CommandValidationConfig>;
  /**
   * **Typed settings.** The schema of the provider's settings (`providers[].settings`), a zod 4
   * schema or anything with zod's `safeParse`: `validateConfig` parses them with it — each issue
   * names its field (`region`; the registry reports `settings.region`) — before `onValidateConfig`
   * runs, and `this.settings` is the parsed value. Without a schema the settings are the raw object.
   */
  readonly settingsSchema?: SettingsSchema<S>;
  /**
   * The raw settings, for a provider used without the registry (the registry passes them to
   * `validateConfig`; a factory may forward `options.settings` here). Parsed at `initialize` when
   * `validateConfig` has not run; invalid settings then fail `initialize` with the field named.
   */
  readonly settings?: unknown;
}

/** Extra fields {@link BaseInfrastructureProvider.emitLifecycleHook} passes to hooks. */
export interface LifecycleHookExtra {
  readonly error?: unknown;
  readonly data?: unknown;
}

interface RegisteredCommand {
  readonly definition: CommandDefinition;
  readonly implementation:
    CommandImplementation<Record<string, unknown>, Record<string, unknown>> | undefined;
}

interface HookRegistration {
  readonly hook: LifecycleHook;
}

/** States in which `performHealthChecks()` is called; elsewhere the report names the state. */
const CHECKABLE_STATES: ReadonlySet<LifecycleState> = new Set(["ready", "active", "suspended"]);

/**
 * Base class of a provider: implements core's `InfrastructureProvider` — the lifecycle state machine
 * with hooks, command registry, parameter validation, dry-run and confirmation enforcement, result
 * timing, cancellation, health summary and resource tracking — around seven abstract methods.
 *
 * Lifecycle: `initialize` uninitialized|error → initializing → ready; `start` ready (or suspended,
 * through ready) → active; `stop` active → suspending → suspended; `destroy` → terminating →
 * terminated (an active provider is stopped first). A call the transition table does not allow
 * throws `LifecycleTransitionError`; a failing step moves to `error`, fires `onError` hooks and throws
 * an `InfrastructureError` with code `LIFECYCLE_FAILED` and the failure as `cause`.
 */
export abstract class BaseInfrastructureProvider<S = RawSettings> implements InfrastructureProvider {
  /** The validated provider meta. */
  readonly meta: ProviderMeta;
  /** Instance id given by the registry, when any. */
  readonly instanceId: string | undefined;
  /** The provider's logger (scoped with `providerId`, and `instanceId` when known). */
  protected readonly logger: InfrastructureLogger;
  /**
   * The one holder of this provider's state (core's `LifecycleStateMachine`): the provider moves it
   * in its lifecycle calls, and the registry's lifecycle manager moves the same holder when it
   * decides for the provider (a timed-out call or an unhealthy check → `error`, a forced shutdown).
   * Every move is logged at debug as `lifecycle <from> -> <to>`.
   */
  readonly lifecycle: LifecycleStateMachine;

  #busy: string | undefined;
  readonly #settingsSchema: SettingsSchema<S> | undefined;
  readonly #rawSettings: unknown;
  #settings: { readonly value: S } | undefined;
  readonly #commands = new Map<string, RegisteredCommand>();
  readonly #resources = new Map<string, ResourceState>();
  readonly #hooks = new Map<LifecycleHookStage, HookRegistration[]>();
  readonly #validator: InfrastructureCommandValidator;
  /** Handed to typed command handlers; goes through `updateResource`/`removeResource` so overrides apply. */
  readonly #tracker: ResourceTracker = {
    update: (resource) => this.updateResource(resource),
    remove: (id) => this.removeResource(id),
    list: () => this.getResources(),
  };

  /**
   * @param meta provider meta (from `defineProvider().build()` or hand-written; it is validated).
   * @throws ValidationError when `meta` is invalid or a command is registered twice.
   */
  constructor(meta: ProviderMeta, options: BaseProviderOptions<S> = {}) {
    const parsed = tieredSafeParse(providerMetaSchema, meta, { reportInput: true });
    if (!parsed.success) throw schemaIssuesToError("provider meta", parsed.error.issues);
    this.meta = parsed.data;
    this.instanceId = options.instanceId;
    this.#settingsSchema = options.settingsSchema;
    this.#rawSettings = options.settings;
    this.logger = (options.logger ?? defaultProviderLogger(options.instanceId ?? this.meta.id)).withContext({
      providerId: this.meta.id,
      ...(options.instanceId === undefined ? {} : { instanceId: options.instanceId }),
    });
    this.lifecycle = new LifecycleStateMachine({
      name: options.instanceId ?? this.meta.id,
      onListenerError: (error) => this.logger.warn("lifecycle listener threw", { error }),
    });
    this.lifecycle.onTransition(({ from, to }) => this.logger.debug(`lifecycle ${from} -> ${to}`));
    this.#validator = new InfrastructureCommandValidator(options.validation);
    for (const command of options.commands ?? []) this.registerCommand(command);
  }

  /** Current lifecycle state. */
  get state(): LifecycleState {
    return this.lifecycle.state;
  }

  /**
   * The parsed settings: from `validateConfig` (the registry runs it before `initialize`), else the
   * construction-time `settings` parsed on first use.
   * @throws ValidationError when read before `validateConfig` passed and the construction-time settings are invalid.
   */
  get settings(): S {
    if (this.#settings === undefined) {
      const checked = parseSettings(this.#settingsSchema, this.#rawSettings ?? {});
      if (!checked.ok) {
        const issues = checked.issues.map((i) => ({
          ...i,
          path: i.path === undefined || i.path === "" ? "settings" : `settings.${i.path}`,
        }));
        throw new ValidationError(
          `Invalid settings for provider "${this.meta.id}": ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
          issues,
        );
      }
      this.#settings = { value: checked.value };
    }
    return this.#settings.value;
  }

  /** Authenticate and connect (called during `initialize`). */
  protected abstract onInitialize(auth: ProviderAuth): Promise<void>;
  /** Prepare for operations (called during `start`). */
  protected abstract onStart(): Promise<void>;
  /** Pause gracefully (called during `stop`). */
  protected abstract onStop(): Promise<void>;
  /** Release everything (called during `destroy`). */
  protected abstract onDestroy(): Promise<void>;
  /** Return one item per sub-check; the worst decides the provider's health. */
  protected abstract performHealthChecks(): Promise<readonly HealthCheckItem[]>;
  /**
   * Validate provider settings (the registry passes `providers[].settings`); build the result with
   * `validation.ok/error/warning/combine`. Give each issue its path inside the settings (`region`,
   * `limits.max`), not `settings.region`: the registry reports it as `settings.<path>`. With a
   * `settingsSchema` it runs only when the schema passed, and `settings` is the parsed value (return
   * `validation.ok()` when the schema says it all).
   */
  protected abstract onValidateConfig(config: unknown, settings: S): Promise<ConfigValidationResult>;
  /**
   * Run a command that has no handler of its own. `params` are validated with defaults filled;
   * return `success(…)` or `failure(…)`; a throw becomes a `PROVIDER_FAILED` result.
   */
  protected abstract onExecuteCommand(
    cmd: CommandDefinition,
    params: Record<string, unknown>,
    ctx: ExecutionContext,
    log: InfrastructureLogger,
  ): Promise<CommandResult>;

  /** Authenticates and connects: uninitialized|error → initializing → ready. */
  async initialize(auth: ProviderAuth): Promise<void> {
    this.#claim("initialize", "initializing");
    try {
      const parsed = tieredSafeParse(providerAuthSchema, auth, { reportInput: true });
      if (!parsed.success) throw schemaIssuesToError("provider auth", parsed.error.issues);
      if (!this.meta.authMethods.includes(parsed.data.method)) {
        throw new ValidationError(
          `Invalid provider auth: method "${parsed.data.method}" is not one of ${this.meta.authMethods.join(", ")}`,
          [
            {
              code: "UNSUPPORTED_AUTH_METHOD",
              message: `method must be one of ${this.meta.authMethods.join(", ")}`,
              path: "method",
            },
          ],
        );
      }
      this.#moveTo("initializing");
      await this.emitLifecycleHook("beforeInit");
      await this.#step("initialize", async () => {
        void this.settings; // parses the construction-time settings when validateConfig did not run
        await this.onInitialize(parsed.data);
      });
      this.#moveTo("ready");
      await this.emitLifecycleHook("afterInit");
    } finally {
      this.#busy = undefined;
    }
  }

  /** Prepares for operations: ready → active (a suspended provider resumes through ready). */
  async start(): Promise<void> {
    this.#claim("start", this.state === "suspended" ? "ready" : "active");
    try {
      if (this.state === "suspended") this.#moveTo("ready");
      await this.emitLifecycleHook("beforeStart");
      await this.#step("start", () => this.onStart());
      this.#moveTo("active");
      await this.emitLifecycleHook("afterStart");
    } finally {
      this.#busy = undefined;
    }
  }

  /** Pauses gracefully: active → suspending → suspended. */
  async stop(): Promise<void> {
    this.#claim("stop", "suspending");
    try {
      await this.#stopClaimed();
    } finally {
      this.#busy = undefined;
    }
  }

  /** Releases everything: → terminating → terminated. An active provider is stopped first. */
  async destroy(): Promise<void> {
    this.#claim("destroy", this.state === "active" ? "suspending" : "terminating");
    try {
      if (this.state === "active") await this.#stopClaimed();
      this.#moveTo("terminating");
      await this.emitLifecycleHook("beforeDestroy");
      await this.#step("destroy", () => this.onDestroy());
      this.#resources.clear();
      this.#moveTo("terminated");
      await this.emitLifecycleHook("afterDestroy");
    } finally {
      this.#busy = undefined;
    }
  }

  /**
   * Runs `performHealthChecks()` (when ready, active or suspended), folds the items with
   * `summarizeHealth` and fires `onHealthCheck` hooks with the report as `data`. A throwing check
   * yields an unhealthy item instead of a throw; in any other state the report is `unknown`
   * (`unhealthy` in `error`) with one `lifecycle` item naming the state.
   */
  async healthCheck(): Promise<ProviderHealth> {
    let health: ProviderHealth;
    if (CHECKABLE_STATES.has(this.state)) {
      let checks: HealthCheckItem[];
      try {
        checks = [...(await this.performHealthChecks())];
      } catch (error) {
        checks = [{ name: "health-check", status: "unhealthy", message: toError(error).message }];
      }
      health = { status: summarizeHealth(checks), checks, checkedAt: Date.now() };
    } else {
      const state = this.state;
      const status = state === "error" ? "unhealthy" : "unknown";
      health = {
        status,
        checks: [{ name: "lifecycle", status, message: `provider is ${state}` }],
        checkedAt: Date.now(),
      };
    }
    await this.emitLifecycleHook("onHealthCheck", { data: health });
    return health;
  }

  /**
   * Validates provider settings: the `settingsSchema` first, then `onValidateConfig`; when both pass
   * the parsed value becomes `settings`. A throwing `onValidateConfig` yields an invalid result.
   */
  async validateConfig(config: unknown): Promise<ConfigValidationResult> {
    try {
      const checked = parseSettings(this.#settingsSchema, config);
      if (!checked.ok) return { valid: false, errors: checked.issues, warnings: [] };
      const result = await this.onValidateConfig(config, checked.value);
      if (result.valid) this.#settings = { value: checked.value };
      return result;
    } catch (error) {
      return validation.error("VALIDATOR_FAILED", `config check failed: ${toError(error).message}`);
    }
  }

  /** Every registered command definition, in registration order. */
  getCommands(): readonly CommandDefinition[] {
    return [...this.#commands.values()].map((c) => c.definition);
  }

  /**
   * Runs a command and always resolves to a result (codes from core's `ERROR_CODES`). Failures: `NOT_FOUND`,
   * `NOT_ACTIVE` (only an active provider runs commands), `DRY_RUN_UNSUPPORTED`,
   * `CONFIRMATION_REQUIRED` (a dangerous command run for real without `context.confirmed`),
   * `VALIDATION_FAILED` (details.issues names each field), `CANCELLED` / `TIMEOUT` (the signal
   * aborted or the time limit passed; a hanging handler is abandoned), `PROVIDER_FAILED` (the handler threw).
   *
   * Validation: when `context.validated` is a verdict core's validator issued for this command,
   * these params and flags (the executor passes one), it is not repeated — the caller's
   * `commandConfig.validation` decided; otherwise the provider's own validator (`options.validation`) runs.
   *
   * Time limit: `context.timeout`, else the command's declared `timeout`, else none. When it passes,
   * the handler's `ctx.signal` aborts with core's `TimeoutError` and the result is `TIMEOUT`.
   *
   * A `resource-ref` passed as `{ id, type }` reaches the handler as its id string.
   * `duration` is the measured wall time; `dryRun` mirrors the context. The handler's logger (and
   * `ctx.logger` unless the caller passed one) carries `commandId` and the effective `executionId`;
   * a typed handler also receives the provider's resource tracker.
   */
  async executeCommand(
    commandId: string,
    params: Record<string, unknown>,
    context: Partial<ExecutionContext> = {},
  ): Promise<CommandResult> {
    const started = performance.now();
    const finish = (result: CommandResult): CommandResult => ({
      ...result,
      duration: performance.now() - started,
      dryRun: ctx.dryRun,
    });
    const entry = this.#commands.get(commandId);
    const executionId = context.executionId ?? globalThis.crypto.randomUUID();
    const log = this.logger.withContext({ commandId, executionId });
    // a `dryRun: true` param is a dry-run request, run as one (core's rule, the executor's too)
    const ctx = createExecutionContext({
      logger: log,
      ...context,
      executionId,
      dryRun: isDryRunRequest(params, context.dryRun),
    });
    if (entry === undefined) {
      const message = `commandId: ${notFoundMessage("command", commandId, this.#commands.keys(), `on provider "${this.meta.id}"`)}`;
      return finish(
        failure("NOT_FOUND", message, { details: { field: "commandId", kind: "command", id: commandId } }),
      );
    }
    const cmd = entry.definition;
    const state = this.state;
    if (state !== "active") {
      return finish(
        failure("NOT_ACTIVE", `Provider "${this.meta.id}" is ${state}; commands run only when it is active`, {
          details: { state },
        }),
      );
    }
    let runParams: Record<string, unknown>;
    if (isValidatedCall(ctx.validated, cmd, params, ctx)) {
      runParams = { ...params };
    } else {
      const checked = this.#validator.validate(cmd, params, { dryRun: ctx.dryRun, confirmed: ctx.confirmed });
      if (!checked.valid) return finish(validationFailure(cmd, checked.errors));
      runParams = checked.params;
    }
    if (ctx.signal.aborted) return finish(abortedResult(cmd, ctx.signal));
    const limit = context.timeout ?? cmd.timeout;
    const { signal, release } =
      limit === undefined
        ? { signal: ctx.signal, release: noop }
        : withDeadline(ctx.signal, limit, `Command "${cmd.id}"`);
    log.debug(`running command ${cmd.id}`, {
      dryRun: ctx.dryRun,
      ...(limit === undefined ? {} : { timeout: limit }),
    });
    try {
      const runCtx: ExecutionContext = signal === ctx.signal ? ctx : { ...ctx, signal };
      // #invoke never rejects: a rejection here is the signal aborting
      const work = this.#invoke(entry, resourceRefsToIds(cmd, runParams), runCtx, log);
      const outcome = await raceAbort(work, signal, `Command "${cmd.id}"`).catch(
        (): typeof ABORTED => ABORTED,
      );
      const result = finish(outcome === ABORTED ? abortedResult(cmd, signal) : outcome);
      log.debug(`command ${cmd.id} ${result.success ? "succeeded" : `failed: ${result.error.code}`}`, {
        duration: result.duration,
      });
      return result;
    } finally {
      release();
    }
  }

  /** True when the meta declares `capability`. */
  hasCapability(capability: ProviderCapability): boolean {
    return this.meta.capabilities.includes(capability);
  }

  /** True when the meta declares resource type `type`. */
  supportsResource(type: ResourceType): boolean {
    return this.meta.supportedResources.includes(type);
  }

  /** The resources the provider tracks (kept current by `updateResource`/`removeResource`). */
  getResources(): readonly ResourceState[] {
    return [...this.#resources.values()];
  }

  /** Subscribes to a hook stage; hooks run in subscription order, each awaited; a throwing hook is isolated. */
  onLifecycle(stage: LifecycleHookStage, hook: LifecycleHook): Unsubscribe {
    const parsed = lifecycleHookStageSchema.safeParse(stage, { reportInput: true });
    if (!parsed.success) throw schemaIssuesToError("lifecycle hook stage", parsed.error.issues);
    if (typeof hook !== "function") {
      throw new ValidationError("Invalid lifecycle hook: hook must be a function", [
        { code: "TYPE_MISMATCH", message: "hook must be a function", path: "hook" },
      ]);
    }
    const registration: HookRegistration = { hook };
    const list = this.#hooks.get(stage) ?? [];
    this.#hooks.set(stage, [...list, registration]);
    return () => {
      this.#hooks.set(
        stage,
        (this.#hooks.get(stage) ?? []).filter((r) => r !== registration),
      );
    };
  }

  /**
   * Registers a command (a definition, or a definition with its typed handler).
   * @throws ValidationError when a command with the same id is already registered.
   */
  protected registerCommand<P, I>(command: TypedCommandDefinition<P, I> | CommandImplementation<P, I>): void {
    const entry: RegisteredCommand = isCommandImplementation(command as ProviderCommand)
      ? {
          definition: (command as CommandImplementation<P, I>).definition,
          implementation: command as unknown as CommandImplementation<
            Record<string, unknown>,
            Record<string, unknown>
          >,
        }
      : { definition: command as CommandDefinition, implementation: undefined };
    const id = entry.definition.id;
    if (this.#commands.has(id)) {
      throw new ValidationError(`Provider "${this.meta.id}" already has a command "${id}"`, [
        { code: "DUPLICATE_ID", message: `command "${id}" is registered twice`, path: `commands.${id}` },
      ]);
    }
    this.#commands.set(id, entry);
  }

  /**
   * Records or replaces a resource the provider manages; `updatedAt` defaults to now.
   * @throws ValidationError when the id is empty or the type unknown.
   */
  protected updateResource(resource: ResourceUpdate): ResourceState {
    const state = toResourceState(resource);
    this.#resources.set(state.id, state);
    return state;
  }

  /** Forgets a resource; returns false when it was not tracked. */
  protected removeResource(id: string): boolean {
    return this.#resources.delete(id);
  }

  /**
   * Runs the hooks of `stage` in subscription order, awaiting each. A hook that throws is isolated:
   * the error is logged and `onError` hooks fire (an `onError` hook that throws is only logged).
   */
  protected async emitLifecycleHook(
    stage: LifecycleHookStage,
    extra: LifecycleHookExtra = {},
  ): Promise<void> {
    const registrations = this.#hooks.get(stage) ?? [];
    for (const { hook } of registrations) {
      const context: LifecycleHookContext = {
        providerId: this.meta.id,
        ...(this.instanceId === undefined ? {} : { instanceId: this.instanceId }),
        stage,
        state: this.state,
        ...("error" in extra ? { error: extra.error } : {}),
        ...("data" in extra ? { data: extra.data } : {}),
      };
      try {
        await hook(context);
      } catch (error) {
        this.logger.error(`lifecycle hook ${stage} threw`, { error });
        if (stage !== "onError") await this.emitLifecycleHook("onError", { error, data: { stage } });
      }
    }
  }

  #claim(operation: string, firstState: LifecycleState): void {
    if (this.#busy !== undefined) {
      throw new InfrastructureError(
        "CONFLICT",
        `Provider "${this.meta.id}" cannot ${operation} while ${this.#busy} is running`,
      );
    }
    if (!this.lifecycle.canMoveTo(firstState))
      throw new LifecycleTransitionError(this.meta.id, this.state, firstState, { field: "state" });
    this.#busy = operation;
  }

  async #stopClaimed(): Promise<void> {
    this.#moveTo("suspending");
    await this.emitLifecycleHook("beforeStop");
    await this.#step("stop", () => this.onStop());
    this.#moveTo("suspended");
    await this.emitLifecycleHook("afterStop");
  }

  /** Moves the shared state; throws `ILLEGAL_TRANSITION` when someone else (the lifecycle manager) moved it meanwhile to a state this step cannot leave that way. */
  #moveTo(to: LifecycleState): void {
    this.lifecycle.moveTo(to);
  }

  async #step(operation: string, action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      const from = this.state;
      if (this.lifecycle.canMoveTo("error")) this.lifecycle.moveTo("error", error);
      this.logger.error(`${operation} failed in state ${from}`, { error });
      await this.emitLifecycleHook("onError", { error, data: { operation, from } });
      throw new InfrastructureError(
        "LIFECYCLE_FAILED",
        `Provider "${this.meta.id}" failed to ${operation}: ${toError(error).message}`,
        {
          cause: error,
        },
      );
    }
  }

  async #invoke(
    entry: RegisteredCommand,
    params: Record<string, unknown>,
    ctx: ExecutionContext,
    log: InfrastructureLogger,
  ): Promise<CommandResult> {
    try {
      const result = entry.implementation
        ? await entry.implementation.handle(params, ctx, log, this.#tracker)
        : await this.onExecuteCommand(entry.definition, params, ctx, log);
      if (!isCommandResult(result)) {
        return failure(
          "PROVIDER_FAILED",
          `Command "${entry.definition.id}" returned something that is not a command result`,
        );
      }
      return result;
    } catch (error) {
      log.error(`command ${entry.definition.id} threw`, { error });
      const cause = toError(error);
      return failure("PROVIDER_FAILED", cause.message, {
        recoverable: false,
        details: {
          errorName: cause.name,
          ...(isInfrastructureError(cause) ? { errorCode: cause.code } : {}),
        },
      });
    }
  }
}

const ABORTED = Symbol("aborted");
const noop = (): void => undefined;

/**
 * A signal that aborts when `outer` does (with its reason) or after `ms` (with core's `TimeoutError`).
 * Built by hand: `AbortSignal.any` measured ~100 µs per call on Node 20 against ~3 µs for this.
 * `release` clears the timer and the listener.
 */
function withDeadline(
  outer: AbortSignal,
  ms: number,
  what: string,
): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(outer.reason);
  outer.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new TimeoutError(what, ms)), clampTimerDelay(ms));
  timer.unref();
  return {
    signal: controller.signal,
    release: () => {
      clearTimeout(timer);
      outer.removeEventListener("abort", onAbort);
    },
  };
}

/**
 * Turns validator errors into one failure with core's `refusalCode` (the executor's rule) and a
 * message naming each field (`Invalid call of "create": params.name: expected string, got number`).
 */
function validationFailure(cmd: CommandDefinition, errors: readonly ValidationIssue[]): CommandResult {
  return failure(refusalCode(errors), `Invalid call of "${cmd.id}": ${formatIssues(errors)}`, {
    details: { issues: errors },
  });
}

function abortedResult(cmd: CommandDefinition, signal: AbortSignal): CommandResult {
  const reason: unknown = signal.reason;
  if (isInfrastructureError(reason, "TIMEOUT")) {
    // Not recoverable, as the executor answers: a run cut short may already have had effects.
    return failure("TIMEOUT", `Command "${cmd.id}" timed out: ${reason.message}`, { recoverable: false });
  }
  return failure(
    "CANCELLED",
    `Command "${cmd.id}" was cancelled${reason instanceof Error ? `: ${reason.message}` : ""}`,
  );
}

function isCommandResult(value: unknown): value is CommandResult {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as { success?: unknown; error?: unknown };
  if (candidate.success === true) return "data" in candidate;
  return candidate.success === false && typeof candidate.error === "object" && candidate.error !== null;
}
