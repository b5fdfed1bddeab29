import {
  auditConfigSchema,
  clampTimerDelay,
  commandConfigSchema,
  createEventBus,
  createNoopLogger,
  findStorageUnavailable,
  formatIssues,
  InfrastructureCommandValidator,
  InfrastructureError,
  isDryRunRequest,
  isInfrastructureError,
  isMutatingCategory,
  isRecord,
  toJsonObject,
  MAX_TIMER_MS,
  notFoundMessage,
  redactParams,
  refusalCode,
  TimeoutError,
  toError,
} from "@espada/infra-core";
import type {
  AuditConfig,
  AuditEventInput,
  AuditSink,
  CommandConfig,
  CommandDefinition,
  CommandExecutionConfig,
  CommandFailure,
  CommandHistoryConfig,
  CommandHistoryEntry,
  CommandHistoryEntryInput,
  CommandResult,
  CommandSuccess,
  CommandValidationConfig,
  EstimatedCost,
  ExecuteRequest,
  ExecutionOutcome,
  GateDecision,
  InfrastructureErrorCode,
  InfrastructureEventBus,
  InfrastructureLogger,
  InfrastructureProvider,
  InfrastructureSession,
  OperationListener,
  OperationOutcomeReport,
  OperationRequest,
  OperationResult,
  OperationRunner,
  PendingOperation,
  PendingOperationInput,
  PendingUpdate,
  ProgressUpdate,
  ResumeOptions,
  SecurityGate,
  SessionStore,
  Unsubscribe,
  ValidatedCommandCall,
  ValidationIssue,
} from "@espada/infra-core";
import { setMaxListeners } from "node:events";
import { attempt, raceAbortOf, sleep, withTimeout } from "./async.js";
import { CallAbort, RunContext } from "./callAbort.js";
import { parseWith } from "./options.js";
import { Semaphore } from "./semaphore.js";
import { resourceChangesOf } from "./resourceChanges.js";
import type { ResourceChange } from "./resourceChanges.js";
import { executorSourceOf, InfrastructureProviderRegistry } from "./registry.js";
import type { ExecutorProviderSource } from "./providerSource.js";

export type { ExecutorProviderSource } from "./providerSource.js";

/** `commandConfig` as a caller may give it: every key optional, the spec's defaults fill the rest. */
export interface CommandConfigInput {
  readonly validation?: Partial<CommandValidationConfig>;
  readonly execution?: Partial<CommandExecutionConfig>;
  readonly history?: Partial<CommandHistoryConfig>;
}

/** Options of {@link InfrastructureCommandExecutor}. */
export interface CommandExecutorOptions {
  /** The registry (its provider objects stay private to the executor), or a source of providers you hold yourself. */
  readonly providers: InfrastructureProviderRegistry | ExecutorProviderSource;
  /** Asked before every run (and before anyone is asked to confirm); `createAllowAllGate()` from core for trusted use and tests. */
  readonly gate: SecurityGate;
  /** Sessions: history, pending operations and tracked resources. Without it nothing is recorded and nothing can wait for approval. */
  readonly sessions?: SessionStore;
  /** Receives `operation_requested` before every run and the outcome after it (see core's `AuditSink`). */
  readonly audit?: AuditSink;
  /**
   * `securityConfig.audit` (parsed with core's `auditConfigSchema`): `readOnlyWhenUnavailable` and
   * `logAllCommands` are read. With `logAllCommands` false, a read-only operation that is allowed or
   * succeeds leaves no audit record; denials, failures, pending operations and every mutating
   * operation are always recorded.
   */
  readonly auditConfig?: Partial<AuditConfig>;
  /** Bus for `command:*` and `resource:*` events. Default: a private bus (see `events`). */
  readonly events?: InfrastructureEventBus;
  readonly logger?: InfrastructureLogger;
  /** `commandConfig` (parsed with core's `commandConfigSchema`; defaults: timeout 60 000, 3 retries, 1 000 ms delay, 5 in parallel). */
  readonly config?: CommandConfigInput;
  /** Validator to use. Default: core's `InfrastructureCommandValidator` with `config.validation`. */
  readonly validator?: InfrastructureCommandValidator;
  /** How long a pending operation may wait for approval or confirmation, in ms. Default 3 600 000. */
  readonly pendingTimeout?: number;
  /**
   * How long a resume holds a pending operation before another resume may take it over (its holder
   * is presumed dead), in ms. Default: 3 × `defaultTimeout` (the gate and the audit are each bounded by it).
   */
  readonly claimLease?: number;
  /** Source of jitter in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
}

export type { ExecuteRequest, ResumeOptions, ExecutionOutcome, ExecutionStatus } from "@espada/infra-core";

/** Fields every outcome carries. */
type OutcomeBase = Pick<
  ExecutionOutcome,
  "executionId" | "commandId" | "instanceId" | "sessionId" | "duration"
>;

/** An outcome's own fields: everything but {@link OutcomeBase}. */
type OutcomeRest = ExecutionOutcome extends infer O
  ? O extends unknown
    ? Omit<O, keyof OutcomeBase>
    : never
  : never;

/** A resume's hold on the pending operation it runs. */
interface Held {
  readonly sessionId: string;
  readonly operation: PendingOperation;
  readonly claimId: string;
  /** Set once the operation was consumed or released. */
  settled: boolean;
}

/** Everything one call carries through the pipeline. */
interface Call {
  readonly executionId: string;
  readonly request: ExecuteRequest;
  readonly startedAt: number;
  /** The call's cancellation (its `AbortSignal` is made only when someone reads it). */
  readonly abort: CallAbort;
  readonly approvalId: string | undefined;
  readonly approvedBy: string | undefined;
  readonly held: Held | undefined;
  provider: InfrastructureProvider | undefined;
  command: CommandDefinition | undefined;
  session: InfrastructureSession | undefined;
  userId: string;
  environment: string;
  dryRun: boolean;
  redacted: Record<string, unknown>;
  /** What was presented to the gate, once it was. */
  operation: OperationRequest | undefined;
  /** Core's verdict on the params: handed to the provider so it does not validate again with other settings. */
  validated: ValidatedCommandCall | undefined;
}

const REASON_CANCELLED = "cancelled by the caller";

/**
 * `STORAGE_UNAVAILABLE` naming the store, when `error` (or its cause) says the shared state store
 * cannot be reached; undefined otherwise. Whichever step met the store down first — the gate's
 * shared-state read, its rate-limit counter or audit, the executor's own audit, the session — the
 * outcome carries this one reason, so it does not depend on timing.
 */
function unavailableFailure(error: unknown, stage: string): CommandFailure | undefined {
  const down = findStorageUnavailable(error);
  if (down === undefined) return undefined;
  return failure("STORAGE_UNAVAILABLE", `${down.message}; nothing ran`, { ...down.details, stage }, true);
}

function failure(
  code: string,
  message: string,
  details?: Readonly<Record<string, unknown>>,
  recoverable = false,
): CommandFailure {
  return {
    success: false,
    error: { code, message, recoverable, ...(details === undefined ? {} : { details }) },
    duration: 0,
    logs: [],
    affectedResources: [],
    rollbackAvailable: false,
  };
}

/**
 * The path every operation takes: find the instance and command → validate with core's
 * `InfrastructureCommandValidator` → ask the `SecurityGate` (before anyone is asked to confirm) →
 * denied: reasons, audit, nothing runs; needs approval or confirmation (the gate's, or the
 * validator's, which no gate can waive): a pending operation stored in the session, run later by
 * {@link resume}; allowed: audit `operation_requested` (a mutating operation is not run when the
 * audit cannot record it) → run with a timeout, retries (recoverable failures only, exponential
 * backoff with jitter), a concurrency limit, cancellation and progress → session history, events,
 * audit outcome, the gate's `recordOutcome`, outcome listeners.
 *
 * A provider that throws, returns garbage or hangs never crashes or wedges the executor.
 */
export class InfrastructureCommandExecutor {
  /** The resolved `commandConfig`. */
  readonly config: CommandConfig;
  /** The bus `command:*` and `resource:*` events are emitted on. */
  readonly events: InfrastructureEventBus;
  /**
   * Core's `OperationRunner` over this executor: execute, resume and outcome listeners, nothing
   * else (no `close`, no config). Hand this to the conversation pipeline, the gateway and agent tools.
   */
  readonly runner: OperationRunner;
  readonly #providers: ExecutorProviderSource;
  readonly #gate: SecurityGate;
  readonly #sessions: SessionStore | undefined;
  readonly #audit: AuditSink | undefined;
  readonly #auditConfig: AuditConfig;
  readonly #logger: InfrastructureLogger;
  readonly #validator: InfrastructureCommandValidator;
  readonly #slots: Semaphore;
  readonly #random: () => number;
  readonly #pendingTimeout: number;
  readonly #claimLease: number;
  readonly #closing = new AbortController();
  readonly #inFlight = new Set<Promise<unknown>>();
  /** Cancellations of the calls in progress, aborted by {@link close}. */
  readonly #calls = new Set<CallAbort>();
  readonly #listeners = new Set<OperationListener>();

