import type { CommandDefinition, CommandFailure, CommandSuccess } from "./commands.js";
import type { ValidationIssue } from "./errors.js";
import type { LifecycleState, Unsubscribe } from "./lifecycle.js";
import type { HealthStatus, PluginInfo, ProviderMeta } from "./provider.js";
import type { EstimatedCost, GateDecision } from "./security.js";
import type { PendingOperation } from "./stores.js";
import type { Environment } from "./taxonomy.js";

// The way in for the conversation pipeline, the shell and agent tools: they list what exists through
// an `InfrastructureCatalogue` and act through an `OperationRunner`. Neither hands out a provider
// object, so every command they run passes validation, the security gate and the audit.

/** A registered provider (factory), metadata only. */
export interface ProviderSummary {
  /** The provider id (the factory id). */
  readonly id: string;
  readonly meta: ProviderMeta;
  /** Epoch ms of registration. */
  readonly registeredAt: number;
  /** The plugin it came from, when known. */
  readonly plugin?: PluginInfo;
}

/** A provider instance, metadata only (no provider object). */
export interface InstanceSummary {
  readonly instanceId: string;
  /** The provider (factory) id it was created from. */
  readonly providerId: string;
  readonly state: LifecycleState;
  /** Epoch ms of creation. */
  readonly createdAt: number;
  /** Last known health (`unknown` before the first check). */
  readonly health: HealthStatus;
  /** The last failure, when the instance is or was in `error`. */
  readonly lastError?: { readonly code?: string; readonly message: string };
}

/** Filter of {@link InfrastructureCatalogue.listInstances}. */
export interface InstanceFilter {
  readonly providerId?: string;
  readonly state?: LifecycleState;
}

/**
 * What exists: providers, instances and their commands, as plain metadata. The registry implements
 * it (`registry.catalogue`). Lookups of something missing return undefined; use `NotFoundError`
 * with the listed ids to tell a user what exists.
 */
export interface InfrastructureCatalogue {
  /** Every registered provider, in registration order. */
  listProviders(): readonly ProviderSummary[];
  getProvider(providerId: string): ProviderSummary | undefined;
  /** Every instance (optionally filtered), in creation order. */
  listInstances(filter?: InstanceFilter): readonly InstanceSummary[];
  getInstance(instanceId: string): InstanceSummary | undefined;
  /** The commands an instance offers (copies of the definitions), or undefined for an unknown instance. */
  listCommands(instanceId: string): readonly CommandDefinition[] | undefined;
  /** One command of an instance, or undefined. */
  getCommand(instanceId: string, commandId: string): CommandDefinition | undefined;
}

/** One command call. */
export interface ExecuteRequest {
  readonly instanceId: string;
  readonly commandId: string;
  /** Parameters (validated with core's validator). Default `{}`. */
  readonly params?: unknown;
  /** Session whose history, pending operations and resources the run lands in; needed for anything that must wait. */
  readonly sessionId?: string;
  /** Default: the session's user, else `"system"`. */
  readonly userId?: string;
  /** Default: the session's environment, else `"development"`. */
  readonly environment?: Environment;
  /** Simulate; refused when the command does not declare `supportsDryRun`. */
  readonly dryRun?: boolean;
  /** The caller explicitly confirms the operation (a dangerous command, `requireConfirmation`). */
  readonly confirmed?: boolean;
  /** Who confirmed. Default: the user, when `confirmed`. */
  readonly confirmedBy?: string;
  /** Cancels the run (queued, running or waiting to retry); it reaches the provider as `ctx.signal`. */
  readonly signal?: AbortSignal;
  /** Resource ids the call targets (shown to the gate). Default: the values of the command's `resource-ref` parameters. */
  readonly resourceIds?: readonly string[];
  /** The caller's cost estimate; overrides the command's declared `estimatedCost`. */
  readonly estimatedCost?: EstimatedCost;
  /** Time limit of each attempt in ms; an attempt that times out ends the call (not retried: it may have had effects). Overrides the command's `timeout` and `defaultTimeout`. */
  readonly timeout?: number;
  /** Extra variables on top of the session's. */
  readonly variables?: Readonly<Record<string, unknown>>;
  /** This call rolls back the operation with this id: when it succeeds the gate hears that operation was `rolled-back`. */
  readonly rollbackOf?: string;
}

