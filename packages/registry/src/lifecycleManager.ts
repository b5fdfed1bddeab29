import {
  AlreadyExistsError,
  canTransition,
  clampTimerDelay,
  createEventBus,
  createNoopLogger,
  HEALTH_STATUSES,
  InfrastructureError,
  isInfrastructureError,
  LIFECYCLE_HOOK_STAGES,
  LIFECYCLE_STATES,
  LifecycleTransitionError,
  MAX_TIMER_MS,
  NotFoundError,
  TimeoutError,
  toError,
} from "@espada/infra-core";
import type {
  HealthStatus,
  InfrastructureEventBus,
  InfrastructureLogger,
  InfrastructureProvider,
  LifecycleHook,
  LifecycleHookStage,
  LifecycleState,
  ProviderAuth,
  ProviderHealth,
  Unsubscribe,
} from "@espada/infra-core";
import { attempt, withTimeout } from "./async.js";
import { boolOption, intOption } from "./options.js";

/** Options of {@link InfrastructureLifecycleManager}; every field has the spec's default. */
export interface LifecycleManagerOptions {
  /** Periodic health poll of every `active` provider, in ms. Default 60 000. */
  readonly healthCheckInterval?: number;
  /** Restart a running provider that fails or turns unhealthy. Default `true`. */
  readonly autoRestart?: boolean;
  /** Restarts tried in a row before the provider is left in `error`. Default 3. */
  readonly maxRestartAttempts?: number;
  /** Delay before the first restart, in ms; doubles on each further attempt. Default 5 000. */
  readonly restartDelay?: number;
  /** Time each provider gets to stop and destroy during {@link InfrastructureLifecycleManager.shutdown}, in ms. Default 30 000. */
  readonly shutdownTimeout?: number;
  /** Bound on every single provider call and hook (initialize, start, stop, destroy, healthCheck), in ms. Default 30 000. */
  readonly operationTimeout?: number;
  /** Bus the `provider:*` and `health:check` events go to. Default: a private bus (see `events`). */
  readonly events?: InfrastructureEventBus;
  /** Logger. Default: records nothing. */
  readonly logger?: InfrastructureLogger;
}

/** The resolved numeric and boolean options of a lifecycle manager. */
export interface ResolvedLifecycleOptions {
  readonly healthCheckInterval: number;
  readonly autoRestart: boolean;
  readonly maxRestartAttempts: number;
  readonly restartDelay: number;
  readonly shutdownTimeout: number;
  readonly operationTimeout: number;
}