  /** @throws ValidationError naming the config field (`commandConfig.execution.parallelLimit`). */
  constructor(options: CommandExecutorOptions) {
    this.config = parseWith(commandConfigSchema, options.config ?? {}, "commandConfig", "command config");
    this.#auditConfig = parseWith(
      auditConfigSchema,
      options.auditConfig ?? {},
      "securityConfig.audit",
      "audit config",
    );
    this.#providers =
      options.providers instanceof InfrastructureProviderRegistry
        ? executorSourceOf(options.providers)
        : options.providers;
    this.#gate = options.gate;
    this.#sessions = options.sessions;
    this.#audit = options.audit;
    this.#logger = (options.logger ?? createNoopLogger()).child("executor");
    this.events =
      options.events ??
      createEventBus({
        onHandlerError: (error, type) => this.#logger.warn(`event handler for ${type} threw`, { error }),
      });
    this.#validator = options.validator ?? new InfrastructureCommandValidator(this.config.validation);
    this.#slots = new Semaphore(this.config.execution.parallelLimit);
    this.#random = options.random ?? Math.random;
    // the gate of every call without a caller's signal gets this one (see #askGate): many may listen at once
    setMaxListeners(0, this.#closing.signal);
    this.#pendingTimeout = options.pendingTimeout ?? 3_600_000;
    this.#claimLease = Math.min(options.claimLease ?? 3 * this.config.execution.defaultTimeout, MAX_TIMER_MS);
    this.runner = Object.freeze({
      execute: (request: ExecuteRequest) => this.execute(request),
      resume: (sessionId: string, pendingId: string, resumeOptions?: ResumeOptions) =>
        this.resume(sessionId, pendingId, resumeOptions),
      onOutcome: (listener: OperationListener) => this.onOutcome(listener),
    });
  }

  /** Runs currently holding a slot. */
  get running(): number {
    return this.#slots.active;
  }

  /** Runs waiting for a slot. */
  get queued(): number {
    return this.#slots.queued;
  }

  /** Executes one command call. Never throws for an expected failure: see core's `ExecutionOutcome`. */
  execute(request: ExecuteRequest): Promise<ExecutionOutcome> {
    return this.#track(
      this.#process(request, globalThis.crypto.randomUUID(), undefined, undefined, undefined),
    );
  }

  /**
   * Resumes a pending operation once approved or confirmed: it is claimed (exactly one of several
   * racing resumes gets it; the others get `CONFLICT`), validated again and presented to the gate
   * again with the approval id, who approved and who confirmed. It is consumed only when it runs or
   * is definitively refused (denied, invalid, expired); after a passing failure (instance not
   * active, gate failure, audit failure, cancelled before the run) it waits again. The outcome keeps
   * the original execution id.
   */
  resume(sessionId: string, pendingId: string, options: ResumeOptions = {}): Promise<ExecutionOutcome> {
    return this.#track(this.#resume(sessionId, pendingId, options));
  }

