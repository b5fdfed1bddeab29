import { z } from "zod";
import type { CommandCategory, Environment } from "./taxonomy.js";

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
export interface RiskFactor {
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
}

/** A risk assessment: score, level and the factors behind it. */
export interface RiskAssessment {
  /** 0–100. */
  readonly score: number;
  readonly level: RiskLevel;
  readonly factors: readonly RiskFactor[];
}

/** The checks of the security flow, in order. */
export const SECURITY_CHECKS = ["risk", "break-glass", "rbac", "time-window", "approval", "confirmation", "rate-limit"] as const;
/** A security check name. */
export type SecurityCheck = (typeof SECURITY_CHECKS)[number];

/** The verdict of one check, with its reason. */
export interface GateReason {
  readonly check: SecurityCheck;
  readonly passed: boolean;
  readonly message: string;
}

/** An operation presented to the security gate. */
export interface OperationRequest {
  /** Unique id of the operation (the execution id). */
  readonly operationId: string;
  readonly commandId: string;
  readonly commandCategory: CommandCategory;
  readonly providerId: string;
  readonly instanceId?: string;
  readonly userId: string;
  readonly sessionId?: string;
  readonly environment: Environment;
  /** Parameters with sensitive values already redacted. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Resource ids the operation targets. */
  readonly resourceIds: readonly string[];
  readonly dangerous: boolean;
  readonly dryRun: boolean;
  readonly rollbackAvailable: boolean;
  /** Approval id from an earlier `needs-approval` decision, when resuming. */
  readonly approvalId?: string;
  /** The caller confirmed the operation explicitly. */
  readonly confirmed: boolean;
}

/** Fields every gate decision carries. */
interface GateDecisionBase {
  readonly risk: RiskAssessment;
  /** One reason from each check that ran. */
  readonly reasons: readonly GateReason[];
}

/** The gate's answer: allowed, needs approval, needs confirmation, or denied. */
export type GateDecision =
  | (GateDecisionBase & { readonly outcome: "allowed" })
  | (GateDecisionBase & { readonly outcome: "needs-approval"; readonly approvalId: string })
  | (GateDecisionBase & { readonly outcome: "needs-confirmation" })
  | (GateDecisionBase & { readonly outcome: "denied" });

/** The outcome names of a {@link GateDecision}. */
export type GateOutcome = GateDecision["outcome"];

/**
 * Decides whether an operation may run. The executor asks it before every run and never imports
 * a security implementation; `@espada/infra-security` implements it.
 */
export interface SecurityGate {
  checkOperation(request: OperationRequest, signal?: AbortSignal): Promise<GateDecision>;
}

/** A gate that allows everything with a minimal risk: for tests and trusted standalone use. */
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
export const auditEventTypeSchema = z.enum(AUDIT_EVENT_TYPES);
/** An audit event type. */
export type AuditEventType = z.infer<typeof auditEventTypeSchema>;

/** An audit record as handed to a sink (the sink adds sequence, hash chain and timestamp). */
export interface AuditEventInput {
  readonly type: AuditEventType;
  readonly actor: string;
  readonly operationId?: string;
  readonly sessionId?: string;
  readonly providerId?: string;
  readonly commandId?: string;
  readonly environment?: Environment;
  readonly outcome?: "success" | "failure" | "denied" | "pending";
  readonly risk?: RiskAssessment;
  readonly reasons?: readonly GateReason[];
  /** Extra detail; sinks redact it with `redactSecrets` (core's one secret-key predicate) before storing. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Where the executor and the shell send audit records. */
export interface AuditSink {
  record(event: AuditEventInput): Promise<void>;
}
