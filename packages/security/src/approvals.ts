import { hash, randomUUID } from "node:crypto";
import { z } from "zod";
import type {
  ApprovalChain,
  ApprovalCondition,
  AuditSink,
  CompareAndSetResult,
  GateReason,
  RiskLevel,
  StateStore,
  StoredRecord,
} from "@espada/infra-core";
import {
  APPROVAL_CONDITIONS,
  clampTimerDelay,
  InfrastructureError,
  isRecord,
  RISK_LEVELS,
} from "@espada/infra-core";
import { asJson, KEYS } from "./keys.js";
import type { InfrastructureRBACManager } from "./rbac.js";

/** Status of an approval request. */
export const APPROVAL_STATUSES = ["pending", "approved", "rejected", "expired", "consumed"] as const;
/** An approval status. */
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

const approvalSchema = z.object({
  id: z.string(),
  chainId: z.string(),
  status: z.enum(APPROVAL_STATUSES),
  requester: z.string(),
  environment: z.string(),
  riskLevel: z.enum(RISK_LEVELS),
  riskScore: z.number(),
  operation: z.object({
    operationId: z.string(),
    commandId: z.string(),
    providerId: z.string(),
    params: z.record(z.string(), z.unknown()),
    paramsHash: z.string(),
  }),
  steps: z.array(
    z.object({
      role: z.string(),
      required: z.number().int().positive(),
      approvals: z.array(z.object({ userId: z.string(), at: z.number(), comment: z.string().optional() })),
    }),
  ),
  currentStep: z.number().int().nonnegative(),
  conditions: z.array(z.enum(APPROVAL_CONDITIONS)),
  monitoringConfirmedBy: z.string().optional(),
  parameterOverrides: z.record(z.string(), z.unknown()).optional(),
  escalation: z.object({ afterMs: z.number(), toRole: z.string() }).optional(),
  escalatedAt: z.number().optional(),
  createdAt: z.number(),
  expiresAt: z.number(),
  decidedAt: z.number().optional(),
  decidedBy: z.string().optional(),
  reason: z.string().optional(),
});
/** An approval request as stored. */
export type ApprovalRequest = z.infer<typeof approvalSchema>;

/** The operation an approval is for. */
export interface ApprovalSubject {
  readonly operationId: string;
  readonly commandId: string;
  readonly providerId: string;
  readonly requester: string;
  readonly environment: string;
  readonly riskLevel: RiskLevel;
  readonly riskScore: number;
  /** Parameters as the gate saw them (sensitive ones redacted); the approval binds them. */
  readonly params: Readonly<Record<string, unknown>>;
}

/** The result of approve / reject / confirm: the request after the change, or why it was refused. */
export type ApprovalActionResult =
  | { readonly ok: true; readonly request: ApprovalRequest; readonly counted: boolean }
  | {
      readonly ok: false;
      readonly code: "NOT_FOUND" | "SECURITY_DENIED" | "CONFLICT" | "INVALID_ARGUMENT";
      readonly reason: string;
    };

/** Whether an approval lets its operation run now. */
export type ApprovalUsability =
  | { readonly state: "approved"; readonly request: ApprovalRequest }
  | { readonly state: "pending"; readonly request: ApprovalRequest; readonly reason: string }
  | { readonly state: "refused"; readonly reason: string };

/** Options of {@link InfrastructureApprovalManager}. */
export interface ApprovalOptions {
  readonly store: StateStore;
  readonly rbac: InfrastructureRBACManager;
  readonly audit: AuditSink;
  readonly now?: () => number;
  /** Arm escalation and expiry timers (default true; both are also checked on every access). */
  readonly timers?: boolean;
  /** Called once per escalation (after it is recorded), e.g. to notify the escalation role. */
  readonly onEscalation?: (request: ApprovalRequest) => void;
  /** How long decided requests stay readable (default 30 days). */
  readonly retentionMs?: number;
}

/** Stable hash of parameters, so an approval cannot be reused for other values. */
export function paramsFingerprint(params: Readonly<Record<string, unknown>>): string {
  const text = stableStringify(params);
  if (text.length > 1024) return hash("sha256", text);
  let fingerprint = fingerprints.get(text);
  if (fingerprint === undefined) {
    fingerprint = hash("sha256", text);
    if (fingerprints.size >= 4096) fingerprints.clear();
    fingerprints.set(text, fingerprint);
  }
  return fingerprint;
}