  /** Calls `listener` with every outcome (succeeded, failed, denied, pending…) once it is final; returns the unsubscribe. */
  onOutcome(listener: OperationListener): Unsubscribe {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Refuses new calls (`SHUTDOWN`), cancels queued and running ones (they end `cancelled` with
   * code `SHUTDOWN`) and waits for them to settle. Safe to call twice.
   */
  async close(): Promise<void> {
    if (!this.#closing.signal.aborted)
      this.#closing.abort(new InfrastructureError("SHUTDOWN", "The command executor is closing"));
    const reason = this.#closing.signal.reason as Error;
    for (const call of this.#calls) call.abort(reason);
    await Promise.allSettled([...this.#inFlight]);
  }

  #track(work: Promise<ExecutionOutcome>): Promise<ExecutionOutcome> {
    const notified = work.then((outcome) => {
      this.#notify(outcome);
      return outcome;
    });
    this.#inFlight.add(notified);
    const done = (): void => {
      this.#inFlight.delete(notified);
    };
    notified.then(done, done);
    return notified;
  }

  #notify(outcome: ExecutionOutcome): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(outcome);
      } catch (error) {
        this.#logger.warn("outcome listener threw", { executionId: outcome.executionId, error });
      }
    }
  }

  async #resume(sessionId: string, pendingId: string, options: ResumeOptions): Promise<ExecutionOutcome> {
    const base: OutcomeBase = {
      executionId: pendingId,
      commandId: "",
      instanceId: "",
      sessionId,
      duration: 0,
    };
    const stopped = (code: InfrastructureErrorCode, message: string, field?: string): ExecutionOutcome => ({
      ...base,
      status: "failed",
      attempts: 0,
      decision: undefined,
      result: failure(code, message, field === undefined ? undefined : { field }),
    });
    if (this.#sessions === undefined)
      return stopped(
        "INVALID_ARGUMENT",
        "sessions: no session store configured, nothing can be resumed",
        "sessions",
      );
    if (this.#closing.signal.aborted) return stopped("SHUTDOWN", "The command executor is closing");
    let session: InfrastructureSession | undefined;
    try {
      session = await this.#sessions.getSession(sessionId);
    } catch (error) {
      const unavailable = unavailableFailure(error, "session");
      if (unavailable !== undefined)
        return { ...base, status: "failed", attempts: 0, decision: undefined, result: unavailable };
      return stopped(
        "STORAGE_FAILED",
        `sessionId: could not read session "${sessionId}": ${toError(error).message}`,
        "sessionId",
      );
    }
    if (session === undefined) {
      const message = notFoundMessage("session", sessionId);
      return {
        ...base,
        status: "invalid",
        issues: [{ code: "NOT_FOUND", message, path: "sessionId" }],
        result: failure("NOT_FOUND", `sessionId: ${message}`, { field: "sessionId" }),
      };
    }
    // an ended session keeps its pending operations (it may be activated again) and runs none of them
    if (session.state !== "active") {
      const refused = inactiveSession(session);
      return {
        ...base,
        status: "invalid",
        issues: refused.issues,
        result: failure(refused.code, refused.message, { issues: refused.issues }),
      };
    }
    const claimId = globalThis.crypto.randomUUID();
    let claim;
    try {
      claim = await this.#sessions.claimPendingOperation(sessionId, pendingId, {
        id: claimId,
        until: Date.now() + this.#claimLease,
      });
    } catch (error) {
      const unavailable = unavailableFailure(error, "pending");
      if (unavailable !== undefined)
        return { ...base, status: "failed", attempts: 0, decision: undefined, result: unavailable };
      return stopped(
        "STORAGE_FAILED",
        `pendingId: could not claim pending operation "${pendingId}": ${toError(error).message}`,
        "pendingId",
      );
    }
    if (!claim.ok) {
      if (claim.reason === "claimed")
        return stopped(
          "CONFLICT",
          `pendingId: pending operation "${pendingId}" is being resumed by another caller`,
          "pendingId",
        );
      const message = notFoundMessage(
        "pending operation",
        pendingId,
        session.pendingOperations.map((op) => op.id),
      );
      return {
        ...base,
        status: "invalid",
        issues: [{ code: "NOT_FOUND", message, path: "pendingId" }],
        result: failure("NOT_FOUND", `pendingId: ${message} in session "${sessionId}"`, {
          field: "pendingId",
        }),
      };
    }
    const pending = claim.operation;
    const held: Held = { sessionId, operation: pending, claimId, settled: false };
    if (pending.expiresAt !== undefined && pending.expiresAt < Date.now()) {
      await this.#consume(held);
      return {
        ...base,
        commandId: pending.commandId,
        instanceId: pending.instanceId,
        status: "failed",
        attempts: 0,
        decision: undefined,
        result: failure("EXPIRED", `pendingId: pending operation "${pendingId}" expired`, {
          field: "pendingId",
        }),
      };
    }
    const confirmedBy =
      options.confirmed === true ? (options.confirmedBy ?? pending.userId) : pending.confirmedBy;
    const request: ExecuteRequest = {
      instanceId: pending.instanceId,
      commandId: pending.commandId,
      params: pending.params,
      sessionId,
      userId: pending.userId,
      environment: pending.environment,
      dryRun: pending.dryRun,
      confirmed: confirmedBy !== undefined,
      ...(confirmedBy === undefined ? {} : { confirmedBy }),
      ...(pending.resourceIds === undefined || pending.resourceIds.length === 0
        ? {}
        : { resourceIds: pending.resourceIds }),
      ...(pending.estimatedCost === undefined ? {} : { estimatedCost: pending.estimatedCost }),
      ...(pending.rollbackOf === undefined ? {} : { rollbackOf: pending.rollbackOf }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    };
    try {
      return await this.#process(
        request,
        pending.id,
        options.approvalId ?? pending.approvalId,
        options.approvedBy,
        held,
      );
    } finally {
      // anything that neither ran nor was refused for good leaves the operation waiting
      if (!held.settled) await this.#release(held);
    }
  }

