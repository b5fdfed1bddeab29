import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { INFRA_PERMISSIONS } from "@espada/infra-core";
import type { DenyRule, InfraPermission, Role, RoleAssignment } from "@espada/infra-core";
import { InfrastructureRBACManager } from "./rbac.js";
import type { AccessQuery, RbacPolicies } from "./rbac.js";
import { Clock, memoryStore, policies, RecordingAudit, WEDNESDAY_NOON_UTC } from "../test/support.js";

function manager(
  p: Partial<RbacPolicies> = {},
  clock = new Clock(WEDNESDAY_NOON_UTC),
): InfrastructureRBACManager {
  const defaults = policies();
  return new InfrastructureRBACManager(
    { roles: p.roles ?? defaults.roles, assignments: p.assignments ?? [], denyRules: p.denyRules ?? [] },
    { store: memoryStore(clock), now: clock.now },
  );
}

const q = (
  userId: string,
  permission: InfraPermission,
  environment: string,
  extra: Partial<AccessQuery> = {},
): AccessQuery => ({ userId, permission, environment, ...extra });

describe("InfrastructureRBACManager", () => {
  it("denies by default and names why", () => {
    const decision = manager().check(q("nobody", "infra:read", "production"));
    expect(decision).toMatchObject({ allowed: false, decidedBy: { kind: "default-deny" } });
    expect(decision.reason).toContain("infra:read");
  });

  it("allows through a role and names the role", () => {
    const rbac = manager({ assignments: [{ userId: "ann", roleId: "sre" }] });
    expect(rbac.check(q("ann", "infra:delete", "production"))).toMatchObject({
      allowed: true,
      decidedBy: { kind: "role", id: "sre" },
    });
    expect(rbac.check(q("ann", "infra:admin", "production")).allowed).toBe(false);
  });

  it("scopes roles and assignments per environment", () => {
    const rbac = manager({
      assignments: [
        { userId: "dev", roleId: "developer" },
        { userId: "sam", roleId: "sre", environments: ["staging"] },
      ],
    });
    expect(rbac.check(q("dev", "infra:create", "staging")).allowed).toBe(true);
    expect(rbac.check(q("dev", "infra:create", "production")).allowed).toBe(false);
    expect(rbac.check(q("sam", "infra:delete", "staging")).allowed).toBe(true);
    expect(rbac.check(q("sam", "infra:delete", "production")).allowed).toBe(false);
  });

  it("lets an explicit deny beat every allow and names the rule", () => {
    const rbac = manager({
      assignments: [{ userId: "ann", roleId: "admin" }],
      denyRules: [
        {
          id: "no-prod-db-delete",
          permissions: ["infra:delete"],
          environments: ["production"],
          resources: ["*-database-*"],
        },
      ],
    });
    expect(
      rbac.check(q("ann", "infra:delete", "production", { resourceIds: ["main-database-1"] })),
    ).toMatchObject({ allowed: false, decidedBy: { kind: "deny-rule", id: "no-prod-db-delete" } });
    expect(rbac.check(q("ann", "infra:delete", "production", { resourceIds: ["web-1"] })).allowed).toBe(true);
  });

  it("honours role schedules in their time zone", () => {
    const clock = new Clock(Date.UTC(2026, 2, 4, 8, 30)); // Wednesday 08:30 UTC = 09:30 in Paris
    const roles: Role[] = [
      {
        id: "day",
        permissions: ["infra:update"],
        schedule: {
          days: ["mon", "tue", "wed", "thu", "fri"],
          start: "09:00",
          end: "17:00",
          timezone: "Europe/Paris",
        },
      },
    ];
    const rbac = manager({ roles, assignments: [{ userId: "u", roleId: "day" }] }, clock);
    expect(rbac.check(q("u", "infra:update", "production")).allowed).toBe(true);
    clock.value = Date.UTC(2026, 2, 4, 7, 30); // 08:30 Paris
    expect(rbac.check(q("u", "infra:update", "production"))).toMatchObject({
      allowed: false,
      decidedBy: { kind: "role", id: "day" },
    });
  });

  it("enforces cost limits on operations that declare a cost", () => {
    const roles: Role[] = [{ id: "cheap", permissions: ["infra:create"], maxCost: 100 }];
    const rbac = manager({ roles, assignments: [{ userId: "u", roleId: "cheap" }] });
    expect(rbac.check(q("u", "infra:create", "dev", { estimatedCost: 99 })).allowed).toBe(true);
    expect(rbac.check(q("u", "infra:create", "dev", { estimatedCost: 101 })).reason).toContain("exceeds");
    expect(rbac.check(q("u", "infra:create", "dev")).allowed).toBe(true);
  });

  it("ignores expired assignments", () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const rbac = manager(
      {
        assignments: [
          { userId: "t", roleId: "viewer", expiresAt: new Date(WEDNESDAY_NOON_UTC + 1000).toISOString() },
        ],
      },
      clock,
    );
    expect(rbac.check(q("t", "infra:read", "production")).allowed).toBe(true);
    clock.advance(1000);
    expect(rbac.check(q("t", "infra:read", "production")).allowed).toBe(false);
  });

  it("lets nobody grant a role holding permissions they lack, and audits grants", async () => {
    const audit = new RecordingAudit();
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const store = memoryStore(clock);
    const defaults = policies({
      roles: [
        ...policies().roles,
        { id: "access-manager", permissions: ["infra:access", "infra:read", "infra:audit"] },
      ],
    });
    const rbac = new InfrastructureRBACManager(
      {
        roles: defaults.roles,
        assignments: [
          { userId: "root", roleId: "admin" },
          { userId: "am", roleId: "access-manager" },
        ],
        denyRules: [],
      },
      { store, audit, now: clock.now },
    );
    expect(await rbac.assignRole("am", { userId: "x", roleId: "admin" })).toMatchObject({
      ok: false,
      code: "SECURITY_DENIED",
    });
    expect(await rbac.assignRole("am", { userId: "x", roleId: "viewer" })).toEqual({ ok: true });
    expect(await rbac.assignRole("nobody", { userId: "x", roleId: "viewer" })).toMatchObject({
      ok: false,
      code: "SECURITY_DENIED",
    });
    expect(await rbac.assignRole("root", { userId: "x", roleId: "sre", environments: ["staging"] })).toEqual({
      ok: true,
    });
    expect(await rbac.assignRole("root", { userId: "x", roleId: "ghost" })).toMatchObject({
      ok: false,
      code: "NOT_FOUND",
    });
    expect(await rbac.assignRole("root", { userId: "", roleId: "sre" })).toMatchObject({
      ok: false,
      code: "INVALID_ARGUMENT",
    });
    expect(rbac.check(q("x", "infra:delete", "staging")).allowed).toBe(true);
    expect(audit.ofType("role_assigned")).toHaveLength(2);
    expect(audit.ofType("permission_denied")).toHaveLength(2);

    // persisted: a new manager over the same store sees the runtime assignment
    const reopened = new InfrastructureRBACManager(
      { roles: defaults.roles, assignments: [], denyRules: [] },
      { store, now: clock.now },
    );
    await reopened.load();
    expect(reopened.check(q("x", "infra:delete", "staging")).allowed).toBe(true);
    expect(await rbac.revokeRole("root", "x", "sre")).toEqual({ ok: true });
    expect(rbac.check(q("x", "infra:delete", "staging")).allowed).toBe(false);
    expect(audit.ofType("role_revoked")).toHaveLength(1);
  });
});