/** The hash is a pure function of the text: a bounded memo spares it for repeated parameters. */
const fingerprints = new Map<string, string>();

function stableStringify(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`).join(",")}}`;
}

const RISK_ORDER: Readonly<Record<RiskLevel, number>> = {
  minimal: 0,
  low: 1,
  medium: 2,
  high: 3,
  critical: 4,
};

/**
 * Multi-step approvals. A chain is chosen by risk level and environment (an environment-specific
 * chain before a general one, then configuration order); each step needs N distinct approvers who
 * hold the step's role and `infra:approve` in the environment. The requester never approves their
 * own request and nobody counts twice in one request. Each decision is written with compare-and-set,
 * so racing approvals are each counted once. A step waiting longer than its escalation delay is
 * escalated exactly once (holders of the escalation role may then approve it); pending requests
 * expire. Requests live in the state store and survive restarts.
 */
export class InfrastructureApprovalManager {
  private readonly store: StateStore;
  private readonly rbac: InfrastructureRBACManager;
  private readonly audit: AuditSink;
  private readonly now: () => number;
  private readonly timersEnabled: boolean;
  private readonly onEscalation: ((request: ApprovalRequest) => void) | undefined;
  private readonly retentionMs: number;
  private chains: readonly ApprovalChain[] = [];
  /** Per environment, per risk level (by rank): the governing chain, if any, and the reason when none. */
  private chainMemo = new Map<
    string,
    ({ readonly chain: ApprovalChain | undefined; readonly none: GateReason } | undefined)[]
  >();
  private readonly timers = new Map<string, NodeJS.Timeout[]>();
  /**
   * Requests created (by any instance) whose record was not written yet: a new request is only
   * appended to the group-committed request log; its record is written by the first change
   * (approval, rejection, expiry…) with compare-and-set from version 0, so exactly one writer creates it.
   */
  private readonly created = new Map<string, ApprovalRequest>();
  /** Next position of the request log to read. */
  private cursor = 0;
  private tailing: Promise<void> | undefined;
  /** Longest `expiresAfterMs` of any chain configured here: log entries older than it plus the retention are trimmed. */
  private longestExpiryMs = 0;
  /** This instance's pending request per operation id, so re-checking a waiting operation reuses it. */
  private readonly pendingByOperation = new Map<string, string>();
  private createdSinceTrim = 0;

  constructor(chains: readonly ApprovalChain[], options: ApprovalOptions) {
    this.store = options.store;
    this.rbac = options.rbac;
    this.audit = options.audit;
    this.now = options.now ?? Date.now;
    this.timersEnabled = options.timers ?? true;
    this.onEscalation = options.onEscalation;
    this.retentionMs = options.retentionMs ?? 30 * 86_400_000;
    this.setChains(chains);
  }

  /** Replaces the chains (a configuration reload); requests already made keep their steps. */
  setChains(chains: readonly ApprovalChain[]): void {
    const specific = chains.filter((c) => c.environments !== undefined);
    const general = chains.filter((c) => c.environments === undefined);
    this.chains = [...specific, ...general];
    this.chainMemo = new Map();
    for (const c of chains) this.longestExpiryMs = Math.max(this.longestExpiryMs, c.expiresAfterMs);
  }

  /** The chain governing an operation at this risk level in this environment, if any (memoised per pair until a reload). */
  chainFor(riskLevel: RiskLevel, environment: string): ApprovalChain | undefined {
    return this.chainEntry(riskLevel, environment).chain;
  }

  /** The passing `approval` reason of an operation no chain governs (built once per pair until a reload). */
  noChainReason(riskLevel: RiskLevel, environment: string): GateReason {
    return this.chainEntry(riskLevel, environment).none;
  }