  async #process(
    request: ExecuteRequest,
    executionId: string,
    approvalId: string | undefined,
    approvedBy: string | undefined,
    held: Held | undefined,
  ): Promise<ExecutionOutcome> {
    const call: Call = {
      executionId,
      request,
      startedAt: Date.now(),
      abort: new CallAbort(),
      approvalId,
      approvedBy,
      held,
      provider: undefined,
      command: undefined,
      session: undefined,
      userId: request.userId ?? "system",
      environment: request.environment ?? "development",
      dryRun: request.dryRun === true,
      redacted: {},
      operation: undefined,
      validated: undefined,
    };
    const onCallerAbort = (): void =>
      call.abort.abort(
        new InfrastructureError("CANCELLED", `Command "${request.commandId}" was ${REASON_CANCELLED}`),
      );
    request.signal?.addEventListener("abort", onCallerAbort, { once: true });
    if (request.signal?.aborted === true) onCallerAbort();
    this.#calls.add(call.abort);
    try {
      return await this.#pipeline(call);
    } catch (error) {
      // Only a bug or a hostile provider object gets here; it is still an outcome.
      this.#logger.error("executor pipeline failed", { executionId, error });
      return this.#finishFailed(
        call,
        "failed",
        failure("PROVIDER_FAILED", `Command failed unexpectedly: ${toError(error).message}`),
        0,
        undefined,
      );
    } finally {
      request.signal?.removeEventListener("abort", onCallerAbort);
      this.#calls.delete(call.abort);
    }
  }

  async #pipeline(call: Call): Promise<ExecutionOutcome> {
    const { request } = call;
    if (this.#closing.signal.aborted)
      return this.#finishFailed(
        call,
        "failed",
        failure("SHUTDOWN", "The command executor is closing"),
        0,
        undefined,
      );
    const { timeout } = request;
    if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 1 && timeout <= MAX_TIMER_MS)) {
      const message = `must be an integer ≥ 1 and ≤ ${MAX_TIMER_MS} (ms)`;
      return this.#invalid(call, "INVALID_ARGUMENT", `timeout: ${message}`, [
        { code: "INVALID_VALUE", message, path: "timeout" },
      ]);
    }
    const instance = this.#providers.getInstance(request.instanceId);
    if (instance === undefined) {
      const message = notFoundMessage("instance", request.instanceId, this.#providers.instanceIds?.());
      return this.#invalid(call, "NOT_FOUND", `instanceId: ${message}`, [
        { code: "NOT_FOUND", message, path: "instanceId" },
      ]);
    }
    call.provider = instance.provider;
    const commands = instance.provider.getCommands();
    const command = commands.find((c) => c.id === request.commandId);
    if (command === undefined) {
      const message = notFoundMessage(
        "command",
        request.commandId,
        commands.map((c) => c.id),
        `on instance "${request.instanceId}"`,
      );
      return this.#invalid(call, "NOT_FOUND", `commandId: ${message}`, [
        { code: "NOT_FOUND", message, path: "commandId" },
      ]);
    }
    call.command = command;
    if (request.sessionId !== undefined && this.#sessions !== undefined) {
      let sessionError: unknown;
      call.session = await this.#sessions.getSession(request.sessionId).catch((error: unknown) => {
        sessionError = error;
        return undefined;
      });
      const unavailable = unavailableFailure(sessionError, "session");
      if (unavailable !== undefined)
        return this.#outcome(call, {
          status: "failed",
          result: unavailable,
          attempts: 0,
          decision: undefined,
        });
      if (call.session === undefined) {
        const message = notFoundMessage("session", request.sessionId);
        return this.#invalid(call, "NOT_FOUND", `sessionId: ${message}`, [
          { code: "NOT_FOUND", message, path: "sessionId" },
        ]);
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
    const confirmedBy = request.confirmed === true ? (request.confirmedBy ?? call.userId) : undefined;
    // Validate as if unconfirmed: the confirmation the validator requires is learnt here, shown to
    // the gate, and enforced after the gate whatever it decides. A confirmed call is validated again
    // as confirmed, for the verdict the provider receives.
    const unconfirmed = this.#validator.validate(command, params, { dryRun: call.dryRun, confirmed: false });
    const validation =
      confirmedBy === undefined
        ? unconfirmed
        : this.#validator.validate(command, params, { dryRun: call.dryRun, confirmed: true });
    call.redacted = validation.redactedParams;
    call.validated = validation.validated;
    const confirmationIssues = unconfirmed.errors.filter((issue) => issue.code === "CONFIRMATION_REQUIRED");
    const errors = validation.errors.filter((issue) => issue.code !== "CONFIRMATION_REQUIRED");
    if (errors.length > 0) {
      const code = refusalCode(errors);
      // every issue the validator found, the confirmation included: the same verdict a provider gives
      return this.#invalid(
        call,
        code,
        `Invalid call of "${command.id}": ${formatIssues(validation.errors)}`,
        validation.errors,
        true,
      );
    }
    if (instance.state !== "active") {
      const message = `instance "${request.instanceId}" is ${instance.state}, not active`;
      return this.#invalid(call, "NOT_ACTIVE", `instanceId: ${message}`, [
        { code: "NOT_ACTIVE", message, path: "instanceId" },
      ]);
    }
    call.operation = this.#operationRequest(
      call,
      command,
      instance.provider,
      validation.params,
      confirmationIssues,
      confirmedBy,
    );

    const asked = await this.#askGate(call, call.operation);
    if (asked.kind === "cancelled")
      return this.#finishFailed(call, "cancelled", this.#abortFailure(call), 0, undefined);
    if (asked.kind === "failed") return this.#gateFailed(call, asked.error);
    const decision = asked.decision;
    switch (decision.outcome) {
      case "denied":
        return this.#denied(call, decision);
      case "needs-approval":
        return this.#wait(call, "approval", validation.params, reasonsOf(decision), decision, confirmedBy);
      case "needs-confirmation":
        return this.#wait(
          call,
          "confirmation",
          validation.params,
          reasonsOf(decision),
          decision,
          confirmedBy,
        );
      case "allowed":
        // the gate may add a confirmation, never remove the one the validator requires
        if (confirmationIssues.length > 0 && confirmedBy === undefined) {
          return this.#wait(
            call,
            "confirmation",
            validation.params,
            confirmationIssues.map((i) => i.message).join("; "),
            decision,
            undefined,
            confirmationIssues,
          );
        }
        return this.#run(call, command, instance.provider, validation.params, decision, validation.warnings);
    }
  }

  #operationRequest(
    call: Call,
    command: CommandDefinition,
    provider: InfrastructureProvider,
    params: Record<string, unknown>,
    confirmationIssues: readonly ValidationIssue[],
    confirmedBy: string | undefined,
  ): OperationRequest {
    const { request } = call;
    const resourceIds =
      request.resourceIds !== undefined && request.resourceIds.length > 0
        ? [...request.resourceIds]
        : resourceRefsOf(command, params);
    const estimatedCost: EstimatedCost | undefined = request.estimatedCost ?? command.estimatedCost;
    return {
      operationId: call.executionId,
      commandId: command.id,
      commandCategory: command.category,
      providerId: provider.meta.id,
      instanceId: request.instanceId,
      userId: call.userId,
      ...(request.sessionId === undefined ? {} : { sessionId: request.sessionId }),
      environment: call.environment,
      params: call.redacted,
      resourceIds,
      dangerous: command.dangerous,
      mutating: isMutatingCategory(command.category) && !call.dryRun,
      dryRun: call.dryRun,
      rollbackAvailable: safeHasRollback(provider),
      ...(estimatedCost === undefined ? {} : { estimatedCost }),
      confirmationRequired: confirmationIssues.length > 0,
      confirmationReasons: confirmationIssues.map((issue) => issue.message),
      confirmed: confirmedBy !== undefined,
      ...(confirmedBy === undefined ? {} : { confirmedBy }),
      ...(call.approvalId === undefined ? {} : { approvalId: call.approvalId }),
      ...(call.approvedBy === undefined ? {} : { approvedBy: call.approvedBy }),
      resumed: call.held !== undefined,
      ...(request.rollbackOf === undefined ? {} : { rollbackOf: request.rollbackOf }),
    };
  }

  /** Asks the gate, bounded by `defaultTimeout`: a decision, a gate failure (threw, rejected, timed out, returned garbage), or cancelled meanwhile. */
  async #askGate(
    call: Call,
    operation: OperationRequest,
  ): Promise<
    { kind: "decided"; decision: GateDecision } | { kind: "failed"; error: Error } | { kind: "cancelled" }
  > {
    // Until the provider runs, a call aborts only when its caller's signal does or the executor
    // closes: without a caller's signal the gate gets the executor's closing signal (shared, aborted
    // with the same reason), and no signal of its own is made for the call.
    const signal = call.request.signal === undefined ? this.#closing.signal : call.abort.signal;
    try {
      const decision = await withTimeout(
        attempt(() => this.#gate.checkOperation(operation, signal)),
        this.config.execution.defaultTimeout,
        "security check",
        call.abort,
      );
      if (!isDecision(decision))
        return { kind: "failed", error: new Error("the gate returned something that is not a decision") };
      return { kind: "decided", decision };
    } catch (error) {
      if (call.abort.aborted) return { kind: "cancelled" };
      return { kind: "failed", error: toError(error) };
    }
  }

  async #gateFailed(call: Call, error: Error): Promise<ExecutionOutcome> {
    const unavailable = unavailableFailure(error, "gate");
    if (unavailable !== undefined) {
      this.#logger.warn(unavailable.error.message, { executionId: call.executionId });
      await this.#history(call, "failed", unavailable, []);
      return this.#outcome(call, { status: "failed", result: unavailable, attempts: 0, decision: undefined });
    }
    const message = `security gate failed: ${error.message}`;
    this.#logger.error(message, { executionId: call.executionId, error });
    const result = failure(
      "GATE_FAILED",
      `${message}; nothing ran${call.held === undefined ? "" : ", the pending operation is kept"}`,
    );
    await this.#history(call, "failed", result, []);
    await this.#record(
      { type: "operation_failed", outcome: "failure", details: { code: "GATE_FAILED", stage: "gate" } },
      call,
    );
    return this.#outcome(call, { status: "failed", result, attempts: 0, decision: undefined });
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
      release = await this.#slots.acquire(call.abort);
    } catch {
      return this.#finishFailed(call, "cancelled", this.#abortFailure(call), 0, decision);
    }
    let result: CommandResult;
    let attempts = 0;
    try {
      // audit before: a mutating operation the audit cannot record does not run (fail closed)
      // (each step below that has nothing to do is skipped before its promise is made)
      const auditError =
        this.#audit === undefined
          ? undefined
          : await this.#recordError(
              {
                type: "operation_requested",
                outcome: "allowed",
                risk: decision.risk,
                reasons: decision.reasons,
              },
              call,
            );
      if (
        auditError !== undefined &&
        !(call.operation?.mutating === false && this.#auditConfig.readOnlyWhenUnavailable === true)
      ) {
        const what =
          call.operation?.mutating === false
            ? "read-only operation (securityConfig.audit.readOnlyWhenUnavailable is off)"
            : "mutating operation";
        return await this.#finishFailed(
          call,
          "failed",
          unavailableFailure(auditError, "audit") ??
            failure("AUDIT_FAILED", `The audit sink could not record the ${what}; nothing ran`),
          0,
          decision,
        );
      }
      if (call.abort.aborted)
        return await this.#finishFailed(call, "cancelled", this.#abortFailure(call), 0, decision);
      if (call.held !== undefined) {
        const consumed = await this.#consume(call.held);
        if (consumed !== "consumed") {
          const stolen = consumed === "lost";
          const code = stolen ? "CONFLICT" : "STORAGE_FAILED";
          const message = stolen
            ? `pending operation "${call.held.operation.id}" was taken over by another resume; nothing ran here`
            : `could not consume pending operation "${call.held.operation.id}"; nothing ran`;
          return await this.#finishFailed(
            call,
            "failed",
            failure(code, message, { field: "pendingId" }),
            0,
            decision,
          );
        }
      }
      this.#emitCommand("command:started", call, { attempt: 1 });
      const timeout = call.request.timeout ?? command.timeout ?? this.config.execution.defaultTimeout;
      const { maxRetries, retryDelay } = this.config.execution;
      for (;;) {
        attempts++;
        result = await this.#attempt(call, command, provider, params, timeout, attempts);
        if (result.success || !result.error.recoverable || attempts > maxRetries || call.abort.aborted) break;
        const base = retryDelay * 2 ** (attempts - 1);
        try {
          await sleep(base / 2 + this.#random() * (base / 2), call.abort);
        } catch {
          result = this.#abortFailure(call);
          break;
        }
      }
    } finally {
      release();
    }
    if (result.success)
      return this.#finishSucceeded(call, command, provider, result, attempts, decision, warnings);
    const cancelled = result.error.code === "CANCELLED" || result.error.code === "SHUTDOWN";
    return this.#finishFailed(call, cancelled ? "cancelled" : "failed", result, attempts, decision);
  }

  /** One attempt: the provider call raced against timeout and cancellation; anything thrown becomes a failure result. */
  async #attempt(
    call: Call,
    command: CommandDefinition,
    provider: InfrastructureProvider,
    params: Record<string, unknown>,
    timeout: number,
    attemptNo: number,
  ): Promise<CommandResult> {
    const abort = call.abort;
    if (abort.aborted) return this.#abortFailure(call);
    const timer = setTimeout(
      () => abort.abort(new TimeoutError(`Command "${command.id}"`, timeout)),
      clampTimerDelay(timeout),
    );
    let settled = false;
    // its signal is made on first read: a provider that never looks at it costs none
    const context = new RunContext(abort, {
      executionId: call.executionId,
      sessionId: call.request.sessionId,
      userId: call.userId,
      environment: call.environment,
      dryRun: call.dryRun,
      confirmed: call.operation?.confirmed === true,
      progress: (update: ProgressUpdate) => {
        if (!settled) this.#emitCommand("command:progress", call, { attempt: attemptNo, progress: update });
      },
      logger: this.#logger,
      variables: { ...call.session?.variables, ...call.request.variables },
      timeout,
      ...(call.validated === undefined ? {} : { validated: call.validated }),
    });
    const started = Date.now();
    try {
      const raw = await raceAbortOf(
        attempt(() => provider.executeCommand(command.id, { ...params }, context)),
        abort,
        `Command "${command.id}"`,
      );
      return normalizeResult(raw, Date.now() - started);
    } catch (error) {
      if (abort.aborted) return this.#abortFailure(call);
      const err = toError(error);
      return {
        ...failure("PROVIDER_FAILED", `Provider threw: ${err.message}`),
        duration: Date.now() - started,
      };
    } finally {
      settled = true;
      clearTimeout(timer);
    }
  }

  /** The failure matching why the call's signal aborted: TIMEOUT, SHUTDOWN or CANCELLED. */
  #abortFailure(call: Call): CommandFailure {
    const reason: unknown = call.abort.reason;
    if (isInfrastructureError(reason)) return failure(reason.code, reason.message);
    return failure("CANCELLED", `Command "${call.request.commandId}" was ${REASON_CANCELLED}`);
  }

  /** Removes the held pending operation: it runs now, or was refused for good. */
  async #consume(held: Held): Promise<"consumed" | "lost" | "failed"> {
    try {
      const removed = await this.#sessions?.completePendingOperation(
        held.sessionId,
        held.operation.id,
        held.claimId,
      );
      held.settled = removed === true;
      return removed === true ? "consumed" : "lost";
    } catch (error) {
      this.#logger.warn("could not consume a pending operation", { executionId: held.operation.id, error });
      return "failed";
    }
  }

  /** Lets the held pending operation wait again (optionally updated). */
  async #release(held: Held, update?: PendingUpdate): Promise<void> {
    held.settled = true;
    try {
      await this.#sessions?.releasePendingOperation(held.sessionId, held.operation.id, held.claimId, update);
    } catch (error) {
      // the claim lapses after claimLease, so the operation is still not lost
      this.#logger.warn("could not release a pending operation; it can be resumed once its claim lapses", {
        executionId: held.operation.id,
        error,
      });
    }
  }

  /** The operation must wait for approval or confirmation: stored in the session (or, on a resume, kept there updated). */
  async #wait(
    call: Call,
    kind: PendingOperation["kind"],
    params: Record<string, unknown>,
    reason: string,
    decision: GateDecision,
    confirmedBy: string | undefined,
    confirmationIssues: readonly ValidationIssue[] = [],
  ): Promise<ExecutionOutcome> {
    const command = call.command;
    const provider = call.provider;
    const approvalId = decision.outcome === "needs-approval" ? decision.approvalId : undefined;
    if (call.held !== undefined) {
      const update: PendingUpdate = {
        kind,
        reason,
        ...(approvalId === undefined ? {} : { approvalId }),
        ...(confirmedBy === undefined ? {} : { confirmedBy }),
      };
      await this.#release(call.held, update);
      const pending: PendingOperation = { ...withoutClaim(call.held.operation), ...update };
      await this.#history(call, "pending", undefined, []);
      await this.#record(
        {
          type: "operation_requested",
          outcome: "pending",
          risk: decision.risk,
          reasons: decision.reasons,
          details: { kind },
        },
        call,
      );
      return this.#outcome(call, { status: "pending", pending, decision });
    }
    if (
      this.#sessions === undefined ||
      call.session === undefined ||
      command === undefined ||
      provider === undefined
    ) {
      const code = kind === "approval" ? "APPROVAL_REQUIRED" : "CONFIRMATION_REQUIRED";
      // the validator's own issues when it asked (the same verdict a provider gives), else why a session is needed
      const issues: readonly ValidationIssue[] =
        confirmationIssues.length > 0
          ? confirmationIssues
          : [
              {
                code: "SESSION_REQUIRED",
                message: `needs ${kind} (${reason}): pass a sessionId so it can wait`,
                path: "sessionId",
              },
            ];
      return this.#invalid(
        call,
        code,
        `sessionId: the operation needs ${kind} (${reason}); a session is required to hold it`,
        issues,
      );
    }
    const now = Date.now();
    const operation = call.operation;
    const request: PendingOperationInput = {
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
      ...(confirmedBy === undefined ? {} : { confirmedBy }),
      ...(call.request.resourceIds === undefined || call.request.resourceIds.length === 0
        ? {}
        : { resourceIds: [...call.request.resourceIds] }),
      ...(call.request.estimatedCost === undefined ? {} : { estimatedCost: call.request.estimatedCost }),
      ...(operation?.rollbackOf === undefined ? {} : { rollbackOf: operation.rollbackOf }),
    };
    let pending: PendingOperation;
    try {
      pending = await this.#sessions.addPendingOperation(call.session.id, request);
    } catch (error) {
      return this.#finishFailed(
        call,
        "failed",
        unavailableFailure(error, "pending") ??
          failure("STORAGE_FAILED", `Could not store the pending operation: ${toError(error).message}`),
        0,
        decision,
      );
    }
    await this.#history(call, "pending", undefined, []);
    await this.#record(
      {
        type: "operation_requested",
        outcome: "pending",
        risk: decision.risk,
        reasons: decision.reasons,
        details: { kind },
      },
      call,
    );
    return this.#outcome(call, { status: "pending", pending, decision });
  }

  async #denied(call: Call, decision: GateDecision): Promise<ExecutionOutcome> {
    if (call.held !== undefined) await this.#consume(call.held);
    const result = failure("SECURITY_DENIED", `Denied: ${reasonsOf(decision)}`, {
      risk: decision.risk,
      reasons: decision.reasons,
    });
    await this.#history(call, "denied", result, []);
    await this.#record(
      { type: "operation_rejected", outcome: "denied", risk: decision.risk, reasons: decision.reasons },
      call,
    );
    return this.#outcome(call, { status: "denied", result, decision });
  }

  /** An invalid call; `definitive` (the parameters themselves are wrong) consumes a resumed pending operation. */
  async #invalid(
    call: Call,
    code: InfrastructureErrorCode,
    message: string,
    issues: readonly ValidationIssue[],
    definitive = false,
  ): Promise<ExecutionOutcome> {
    if (definitive && call.held !== undefined) await this.#consume(call.held);
    const result = failure(code, message, { issues });
    if (call.command !== undefined && Object.keys(call.redacted).length === 0)
      call.redacted = redactParams(call.command, call.request.params);
    await this.#history(call, "failed", result, []);
    return this.#outcome(call, { status: "invalid", result, issues });
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
    this.#emitCommand("command:completed", call, {
      attempt: attempts,
      duration: Date.now() - call.startedAt,
      affectedResources: result.affectedResources,
    });
    this.#emitResources(call, provider, changes);
    // a step with nothing to do is skipped before its promise is made
    if (changes.length > 0) await this.#trackResources(call, provider, changes);
    await this.#history(call, "succeeded", result, result.affectedResources);
    if (this.#audit !== undefined)
      await this.#record(
        {
          type: "operation_completed",
          outcome: "success",
          risk: decision.risk,
          details: { attempts, dryRun: call.dryRun, affectedResources: [...result.affectedResources] },
        },
        call,
      );
    if (this.#gate.recordOutcome !== undefined) await this.#tellGate(call, "success", result);
    const rollbackOf = call.operation?.rollbackOf;
    if (rollbackOf !== undefined && !call.dryRun) {
      await this.#record(
        {
          type: "operation_rolled_back",
          outcome: "rolled-back",
          details: { rolledBackBy: call.executionId },
        },
        call,
        rollbackOf,
      );
      await this.#tellGate(call, "rolled-back", result, rollbackOf);
    }
    // spelt out: a spread followed by new keys costs microseconds on V8 (see #outcome)
    return {
      executionId: call.executionId,
      commandId: call.request.commandId,
      instanceId: call.request.instanceId,
      sessionId: call.request.sessionId,
      duration: Date.now() - call.startedAt,
      status: "succeeded",
      result,
      attempts,
      decision,
      warnings,
    };
  }

  async #finishFailed(
    call: Call,
    status: "failed" | "cancelled",
    result: CommandFailure,
    attempts: number,
    decision: GateDecision | undefined,
  ): Promise<ExecutionOutcome> {
    if (attempts > 0) {
      const event = status === "cancelled" ? "command:cancelled" : "command:failed";
      this.#emitCommand(event, call, {
        attempt: attempts,
        duration: Date.now() - call.startedAt,
        error: result.error,
        affectedResources: result.affectedResources,
      });
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
    if (decision !== undefined) {
      const outcome = status === "cancelled" ? "cancelled" : "failure";
      await this.#record(
        {
          type: "operation_failed",
          outcome,
          risk: decision.risk,
          details: { attempts, code: result.error.code },
        },
        call,
      );
      if (attempts > 0) await this.#tellGate(call, status === "cancelled" ? "cancelled" : "failure", result);
    }
    return this.#outcome(call, { status, result, attempts, decision });
  }

  /** The gate hears how an operation it allowed ended; a gate that fails to listen is logged, never fatal. */
  async #tellGate(
    call: Call,
    outcome: OperationResult,
    result: CommandResult,
    operationId = call.executionId,
  ): Promise<void> {
    const operation = call.operation;
    if (this.#gate.recordOutcome === undefined || operation === undefined) return;
    const report: OperationOutcomeReport = {
      operationId,
      result: outcome,
      request: operation,
      ...(result.success ? {} : { errorCode: result.error.code }),
      affectedResources: [...result.affectedResources],
      duration: Date.now() - call.startedAt,
      finishedAt: Date.now(),
      ...(outcome === "rolled-back" ? { rolledBackBy: call.executionId } : {}),
    };
    try {
      await withTimeout(
        attempt(() => this.#gate.recordOutcome?.(report)),
        this.config.execution.defaultTimeout,
        "security gate recordOutcome",
      );
    } catch (error) {
      this.#logger.warn("the security gate failed to record an outcome", {
        executionId: call.executionId,
        error,
      });
    }
  }

  /**
   * The outcome: {@link #base} with `rest` assigned (not `{ ...base, status, … }`: on V8 an object
   * spread followed by keys the source lacks takes a slow path, several microseconds each).
   */
  #outcome(call: Call, rest: OutcomeRest): ExecutionOutcome {
    return Object.assign<OutcomeBase, OutcomeRest>(this.#base(call), rest);
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
    type:
      "command:started" | "command:progress" | "command:completed" | "command:failed" | "command:cancelled",
    call: Call,
    extra: {
      attempt?: number;
      duration?: number;
      error?: CommandFailure["error"];
      progress?: ProgressUpdate;
      affectedResources?: readonly string[];
    },
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

  async #trackResources(
    call: Call,
    provider: InfrastructureProvider,
    changes: readonly ResourceChange[],
  ): Promise<void> {
    if (this.#sessions === undefined || call.session === undefined) return;
    const now = Date.now();
    const tracked = changes
      .filter((c) => c.change !== "deleted")
      .map((c) => ({ id: c.id, type: c.type ?? "custom", providerId: provider.meta.id, updatedAt: now }));
    const deleted = changes.filter((c) => c.change === "deleted").map((c) => c.id);
    try {
      if (tracked.length > 0) await this.#sessions.trackResources(call.session.id, tracked);
      if (deleted.length > 0) await this.#sessions.forgetResources?.(call.session.id, deleted);
    } catch (error) {
      this.#logger.warn("could not track resources in the session", { executionId: call.executionId, error });
    }
  }

  async #history(
    call: Call,
    status: CommandHistoryEntry["status"],
    result: CommandResult | undefined,
    affected: readonly string[],
  ): Promise<void> {
    if (!this.config.history.enabled || this.#sessions === undefined || call.session === undefined) return;
    const entry: CommandHistoryEntryInput = {
      executionId: call.executionId,
      commandId: call.request.commandId,
      providerId: call.provider?.meta.id ?? "",
      instanceId: call.request.instanceId,
      userId: call.userId,
      params: toJsonObject(call.redacted),
      status,
      dryRun: call.dryRun,
      startedAt: call.startedAt,
      duration: Date.now() - call.startedAt,
      ...(result === undefined || result.success
        ? {}
        : { errorCode: result.error.code, errorMessage: result.error.message }),
      affectedResources: [...affected],
    };
    try {
      await this.#sessions.appendHistory(call.session.id, entry);
    } catch (error) {
      this.#logger.warn("could not append to the session history", { executionId: call.executionId, error });
    }
  }

  /** Records an audit event (bounded by `defaultTimeout`); true when recorded or no sink is configured. */
  async #record(
    event: Omit<AuditEventInput, "actor">,
    call: Call,
    operationId = call.executionId,
  ): Promise<boolean> {
    return (await this.#recordError(event, call, operationId)) === undefined;
  }

  /** {@link #record}, resolving with why the sink failed (undefined when recorded or no sink is configured). */
  async #recordError(
    event: Omit<AuditEventInput, "actor">,
    call: Call,
    operationId = call.executionId,
  ): Promise<Error | undefined> {
    if (this.#audit === undefined) return undefined;
    const operation = call.operation;
    // securityConfig.audit.logAllCommands: false audits changes only (an allowed or successful read is not recorded)
    if (
      !this.#auditConfig.logAllCommands &&
      operation?.mutating === false &&
      (event.outcome === "allowed" || event.outcome === "success")
    )
      return undefined;
    const record: AuditEventInput = {
      ...event,
      actor: call.userId,
      operationId,
      ...(call.request.sessionId === undefined ? {} : { sessionId: call.request.sessionId }),
      ...(call.provider === undefined ? {} : { providerId: call.provider.meta.id }),
      instanceId: call.request.instanceId,
      commandId: call.request.commandId,
      environment: call.environment,
      details: {
        ...event.details,
        params: toJsonObject(call.redacted),
        ...(operation === undefined
          ? {}
          : {
              resourceIds: [...operation.resourceIds],
              mutating: operation.mutating,
              ...(operation.confirmedBy === undefined ? {} : { confirmedBy: operation.confirmedBy }),
              ...(operation.approvedBy === undefined ? {} : { approvedBy: operation.approvedBy }),
              ...(operation.approvalId === undefined ? {} : { approvalId: operation.approvalId }),
              ...(operation.estimatedCost === undefined
                ? {}
                : { estimatedCost: { ...operation.estimatedCost } }),
            }),
      },
    };
    const sink = this.#audit;
    try {
      await withTimeout(
        attempt(() => sink.record(record)),
        this.config.execution.defaultTimeout,
        "audit record",
      );
      return undefined;
    } catch (error) {
      this.#logger.error("audit sink failed", { executionId: call.executionId, type: event.type, error });
      return toError(error);
    }
  }
}

