import {
  clampTimerDelay,
  commandConfigSchema,
  createEventBus,
  createNoopLogger,
  InfrastructureCommandValidator,
  InfrastructureError,
  isDryRunRequest,
  isInfrastructureError,
  isRecord,
  MAX_TIMER_MS,
  raceAbort,
  redactParams,
  TimeoutError,
  toError,
} from "@espada/infra-core";
import type {
  AuditEventInput,
  AuditSink,
  CommandConfig,
  CommandDefinition,
  CommandExecutionConfig,
  CommandFailure,
  CommandHistoryConfig,
  CommandHistoryEntry,
  CommandResult,
  CommandSuccess,
  CommandValidationConfig,
  Environment,
  ExecutionContext,
  GateDecision,
  InfrastructureEventBus,
  InfrastructureLogger,
  InfrastructureProvider,
  InfrastructureSession,
  LifecycleState,
  OperationRequest,
  PendingOperation,
  ProgressUpdate,
  SecurityGate,
  SessionStore,
  ValidatedCommandCall,
  ValidationIssue,
} from "@espada/infra-core";
import { attempt, sleep, withTimeout } from "./async.js";
import { parseWith } from "./options.js";
import { Semaphore } from "./semaphore.js";
import { resourceChangesOf } from "./resourceChanges.js";
import type { ResourceChange } from "./resourceChanges.js";

/** Where the executor finds provider instances; {@link InfrastructureProviderRegistry} fits. */
export interface ExecutorProviderSource {
  getInstance(instanceId: string): { readonly state: LifecycleState; readonly provider: InfrastructureProvider } | undefined;
}

/** `commandConfig` as a caller may give it: every key optional, the spec's defaults fill the rest. */
export interface CommandConfigInput {
  readonly validation?: Partial<CommandValidationConfig>;
  readonly execution?: Partial<CommandExecutionConfig>;
  readonly history?: Partial<CommandHistoryConfig>;
}

