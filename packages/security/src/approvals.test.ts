import { afterEach, describe, expect, it, vi } from "vitest";
import fc from "fast-check";
import { approvalChainSchema } from "@espada/infra-core";
import type { ApprovalChain } from "@espada/infra-core";
import { InfrastructureApprovalManager, paramsFingerprint } from "./approvals.js";
import type { ApprovalSubject } from "./approvals.js";
import { InfrastructureRBACManager } from "./rbac.js";
import { Clock, memoryStore, policies, RecordingAudit, WEDNESDAY_NOON_UTC } from "../test/support.js";

const chain = (input: Record<string, unknown>): ApprovalChain =>
  approvalChainSchema.parse({
    id: "c",
    riskLevels: ["critical"],
    steps: [{ role: "admin", approvers: 1 }],
    ...input,
  });
const subject: ApprovalSubject = {
  operationId: "op-1",
  commandId: "delete-db",
  providerId: "aws",
  requester: "req",
  environment: "production",
  riskLevel: "critical",
  riskScore: 95,
  params: { id: "db-1" },
};
const USERS = ["a1", "a2", "a3", "s1", "s2", "req"];

function setup(chains: ApprovalChain[], options: { timers?: boolean; onEscalation?: () => void } = {}) {
  const clock = new Clock(WEDNESDAY_NOON_UTC);
  const store = memoryStore(clock);
  const audit = new RecordingAudit();
  const p = policies();
  const rbac = new InfrastructureRBACManager(
    {
      roles: p.roles,
      assignments: [
        { userId: "a1", roleId: "admin" },
        { userId: "a2", roleId: "admin" },
        { userId: "a3", roleId: "admin" },
        { userId: "req", roleId: "admin" },
        { userId: "s1", roleId: "sre" },
        { userId: "s2", roleId: "sre" },
        { userId: "v", roleId: "viewer" },
      ],
      denyRules: [],
    },
    { store, now: clock.now },
  );
  const make = (): InfrastructureApprovalManager =>
    new InfrastructureApprovalManager(chains, {
      store,
      rbac,
      audit,
      now: clock.now,
      timers: options.timers ?? false,
      ...(options.onEscalation === undefined ? {} : { onEscalation: options.onEscalation }),
    });
  return { clock, store, audit, rbac, manager: make(), make };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("InfrastructureApprovalManager", () => {
  it("chooses chains by risk level and environment, the environment-specific one first", () => {
    const { manager } = setup([
      chain({ id: "any" }),
      chain({ id: "prod", environments: ["production"] }),
      chain({ id: "high", riskLevels: ["high"] }),
    ]);
    expect(manager.chainFor("critical", "production")?.id).toBe("prod");
    expect(manager.chainFor("critical", "staging")?.id).toBe("any");
    expect(manager.chainFor("high", "staging")?.id).toBe("high");
    expect(manager.chainFor("low", "staging")).toBeUndefined();
  });

  it("needs N distinct approvers per step, in order, and names what it waits for", async () => {
    const c = chain({
      steps: [
        { role: "sre", approvers: 2 },
        { role: "admin", approvers: 1 },
      ],
    });
    const { manager, audit } = setup([c]);
    const r = await manager.create(c, subject);
    expect(manager.waitingFor(r)).toContain('2 more approver(s) with role "sre"');
    expect(await manager.approve(r.id, "a1")).toMatchObject({ ok: false, code: "SECURITY_DENIED" }); // admin, but step 1 needs sre
    expect((await manager.approve(r.id, "s1")).ok).toBe(true);
    expect(await manager.approve(r.id, "s1")).toMatchObject({ ok: true, counted: false });
    const afterStep1 = await manager.approve(r.id, "s2");
    expect(afterStep1).toMatchObject({ ok: true, request: { currentStep: 1, status: "pending" } });
    const done = await manager.approve(r.id, "a1");
    expect(done).toMatchObject({ ok: true, request: { status: "approved" } });
    expect(audit.ofType("operation_approved")).toHaveLength(3);
  });

  it("never lets the requester approve their own request", async () => {
    const c = chain({});
    const { manager } = setup([c]);
    const r = await manager.create(c, subject);
    expect(await manager.approve(r.id, "req")).toMatchObject({
      ok: false,
      code: "SECURITY_DENIED",
      reason: expect.stringContaining("requester") as unknown,
    });
    expect((await manager.get(r.id))?.status).toBe("pending");
  });

  it("counts racing approvals by one person once, and a quorum of distinct people exactly", async () => {
    const c = chain({ steps: [{ role: "admin", approvers: 2 }] });
    const { manager } = setup([c]);
    const r = await manager.create(c, subject);
    const results = await Promise.all(Array.from({ length: 8 }, () => manager.approve(r.id, "a1")));
    expect(results.filter((x) => x.ok && x.counted)).toHaveLength(1);
    expect((await manager.get(r.id))?.steps[0]?.approvals).toHaveLength(1);
    const both = await Promise.all([manager.approve(r.id, "a2"), manager.approve(r.id, "a3")]);
    expect(both.filter((x) => x.ok && x.counted)).toHaveLength(1); // the second finds the step complete
    expect((await manager.get(r.id))?.status).toBe("approved");
  });

  it("property: the requester never counts and a quorum counts distinct people", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...USERS), { maxLength: 12 }),
        fc.integer({ min: 1, max: 3 }),
        async (approvers, required) => {
          const c = chain({ steps: [{ role: "admin", approvers: required }] });
          const { manager } = setup([c]);
          const r = await manager.create(c, subject);
          for (const user of approvers) await manager.approve(r.id, user);
          const final = await manager.get(r.id);
          const counted = final?.steps[0]?.approvals.map((a) => a.userId) ?? [];
          expect(counted).not.toContain("req");
          expect(new Set(counted).size).toBe(counted.length);
          const eligible = [...new Set(approvers.filter((u) => ["a1", "a2", "a3"].includes(u)))];
          expect(final?.status).toBe(eligible.length >= required ? "approved" : "pending");
        },
      ),
      { numRuns: 60 },
    );
  });

  it("expires pending requests (checked on access) and audits it", async () => {
    const c = chain({ expiresAfterMs: 1000 });
    const { manager, clock, audit } = setup([c]);
    const r = await manager.create(c, subject);
    clock.advance(1000);
    expect((await manager.get(r.id))?.status).toBe("expired");
    expect(await manager.approve(r.id, "a1")).toMatchObject({ ok: false, code: "CONFLICT" });
    expect(audit.ofType("operation_rejected")).toHaveLength(1);
  });

  it("escalates once after the timeout, by timer or on access, and lets the escalation role approve", async () => {
    vi.useFakeTimers({ now: WEDNESDAY_NOON_UTC });
    const onEscalation = vi.fn();
    const c = chain({
      steps: [{ role: "admin", approvers: 1 }],
      escalation: { afterMs: 60_000, toRole: "sre" },
    });
    const { manager, audit, store, rbac, clock } = setup([c], { timers: true, onEscalation });
    const r = await manager.create(c, subject);
    expect(await manager.approve(r.id, "s1")).toMatchObject({ ok: false });
    clock.advance(60_000);
    await vi.advanceTimersByTimeAsync(60_000);
    await vi.waitFor(() => expect(audit.ofType("escalation_triggered")).toHaveLength(1));
    // a second manager on the same store, reading after the escalation, does not escalate again
    const other = new InfrastructureApprovalManager([c], {
      store,
      rbac,
      audit,
      timers: false,
      now: clock.now,
    });
    await other.get(r.id);
    await Promise.all([manager.get(r.id), other.get(r.id)]);
    expect(audit.ofType("escalation_triggered")).toHaveLength(1);
    expect(onEscalation).toHaveBeenCalledTimes(1);
    expect(await manager.approve(r.id, "s1")).toMatchObject({ ok: true, request: { status: "approved" } });
    manager.close();
  });

  it("fires escalation exactly once when two managers race on access", async () => {
    const c = chain({ escalation: { afterMs: 1000, toRole: "sre" } });
    const { manager, make, clock, audit } = setup([c]);
    const r = await manager.create(c, subject);
    clock.advance(1000);
    const others = [make(), make(), make()];
    await Promise.all([
      manager.get(r.id),
      ...others.map((m) => m.get(r.id)),
      ...others.map((m) => m.list("pending")),
    ]);
    expect(audit.ofType("escalation_triggered")).toHaveLength(1);
  });

  it("persists requests across a restart", async () => {
    const c = chain({ steps: [{ role: "admin", approvers: 2 }] });
    const { manager, make } = setup([c]);
    const r = await manager.create(c, subject);
    await manager.approve(r.id, "a1");
    const restarted = make();
    await restarted.load();
    expect(await restarted.approve(r.id, "a2")).toMatchObject({ ok: true, request: { status: "approved" } });
  });

  it("binds the approval to its operation, requester and parameters, and checks its conditions", async () => {
    const c = chain({
      conditions: ["rollback-plan", "monitoring-required", "time-window", "parameter-override"],
    });
    const { manager } = setup([c]);
    const r = await manager.create(c, subject);
    expect(await manager.approve(r.id, "a1", { parameterOverrides: { size: "small" } })).toMatchObject({
      ok: true,
      request: { status: "approved" },
    });
    const ctx = { rollbackPlan: true, windowOpen: true };
    const withOverride = { ...subject, params: { ...subject.params, size: "small" } };
    expect(await manager.usable(r.id, { ...subject, operationId: "op-2" }, ctx)).toMatchObject({
      state: "refused",
    });
    expect(await manager.usable(r.id, { ...withOverride, requester: "a2" }, ctx)).toMatchObject({
      state: "refused",
    });
    expect(
      await manager.usable(r.id, { ...subject, params: { id: "db-2", size: "small" } }, ctx),
    ).toMatchObject({ state: "refused" });
    expect(await manager.usable(r.id, subject, ctx)).toMatchObject({
      state: "refused",
      reason: expect.stringContaining("overrides") as unknown,
    });
    expect(await manager.usable(r.id, withOverride, ctx)).toMatchObject({
      state: "pending",
      reason: expect.stringContaining("monitoring") as unknown,
    });
    expect(await manager.confirmMonitoring(r.id, "v")).toMatchObject({ ok: false });
    expect((await manager.confirmMonitoring(r.id, "a2")).ok).toBe(true);
    expect(await manager.usable(r.id, withOverride, { rollbackPlan: false, windowOpen: true })).toMatchObject(
      { state: "pending", reason: expect.stringContaining("rollback plan") as unknown },
    );
    expect(await manager.usable(r.id, withOverride, { rollbackPlan: true, windowOpen: false })).toMatchObject(
      { state: "pending", reason: expect.stringContaining("window") as unknown },
    );
    expect(await manager.usable(r.id, withOverride, ctx)).toMatchObject({ state: "approved" });
    expect(await manager.consume(r.id)).toBe(true);
    expect(await manager.consume(r.id)).toBe(false);
    expect(await manager.usable(r.id, withOverride, ctx)).toMatchObject({ state: "refused" });
  });

  it("lets an eligible approver reject, and the requester withdraw", async () => {
    const c = chain({});
    const { manager, audit } = setup([c]);
    const r1 = await manager.create(c, subject);
    expect(await manager.reject(r1.id, "v", "no")).toMatchObject({ ok: false, code: "SECURITY_DENIED" });
    expect(await manager.reject(r1.id, "a1", "too risky")).toMatchObject({
      ok: true,
      request: { status: "rejected" },
    });
    const r2 = await manager.create(c, subject);
    expect(await manager.reject(r2.id, "req", "changed my mind")).toMatchObject({
      ok: true,
      request: { status: "rejected" },
    });
    expect(audit.ofType("operation_rejected")).toHaveLength(2);
  });
});

