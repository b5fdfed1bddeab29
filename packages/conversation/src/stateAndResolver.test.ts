import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createEventBus } from "@espada/infra-core";
import {
  InfrastructureResourceResolver,
  InfrastructureStateProvider,
  InfrastructureStatusUpdater,
} from "./index.js";
import type { ResourceSnapshot, StateChange } from "./index.js";

const r = (id: string, name: string, type: string, environment?: string): ResourceSnapshot => ({
  id,
  name,
  type,
  updatedAt: 0,
  ...(environment === undefined ? {} : { environment }),
});

describe("InfrastructureStateProvider", () => {
  it("hands out one frozen resource array until a resource changes", () => {
    const state = new InfrastructureStateProvider();
    state.upsertResource(r("i-1", "web-1", "compute"));
    const first = state.snapshotResources();
    expect(Object.isFrozen(first)).toBe(true);
    expect(state.snapshotResources()).toBe(first);
    state.upsertResource(r("i-2", "web-2", "compute"));
    const second = state.snapshotResources();
    expect(second).not.toBe(first);
    expect(second.map((x) => x.id)).toEqual(["i-1", "i-2"]);
    state.removeResource("i-1");
    expect(state.snapshotResources().map((x) => x.id)).toEqual(["i-2"]);
    expect(first.map((x) => x.id)).toEqual(["i-1"]);
  });

  it("keeps resources, metrics and running operations, and tells subscribers", async () => {
    let now = 1_000_000;
    const changes: StateChange[] = [];
    const state = new InfrastructureStateProvider({
      now: () => now,
      sources: [
        { listResources: () => Promise.resolve([r("i-1", "web-1", "compute")]) },
        { listResources: () => Promise.reject(new Error("down")) },
      ],
    });
    state.subscribe((c) => changes.push(c));
    const refreshed = await state.refresh();
    expect(refreshed.resources).toBe(1);
    expect(refreshed.failures).toHaveLength(1);
    for (const [v, t] of [
      [10, 0],
      [30, 60_000],
      [20, 120_000],
    ] as const)
      state.recordMetric("i-1", "cpu", v, now - 120_000 + t);
    expect(state.queryMetric({ resourceId: "i-1", metric: "cpu" }).value).toBe(20);
    expect(state.queryMetric({ resourceId: "i-1", metric: "cpu", aggregate: "avg" }).value).toBe(20);
    expect(
      state.queryMetric({ resourceId: "i-1", metric: "cpu", aggregate: "max", windowMs: 90_000 }).value,
    ).toBe(30);
    expect(
      state.queryMetric({ resourceId: "i-1", metric: "cpu", aggregate: "count", windowMs: 1 }).value,
    ).toBe(1);
    expect(state.queryMetric({ resourceId: "nope", metric: "cpu", aggregate: "count" }).value).toBe(0);
    expect(() => state.recordMetric("i-1", "cpu", Number.NaN)).toThrow(/finite/);
    const updater = new InfrastructureStatusUpdater();
    state.trackOperations(updater);
    updater.start("op-1", { title: "scale" });
    updater.progress("op-1", { percent: 40 });
    const snap = state.snapshot();
    expect(snap.activeOperations.map((o) => [o.operationId, o.percent])).toEqual([["op-1", 40]]);
    expect(snap.metrics).toEqual([{ resourceId: "i-1", metric: "cpu", value: 20, at: now }]);
    expect(changes.some((c) => c.kind === "operation")).toBe(true);
    now += 25 * 3_600_000;
    state.recordMetric("i-1", "cpu", 5);
    expect(state.queryMetric({ resourceId: "i-1", metric: "cpu", aggregate: "count" }).value).toBe(1);
  });

  it("follows resource events", () => {
    const bus = createEventBus();
    const state = new InfrastructureStateProvider();
    state.attach(bus);
    bus.emit("resource:created", {
      timestamp: 5,
      resourceId: "db-1",
      providerId: "p",
      resourceType: "database",
    });
    expect(state.getResource("db-1")?.type).toBe("database");
    bus.emit("resource:deleted", { timestamp: 6, resourceId: "db-1", providerId: "p" });
    expect(state.getResource("db-1")).toBeUndefined();
  });
});