/** Options of {@link InfrastructureCommandExecutor}. */
export interface CommandExecutorOptions {
  /** Where instances are looked up (the registry). */
  readonly providers: ExecutorProviderSource;
  /** Asked before every run; `createAllowAllGate()` from core for trusted use and tests. */
  readonly gate: SecurityGate;
  /** Sessions: history, pending operations and tracked resources. Without it nothing is recorded and nothing can wait for approval. */
  readonly sessions?: SessionStore;
  /** Receives an audit record of every outcome. */
  readonly audit?: AuditSink;
  /** Bus for `command:*` and `resource:*` events. Default: a private bus (see `events`). */
  readonly events?: InfrastructureEventBus;
  readonly logger?: InfrastructureLogger;
  /** `commandConfig` (parsed with core's `commandConfigSchema`; defaults: timeout 60 000, 3 retries, 1 000 ms delay, 5 in parallel). */
  readonly config?: CommandConfigInput;
  /** Validator to use. Default: core's `InfrastructureCommandValidator` with `config.validation`. */
  readonly validator?: InfrastructureCommandValidator;
  /** How long a pending operation may wait for approval or confirmation, in ms. Default 3 600 000. */
  readonly pendingTimeout?: number;
  /** Source of jitter in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
}

/** One command call. */
export interface ExecuteRequest {
  readonly instanceId: string;
  readonly commandId: string;
  /** Parameters (validated with core's validator). Default `{}`. */
  readonly params?: unknown;
  /** Session whose history, pending operations and resources the run lands in. */
  readonly sessionId?: string;
  /** Default: the session's user, else `"system"`. */
  readonly userId?: string;
  /** Default: the session's environment, else `"development"`. */
  readonly environment?: Environment;
  /** Simulate; refused when the command does not declare `supportsDryRun`. */
  readonly dryRun?: boolean;
  /** The caller explicitly confirms a dangerous command. */
  readonly confirmed?: boolean;
  /** Cancels the run (queued, running or waiting to retry); it reaches the provider as `ctx.signal`. */
  readonly signal?: AbortSignal;
  /** Resource ids the call targets (shown to the gate). */
  readonly resourceIds?: readonly string[];
  /** Time limit of each attempt in ms; an attempt that times out ends the call (not retried: it may have had effects). Overrides the command's `timeout` and `defaultTimeout`. */
  readonly timeout?: number;
  /** Extra variables on top of the session's. */
  readonly variables?: Readonly<Record<string, unknown>>;
}

/** Options of {@link InfrastructureCommandExecutor.resume}. */
export interface ResumeOptions {
  /** The approval granted for a `needs-approval` operation (default: the one it was given). */
  readonly approvalId?: string;
  /** Explicit confirmation, for a `confirmation` pending operation or a dangerous command. */
  readonly confirmed?: boolean;
  readonly signal?: AbortSignal;
  readonly timeout?: number;
}

/** Fields every outcome carries. */
interface OutcomeBase {
  readonly executionId: string;
  readonly commandId: string;
  readonly instanceId: string;
  readonly sessionId: string | undefined;
  /** Wall time of the whole call in ms (queueing and retries included). */
  readonly duration: number;
}

/** What {@link InfrastructureCommandExecutor.execute} returns: expected failures are outcomes, never throws. */
export type ExecutionOutcome =
  | (OutcomeBase & { readonly status: "succeeded"; readonly result: CommandSuccess; readonly attempts: number; readonly decision: GateDecision; readonly warnings: readonly ValidationIssue[] })
  | (OutcomeBase & { readonly status: "failed"; readonly result: CommandFailure; readonly attempts: number; readonly decision: GateDecision | undefined })
  | (OutcomeBase & { readonly status: "cancelled"; readonly result: CommandFailure; readonly attempts: number; readonly decision: GateDecision | undefined })
  | (OutcomeBase & { readonly status: "denied"; readonly result: CommandFailure; readonly decision: GateDecision })
  | (OutcomeBase & { readonly status: "invalid"; readonly result: CommandFailure; readonly issues: readonly ValidationIssue[] })
  | (OutcomeBase & { readonly status: "pending"; readonly pending: PendingOperation; readonly decision: GateDecision | undefined });

/** The status names of an {@link ExecutionOutcome}. */
export type ExecutionStatus = ExecutionOutcome["status"];

/** Everything one call carries through the pipeline. */
interface Call {
  readonly executionId: string;
  readonly request: ExecuteRequest;
  readonly startedAt: number;
  readonly controller: AbortController;
  approvalId: string | undefined;
  provider: InfrastructureProvider | undefined;
  command: CommandDefinition | undefined;
  session: InfrastructureSession | undefined;
  userId: string;
  environment: Environment;
  dryRun: boolean;
  redacted: Record<string, unknown>;
  /** Core's verdict on the params: handed to the provider so it does not validate again with other settings. */
  validated: ValidatedCommandCall | undefined;
}

const REASON_CANCELLED = "cancelled by the caller";
const COMMAND_AUDIT_TYPES = { success: "command_executed", failure: "command_failed" } as const;

function failure(code: string, message: string, details?: Readonly<Record<string, unknown>>, recoverable = false): CommandFailure {
  return { success: false, error: { code, message, recoverable, ...(details === undefined ? {} : { details }) }, duration: 0, logs: [], affectedResources: [], rollbackAvailable: false };
}

/**
 * The path every operation takes: find the instance and command → validate with core's
 * `InfrastructureCommandValidator` → ask the `SecurityGate` → denied: reasons, audit, nothing runs;
 * needs approval or confirmation: a pending operation stored in the session, run later by
 * {@link resume}; allowed: run with a timeout, retries (recoverable failures only, exponential
 * backoff with jitter), a concurrency limit, cancellation and progress → session history, events, audit.
 *
 * A provider that throws, returns garbage or hangs never crashes or wedges the executor.
 */
export class InfrastructureCommandExecutor {
  /** The resolved `commandConfig`. */
  readonly config: CommandConfig;
  /** The bus `command:*` and `resource:*` events are emitted on. */
  readonly events: InfrastructureEventBus;
  readonly #providers: ExecutorProviderSource;
  readonly #gate: SecurityGate;
  readonly #sessions: SessionStore | undefined;
  readonly #audit: AuditSink | undefined;
  readonly #logger: InfrastructureLogger;
  readonly #validator: InfrastructureCommandValidator;
  readonly #slots: Semaphore;
  readonly #random: () => number;
  readonly #pendingTimeout: number;
  readonly #closing = new AbortController();
  readonly #inFlight = new Set<Promise<unknown>>();
  /** Controllers of the calls in progress, aborted by {@link close}. */
  readonly #calls = new Set<AbortController>();

