import { z } from "zod";
import { deferred } from "./deferredSchema.js";
import type { CommandCategory, Environment } from "./taxonomy.js";
import type { JsonObject } from "./json.js";

/** The five risk levels, from most to least severe. */
export const RISK_LEVELS = ["critical", "high", "medium", "low", "minimal"] as const;
/** A risk level. */
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** Maps a 0–100 score to its level: critical ≥ 80, high ≥ 60, medium ≥ 40, low ≥ 20, else minimal. */
export function riskLevelForScore(score: number): RiskLevel {
  if (score >= 80) return "critical";
  if (score >= 60) return "high";
  if (score >= 40) return "medium";
  if (score >= 20) return "low";
  return "minimal";
}

/** One weighted factor of a risk score. */
export type RiskFactor = {
  /** Factor name (`environment`, `operation-type`, …). */
  readonly name: string;
  /** Its weight in the total (0–1). */
  readonly weight: number;
  /** Its raw 0–100 value. */
  readonly value: number;
  /** What it adds to the score (`weight × value`, after multipliers). */
  readonly contribution: number;
  /** Why it has this value, for people. */
  readonly description: string;
};

/** A risk assessment: score, level and the factors behind it. */
export type RiskAssessment = {
  /** 0–100. */
  readonly score: number;
  readonly level: RiskLevel;
  readonly factors: readonly RiskFactor[];
};

/** The checks of the security flow, in order. */
export const SECURITY_CHECKS = [
  "risk",
  "break-glass",
  "rbac",
  "time-window",
  "approval",
  "confirmation",
  "rate-limit",
] as const;
/** A security check name. */
export type SecurityCheck = (typeof SECURITY_CHECKS)[number];

/** The verdict of one check, with its reason. */
export type GateReason = {
  readonly check: SecurityCheck;
  readonly passed: boolean;
  readonly message: string;
};

/** Command categories whose commands only read: the executor treats them as non-mutating. */
export const READ_ONLY_COMMAND_CATEGORIES = ["monitor", "cost"] as const satisfies readonly CommandCategory[];

/** True when a command of this category changes something (everything but `monitor` and `cost`). */
export function isMutatingCategory(category: CommandCategory): boolean {
  return !(READ_ONLY_COMMAND_CATEGORIES as readonly string[]).includes(category);
}

// Built on first use (`deferred`): constructing zod schemas is most of what importing core would
// cost, and most importers never parse with most of them.
/** Schema of what an operation is estimated to cost; a command may declare one (`CommandDefinition.estimatedCost`). */
export const estimatedCostSchema = deferred(() =>
  z.strictObject({
    /** Amount in `currency`, ≥ 0. */
    amount: z.number().nonnegative().finite(),
    /** ISO 4217 code. Default `USD`. */
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD")
      .default("USD"),
    /** Whether the amount is paid once or recurs. Default `once`. */
    period: z.enum(["once", "hourly", "daily", "monthly"]).default("once"),
  }),
);
/** What an operation is estimated to cost. */
export type EstimatedCost = z.infer<typeof estimatedCostSchema>;

/**
 * An operation presented to the security gate, built by the executor after the parameters were
 * validated and before anyone is asked to confirm: a user who may not run it is denied at once.
 */