  private chainEntry(
    riskLevel: RiskLevel,
    environment: string,
  ): { readonly chain: ApprovalChain | undefined; readonly none: GateReason } {
    let byLevel = this.chainMemo.get(environment);
    if (byLevel === undefined) {
      if (this.chainMemo.size >= 1024) this.chainMemo.clear();
      byLevel = [];
      this.chainMemo.set(environment, byLevel);
    }
    const rank = RISK_ORDER[riskLevel];
    let found = byLevel[rank];
    if (found === undefined) {
      found = {
        chain: this.chains.find(
          (c) =>
            c.riskLevels.includes(riskLevel) &&
            (c.environments === undefined || c.environments.includes(environment)),
        ),
        none: Object.freeze({
          check: "approval",
          passed: true,
          message: `no approval chain for ${riskLevel} risk in ${environment}`,
        }),
      };
      byLevel[rank] = found;
    }
    return found;
  }

  /** Re-arms escalation and expiry timers of pending requests after a restart. */
  async load(): Promise<void> {
    const written = new Set<string>();
    for (const record of await this.store.list(KEYS.approvals)) {
      const parsed = approvalSchema.safeParse(record.value);
      written.add(record.key.slice(KEYS.approvals.length));
      if (parsed.success && parsed.data.status === "pending") this.arm(parsed.data);
    }
    await this.tail();
    for (const [id, request] of this.created) {
      if (written.has(id)) this.created.delete(id);
      else this.arm(request);
    }
  }

  /** Reads the request log from the cursor: requests created since (here or by another instance). */
  private tail(): Promise<void> {
    this.tailing ??= (async () => {
      try {
        const at = this.now();
        for (;;) {
          const page = await this.store.read(KEYS.approvalLog, this.cursor, 4096);
          for (const entry of page) {
            const parsed = approvalSchema.safeParse(entry.value);
            if (parsed.success && !this.outlived(parsed.data, at) && !this.created.has(parsed.data.id))
              this.created.set(parsed.data.id, parsed.data);
            this.cursor = entry.position + 1;
          }
          if (page.length < 4096) break;
        }
        for (const [id, request] of this.created) if (this.outlived(request, at)) this.created.delete(id);
      } finally {
        this.tailing = undefined;
      }
    })();
    return this.tailing;
  }

  /** A request past its expiry plus the retention is gone (its record's TTL would have ended). */
  private outlived(request: ApprovalRequest, at: number): boolean {
    return at >= request.expiresAt + this.retentionMs;
  }

  /**
   * The pending request of this operation under this chain (same requester, command, provider,
   * environment and parameters), or a new one: re-checking an operation that already waits for
   * approval never opens a second request for the approvers. Per instance (another instance sharing
   * the store may open its own).
   */
  async requestFor(
    chain: ApprovalChain,
    subject: ApprovalSubject,
  ): Promise<{ readonly request: ApprovalRequest; readonly reused: boolean }> {
    const id = this.pendingByOperation.get(subject.operationId);
    if (id !== undefined) {
      const known = await this.get(id);
      if (known?.status === "pending" && this.now() < known.expiresAt && sameSubject(known, chain, subject))
        return { request: known, reused: true };
      this.pendingByOperation.delete(subject.operationId);
    }
    const request = await this.create(chain, subject);
    if (this.pendingByOperation.size >= 100_000) this.pendingByOperation.clear();
    this.pendingByOperation.set(subject.operationId, request.id);
    return { request, reused: false };
  }

  /**
   * The request {@link requestFor} would reuse when it is known here without reading the store (a
   * pending request whose record is not written yet, on a store no other instance writes); undefined otherwise.
   */
  pendingFor(
    chain: ApprovalChain,
    subject: ApprovalSubject,
    at: number = this.now(),
  ): ApprovalRequest | undefined {
    if (this.store.shared === true) return undefined; // another instance may have decided it: read the store
    const id = this.pendingByOperation.get(subject.operationId);
    const known = id === undefined ? undefined : this.created.get(id);
    return known !== undefined && at < known.expiresAt && sameSubject(known, chain, subject)
      ? known
      : undefined;
  }

