import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { AuditSink, JsonValue, OperationType, StateStore } from "@espada/infra-core";
import {
  DEFAULT_OPERATION_TYPE_SCORES,
  InfrastructureError,
  OPERATION_TYPES,
  RISK_LEVELS,
  riskLevelForScore,
} from "@espada/infra-core";
import { asJson, KEYS, keyPart } from "./keys.js";

/** Status of a rollback plan. */
export const ROLLBACK_STATUSES = ["ready", "executing", "completed", "failed"] as const;
/** A rollback plan status. */
export type RollbackStatus = (typeof ROLLBACK_STATUSES)[number];

/** Schema of one reversal step as given by a caller. */
export const rollbackStepInputSchema = z.strictObject({
  action: z.string().min(1),
  description: z.string().default(""),
  /** Resource the step acts on. */
  resourceId: z.string().min(1).optional(),
  params: z.record(z.string(), z.unknown()).default(() => ({})),
  estimatedDurationMs: z.number().int().nonnegative().default(60_000),
  /** Operation type of the step, for the plan's risk rating (default `update`). */
  operationType: z.enum(OPERATION_TYPES).default("update"),
});
/** A reversal step as given. */
export type RollbackStepInput = z.input<typeof rollbackStepInputSchema>;

/** Schema of a plan to create. */
export const rollbackPlanInputSchema = z.strictObject({
  operationId: z.string().min(1),
  createdBy: z.string().min(1),
  environment: z.string().min(1),
  description: z.string().default(""),
  steps: z.array(rollbackStepInputSchema).min(1),
});
/** A plan to create. */
export type RollbackPlanInput = z.input<typeof rollbackPlanInputSchema>;

const stepSchema = rollbackStepInputSchema.extend({
  order: z.number().int().positive(),
  status: z.enum(["pending", "running", "succeeded", "failed", "skipped"]),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  error: z.string().optional(),
});
const planSchema = z.object({
  id: z.string(),
  operationId: z.string(),
  createdBy: z.string(),
  environment: z.string(),
  description: z.string(),
  steps: z.array(stepSchema),
  riskLevel: z.enum(RISK_LEVELS),
  riskScore: z.number(),
  estimatedDurationMs: z.number(),
  status: z.enum(ROLLBACK_STATUSES),
  createdAt: z.number(),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  executedBy: z.string().optional(),
});
/** A rollback plan as stored. */
export type RollbackPlan = z.infer<typeof planSchema>;
/** A step of a stored plan. */
export type RollbackStep = z.infer<typeof stepSchema>;

/** What the plan generator knows about the operation to reverse. */
export interface RollbackSubject {
  readonly operationId: string;
  readonly userId: string;
  readonly environment: string;
  readonly operationType: OperationType;
  readonly resourceIds: readonly string[];
  /** State of each resource before the operation (for updates, scaling and deletes). */
  readonly previousState?: Readonly<Record<string, JsonValue>>;
}

/** Options of {@link InfrastructureRollbackManager}. */
export interface RollbackOptions {
  readonly store: StateStore;
  readonly audit: AuditSink;
  readonly now?: () => number;
  /** How long plans are kept (default 90 days). */
  readonly retentionMs?: number;
}

/**
 * Rollback plans: ordered reversal steps with a risk rating (the riskiest step's operation type) and
 * an estimated duration (sum of steps), generated from an operation or given explicitly, and the
 * tracking of their execution step by step. Plans live in the state store; a completed rollback is
 * audited as `operation_rolled_back`.
 */
export class InfrastructureRollbackManager {
  private readonly store: StateStore;
  private readonly audit: AuditSink;
  private readonly now: () => number;
  private readonly retentionMs: number;
  private readonly planned = new Set<string>();

  constructor(options: RollbackOptions) {
    this.store = options.store;
    this.audit = options.audit;
    this.now = options.now ?? Date.now;
    this.retentionMs = options.retentionMs ?? 90 * 86_400_000;
  }