// --- properties -------------------------------------------------------------------------------

const ENVS = ["production", "staging", "development"] as const;
const USERS = ["u0", "u1", "u2", "u3"] as const;
const ROLE_IDS = ["r0", "r1", "r2", "r3", "r4"] as const;

const permissionArb = fc.constantFrom(...INFRA_PERMISSIONS);
const roleArb = (id: string): fc.Arbitrary<Role> =>
  fc.record(
    {
      id: fc.constant(id),
      permissions: fc.uniqueArray(permissionArb, { maxLength: 6 }),
      environments: fc.option(fc.uniqueArray(fc.constantFrom(...ENVS), { minLength: 1, maxLength: 2 }), {
        nil: undefined,
      }),
      maxCost: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
    },
    { requiredKeys: ["id", "permissions"] },
  );
const assignmentArb: fc.Arbitrary<RoleAssignment> = fc.record(
  {
    userId: fc.constantFrom(...USERS),
    roleId: fc.constantFrom(...ROLE_IDS),
    environments: fc.option(fc.uniqueArray(fc.constantFrom(...ENVS), { minLength: 1, maxLength: 2 }), {
      nil: undefined,
    }),
  },
  { requiredKeys: ["userId", "roleId"] },
);
const denyArb: fc.Arbitrary<DenyRule> = fc.record(
  {
    id: fc.string({ minLength: 1, maxLength: 4 }),
    users: fc.option(fc.uniqueArray(fc.constantFrom(...USERS), { minLength: 1, maxLength: 2 }), {
      nil: undefined,
    }),
    roles: fc.option(fc.uniqueArray(fc.constantFrom(...ROLE_IDS), { minLength: 1, maxLength: 2 }), {
      nil: undefined,
    }),
    permissions: fc.uniqueArray(fc.oneof(permissionArb, fc.constant("*" as const)), {
      minLength: 1,
      maxLength: 3,
    }),
    environments: fc.option(fc.uniqueArray(fc.constantFrom(...ENVS), { minLength: 1, maxLength: 2 }), {
      nil: undefined,
    }),
    resources: fc.option(fc.constant(["*-prod-*"]), { nil: undefined }),
  },
  { requiredKeys: ["id", "permissions"] },
);
const policyArb = fc.record({
  roles: fc.tuple(...ROLE_IDS.map(roleArb)),
  assignments: fc.array(assignmentArb, { maxLength: 8 }),
  denyRules: fc.uniqueArray(denyArb, { maxLength: 3, selector: (r) => r.id }),
});
const queryArb = fc.record({
  userId: fc.constantFrom(...USERS),
  permission: permissionArb,
  environment: fc.constantFrom(...ENVS),
  resourceIds: fc.constantFrom([], ["web-1"], ["a-prod-b"]),
  estimatedCost: fc.option(fc.integer({ min: 0, max: 150 }), { nil: undefined }),
});

