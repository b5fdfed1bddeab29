import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { OPERATION_TYPES, riskPolicySchema } from "@espada/infra-core";
import type { OperationType } from "@espada/infra-core";
import { ActivityTracker, InfrastructureRiskScorer } from "./riskScorer.js";
import type { RiskInput } from "./riskScorer.js";
import { Clock, memoryStore, WEDNESDAY_NOON_UTC } from "../test/support.js";

const base: RiskInput = {
  environment: "development",
  operationType: "read",
  resourceIds: [],
  rollbackAvailable: false,
  at: WEDNESDAY_NOON_UTC,
};

describe("InfrastructureRiskScorer", () => {
  const scorer = new InfrastructureRiskScorer();

  it("scores the spec's example — delete the production database cluster — as critical", () => {
    const risk = scorer.assess({
      environment: "production",
      operationType: "delete",
      resourceIds: ["main-database-cluster"],
      rollbackAvailable: false,
      at: WEDNESDAY_NOON_UTC,
    });
    expect(risk.level).toBe("critical");
    expect(risk.score).toBeGreaterThanOrEqual(80);
    const byName = Object.fromEntries(risk.factors.map((f) => [f.name, f]));
    expect(byName.environment?.value).toBe(100);
    expect(byName["operation-type"]?.value).toBe(90);
    expect(byName["resource-criticality"]?.description).toContain("*-database-*");
  });

  it("scores listing instances in development as minimal", () => {
    const risk = scorer.assess(base);
    expect(risk.level).toBe("minimal");
  });

  it("computes all eight factors with the spec's default weights", () => {
    const risk = scorer.assess(base);
    expect(risk.factors.map((f) => [f.name, f.weight])).toEqual([
      ["environment", 0.25],
      ["operation-type", 0.2],
      ["resource-count", 0.1],
      ["resource-criticality", 0.15],
      ["time-of-day", 0.05],
      ["user-history", 0.1],
      ["recent-changes", 0.1],
      ["rollback-availability", 0.05],
    ]);
  });

  it("follows the documented formula", () => {
    const input: RiskInput = {
      environment: "staging",
      operationType: "update",
      resourceIds: ["web-1", "web-2", "web-3"],
      rollbackAvailable: false,
      at: Date.UTC(2026, 2, 7, 23, 0),
    };
    const risk = scorer.assess(input, { userSuccesses: 6, userFailures: 2, recentChanges: 1 });
    const m = 1.2;
    const expected =
      0.25 * 60 +
      m *
        (0.2 * 45 +
          0.1 * 25 * Math.log2(4) +
          0.15 * 0 +
          0.05 * 100 +
          0.1 * ((100 * 3) / 12) +
          0.1 * 25 +
          0.05 * 100);
    expect(risk.score).toBeCloseTo(expected, 1);
    const sum = risk.factors.reduce((s, f) => s + f.contribution, 0);
    expect(risk.score).toBeCloseTo(Math.min(100, sum), 5);
    expect(risk.factors.find((f) => f.name === "time-of-day")?.value).toBe(100); // Saturday night
  });

  it("applies the environment multipliers 2×, 1.2×, 0.5×", () => {
    expect(scorer.environmentMultiplier("production")).toBe(2);
    expect(scorer.environmentMultiplier("staging")).toBe(1.2);
    expect(scorer.environmentMultiplier("development")).toBe(0.5);
    expect(scorer.environmentMultiplier("qa")).toBe(1);
  });

  it("puts levels exactly at the thresholds", () => {
    // weights chosen so the score equals the operation-type score
    const exact = new InfrastructureRiskScorer(
      riskPolicySchema.parse({
        weights: {
          environment: 0,
          operationType: 1,
          resourceCount: 0,
          resourceCriticality: 0,
          timeOfDay: 0,
          userHistory: 0,
          recentChanges: 0,
          rollbackAvailability: 0,
        },
        defaultEnvironmentMultiplier: 1,
        operationTypeScores: { read: 80, audit: 60, backup: 40, approve: 20, create: 19.99 },
      }),
    );
    const level = (operationType: OperationType): string =>
      exact.assess({ ...base, environment: "x", operationType }).level;
    expect([level("read"), level("audit"), level("backup"), level("approve"), level("create")]).toEqual([
      "critical",
      "high",
      "medium",
      "low",
      "minimal",
    ]);
  });

  it("matches criticality patterns anywhere in an id, slashes included", () => {
    expect(scorer.criticality(["arn:aws:rds/eu-prod-db/x-database-1"]).score).toBe(100);
    expect(scorer.criticality(["web-1"]).score).toBe(0);
  });

  it("keeps the score in [0, 100] and never lowers it when one factor rises", () => {
    const types = [...OPERATION_TYPES];
    const input = fc.record({
      environment: fc.constantFrom("production", "staging", "development", "qa"),
      typeIndex: fc.nat({ max: types.length - 1 }),
      resources: fc.array(fc.constantFrom("web-1", "prod-api", "x-database-1", "cache-db-2", "a-payments"), {
        maxLength: 20,
      }),
      rollbackAvailable: fc.boolean(),
      hour: fc.integer({ min: 0, max: 167 }),
      ok: fc.nat({ max: 50 }),
      failed: fc.nat({ max: 50 }),
      changes: fc.nat({ max: 10 }),
    });
    fc.assert(
      fc.property(input, fc.nat({ max: 6 }), (i, which) => {
        const at = Date.UTC(2026, 2, 2) + i.hour * 3_600_000;
        const make = (t: OperationType, resources: string[], rollback: boolean, when: number): RiskInput => ({
          environment: i.environment,
          operationType: t,
          resourceIds: resources,
          rollbackAvailable: rollback,
          at: when,
        });
        const type = types[i.typeIndex] as OperationType;
        const before = scorer.assess(make(type, i.resources, i.rollbackAvailable, at), {
          userSuccesses: i.ok,
          userFailures: i.failed,
          recentChanges: i.changes,
        });
        expect(before.score).toBeGreaterThanOrEqual(0);
        expect(before.score).toBeLessThanOrEqual(100);
        let after;
        switch (which) {
          case 0: // more resources
            after = scorer.assess(make(type, [...i.resources, "web-9"], i.rollbackAvailable, at), {
              userSuccesses: i.ok,
              userFailures: i.failed,
              recentChanges: i.changes,
            });
            break;
          case 1: // a more critical resource
            after = scorer.assess(
              make(type, [...i.resources.slice(0, -1), "z-database-z"], i.rollbackAvailable, at),
              { userSuccesses: i.ok, userFailures: i.failed, recentChanges: i.changes },
            );
            if (i.resources.length === 0) return;
            break;
          case 2: // one more failure
            after = scorer.assess(make(type, i.resources, i.rollbackAvailable, at), {
              userSuccesses: i.ok,
              userFailures: i.failed + 1,
              recentChanges: i.changes,
            });
            break;
          case 3: // one more recent change
            after = scorer.assess(make(type, i.resources, i.rollbackAvailable, at), {
              userSuccesses: i.ok,
              userFailures: i.failed,
              recentChanges: i.changes + 1,
            });
            break;
          case 4: // rollback lost
            after = scorer.assess(make(type, i.resources, false, at), {
              userSuccesses: i.ok,
              userFailures: i.failed,
              recentChanges: i.changes,
            });
            break;
          case 5: // riskier operation type
            after = scorer.assess(make("delete", i.resources, i.rollbackAvailable, at), {
              userSuccesses: i.ok,
              userFailures: i.failed,
              recentChanges: i.changes,
            });
            if (type === "break-glass") return;
            break;
          default: // off hours (Sunday 03:00)
            after = scorer.assess(make(type, i.resources, i.rollbackAvailable, Date.UTC(2026, 2, 8, 3)), {
              userSuccesses: i.ok,
              userFailures: i.failed,
              recentChanges: i.changes,
            });
        }
        expect(after.score).toBeGreaterThanOrEqual(before.score);
        expect(after.score).toBeLessThanOrEqual(100);
      }),
      { numRuns: 500 },
    );
  });

  it("never lowers the score when the environment multiplier rises", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 5, noNaN: true }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        (m, extra) => {
          const low = new InfrastructureRiskScorer(
            riskPolicySchema.parse({ environmentMultipliers: { e: m } }),
          );
          const high = new InfrastructureRiskScorer(
            riskPolicySchema.parse({ environmentMultipliers: { e: Math.min(10, m + extra) } }),
          );
          const input: RiskInput = { ...base, environment: "e", operationType: "update", resourceIds: ["a"] };
          expect(high.assess(input).score).toBeGreaterThanOrEqual(low.assess(input).score);
        },
      ),
    );
  });
});

describe("ActivityTracker", () => {
  it("counts a user's outcomes and a resource's changes in the store, across tracker instances", async () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const store = memoryStore(clock);
    const tracker = new ActivityTracker(store, 86_400_000, 3_600_000, clock.now);
    await tracker.record("alice", ["db-1"], "success", true);
    await tracker.record("alice", ["db-1"], "failure", true);
    await tracker.record("alice", ["db-2"], "success", false);
    expect(await tracker.signals("alice", ["db-1", "db-2"])).toEqual({
      userSuccesses: 2,
      userFailures: 1,
      recentChanges: 2,
    });
    const fresh = new ActivityTracker(store, 86_400_000, 3_600_000, clock.now);
    expect(await fresh.signals("alice", ["db-1"])).toEqual({
      userSuccesses: 2,
      userFailures: 1,
      recentChanges: 2,
    });
    clock.advance(3_600_001);
    expect((await fresh.signals("alice", ["db-1"])).recentChanges).toBe(0);
  });
});
