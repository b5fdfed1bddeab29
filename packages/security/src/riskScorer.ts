import type {
  OperationType,
  RiskAssessment,
  RiskFactor,
  RiskPolicy,
  RiskWeights,
  StateStore,
} from "@espada/infra-core";
import {
  DEFAULT_OPERATION_TYPE_SCORES,
  InfrastructureError,
  riskLevelForScore,
  riskPolicySchema,
} from "@espada/infra-core";
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
  private patterns!: readonly {
    readonly pattern: string;
    readonly score: number;
    readonly match: IdMatcher;
  }[];
  private businessHours!: CompiledSchedule;
  private policyValue!: RiskPolicy;
  private typeDescriptions!: Readonly<Partial<Record<string, string>>>;
  private offHoursDescription!: string;
  private criticalityMemo = new Map<string, Criticality>();
  private typeIndex = new Map<string, number>();
  /** Per environment: its multiplier, factor description and memo of shared assessments. */
  private environments = new Map<string, EnvironmentEntry>();

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
    this.typeDescriptions = Object.fromEntries(
      Object.entries(this.typeScores).map(([type, score]) => [type, `${type} operation (${score})`]),
    );
    this.offHoursDescription = `outside business hours (${this.businessHours.label})`;
    this.criticalityMemo = new Map();
    this.environments = new Map();
    this.typeIndex = new Map(Object.keys(this.typeScores).map((type, i) => [type, i]));
  }

  private environmentEntry(environment: string): EnvironmentEntry {
    let entry = this.environments.get(environment);
    if (entry === undefined) {
      const m = this.environmentMultiplier(environment);
      if (this.environments.size >= 1024) this.environments.clear();
      entry = { m, description: `${environment} environment (${m}×)`, byCritical: new Map() };
      this.environments.set(environment, entry);
    }
    return entry;
  }

  /** The multiplier of an environment. */
  environmentMultiplier(environment: string): number {
    return this.multipliers.get(environment) ?? this.defaultMultiplier;
  }

  /** The highest criticality among the resources, with the pattern that gave it. */
  criticality(resourceIds: readonly string[]): { score: number; pattern?: string; resource?: string } {
    let best: Criticality = NOT_CRITICAL;
    for (let i = 0; i < resourceIds.length; i++) {
      const c = this.criticalityOf(resourceIds[i] as string);
      if (c.score > best.score) best = c;
    }
    return best.pattern === undefined
      ? { score: 0 }
      : { score: best.score, pattern: best.pattern, resource: best.resource ?? "" };
  }

  /** One resource's criticality, compiled once per policy and id (a bounded memo). */
  private criticalityOf(id: string): Criticality {
    let c = this.criticalityMemo.get(id);
    if (c !== undefined) return c;
    c = NOT_CRITICAL;
    for (const p of this.patterns) {
      if (p.score > c.score && p.match(id))
        c = {
          score: p.score,
          pattern: p.pattern,
          resource: id,
          description: `critical resource ${id} (${p.pattern})`,
        };
    }
    if (this.criticalityMemo.size >= MAX_CACHED) this.criticalityMemo.clear();
    this.criticalityMemo.set(id, c);
    return c;
  }

  /** Scores an operation; pure given the input and signals. */
  assess(input: RiskInput, signals: RiskSignals = NO_SIGNALS): RiskAssessment {
    const w = this.weights;
    const env = this.environmentEntry(input.environment);
    const m = env.m;
    const type = input.operationType;
    const typeScore = this.typeScores[type];
    const ids = input.resourceIds;
    const n = ids.length;
    let critical: Criticality = NOT_CRITICAL;
    for (let i = 0; i < n; i++) {
      const c = this.criticalityOf(ids[i] as string);
      if (c.score > critical.score) critical = c;
    }
    const offHours = !isScheduleOpen(this.businessHours, input.at);
    const failures = Math.max(0, signals.userFailures);
    const total = Math.max(0, signals.userSuccesses) + failures;
    const changes = signals.recentChanges;
    const readOnly = isReadOnlyOperation(type);
    const noRollback = !readOnly && !input.rollbackAvailable;
    // Memo: an operation without history signals, with at most 4 resources, is a function of the
    // environment, the most critical resource, the type, n, rollback and off-hours; the same frozen
    // assessment is handed out for the same inputs until the policy changes.
    const typeIndex = this.typeIndex.get(type);
    let slot = -1;
    let memo: (RiskAssessment | undefined)[] | undefined;
    if (typeIndex !== undefined && n <= 4 && total === 0 && changes === 0) {
      slot = ((typeIndex * 5 + n) * 2 + (input.rollbackAvailable ? 1 : 0)) * 2 + (offHours ? 1 : 0);
      const byCritical = env.byCritical;
      memo = byCritical.get(critical);
      if (memo === undefined) {
        if (byCritical.size >= 4096) byCritical.clear();
        memo = [];
        byCritical.set(critical, memo);
      }
      const hit = memo[slot];
      if (hit !== undefined) return hit;
    }
    const factors: RiskFactor[] = [
      factor("environment", w.environment, 50 * m, 1, env.description),
      factor(
        "operation-type",
        w.operationType,
        typeScore,
        m,
        this.typeDescriptions[type] ?? `${type} operation (${typeScore})`,
      ),
      factor(
        "resource-count",
        w.resourceCount,
        25 * Math.log2(1 + n),
        m,
        n < COUNT_DESCRIPTIONS.length ? (COUNT_DESCRIPTIONS[n] as string) : `${n} resources`,
      ),
      factor("resource-criticality", w.resourceCriticality, critical.score, m, critical.description),
      factor(
        "time-of-day",
        w.timeOfDay,
        offHours ? 100 : 0,
        m,
        offHours ? this.offHoursDescription : "within business hours",
      ),
      factor(
        "user-history",
        w.userHistory,
        (100 * (failures + 1)) / (total + 4),
        m,
        total === 0 ? "no history for this user" : `${failures} of ${total} recent operations failed`,
      ),
      factor(
        "recent-changes",
        w.recentChanges,
        25 * Math.max(0, changes),
        m,
        changes === 0
          ? "0 recent changes to these resources"
          : `${changes} recent change${changes === 1 ? "" : "s"} to these resources`,
      ),
      factor(
        "rollback-availability",
        w.rollbackAvailability,
        noRollback ? 100 : 0,
        m,
        readOnly
          ? "read-only operation"
          : input.rollbackAvailable
            ? "rollback available"
            : "no rollback available",
      ),
    ];
    let sum = 0;
    for (let i = 0; i < 8; i++) sum += (factors[i] as RiskFactor).contribution;
    const score = round2(Math.min(100, Math.max(0, sum)));
    if (memo === undefined) return { score, level: riskLevelForScore(score), factors };
    for (const f of factors) Object.freeze(f);
    const assessment: RiskAssessment = Object.freeze({
      score,
      level: riskLevelForScore(score),
      factors: Object.freeze(factors) as RiskFactor[],
    });
    memo[slot] = assessment;
    return assessment;
  }
}

