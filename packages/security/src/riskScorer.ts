import type { OperationType, RiskAssessment, RiskFactor, RiskPolicy, RiskWeights, StateStore } from "@espada/infra-core";
import { DEFAULT_OPERATION_TYPE_SCORES, InfrastructureError, riskLevelForScore, riskPolicySchema } from "@espada/infra-core";
import { compileGlob } from "./glob.js";
import type { IdMatcher } from "./glob.js";
import { KEYS, keyPart } from "./keys.js";
import { compileSchedule, isScheduleOpen } from "./time.js";
import type { CompiledSchedule } from "./time.js";

/** What the risk scorer needs to know about one operation. */
export interface RiskInput {
  readonly environment: string;
  readonly operationType: OperationType;
  readonly resourceIds: readonly string[];
  /** Whether the operation can be undone (a declared rollback or a stored rollback plan). */
  readonly rollbackAvailable: boolean;
  /** Epoch ms the operation runs at. */
  readonly at: number;
}

/** Observed history feeding the user-history and recent-changes factors. */
export interface RiskSignals {
  /** The user's successful operations in the history window. */
  readonly userSuccesses: number;
  /** The user's failed operations in the history window. */
  readonly userFailures: number;
  /** Changes to any of the operation's resources in the recent-changes window (the most changed one). */
  readonly recentChanges: number;
}

/** No history: a new user, untouched resources. */
export const NO_SIGNALS: RiskSignals = { userSuccesses: 0, userFailures: 0, recentChanges: 0 };

/** Operation types that change nothing, so rollback availability does not apply to them. */
const READ_ONLY: ReadonlySet<OperationType> = new Set<OperationType>(["read", "audit"]);