  /** @throws ValidationError naming the config field (`commandConfig.execution.parallelLimit`). */
  constructor(options: CommandExecutorOptions) {
    this.config = parseWith(commandConfigSchema, options.config ?? {}, "commandConfig", "command config");
    this.#providers = options.providers;
    this.#gate = options.gate;
    this.#sessions = options.sessions;
    this.#audit = options.audit;
    this.#logger = (options.logger ?? createNoopLogger()).child("executor");
    this.events = options.events ?? createEventBus({ onHandlerError: (error, type) => this.#logger.warn(`event handler for ${type} threw`, { error }) });
    this.#validator = options.validator ?? new InfrastructureCommandValidator(this.config.validation);
    this.#slots = new Semaphore(this.config.execution.parallelLimit);
    this.#random = options.random ?? Math.random;
    this.#pendingTimeout = options.pendingTimeout ?? 3_600_000;
  }

  /** Runs currently holding a slot. */
  get running(): number {
    return this.#slots.active;
  }

  /** Runs waiting for a slot. */
  get queued(): number {
    return this.#slots.queued;
  }

  /** Executes one command call. Never throws for an expected failure: see {@link ExecutionOutcome}. */
  execute(request: ExecuteRequest): Promise<ExecutionOutcome> {
    return this.#track(this.#process(request, globalThis.crypto.randomUUID(), undefined));
  }

  /**
   * Resumes a pending operation once approved or confirmed. The pending operation is taken from the
   * session exactly once (a second resume gets `NOT_FOUND`), validated again and presented to the
   * gate again with the approval id and confirmation; the outcome keeps the original execution id.
   */
  resume(sessionId: string, pendingId: string, options: ResumeOptions = {}): Promise<ExecutionOutcome> {
    return this.#track(this.#resume(sessionId, pendingId, options));
  }

  /**
   * Refuses new calls (`SHUTDOWN`), cancels queued and running ones (they end `cancelled` with
   * code `SHUTDOWN`) and waits for them to settle. Safe to call twice.
   */
  async close(): Promise<void> {
    if (!this.#closing.signal.aborted) this.#closing.abort(new InfrastructureError("SHUTDOWN", "The command executor is closing"));
    for (const controller of this.#calls) controller.abort(this.#closing.signal.reason);
    await Promise.allSettled([...this.#inFlight]);
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#inFlight.add(work);
    const done = (): void => {
      this.#inFlight.delete(work);
    };
    work.then(done, done);
    return work;
  }

  async #resume(sessionId: string, pendingId: string, options: ResumeOptions): Promise<ExecutionOutcome> {
    const base = { executionId: pendingId, commandId: "", instanceId: "", sessionId, duration: 0 };
    if (this.#sessions === undefined) {
      return { ...base, status: "failed", attempts: 0, decision: undefined, result: failure("INVALID_ARGUMENT", "No session store configured: nothing can be resumed", { field: "sessions" }) };
    }
    // an ended session keeps its pending operations (it may be activated again) and runs none of them
    const session = await this.#sessions.getSession(sessionId).catch(() => undefined);
    if (session !== undefined && session.state !== "active") {
      const refused = inactiveSession(session);
      return { ...base, status: "invalid", issues: refused.issues, result: failure(refused.code, refused.message, { issues: refused.issues }) };
    }
    let pending: PendingOperation | undefined;
    try {
      pending = await this.#sessions.takePendingOperation(sessionId, pendingId);
    } catch (error) {
      return { ...base, status: "failed", attempts: 0, decision: undefined, result: failure("STORAGE_FAILED", `Could not take pending operation: ${toError(error).message}`) };
    }
    if (pending === undefined) {
      return { ...base, status: "failed", attempts: 0, decision: undefined, result: failure("NOT_FOUND", `Pending operation "${pendingId}" not found in session "${sessionId}"`, { field: "pendingId" }) };
    }
    if (pending.expiresAt !== undefined && pending.expiresAt < Date.now()) {
      const outcome = { ...base, commandId: pending.commandId, instanceId: pending.instanceId };
      return { ...outcome, status: "failed", attempts: 0, decision: undefined, result: failure("TIMEOUT", `Pending operation "${pendingId}" expired`, { field: "pendingId" }) };
    }
    const request: ExecuteRequest = {
      instanceId: pending.instanceId,
      commandId: pending.commandId,
      params: pending.params,
      sessionId,
      userId: pending.userId,
      environment: pending.environment,
      dryRun: pending.dryRun,
      confirmed: options.confirmed === true,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    };
    return this.#process(request, pending.id, options.approvalId ?? pending.approvalId);
  }

  async #process(request: ExecuteRequest, executionId: string, approvalId: string | undefined): Promise<ExecutionOutcome> {
    const call: Call = {
      executionId,
      request,
      startedAt: Date.now(),
      controller: new AbortController(),
      approvalId,
      provider: undefined,
      command: undefined,
      session: undefined,
      userId: request.userId ?? "system",
      environment: request.environment ?? "development",
      dryRun: request.dryRun === true,
      redacted: {},
      validated: undefined,
    };
    const onCallerAbort = (): void => call.controller.abort(new InfrastructureError("CANCELLED", `Command "${request.commandId}" was ${REASON_CANCELLED}`));
    request.signal?.addEventListener("abort", onCallerAbort, { once: true });
    if (request.signal?.aborted === true) onCallerAbort();
    this.#calls.add(call.controller);
    try {
      return await this.#pipeline(call);
    } catch (error) {
      // Only a bug or a hostile provider object gets here; it is still an outcome.
      this.#logger.error("executor pipeline failed", { executionId, error });
      return this.#finishFailed(call, "failed", failure("PROVIDER_FAILED", `Command failed unexpectedly: ${toError(error).message}`), 0, undefined);
    } finally {
      request.signal?.removeEventListener("abort", onCallerAbort);
      this.#calls.delete(call.controller);
    }
  }

  async #pipeline(call: Call): Promise<ExecutionOutcome> {
    const { request } = call;
    if (this.#closing.signal.aborted) return this.#finishFailed(call, "failed", failure("SHUTDOWN", "The command executor is closing"), 0, undefined);
    const { timeout } = request;
    if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 1 && timeout <= MAX_TIMER_MS)) {
      const message = `must be an integer ≥ 1 and ≤ ${MAX_TIMER_MS} (ms)`;
      return this.#invalid(call, "INVALID_ARGUMENT", `Invalid timeout: ${message}`, [{ code: "INVALID_VALUE", message, path: "timeout" }]);
    }
    const instance = this.#providers.getInstance(request.instanceId);
    if (instance === undefined) {
      return this.#invalid(call, "NOT_FOUND", `Provider instance "${request.instanceId}" not found`, [{ code: "NOT_FOUND", message: "no such provider instance", path: "instanceId" }]);
    }
    call.provider = instance.provider;
    const command = instance.provider.getCommands().find((c) => c.id === request.commandId);
    if (command === undefined) {
      return this.#invalid(call, "NOT_FOUND", `Command "${request.commandId}" not found on provider "${request.instanceId}"`, [
        { code: "NOT_FOUND", message: "no such command", path: "commandId" },
      ]);
    }
    call.command = command;
    if (request.sessionId !== undefined && this.#sessions !== undefined) {
      call.session = await this.#sessions.getSession(request.sessionId).catch(() => undefined);
      if (call.session === undefined) {
        return this.#invalid(call, "NOT_FOUND", `Session "${request.sessionId}" not found`, [{ code: "NOT_FOUND", message: "no such session", path: "sessionId" }]);
      }
      call.userId = request.userId ?? call.session.userId;
      call.environment = request.environment ?? call.session.environment;
      if (call.session.state !== "active") {
        const refused = inactiveSession(call.session);
        return this.#invalid(call, refused.code, refused.message, refused.issues);
      }
    }
    const params = request.params ?? {};
    call.dryRun = isDryRunRequest(params, call.dryRun);
    const confirmed = request.confirmed === true;
    const validation = this.#validator.validate(command, params, { dryRun: call.dryRun, confirmed });
    call.redacted = validation.redactedParams;
    call.validated = validation.validated;
    if (!validation.valid) {
      const onlyConfirmation = validation.errors.every((issue) => issue.code === "CONFIRMATION_REQUIRED");
      if (onlyConfirmation && call.session !== undefined) {
        const reason = validation.errors.map((issue) => issue.message).join("; ");
        return this.#storePending(call, "confirmation", validation.params, reason, undefined);
      }
      const detail = validation.errors.map((issue) => `${issue.path ?? "params"}: ${issue.message}`).join("; ");
      return this.#invalid(call, "VALIDATION_FAILED", `Invalid call of "${command.id}": ${detail}`, validation.errors);
    }
    if (instance.state !== "active") {
      return this.#invalid(call, "CONFLICT", `Provider instance "${request.instanceId}" is "${instance.state}", not "active"`, [
        { code: "NOT_ACTIVE", message: `provider is "${instance.state}"`, path: "instanceId" },
      ]);
    }