export interface OperationRequest {
  /** Unique id of the operation (the execution id; kept across resumes of a pending operation). */
  readonly operationId: string;
  readonly commandId: string;
  readonly commandCategory: CommandCategory;
  /** The provider (factory) id. */
  readonly providerId: string;
  readonly instanceId?: string;
  /** Who asked for the operation (on a resume: still the original requester). */
  readonly userId: string;
  readonly sessionId?: string;
  readonly environment: Environment;
  /** Parameters with sensitive values already redacted. */
  readonly params: Readonly<Record<string, unknown>>;
  /**
   * Resource ids the operation targets: the caller's, or when it gave none, the values of the
   * command's `resource-ref` parameters (an array of refs gives each id).
   */
  readonly resourceIds: readonly string[];
  readonly dangerous: boolean;
  /** False for read-only categories (`monitor`, `cost`) and dry runs. */
  readonly mutating: boolean;
  readonly dryRun: boolean;
  readonly rollbackAvailable: boolean;
  /** Estimated cost: the caller's estimate, else the command's declaration; absent when neither gave one. */
  readonly estimatedCost?: EstimatedCost;
  /**
   * True when the validator requires explicit confirmation whatever the gate decides (a dangerous
   * command under `dangerousCommandsRequireExplicit`, or `requireConfirmation`). The gate cannot
   * waive it; `confirmationReasons` say why, for the gate's explanation.
   */
  readonly confirmationRequired: boolean;
  /** The validator's reasons for `confirmationRequired` (empty when not required). */
  readonly confirmationReasons: readonly string[];
  /** The caller confirmed the operation explicitly. */
  readonly confirmed: boolean;
  /** Who confirmed (set when `confirmed`). */
  readonly confirmedBy?: string;
  /** Approval id from an earlier `needs-approval` decision, when resuming. */
  readonly approvalId?: string;
  /** Who approved, as the resuming caller says; the gate checks it against its own approval record. */
  readonly approvedBy?: string;
  /** True when this request comes from resuming a pending operation. */
  readonly resumed: boolean;
  /** When this operation rolls back an earlier one: that operation's id. */
  readonly rollbackOf?: string;
}

/** Fields every gate decision carries. */
interface GateDecisionBase {
  /** The risk assessment: score, level and the factors behind it. */
  readonly risk: RiskAssessment;
  /** One reason from each check that ran, passed or not. */
  readonly reasons: readonly GateReason[];
}

/**
 * The gate's answer: allowed, needs approval (with the approval id to resume with), needs
 * confirmation, or denied. A decision can add a confirmation or an approval, never remove one the
 * validator requires: `allowed` for a request with `confirmationRequired` and not `confirmed`
 * still waits for confirmation.
 */
export type GateDecision =
  | (GateDecisionBase & { readonly outcome: "allowed" })
  | (GateDecisionBase & { readonly outcome: "needs-approval"; readonly approvalId: string })
  | (GateDecisionBase & { readonly outcome: "needs-confirmation" })
  | (GateDecisionBase & { readonly outcome: "denied" });

/** The outcome names of a {@link GateDecision}. */
export type GateOutcome = GateDecision["outcome"];

/** How an operation the gate allowed ended. */
export const OPERATION_RESULTS = ["success", "failure", "cancelled", "rolled-back"] as const;
/** How an operation the gate allowed ended. */
export type OperationResult = (typeof OPERATION_RESULTS)[number];

/**
 * What the gate hears after every operation it allowed: its result, so risk factors such as "this
 * user's recent failures" and "recent changes to these resources" have data. `rolled-back` is
 * reported for the earlier operation when an operation with `rollbackOf` succeeds.
 */
export interface OperationOutcomeReport {
  /** The operation this report is about. */
  readonly operationId: string;
  readonly result: OperationResult;
  /** The request the gate allowed (for `rolled-back`: the rollback operation's request). */
  readonly request: OperationRequest;
  /** Error code when `failure` or `cancelled`. */
  readonly errorCode?: string;
  /** Resources the run reported touching. */
  readonly affectedResources: readonly string[];
  /** Wall time of the run in ms. */
  readonly duration: number;
  /** Epoch ms. */
  readonly finishedAt: number;
  /** For `rolled-back`: the id of the operation that rolled it back. */
  readonly rolledBackBy?: string;
}

/**
 * Decides whether an operation may run. The executor asks it before every run (and before anyone
 * is asked to confirm) and never imports a security implementation; `@espada/infra-security`
 * implements it.
 *
 * Contract:
 * - `checkOperation` returns a {@link GateDecision} with a risk assessment and one reason per check.
 *   To say "I cannot decide" it throws or rejects (preferably a `GateFailureError` with a cause):
 *   the executor reports `GATE_FAILED`, runs nothing and keeps a pending operation. It is bounded by
 *   `commandConfig.execution.defaultTimeout` and gets an AbortSignal.
 * - On a resume the request carries `approvalId`, `approvedBy`, `confirmedBy` and `resumed: true`;
 *   the gate checks the approval itself.
 * - `recordOutcome`, when present, is called once after every operation the gate allowed and the
 *   executor ran (and once more with `rolled-back` for an operation later rolled back). It must
 *   not throw; a rejection is logged and ignored.
 */
