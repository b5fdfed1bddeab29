import {
  AlreadyExistsError,
  clampTimerDelay,
  ConfigValidationError,
  createEventBus,
  createNoopLogger,
  HEALTH_STATUSES,
  InfrastructureError,
  isInfrastructureError,
  isLifecycleStateHolder,
  LIFECYCLE_HOOK_STAGES,
  LIFECYCLE_STATES,
  lifecycleConfigSchema,
  LifecycleTransitionError,
  NotFoundError,
  TimeoutError,
  tieredSafeParse,
  toError,
  toValidationIssues,
  ValidationError,
} from "@espada/infra-core";
import type {
  HealthStatus,
  InfrastructureEventBus,
  InfrastructureLogger,
  InfrastructureProvider,
  LifecycleConfig,
  LifecycleHook,
  LifecycleHookStage,
  LifecycleState,
  LifecycleStateHolder,
  ProviderAuth,
  ProviderHealth,
  Unsubscribe,
} from "@espada/infra-core";
import { attempt, withTimeout } from "./async.js";

/**
 * Options of {@link InfrastructureLifecycleManager}: core's `lifecycleConfig` section (every field
 * has its default there) plus the bus and the logger.
 */
export interface LifecycleManagerOptions {
  /** Periodic health poll of every `active` provider, in ms. Default 60 000. */
  readonly healthCheckInterval?: number;
  /** Restart a running provider that fails or turns unhealthy. Default `true`. */
  readonly autoRestart?: boolean;
  /** Automatic restarts allowed per `restartWindow`; one more failure leaves the provider in `error`. Default 3. */
  readonly maxRestartAttempts?: number;
  /** Delay before a restart, in ms; doubles with each restart already made in the window. Default 5 000. */
  readonly restartDelay?: number;
  /** Sliding window, in ms, in which at most `maxRestartAttempts` restarts are made; a healthy check does not reset it. Default 600 000. */
  readonly restartWindow?: number;
  /** Time each provider gets to stop and destroy during {@link InfrastructureLifecycleManager.shutdown}, in ms. Default 30 000. */
  readonly shutdownTimeout?: number;
  /** Bound on every single provider call and hook (initialize, start, stop, destroy, healthCheck), in ms. Default 30 000. */
  readonly operationTimeout?: number;
  /** Bus the `provider:*` and `health:check` events go to. Default: a private bus (see `events`). */
  readonly events?: InfrastructureEventBus;
  /** Logger. Default: records nothing. */
  readonly logger?: InfrastructureLogger;
}

/** The resolved numeric and boolean options of a lifecycle manager: core's `LifecycleConfig`. */
export type ResolvedLifecycleOptions = Readonly<LifecycleConfig>;

/** The defaults of the lifecycle manager: those of core's `lifecycleConfigSchema` (the spec's, plus `restartWindow` and `operationTimeout`). */
export const LIFECYCLE_MANAGER_DEFAULTS: ResolvedLifecycleOptions = Object.freeze(defaultsOf());

function defaultsOf(): LifecycleConfig {
  const parsed = tieredSafeParse(lifecycleConfigSchema, {});
  if (!parsed.success) throw parsed.error;
  return parsed.data;
}

const OPTION_KEYS = Object.keys(LIFECYCLE_MANAGER_DEFAULTS) as (keyof LifecycleConfig)[];

/** The last failure recorded for a provider. */
export interface ProviderFailure {
  readonly code: string;
  readonly message: string;
  /** Epoch ms. */
  readonly at: number;
  /** What was being done (`initialize`, `start`, `health-check`, `restart`, `shutdown`, …). */
  readonly operation: string;
}

/** A snapshot of one managed provider. */
export interface ManagedProviderInfo {
  readonly instanceId: string;
  readonly providerId: string;
  readonly state: LifecycleState;
  /** Epoch ms of registration. */
  readonly registeredAt: number;
  /** Automatic restarts made within the last `restartWindow` ms. */
  readonly restartAttempts: number;
  /** True once a failure found `maxRestartAttempts` restarts already made within the window: the provider is left in `error` (cause in `lastError`) until an operator initializes or starts it. */
  readonly restartsExhausted: boolean;
  readonly lastError: ProviderFailure | undefined;
  readonly lastHealth: ProviderHealth | undefined;
}

/** Counts of providers by health status. */
export type HealthSummary = Record<HealthStatus, number>;

