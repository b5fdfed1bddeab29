import { describe, expect, it } from "vitest";
import type { GateDecision, OperationRequest, SecurityPoliciesInput } from "@espada/infra-core";
import { INFRA_PERMISSIONS, RISK_LEVELS } from "@espada/infra-core";
import { InfrastructureSecurityFacade } from "./facade.js";
import { permissionFor } from "./operation.js";
import { Clock, countingStore, memoryStore, WEDNESDAY_NOON_UTC } from "../test/support.js";
import { TamperStore } from "../test/tamperStore.js";

const KEY = Buffer.alloc(32, 3);
const ASSIGNMENTS: SecurityPoliciesInput["assignments"] = [
  { userId: "root", roleId: "admin" },
  { userId: "boss", roleId: "admin" },
  { userId: "ops", roleId: "sre" },
  { userId: "dev", roleId: "developer" },
  { userId: "eve", roleId: "viewer" },
];

let seq = 0;
function req(partial: Partial<OperationRequest> = {}): OperationRequest {
  seq += 1;
  return {
    operationId: `op-${seq}`,
    commandId: "list-instances",
    commandCategory: "monitor",
    providerId: "aws",
    userId: "dev",
    environment: "development",
    params: {},
    resourceIds: [],
    dangerous: false,
    mutating:
      partial.commandCategory !== undefined &&
      partial.commandCategory !== "monitor" &&
      partial.commandCategory !== "cost",
    dryRun: false,
    rollbackAvailable: false,
    confirmationRequired: false,
    confirmationReasons: [],
    confirmed: false,
    resumed: false,
    ...partial,
  };
}
const deleteDb = (partial: Partial<OperationRequest> = {}): OperationRequest =>
  req({
    commandId: "delete-cluster",
    commandCategory: "provision",
    userId: "ops",
    environment: "production",
    resourceIds: ["main-database-cluster"],
    params: { cluster: "main-database-cluster" },
    dangerous: true,
    ...partial,
  });

async function facade(
  policies: SecurityPoliciesInput = {},
  clock = new Clock(WEDNESDAY_NOON_UTC),
  store = memoryStore(clock),
  readOnlyWhenAuditUnavailable = false,
) {
  const f = await InfrastructureSecurityFacade.create({
    store,
    policies: { assignments: ASSIGNMENTS, ...policies },
    audit: { key: KEY },
    now: clock.now,
    timers: false,
    readOnlyWhenAuditUnavailable,
  });
  return { f, clock, store };
}
const checks = (d: GateDecision): string[] =>
  d.reasons.map((r) => `${r.check}:${r.passed ? "pass" : "fail"}`);