/** Creates an {@link InfrastructureCommandExecutor}. */
export function createCommandExecutor(options: CommandExecutorOptions): InfrastructureCommandExecutor {
  return new InfrastructureCommandExecutor(options);
}

/** Why nothing runs in an expired or terminated session. */
function inactiveSession(session: InfrastructureSession): {
  code: "NOT_ACTIVE";
  message: string;
  issues: ValidationIssue[];
} {
  return {
    code: "NOT_ACTIVE",
    message: `sessionId: session "${session.id}" is ${session.state}; extend or activate it first`,
    issues: [{ code: "NOT_ACTIVE", message: `session is ${session.state}`, path: "sessionId" }],
  };
}

/** The failed checks' messages, or every message when none failed. */
function reasonsOf(decision: GateDecision): string {
  const failed = decision.reasons.filter((r) => !r.passed);
  return (
    (failed.length > 0 ? failed : decision.reasons).map((r) => `${r.check}: ${r.message}`).join("; ") ||
    decision.outcome
  );
}

/** A pending operation without its claim. */
function withoutClaim(operation: PendingOperation): PendingOperation {
  const { claim: _claim, ...rest } = operation;
  return rest;
}

/** The ids of the command's `resource-ref` parameters (a string, `{ id }`, or an array of them), in declaration order, without duplicates. */
function resourceRefsOf(command: CommandDefinition, params: Readonly<Record<string, unknown>>): string[] {
  const ids = new Set<string>();
  const add = (value: unknown): void => {
    if (typeof value === "string" && value.trim() !== "") ids.add(value);
    else if (isRecord(value) && typeof value.id === "string" && value.id.trim() !== "") ids.add(value.id);
  };
  for (const parameter of command.parameters) {
    const value = params[parameter.name];
    if (parameter.type === "resource-ref") add(value);
    else if (parameter.type === "array" && parameter.items === "resource-ref" && Array.isArray(value))
      value.forEach(add);
  }
  return [...ids];
}

