import type {
  ApprovalChain,
  AuditEventInput,
  AuditSink,
  ConfigResult,
  GateDecision,
  GateReason,
  InfraPermission,
  OperationOutcomeReport,
  OperationRequest,
  RiskAssessment,
  SecurityGate,
  SecurityPolicies,
  SecurityPoliciesInput,
  StateStore,
} from "@espada/infra-core";
import {
  cancelledError,
  ConfigValidationError,
  findStorageUnavailable,
  InfrastructureError,
  isRecord,
  securityPoliciesSchema,
  toValidationIssues,
  validateSecurityConfig,
} from "@espada/infra-core";
import { InfrastructureApprovalManager } from "./approvals.js";
import type { ApprovalRequest, ApprovalSubject } from "./approvals.js";
import { InfrastructureAuditLogger } from "./audit.js";
import { InfrastructureBreakGlassManager } from "./breakGlass.js";
import type { BreakGlassSession } from "./breakGlass.js";
import { KEYS, keyPart } from "./keys.js";
import { operationTypeOf, permissionFor } from "./operation.js";
import { InfrastructureRBACManager } from "./rbac.js";
import { RateCounters } from "./rateLimit.js";
import { VersionedStore } from "./sharedState.js";
import { ActivityTracker, InfrastructureRiskScorer, NO_SIGNALS } from "./riskScorer.js";
import type { RiskSignals } from "./riskScorer.js";
import { InfrastructureRollbackManager } from "./rollback.js";
import { InfrastructureTimeWindowManager } from "./timeWindows.js";
import type { WindowDecision } from "./timeWindows.js";

/** Options of {@link InfrastructureSecurityFacade.create}. */
export interface SecurityFacadeOptions {
  /** Where every piece of state lives (memory store in tests, the file store in a host). */
  readonly store: StateStore;
  /** `securityConfig.policies` (validated; defaults as documented). */
  readonly policies?: SecurityPoliciesInput;
  /**
   * The audit log: on by default (a tamper-evident log in `store`). `false` turns it off (benchmarks,
   * tests); `{ key, env }` passes the audit key (see {@link InfrastructureAuditLogger.open}).
   */
  readonly audit?:
    | false
    | { readonly key?: Uint8Array | string; readonly env?: Readonly<Record<string, string | undefined>> };
  /**
   * Core's `securityConfig.audit.readOnlyWhenUnavailable`: when the audit log cannot be written,
   * read-only operations still run. Mutating ones never do (fail closed). Default false.
   */
  readonly readOnlyWhenAuditUnavailable?: boolean;
  /**
   * Core's `securityConfig.audit.logAllCommands` (default true). False: read-only operations that
   * are allowed or succeed leave no audit record — neither the gate's `permission_granted` nor an
   * `allowed`/`success` record handed to {@link InfrastructureSecurityFacade.record} whose
   * `details.mutating` is false. Denials, failures, pending approvals and every mutating operation
   * are always recorded.
   */
  readonly logAllCommands?: boolean;
  readonly now?: () => number;
  /** Arm expiry and escalation timers (default true; every expiry is also checked on use). */
  readonly timers?: boolean;
  /**
   * How long (ms) state cached in memory — role assignments, break-glass sessions, window overrides,
   * the rollback plan index — is trusted before a check re-reads the shared version record and, when
   * another instance changed that state, reloads it (default 1000; 0: before every check).
   */
  readonly revalidateMs?: number;
  /** Called once per approval escalation. */
  readonly onEscalation?: (request: ApprovalRequest) => void;
  /** Problems found while opening (records adopted by the audit log…). */
  readonly onProblem?: (message: string) => void;
}

/**
 * Options of {@link InfrastructureSecurityFacade.fromConfig}: what a host adds to its `securityConfig`
 * section (the store, the audit key, clock and listeners). Policies, whether audit is on and the
 * read-only fallback come from the section.
 */
export type SecurityFacadeConfigOptions = Omit<
  SecurityFacadeOptions,
  "policies" | "audit" | "readOnlyWhenAuditUnavailable" | "logAllCommands"