/** What {@link InfrastructureLifecycleManager.getStatistics} returns. */
export interface LifecycleStatistics {
  /** Providers under management. */
  readonly total: number;
  readonly byState: Record<LifecycleState, number>;
  /** Last known health of every provider not `terminated` (never checked → `unknown`). */
  readonly health: HealthSummary;
  /** Automatic restarts started since creation. */
  readonly restarts: number;
  /** Manager-level hooks registered per stage. */
  readonly hooks: Record<LifecycleHookStage, number>;
}

/** How one provider ended during shutdown. */
export interface ShutdownEntry {
  readonly instanceId: string;
  /** `stopped`: stopped and destroyed in time; `forced`: did not finish (or failed) and was forced to `terminated`; `already-terminated`. */
  readonly outcome: "stopped" | "forced" | "already-terminated";
  /** Why it was forced. */
  readonly reason?: string;
}

/** What {@link InfrastructureLifecycleManager.shutdown} returns. */
export interface ShutdownReport {
  readonly entries: readonly ShutdownEntry[];
  /** Instance ids that stopped in time. */
  readonly stopped: readonly string[];
  /** Instance ids forced to `terminated`, with the reason. */
  readonly forced: readonly { readonly instanceId: string; readonly reason: string }[];
}

/** Called on every state change: `from` → `to` is always an edge of core's transition table. */
export type StateChangeListener = (instanceId: string, from: LifecycleState, to: LifecycleState) => void;

/** Options of {@link InfrastructureLifecycleManager.registerProvider}. */
export interface RegisterProviderOptions {
  /** Instance id; default the provider's meta id. */
  readonly instanceId?: string;
  /** Credentials `startAll` initializes an `uninitialized` provider with. */
  readonly auth?: ProviderAuth;
}

/** Report of {@link InfrastructureLifecycleManager.startAll}. */
export interface StartAllReport {
  readonly started: readonly string[];
  readonly failed: readonly { readonly instanceId: string; readonly error: Error }[];
}

interface Managed {
  readonly instanceId: string;
  readonly provider: InfrastructureProvider;
  /** The provider's own state holder: the one state of this instance, read and moved by both. */
  readonly machine: LifecycleStateHolder;
  readonly unsubscribe: Unsubscribe;
  readonly registeredAt: number;
  auth: ProviderAuth | undefined;
  /** The provider was started and should be running: failures then trigger auto-restart. */
  desiredActive: boolean;
  /** Epoch ms at which each automatic restart within the window was scheduled. */
  restarts: number[];
  restartsExhausted: boolean;
  restartTimer: NodeJS.Timeout | undefined;
  lastError: ProviderFailure | undefined;
  lastHealth: ProviderHealth | undefined;
  healthInFlight: boolean;
  /** Tail of the operation queue: operations on one provider run one at a time. */
  queue: Promise<void>;
  /** Bumped when the provider is forced to `terminated`; operations begun before are abandoned. */
  epoch: number;
  /** Aborted when the provider is forced: releases the timers of its in-flight operations. */
  abort: AbortController;
}

const noop = (): void => undefined;

/**
 * Orchestrates provider lifecycles: the 10 hook stages, periodic health checks, automatic restart
 * with exponential backoff bounded per time window, and a bounded shutdown.
 *
 * One state per instance: the manager holds no state of its own. It reads and subscribes to the
 * provider's `lifecycle` (core's `LifecycleStateMachine`), which the provider moves in its own calls;
 * the manager moves that same holder only when it decides for the provider — a call that failed or
 * timed out while the provider sits in another state, an unhealthy check (→ `error`), a forced
 * shutdown (→ `terminated`). Every move is an edge of core's table.
 *
 * Hook order (manager-level hooks registered with {@link on}; a provider runs its own hooks itself):
 * - initialize: `beforeInit` → `provider.initialize` → `afterInit` → `provider:initialized`
 * - start: `beforeStart` → `provider.start` → `afterStart` → `provider:ready`
 * - stop: `beforeStop` → `provider.stop` → `afterStop`
 * - destroy: (stop sequence first when `active`) `beforeDestroy` → `provider.destroy` → `afterDestroy` → `provider:terminated`
 * - `onError` whenever an operation fails or a hook throws; `onHealthCheck` after every health check.
 * `before*` hooks see the state before the provider call, `after*` hooks the state it reached.
 * Within a stage hooks run one after another in registration order, each bounded by `operationTimeout`.
 * A hook that throws or hangs is isolated: `onError` hooks receive its error and the operation goes on.
 * An event is emitted only after the provider call it reports really completed.
 *
 * Operations on one provider are serialized; each provider call is bounded by `operationTimeout`.
 *
 * A restart is a real `initialize` (with the last auth) followed by `start`, from `error`.
 */