describe("InfrastructureSecurityFacade.checkOperation", () => {
  it("allows listing instances in development with a minimal risk and one reason per check", async () => {
    const { f } = await facade();
    const d = await f.checkOperation(req());
    expect(d.outcome).toBe("allowed");
    expect(d.risk.level).toBe("minimal");
    expect(checks(d)).toEqual([
      "risk:pass",
      "break-glass:pass",
      "rbac:pass",
      "time-window:pass",
      "approval:pass",
    ]);
  });

  it("asks for approval to delete the production database cluster (critical), then allows it once approved", async () => {
    const { f } = await facade();
    const request = deleteDb();
    const first = await f.checkOperation(request);
    expect(first).toMatchObject({ outcome: "needs-approval", risk: { level: "critical" } });
    expect(first.reasons.find((r) => r.check === "risk")?.message).toMatch(
      /production environment \(2×\).*delete operation \(90\)|delete operation \(90\).*production/,
    );
    if (first.outcome !== "needs-approval") throw new Error("expected needs-approval");
    expect(await f.checkOperation({ ...request, approvalId: first.approvalId })).toMatchObject({
      outcome: "needs-approval",
      approvalId: first.approvalId,
    });
    expect(await f.approvals.approve(first.approvalId, "ops")).toMatchObject({ ok: false }); // requester
    expect(await f.approvals.approve(first.approvalId, "boss")).toMatchObject({
      ok: true,
      request: { status: "approved" },
    });
    const resumed = await f.checkOperation({ ...request, approvalId: first.approvalId });
    expect(resumed.outcome).toBe("allowed");
    expect(checks(resumed)).toContain("approval:pass");
    // the approval is bound to its operation
    expect((await f.checkOperation({ ...deleteDb(), approvalId: first.approvalId })).outcome).toBe("denied");
    await f.reportOutcome({
      operationId: request.operationId,
      userId: "ops",
      resourceIds: request.resourceIds,
      outcome: "success",
      mutating: true,
    });
    expect((await f.checkOperation({ ...request, approvalId: first.approvalId })).outcome).toBe("denied"); // consumed
  });

  it("gives an operation already waiting for approval its pending request back, and a new one once it is decided", async () => {
    const { f } = await facade();
    const request = deleteDb();
    const first = await f.checkOperation(request);
    const again = await f.checkOperation(request);
    if (first.outcome !== "needs-approval" || again.outcome !== "needs-approval")
      throw new Error("expected needs-approval");
    expect(again.approvalId).toBe(first.approvalId);
    expect(again.reasons.find((r) => r.check === "approval")?.message).toContain("already pending");
    const otherParams = await f.checkOperation({ ...request, params: { cluster: "other-database" } });
    expect(otherParams).toMatchObject({ outcome: "needs-approval" });
    if (otherParams.outcome !== "needs-approval") return;
    expect(otherParams.approvalId).not.toBe(first.approvalId);
    expect(await f.approvals.reject(otherParams.approvalId, "boss", "no")).toMatchObject({ ok: true });
    const afterReject = await f.checkOperation({ ...request, params: { cluster: "other-database" } });
    if (afterReject.outcome !== "needs-approval") throw new Error("expected needs-approval");
    expect(afterReject.approvalId).not.toBe(otherParams.approvalId);
    expect((await f.approvals.list("pending")).length).toBe(2);
  });

  it("checks the permission the operation needs, never one fixed permission", async () => {
    const { f } = await facade();
    expect((await f.checkOperation(req({ userId: "eve", environment: "production" }))).outcome).toBe(
      "allowed",
    );
    const scale = await f.checkOperation(
      req({ userId: "eve", commandId: "scale-group", commandCategory: "manage", environment: "production" }),
    );
    expect(scale.outcome).toBe("denied");
    expect(scale.reasons.find((r) => r.check === "rbac")?.message).toContain("infra:scale");
    const del = await f.checkOperation(
      req({
        userId: "dev",
        commandId: "delete-instance",
        commandCategory: "provision",
        environment: "production",
        resourceIds: ["web-1"],
      }),
    );
    expect(del.reasons.find((r) => r.check === "rbac")?.message).toContain("infra:delete");
    expect(permissionFor("provision", "createInstance")).toBe("infra:create");
    expect(permissionFor("manage", "restore-snapshot")).toBe("infra:restore");
    expect(permissionFor("manage", "backup-db")).toBe("infra:backup");
    expect(permissionFor("manage", "list-backups")).toBe("infra:read");
    expect(permissionFor("manage", "update-firewall-rules")).toBe("infra:network");
    expect(permissionFor("security", "rotate-keys")).toBe("infra:security");
    expect(permissionFor("utility", "status")).toBe("infra:read");
    expect(permissionFor("manage", "whatever", "infra:migrate")).toBe("infra:migrate");
  });

  it("audits denials and grants, and never writes a secret into the audit", async () => {
    const { f } = await facade();
    await f.checkOperation(req({ userId: "nobody", params: { password: "hunter2" } }));
    await f.checkOperation(req({ params: { apiToken: "tok-123" } }));
    const log = f.auditLog;
    if (log === undefined) throw new Error("audit expected");
    const records = await log.query();
    expect(records.map((r) => r.type)).toEqual(["permission_denied", "permission_granted"]);
    expect(JSON.stringify(records)).not.toMatch(/hunter2|tok-123/);
    expect(await log.verify()).toMatchObject({ ok: true });
  });

  it("lets an active break-glass session bypass RBAC, windows and approvals, audited", async () => {
    const { f } = await facade({
      timeWindows: [
        {
          id: "never-on-wednesday",
          environments: ["production"],
          days: ["sat"],
          start: "00:00",
          end: "01:00",
        },
      ],
    });
    expect((await f.checkOperation(deleteDb())).outcome).toBe("denied"); // outside the window
    const activation = await f.breakGlass.activate({
      userId: "ops",
      environment: "production",
      reasonCode: "outage",
      justification: "primary region down, failing over",
    });
    expect(activation.ok).toBe(true);
    const d = await f.checkOperation(deleteDb());
    expect(d.outcome).toBe("allowed");
    expect(checks(d)).toEqual(["risk:pass", "break-glass:pass"]);
    const records = (await f.auditLog?.query({ types: ["permission_granted"] })) ?? [];
    expect(records.at(-1)?.details).toMatchObject({
      breakGlassSessionId: activation.ok ? activation.session.id : "",
    });
  });

  it("denies outside deployment windows and during blackouts; an emergency override opens them", async () => {
    const { f } = await facade({
      timeWindows: [
        {
          id: "weekend-only",
          environments: ["production"],
          days: ["sat", "sun"],
          start: "00:00",
          end: "24:00",
        },
      ],
      approvalChains: [],
    });
    const denied = await f.checkOperation(
      req({
        userId: "ops",
        environment: "production",
        commandId: "update-config",
        commandCategory: "manage",
        confirmed: true,
      }),
    );
    expect(denied.outcome).toBe("denied");
    expect(denied.reasons.at(-1)).toMatchObject({ check: "time-window", passed: false });
    await expect(f.overrideTimeWindows("dev", "production", "hotfix", 60_000)).rejects.toMatchObject({
      code: "SECURITY_DENIED",
    });
    await f.overrideTimeWindows("ops", "production", "hotfix for sev1", 60_000);
    expect(
      (
        await f.checkOperation(
          req({
            userId: "ops",
            environment: "production",
            commandId: "update-config",
            commandCategory: "manage",
            confirmed: true,
          }),
        )
      ).outcome,
    ).toBe("allowed");
  });

  it("asks for confirmation of high-risk operations without an approval chain", async () => {
    const { f } = await facade({ approvalChains: [] });
    const request = req({
      userId: "ops",
      environment: "production",
      commandId: "update-config",
      commandCategory: "manage",
      resourceIds: ["api-prod-1"],
    });
    const d = await f.checkOperation(request);
    expect(d.outcome).toBe("needs-confirmation");
    expect((await f.checkOperation({ ...request, confirmed: true })).outcome).toBe("allowed");
  });

  it("enforces role rate limits through the store", async () => {
    const { f, clock } = await facade({
      roles: [
        { id: "limited", permissions: ["infra:read"], rateLimit: { maxOperations: 2, windowMs: 60_000 } },
      ],
      assignments: [{ userId: "bot", roleId: "limited" }],
      approvalChains: [],
    });
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push((await f.checkOperation(req({ userId: "bot" }))).outcome);
    expect(outcomes).toEqual(["allowed", "allowed", "denied"]);
    clock.advance(60_000);
    expect((await f.checkOperation(req({ userId: "bot" }))).outcome).toBe("allowed");
  });

  it("what-if decides exactly like a real check and records nothing", async () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const counting = countingStore(memoryStore(clock));
    const { f } = await facade(
      {
        roles: [
          ...(await facade()).f.policies.roles,
          { id: "limited", permissions: ["infra:read"], rateLimit: { maxOperations: 1, windowMs: 60_000 } },
        ],
        assignments: [...(ASSIGNMENTS ?? []), { userId: "bot", roleId: "limited" }],
      },
      clock,
      counting.store as never,
    );
    const auditSize = f.auditLog?.size;
    counting.reset();
    const requests = [
      req(),
      deleteDb(),
      req({ userId: "nobody" }),
      req({ userId: "bot" }),
      req({ userId: "ops", environment: "production", commandId: "update-x", commandCategory: "manage" }),
    ];
    const hypothetical = [];
    for (const r of requests) hypothetical.push(await f.whatIf(r));
    expect(counting.writes()).toBe(0);
    expect(f.auditLog?.size).toBe(auditSize);
    expect(await f.approvals.list()).toEqual([]);
    const real = [];
    for (const r of requests) real.push(await f.checkOperation(r));
    expect(hypothetical.map((d) => d.outcome)).toEqual(real.map((d) => d.outcome));
    expect(hypothetical.map((d) => d.risk.score)).toEqual(real.map((d) => d.risk.score));
  });

  it("fails closed: when the audit cannot be written, mutating operations are denied (read-only ones by policy)", async () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const store = new TamperStore(memoryStore(clock));
    const { f } = await facade({ approvalChains: [] }, clock, store as never, true);
    store.failAppends = true;
    const write = await f.checkOperation(
      req({ commandId: "create-instance", commandCategory: "provision", confirmed: true }),
    );
    expect(write.outcome).toBe("denied");
    expect(write.reasons.at(-1)?.message).toContain("audit log unavailable");
    expect((await f.checkOperation(req())).outcome).toBe("allowed");
    await expect(
      f.reloadPolicies({ ...f.policies, confirmAtRiskLevel: "critical" }, "root"),
    ).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    expect(f.policies.confirmAtRiskLevel).toBe("high"); // not applied without its audit record
    store.failAppends = false;
    const { f: strict } = await facade({ approvalChains: [] }, clock, memoryStore(clock));
    void strict;
    const failing = new TamperStore(memoryStore(clock));
    const { f: noReadOnly } = await facade({ approvalChains: [] }, clock, failing as never);
    failing.failAppends = true;
    expect((await noReadOnly.checkOperation(req())).outcome).toBe("denied");
  });

  it("feeds reported outcomes into the user-history and recent-changes factors", async () => {
    const { f } = await facade({ approvalChains: [] });
    const request = req({ commandId: "update-web", commandCategory: "manage", resourceIds: ["web-1"] });
    const before = await f.whatIf(request);
    for (let i = 0; i < 5; i++)
      await f.reportOutcome({
        operationId: `x${i}`,
        userId: "dev",
        resourceIds: ["web-1"],
        outcome: "failure",
        mutating: true,
      });
    const after = await f.whatIf(request);
    const factor = (d: GateDecision, name: string): number =>
      d.risk.factors.find((x) => x.name === name)?.value ?? -1;
    expect(factor(after, "user-history")).toBeGreaterThan(factor(before, "user-history"));
    expect(factor(after, "recent-changes")).toBeGreaterThan(factor(before, "recent-changes"));
    expect(after.risk.score).toBeGreaterThan(before.risk.score);
  });

  it("hears outcomes through core's recordOutcome and consumes the approval named in the request", async () => {
    const { f } = await facade();
    const request = deleteDb();
    const first = await f.checkOperation(request);
    if (first.outcome !== "needs-approval") throw new Error("expected needs-approval");
    await f.approvals.approve(first.approvalId, "boss");
    const resumed = { ...request, approvalId: first.approvalId, approvedBy: "boss", resumed: true };
    expect((await f.checkOperation(resumed)).outcome).toBe("allowed");
    await f.recordOutcome({
      operationId: request.operationId,
      result: "failure",
      request: resumed,
      affectedResources: ["main-database-cluster"],
      duration: 5,
      finishedAt: WEDNESDAY_NOON_UTC,
    });
    expect((await f.approvals.get(first.approvalId))?.status).toBe("consumed");
    const signals = await f.activity.signals("ops", ["main-database-cluster"]);
    expect(signals).toMatchObject({ userFailures: 1, recentChanges: 1 });
  });

  it("keeps a confirmation the validator requires, with its reasons", async () => {
    const { f } = await facade();
    const d = await f.checkOperation(
      req({ confirmationRequired: true, confirmationReasons: ["dangerous command"] }),
    );
    expect(d.outcome).toBe("needs-confirmation");
    expect(d.reasons.at(-1)?.message).toContain("dangerous command");
    expect(
      (
        await f.checkOperation(
          req({
            confirmationRequired: true,
            confirmationReasons: ["dangerous command"],
            confirmed: true,
            confirmedBy: "dev",
          }),
        )
      ).outcome,
    ).toBe("allowed");
  });

  it("reloads policies without a restart: invalid input changes nothing, a valid one is audited as policy_changed", async () => {
    const { f } = await facade();
    const bad = await f.reloadPolicies({ assignments: [{ userId: "eve", roleId: "ghost" }] }, "root");
    expect(bad).toMatchObject({
      success: false,
      errors: [{ code: "UNKNOWN_ROLE", path: "assignments[0].roleId" }],
    });
    expect((await f.checkOperation(req({ userId: "eve" }))).outcome).toBe("allowed");
    const good = await f.reloadPolicies({ assignments: [{ userId: "root", roleId: "admin" }] }, "root");
    expect(good.success).toBe(true);
    expect((await f.checkOperation(req({ userId: "eve" }))).outcome).toBe("denied");
    const changed = await f.auditLog?.query({ types: ["policy_changed"] });
    expect(changed?.[0]).toMatchObject({ actor: "root", details: { sections: ["assignments"] } });
  });

  it("its memos follow a reload, a role grant and the clock: no decision is served from before the change", async () => {
    const { f, clock } = await facade({
      roles: [
        { id: "admin", permissions: [...INFRA_PERMISSIONS] },
        {
          id: "limited",
          permissions: ["infra:read", "infra:update"],
          rateLimit: { maxOperations: 5, windowMs: 3_600_000 },
        },
      ],
      assignments: [
        { userId: "root", roleId: "admin" },
        { userId: "bot", roleId: "limited" },
      ],
      approvalChains: [],
      timeWindows: [
        {
          id: "office",
          environments: ["staging"],
          days: ["wed"],
          start: "11:00",
          end: "12:01",
          timezone: "UTC",
        },
      ],
    });
    const update = (partial: Partial<OperationRequest> = {}): OperationRequest =>
      req({
        userId: "bot",
        environment: "staging",
        commandId: "update-config",
        commandCategory: "manage",
        confirmed: true,
        ...partial,
      });
    const first = await f.checkOperation(update());
    expect(first.outcome).toBe("allowed");
    expect(first.reasons.find((r) => r.check === "rate-limit")?.message).toBe(
      '1 of 5 operations in 3600000 ms for role "limited"',
    );
    expect(first.reasons.find((r) => r.check === "approval")?.message).toBe(
      "no approval chain for low risk in staging",
    );
    const before = first.risk;

    // a reload: new multiplier, a chain for this level, a new limit; every memo follows
    await f.reloadPolicies(
      {
        ...f.policies,
        risk: {
          ...f.policies.risk,
          environmentMultipliers: { ...f.policies.risk.environmentMultipliers, staging: 1.6 },
        },
        roles: f.policies.roles.map((r) =>
          r.id === "limited" ? { ...r, rateLimit: { maxOperations: 7, windowMs: 3_600_000 } } : r,
        ),
        approvalChains: [
          {
            id: "any",
            riskLevels: [...RISK_LEVELS],
            environments: ["staging"],
            steps: [{ role: "admin", approvers: 1 }],
          },
        ],
      },
      "root",
    );
    const second = await f.checkOperation(update());
    expect(second.risk.score).toBeGreaterThan(before.score);
    expect(second.risk.factors.find((x) => x.name === "environment")?.description).toBe(
      "staging environment (1.6×)",
    );
    expect(second.reasons.find((r) => r.check === "rate-limit")?.message).toMatch(
      / of 7 operations in 3600000 ms for role "limited"$/,
    );
    expect(second.outcome).toBe("needs-approval");
    await f.reloadPolicies({ ...f.policies, approvalChains: [] }, "root");
    const third = await f.checkOperation(update());
    expect(third.outcome).toBe("allowed");
    expect(third.reasons.find((r) => r.check === "approval")?.message).toMatch(
      /^no approval chain for \w+ risk in staging$/,
    );

    // a role granted at runtime is used by the next check
    const denied = await f.checkOperation(update({ userId: "eve" }));
    expect(denied.outcome).toBe("denied");
    expect((await f.rbac.assignRole("root", { userId: "eve", roleId: "limited" })).ok).toBe(true);
    expect((await f.checkOperation(update({ userId: "eve" }))).outcome).toBe("allowed");

    // the window closes at 12:01 UTC: the answer remembered for 12:00 is not used in the next minute
    expect((await f.checkOperation(update())).outcome).toBe("allowed");
    clock.advance(59_999);
    expect((await f.checkOperation(update())).outcome).toBe("allowed");
    clock.advance(1);
    const closed = await f.checkOperation(update());
    expect(closed.outcome).toBe("denied");
    expect(closed.reasons.at(-1)?.check).toBe("time-window");
    clock.advance(-1); // a clock stepping back is asked again too
    expect((await f.checkOperation(update())).outcome).toBe("allowed");
  });

  it("refuses invalid policies at creation with paths", async () => {
    await expect(
      InfrastructureSecurityFacade.create({
        store: memoryStore(),
        policies: { roles: [{ id: "x", permissions: ["infra:fly"] }] } as never,
        audit: false,
      }),
    ).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      issues: expect.arrayContaining([
        expect.objectContaining({ path: "roles[0].permissions[0]" }),
        expect.objectContaining({ code: "UNKNOWN_ROLE", path: "approvalChains" }),
      ]) as unknown,
    });
  });

  it("builds itself from core's securityConfig section: policies, audit on/off, read-only fallback, full paths on errors", async () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const store = memoryStore(clock);
    const f = await InfrastructureSecurityFacade.fromConfig(
      {
        audit: { enabled: true, readOnlyWhenUnavailable: true },
        policies: { assignments: [{ userId: "dev", roleId: "developer" }] },
      },
      { store, auditKey: KEY, now: clock.now, timers: false },
    );
    expect((await f.checkOperation(req())).outcome).toBe("allowed");
    expect(f.auditLog?.size).toBe(1);
    expect(f.policies.assignments).toEqual([{ userId: "dev", roleId: "developer" }]);
    await f.close();
    const off = await InfrastructureSecurityFacade.fromConfig(
      { audit: { enabled: false } },
      { store: memoryStore(clock), now: clock.now, timers: false },
    );
    expect(off.auditLog).toBeUndefined();
    expect((await off.checkOperation(req())).outcome).toBe("denied"); // default policies: nobody is assigned
    await expect(
      InfrastructureSecurityFacade.fromConfig(
        { policies: { roles: [{ id: "ops", permissions: ["infra:read"] }] }, typo: 1 },
        { store: memoryStore() },
      ),
    ).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      issues: expect.arrayContaining([
        expect.objectContaining({ code: "UNKNOWN_ROLE", path: "securityConfig.policies.approvalChains" }),
        expect.objectContaining({ path: "securityConfig.typo" }),
      ]) as unknown,
    });
  });

  it("with audit.logAllCommands off, records mutating and denied operations but not allowed read-only ones", async () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const f = await InfrastructureSecurityFacade.fromConfig(
      {
        audit: { enabled: true, logAllCommands: false },
        policies: { assignments: [{ userId: "dev", roleId: "developer" }] },
      },
      { store: memoryStore(clock), auditKey: KEY, now: clock.now, timers: false },
    );
    expect((await f.checkOperation(req())).outcome).toBe("allowed"); // read-only: not recorded
    expect(f.auditLog?.size).toBe(0);
    const create = req({ commandId: "create-instance", commandCategory: "provision", confirmed: true });
    expect((await f.checkOperation(create)).outcome).toBe("allowed");
    expect((await f.checkOperation(req({ userId: "nobody" }))).outcome).toBe("denied");
    await f.record({
      type: "operation_completed",
      actor: "dev",
      outcome: "success",
      details: { mutating: false },
    });
    await f.record({
      type: "operation_failed",
      actor: "dev",
      outcome: "failure",
      details: { mutating: false },
    });
    await f.record({
      type: "operation_completed",
      actor: "dev",
      outcome: "success",
      details: { mutating: true },
    });
    const types = (await f.auditLog?.query())?.map((r) => `${r.type}:${r.outcome ?? ""}`);
    expect(types).toEqual([
      "permission_granted:success",
      "permission_denied:denied",
      "operation_failed:failure",
      "operation_completed:success",
    ]);
    await f.close();
  });

  it("denies a malformed request naming the field", async () => {
    const { f } = await facade();
    const d = await f.checkOperation({ ...req(), userId: "" });
    expect(d.outcome).toBe("denied");
    expect(d.reasons[0]?.message).toContain("request.userId");
  });

  it("rejects when the signal is already aborted", async () => {
    const { f } = await facade();
    const controller = new AbortController();
    controller.abort();
    await expect(f.checkOperation(req(), controller.signal)).rejects.toMatchObject({ code: "CANCELLED" });
  });

  it("keeps approvals, assignments and break-glass across a restart on the same store", async () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const store = memoryStore(clock);
    const { f } = await facade({}, clock, store);
    const request = deleteDb();
    const first = await f.checkOperation(request);
    expect(await f.rbac.assignRole("root", { userId: "newbie", roleId: "viewer" })).toEqual({ ok: true });
    await f.close();
    const { f: again } = await facade({}, clock, store);
    if (first.outcome !== "needs-approval") throw new Error("expected needs-approval");
    await again.approvals.approve(first.approvalId, "boss");
    expect((await again.checkOperation({ ...request, approvalId: first.approvalId })).outcome).toBe(
      "allowed",
    );
    expect((await again.checkOperation(req({ userId: "newbie", environment: "production" }))).outcome).toBe(
      "allowed",
    );
    expect(await again.auditLog?.verify()).toMatchObject({ ok: true });
  });
});
