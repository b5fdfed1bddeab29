import type {
  AuditEventInput,
  AuditSink,
  GateDecision,
  OperationOutcomeReport,
  OperationRequest,
  RiskAssessment,
  SecurityGate,
} from "@espada/infra-core";

const RISK: RiskAssessment = {
  score: 55,
  level: "medium",
  factors: [{ name: "environment", weight: 1, value: 55, contribution: 55, description: "production" }],
};

/**
 * A small security gate for tests: every command listed in `confirm` needs confirmation until the
 * request is confirmed; every command in `approve` needs approval (id `approval-<operationId>`) until
 * that approval id has been granted; every command in `deny` is denied.
 */
export class ScriptedGate implements SecurityGate {
  readonly requests: OperationRequest[] = [];
  /** Every outcome report the executor sent back. */
  readonly outcomes: OperationOutcomeReport[] = [];
  /** When set, `checkOperation` rejects with it (the gate's store is down). */
  failure: Error | undefined;
  readonly #granted = new Set<string>();
  readonly #rules: {
    readonly confirm: readonly string[];
    readonly approve: readonly string[];
    readonly deny: readonly string[];
  };

  constructor(rules: { confirm?: readonly string[]; approve?: readonly string[]; deny?: readonly string[] }) {
    this.#rules = { confirm: rules.confirm ?? [], approve: rules.approve ?? [], deny: rules.deny ?? [] };
  }

  /** Grants an approval id (what an approver does in the security package). */
  grant(approvalId: string): void {
    this.#granted.add(approvalId);
  }

  checkOperation(request: OperationRequest): Promise<GateDecision> {
    this.requests.push(request);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return Promise.resolve(this.#decide(request));
  }

  recordOutcome(report: OperationOutcomeReport): void {
    this.outcomes.push(report);
  }

  #decide(request: OperationRequest): GateDecision {
    const id = request.commandId;
    if (this.#rules.deny.includes(id)) {
      return {
        outcome: "denied",
        risk: RISK,
        reasons: [{ check: "rbac", passed: false, message: `user ${request.userId} may not run ${id}` }],
      };
    }
    if (this.#rules.approve.includes(id)) {
      const granted = request.approvalId !== undefined && this.#granted.has(request.approvalId);
      if (!granted) {
        return {
          outcome: "needs-approval",
          approvalId: request.approvalId ?? `approval-${request.operationId}`,
          risk: RISK,
          reasons: [{ check: "approval", passed: false, message: "an operator must approve" }],
        };
      }
    }
    if (this.#rules.confirm.includes(id) && !request.confirmed) {
      return {
        outcome: "needs-confirmation",
        risk: RISK,
        reasons: [{ check: "confirmation", passed: false, message: "please confirm" }],
      };
    }
    return {
      outcome: "allowed",
      risk: RISK,
      reasons: [{ check: "risk", passed: true, message: "acceptable risk" }],
    };
  }
}

/** An {@link AuditSink} that keeps every record in memory. */
export class RecordingAuditSink implements AuditSink {
  readonly records: AuditEventInput[] = [];
  /** When true, `record` rejects (the audit disk is full). */
  failing = false;

  record(event: AuditEventInput): Promise<void> {
    if (this.failing) return Promise.reject(new Error("audit log: disk full"));
    this.records.push(event);
    return Promise.resolve();
  }
}