describe("requests created through the group-committed request log", () => {
  it("writes no record on creation; another instance finds the request and racing approvals count once", async () => {
    const { store, manager, make, audit } = setup([chain({ steps: [{ role: "admin", approvers: 2 }] })]);
    const created = await manager.create(chain({ steps: [{ role: "admin", approvers: 2 }] }), subject);
    expect(await store.list("security/approvals/")).toEqual([]);
    expect(await store.read("security/approval-requests")).toHaveLength(1);
    const other = make(); // a second instance on the same store: learns of the request from the log
    const results = await Promise.all([
      other.approve(created.id, "a1"),
      manager.approve(created.id, "a1"),
      other.approve(created.id, "a2"),
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    const after = await manager.get(created.id);
    expect(after?.status).toBe("approved");
    expect(after?.steps[0]?.approvals.map((a) => a.userId).sort()).toEqual(["a1", "a2"]);
    expect(audit.ofType("operation_approved")).toHaveLength(2);
    expect(await store.list("security/approvals/")).toHaveLength(1);
    expect((await other.list("approved")).map((r) => r.id)).toEqual([created.id]);
  });

  it("lists and expires requests that have no record yet, and forgets them after the retention", async () => {
    const { clock, manager, make } = setup([chain({})]);
    const created = await manager.create(chain({ expiresAfterMs: 60_000 }), subject);
    const restarted = make();
    await restarted.load();
    expect((await restarted.list("pending")).map((r) => r.id)).toEqual([created.id]);
    clock.advance(60_000);
    expect((await restarted.get(created.id))?.status).toBe("expired");
    const fresh = await manager.create(chain({ expiresAfterMs: 60_000 }), {
      ...subject,
      operationId: "op-2",
    });
    clock.advance(60_000 + 30 * 86_400_000);
    const later = make();
    await later.load();
    expect(await later.get(fresh.id)).toBeUndefined();
    expect((await later.list()).map((r) => r.id)).not.toContain(fresh.id);
  });
});

describe("re-checking a waiting operation", () => {
  const paramValue = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: "small" },
      fc.oneof(fc.string({ maxLength: 3 }), fc.integer({ min: -2, max: 2 }), fc.boolean(), fc.constant(null)),
      fc.constantFrom(undefined, Number.NaN, -0, 0.5, new Date(0)),
      fc.array(tie("v"), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom("a", "b", "toJSON"), tie("v"), { maxKeys: 3 }),
    ),
  })).v;
  const params = fc.dictionary(fc.constantFrom("a", "b", "c"), paramValue, { maxKeys: 3 });

  it("reuses the pending request exactly when the parameters' fingerprint matches", async () => {
    const c = chain({});
    await fc.assert(
      fc.asyncProperty(params, params, async (first, second) => {
        const { manager } = setup([c]);
        const created = await manager.requestFor(c, { ...subject, params: first });
        const expected = paramsFingerprint(first) === paramsFingerprint(second);
        const found = manager.pendingFor(c, { ...subject, params: second });
        expect(found?.id === created.request.id).toBe(expected);
        expect(manager.pendingFor(c, { ...subject, params: first })?.id).toBe(created.request.id);
      }),
      { numRuns: 300 },
    );
  });
});