    const decision = await this.#askGate(call, command, instance.provider, confirmed);
    if (decision === undefined) return this.#finishFailed(call, "cancelled", this.#abortFailure(call), 0, undefined);
    switch (decision.outcome) {
      case "denied":
        return this.#denied(call, decision);
      case "needs-approval":
        return this.#storePending(call, "approval", validation.params, reasonsOf(decision), decision);
      case "needs-confirmation":
        return this.#storePending(call, "confirmation", validation.params, reasonsOf(decision), decision);
      case "allowed":
        return this.#run(call, command, instance.provider, validation.params, decision, validation.warnings);
    }
  }

  /** Asks the gate (bounded by `defaultTimeout`); a failing gate denies. Returns undefined when the call was cancelled meanwhile. */
  async #askGate(call: Call, command: CommandDefinition, provider: InfrastructureProvider, confirmed: boolean): Promise<GateDecision | undefined> {
    const operation: OperationRequest = {
      operationId: call.executionId,
      commandId: command.id,
      commandCategory: command.category,
      providerId: provider.meta.id,
      instanceId: call.request.instanceId,
      userId: call.userId,
      ...(call.request.sessionId === undefined ? {} : { sessionId: call.request.sessionId }),
      environment: call.environment,
      params: call.redacted,
      resourceIds: call.request.resourceIds ?? [],
      dangerous: command.dangerous,
      dryRun: call.dryRun,
      rollbackAvailable: safeHasRollback(provider),
      ...(call.approvalId === undefined ? {} : { approvalId: call.approvalId }),
      confirmed,
    };
    try {
      return await withTimeout(
        attempt(() => this.#gate.checkOperation(operation, call.controller.signal)),
        this.config.execution.defaultTimeout,
        "security check",
        call.controller.signal,
      );
    } catch (error) {
      if (call.controller.signal.aborted) return undefined;
      const message = `security gate failed: ${toError(error).message}`;
      this.#logger.error(message, { executionId: call.executionId, error });
      return { outcome: "denied", risk: { score: 100, level: "critical", factors: [] }, reasons: [{ check: "risk", passed: false, message }] };
    }
  }

  async #run(
    call: Call,
    command: CommandDefinition,
    provider: InfrastructureProvider,
    params: Record<string, unknown>,
    decision: GateDecision,
    warnings: readonly ValidationIssue[],
  ): Promise<ExecutionOutcome> {
    let release: () => void;
    try {
      release = await this.#slots.acquire(call.controller.signal);
    } catch {
      return this.#finishFailed(call, "cancelled", this.#abortFailure(call), 0, decision);
    }
    let result: CommandResult;
    let attempts = 0;
    try {
      this.#emitCommand("command:started", call, { attempt: 1 });
      const timeout = call.request.timeout ?? command.timeout ?? this.config.execution.defaultTimeout;
      const { maxRetries, retryDelay } = this.config.execution;
      for (;;) {
        attempts++;
        result = await this.#attempt(call, command, provider, params, timeout, attempts);
        if (result.success || !result.error.recoverable || attempts > maxRetries || call.controller.signal.aborted) break;
        const base = retryDelay * 2 ** (attempts - 1);
        try {
          await sleep(base / 2 + this.#random() * (base / 2), call.controller.signal);
        } catch {
          result = this.#abortFailure(call);
          break;
        }
      }
    } finally {
      release();
    }
    if (result.success) return this.#finishSucceeded(call, command, provider, result, attempts, decision, warnings);
    const cancelled = result.error.code === "CANCELLED" || result.error.code === "SHUTDOWN";
    return this.#finishFailed(call, cancelled ? "cancelled" : "failed", result, attempts, decision);
  }

  /** One attempt: the provider call raced against timeout and cancellation; anything thrown becomes a failure result. */
  async #attempt(call: Call, command: CommandDefinition, provider: InfrastructureProvider, params: Record<string, unknown>, timeout: number, attemptNo: number): Promise<CommandResult> {
    const signal = call.controller.signal;
    if (signal.aborted) return this.#abortFailure(call);
    const timer = setTimeout(() => call.controller.abort(new TimeoutError(`Command "${command.id}"`, timeout)), clampTimerDelay(timeout));
    let settled = false;
    const context: Partial<ExecutionContext> = {
      executionId: call.executionId,
      sessionId: call.request.sessionId,
      userId: call.userId,
      environment: call.environment,
      dryRun: call.dryRun,
      confirmed: call.request.confirmed === true,
      signal,
      progress: (update: ProgressUpdate) => {
        if (!settled) this.#emitCommand("command:progress", call, { attempt: attemptNo, progress: update });
      },
      logger: this.#logger,
      variables: { ...call.session?.variables, ...call.request.variables },
      timeout,
      ...(call.validated === undefined ? {} : { validated: call.validated }),
    };
    const started = Date.now();
    try {
      const raw = await raceAbort(attempt(() => provider.executeCommand(command.id, { ...params }, context)), signal, `Command "${command.id}"`);
      return normalizeResult(raw, Date.now() - started);
    } catch (error) {
      if (signal.aborted) return this.#abortFailure(call);
      const err = toError(error);
      return { ...failure("PROVIDER_FAILED", `Provider threw: ${err.message}`), duration: Date.now() - started };
    } finally {
      settled = true;
      clearTimeout(timer);
    }
  }

  /** The failure matching why the call's signal aborted: TIMEOUT, SHUTDOWN or CANCELLED. */
  #abortFailure(call: Call): CommandFailure {
    const reason: unknown = call.controller.signal.reason;
    if (isInfrastructureError(reason)) return failure(reason.code, reason.message);
    return failure("CANCELLED", `Command "${call.request.commandId}" was ${REASON_CANCELLED}`);
  }

  async #storePending(call: Call, kind: PendingOperation["kind"], params: Record<string, unknown>, reason: string, decision: GateDecision | undefined): Promise<ExecutionOutcome> {
    const command = call.command;
    const provider = call.provider;
    if (this.#sessions === undefined || call.session === undefined || command === undefined || provider === undefined) {
      return this.#invalid(call, "INVALID_ARGUMENT", `The operation needs ${kind} (${reason}); a session is required to hold it`, [
        { code: "SESSION_REQUIRED", message: `needs ${kind}: pass a sessionId`, path: "sessionId" },
      ]);
    }
    const now = Date.now();
    const approvalId = decision?.outcome === "needs-approval" ? decision.approvalId : undefined;
    const pending: PendingOperation = {
      id: call.executionId,
      kind,
      ...(approvalId === undefined ? {} : { approvalId }),
      commandId: command.id,
      commandCategory: command.category,
      providerId: provider.meta.id,
      instanceId: call.request.instanceId,
      userId: call.userId,
      environment: call.environment,
      params,
      dryRun: call.dryRun,
      createdAt: now,
      expiresAt: now + this.#pendingTimeout,
      reason,
    };
    try {
      await this.#sessions.addPendingOperation(call.session.id, pending);
    } catch (error) {
      return this.#finishFailed(call, "failed", failure("STORAGE_FAILED", `Could not store the pending operation: ${toError(error).message}`), 0, decision);
    }
    await this.#history(call, "pending", undefined, []);
    await this.#record({ type: "operation_requested", outcome: "pending", ...(decision === undefined ? {} : { risk: decision.risk, reasons: decision.reasons }) }, call);
    return { ...this.#base(call), status: "pending", pending, decision };
  }

  async #denied(call: Call, decision: GateDecision): Promise<ExecutionOutcome> {
    const result = failure("SECURITY_DENIED", `Denied: ${reasonsOf(decision)}`, { risk: decision.risk, reasons: decision.reasons });
    await this.#history(call, "denied", result, []);
    await this.#record({ type: "operation_rejected", outcome: "denied", risk: decision.risk, reasons: decision.reasons }, call);
    return { ...this.#base(call), status: "denied", result, decision };
  }

  async #invalid(call: Call, code: string, message: string, issues: readonly ValidationIssue[]): Promise<ExecutionOutcome> {
    const result = failure(code, message, { issues });
    if (call.command !== undefined && Object.keys(call.redacted).length === 0) call.redacted = redactParams(call.command, call.request.params);
    await this.#history(call, "failed", result, []);
    return { ...this.#base(call), status: "invalid", result, issues };
  }

  async #finishSucceeded(
    call: Call,
    command: CommandDefinition,
    provider: InfrastructureProvider,
    result: CommandSuccess,
    attempts: number,
    decision: GateDecision,
    warnings: readonly ValidationIssue[],
  ): Promise<ExecutionOutcome> {
    const changes = call.dryRun ? [] : resourceChangesOf(command, provider, result);
    this.#emitCommand("command:completed", call, { attempt: attempts, duration: Date.now() - call.startedAt, affectedResources: result.affectedResources });
    this.#emitResources(call, provider, changes);
    await this.#trackResources(call, provider, changes);
    await this.#history(call, "succeeded", result, result.affectedResources);
    await this.#record({ type: COMMAND_AUDIT_TYPES.success, outcome: "success", risk: decision.risk, details: { attempts, dryRun: call.dryRun } }, call);
    return { ...this.#base(call), status: "succeeded", result, attempts, decision, warnings };
  }

  async #finishFailed(call: Call, status: "failed" | "cancelled", result: CommandFailure, attempts: number, decision: GateDecision | undefined): Promise<ExecutionOutcome> {
    if (attempts > 0) {
      const event = status === "cancelled" ? "command:cancelled" : "command:failed";
      this.#emitCommand(event, call, { attempt: attempts, duration: Date.now() - call.startedAt, error: result.error, affectedResources: result.affectedResources });
      if (call.provider !== undefined) {
        for (const resourceId of result.affectedResources) {
          this.events.emit("resource:error", {
            timestamp: Date.now(),
            resourceId,
            providerId: call.provider.meta.id,
            instanceId: call.request.instanceId,
            executionId: call.executionId,
            error: { code: result.error.code, message: result.error.message },
          });
        }
      }
    }
    await this.#history(call, status, result, result.affectedResources);
    if (attempts > 0 || decision !== undefined) {
      await this.#record(
        { type: COMMAND_AUDIT_TYPES.failure, outcome: "failure", ...(decision === undefined ? {} : { risk: decision.risk }), details: { attempts, code: result.error.code } },
        call,
      );
    }
    return { ...this.#base(call), status, result, attempts, decision };
  }

  #base(call: Call): OutcomeBase {
    return {
      executionId: call.executionId,
      commandId: call.request.commandId,
      instanceId: call.request.instanceId,
      sessionId: call.request.sessionId,
      duration: Date.now() - call.startedAt,
    };
  }

  #emitCommand(
    type: "command:started" | "command:progress" | "command:completed" | "command:failed" | "command:cancelled",
    call: Call,
    extra: { attempt?: number; duration?: number; error?: CommandFailure["error"]; progress?: ProgressUpdate; affectedResources?: readonly string[] },
  ): void {
    this.events.emit(type, {
      timestamp: Date.now(),
      executionId: call.executionId,
      commandId: call.request.commandId,
      providerId: call.provider?.meta.id ?? "",
      instanceId: call.request.instanceId,
      ...(call.request.sessionId === undefined ? {} : { sessionId: call.request.sessionId }),
      userId: call.userId,
      dryRun: call.dryRun,
      ...extra,
    });
  }

  #emitResources(call: Call, provider: InfrastructureProvider, changes: readonly ResourceChange[]): void {
    for (const change of changes) {
      this.events.emit(`resource:${change.change}`, {
        timestamp: Date.now(),
        resourceId: change.id,
        providerId: provider.meta.id,
        instanceId: call.request.instanceId,
        executionId: call.executionId,
        ...(change.type === undefined ? {} : { resourceType: change.type }),
      });
    }
  }

  async #trackResources(call: Call, provider: InfrastructureProvider, changes: readonly ResourceChange[]): Promise<void> {
    if (this.#sessions === undefined || call.session === undefined) return;
    const now = Date.now();
    const tracked = changes.filter((c) => c.change !== "deleted").map((c) => ({ id: c.id, type: c.type ?? "custom", providerId: provider.meta.id, updatedAt: now }));
    const deleted = changes.filter((c) => c.change === "deleted").map((c) => c.id);
    try {
      if (tracked.length > 0) await this.#sessions.trackResources(call.session.id, tracked);
      if (deleted.length > 0) await this.#sessions.forgetResources?.(call.session.id, deleted);
    } catch (error) {
      this.#logger.warn("could not track resources in the session", { executionId: call.executionId, error });
    }
  }

  async #history(call: Call, status: CommandHistoryEntry["status"], result: CommandResult | undefined, affected: readonly string[]): Promise<void> {
    if (!this.config.history.enabled || this.#sessions === undefined || call.session === undefined) return;
    const entry: CommandHistoryEntry = {
      executionId: call.executionId,
      commandId: call.request.commandId,
      providerId: call.provider?.meta.id ?? "",
      instanceId: call.request.instanceId,
      userId: call.userId,
      params: call.redacted,
      status,
      dryRun: call.dryRun,
      startedAt: call.startedAt,
      duration: Date.now() - call.startedAt,
      ...(result === undefined || result.success ? {} : { errorCode: result.error.code, errorMessage: result.error.message }),
      affectedResources: [...affected],
    };
    try {
      await this.#sessions.appendHistory(call.session.id, entry);
    } catch (error) {
      this.#logger.warn("could not append to the session history", { executionId: call.executionId, error });
    }
  }

  async #record(event: Omit<AuditEventInput, "actor">, call: Call): Promise<void> {
    if (this.#audit === undefined) return;
    try {
      await this.#audit.record({
        ...event,
        actor: call.userId,
        operationId: call.executionId,
        ...(call.request.sessionId === undefined ? {} : { sessionId: call.request.sessionId }),
        ...(call.provider === undefined ? {} : { providerId: call.provider.meta.id }),
        commandId: call.request.commandId,
        environment: call.environment,
        details: { ...event.details, params: call.redacted },
      });
    } catch (error) {
      this.#logger.warn("audit sink failed", { executionId: call.executionId, error });
    }
  }
}