export class InfrastructureLifecycleManager {
  /** The resolved options. */
  readonly options: ResolvedLifecycleOptions;
  /** The bus `provider:initialized|ready|error|terminated` and `health:check` are emitted on. */
  readonly events: InfrastructureEventBus;
  readonly #logger: InfrastructureLogger;
  readonly #providers = new Map<string, Managed>();
  readonly #hooks = new Map<LifecycleHookStage, LifecycleHook[]>();
  readonly #stateListeners = new Set<StateChangeListener>();
  #healthTimer: NodeJS.Timeout | undefined;
  #restarts = 0;
  #shutdown: Promise<ShutdownReport> | undefined;

  /** @throws ConfigValidationError naming the option (`maxRestartAttempts`) when one is out of range (core's `lifecycleConfigSchema`). */
  constructor(options: LifecycleManagerOptions = {}) {
    this.options = resolveOptions(options);
    this.#logger = (options.logger ?? createNoopLogger()).child("lifecycle");
    this.events =
      options.events ??
      createEventBus({
        onHandlerError: (error, type) => this.#logger.warn(`event handler for ${type} threw`, { error }),
      });
  }

  /** True once {@link shutdown} was called. */
  get isShutDown(): boolean {
    return this.#shutdown !== undefined;
  }

  /**
   * Puts a provider under management in its current state (normally `uninitialized`). The
   * provider's `lifecycle` holder becomes the state the manager reports.
   * @returns the instance id.
   * @throws AlreadyExistsError for a duplicate instance id; ValidationError (`provider.lifecycle`) for a provider without a state holder; `SHUTDOWN` after shutdown.
   */
  registerProvider(provider: InfrastructureProvider, options: RegisterProviderOptions = {}): string {
    this.#assertOpen();
    const instanceId = options.instanceId ?? provider.meta.id;
    if (this.#providers.has(instanceId))
      throw new AlreadyExistsError("instance", instanceId, { field: "instanceId" });
    const machine: unknown = (provider as Partial<InfrastructureProvider>).lifecycle;
    if (!isLifecycleStateHolder(machine)) {
      const message = "must be the provider's lifecycle state holder (core's LifecycleStateMachine)";
      throw new ValidationError(`Invalid provider "${instanceId}": lifecycle ${message}`, [
        { code: "TYPE_MISMATCH", message, path: "provider.lifecycle" },
      ]);
    }
    const unsubscribe = machine.onTransition(({ from, to }) => {
      for (const listener of this.#stateListeners) {
        try {
          listener(instanceId, from, to);
        } catch (error) {
          this.#logger.warn("state listener threw", { error });
        }
      }
    });
    this.#providers.set(instanceId, {
      instanceId,
      provider,
      machine,
      unsubscribe,
      registeredAt: Date.now(),
      auth: options.auth,
      desiredActive: false,
      restarts: [],
      restartsExhausted: false,
      restartTimer: undefined,
      lastError: undefined,
      lastHealth: undefined,
      healthInFlight: false,
      queue: Promise.resolve(),
      epoch: 0,
      abort: new AbortController(),
    });
    this.#ensureHealthTimer();
    return instanceId;
  }

  /**
   * Removes a provider from management. Only a provider that is `uninitialized` or `terminated`
   * may be removed; anything else must be destroyed first.
   * @throws NotFoundError; `CONFLICT` while the provider is live.
   */
  unregisterProvider(instanceId: string): void {
    const record = this.#get(instanceId);
    const state = record.machine.state;
    if (state !== "uninitialized" && state !== "terminated") {
      throw new InfrastructureError(
        "CONFLICT",
        `Provider instance "${instanceId}" is "${state}"; destroy it before unregistering`,
        { field: "instanceId" },
      );
    }
    this.#clearRestart(record);
    record.unsubscribe();
    this.#providers.delete(instanceId);
  }

  /** True when `instanceId` is under management. */
  has(instanceId: string): boolean {
    return this.#providers.has(instanceId);
  }

  /** The state of a provider (its own `lifecycle.state`), or undefined when unknown. */
  getState(instanceId: string): LifecycleState | undefined {
    return this.#providers.get(instanceId)?.machine.state;
  }

  /** A snapshot of one provider, or undefined when unknown. */
  getProviderInfo(instanceId: string): ManagedProviderInfo | undefined {
    const record = this.#providers.get(instanceId);
    return record === undefined ? undefined : this.#info(record);
  }

  /** Snapshots of every managed provider, in registration order. */
  getAllProviderInfo(): ManagedProviderInfo[] {
    return [...this.#providers.values()].map((record) => this.#info(record));
  }

  /** Adds a manager-level hook for `stage`; it runs for every provider. */
  on(stage: LifecycleHookStage, hook: LifecycleHook): Unsubscribe {
    const list = this.#hooks.get(stage) ?? [];
    list.push(hook);
    this.#hooks.set(stage, list);
    return () => {
      const index = list.indexOf(hook);
      if (index >= 0) list.splice(index, 1);
    };
  }

  /** Subscribes to every state change of every provider, whoever made it (the provider or the manager). */
  onStateChange(listener: StateChangeListener): Unsubscribe {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  /**
   * `uninitialized` (or `error`) → `initializing` → `ready`, authenticating with `auth`
   * (default: the auth given at registration). Emits `provider:initialized`. Clears an exhausted
   * restart budget (an operator took over).
   * @throws LifecycleTransitionError naming the current state; `LIFECYCLE_FAILED` or `TIMEOUT` when the provider fails (it is then in `error`).
   */
  async initializeProvider(instanceId: string, auth?: ProviderAuth): Promise<void> {
    const record = this.#get(instanceId);
    this.#assertOpen();
    return this.#enqueue(record, async (epoch) => {
      this.#resetRestarts(record);
      await this.#initialize(record, epoch, auth ?? record.auth);
    });
  }

  /**
   * `ready` (or `suspended`, via `ready`) → `active`; starts health checks for it. Emits
   * `provider:ready`. Clears an exhausted restart budget.
   * @throws LifecycleTransitionError naming the current state; `LIFECYCLE_FAILED` or `TIMEOUT` when the provider fails.
   */
  async startProvider(instanceId: string): Promise<void> {
    const record = this.#get(instanceId);
    this.#assertOpen();
    return this.#enqueue(record, async (epoch) => {
      this.#resetRestarts(record);
      await this.#start(record, epoch);
    });
  }

  /**
   * `active` → `suspending` → `suspended`; the provider is no longer restarted automatically.
   * @throws LifecycleTransitionError naming the current state; `LIFECYCLE_FAILED` or `TIMEOUT` when the provider fails.
   */
  async stopProvider(instanceId: string): Promise<void> {
    const record = this.#get(instanceId);
    this.#assertOpen();
    return this.#enqueue(record, (epoch) => this.#stop(record, epoch));
  }

  /**
   * Tears a provider down: stops it first when `active`, then `terminating` → `terminated`.
   * Emits `provider:terminated`. Destroying a `terminated` provider does nothing.
   * @throws LifecycleTransitionError naming the current state; `LIFECYCLE_FAILED` or `TIMEOUT` when the provider fails.
   */
  async destroyProvider(instanceId: string): Promise<void> {
    const record = this.#get(instanceId);
    return this.#enqueue(record, (epoch) => this.#destroy(record, epoch));
  }

  /**
   * Brings every provider up in parallel: `uninitialized` ones registered with auth are initialized,
   * then every `ready` or `suspended` one is started. Failures are collected, never thrown.
   */
  async startAll(): Promise<StartAllReport> {
    this.#assertOpen();
    const started: string[] = [];
    const failed: { instanceId: string; error: Error }[] = [];
    await Promise.all(
      [...this.#providers.values()].map(async (record) => {
        try {
          if (record.machine.state === "uninitialized" && record.auth !== undefined)
            await this.initializeProvider(record.instanceId);
          const state = record.machine.state;
          if (state === "ready" || state === "suspended") {
            await this.startProvider(record.instanceId);
            started.push(record.instanceId);
          }
        } catch (error) {
          failed.push({ instanceId: record.instanceId, error: toError(error) });
        }
      }),
    );
    return { started, failed };
  }

  /**
   * Runs a health check now: emits `health:check`, runs `onHealthCheck` hooks, and when an `active`
   * provider reports `unhealthy` (or its check throws or times out) moves it to `error` and schedules
   * a restart (within the window's budget). A healthy report does not reset the budget: restarts
   * age out of the `restartWindow` instead, so a flapping provider cannot be restarted without bound.
   */
  async checkHealth(instanceId: string): Promise<ProviderHealth> {
    return this.#checkHealth(this.#get(instanceId));
  }

  /** Counts by state and health, restarts and hooks. */
  getStatistics(): LifecycleStatistics {
    const byState = Object.fromEntries(LIFECYCLE_STATES.map((s) => [s, 0])) as Record<LifecycleState, number>;
    const health = Object.fromEntries(HEALTH_STATUSES.map((s) => [s, 0])) as HealthSummary;
    for (const record of this.#providers.values()) {
      const state = record.machine.state;
      byState[state]++;
      if (state !== "terminated") health[record.lastHealth?.status ?? "unknown"]++;
    }
    const hooks = Object.fromEntries(
      LIFECYCLE_HOOK_STAGES.map((s) => [s, this.#hooks.get(s)?.length ?? 0]),
    ) as Record<LifecycleHookStage, number>;
    return { total: this.#providers.size, byState, health, restarts: this.#restarts, hooks };
  }

  /**
   * Stops and destroys every provider in parallel. A provider that has not finished within
   * `shutdownTimeout` (or fails) is forced to `terminated` — along legal edges of the table, via
   * `error` when needed — and listed in the report. Clears every timer. Safe to call twice: the
   * second call returns the same report. Afterwards new work is refused with `SHUTDOWN`.
   */
  shutdown(): Promise<ShutdownReport> {
    this.#shutdown ??= this.#runShutdown();
    return this.#shutdown;
  }

  // ── operations ────────────────────────────────────────────────────────────────────────────────

  async #initialize(record: Managed, epoch: number, auth: ProviderAuth | undefined): Promise<void> {
    this.#check(record, "initializing");
    if (auth === undefined) {
      throw new InfrastructureError(
        "INVALID_ARGUMENT",
        `Provider instance "${record.instanceId}" needs auth to initialize`,
        { field: "auth" },
      );
    }
    record.auth = auth;
    await this.#runHooks(record, "beforeInit");
    this.#guard(record, epoch);
    this.#check(record, "initializing");
    await this.#call(record, epoch, "initialize", () => record.provider.initialize(auth), "ready");
    await this.#runHooks(record, "afterInit");
    this.#emitProvider("provider:initialized", record, "initializing");
  }

  async #start(record: Managed, epoch: number): Promise<void> {
    this.#checkStartable(record);
    await this.#runHooks(record, "beforeStart");
    this.#guard(record, epoch);
    this.#checkStartable(record);
    await this.#call(record, epoch, "start", () => record.provider.start(), "active");
    record.desiredActive = true;
    await this.#runHooks(record, "afterStart");
    this.#emitProvider("provider:ready", record, "ready");
  }

  async #stop(record: Managed, epoch: number): Promise<void> {
    this.#check(record, "suspending");
    record.desiredActive = false;
    this.#clearRestart(record);
    await this.#runHooks(record, "beforeStop");
    this.#guard(record, epoch);
    this.#check(record, "suspending");
    await this.#call(record, epoch, "stop", () => record.provider.stop(), "suspended");
    await this.#runHooks(record, "afterStop");
  }

  async #destroy(record: Managed, epoch: number): Promise<void> {
    if (record.machine.state === "terminated") return;
    record.desiredActive = false;
    this.#clearRestart(record);
    if (record.machine.state === "active") {
      try {
        await this.#stop(record, epoch);
      } catch (error) {
        // The stop failure is recorded (state `error`); teardown goes on from there.
        if (record.epoch !== epoch) throw error;
      }
    }
    this.#check(record, "terminating");
    await this.#runHooks(record, "beforeDestroy");
    this.#guard(record, epoch);
    this.#check(record, "terminating");
    const previous = record.machine.state;
    await this.#call(record, epoch, "destroy", () => record.provider.destroy(), "terminated");
    await this.#runHooks(record, "afterDestroy");
    this.#emitProvider("provider:terminated", record, previous);
  }

  async #restart(record: Managed, epoch: number): Promise<void> {
    if (
      record.machine.state !== "error" ||
      !record.desiredActive ||
      this.isShutDown ||
      record.epoch !== epoch
    )
      return;
    if (record.auth === undefined) {
      record.restartsExhausted = true;
      record.lastError = {
        code: "INVALID_ARGUMENT",
        message: "cannot restart: no auth was given to initialize with",
        at: Date.now(),
        operation: "restart",
      };
      return;
    }
    this.#restarts++;
    this.#logger.info(
      `restarting provider instance "${record.instanceId}" (restart ${record.restarts.length} in the window)`,
      { instanceId: record.instanceId },
    );
    await this.#initialize(record, epoch, record.auth);
    await this.#start(record, epoch);
  }

  /**
   * Calls the provider, bounded by `operationTimeout`, and checks it reached `expected`. On failure
   * (a throw, a timeout, or a return in another state) records it, moves the provider to `error`
   * when the table allows it from where it is, and rethrows.
   */
  async #call(
    record: Managed,
    epoch: number,
    operation: string,
    fn: () => Promise<void>,
    expected: LifecycleState,
  ): Promise<void> {
    this.#guard(record, epoch);
    try {
      await withTimeout(
        attempt(fn),
        this.options.operationTimeout,
        `${operation} of provider instance "${record.instanceId}"`,
        record.abort.signal,
      );
    } catch (error) {
      if (record.epoch !== epoch) {
        throw new InfrastructureError(
          "SHUTDOWN",
          `Provider instance "${record.instanceId}" was forced to terminate during ${operation}`,
          { cause: error },
        );
      }
      await this.#fail(record, error, operation);
      if (isInfrastructureError(error, "TIMEOUT")) throw error;
      throw new InfrastructureError(
        "LIFECYCLE_FAILED",
        `${operation} of provider instance "${record.instanceId}" failed: ${toError(error).message}`,
        {
          cause: error,
        },
      );
    }
    this.#guard(record, epoch);
    const reached = record.machine.state;
    if (reached !== expected) {
      const error = new InfrastructureError(
        "LIFECYCLE_FAILED",
        `${operation} of provider instance "${record.instanceId}" returned, but the provider is "${reached}", not "${expected}"`,
        { field: "state" },
      );
      await this.#fail(record, error, operation);
      throw error;
    }
  }

  /** Records a failure, moves the provider to `error` (when the table allows it), runs `onError`, emits `provider:error`, and schedules a restart when it should be running. */
  async #fail(record: Managed, error: unknown, operation: string): Promise<void> {
    const err = toError(error);
    record.lastError = {
      code: isInfrastructureError(err) ? err.code : "PROVIDER_FAILED",
      message: err.message,
      at: Date.now(),
      operation,
    };
    const previous = record.machine.state;
    if (previous !== "error" && record.machine.canMoveTo("error")) record.machine.moveTo("error", err);
    this.#logger.error(`provider instance "${record.instanceId}" failed during ${operation}`, {
      instanceId: record.instanceId,
      error: err,
    });
    await this.#runHooks(record, "onError", err);
    this.#emitProvider("provider:error", record, previous, {
      code: record.lastError.code,
      message: err.message,
    });
    if (record.machine.state === "error") this.#scheduleRestart(record);
  }

  #scheduleRestart(record: Managed): void {
    if (
      !this.options.autoRestart ||
      !record.desiredActive ||
      this.isShutDown ||
      record.restartTimer !== undefined
    )
      return;
    const made = this.#restartsInWindow(record);
    if (made >= this.options.maxRestartAttempts) {
      record.restartsExhausted = true;
      this.#logger.error(
        `provider instance "${record.instanceId}" left in error: ${made} restarts within ${this.options.restartWindow} ms already (maxRestartAttempts ${this.options.maxRestartAttempts}); last failure: ${record.lastError?.message ?? "unknown"}`,
        { instanceId: record.instanceId },
      );
      return;
    }
    // doubling overflows a Node timer after ~19 restarts (it would then fire after 1 ms): clamp it
    const delay = clampTimerDelay(this.options.restartDelay * 2 ** made);
    record.restarts.push(Date.now());
    const epoch = record.epoch;
    record.restartTimer = setTimeout(() => {
      record.restartTimer = undefined;
      this.#enqueue(record, () => this.#restart(record, epoch)).catch(noop);
    }, delay);
    record.restartTimer.unref();
  }

  /** Drops restarts older than the window and returns how many remain. */
  #restartsInWindow(record: Managed): number {
    const since = Date.now() - this.options.restartWindow;
    record.restarts = record.restarts.filter((at) => at > since);
    return record.restarts.length;
  }

  #resetRestarts(record: Managed): void {
    record.restarts = [];
    record.restartsExhausted = false;
  }

  #clearRestart(record: Managed): void {
    if (record.restartTimer !== undefined) clearTimeout(record.restartTimer);
    record.restartTimer = undefined;
  }

  async #checkHealth(record: Managed): Promise<ProviderHealth> {
    const epoch = record.epoch;
    record.healthInFlight = true;
    let health: ProviderHealth;
    try {
      const reported = await withTimeout(
        attempt(() => record.provider.healthCheck()),
        this.options.operationTimeout,
        `health check of provider instance "${record.instanceId}"`,
        record.abort.signal,
      );
      health = normalizeHealth(reported);
    } catch (error) {
      health = {
        status: "unhealthy",
        checks: [{ name: "health-check", status: "unhealthy", message: toError(error).message }],
        checkedAt: Date.now(),
      };
    } finally {
      record.healthInFlight = false;
    }
    if (record.epoch !== epoch) return health;
    record.lastHealth = health;
    this.events.emit("health:check", {
      timestamp: Date.now(),
      providerId: record.provider.meta.id,
      instanceId: record.instanceId,
      health,
    });
    await this.#runHooks(record, "onHealthCheck", undefined, health);
    if (health.status === "unhealthy" && record.machine.state === "active" && record.epoch === epoch) {
      const reason =
        health.checks.find((c) => c.status === "unhealthy")?.message ?? "health check reported unhealthy";
      await this.#fail(
        record,
        new InfrastructureError("PROVIDER_FAILED", `unhealthy: ${reason}`),
        "health-check",
      );
    }
    return health;
  }

  #ensureHealthTimer(): void {
    if (this.#healthTimer !== undefined || this.isShutDown) return;
    this.#healthTimer = setInterval(() => {
      for (const record of this.#providers.values()) {
        if (record.machine.state === "active" && !record.healthInFlight)
          this.#checkHealth(record).catch(noop);
      }
    }, this.options.healthCheckInterval);
    this.#healthTimer.unref();
  }

  async #runShutdown(): Promise<ShutdownReport> {
    if (this.#healthTimer !== undefined) clearInterval(this.#healthTimer);
    this.#healthTimer = undefined;
    for (const record of this.#providers.values()) this.#clearRestart(record);
    const entries = await Promise.all(
      [...this.#providers.values()].map((record) => this.#terminateWithin(record)),
    );
    return {
      entries,
      stopped: entries.filter((e) => e.outcome === "stopped").map((e) => e.instanceId),
      forced: entries.flatMap((e) =>
        e.outcome === "forced" ? [{ instanceId: e.instanceId, reason: e.reason ?? "forced" }] : [],
      ),
    };
  }

  async #terminateWithin(record: Managed): Promise<ShutdownEntry> {
    if (record.machine.state === "terminated")
      return { instanceId: record.instanceId, outcome: "already-terminated" };
    const graceful = this.#enqueue(record, (epoch) => this.#destroy(record, epoch));
    try {
      await withTimeout(
        graceful,
        this.options.shutdownTimeout,
        `shutdown of provider instance "${record.instanceId}"`,
      );
      const state = currentState(record);
      if (state === "terminated") return { instanceId: record.instanceId, outcome: "stopped" };
      return this.#force(record, `ended in state "${state}"`);
    } catch (error) {
      const reason =
        error instanceof TimeoutError
          ? `did not stop within ${this.options.shutdownTimeout} ms`
          : toError(error).message;
      return this.#force(record, reason);
    }
  }

  /** Forces a provider to `terminated` along legal edges (via `error` when needed) and abandons its in-flight operations. */
  #force(record: Managed, reason: string): ShutdownEntry {
    record.epoch++;
    record.abort.abort(
      new InfrastructureError(
        "SHUTDOWN",
        `Provider instance "${record.instanceId}" forced to terminate: ${reason}`,
      ),
    );
    record.abort = new AbortController();
    record.desiredActive = false;
    this.#clearRestart(record);
    const previous = record.machine.state;
    record.lastError = {
      code: "SHUTDOWN",
      message: `forced to terminate: ${reason}`,
      at: Date.now(),
      operation: "shutdown",
    };
    if (previous !== "terminated") {
      const cause = new InfrastructureError("SHUTDOWN", `forced to terminate: ${reason}`);
      if (!record.machine.canMoveTo("terminating")) record.machine.moveTo("error", cause);
      record.machine.moveTo("terminating", cause);
      record.machine.moveTo("terminated", cause);
      this.#emitProvider("provider:terminated", record, previous, { code: "SHUTDOWN", message: reason });
    }
    this.#logger.warn(`provider instance "${record.instanceId}" forced to terminate: ${reason}`, {
      instanceId: record.instanceId,
    });
    return { instanceId: record.instanceId, outcome: "forced", reason };
  }

  // ── plumbing ──────────────────────────────────────────────────────────────────────────────────

  #enqueue<T>(record: Managed, op: (epoch: number) => Promise<T>): Promise<T> {
    const run = record.queue.then(() => op(record.epoch));
    record.queue = run.then(noop, noop);
    return run;
  }

  #get(instanceId: string): Managed {
    const record = this.#providers.get(instanceId);
    if (record === undefined)
      throw new NotFoundError("instance", instanceId, {
        field: "instanceId",
        available: this.#providers.keys(),
      });
    return record;
  }

  #assertOpen(): void {
    if (this.isShutDown)
      throw new InfrastructureError("SHUTDOWN", "The lifecycle manager has been shut down");
  }

  #guard(record: Managed, epoch: number): void {
    if (record.epoch !== epoch)
      throw new InfrastructureError(
        "SHUTDOWN",
        `Provider instance "${record.instanceId}" was forced to terminate`,
      );
  }

  #check(record: Managed, to: LifecycleState): void {
    if (!record.machine.canMoveTo(to))
      throw new LifecycleTransitionError(record.instanceId, record.machine.state, to, { field: "state" });
  }

  /** `start` runs from `ready`, or from `suspended` (the provider resumes through `ready`). */
  #checkStartable(record: Managed): void {
    const state = record.machine.state;
    if (state !== "ready" && state !== "suspended")
      throw new LifecycleTransitionError(record.instanceId, state, "active", { field: "state" });
  }

  /** Runs the manager hooks of `stage`, each bounded and isolated; never throws. */
  async #runHooks(
    record: Managed,
    stage: LifecycleHookStage,
    error?: unknown,
    data?: unknown,
  ): Promise<void> {
    const hooks = this.#hooks.get(stage);
    if (hooks === undefined || hooks.length === 0) return;
    const signal = record.abort.signal;
    for (const hook of hooks.slice()) {
      if (signal.aborted) return;
      const context = {
        providerId: record.provider.meta.id,
        instanceId: record.instanceId,
        stage,
        state: record.machine.state,
        ...(error === undefined ? {} : { error }),
        ...(data === undefined ? {} : { data }),
      };
      try {
        await withTimeout(
          attempt(() => hook(context)),
          this.options.operationTimeout,
          `${stage} hook of provider instance "${record.instanceId}"`,
          signal,
        );
      } catch (hookError) {
        if (signal.aborted) return;
        this.#logger.warn(`${stage} hook of provider instance "${record.instanceId}" threw`, {
          instanceId: record.instanceId,
          error: hookError,
        });
        if (stage !== "onError") await this.#runHooks(record, "onError", hookError);
      }
    }
  }

  #emitProvider(
    type: "provider:initialized" | "provider:ready" | "provider:error" | "provider:terminated",
    record: Managed,
    previousState: LifecycleState,
    error?: { code: string; message: string },
  ): void {
    this.events.emit(type, {
      timestamp: Date.now(),
      providerId: record.provider.meta.id,
      instanceId: record.instanceId,
      state: record.machine.state,
      previousState,
      ...(error === undefined ? {} : { error }),
    });
  }

  #info(record: Managed): ManagedProviderInfo {
    return {
      instanceId: record.instanceId,
      providerId: record.provider.meta.id,
      state: record.machine.state,
      registeredAt: record.registeredAt,
      restartAttempts: this.#restartsInWindow(record),
      restartsExhausted: record.restartsExhausted,
      lastError: record.lastError,
      lastHealth: record.lastHealth,
    };
  }
}