  /** Opens an approval request for an operation under a chain. */
  async create(chain: ApprovalChain, subject: ApprovalSubject): Promise<ApprovalRequest> {
    const at = this.now();
    const request: ApprovalRequest = {
      id: randomUUID(),
      chainId: chain.id,
      status: "pending",
      requester: subject.requester,
      environment: subject.environment,
      riskLevel: subject.riskLevel,
      riskScore: subject.riskScore,
      operation: {
        operationId: subject.operationId,
        commandId: subject.commandId,
        providerId: subject.providerId,
        params: JSON.parse(JSON.stringify(subject.params)) as Record<string, unknown>,
        paramsHash: paramsFingerprint(subject.params),
      },
      steps: chain.steps.map((s) => ({ role: s.role, required: s.approvers, approvals: [] })),
      currentStep: 0,
      conditions: [...chain.conditions],
      ...(chain.escalation === undefined ? {} : { escalation: { ...chain.escalation } }),
      createdAt: at,
      expiresAt: at + chain.expiresAfterMs,
    };
    // one append to the group-committed request log (durable when it resolves); no record write yet
    const entry = await this.store.append(KEYS.approvalLog, asJson(request));
    // the store's frozen copy, when it hands one back, is kept instead of a second one
    const stored =
      isRecord(entry.value) && entry.value.id === request.id
        ? (entry.value as unknown as ApprovalRequest)
        : request;
    this.created.set(request.id, stored);
    this.arm(stored);
    if (++this.createdSinceTrim >= 1024) {
      this.createdSinceTrim = 0;
      const olderThan = at - this.longestExpiryMs - this.retentionMs;
      void this.store.trim(KEYS.approvalLog, { olderThan }).catch(() => undefined);
    }
    return stored;
  }

  /** Reads a request, applying a due expiry or escalation first. */
  async get(id: string): Promise<ApprovalRequest | undefined> {
    const record = await this.read(id);
    if (record === undefined) return undefined;
    return (await this.applyTimers(record)).request;
  }

  /** Every request (optionally of one status), for people and tools. */
  async list(status?: ApprovalStatus): Promise<ApprovalRequest[]> {
    const out: ApprovalRequest[] = [];
    await this.tail();
    const written = new Set<string>();
    for (const record of await this.store.list(KEYS.approvals)) {
      const parsed = approvalSchema.safeParse(record.value);
      if (!parsed.success) continue;
      written.add(parsed.data.id);
      const current = (await this.applyTimers({ record, request: parsed.data })).request;
      if (status === undefined || current.status === status) out.push(current);
    }
    for (const [id, request] of [...this.created]) {
      if (written.has(id)) {
        this.created.delete(id);
        continue;
      }
      const current = (await this.applyTimers({ record: this.unwritten(request), request })).request;
      if (status === undefined || current.status === status) out.push(current);
    }
    return out;
  }

  private async read(id: string): Promise<{ record: StoredRecord; request: ApprovalRequest } | undefined> {
    if (typeof id !== "string" || id === "") return undefined;
    const record = await this.store.get(KEYS.approvals + id);
    if (record === undefined) {
      let request = this.created.get(id);
      if (request === undefined) {
        await this.tail();
        request = this.created.get(id);
      }
      if (request === undefined) return undefined;
      if (this.outlived(request, this.now())) {
        this.created.delete(id);
        return undefined;
      }
      return { record: this.unwritten(request), request };
    }
    this.created.delete(id);
    const parsed = approvalSchema.safeParse(record.value);
    if (!parsed.success)
      throw new InfrastructureError("STORAGE_CORRUPT", `approval "${id}" is malformed`, {
        field: "approvalId",
      });
    return { record, request: parsed.data };
  }