/** The spec's defaults of the lifecycle manager, plus `operationTimeout`. */
export const LIFECYCLE_MANAGER_DEFAULTS: ResolvedLifecycleOptions = {
  healthCheckInterval: 60_000,
  autoRestart: true,
  maxRestartAttempts: 3,
  restartDelay: 5_000,
  shutdownTimeout: 30_000,
  operationTimeout: 30_000,
};

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
  /** Restarts tried since the provider was last healthy. */
  readonly restartAttempts: number;
  /** True once `maxRestartAttempts` were used up and the provider was left in `error`. */
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
  readonly registeredAt: number;
  state: LifecycleState;
  auth: ProviderAuth | undefined;
  /** The provider was started and should be running: failures then trigger auto-restart. */
  desiredActive: boolean;
  restartAttempts: number;
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
 * Orchestrates provider lifecycles: state transitions checked against core's table, the 10 hook
 * stages, periodic health checks, automatic restart with exponential backoff, and a bounded shutdown.
 *
 * Hook order (manager-level hooks registered with {@link on}; a provider runs its own hooks itself):
 * - initialize: `beforeInit` → `provider.initialize` → `afterInit`
 * - start: `beforeStart` → `provider.start` → `afterStart`
 * - stop: `beforeStop` → `provider.stop` → `afterStop`
 * - destroy: (stop sequence first when `active`) `beforeDestroy` → `provider.destroy` → `afterDestroy`
 * - `onError` whenever an operation fails or a hook throws; `onHealthCheck` after every health check.
 * Within a stage hooks run one after another in registration order, each bounded by `operationTimeout`.
 * A hook that throws or hangs is isolated: `onError` hooks receive its error and the operation goes on.
 *
 * Operations on one provider are serialized; each provider call is bounded by `operationTimeout`.
 *
 * A restart walks `error` → `initializing` → `ready` → `active`. A provider whose own state is
 * `uninitialized` or `error` is re-initialized with its last auth; one that still holds its
 * connection (own state `active`, `ready` or `suspended`) is recycled with `stop()` (when active)
 * and `start()`, so providers that guard their own state machine (the SDK's) accept the restart.
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

  /** @throws ConfigValidationError naming the option when one is out of range. */
  constructor(options: LifecycleManagerOptions = {}) {
    const d = LIFECYCLE_MANAGER_DEFAULTS;
    this.options = {
      healthCheckInterval: intOption(options.healthCheckInterval, d.healthCheckInterval, 1, "healthCheckInterval", MAX_TIMER_MS),
      autoRestart: boolOption(options.autoRestart, d.autoRestart, "autoRestart"),
      maxRestartAttempts: intOption(options.maxRestartAttempts, d.maxRestartAttempts, 0, "maxRestartAttempts"),
      restartDelay: intOption(options.restartDelay, d.restartDelay, 0, "restartDelay", MAX_TIMER_MS),
      shutdownTimeout: intOption(options.shutdownTimeout, d.shutdownTimeout, 1, "shutdownTimeout", MAX_TIMER_MS),
      operationTimeout: intOption(options.operationTimeout, d.operationTimeout, 1, "operationTimeout", MAX_TIMER_MS),
    };
    this.#logger = (options.logger ?? createNoopLogger()).child("lifecycle");
    this.events = options.events ?? createEventBus({ onHandlerError: (error, type) => this.#logger.warn(`event handler for ${type} threw`, { error }) });
  }

  /** True once {@link shutdown} was called. */
  get isShutDown(): boolean {
    return this.#shutdown !== undefined;
  }

  /**
   * Puts a provider under management in its current state (normally `uninitialized`).
   * @returns the instance id.
   * @throws AlreadyExistsError for a duplicate instance id; `SHUTDOWN` after shutdown.
   */
  registerProvider(provider: InfrastructureProvider, options: RegisterProviderOptions = {}): string {
    this.#assertOpen();
    const instanceId = options.instanceId ?? provider.meta.id;
    if (this.#providers.has(instanceId)) throw new AlreadyExistsError("Provider instance", instanceId, { field: "instanceId" });
    this.#providers.set(instanceId, {
      instanceId,
      provider,
      registeredAt: Date.now(),
      state: provider.state,
      auth: options.auth,
      desiredActive: false,
      restartAttempts: 0,
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
    if (record.state !== "uninitialized" && record.state !== "terminated") {
      throw new InfrastructureError("CONFLICT", `Provider "${instanceId}" is "${record.state}"; destroy it before unregistering`, { field: "instanceId" });
    }
    this.#clearRestart(record);
    this.#providers.delete(instanceId);
  }

  /** True when `instanceId` is under management. */
  has(instanceId: string): boolean {
    return this.#providers.has(instanceId);
  }

  /** The managed state of a provider, or undefined when unknown. */
  getState(instanceId: string): LifecycleState | undefined {
    return this.#providers.get(instanceId)?.state;
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

  /** Subscribes to every state change of every provider. */
  onStateChange(listener: StateChangeListener): Unsubscribe {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  /**
   * `uninitialized` (or `error`) → `initializing` → `ready`, authenticating with `auth`
   * (default: the auth given at registration). Emits `provider:initialized`.
   * @throws LifecycleTransitionError naming the current state; `LIFECYCLE_FAILED` or `TIMEOUT` when the provider fails (it is then in `error`).
   */
  async initializeProvider(instanceId: string, auth?: ProviderAuth): Promise<void> {
    const record = this.#get(instanceId);
    this.#assertOpen();
    return this.#enqueue(record, (epoch) => this.#initialize(record, epoch, auth ?? record.auth));
  }

  /**
   * `ready` (or `suspended`, via `ready`) → `active`; starts health checks for it. Emits `provider:ready`.
   * @throws LifecycleTransitionError naming the current state; `LIFECYCLE_FAILED` or `TIMEOUT` when the provider fails.
   */
  async startProvider(instanceId: string): Promise<void> {
    const record = this.#get(instanceId);
    this.#assertOpen();
    return this.#enqueue(record, (epoch) => this.#start(record, epoch));
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
          if (record.state === "uninitialized" && record.auth !== undefined) await this.initializeProvider(record.instanceId);
          if (record.state === "ready" || record.state === "suspended") {
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
   * a restart. A healthy report resets the restart counter.
   */
  async checkHealth(instanceId: string): Promise<ProviderHealth> {
    return this.#checkHealth(this.#get(instanceId));
  }

  /** Counts by state and health, restarts and hooks. */
  getStatistics(): LifecycleStatistics {
    const byState = Object.fromEntries(LIFECYCLE_STATES.map((s) => [s, 0])) as Record<LifecycleState, number>;
    const health = Object.fromEntries(HEALTH_STATUSES.map((s) => [s, 0])) as HealthSummary;
    for (const record of this.#providers.values()) {
      byState[record.state]++;
      if (record.state !== "terminated") health[record.lastHealth?.status ?? "unknown"]++;
    }
    const hooks = Object.fromEntries(LIFECYCLE_HOOK_STAGES.map((s) => [s, this.#hooks.get(s)?.length ?? 0])) as Record<LifecycleHookStage, number>;
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
      throw new InfrastructureError("INVALID_ARGUMENT", `Provider "${record.instanceId}" needs auth to initialize`, { field: "auth" });
    }
    record.auth = auth;
    this.#move(record, "initializing");
    await this.#runHooks(record, "beforeInit");
    await this.#call(record, epoch, "initialize", () => record.provider.initialize(auth));
    this.#move(record, "ready");
    await this.#runHooks(record, "afterInit");
    this.#emitProvider("provider:initialized", record, "initializing");
  }

  async #start(record: Managed, epoch: number): Promise<void> {
    if (record.state === "suspended") this.#move(record, "ready");
    this.#check(record, "active");
    await this.#runHooks(record, "beforeStart");
    this.#guard(record, epoch);
    this.#check(record, "active");
    await this.#call(record, epoch, "start", () => record.provider.start());
    this.#move(record, "active");
    record.desiredActive = true;
    await this.#runHooks(record, "afterStart");
    this.#emitProvider("provider:ready", record, "ready");
  }

  async #stop(record: Managed, epoch: number): Promise<void> {
    this.#check(record, "suspending");
    record.desiredActive = false;
    this.#clearRestart(record);
    this.#move(record, "suspending");
    await this.#runHooks(record, "beforeStop");
    await this.#call(record, epoch, "stop", () => record.provider.stop());
    this.#move(record, "suspended");
    await this.#runHooks(record, "afterStop");
  }

  async #destroy(record: Managed, epoch: number): Promise<void> {
    if (record.state === "terminated") return;
    record.desiredActive = false;
    this.#clearRestart(record);
    if (record.state === "active") {
      try {
        await this.#stop(record, epoch);
      } catch (error) {
        // The stop failure is recorded (state `error`); teardown goes on from there.
        if (record.epoch !== epoch) throw error;
      }
    }
    this.#check(record, "terminating");
    this.#move(record, "terminating");
    await this.#runHooks(record, "beforeDestroy");
    await this.#call(record, epoch, "destroy", () => record.provider.destroy());
    const previous = record.state;
    this.#move(record, "terminated");
    await this.#runHooks(record, "afterDestroy");
    this.#emitProvider("provider:terminated", record, previous);
  }

  async #restart(record: Managed, epoch: number): Promise<void> {
    if (record.state !== "error" || !record.desiredActive || this.isShutDown || record.epoch !== epoch) return;
    this.#restarts++;
    this.#logger.info(`restarting provider "${record.instanceId}" (attempt ${record.restartAttempts})`, { instanceId: record.instanceId });
    const own = record.provider.state;
    if (own === "uninitialized" || own === "error") {
      await this.#initialize(record, epoch, record.auth);
    } else {
      // The provider still holds its connection (it failed a health check while `active`, or a
      // restart stopped it): recycle it with stop + start instead of re-authenticating.
      this.#move(record, "initializing");
      await this.#runHooks(record, "beforeInit");
      if (own === "active") await this.#call(record, epoch, "stop", () => record.provider.stop());
      this.#move(record, "ready");
      await this.#runHooks(record, "afterInit");
      this.#emitProvider("provider:initialized", record, "initializing");
    }
    await this.#start(record, epoch);
  }

  /** Calls the provider, bounded by `operationTimeout`; on failure records it, moves to `error` and rethrows. */
  async #call(record: Managed, epoch: number, operation: string, fn: () => Promise<void>): Promise<void> {
    this.#guard(record, epoch);
    try {
      await withTimeout(attempt(fn), this.options.operationTimeout, `${operation} of provider "${record.instanceId}"`, record.abort.signal);
    } catch (error) {
      if (record.epoch !== epoch) throw new InfrastructureError("SHUTDOWN", `Provider "${record.instanceId}" was forced to terminate during ${operation}`, { cause: error });
      await this.#fail(record, error, operation);
      if (isInfrastructureError(error, "TIMEOUT")) throw error;
      throw new InfrastructureError("LIFECYCLE_FAILED", `${operation} of provider "${record.instanceId}" failed: ${toError(error).message}`, { cause: error });
    }
    this.#guard(record, epoch);
  }

  /** Records a failure, moves the provider to `error`, runs `onError`, emits `provider:error`, and schedules a restart when it should be running. */
  async #fail(record: Managed, error: unknown, operation: string): Promise<void> {
    const err = toError(error);
    record.lastError = { code: isInfrastructureError(err) ? err.code : "PROVIDER_FAILED", message: err.message, at: Date.now(), operation };
    const previous = record.state;
    if (record.state !== "error" && canTransition(record.state, "error")) this.#move(record, "error");
    this.#emitProvider("provider:error", record, previous, { code: record.lastError.code, message: err.message });
    this.#logger.error(`provider "${record.instanceId}" failed during ${operation}`, { instanceId: record.instanceId, error: err });
    await this.#runHooks(record, "onError", err);
    if (record.state === "error") this.#scheduleRestart(record);
  }

  #scheduleRestart(record: Managed): void {
    if (!this.options.autoRestart || !record.desiredActive || this.isShutDown || record.restartTimer !== undefined) return;
    if (record.restartAttempts >= this.options.maxRestartAttempts) {
      record.restartsExhausted = true;
      this.#logger.error(`provider "${record.instanceId}" left in error after ${record.restartAttempts} restart attempts`, { instanceId: record.instanceId });
      return;
    }
    // doubling overflows a Node timer after ~19 attempts (it would then fire after 1 ms): clamp it
    const delay = clampTimerDelay(this.options.restartDelay * 2 ** record.restartAttempts);
    record.restartAttempts++;
    const epoch = record.epoch;
    record.restartTimer = setTimeout(() => {
      record.restartTimer = undefined;
      this.#enqueue(record, () => this.#restart(record, epoch)).catch(noop);
    }, delay);
    record.restartTimer.unref();
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
        `health check of provider "${record.instanceId}"`,
        record.abort.signal,
      );
      health = normalizeHealth(reported);
    } catch (error) {
      health = { status: "unhealthy", checks: [{ name: "health-check", status: "unhealthy", message: toError(error).message }], checkedAt: Date.now() };
    } finally {
      record.healthInFlight = false;
    }
    if (record.epoch !== epoch) return health;
    record.lastHealth = health;
    this.events.emit("health:check", { timestamp: Date.now(), providerId: record.provider.meta.id, instanceId: record.instanceId, health });
    await this.#runHooks(record, "onHealthCheck", undefined, health);
    if (health.status === "healthy") {
      record.restartAttempts = 0;
      record.restartsExhausted = false;
    } else if (health.status === "unhealthy" && record.state === "active" && record.epoch === epoch) {
      const reason = health.checks.find((c) => c.status === "unhealthy")?.message ?? "health check reported unhealthy";
      await this.#fail(record, new InfrastructureError("PROVIDER_FAILED", `unhealthy: ${reason}`), "health-check");
    }
    return health;
  }

  #ensureHealthTimer(): void {
    if (this.#healthTimer !== undefined || this.isShutDown) return;
    this.#healthTimer = setInterval(() => {
      for (const record of this.#providers.values()) {
        if (record.state === "active" && !record.healthInFlight) this.#checkHealth(record).catch(noop);
      }
    }, this.options.healthCheckInterval);
    this.#healthTimer.unref();
  }

  async #runShutdown(): Promise<ShutdownReport> {
    if (this.#healthTimer !== undefined) clearInterval(this.#healthTimer);
    this.#healthTimer = undefined;
    for (const record of this.#providers.values()) this.#clearRestart(record);
    const entries = await Promise.all([...this.#providers.values()].map((record) => this.#terminateWithin(record)));
    return {
      entries,
      stopped: entries.filter((e) => e.outcome === "stopped").map((e) => e.instanceId),
      forced: entries.flatMap((e) => (e.outcome === "forced" ? [{ instanceId: e.instanceId, reason: e.reason ?? "forced" }] : [])),
    };
  }

  async #terminateWithin(record: Managed): Promise<ShutdownEntry> {
    if (record.state === "terminated") return { instanceId: record.instanceId, outcome: "already-terminated" };
    const graceful = this.#enqueue(record, (epoch) => this.#destroy(record, epoch));
    try {
      await withTimeout(graceful, this.options.shutdownTimeout, `shutdown of provider "${record.instanceId}"`);
      const state = currentState(record);
      if (state === "terminated") return { instanceId: record.instanceId, outcome: "stopped" };
      return this.#force(record, `ended in state "${state}"`);
    } catch (error) {
      const reason = error instanceof TimeoutError ? `did not stop within ${this.options.shutdownTimeout} ms` : toError(error).message;
      return this.#force(record, reason);
    }
  }

  /** Forces a provider to `terminated` along legal edges (via `error` when needed) and abandons its in-flight operations. */
  #force(record: Managed, reason: string): ShutdownEntry {
    record.epoch++;
    record.abort.abort(new InfrastructureError("SHUTDOWN", `Provider "${record.instanceId}" forced to terminate: ${reason}`));
    record.abort = new AbortController();
    record.desiredActive = false;
    this.#clearRestart(record);
    const previous = record.state;
    record.lastError = { code: "SHUTDOWN", message: `forced to terminate: ${reason}`, at: Date.now(), operation: "shutdown" };
    if (record.state !== "terminated") {
      if (!canTransition(record.state, "terminating")) this.#move(record, "error");
      this.#move(record, "terminating");
      this.#move(record, "terminated");
      this.#emitProvider("provider:terminated", record, previous, { code: "SHUTDOWN", message: reason });
    }
    this.#logger.warn(`provider "${record.instanceId}" forced to terminate: ${reason}`, { instanceId: record.instanceId });
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
    if (record === undefined) throw new NotFoundError("Provider instance", instanceId, { field: "instanceId" });
    return record;
  }

  #assertOpen(): void {
    if (this.isShutDown) throw new InfrastructureError("SHUTDOWN", "The lifecycle manager has been shut down");
  }

  #guard(record: Managed, epoch: number): void {
    if (record.epoch !== epoch) throw new InfrastructureError("SHUTDOWN", `Provider "${record.instanceId}" was forced to terminate`);
  }

  #check(record: Managed, to: LifecycleState): void {
    if (!canTransition(record.state, to)) throw new LifecycleTransitionError(record.instanceId, record.state, to, { field: "state" });
  }

  #move(record: Managed, to: LifecycleState): void {
    this.#check(record, to);
    const from = record.state;
    record.state = to;
    for (const listener of this.#stateListeners) {
      try {
        listener(record.instanceId, from, to);
      } catch (error) {
        this.#logger.warn("state listener threw", { error });
      }
    }
  }

  /** Runs the manager hooks of `stage`, each bounded and isolated; never throws. */
  async #runHooks(record: Managed, stage: LifecycleHookStage, error?: unknown, data?: unknown): Promise<void> {
    const hooks = this.#hooks.get(stage);
    if (hooks === undefined || hooks.length === 0) return;
    const signal = record.abort.signal;
    for (const hook of hooks.slice()) {
      if (signal.aborted) return;
      const context = {
        providerId: record.provider.meta.id,
        instanceId: record.instanceId,
        stage,
        state: record.state,
        ...(error === undefined ? {} : { error }),
        ...(data === undefined ? {} : { data }),
      };
      try {
        await withTimeout(attempt(() => hook(context)), this.options.operationTimeout, `${stage} hook of provider "${record.instanceId}"`, signal);
      } catch (hookError) {
        if (signal.aborted) return;
        this.#logger.warn(`${stage} hook of provider "${record.instanceId}" threw`, { instanceId: record.instanceId, error: hookError });
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
      state: record.state,
      previousState,
      ...(error === undefined ? {} : { error }),
    });
  }

  #info(record: Managed): ManagedProviderInfo {
    return {
      instanceId: record.instanceId,
      providerId: record.provider.meta.id,
      state: record.state,
      registeredAt: record.registeredAt,
      restartAttempts: record.restartAttempts,
      restartsExhausted: record.restartsExhausted,
      lastError: record.lastError,
      lastHealth: record.lastHealth,
    };
  }
}

/** Reads a record's state afresh (it changes across awaits, which flow narrowing does not see). */
function currentState(record: Managed): LifecycleState {
  return record.state;
}

/** Accepts a provider's health report only when it has a known status; anything else is `unhealthy`. */
function normalizeHealth(value: unknown): ProviderHealth {
  const candidate = value as Partial<ProviderHealth> | null | undefined;
  if (candidate !== null && typeof candidate === "object" && HEALTH_STATUSES.includes(candidate.status as HealthStatus)) {
    return {
      status: candidate.status as HealthStatus,
      checks: Array.isArray(candidate.checks) ? candidate.checks : [],
      checkedAt: typeof candidate.checkedAt === "number" ? candidate.checkedAt : Date.now(),
    };
  }
  return { status: "unhealthy", checks: [{ name: "health-check", status: "unhealthy", message: "malformed health report" }], checkedAt: Date.now() };
}