> & {
  /** The audit key (see {@link InfrastructureAuditLogger.open}); absent: `ESPADA_INFRA_AUDIT_KEY`, else one kept in the store. */
  readonly auditKey?: Uint8Array | string;
  /** Environment to read `ESPADA_INFRA_AUDIT_KEY` from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
};

/** A decision made from memory, or the promise of one when a step waits for the store. */
type Decided = GateDecision | Promise<GateDecision>;

/** Options of one check. */
export interface CheckOptions {
  /** Decide without recording anything: no approval created, no counter moved, no audit record. */
  readonly whatIf?: boolean;
  /** The permission the command declares, when it declares one. */
  readonly permission?: InfraPermission;
  readonly signal?: AbortSignal;
}

const NOOP_AUDIT: AuditSink = { record: () => Promise.resolve() };

/**
 * The security facade: one `checkOperation()` over risk scoring, break-glass, RBAC (with rate
 * limits), deployment windows, approvals and confirmation — the spec's five-step flow — returning
 * core's `GateDecision` with the risk assessment and one reason per check. It is core's
 * `SecurityGate` and `AuditSink`, so the executor uses it without importing this package.
 */
export class InfrastructureSecurityFacade implements SecurityGate, AuditSink {
  readonly riskScorer: InfrastructureRiskScorer;
  readonly rbac: InfrastructureRBACManager;
  readonly approvals: InfrastructureApprovalManager;
  readonly rollback: InfrastructureRollbackManager;
  readonly timeWindows: InfrastructureTimeWindowManager;
  readonly breakGlass: InfrastructureBreakGlassManager;
  readonly activity: ActivityTracker;
  /** The audit log, or undefined when audit is off. */
  readonly auditLog: InfrastructureAuditLogger | undefined;
  private readonly store: StateStore;
  private readonly sink: AuditSink;
  private readonly now: () => number;
  private policiesValue: SecurityPolicies;
  private readonly readOnlyWhenAuditUnavailable: boolean;
  private readonly logAllCommands: boolean;
  private readonly rates: RateCounters;
  private readonly shared: VersionedStore;
  private readonly revalidateMs: number;
  /** `StateStore.shared`: rate limits are counted by the store on every operation, not written behind. */
  private readonly countOnServer: boolean;
  private knownVersion = 0;
  private validatedAt = Number.NEGATIVE_INFINITY;
  private revalidation: Promise<void> | undefined;
  private readonly rateKeys = new Map<string, Map<string, string>>();
  private readonly pendingApprovals = new Map<string, string>();

  private constructor(
    options: SecurityFacadeOptions,
    policies: SecurityPolicies,
    auditLog: InfrastructureAuditLogger | undefined,
  ) {
    const now = options.now ?? Date.now;
    const store = options.store;
    const shared = new VersionedStore(store);
    const timers = options.timers ?? true;
    this.store = store;
    this.shared = shared;
    this.revalidateMs = options.revalidateMs ?? 1000;
    this.countOnServer = store.shared === true;
    this.now = now;
    this.auditLog = auditLog;
    this.sink = auditLog ?? NOOP_AUDIT;
    this.policiesValue = policies;
    this.readOnlyWhenAuditUnavailable = options.readOnlyWhenAuditUnavailable ?? false;
    this.logAllCommands = options.logAllCommands ?? true;
    this.riskScorer = new InfrastructureRiskScorer(policies.risk);
    this.activity = new ActivityTracker(
      store,
      policies.risk.historyWindowMs,
      policies.risk.recentChangesWindowMs,
      now,
    );
    this.rbac = new InfrastructureRBACManager(policies, { store: shared, audit: this.sink, now });
    this.timeWindows = new InfrastructureTimeWindowManager(policies.timeWindows, policies.blackouts, {
      store: shared,
      audit: this.sink,
      now,
    });
    this.breakGlass = new InfrastructureBreakGlassManager(policies.breakGlass, {
      store: shared,
      rbac: this.rbac,
      audit: this.sink,
      now,
      timers,
    });
    this.approvals = new InfrastructureApprovalManager(policies.approvalChains, {
      store,
      rbac: this.rbac,
      audit: this.sink,
      now,
      timers,
      ...(options.onEscalation === undefined ? {} : { onEscalation: options.onEscalation }),
    });
    this.rollback = new InfrastructureRollbackManager({ store: shared, audit: this.sink, now });
    this.rates = new RateCounters(store, 1000);
  }

  /** The store key of a user's rate counter under a role (built once per pair; no string made per check). */
  private rateKey(userId: string, roleId: string): string {
    let byRole = this.rateKeys.get(userId);
    if (byRole === undefined) {
      if (this.rateKeys.size >= 100_000) this.rateKeys.clear();
      byRole = new Map();
      this.rateKeys.set(userId, byRole);
    }
    let key = byRole.get(roleId);
    if (key === undefined) {
      key = `${KEYS.rate}${keyPart(userId)}/${keyPart(roleId)}`;
      byRole.set(roleId, key);
    }
    return key;
  }

  /**
   * Validates the policies, opens the audit log and loads the stored state (role assignments,
   * overrides, break-glass sessions, approvals, rollback plans). Invalid policies throw
   * `ConfigValidationError` naming each path (`approvalChains[0].steps[0].role`).
   */
  static async create(options: SecurityFacadeOptions): Promise<InfrastructureSecurityFacade> {
    const parsed = parsePolicies(options.policies ?? {});
    if (!parsed.success) throw new ConfigValidationError("security policies are invalid", parsed.errors);
    const auditLog =
      options.audit === false
        ? undefined
        : await InfrastructureAuditLogger.open({
            store: options.store,
            ...(options.audit?.key === undefined ? {} : { key: options.audit.key }),
            ...(options.audit?.env === undefined ? {} : { env: options.audit.env }),
            ...(options.now === undefined ? {} : { now: options.now }),
            ...(options.onProblem === undefined ? {} : { onProblem: options.onProblem }),
          });
    const facade = new InfrastructureSecurityFacade(options, parsed.data, auditLog);
    await facade.loadShared(facade.now());
    await facade.approvals.load();
    return facade;
  }

  /**
   * Builds the facade from core's `securityConfig` section (raw or already parsed), validated by
   * core's one validator: `policies` (absent: the documented defaults), `audit.enabled` (false turns
   * the audit log off), `audit.readOnlyWhenUnavailable` and `audit.logAllCommands`. An invalid section throws
   * `ConfigValidationError` whose issues name full paths (`securityConfig.policies.roles[0].id`).
   */
  static async fromConfig(
    securityConfig: unknown,
    options: SecurityFacadeConfigOptions,
  ): Promise<InfrastructureSecurityFacade> {
    const parsed = validateSecurityConfig(securityConfig ?? {});
    if (!parsed.success) {
      const issues = parsed.errors.map((issue) => ({
        ...issue,
        path: issue.path === undefined ? "securityConfig" : `securityConfig.${issue.path}`,
      }));
      throw new ConfigValidationError("securityConfig is invalid", issues);
    }
    const config = parsed.data;
    const { auditKey, env, ...rest } = options;
    return InfrastructureSecurityFacade.create({
      ...rest,
      ...(config.policies === undefined ? {} : { policies: config.policies }),
      audit: config.audit.enabled
        ? { ...(auditKey === undefined ? {} : { key: auditKey }), ...(env === undefined ? {} : { env }) }
        : false,
      readOnlyWhenAuditUnavailable: config.audit.readOnlyWhenUnavailable ?? false,
      logAllCommands: config.audit.logAllCommands,
    });
  }

  /** Loads the cached shared state, noting the version read before it (a change during the load reloads again later). */
  private async loadShared(at: number): Promise<void> {
    const version = await this.shared.version();
    await this.rbac.load();
    await this.timeWindows.load();
    await this.breakGlass.load();
    await this.rollback.load();
    this.knownVersion = version;
    this.validatedAt = at;
  }

  /** Re-reads the shared version; reloads the cached state when another instance changed it. One at a time. */
  private revalidate(at: number): Promise<void> {
    this.revalidation ??= (async () => {
      try {
        if ((await this.shared.version()) !== this.knownVersion) await this.loadShared(at);
        else this.validatedAt = at;
      } finally {
        this.revalidation = undefined;
      }
    })();
    return this.revalidation;
  }

  /** The policies in force. */
  get policies(): SecurityPolicies {
    return this.policiesValue;
  }

  /**
   * Replaces the policies without a restart. Invalid input changes nothing and returns every problem
   * with its path; a valid one is applied and audited as `policy_changed` (naming the sections that
   * changed). When the audit cannot be written the change is not applied (fail closed) and this rejects.
   */
  async reloadPolicies(input: unknown, actor: string): Promise<ConfigResult<SecurityPolicies>> {
    const parsed = parsePolicies(input);
    if (!parsed.success) return parsed;
    const next = parsed.data;
    const changed = (Object.keys(next) as (keyof SecurityPolicies)[]).filter(
      (k) => JSON.stringify(next[k]) !== JSON.stringify(this.policiesValue[k]),
    );
    await this.sink.record({
      type: "policy_changed",
      actor,
      outcome: "success",
      details: { sections: changed },
    });
    this.policiesValue = next;
    this.riskScorer.setPolicy(next.risk);
    this.activity.setWindows(next.risk.historyWindowMs, next.risk.recentChangesWindowMs);
    this.rbac.setPolicies(next);
    this.timeWindows.setPolicies(next.timeWindows, next.blackouts);
    this.breakGlass.setPolicies(next.breakGlass);
    this.approvals.setChains(next.approvalChains);
    return parsed;
  }

  /**
   * The AuditSink door: records go to the tamper-evident log (rejects when it cannot be written).
   * With `logAllCommands` off, an `allowed`/`success` record of a read-only operation
   * (`details.mutating === false`) is not written.
   */
  record(event: AuditEventInput): Promise<void> {
    if (
      !this.logAllCommands &&
      event.details?.mutating === false &&
      (event.outcome === "allowed" || event.outcome === "success")
    )
      return Promise.resolve();
    return this.sink.record(event);
  }

  /** The permission an operation needs (declared, else from its category and command id). */
  permissionOf(
    request: Pick<OperationRequest, "commandCategory" | "commandId">,
    declared?: InfraPermission,
  ): InfraPermission {
    return permissionFor(request.commandCategory, request.commandId, declared);
  }

  /** Scores an operation's risk with its observed history, recording nothing. */
  async assessRisk(
    request: OperationRequest,
    permission: InfraPermission = this.permissionOf(request),
  ): Promise<RiskAssessment> {
    const signals = await this.activity.signals(request.userId, request.resourceIds);
    return this.assessWith(request, permission, signals);
  }

  private assessWith(
    request: OperationRequest,
    permission: InfraPermission,
    signals: RiskSignals,
    at: number = this.now(),
  ): RiskAssessment {
    const type = request.dryRun ? "read" : operationTypeOf(permission);
    const rollbackAvailable = request.rollbackAvailable || this.rollback.hasPlan(request.operationId);
    return this.riskScorer.assess(
      {
        environment: request.environment,
        operationType: type,
        resourceIds: request.resourceIds,
        rollbackAvailable,
        at,
      },
      signals,
    );
  }

  /** Decides without recording anything (no approval created, no counter moved, no audit record). */
  whatIf(request: OperationRequest, options: Omit<CheckOptions, "whatIf"> = {}): Promise<GateDecision> {
    return this.check(request, { ...options, whatIf: true });
  }

  /** SecurityGate: the spec's five-step flow. */
  checkOperation(request: OperationRequest, signal?: AbortSignal): Promise<GateDecision> {
    return this.check(request, signal === undefined ? NO_OPTIONS : { signal });
  }

  /**
   * The five-step flow with options (what-if, declared permission, estimated cost). Every step that
   * answers from memory runs synchronously; the check waits only where a step needs the store (a
   * revalidation, a user's first history read, an expired break-glass session, a rate counter's first
   * operation in its window or a shared store's count, approvals, the audit log). Each step is a
   * method that either goes on to the next one or, when it must wait, goes on once the store answered.
   */
  check(request: OperationRequest, options: CheckOptions = NO_OPTIONS): Promise<GateDecision> {
    try {
      // a decision made from memory is wrapped once; a waiting step's promise is returned as it is
      return Promise.resolve(this.begin(request, options));
    } catch (error) {
      // rejects with what a step threw, exactly as an async function would
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(error);
    }
  }

  /** Validation and revalidation of shared state, then the steps. */
  private begin(request: OperationRequest, options: CheckOptions): Decided {
    throwIfAborted(options.signal);
    const invalid = invalidRequest(request);
    if (invalid !== undefined) return this.refuseInvalid(request, invalid, options.whatIf === true);
    const at = this.now();
    // state other instances may have changed is trusted for revalidateMs (see SecurityFacadeOptions)
    if (at - this.validatedAt >= this.revalidateMs || at < this.validatedAt)
      return this.revalidate(at).then(() => this.riskStep(request, options, at));
    return this.riskStep(request, options, at);
  }

  private async refuseInvalid(
    request: OperationRequest,
    invalid: string,
    whatIf: boolean,
  ): Promise<GateDecision> {
    const decision: GateDecision = {
      outcome: "denied",
      risk: { score: 100, level: "critical", factors: [] },
      reasons: [{ check: "risk", passed: false, message: invalid }],
    };
    if (!whatIf)
      await this.sink
        .record({
          type: "access_denied",
          actor: typeof request.userId === "string" && request.userId !== "" ? request.userId : "unknown",
          outcome: "denied",
          details: { reason: invalid },
        })
        .catch(() => undefined);
    return decision;
  }

  /** 1. Risk: history counts from the cache when current, from the store otherwise. */
  private riskStep(request: OperationRequest, options: CheckOptions, at: number): Decided {
    const signals = this.activity.cachedSignals(request.userId, request.resourceIds, at);
    if (signals !== undefined) return this.breakGlassStep(request, options, at, signals);
    return this.activity
      .signals(request.userId, request.resourceIds)
      .catch(() => NO_SIGNALS)
      .then((fetched) => this.breakGlassStep(request, options, at, fetched));
  }

  /** 2. Break-glass: an active session bypasses the remaining checks (still audited). */
  private breakGlassStep(
    request: OperationRequest,
    options: CheckOptions,
    at: number,
    signals: RiskSignals,
  ): Decided {
    const permission = permissionFor(request.commandCategory, request.commandId, options.permission);
    const risk = this.assessWith(request, permission, signals, at);
    const session = this.breakGlass.peekSession(request.userId, request.environment, at);
    if (session !== "check") return this.rbacStep(request, options, at, permission, risk, session);
    return this.breakGlass
      .activeSession(request.userId, request.environment)
      .then((active) => this.rbacStep(request, options, at, permission, risk, active));
  }

  /** 3. RBAC (remembered per user until roles, rules or assignments change), then the deciding role's rate limit. */
  private rbacStep(
    request: OperationRequest,
    options: CheckOptions,
    at: number,
    permission: InfraPermission,
    risk: RiskAssessment,
    session: BreakGlassSession | undefined,
  ): Decided {
    // The executor's `mutating` is the one authority on read-only (monitor/cost categories, dry runs).
    const readOnly = !request.mutating;
    const whatIf = options.whatIf === true;
    if (session !== undefined) {
      const bypass: GateReason = {
        check: "break-glass",
        passed: true,
        message: `break-glass session ${session.id} (${session.reasonCode}) active until ${new Date(session.expiresAt).toISOString()}: remaining checks bypassed`,
      };
      return this.finish(
        { outcome: "allowed", risk, reasons: [riskReasonOf(risk), bypass] },
        request,
        permission,
        readOnly,
        whatIf,
        { breakGlassSessionId: session.id },
      );
    }
    throwIfAborted(options.signal);
    const answer = this.rbac.answer({
      userId: request.userId,
      permission,
      environment: request.environment,
      resourceIds: request.resourceIds,
      estimatedCost: request.estimatedCost?.amount,
      at,
    });
    // one array of the reasons so far (a denial needs no more room)
    const reasons: GateReason[] = [riskReasonOf(risk), NO_BREAK_GLASS, answer.reason];
    const access = answer.decision;
    if (!access.allowed)
      return this.finish(
        { outcome: "denied", risk, reasons },
        request,
        permission,
        readOnly,
        whatIf,
        DENIED_BY.rbac,
      );
    const roleId = access.decidedBy.id;
    const limit = this.rbac.rateLimitOf(roleId);
    if (limit === undefined) return this.windowStep(request, whatIf, at, permission, readOnly, risk, reasons);
    const key = this.rateKey(request.userId, roleId);
    let count: number | undefined;
    if (whatIf) count = this.rates.peek(key, at) ?? 1;
    else if (!this.countOnServer) count = this.rates.hit(key, at);
    if (count === undefined) {
      // A store shared by several instances counts every operation on the server: the limit holds across them exactly.
      const counted = this.countOnServer
        ? this.rates.hitOnServer(key, limit.windowMs, at)
        : this.rates.hitAsync(key, limit.windowMs, at);
      return counted.then((n) =>
        this.rateStep(request, whatIf, at, permission, readOnly, risk, reasons, limit, roleId, n),
      );
    }
    return this.rateStep(request, whatIf, at, permission, readOnly, risk, reasons, limit, roleId, count);
  }

  /** The rate-limit verdict of the deciding role. */
  private rateStep(
    request: OperationRequest,
    whatIf: boolean,
    at: number,
    permission: InfraPermission,
    readOnly: boolean,
    risk: RiskAssessment,
    reasons: GateReason[],
    limit: { readonly maxOperations: number; readonly windowMs: number },
    roleId: string,
    count: number,
  ): Decided {
    const passed = count <= limit.maxOperations;
    reasons.push({ check: "rate-limit", passed, message: `${count}${rateSuffix(limit, roleId)}` });
    if (!passed)
      return this.finish(
        { outcome: "denied", risk, reasons },
        request,
        permission,
        readOnly,
        whatIf,
        DENIED_BY["rate-limit"],
      );
    return this.windowStep(request, whatIf, at, permission, readOnly, risk, reasons);
  }

  /** 4. Deployment windows, then 5. approval. */
  private windowStep(
    request: OperationRequest,
    whatIf: boolean,
    at: number,
    permission: InfraPermission,
    readOnly: boolean,
    risk: RiskAssessment,
    reasons: GateReason[],
  ): Decided {
    const window = this.timeWindows.check(request.environment, risk.level, at);
    reasons.push(windowReasonOf(window));
    if (!window.allowed)
      return this.finish(
        { outcome: "denied", risk, reasons },
        request,
        permission,
        readOnly,
        whatIf,
        DENIED_BY["time-window"],
      );
    const chain = this.approvals.chainFor(risk.level, request.environment);
    if (chain === undefined) {
      reasons.push(this.approvals.noChainReason(risk.level, request.environment));
      return this.confirmationStep(request, whatIf, permission, readOnly, risk, reasons);
    }
    const subject: ApprovalSubject = {
      operationId: request.operationId,
      commandId: request.commandId,
      providerId: request.providerId,
      requester: request.userId,
      environment: request.environment,
      riskLevel: risk.level,
      riskScore: risk.score,
      params: request.params,
    };
    if (request.approvalId !== undefined)
      return this.approvedStep(
        request,
        request.approvalId,
        whatIf,
        permission,
        readOnly,
        risk,
        reasons,
        chain,
        subject,
        window,
      );
    const steps = stepsLabel(chain);
    if (whatIf) {
      reasons.push({
        check: "approval",
        passed: false,
        message: `chain "${chain.id}" would require approval: ${steps}`,
      });
      return { outcome: "needs-approval", approvalId: `what-if:${chain.id}`, risk, reasons };
    }
    const pending = this.approvals.pendingFor(chain, subject, at);
    if (pending !== undefined)
      return this.needsApproval(request, permission, readOnly, risk, reasons, chain, steps, pending, true);
    return this.approvals
      .requestFor(chain, subject)
      .then(({ request: created, reused }) =>
        this.needsApproval(request, permission, readOnly, risk, reasons, chain, steps, created, reused),
      );
  }

  /** The operation waits for an approval request (new or already pending). */
  private needsApproval(
    request: OperationRequest,
    permission: InfraPermission,
    readOnly: boolean,
    risk: RiskAssessment,
    reasons: GateReason[],
    chain: ApprovalChain,
    steps: string,
    created: ApprovalRequest,
    reused: boolean,
  ): Decided {
    reasons.push({
      check: "approval",
      passed: false,
      message: `requires approval under chain "${chain.id}": ${steps} (approval ${created.id}${reused ? ", already pending" : ""})`,
    });
    const decision: GateDecision = { outcome: "needs-approval", approvalId: created.id, risk, reasons };
    if (this.auditLog === undefined) return decision;
    return this.audited(
      decision,
      request,
      permission,
      readOnly,
      reused
        ? { approvalId: created.id, chainId: chain.id, reused: true }
        : { approvalId: created.id, chainId: chain.id },
      "operation_requested",
      "pending",
    );
  }

  /** 5. An operation carrying an approval id: usable, still pending, or refused. */
  private async approvedStep(
    request: OperationRequest,
    approvalId: string,
    whatIf: boolean,
    permission: InfraPermission,
    readOnly: boolean,
    risk: RiskAssessment,
    reasons: GateReason[],
    chain: ApprovalChain,
    subject: ApprovalSubject,
    window: WindowDecision,
  ): Promise<GateDecision> {
    const usable = await this.approvals.usable(approvalId, subject, {
      rollbackPlan: request.rollbackAvailable || this.rollback.hasPlan(request.operationId),
      windowOpen: window.basis === "window" || window.basis === "no-window",
    });
    if (usable.state === "refused") {
      reasons.push({ check: "approval", passed: false, message: usable.reason });
      return this.finish(
        { outcome: "denied", risk, reasons },
        request,
        permission,
        readOnly,
        whatIf,
        DENIED_BY.approval,
      );
    }
    if (usable.state === "pending") {
      reasons.push({ check: "approval", passed: false, message: usable.reason });
      return { outcome: "needs-approval", approvalId: approvalId, risk, reasons };
    }
    reasons.push({
      check: "approval",
      passed: true,
      message: `approved under chain "${chain.id}" (${approvalId})`,
    });
    if (!whatIf) this.pendingApprovals.set(request.operationId, approvalId);
    return this.confirmationStep(request, whatIf, permission, readOnly, risk, reasons);
  }

  /** Confirmation: what the validator requires, and risky operations nobody approved, need an explicit yes. */
  private confirmationStep(
    request: OperationRequest,
    whatIf: boolean,
    permission: InfraPermission,
    readOnly: boolean,
    risk: RiskAssessment,
    reasons: GateReason[],
  ): Decided {
    let why: readonly string[] = request.confirmationReasons;
    if (
      request.approvalId === undefined &&
      !readOnly &&
      InfrastructureApprovalManager.atLeast(risk.level, this.policiesValue.confirmAtRiskLevel)
    ) {
      why = why.length === 0 ? riskWhy(risk) : [...why, `${risk.level} risk (${risk.score}/100)`];
    }
    if (request.confirmationRequired || why.length > 0) {
      if (!request.confirmed) {
        reasons.push({
          check: "confirmation",
          passed: false,
          message: `explicit confirmation required: ${why.join("; ") || "the command requires it"}`,
        });
        return { outcome: "needs-confirmation", risk, reasons };
      }
      reasons.push(
        request.confirmedBy === undefined
          ? CONFIRMED
          : { check: "confirmation", passed: true, message: `confirmed by "${request.confirmedBy}"` },
      );
    }
    return this.finish(
      { outcome: "allowed", risk, reasons },
      request,
      permission,
      readOnly,
      whatIf,
      NO_DETAILS,
    );
  }

  /** Audits a final decision (nothing to wait for when audit is off or in what-if mode). */
  private finish(
    decision: GateDecision,
    request: OperationRequest,
    permission: InfraPermission,
    readOnly: boolean,
    whatIf: boolean,
    details: Record<string, unknown>,
  ): GateDecision | Promise<GateDecision> {
    if (whatIf || this.auditLog === undefined) return decision;
    if (decision.outcome === "allowed") {
      if (readOnly && !this.logAllCommands) return decision; // securityConfig.audit.logAllCommands: false
      return this.audited(decision, request, permission, readOnly, details, "permission_granted", "success");
    }
    const type = details.deniedBy === "rbac" ? "permission_denied" : "access_denied";
    return this.auditLog
      .recordDecision({ type, outcome: "denied", request, decision, permission, details })
      .then(
        () => decision,
        (error: unknown) => {
          // the shared state store is down: the check rejects with that one reason (see `audited`)
          if (findStorageUnavailable(error) !== undefined) throw error;
          return decision;
        },
      );
  }

  /** Records the decision; when the audit cannot be written, a mutating operation is denied (fail closed). */
  private async audited(
    decision: GateDecision,
    request: OperationRequest,
    permission: InfraPermission,
    readOnly: boolean,
    details: Record<string, unknown>,
    type: AuditEventInput["type"],
    outcome: AuditEventInput["outcome"] & string,
  ): Promise<GateDecision> {
    if (this.auditLog === undefined) return decision;
    try {
      await this.auditLog.recordDecision({ type, outcome, request, decision, permission, details });
      return decision;
    } catch (error) {
      if (readOnly && this.readOnlyWhenAuditUnavailable && decision.outcome === "allowed") return decision;
      // The shared state store is down: reject with its STORAGE_UNAVAILABLE (as a rate-limit count or
      // a shared-state read does when they meet it first), so the caller reports one reason, not one
      // that depends on which step reached the store first.
      if (findStorageUnavailable(error) !== undefined) throw error;
      const message = `audit log unavailable (${error instanceof Error ? error.message : String(error)}): ${readOnly ? "read-only operations are denied by policy" : "mutating operations are denied"}`;
      return {
        outcome: "denied",
        risk: decision.risk,
        reasons: [...decision.reasons, { check: "risk", passed: false, message }],
      };
    }
  }

  /**
   * SecurityGate: hears how an allowed operation ended, so the user-history and recent-changes
   * factors have data; a used approval is consumed. A cancelled operation counts for neither.
   */
  async recordOutcome(report: OperationOutcomeReport): Promise<void> {
    const request = report.request;
    if (report.result !== "cancelled") {
      const resources = [...new Set([...request.resourceIds, ...report.affectedResources])];
      await this.activity.record(
        request.userId,
        resources,
        report.result === "success" ? "success" : report.result === "failure" ? "failure" : "rolled-back",
        request.mutating,
      );
    }
    await this.consumeApproval(
      report.operationId,
      request.approvalId ?? this.pendingApprovals.get(report.operationId),
    );
  }

  /** Shorthand of {@link recordOutcome} for callers without a full report. */
  async reportOutcome(report: {
    operationId: string;
    userId: string;
    resourceIds: readonly string[];
    outcome: "success" | "failure" | "rolled-back";
    mutating: boolean;
  }): Promise<void> {
    await this.activity.record(report.userId, report.resourceIds, report.outcome, report.mutating);
    await this.consumeApproval(report.operationId);
  }

  private async consumeApproval(
    operationId: string,
    approvalId = this.pendingApprovals.get(operationId),
  ): Promise<void> {
    this.pendingApprovals.delete(operationId);
    if (approvalId !== undefined) await this.approvals.consume(approvalId);
  }

  /**
   * Opens the deployment windows of an environment for an emergency; needs `infra:admin` or
   * `infra:break-glass` there. Audited as `time_window_override`.
   */
  async overrideTimeWindows(
    userId: string,
    environment: string,
    reason: string,
    durationMs: number,
  ): Promise<void> {
    const admin = this.rbac.check({ userId, permission: "infra:admin", environment });
    const breakGlass = this.rbac.check({ userId, permission: "infra:break-glass", environment });
    if (!admin.allowed && !breakGlass.allowed) {
      await this.sink.record({
        type: "access_denied",
        actor: userId,
        environment,
        outcome: "denied",
        details: { action: "time-window-override", reason: admin.reason },
      });
      throw new InfrastructureError(
        "SECURITY_DENIED",
        `"${userId}" may not override deployment windows in ${environment}: ${admin.reason}`,
        { field: "userId" },
      );
    }
    await this.timeWindows.override(userId, environment, reason, durationMs);
  }

  /** Clears timers and flushes the audit log. Does not close the store (its owner does). */
  async close(): Promise<void> {
    this.breakGlass.close();
    this.approvals.close();
    await this.rates.flush();
    await this.auditLog?.close();
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw cancelledError(signal, "security check");
}

function parsePolicies(input: unknown): ConfigResult<SecurityPolicies> {
  try {
    const parsed = securityPoliciesSchema.safeParse(input, { reportInput: true });
    if (parsed.success) return { success: true, data: parsed.data };
    return { success: false, errors: toValidationIssues(parsed.error.issues) };
  } catch (error) {
    return {
      success: false,
      errors: [
        {
          code: "UNREADABLE",
          message: `policies could not be read: ${error instanceof Error ? error.message : String(error)}`,
        },
      ],
    };
  }
}

function invalidRequest(request: OperationRequest): string | undefined {
  if (!isRecord(request)) return "request: must be an object";
  if (typeof request.operationId !== "string" || request.operationId === "")
    return "request.operationId: must be a non-empty string";
  if (typeof request.commandId !== "string" || request.commandId === "")
    return "request.commandId: must be a non-empty string";
  if (typeof request.providerId !== "string" || request.providerId === "")
    return "request.providerId: must be a non-empty string";
  if (typeof request.userId !== "string" || request.userId === "")
    return "request.userId: must be a non-empty string";
  if (typeof request.environment !== "string" || request.environment === "")
    return "request.environment: must be a non-empty string";
  const ids: unknown = request.resourceIds;
  if (!Array.isArray(ids)) return "request.resourceIds: must be an array of strings";
  for (let i = 0; i < ids.length; i++)
    if (typeof ids[i] !== "string") return "request.resourceIds: must be an array of strings";
  if (!isRecord(request.params)) return "request.params: must be an object";
  return undefined;
}

const stepLabels = new WeakMap<ApprovalChain, string>();

/** `2 × admin, then 1 × sre` (kept per chain object: chains are replaced, not changed, on a reload). */
function stepsLabel(chain: ApprovalChain): string {
  let label = stepLabels.get(chain);
  if (label === undefined) {
    label = chain.steps.map((s) => `${s.approvers} × ${s.role}`).join(", then ");
    stepLabels.set(chain, label);
  }
  return label;
}

const rateSuffixes = new WeakMap<object, Map<string, string>>();

/** ` of 10 operations in 60000 ms for role "sre"` (kept per limit object and role: limits are replaced, not changed, on a reload). */
function rateSuffix(
  limit: { readonly maxOperations: number; readonly windowMs: number },
  roleId: string,
): string {
  let byRole = rateSuffixes.get(limit);
  if (byRole === undefined) {
    byRole = new Map();
    rateSuffixes.set(limit, byRole);
  }
  let suffix = byRole.get(roleId);
  if (suffix === undefined) {
    suffix = ` of ${limit.maxOperations} operations in ${limit.windowMs} ms for role "${roleId}"`;
    byRole.set(roleId, suffix);
  }
  return suffix;
}

const riskWhys = new WeakMap<RiskAssessment, readonly string[]>();

/** `["high risk (64/100)"]`, kept per assessment (the scorer shares frozen ones). */
function riskWhy(risk: RiskAssessment): readonly string[] {
  let why = riskWhys.get(risk);
  if (why === undefined) {
    why = Object.freeze([`${risk.level} risk (${risk.score}/100)`]);
    riskWhys.set(risk, why);
  }
  return why;
}

const riskReasons = new WeakMap<RiskAssessment, GateReason>();

/** The risk reason of an assessment (kept per assessment: the scorer hands out the same frozen one for the same inputs). */
function riskReasonOf(risk: RiskAssessment): GateReason {
  let reason = riskReasons.get(risk);
  if (reason === undefined) {
    reason = Object.freeze({ check: "risk", passed: true, message: riskMessage(risk) });
    riskReasons.set(risk, reason);
  }
  return reason;
}

/** Shared reasons of frozen window answers (the window manager hands out the same frozen one per window). */
const WINDOW_REASONS = new WeakMap<object, GateReason>();

/**
 * The reason of a window answer: one frozen reason per frozen answer (so the audit writer reuses its
 * text), a new one for an answer made for this check alone.
 */
function windowReasonOf(answer: WindowDecision): GateReason {
  const known = WINDOW_REASONS.get(answer);
  if (known !== undefined) return known;
  const reason: GateReason = { check: "time-window", passed: answer.allowed, message: answer.reason };
  if (!Object.isFrozen(answer)) return reason;
  WINDOW_REASONS.set(answer, Object.freeze(reason));
  return reason;
}

function riskMessage(risk: RiskAssessment): string {
  // the three largest contributions, largest first (ties keep factor order), without sorting a copy
  let first: RiskAssessment["factors"][number] | undefined;
  let second: RiskAssessment["factors"][number] | undefined;
  let third: RiskAssessment["factors"][number] | undefined;
  for (const f of risk.factors) {
    if (first === undefined || f.contribution > first.contribution) {
      third = second;
      second = first;
      first = f;
    } else if (second === undefined || f.contribution > second.contribution) {
      third = second;
      second = f;
    } else if (third === undefined || f.contribution > third.contribution) third = f;
  }
  let top = first?.description ?? "";
  if (second !== undefined) top += `, ${second.description}`;
  if (third !== undefined) top += `, ${third.description}`;
  return `risk ${risk.score}/100 (${risk.level}): ${top}`;
}

const NO_OPTIONS: CheckOptions = Object.freeze({});
const NO_DETAILS: Record<string, unknown> = Object.freeze({});
const DENIED_BY: Readonly<
  Record<"rbac" | "rate-limit" | "time-window" | "approval", Record<string, unknown>>
> = {
  rbac: Object.freeze({ deniedBy: "rbac" }),
  "rate-limit": Object.freeze({ deniedBy: "rate-limit" }),
  "time-window": Object.freeze({ deniedBy: "time-window" }),
  approval: Object.freeze({ deniedBy: "approval" }),
};

const CONFIRMED: GateReason = Object.freeze({ check: "confirmation", passed: true, message: "confirmed" });

const NO_BREAK_GLASS: GateReason = Object.freeze({
  check: "break-glass",
  passed: true,
  message: "no active break-glass session",
});