  /** Expires or escalates a request whose time has come; the compare-and-set winner audits it. */
  private async applyTimers(current: {
    record: StoredRecord;
    request: ApprovalRequest;
  }): Promise<{ record: StoredRecord; request: ApprovalRequest }> {
    let { record, request } = current;
    for (let attempt = 0; attempt < 20 && request.status === "pending"; attempt++) {
      const at = this.now();
      let next: ApprovalRequest | undefined;
      let event: "expired" | "escalated" | undefined;
      if (at >= request.expiresAt) {
        next = { ...request, status: "expired", decidedAt: at, reason: "expired before it was approved" };
        event = "expired";
      } else if (
        request.escalation !== undefined &&
        request.escalatedAt === undefined &&
        at >= request.createdAt + request.escalation.afterMs
      ) {
        next = { ...request, escalatedAt: at };
        event = "escalated";
      }
      if (next === undefined) break;
      const result = await this.save(KEYS.approvals + request.id, record.version, asJson(next), {
        ttlMs: this.ttl(next),
      });
      if (result.ok) {
        record = result.record;
        request = next;
        if (event === "expired") {
          this.disarm(request.id);
          await this.audit.record({
            type: "operation_rejected",
            actor: "system",
            operationId: request.operation.operationId,
            environment: request.environment,
            outcome: "denied",
            details: { approvalId: request.id, reason: "expired" },
          });
        } else {
          await this.audit.record({
            type: "escalation_triggered",
            actor: "system",
            operationId: request.operation.operationId,
            environment: request.environment,
            outcome: "pending",
            details: {
              approvalId: request.id,
              step: request.currentStep,
              toRole: request.escalation?.toRole,
            },
          });
          this.onEscalation?.(request);
        }
        continue;
      }
      const reread = await this.read(request.id);
      if (reread === undefined) break;
      ({ record, request } = reread);
    }
    return { record, request };
  }

  /** Compare-and-set of a request's record; the first successful one writes a created request's record. */
  private async save(
    key: string,
    version: number,
    value: ReturnType<typeof asJson>,
    options: { ttlMs: number },
  ): Promise<CompareAndSetResult> {
    const result = await this.store.compareAndSet(key, version, value, options);
    if (result.ok) this.created.delete(key.slice(KEYS.approvals.length));
    return result;
  }

  /** A created request whose record is not written yet, as version 0 (the first change creates it). */
  private unwritten(request: ApprovalRequest): StoredRecord {
    return {
      key: KEYS.approvals + request.id,
      value: asJson(request),
      version: 0,
      updatedAt: request.createdAt,
    };
  }

  private ttl(request: ApprovalRequest): number {
    return Math.max(1, request.expiresAt - this.now()) + this.retentionMs;
  }

  private eligible(request: ApprovalRequest, userId: string): { ok: true } | { ok: false; reason: string } {
    const step = request.steps[request.currentStep];
    if (step === undefined) return { ok: false, reason: "the request has no open step" };
    const roles = this.rbac.activeRoles(userId, request.environment);
    const escalated =
      request.escalatedAt !== undefined &&
      request.escalation !== undefined &&
      roles.includes(request.escalation.toRole);
    if (!roles.includes(step.role) && !escalated)
      return { ok: false, reason: `"${userId}" does not hold role "${step.role}" in ${request.environment}` };
    const permission = this.rbac.check({
      userId,
      permission: "infra:approve",
      environment: request.environment,
    });
    if (!permission.allowed) return { ok: false, reason: permission.reason };
    return { ok: true };
  }

