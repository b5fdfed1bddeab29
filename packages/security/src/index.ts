/**
 * @espada/infra-security — the security facade of the Espada infrastructure framework: risk scoring,
 * RBAC, approval chains, a tamper-evident audit log, rollback plans, deployment windows and
 * break-glass access, behind core's `SecurityGate` and `AuditSink`.
 * @packageDocumentation
 */
export { InfrastructureRiskScorer, ActivityTracker, NO_SIGNALS, isReadOnlyOperation } from "./riskScorer.js";
export type { RiskInput, RiskSignals } from "./riskScorer.js";
export { InfrastructureRBACManager, parsePermission } from "./rbac.js";
export type {
  AccessQuery,
  AccessDecision,
  StoredAssignment,
  RbacPolicies,
  RbacOptions,
  RoleChangeResult,
} from "./rbac.js";
export { InfrastructureAuditLogger, AUDIT_KEY_ENV, GENESIS_HASH, decisionEvent } from "./audit.js";
export type {
  AuditRecord,
  AuditVerification,
  AuditQuery,
  AuditLoggerOptions,
  DecisionRecordInput,
} from "./audit.js";
export { HMAC_PREFIX, protectSecrets } from "./secrets.js";
export { InfrastructureTimeWindowManager } from "./timeWindows.js";
export type { WindowDecision, WindowOverride, TimeWindowOptions } from "./timeWindows.js";
export { InfrastructureBreakGlassManager } from "./breakGlass.js";
export type {
  BreakGlassSession,
  BreakGlassRequest,
  BreakGlassResult,
  BreakGlassOptions,
} from "./breakGlass.js";
export { InfrastructureApprovalManager, APPROVAL_STATUSES, paramsFingerprint } from "./approvals.js";
export type {
  ApprovalStatus,
  ApprovalRequest,
  ApprovalSubject,
  ApprovalActionResult,
  ApprovalUsability,
  ApprovalOptions,
} from "./approvals.js";
export {
  InfrastructureRollbackManager,
  ROLLBACK_STATUSES,
  rollbackStepInputSchema,
  rollbackPlanInputSchema,
} from "./rollback.js";
export type {
  RollbackStatus,
  RollbackStepInput,
  RollbackPlanInput,
  RollbackPlan,
  RollbackStep,
  RollbackSubject,
  RollbackOptions,
} from "./rollback.js";
export { compileSchedule, isScheduleOpen, localTime } from "./time.js";
export type { CompiledSchedule, LocalTime } from "./time.js";
export { InfrastructureSecurityFacade } from "./facade.js";
export type { SecurityFacadeOptions, SecurityFacadeConfigOptions, CheckOptions } from "./facade.js";
export { permissionFor, operationTypeOf } from "./operation.js";
