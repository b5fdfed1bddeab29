import { z } from "zod";
import type { AuditSink, BlackoutWindow, RiskLevel, StateStore, TimeWindow } from "@espada/infra-core";
import { InfrastructureError, MAX_TIMER_MS } from "@espada/infra-core";
import { KEYS, keyPart } from "./keys.js";
import { compileSchedule, isScheduleOpen } from "./time.js";
import type { CompiledSchedule } from "./time.js";

/** The verdict of the time-window check. */
export interface WindowDecision {
  readonly allowed: boolean;
  /** `window`, `no-window`, `blackout`, `outside` or `override`. */
  readonly basis: "window" | "no-window" | "blackout" | "outside" | "override";
  /** The window, blackout or override that decided. */
  readonly id?: string;
  readonly reason: string;
}

/** An emergency override of the deployment windows of one environment. */
export interface WindowOverride {
  readonly id: string;
  readonly environment: string;
  readonly userId: string;
  readonly reason: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

const overrideSchema = z.object({
  id: z.string(),
  environment: z.string(),
  userId: z.string(),
  reason: z.string(),
  createdAt: z.number(),
  expiresAt: z.number(),
});

interface CompiledWindow {
  readonly id: string;
  readonly environments: ReadonlySet<string> | undefined;
  readonly riskLevels: ReadonlySet<string> | undefined;
  readonly schedule: CompiledSchedule;
  /** The decision while it is open (built once). */
  readonly inside: WindowDecision;
}

/** The windows governing one environment and risk level, and the decisions when none or none open. */
interface Scope {
  readonly windows: readonly CompiledWindow[];
  readonly none: WindowDecision;
  readonly outside: WindowDecision | undefined;
}

interface CompiledBlackout {
  readonly id: string;
  readonly environments: ReadonlySet<string> | undefined;
  readonly riskLevels: ReadonlySet<string> | undefined;
  readonly start: number;
  readonly end: number;
  readonly reason: string | undefined;
}

/** Options of {@link InfrastructureTimeWindowManager}. */
export interface TimeWindowOptions {
  readonly store: StateStore;
  readonly audit?: AuditSink;
  readonly now?: () => number;
}

/**
 * Deployment windows per environment and risk level (days of week, local start/end time, IANA time
 * zone; correct across daylight-saving changes, windows may cross midnight), absolute blackout
 * windows, and an audited emergency override kept in the state store.
 *
 * An operation is allowed when an override is active for its environment; otherwise denied during a
 * matching blackout; otherwise, when windows govern its environment and risk level, allowed only
 * while one of them is open; with no governing window it is allowed.
 */
export class InfrastructureTimeWindowManager {
  private readonly store: StateStore;
  private readonly audit: AuditSink | undefined;
  private readonly now: () => number;
  private windows: CompiledWindow[] = [];
  /** Governing windows per environment, then risk level by rank (filled on first use, cleared on reload). */
  private scopes = new Map<string, (Scope | undefined)[]>();
  private blackouts: CompiledBlackout[] = [];
  private overrides = new Map<string, WindowOverride>();

  constructor(
    windows: readonly TimeWindow[],
    blackouts: readonly BlackoutWindow[],
    options: TimeWindowOptions,
  ) {
    this.store = options.store;
    this.audit = options.audit;
    this.now = options.now ?? Date.now;
    this.setPolicies(windows, blackouts);
  }

  /** Replaces windows and blackouts (a configuration reload). */
  setPolicies(windows: readonly TimeWindow[], blackouts: readonly BlackoutWindow[]): void {
    const set = (xs: readonly string[] | undefined): ReadonlySet<string> | undefined =>
      xs === undefined ? undefined : new Set(xs);
    this.windows = windows.map((w) => {
      const schedule = compileSchedule(w);
      const inside: WindowDecision = Object.freeze({
        allowed: true,
        basis: "window",
        id: w.id,
        reason: `inside window "${w.id}" (${schedule.label})`,
      });
      return { id: w.id, environments: set(w.environments), riskLevels: set(w.riskLevels), schedule, inside };
    });
    this.scopes = new Map();
    this.blackouts = blackouts.map((b) => ({
      id: b.id,
      environments: set(b.environments),
      riskLevels: set(b.riskLevels),
      start: Date.parse(b.start),
      end: Date.parse(b.end),
      reason: b.reason,
    }));
  }

  /** Loads the overrides kept in the store. */
  async load(): Promise<void> {
    const next = new Map<string, WindowOverride>();
    for (const record of await this.store.list(KEYS.windowOverrides)) {
      const parsed = overrideSchema.safeParse(record.value);
      if (parsed.success) next.set(parsed.data.environment, parsed.data);
    }
    this.overrides = next;
  }