function build(p: RbacPolicies): InfrastructureRBACManager {
  return new InfrastructureRBACManager(p, { store: memoryStore(), now: () => WEDNESDAY_NOON_UTC });
}
const outcome = (rbac: InfrastructureRBACManager, query: AccessQuery): string => {
  const d = rbac.check(query);
  return `${String(d.allowed)}:${d.decidedBy.kind}:${d.decidedBy.id ?? ""}`;
};

describe("RBAC properties", () => {
  it("denies by default: with no assignment nothing is allowed", () => {
    fc.assert(
      fc.property(policyArb, queryArb, (p, query) => {
        expect(build({ ...p, assignments: [] }).check(query).allowed).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("lets a matching deny beat any allow", () => {
    fc.assert(
      fc.property(policyArb, queryArb, (p, query) => {
        const rule: DenyRule = {
          id: "zz-deny",
          users: [query.userId],
          permissions: [query.permission],
          environments: [query.environment],
        };
        const everything: Role = { id: "r0", permissions: [...INFRA_PERMISSIONS] };
        const rbac = build({
          roles: [everything, ...p.roles.slice(1)],
          assignments: [...p.assignments, { userId: query.userId, roleId: "r0" }],
          denyRules: [...p.denyRules, rule],
        });
        expect(rbac.check(query).allowed).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("never changes a decision with the order of roles, assignments and rules", () => {
    fc.assert(
      fc.property(policyArb, queryArb, fc.integer(), (p, query, seed) => {
        const shuffle = <T>(xs: readonly T[]): T[] => {
          const out = [...xs];
          let s = seed;
          for (let i = out.length - 1; i > 0; i--) {
            s = (s * 1103515245 + 12345) & 0x7fffffff;
            const j = s % (i + 1);
            [out[i], out[j]] = [out[j] as T, out[i] as T];
          }
          return out;
        };
        const a = build(p);
        const b = build({
          roles: shuffle(p.roles),
          assignments: shuffle(p.assignments),
          denyRules: shuffle(p.denyRules),
        });
        expect(outcome(b, query)).toBe(outcome(a, query));
      }),
      { numRuns: 400 },
    );
  });

  it("never turns a deny into an allow by removing a permission", () => {
    fc.assert(
      fc.property(
        policyArb,
        queryArb,
        fc.nat({ max: ROLE_IDS.length - 1 }),
        permissionArb,
        (p, query, roleIndex, removed) => {
          const before = build(p).check(query);
          const roles = p.roles.map((r, i) =>
            i === roleIndex ? { ...r, permissions: r.permissions.filter((x) => x !== removed) } : r,
          );
          const after = build({ ...p, roles }).check(query);
          if (!before.allowed) expect(after.allowed).toBe(false);
        },
      ),
      { numRuns: 400 },
    );
  });
});

const WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

const RESOURCE_LISTS: readonly (readonly string[])[] = [
  [],
  ["web-1"],
  ["a-prod-b"],
  ["web-1", "a-prod-b"],
  ['["a-prod-b"]'],
];

describe("RBAC remembered decisions", () => {
  // a narrow question space, so the same question comes back before and after a change
  const askArb = fc.record({
    userId: fc.constantFrom("u0", "u1"),
    permission: fc.constantFrom<InfraPermission>("infra:read", "infra:delete", "infra:update"),
    environment: fc.constantFrom("production", "staging"),
    resourceIds: fc.constantFrom(...RESOURCE_LISTS),
    estimatedCost: fc.option(fc.integer({ min: 0, max: 150 }), { nil: undefined, freq: 4 }),
  });
  const change = fc.oneof(
    {
      arbitrary: fc.record({
        kind: fc.constant("ask" as const),
        query: askArb,
        // up to three hours either way: crosses assignment expiries, schedule boundaries and (by up
        // to a minute and a half) the minute boundaries answers of scheduled roles are kept for
        dt: fc.oneof(
          fc.integer({ min: -3000, max: 3000 }),
          fc.integer({ min: -90_000, max: 90_000 }),
          fc.integer({ min: -3, max: 3 }).map((h) => h * 3_600_000),
        ),
      }),
      weight: 4,
    },
    fc.record({ kind: fc.constant("reload" as const), policies: policyArb }),
    fc.record({
      kind: fc.constant("assign" as const),
      userId: fc.constantFrom("u0", "u1"),
      roleId: fc.constantFrom(...ROLE_IDS),
      expiresInMs: fc.option(fc.integer({ min: 1, max: 5000 }), { nil: undefined }),
    }),
    fc.record({
      kind: fc.constant("revoke" as const),
      userId: fc.constantFrom("u0", "u1"),
      roleId: fc.constantFrom(...ROLE_IDS),
    }),
  );

  it("answers exactly as an uncached check, across reloads, role changes and expiries", async () => {
    await fc.assert(
      fc.asyncProperty(policyArb, fc.array(change, { maxLength: 30 }), async (p, steps) => {
        const clock = new Clock(WEDNESDAY_NOON_UTC);
        // "root" may grant every role everywhere
        // every other role works 11:00–12:01 UTC only (the clock starts at 12:00), so some answers depend on the minute
        const base = (x: RbacPolicies): RbacPolicies => ({
          roles: [
            ...x.roles.map((r, i) =>
              i % 2 === 0
                ? r
                : { ...r, schedule: { days: [...WEEK], start: "11:00", end: "12:01", timezone: "UTC" } },
            ),
            { id: "root", permissions: [...INFRA_PERMISSIONS] },
          ],
          assignments: [...x.assignments, { userId: "root", roleId: "root" }],
          // no rule denies root the grant itself
          denyRules: x.denyRules
            .map((r) => ({
              ...r,
              permissions: r.permissions.filter((p) => p !== "*" && p !== "infra:access"),
            }))
            .filter((r) => r.permissions.length > 0),
        });
        const rbac = new InfrastructureRBACManager(base(p), {
          store: memoryStore(clock),
          now: clock.now,
        });
        for (const step of steps) {
          if (step.kind === "ask") {
            clock.value = Math.max(0, clock.value + step.dt);
            const query: AccessQuery = { ...step.query, at: clock.value };
            // asked twice: the second answer comes from memory
            expect(rbac.decide(query)).toEqual(rbac.check(query));
            expect(rbac.decide(query)).toEqual(rbac.check(query));
            expect(rbac.decide({ ...step.query })).toEqual(rbac.check({ ...step.query }));
            const answer = rbac.answer(query);
            expect(answer.reason).toEqual({
              check: "rbac",
              passed: answer.decision.allowed,
              message: answer.decision.reason,
            });
            // the same question about every other resource list (answers kept per list where a rule names resources)
            for (const resourceIds of RESOURCE_LISTS) {
              const other: AccessQuery = { ...query, resourceIds };
              expect(rbac.decide(other)).toEqual(rbac.check(other));
            }
          } else if (step.kind === "reload") {
            rbac.setPolicies(base(step.policies));
          } else if (step.kind === "assign") {
            const result = await rbac.assignRole("root", {
              userId: step.userId,
              roleId: step.roleId,
              ...(step.expiresInMs === undefined
                ? {}
                : { expiresAt: new Date(clock.value + step.expiresInMs).toISOString() }),
            });
            // refused when a deny rule takes one of the role's permissions from root
            expect(result.ok || result.code === "SECURITY_DENIED").toBe(true);
          } else {
            await rbac.revokeRole("root", step.userId, step.roleId);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("remembers answers of scheduled roles for the current minute only; decides cost questions of cost-limited roles afresh", () => {
    const clock = new Clock(Date.UTC(2026, 2, 4, 8, 30)); // Wednesday 09:30 in Paris
    const roles: Role[] = [
      {
        id: "day",
        permissions: ["infra:update"],
        schedule: { days: ["wed"], start: "09:00", end: "17:00", timezone: "Europe/Paris" },
      },
      { id: "cheap", permissions: ["infra:create"], maxCost: 100 },
    ];
    const rbac = manager(
      {
        roles,
        assignments: [
          { userId: "u", roleId: "day" },
          { userId: "c", roleId: "cheap" },
        ],
      },
      clock,
    );
    expect(rbac.decide(q("u", "infra:update", "production")).allowed).toBe(true);
    clock.value = Date.UTC(2026, 2, 4, 7, 30); // 08:30 Paris
    expect(rbac.decide(q("u", "infra:update", "production")).allowed).toBe(false);
    clock.value = Date.UTC(2026, 2, 4, 7, 59, 30); // 08:59:30 Paris
    expect(rbac.decide(q("u", "infra:update", "production")).allowed).toBe(false);
    clock.advance(29_999); // 08:59:59.999, the same minute: remembered
    expect(rbac.decide(q("u", "infra:update", "production")).allowed).toBe(false);
    clock.advance(1); // 09:00:00.000: the window opened with the new minute
    expect(rbac.decide(q("u", "infra:update", "production")).allowed).toBe(true);
    clock.advance(-1); // back to 08:59:59.999
    expect(rbac.decide(q("u", "infra:update", "production")).allowed).toBe(false);
    expect(rbac.decide(q("c", "infra:create", "dev", { estimatedCost: 99 })).allowed).toBe(true);
    expect(rbac.decide(q("c", "infra:create", "dev", { estimatedCost: 101 })).allowed).toBe(false);
  });

  it("answers of scheduled roles equal an uncached check at every instant near the schedules' edges", () => {
    const clock = (h: number, m: number): string =>
      `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
    const scheduleArb = fc.record({
      start: fc.tuple(fc.integer({ min: 11, max: 12 }), fc.integer({ min: 0, max: 59 })),
      end: fc.tuple(fc.integer({ min: 11, max: 12 }), fc.integer({ min: 0, max: 59 })),
      timezone: fc.constantFrom("UTC", "Europe/London", "Asia/Kolkata", "America/St_Johns"),
    });
    // Kolkata (+05:30) and St John's (-03:30) are half-hour zones: local minutes still turn with UTC ones
    fc.assert(
      fc.property(
        fc.array(scheduleArb, { minLength: 1, maxLength: 3 }),
        fc.array(fc.integer({ min: -150_000, max: 150_000 }), { minLength: 1, maxLength: 40 }),
        (schedules, steps) => {
          const roles: Role[] = schedules.map((x, i) => ({
            id: `s${i}`,
            permissions: ["infra:update"],
            schedule: {
              days: [...WEEK],
              start: clock(...x.start),
              end: clock(...x.end),
              timezone: x.timezone,
            },
          }));
          // the clock walks around 11:00–13:00 local time of the first schedule's zone
          const zoneOffsetMs: Record<string, number> = {
            UTC: 0,
            "Europe/London": 0,
            "Asia/Kolkata": 5.5 * 3_600_000,
            "America/St_Johns": -3.5 * 3_600_000,
          };
          const first = schedules[0]?.timezone ?? "UTC";
          const t = new Clock(WEDNESDAY_NOON_UTC - (zoneOffsetMs[first] ?? 0));
          const rbac = manager({ roles, assignments: roles.map((r) => ({ userId: "u", roleId: r.id })) }, t);
          for (const dt of steps) {
            t.advance(dt);
            const query = q("u", "infra:update", "production", { at: t.value });
            expect(rbac.decide(query)).toEqual(rbac.check(query));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("forgets an assignment that expired, and does not use one made later for an earlier time", () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const until = new Date(WEDNESDAY_NOON_UTC + 1000).toISOString();
    const rbac = manager({ assignments: [{ userId: "t", roleId: "viewer", expiresAt: until }] }, clock);
    expect(rbac.decide(q("t", "infra:read", "production")).allowed).toBe(true);
    clock.advance(1000);
    expect(rbac.decide(q("t", "infra:read", "production")).allowed).toBe(false);
    clock.advance(-1);
    expect(rbac.decide(q("t", "infra:read", "production")).allowed).toBe(true);
  });
});