/** True for operation types that change nothing (`read`, `audit`). */
export function isReadOnlyOperation(type: OperationType): boolean {
  return READ_ONLY.has(type);
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/**
 * Computes the spec's 0–100 risk score from eight weighted factors.
 *
 * Every factor has a raw value v in [0, 100]:
 * - environment: `min(100, 50 × m)` with m the environment multiplier (production 2 → 100,
 *   staging 1.2 → 60, development 0.5 → 25, others `defaultEnvironmentMultiplier`);
 * - operation type: the type's score (delete 90, security 85, network 80 … audit 10);
 * - resource count n: `min(100, 25 × log2(1 + n))` (1 → 25, 3 → 50, 7 → 75, 15+ → 100);
 * - resource criticality: the highest score of a pattern matching any resource id, else 0;
 * - time of day: 0 inside `businessHours` (in its time zone), 100 outside;
 * - user history: `100 × (failures + 1) / (total + 4)`, a failure rate pulled towards 25 % while
 *   the user has little history (a new user scores 25);
 * - recent changes c to the same resources: `min(100, 25 × c)`;
 * - rollback availability: 0 when the operation can be undone or changes nothing, else 100.
 *
 * The environment adds `w_env × v_env`; every other factor adds `m × w × v` (the environment
 * multiplies the operation's own risk). The score is `min(100, Σ contributions)`, rounded to two
 * decimals, and the level follows core's thresholds (critical ≥ 80, high ≥ 60, medium ≥ 40,
 * low ≥ 20, else minimal). Each factor's contribution is listed in the assessment.
 */
export class InfrastructureRiskScorer {
  private weights!: RiskWeights;
  private multipliers!: ReadonlyMap<string, number>;
  private defaultMultiplier!: number;
  private typeScores!: Readonly<Record<OperationType, number>>;
  private patterns!: readonly { readonly pattern: string; readonly score: number; readonly match: IdMatcher }[];
  private businessHours!: CompiledSchedule;
  private policyValue!: RiskPolicy;

  constructor(policy: RiskPolicy = riskPolicySchema.parse({})) {
    this.setPolicy(policy);
  }

  /** The policy in force. */
  get policy(): RiskPolicy {
    return this.policyValue;
  }

  /** Replaces the policy (a configuration reload). */
  setPolicy(policy: RiskPolicy): void {
    this.policyValue = policy;
    this.weights = policy.weights;
    this.multipliers = new Map(Object.entries(policy.environmentMultipliers));
    this.defaultMultiplier = policy.defaultEnvironmentMultiplier;
    this.typeScores = { ...DEFAULT_OPERATION_TYPE_SCORES, ...policy.operationTypeScores };
    this.patterns = policy.criticalityPatterns.map((p) => ({ ...p, match: compileGlob(p.pattern) }));
    this.businessHours = compileSchedule(policy.businessHours);
  }

  /** The multiplier of an environment. */
  environmentMultiplier(environment: string): number {
    return this.multipliers.get(environment) ?? this.defaultMultiplier;
  }

  /** The highest criticality among the resources, with the pattern that gave it. */
  criticality(resourceIds: readonly string[]): { score: number; pattern?: string; resource?: string } {
    let best: { score: number; pattern?: string; resource?: string } = { score: 0 };
    for (const id of resourceIds) {
      for (const p of this.patterns) {
        if (p.score > best.score && p.match(id)) best = { score: p.score, pattern: p.pattern, resource: id };
      }
    }
    return best;
  }

  /** Scores an operation; pure given the input and signals. */
  assess(input: RiskInput, signals: RiskSignals = NO_SIGNALS): RiskAssessment {
    const w = this.weights;
    const m = this.environmentMultiplier(input.environment);
    const typeScore = this.typeScores[input.operationType];
    const n = input.resourceIds.length;
    const critical = this.criticality(input.resourceIds);
    const offHours = !isScheduleOpen(this.businessHours, input.at);
    const total = Math.max(0, signals.userSuccesses) + Math.max(0, signals.userFailures);
    const failures = Math.max(0, signals.userFailures);
    const readOnly = isReadOnlyOperation(input.operationType);
    const noRollback = !readOnly && !input.rollbackAvailable;
    const factors: RiskFactor[] = [];
    const add = (name: string, weight: number, value: number, multiplier: number, description: string): void => {
      const v = Math.min(100, Math.max(0, value));
      factors.push({ name, weight, value: round2(v), contribution: round2(weight * v * multiplier), description });
    };
    add("environment", w.environment, 50 * m, 1, `${input.environment} environment (${m}×)`);
    add("operation-type", w.operationType, typeScore, m, `${input.operationType} operation (${typeScore})`);
    add("resource-count", w.resourceCount, 25 * Math.log2(1 + n), m, `${n} resource${n === 1 ? "" : "s"}`);
    add(
      "resource-criticality",
      w.resourceCriticality,
      critical.score,
      m,
      critical.pattern === undefined ? "no critical resource" : `critical resource ${critical.resource ?? ""} (${critical.pattern})`,
    );
    add("time-of-day", w.timeOfDay, offHours ? 100 : 0, m, offHours ? `outside business hours (${this.businessHours.label})` : "within business hours");
    add(
      "user-history",
      w.userHistory,
      (100 * (failures + 1)) / (total + 4),
      m,
      total === 0 ? "no history for this user" : `${failures} of ${total} recent operations failed`,
    );
    add(
      "recent-changes",
      w.recentChanges,
      25 * Math.max(0, signals.recentChanges),
      m,
      `${signals.recentChanges} recent change${signals.recentChanges === 1 ? "" : "s"} to these resources`,
    );
    add(
      "rollback-availability",
      w.rollbackAvailability,
      noRollback ? 100 : 0,
      m,
      readOnly ? "read-only operation" : input.rollbackAvailable ? "rollback available" : "no rollback available",
    );
    let sum = 0;
    for (const f of factors) sum += f.contribution;
    const score = round2(Math.min(100, Math.max(0, sum)));
    return { score, level: riskLevelForScore(score), factors };
  }
}

/**
 * Keeps the history the risk factors read (each user's successes and failures, each resource's
 * recent changes) in windowed counters of the state store, with an in-process cache.
 */
export class ActivityTracker {
  private readonly cache = new Map<string, { value: number; resetAt: number }>();

  private readonly store: StateStore;
  private historyWindowMs: number;
  private changesWindowMs: number;
  private readonly now: () => number;

  constructor(store: StateStore, historyWindowMs: number, changesWindowMs: number, now: () => number = Date.now) {
    this.store = store;
    this.historyWindowMs = historyWindowMs;
    this.changesWindowMs = changesWindowMs;
    this.now = now;
  }

  /** Applies new windows (a configuration reload). */
  setWindows(historyWindowMs: number, changesWindowMs: number): void {
    this.historyWindowMs = historyWindowMs;
    this.changesWindowMs = changesWindowMs;
    this.cache.clear();
  }

  private async counter(key: string, windowMs: number): Promise<number> {
    const hit = this.cache.get(key);
    if (hit !== undefined && hit.resetAt > this.now()) return hit.value;
    const value = await this.store.increment(key, windowMs, 0);
    this.cache.set(key, value);
    return value.value;
  }

  private async bump(key: string, windowMs: number): Promise<void> {
    const value = await this.store.increment(key, windowMs, 1);
    this.cache.set(key, value);
  }

  /** The signals from the cache alone, when every counter they need is cached and current (no store call). */
  cachedSignals(userId: string, resourceIds: readonly string[]): RiskSignals | undefined {
    const at = this.now();
    const cached = (key: string): number | undefined => {
      const hit = this.cache.get(key);
      return hit !== undefined && hit.resetAt > at ? hit.value : undefined;
    };
    const user = KEYS.userHistory + keyPart(userId);
    const ok = cached(`${user}/ok`);
    const failed = cached(`${user}/failed`);
    if (ok === undefined || failed === undefined) return undefined;
    let recent = 0;
    for (const id of resourceIds) {
      const changes = cached(KEYS.resourceChanges + keyPart(id));
      if (changes === undefined) return undefined;
      if (changes > recent) recent = changes;
    }
    return { userSuccesses: ok, userFailures: failed, recentChanges: recent };
  }

  /** The signals for one operation. */
  async signals(userId: string, resourceIds: readonly string[]): Promise<RiskSignals> {
    const user = KEYS.userHistory + keyPart(userId);
    const [ok, failed] = await Promise.all([this.counter(`${user}/ok`, this.historyWindowMs), this.counter(`${user}/failed`, this.historyWindowMs)]);
    let recent = 0;
    for (const id of resourceIds) recent = Math.max(recent, await this.counter(KEYS.resourceChanges + keyPart(id), this.changesWindowMs));
    return { userSuccesses: ok, userFailures: failed, recentChanges: recent };
  }

  /** Records the outcome of an operation a user ran; changes count against its resources. */
  async record(userId: string, resourceIds: readonly string[], outcome: "success" | "failure" | "rolled-back", mutating: boolean): Promise<void> {
    if (typeof userId !== "string" || userId === "") throw new InfrastructureError("INVALID_ARGUMENT", "userId must be a non-empty string", { field: "userId" });
    const user = KEYS.userHistory + keyPart(userId);
    await this.bump(`${user}/${outcome === "success" ? "ok" : "failed"}`, this.historyWindowMs);
    if (mutating) for (const id of new Set(resourceIds)) await this.bump(KEYS.resourceChanges + keyPart(id), this.changesWindowMs);
  }
}