/** Creates an {@link InfrastructureCommandExecutor}. */
export function createCommandExecutor(options: CommandExecutorOptions): InfrastructureCommandExecutor {
  return new InfrastructureCommandExecutor(options);
}

/** Why nothing runs in an expired or terminated session. */
function inactiveSession(session: InfrastructureSession): { code: "ILLEGAL_TRANSITION"; message: string; issues: ValidationIssue[] } {
  return {
    code: "ILLEGAL_TRANSITION",
    message: `Session "${session.id}" is ${session.state}; extend or activate it first`,
    issues: [{ code: "SESSION_NOT_ACTIVE", message: `session is ${session.state}`, path: "sessionId" }],
  };
}

/** The failed checks' messages, or every message when none failed. */
function reasonsOf(decision: GateDecision): string {
  const failed = decision.reasons.filter((r) => !r.passed);
  return (failed.length > 0 ? failed : decision.reasons).map((r) => `${r.check}: ${r.message}`).join("; ") || decision.outcome;
}

function safeHasRollback(provider: InfrastructureProvider): boolean {
  try {
    return provider.hasCapability("rollback");
  } catch {
    return false;
  }
}

/** Accepts what a provider returned only when it is shaped like a {@link CommandResult}; anything else is a `PROVIDER_FAILED` failure. */
function normalizeResult(raw: unknown, measured: number): CommandResult {
  if (!isRecord(raw) || typeof raw.success !== "boolean") return { ...failure("PROVIDER_FAILED", "Provider returned a malformed result"), duration: measured };
  const common = {
    duration: typeof raw.duration === "number" ? raw.duration : measured,
    logs: Array.isArray(raw.logs) ? raw.logs.filter((l): l is string => typeof l === "string") : [],
    affectedResources: Array.isArray(raw.affectedResources) ? raw.affectedResources.filter((r): r is string => typeof r === "string") : [],
    rollbackAvailable: raw.rollbackAvailable === true,
    ...(typeof raw.dryRun === "boolean" ? { dryRun: raw.dryRun } : {}),
  };
  if (raw.success) return { ...common, success: true, data: raw.data };
  const error = isRecord(raw.error) ? raw.error : {};
  return {
    ...common,
    success: false,
    error: {
      code: typeof error.code === "string" ? error.code : "PROVIDER_FAILED",
      message: typeof error.message === "string" ? error.message : "Provider reported a failure",
      recoverable: error.recoverable === true,
      ...(isRecord(error.details) ? { details: error.details } : {}),
    },
  };
}