  /** Records one approval. The same person approving again is not counted twice. */
  async approve(
    id: string,
    approverId: string,
    options: { comment?: string; parameterOverrides?: Record<string, unknown> } = {},
  ): Promise<ApprovalActionResult> {
    if (typeof approverId !== "string" || approverId === "")
      return { ok: false, code: "INVALID_ARGUMENT", reason: "approverId: must be a non-empty string" };
    for (let attempt = 0; attempt < 50; attempt++) {
      const read = await this.read(id);
      if (read === undefined) return { ok: false, code: "NOT_FOUND", reason: `approval "${id}" not found` };
      const { record, request } = await this.applyTimers(read);
      if (request.status !== "pending")
        return this.deny(request, approverId, `approval "${id}" is ${request.status}`, "CONFLICT");
      if (approverId === request.requester)
        return this.deny(request, approverId, "the requester cannot approve their own request");
      if (request.steps.some((s) => s.approvals.some((a) => a.userId === approverId)))
        return { ok: true, request, counted: false };
      const eligible = this.eligible(request, approverId);
      if (!eligible.ok) return this.deny(request, approverId, eligible.reason);
      if (options.parameterOverrides !== undefined && !request.conditions.includes("parameter-override")) {
        return {
          ok: false,
          code: "INVALID_ARGUMENT",
          reason: "parameterOverrides: this chain has no parameter-override condition",
        };
      }
      const at = this.now();
      const steps = request.steps.map((s, i) =>
        i === request.currentStep
          ? {
              ...s,
              approvals: [
                ...s.approvals,
                {
                  userId: approverId,
                  at,
                  ...(options.comment === undefined ? {} : { comment: options.comment }),
                },
              ],
            }
          : s,
      );
      const step = steps[request.currentStep];
      const stepDone = step !== undefined && step.approvals.length >= step.required;
      const last = request.currentStep === steps.length - 1;
      const next: ApprovalRequest = {
        ...request,
        steps,
        currentStep: stepDone && !last ? request.currentStep + 1 : request.currentStep,
        ...(stepDone && last ? { status: "approved" as const, decidedAt: at, decidedBy: approverId } : {}),
        ...(options.parameterOverrides === undefined
          ? {}
          : { parameterOverrides: { ...request.parameterOverrides, ...options.parameterOverrides } }),
        // A new step starts its own escalation clock.
        ...(stepDone && !last && request.escalation !== undefined
          ? { createdAt: at, escalatedAt: undefined }
          : {}),
      };
      const clean = JSON.parse(JSON.stringify(next)) as ApprovalRequest;
      const result = await this.save(KEYS.approvals + id, record.version, asJson(clean), {
        ttlMs: this.ttl(clean),
      });
      if (!result.ok) continue;
      await this.audit.record({
        type: "operation_approved",
        actor: approverId,
        operationId: request.operation.operationId,
        environment: request.environment,
        outcome: clean.status === "approved" ? "success" : "pending",
        details: {
          approvalId: id,
          step: request.currentStep,
          approvals: step?.approvals.length ?? 0,
          required: step?.required ?? 0,
          final: clean.status === "approved",
          comment: options.comment,
        },
      });
      if (clean.status !== "pending") this.disarm(id);
      else if (stepDone) {
        this.disarm(id);
        this.arm(clean);
      }
      return { ok: true, request: clean, counted: true };
    }
    return { ok: false, code: "CONFLICT", reason: `approval "${id}" kept changing; try again` };
  }