export interface SecurityGate {
  /**
   * Decides on one operation: risk first, then (in `@espada/infra-security`) break-glass, RBAC, time
   * windows, approval. Resolves with a decision carrying the risk and one reason per check that ran;
   * rejects only when it cannot decide (the executor reports `GATE_FAILED`). `signal` aborts when the
   * caller cancels or the executor's bound (`defaultTimeout`) passes.
   */
  checkOperation(request: OperationRequest, signal?: AbortSignal): Promise<GateDecision>;
  /**
   * Hears how an operation this gate allowed ended (history for "user's recent failures" and
   * "recent changes to these resources"). Optional; must not throw (a rejection is logged and ignored).
   */
  recordOutcome?(report: OperationOutcomeReport): Promise<void> | void;
}

/**
 * A gate that allows everything with a minimal risk: for tests and trusted standalone use. The
 * validator's confirmation still holds with it (see {@link GateDecision}).
 */
export function createAllowAllGate(): SecurityGate {
  const decision: GateDecision = {
    outcome: "allowed",
    risk: { score: 0, level: "minimal", factors: [] },
    reasons: [{ check: "risk", passed: true, message: "allow-all gate: no security checks configured" }],
  };
  return { checkOperation: () => Promise.resolve(decision) };
}

/** The 21 audit event types. */
export const AUDIT_EVENT_TYPES = [
  "operation_requested",
  "operation_approved",
  "operation_rejected",
  "operation_started",
  "operation_completed",
  "operation_failed",
  "operation_rolled_back",
  "permission_granted",
  "permission_denied",
  "break_glass_activated",
  "break_glass_deactivated",
  "role_assigned",
  "role_revoked",
  "policy_changed",
  "escalation_triggered",
  "time_window_override",
  "access_denied",
  "command_executed",
  "command_failed",
  "session_started",
  "session_ended",
] as const;
/** Schema of an audit event type. */
export const auditEventTypeSchema = deferred(() => z.enum(AUDIT_EVENT_TYPES));
/** An audit event type. */
export type AuditEventType = z.infer<typeof auditEventTypeSchema>;

/** What an audit record says happened. */
export const AUDIT_OUTCOMES = [
  "allowed",
  "success",
  "failure",
  "cancelled",
  "denied",
  "pending",
  "rolled-back",
] as const;
/** What an audit record says happened. */
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** An audit record as handed to a sink (the sink adds sequence, hash chain and timestamp). */
export type AuditEventInput = {
  readonly type: AuditEventType;
  /** Who acted (the requesting user; for approvals the approver). */
  readonly actor: string;
  readonly operationId?: string;
  readonly sessionId?: string;
  readonly providerId?: string;
  readonly instanceId?: string;
  readonly commandId?: string;
  readonly environment?: Environment;
  readonly outcome?: AuditOutcome;
  readonly risk?: RiskAssessment;
  readonly reasons?: readonly GateReason[];
  /**
   * Extra detail, JSON (see `toJsonObject`); sinks redact it with `redactSecrets` (core's one
   * secret-key predicate) before storing. The executor sets `params` (redacted), `resourceIds`,
   * `mutating`, and when known `confirmedBy`, `approvedBy`, `approvalId`, `estimatedCost`; after a
   * run `attempts` and, on failure, `code`.
   */
  readonly details?: JsonObject;
};

/**
 * Where the executor and the shell send audit records. For every operation it runs the executor
 * records, with the same `operationId`:
 * - before the run: `operation_requested` with outcome `allowed` (the gate's risk and reasons). When
 *   this record rejects, a mutating operation is not run (`AUDIT_FAILED`, fail closed); a read-only
 *   one runs only when `securityConfig.audit.readOnlyWhenUnavailable` is true.
 * - after the run: `operation_completed` (outcome `success`) or `operation_failed` (outcome
 *   `failure` or `cancelled`, `details.code`).
 * Operations that do not run: `operation_rejected` (outcome `denied`) or `operation_requested`
 * (outcome `pending`, waiting for approval or confirmation).
 *
 * `record` resolves once the record is durable; it rejects when it cannot record.
 */
export interface AuditSink {
  record(event: AuditEventInput): Promise<void>;
}