interface EnvironmentEntry {
  readonly m: number;
  readonly description: string;
  /** Shared assessments by most critical resource, then slot (see `assess`). */
  readonly byCritical: Map<Criticality, (RiskAssessment | undefined)[]>;
}

interface Criticality {
  readonly score: number;
  readonly pattern?: string;
  readonly resource?: string;
  readonly description: string;
}

const NOT_CRITICAL: Criticality = { score: 0, description: "no critical resource" };

const COUNT_DESCRIPTIONS = Array.from({ length: 33 }, (_, n) => `${n} resource${n === 1 ? "" : "s"}`);

function factor(
  name: string,
  weight: number,
  value: number,
  multiplier: number,
  description: string,
): RiskFactor {
  const v = value > 100 ? 100 : value < 0 ? 0 : value;
  return { name, weight, value: round2(v), contribution: round2(weight * v * multiplier), description };
}

/** A user's history counts as last read from (or written to) the store; a count is current until its reset. */
interface UserCounts {
  ok: number;
  okResetAt: number;
  failed: number;
  failedResetAt: number;
}

/** A counter value as last read from (or written to) the store. */
interface CachedCount {
  value: number;
  resetAt: number;
}

/**
 * Keeps the history the risk factors read (each user's successes and failures, each resource's
 * recent changes) in windowed counters of the state store, with an in-process cache keyed by the
 * raw user and resource ids (so a check that hits the cache builds no key and calls no store).
 * A cached count is used until its window ends or {@link ActivityTracker.invalidate} is called.
 */
export class ActivityTracker {
  /** Per user, both history counts in one object (one lookup, one object read per check). */
  private readonly users = new Map<string, UserCounts>();
  private readonly resources = new Map<string, CachedCount>();

  private readonly store: StateStore;
  private historyWindowMs: number;
  private changesWindowMs: number;
  private readonly now: () => number;

  constructor(
    store: StateStore,
    historyWindowMs: number,
    changesWindowMs: number,
    now: () => number = Date.now,
  ) {
    this.store = store;
    this.historyWindowMs = historyWindowMs;
    this.changesWindowMs = changesWindowMs;
    this.now = now;
  }