/** True when `value` is shaped like a {@link GateDecision}. */
function isDecision(value: unknown): value is GateDecision {
  if (!isRecord(value) || !isRecord(value.risk) || !Array.isArray(value.reasons)) return false;
  if (value.outcome === "needs-approval")
    return typeof value.approvalId === "string" && value.approvalId !== "";
  return value.outcome === "allowed" || value.outcome === "denied" || value.outcome === "needs-confirmation";
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
  if (!isRecord(raw) || typeof raw.success !== "boolean")
    return { ...failure("PROVIDER_FAILED", "Provider returned a malformed result"), duration: measured };
  // spelt out rather than `{ ...common, success, … }` (slow on V8, see the executor's #outcome)
  const duration = typeof raw.duration === "number" ? raw.duration : measured;
  const logs = Array.isArray(raw.logs) ? raw.logs.filter((l): l is string => typeof l === "string") : [];
  const affectedResources = Array.isArray(raw.affectedResources)
    ? raw.affectedResources.filter((r): r is string => typeof r === "string")
    : [];
  const rollbackAvailable = raw.rollbackAvailable === true;
  const dryRun = typeof raw.dryRun === "boolean" ? { dryRun: raw.dryRun } : {};
  if (raw.success)
    return { duration, logs, affectedResources, rollbackAvailable, ...dryRun, success: true, data: raw.data };
  const error = isRecord(raw.error) ? raw.error : {};
  return {
    duration,
    logs,
    affectedResources,
    rollbackAvailable,
    ...dryRun,
    success: false,
    error: {
      code: typeof error.code === "string" ? error.code : "PROVIDER_FAILED",
      message: typeof error.message === "string" ? error.message : "Provider reported a failure",
      recoverable: error.recoverable === true,
      ...(isRecord(error.details) ? { details: error.details } : {}),
    },
  };
}