/** Parses the data options with core's `lifecycleConfigSchema`, naming each bad option. */
function resolveOptions(options: LifecycleManagerOptions): ResolvedLifecycleOptions {
  const data: Record<string, unknown> = {};
  for (const key of OPTION_KEYS) if (options[key] !== undefined) data[key] = options[key];
  const parsed = tieredSafeParse(lifecycleConfigSchema, data, { reportInput: true });
  if (parsed.success) return Object.freeze(parsed.data);
  const issues = toValidationIssues(parsed.error.issues);
  throw new ConfigValidationError(
    `Invalid lifecycle options: ${issues.map((issue) => `${issue.path ?? "options"}: ${issue.message}`).join("; ")}`,
    issues,
  );
}

/** Reads a record's state afresh (it changes across awaits, which flow narrowing does not see). */
function currentState(record: Managed): LifecycleState {
  return record.machine.state;
}

/** Accepts a provider's health report only when it has a known status; anything else is `unhealthy`. */
function normalizeHealth(value: unknown): ProviderHealth {
  const candidate = value as Partial<ProviderHealth> | null | undefined;
  if (
    candidate !== null &&
    typeof candidate === "object" &&
    HEALTH_STATUSES.includes(candidate.status as HealthStatus)
  ) {
    return {
      status: candidate.status as HealthStatus,
      checks: Array.isArray(candidate.checks) ? candidate.checks : [],
      checkedAt: typeof candidate.checkedAt === "number" ? candidate.checkedAt : Date.now(),
    };
  }
  return {
    status: "unhealthy",
    checks: [{ name: "health-check", status: "unhealthy", message: "malformed health report" }],
    checkedAt: Date.now(),
  };
}