  /** Decides whether an operation in `environment` at `riskLevel` may run at `at`. */
  check(environment: string, riskLevel: RiskLevel, at: number = this.now()): WindowDecision {
    const override = this.overrides.size === 0 ? undefined : this.overrides.get(environment);
    if (override !== undefined && override.expiresAt > at) {
      return {
        allowed: true,
        basis: "override",
        id: override.id,
        reason: `emergency override by "${override.userId}" until ${new Date(override.expiresAt).toISOString()}`,
      };
    }
    for (const b of this.blackouts) {
      if (
        at >= b.start &&
        at < b.end &&
        matches(b.environments, environment) &&
        matches(b.riskLevels, riskLevel)
      ) {
        return {
          allowed: false,
          basis: "blackout",
          id: b.id,
          reason: `blackout "${b.id}"${b.reason === undefined ? "" : ` (${b.reason})`} until ${new Date(b.end).toISOString()}`,
        };
      }
    }
    const scope = this.scope(environment, riskLevel);
    for (const w of scope.windows) if (isScheduleOpen(w.schedule, at)) return w.inside;
    return scope.outside ?? scope.none;
  }

  private scope(environment: string, riskLevel: RiskLevel): Scope {
    let byLevel = this.scopes.get(environment);
    if (byLevel === undefined) {
      if (this.scopes.size >= 1024) this.scopes.clear();
      byLevel = [];
      this.scopes.set(environment, byLevel);
    }
    const rank = LEVEL_RANK[riskLevel];
    let scope = byLevel[rank];
    if (scope === undefined) {
      const windows = this.windows.filter(
        (w) => matches(w.environments, environment) && matches(w.riskLevels, riskLevel),
      );
      scope = {
        windows,
        none: Object.freeze({
          allowed: true,
          basis: "no-window",
          reason: `no deployment window governs ${environment}/${riskLevel}`,
        }),
        outside:
          windows.length === 0
            ? undefined
            : Object.freeze({
                allowed: false,
                basis: "outside",
                id: windows[0]?.id ?? "",
                reason: `outside every deployment window for ${environment}/${riskLevel}: ${windows.map((w) => `"${w.id}" (${w.schedule.label})`).join(", ")}`,
              }),
      };
      byLevel[rank] = scope;
    }
    return scope;
  }

  /**
   * Opens every window of `environment` for `durationMs` (an emergency). The caller has checked the
   * user's permission. Stored with a TTL and audited as `time_window_override`.
   */
  async override(
    userId: string,
    environment: string,
    reason: string,
    durationMs: number,
  ): Promise<WindowOverride> {
    if (typeof reason !== "string" || reason.trim() === "")
      throw new InfrastructureError("INVALID_ARGUMENT", "reason: an override needs a reason", {
        field: "reason",
      });
    if (!Number.isInteger(durationMs) || durationMs <= 0 || durationMs > MAX_TIMER_MS) {
      throw new InfrastructureError(
        "INVALID_ARGUMENT",
        `durationMs: must be an integer between 1 and ${MAX_TIMER_MS}`,
        { field: "durationMs" },
      );
    }
    const createdAt = this.now();
    const value: WindowOverride = {
      id: `override-${createdAt.toString(36)}-${keyPart(userId)}`,
      environment,
      userId,
      reason,
      createdAt,
      expiresAt: createdAt + durationMs,
    };
    await this.audit?.record({
      type: "time_window_override",
      actor: userId,
      environment,
      outcome: "success",
      details: { overrideId: value.id, reason, expiresAt: value.expiresAt },
    });
    await this.store.put(KEYS.windowOverrides + keyPart(environment), { ...value }, { ttlMs: durationMs });
    this.overrides.set(environment, value);
    return value;
  }

  /** Ends the override of an environment early; audited. */
  async endOverride(userId: string, environment: string): Promise<boolean> {
    const existed = this.overrides.delete(environment);
    await this.store.delete(KEYS.windowOverrides + keyPart(environment));
    if (existed)
      await this.audit?.record({
        type: "time_window_override",
        actor: userId,
        environment,
        outcome: "success",
        details: { ended: true },
      });
    return existed;
  }
}

const LEVEL_RANK: Readonly<Record<RiskLevel, number>> = {
  minimal: 0,
  low: 1,
  medium: 2,
  high: 3,
  critical: 4,
};

function matches(set: ReadonlySet<string> | undefined, value: string): boolean {
  return set === undefined || set.has(value);
}