  /** Applies new windows (a configuration reload). */
  setWindows(historyWindowMs: number, changesWindowMs: number): void {
    this.historyWindowMs = historyWindowMs;
    this.changesWindowMs = changesWindowMs;
    this.invalidate();
  }

  /** Drops every cached count (the next check reads the store again). */
  invalidate(): void {
    this.users.clear();
    this.resources.clear();
  }

  private userEntry(userId: string): UserCounts {
    let entry = this.users.get(userId);
    if (entry === undefined) {
      if (this.users.size >= MAX_CACHED) this.users.clear();
      entry = {
        ok: 0,
        okResetAt: Number.NEGATIVE_INFINITY,
        failed: 0,
        failedResetAt: Number.NEGATIVE_INFINITY,
      };
      this.users.set(userId, entry);
    }
    return entry;
  }

  private setResource(resourceId: string, value: CachedCount): void {
    if (this.resources.size >= MAX_CACHED && !this.resources.has(resourceId)) this.resources.clear();
    this.resources.set(resourceId, value);
  }

  /** The signals from the cache alone, when every counter they need is cached and current (no store call). */
  cachedSignals(
    userId: string,
    resourceIds: readonly string[],
    at: number = this.now(),
  ): RiskSignals | undefined {
    const user = this.users.get(userId);
    if (user === undefined || user.okResetAt <= at || user.failedResetAt <= at) return undefined;
    let recent = 0;
    for (let i = 0; i < resourceIds.length; i++) {
      const changes = this.resources.get(resourceIds[i] as string);
      if (changes === undefined || changes.resetAt <= at) return undefined;
      if (changes.value > recent) recent = changes.value;
    }
    if (recent === 0 && user.ok === 0 && user.failed === 0) return NO_SIGNALS;
    return { userSuccesses: user.ok, userFailures: user.failed, recentChanges: recent };
  }

  /** The signals for one operation (reads the store for every count not cached). */
  async signals(userId: string, resourceIds: readonly string[]): Promise<RiskSignals> {
    const at = this.now();
    const userKey = KEYS.userHistory + keyPart(userId);
    const entry = this.userEntry(userId);
    const read = async (
      key: string,
      windowMs: number,
      cached: CachedCount | undefined,
    ): Promise<CachedCount> =>
      cached !== undefined && cached.resetAt > at ? cached : await this.store.increment(key, windowMs, 0);
    const [ok, failed] = await Promise.all([
      read(`${userKey}/ok`, this.historyWindowMs, { value: entry.ok, resetAt: entry.okResetAt }),
      read(`${userKey}/failed`, this.historyWindowMs, { value: entry.failed, resetAt: entry.failedResetAt }),
    ]);
    entry.ok = ok.value;
    entry.okResetAt = ok.resetAt;
    entry.failed = failed.value;
    entry.failedResetAt = failed.resetAt;
    let recent = 0;
    for (const id of resourceIds) {
      const changes = await read(
        KEYS.resourceChanges + keyPart(id),
        this.changesWindowMs,
        this.resources.get(id),
      );
      this.setResource(id, { value: changes.value, resetAt: changes.resetAt });
      recent = Math.max(recent, changes.value);
    }
    return { userSuccesses: ok.value, userFailures: failed.value, recentChanges: recent };
  }

  /** Records the outcome of an operation a user ran; changes count against its resources. */
  async record(
    userId: string,
    resourceIds: readonly string[],
    outcome: "success" | "failure" | "rolled-back",
    mutating: boolean,
  ): Promise<void> {
    if (typeof userId !== "string" || userId === "")
      throw new InfrastructureError("INVALID_ARGUMENT", "userId must be a non-empty string", {
        field: "userId",
      });
    const user = KEYS.userHistory + keyPart(userId);
    const good = outcome === "success";
    const value = await this.store.increment(`${user}/${good ? "ok" : "failed"}`, this.historyWindowMs, 1);
    const entry = this.userEntry(userId);
    if (good) {
      entry.ok = value.value;
      entry.okResetAt = value.resetAt;
    } else {
      entry.failed = value.value;
      entry.failedResetAt = value.resetAt;
    }
    if (mutating) {
      for (const id of new Set(resourceIds)) {
        const changes = await this.store.increment(
          KEYS.resourceChanges + keyPart(id),
          this.changesWindowMs,
          1,
        );
        this.setResource(id, { value: changes.value, resetAt: changes.resetAt });
      }
    }
  }
}

const MAX_CACHED = 100_000;