describe("InfrastructureResourceResolver", () => {
  const resolver = new InfrastructureResourceResolver();
  const resources = [
    r("i-0abc", "web-1", "compute", "production"),
    r("i-0abd", "web-2", "compute", "production"),
    r("db-9", "orders-db", "database", "production"),
    r("db-10", "orders-db", "database", "staging"),
  ];

  it("resolves by id, name, fuzzily and from context", () => {
    expect(resolver.resolve("i-0abc", { resources })).toMatchObject({ status: "resolved", via: "id" });
    expect(resolver.resolve("WEB-1", { resources })).toMatchObject({
      status: "resolved",
      via: "name",
      resource: { id: "i-0abc" },
    });
    expect(resolver.resolve("web1", { resources })).toMatchObject({ status: "resolved", via: "name" });
    expect(resolver.resolve("orders-db", { resources, environment: "staging" })).toMatchObject({
      status: "resolved",
      resource: { id: "db-10" },
    });
    expect(resolver.resolve("it", { resources, recent: ["db-9"] })).toMatchObject({
      status: "resolved",
      via: "context",
      resource: { id: "db-9" },
    });
    expect(resolver.resolve("ordrs-db", { resources, environment: "production" })).toMatchObject({
      status: "resolved",
      via: "fuzzy",
      resource: { id: "db-9" },
    });
  });

  it("lists the candidates instead of guessing", () => {
    const two = resolver.resolve("orders-db", { resources });
    expect(two.status).toBe("ambiguous");
    if (two.status === "ambiguous") expect(two.candidates.map((c) => c.id).sort()).toEqual(["db-10", "db-9"]);
    expect(resolver.resolve("web", { resources }).status).toBe("ambiguous");
    expect(resolver.resolve("payments", { resources }).status).toBe("not-found");
  });

  it("never resolves a name that two resources share", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9-]{2,12}$/),
        fc.array(fc.stringMatching(/^[a-z][a-z0-9-]{2,12}$/), { maxLength: 5 }),
        (shared, others) => {
          const pool = [
            r("a", shared, "compute"),
            r("b", shared, "compute"),
            ...others.map((o, i) => r(`o${i}`, o, "compute")),
          ];
          const result = resolver.resolve(shared, { resources: pool });
          if (result.status === "resolved") expect(["a", "b"]).not.toContain(result.resource.id);
          else if (result.status === "ambiguous") expect(result.candidates.length).toBeGreaterThan(1);
        },
      ),
    );
  });

  it("answers the same from the indexes of a frozen snapshot as from a plain array", () => {
    // The state provider's frozen snapshot is resolved through indexes (exact ids, labels, fuzzy
    // candidates); a plain array by scanning every resource. Both must give the same answer.
    // Names made of a few shared parts, so whole-part, prefix and typo matches happen often.
    const part = fc.constantFrom("web", "api", "orders", "order", "db", "cache", "1", "2", "12", "prod");
    const name = fc.array(part, { minLength: 1, maxLength: 3 }).map((p) => p.join("-"));
    const typo = fc
      .tuple(name, fc.nat(), fc.constantFrom("x", "", "e"))
      .map(([n, at, c]) => n.slice(0, at % (n.length + 1)) + c + n.slice((at % (n.length + 1)) + 1));
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            id: fc.oneof(name, fc.constantFrom("i-1", "i-2", "db-3")),
            name: fc.option(name, { nil: undefined }),
            type: fc.constantFrom("compute", "database"),
            environment: fc.constantFrom("production", "staging"),
          }),
          { maxLength: 14 },
        ),
        fc.oneof(name, typo, part, fc.constantFrom("i-1", "db-3", "orde", "webapi", "ordersdb")),
        fc.option(fc.constantFrom("compute", "database"), { nil: undefined }),
        fc.option(fc.constantFrom("production", "staging"), { nil: undefined }),
        (rows, reference, type, environment) => {
          const plain: ResourceSnapshot[] = rows.map((x) => ({
            id: x.id,
            type: x.type,
            environment: x.environment,
            updatedAt: 0,
            ...(x.name === undefined ? {} : { name: x.name }),
          }));
          const frozen = Object.freeze([...plain]);
          const context = {
            ...(type === undefined ? {} : { type }),
            ...(environment === undefined ? {} : { environment }),
          };
          const viaIndex = new InfrastructureResourceResolver().resolve(reference, {
            resources: frozen,
            ...context,
          });
          const viaScan = new InfrastructureResourceResolver().resolve(reference, {
            resources: plain,
            ...context,
          });
          expect(viaIndex).toEqual(viaScan);
        },
      ),
      { numRuns: 500 },
    );
  });
});