  /** Rejects a request (an eligible approver of the open step). */
  async reject(id: string, approverId: string, reason: string): Promise<ApprovalActionResult> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const read = await this.read(id);
      if (read === undefined) return { ok: false, code: "NOT_FOUND", reason: `approval "${id}" not found` };
      const { record, request } = await this.applyTimers(read);
      if (request.status !== "pending")
        return this.deny(request, approverId, `approval "${id}" is ${request.status}`, "CONFLICT");
      if (approverId !== request.requester) {
        const eligible = this.eligible(request, approverId);
        if (!eligible.ok) return this.deny(request, approverId, eligible.reason);
      }
      const next: ApprovalRequest = {
        ...request,
        status: "rejected",
        decidedAt: this.now(),
        decidedBy: approverId,
        reason: approverId === request.requester ? `withdrawn: ${reason}` : reason,
      };
      const result = await this.save(KEYS.approvals + id, record.version, asJson(next), {
        ttlMs: this.retentionMs,
      });
      if (!result.ok) continue;
      this.disarm(id);
      await this.audit.record({
        type: "operation_rejected",
        actor: approverId,
        operationId: request.operation.operationId,
        environment: request.environment,
        outcome: "denied",
        details: { approvalId: id, reason },
      });
      return { ok: true, request: next, counted: true };
    }
    return { ok: false, code: "CONFLICT", reason: `approval "${id}" kept changing; try again` };
  }

  /** Confirms the monitoring-required condition (an eligible approver of any step). */
  async confirmMonitoring(id: string, userId: string): Promise<ApprovalActionResult> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const read = await this.read(id);
      if (read === undefined) return { ok: false, code: "NOT_FOUND", reason: `approval "${id}" not found` };
      const { record, request } = await this.applyTimers(read);
      if (!request.conditions.includes("monitoring-required"))
        return {
          ok: false,
          code: "INVALID_ARGUMENT",
          reason: "this request has no monitoring-required condition",
        };
      if (request.status === "rejected" || request.status === "expired" || request.status === "consumed")
        return { ok: false, code: "CONFLICT", reason: `approval "${id}" is ${request.status}` };
      const roles = this.rbac.activeRoles(userId, request.environment);
      if (
        !request.steps.some((s) => roles.includes(s.role)) ||
        !this.rbac.check({ userId, permission: "infra:approve", environment: request.environment }).allowed
      ) {
        return this.deny(request, userId, `"${userId}" may not confirm monitoring for this request`);
      }
      const next: ApprovalRequest = { ...request, monitoringConfirmedBy: userId };
      const result = await this.save(KEYS.approvals + id, record.version, asJson(next), {
        ttlMs: this.ttl(next),
      });
      if (result.ok) return { ok: true, request: next, counted: true };
    }
    return { ok: false, code: "CONFLICT", reason: `approval "${id}" kept changing; try again` };
  }

  private async deny(
    request: ApprovalRequest,
    actor: string,
    reason: string,
    code: "SECURITY_DENIED" | "CONFLICT" = "SECURITY_DENIED",
  ): Promise<ApprovalActionResult> {
    await this.audit.record({
      type: "permission_denied",
      actor,
      operationId: request.operation.operationId,
      environment: request.environment,
      outcome: "denied",
      details: { approvalId: request.id, action: "approval", reason },
    });
    return { ok: false, code, reason };
  }

  /**
   * Whether the approval lets this operation run: it must be approved, for the same operation,
   * requester, environment and parameters (with any approved overrides applied), and its conditions
   * must hold (`rollbackPlan`: a plan exists; `windowOpen`: the deployment window is open).
   */
  async usable(
    id: string,
    subject: ApprovalSubject,
    context: { readonly rollbackPlan: boolean; readonly windowOpen: boolean },
  ): Promise<ApprovalUsability> {
    const request = await this.get(id);
    if (request === undefined) return { state: "refused", reason: `approval "${id}" not found` };
    const op = request.operation;
    if (
      op.operationId !== subject.operationId ||
      op.commandId !== subject.commandId ||
      op.providerId !== subject.providerId
    ) {
      return { state: "refused", reason: `approval "${id}" is for another operation` };
    }
    if (request.requester !== subject.requester || request.environment !== subject.environment) {
      return {
        state: "refused",
        reason: `approval "${id}" was requested by another user or for another environment`,
      };
    }
    if (request.status === "pending") return { state: "pending", request, reason: this.waitingFor(request) };
    if (request.status !== "approved")
      return { state: "refused", reason: `approval "${id}" is ${request.status}` };
    const overrides = request.parameterOverrides ?? {};
    const given = paramsFingerprint(subject.params);
    if (Object.keys(overrides).length === 0) {
      if (given !== op.paramsHash)
        return { state: "refused", reason: `parameters differ from the ones approved in "${id}"` };
    } else if (given !== paramsFingerprint({ ...op.params, ...overrides })) {
      return {
        state: "refused",
        reason:
          given === op.paramsHash
            ? `the approved parameter overrides of "${id}" are not applied`
            : `parameters differ from the ones approved in "${id}" with its overrides`,
      };
    }
    for (const condition of request.conditions) {
      const unmet = conditionUnmet(condition, request, context);
      if (unmet !== undefined) return { state: "pending", request, reason: unmet };
    }
    return { state: "approved", request };
  }

  /** What a pending request waits for. */
  waitingFor(request: ApprovalRequest): string {
    const step = request.steps[request.currentStep];
    if (step === undefined) return `approval "${request.id}" is pending`;
    const missing = step.required - step.approvals.length;
    const escalated =
      request.escalatedAt !== undefined && request.escalation !== undefined
        ? ` (escalated: "${request.escalation.toRole}" may approve too)`
        : "";
    return `approval "${request.id}" needs ${missing} more approver(s) with role "${step.role}" (step ${request.currentStep + 1} of ${request.steps.length})${escalated}`;
  }

  /** Marks an approved request used once its operation ran; a used approval never allows again. */
  async consume(id: string): Promise<boolean> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const read = await this.read(id);
      if (read?.request.status !== "approved") return false;
      const next: ApprovalRequest = { ...read.request, status: "consumed" };
      const result = await this.save(KEYS.approvals + id, read.record.version, asJson(next), {
        ttlMs: this.retentionMs,
      });
      if (result.ok) return true;
    }
    return false;
  }

  /** Whether the risk level is at or above another. */
  static atLeast(level: RiskLevel, threshold: RiskLevel): boolean {
    return RISK_ORDER[level] >= RISK_ORDER[threshold];
  }

  private arm(request: ApprovalRequest): void {
    if (!this.timersEnabled) return;
    const list: NodeJS.Timeout[] = [];
    const fire = (): void => {
      this.get(request.id).catch(() => undefined);
    };
    const at = this.now();
    list.push(setTimeout(fire, clampTimerDelay(request.expiresAt - at)));
    if (request.escalation !== undefined && request.escalatedAt === undefined)
      list.push(setTimeout(fire, clampTimerDelay(request.createdAt + request.escalation.afterMs - at)));
    for (const t of list) t.unref();
    this.disarm(request.id);
    this.timers.set(request.id, list);
  }

  private disarm(id: string): void {
    for (const t of this.timers.get(id) ?? []) clearTimeout(t);
    this.timers.delete(id);
  }

  /** Clears every timer. */
  close(): void {
    for (const id of [...this.timers.keys()]) this.disarm(id);
  }
}