/** Options of {@link OperationRunner.resume}. */
export interface ResumeOptions {
  /** The approval granted for a `needs-approval` operation (default: the one it was given). */
  readonly approvalId?: string;
  /** Who approved; reaches the gate as `approvedBy`. */
  readonly approvedBy?: string;
  /** Explicit confirmation, for a `confirmation` pending operation or a dangerous command. */
  readonly confirmed?: boolean;
  /** Who confirmed. Default: the operation's user, when `confirmed`. */
  readonly confirmedBy?: string;
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

/**
 * What executing or resuming returns: expected failures are outcomes, never throws.
 * - `succeeded` / `failed` / `cancelled`: it ran (`attempts ≥ 1`), or, with `attempts: 0`, it
 *   could not start: `result.error.code` says why (`GATE_FAILED` — the gate could not decide;
 *   `AUDIT_FAILED` — the audit could not record a mutating operation; `STORAGE_UNAVAILABLE` — the
 *   shared state store cannot be reached, whichever step met it; `NOT_ACTIVE`; `SHUTDOWN`…).
 * - `denied`: the gate denied it (`SECURITY_DENIED`, with the decision's reasons).
 * - `invalid`: the call itself is wrong (`VALIDATION_FAILED`, `NOT_FOUND`…; `issues` name fields).
 * - `pending`: it waits in the session for approval or confirmation; resume it by `pending.id`.
 */
export type ExecutionOutcome =
  | (OutcomeBase & {
      readonly status: "succeeded";
      readonly result: CommandSuccess;
      readonly attempts: number;
      readonly decision: GateDecision;
      readonly warnings: readonly ValidationIssue[];
    })
  | (OutcomeBase & {
      readonly status: "failed";
      readonly result: CommandFailure;
      readonly attempts: number;
      readonly decision: GateDecision | undefined;
    })
  | (OutcomeBase & {
      readonly status: "cancelled";
      readonly result: CommandFailure;
      readonly attempts: number;
      readonly decision: GateDecision | undefined;
    })
  | (OutcomeBase & {
      readonly status: "denied";
      readonly result: CommandFailure;
      readonly decision: GateDecision;
    })
  | (OutcomeBase & {
      readonly status: "invalid";
      readonly result: CommandFailure;
      readonly issues: readonly ValidationIssue[];
    })
  | (OutcomeBase & {
      readonly status: "pending";
      readonly pending: PendingOperation;
      readonly decision: GateDecision | undefined;
    });

/** The status names of an {@link ExecutionOutcome}. */
export type ExecutionStatus = ExecutionOutcome["status"];

/** Told about every outcome (denied and pending included), after it was recorded; must not throw. */
export type OperationListener = (outcome: ExecutionOutcome) => void;

/**
 * Runs operations, always through validation, the security gate and the audit. The executor
 * implements it (`executor.runner`).
 */
export interface OperationRunner {
  /** Executes one command call. */
  execute(request: ExecuteRequest): Promise<ExecutionOutcome>;
  /**
   * Resumes a pending operation once approved or confirmed. It is consumed only when it runs or is
   * definitively refused (denied, expired, invalid), exactly once under concurrent resumes; a resume
   * that fails for a passing reason (instance not active, gate failure) leaves it pending.
   */
  resume(sessionId: string, pendingId: string, options?: ResumeOptions): Promise<ExecutionOutcome>;
  /** Subscribes to every outcome (so the pipeline and the shell can tell the user what happened). */
  onOutcome(listener: OperationListener): Unsubscribe;
}