  /** Loads which operations have plans (for the risk factor). */
  async load(): Promise<void> {
    const records = await this.store.list(KEYS.rollbackByOperation);
    this.planned.clear();
    for (const record of records) {
      if (typeof record.value === "string")
        this.planned.add(record.key.slice(KEYS.rollbackByOperation.length));
    }
  }

  /** True when a plan exists for the operation. */
  hasPlan(operationId: string): boolean {
    return this.planned.size > 0 && this.planned.has(keyPart(operationId));
  }

  /** Stores a plan given step by step. */
  async createPlan(input: RollbackPlanInput): Promise<RollbackPlan> {
    const parsed = rollbackPlanInputSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join(".") ?? "plan";
      throw new InfrastructureError("INVALID_ARGUMENT", `${field}: ${issue?.message ?? "invalid"}`, {
        field,
      });
    }
    const p = parsed.data;
    const riskScore = Math.max(...p.steps.map((s) => DEFAULT_OPERATION_TYPE_SCORES[s.operationType]));
    const plan: RollbackPlan = {
      id: randomUUID(),
      operationId: p.operationId,
      createdBy: p.createdBy,
      environment: p.environment,
      description: p.description,
      steps: p.steps.map((s, i) => ({ ...s, order: i + 1, status: "pending" as const })),
      riskLevel: riskLevelForScore(riskScore),
      riskScore,
      estimatedDurationMs: p.steps.reduce((sum, s) => sum + s.estimatedDurationMs, 0),
      status: "ready",
      createdAt: this.now(),
    };
    await this.store.put(KEYS.rollbackPlans + plan.id, asJson(plan), { ttlMs: this.retentionMs });
    await this.store.put(KEYS.rollbackByOperation + keyPart(p.operationId), plan.id, {
      ttlMs: this.retentionMs,
    });
    this.planned.add(keyPart(p.operationId));
    return plan;
  }

  /**
   * Generates the reversal of an operation: created resources are deleted, deleted ones restored
   * from their previous state (a backup), updated or scaled ones put back to their previous state;
   * in reverse order of the resources. Returns undefined for read-only operations (nothing to undo).
   */
  async generatePlan(subject: RollbackSubject): Promise<RollbackPlan | undefined> {
    const reverse = [...subject.resourceIds].reverse();
    const previous = (id: string): Record<string, unknown> => {
      const state = subject.previousState?.[id];
      return state === undefined ? {} : { previousState: state };
    };
    let steps: RollbackStepInput[];
    switch (subject.operationType) {
      case "read":
      case "audit":
      case "approve":
      case "break-glass":
        return undefined;
      case "create":
        steps = reverse.map((id) => ({
          action: "delete",
          resourceId: id,
          description: `delete ${id}, created by the operation`,
          operationType: "delete",
          estimatedDurationMs: 120_000,
        }));
        break;
      case "delete":
        steps = reverse.map((id) => ({
          action: "restore",
          resourceId: id,
          description: `restore ${id} from its backup`,
          operationType: "restore",
          params: previous(id),
          estimatedDurationMs: 900_000,
        }));
        break;
      case "scale":
        steps = reverse.map((id) => ({
          action: "scale",
          resourceId: id,
          description: `scale ${id} back to its previous size`,
          operationType: "scale",
          params: previous(id),
          estimatedDurationMs: 300_000,
        }));
        break;
      case "backup":
        steps = reverse.map((id) => ({
          action: "delete-backup",
          resourceId: id,
          description: `remove the backup of ${id}`,
          operationType: "delete",
          estimatedDurationMs: 60_000,
        }));
        break;
      default:
        steps = reverse.map((id) => ({
          action: "revert",
          resourceId: id,
          description: `put ${id} back to its state before the ${subject.operationType}`,
          operationType: subject.operationType,
          params: previous(id),
          estimatedDurationMs: 300_000,
        }));
    }
    if (steps.length === 0) return undefined;
    return this.createPlan({
      operationId: subject.operationId,
      createdBy: subject.userId,
      environment: subject.environment,
      description: `rollback of ${subject.operationType} ${subject.operationId}`,
      steps,
    });
  }

  /** Reads a plan. */
  async getPlan(id: string): Promise<RollbackPlan | undefined> {
    const record = await this.store.get(KEYS.rollbackPlans + id);
    if (record === undefined) return undefined;
    const parsed = planSchema.safeParse(record.value);
    if (!parsed.success)
      throw new InfrastructureError("STORAGE_CORRUPT", `rollback plan "${id}" is malformed`, {
        field: "planId",
      });
    return parsed.data;
  }

  /** The plan of an operation, if any. */
  async planFor(operationId: string): Promise<RollbackPlan | undefined> {
    const index = await this.store.get(KEYS.rollbackByOperation + keyPart(operationId));
    return typeof index?.value === "string" ? this.getPlan(index.value) : undefined;
  }

  private async update(id: string, change: (plan: RollbackPlan) => RollbackPlan): Promise<RollbackPlan> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const record = await this.store.get(KEYS.rollbackPlans + id);
      if (record === undefined)
        throw new InfrastructureError("NOT_FOUND", `rollback plan "${id}" not found`, { field: "planId" });
      const plan = planSchema.parse(record.value);
      const next = change(plan);
      const result = await this.store.compareAndSet(
        KEYS.rollbackPlans + id,
        record.version,
        asJson(JSON.parse(JSON.stringify(next))),
        { ttlMs: this.retentionMs },
      );
      if (result.ok) return next;
    }
    throw new InfrastructureError("CONFLICT", `rollback plan "${id}" kept changing`, { field: "planId" });
  }

  /** Starts executing a ready plan (once: a second start is a CONFLICT). */
  async startExecution(id: string, userId: string): Promise<RollbackPlan> {
    return this.update(id, (plan) => {
      if (plan.status !== "ready")
        throw new InfrastructureError("CONFLICT", `rollback plan "${id}" is ${plan.status}`, {
          field: "planId",
        });
      return { ...plan, status: "executing", startedAt: this.now(), executedBy: userId };
    });
  }

  /** Records the result of step `order` (steps run in order). Failing a step fails the plan. */
  async recordStep(
    id: string,
    order: number,
    result: { ok: true } | { ok: false; error: string },
  ): Promise<RollbackPlan> {
    const plan = await this.update(id, (current) => {
      if (current.status !== "executing")
        throw new InfrastructureError("CONFLICT", `rollback plan "${id}" is ${current.status}`, {
          field: "planId",
        });
      const next = current.steps.find((s) => s.status === "pending");
      if (next?.order !== order)
        throw new InfrastructureError(
          "INVALID_ARGUMENT",
          `order: step ${next?.order ?? "none"} is next, not ${order}`,
          { field: "order" },
        );
      const at = this.now();
      const steps = current.steps.map((s): RollbackStep => {
        if (s.order === order)
          return {
            ...s,
            status: result.ok ? "succeeded" : "failed",
            finishedAt: at,
            ...(result.ok ? {} : { error: result.error }),
          };
        if (!result.ok && s.status === "pending") return { ...s, status: "skipped" };
        return s;
      });
      const done = steps.every((s) => s.status === "succeeded");
      return {
        ...current,
        steps,
        ...(result.ok
          ? done
            ? { status: "completed" as const, finishedAt: at }
            : {}
          : { status: "failed" as const, finishedAt: at }),
      };
    });
    if (plan.status === "completed" || plan.status === "failed") {
      await this.audit.record({
        type: plan.status === "completed" ? "operation_rolled_back" : "operation_failed",
        actor: plan.executedBy ?? plan.createdBy,
        operationId: plan.operationId,
        environment: plan.environment,
        outcome: plan.status === "completed" ? "success" : "failure",
        details: { rollbackPlanId: plan.id, steps: plan.steps.length },
      });
    }
    return plan;
  }
}