function sameSubject(request: ApprovalRequest, chain: ApprovalChain, subject: ApprovalSubject): boolean {
  const op = request.operation;
  return (
    request.chainId === chain.id &&
    request.requester === subject.requester &&
    request.environment === subject.environment &&
    request.riskLevel === subject.riskLevel &&
    op.operationId === subject.operationId &&
    op.commandId === subject.commandId &&
    op.providerId === subject.providerId &&
    sameParams(op, subject.params)
  );
}

/**
 * Whether `params` are the request's parameters (their fingerprint matches). When the stored copy is
 * faithful (its own fingerprint is the request's: the original was plain JSON) and `params` are plain
 * JSON data, the two are compared member by member (no text built, no hash); otherwise by fingerprint.
 */
function sameParams(op: ApprovalRequest["operation"], params: Readonly<Record<string, unknown>>): boolean {
  if (faithfulCopy(op) && isPlainJson(params, 0)) return jsonEqual(op.params, params);
  return op.paramsHash === paramsFingerprint(params);
}

/** Per stored operation: its parameters' fingerprint is the request's (checked once per object). */
const faithful = new WeakMap<object, boolean>();

function faithfulCopy(op: ApprovalRequest["operation"]): boolean {
  let ok = faithful.get(op);
  if (ok === undefined) {
    ok = paramsFingerprint(op.params) === op.paramsHash;
    faithful.set(op, ok);
  }
  return ok;
}

/**
 * Strings, finite numbers, booleans, null, arrays and plain objects without `toJSON`: data whose
 * fingerprint differs exactly when its structure does (key order aside).
 */
function isPlainJson(v: unknown, depth: number): boolean {
  if (typeof v !== "object" || v === null)
    return (
      typeof v === "string" ||
      typeof v === "boolean" ||
      v === null ||
      (typeof v === "number" && Number.isFinite(v))
    );
  if (depth > 32) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Array.prototype) return (v as unknown[]).every((item) => isPlainJson(item, depth + 1));
  if (proto !== Object.prototype && proto !== null) return false;
  const o = v as Record<string, unknown>;
  if (typeof o.toJSON === "function") return false;
  for (const k of Object.keys(o)) if (!isPlainJson(o[k], depth + 1)) return false;
  return true;
}

/** Structural equality of two plain JSON values (key order ignored). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const k of keys) if (!Object.hasOwn(y, k) || !jsonEqual(x[k], y[k])) return false;
  return true;
}

function conditionUnmet(
  condition: ApprovalCondition,
  request: ApprovalRequest,
  context: { rollbackPlan: boolean; windowOpen: boolean },
): string | undefined {
  switch (condition) {
    case "rollback-plan":
      return context.rollbackPlan
        ? undefined
        : `approval "${request.id}" requires a rollback plan for the operation`;
    case "monitoring-required":
      return request.monitoringConfirmedBy === undefined
        ? `approval "${request.id}" requires an approver to confirm monitoring is in place`
        : undefined;
    case "time-window":
      return context.windowOpen
        ? undefined
        : `approval "${request.id}" may only be used inside a deployment window`;
    case "parameter-override":
      return undefined;
  }
}
