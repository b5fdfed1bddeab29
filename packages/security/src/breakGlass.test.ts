import { afterEach, describe, expect, it, vi } from "vitest";
import { breakGlassPolicySchema } from "@espada/infra-core";
import type { BreakGlassPolicy } from "@espada/infra-core";
import { InfrastructureBreakGlassManager } from "./breakGlass.js";
import type { BreakGlassRequest } from "./breakGlass.js";
import { InfrastructureRBACManager } from "./rbac.js";
import { Clock, memoryStore, policies, RecordingAudit, WEDNESDAY_NOON_UTC } from "../test/support.js";

const policy = (input: Record<string, unknown>): BreakGlassPolicy =>
  breakGlassPolicySchema.parse({ environment: "production", ...input });
const request = (userId: string, extra: Partial<BreakGlassRequest> = {}): BreakGlassRequest => ({
  userId,
  environment: "production",
  reasonCode: "incident",
  justification: "database down, customers affected",
  ...extra,
});

function setup(list: BreakGlassPolicy[], options: { timers?: boolean } = {}) {
  const clock = new Clock(WEDNESDAY_NOON_UTC);
  const store = memoryStore(clock);
  const audit = new RecordingAudit();
  const rbac = new InfrastructureRBACManager(
    {
      roles: policies().roles,
      assignments: ["s1", "s2", "s3"]
        .map((userId) => ({ userId, roleId: "sre" }))
        .concat([
          { userId: "dev", roleId: "developer" },
          { userId: "boss", roleId: "admin" },
        ]),
      denyRules: [{ id: "no-bg-s3", users: ["s3"], permissions: ["infra:break-glass"] }],
    },
    { store, now: clock.now },
  );
  const make = (): InfrastructureBreakGlassManager =>
    new InfrastructureBreakGlassManager(list, {
      store,
      rbac,
      audit,
      now: clock.now,
      timers: options.timers ?? false,
    });
  return { clock, store, audit, rbac, manager: make(), make };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("InfrastructureBreakGlassManager", () => {
  it("activates with the permission, a listed reason code and a justification; audited", async () => {
    const { manager, audit } = setup([policy({})]);
    const result = await manager.activate(request("s1"));
    expect(result.ok).toBe(true);
    expect(await manager.activeSession("s1", "production")).toMatchObject({
      userId: "s1",
      reasonCode: "incident",
    });
    expect(audit.ofType("break_glass_activated")).toHaveLength(1);
  });

  it("refuses without infra:break-glass, under a deny rule, or where it is disabled; each refusal audited", async () => {
    const { manager, audit } = setup([policy({}), policy({ environment: "staging", enabled: false })]);
    expect(await manager.activate(request("dev"))).toMatchObject({ ok: false, code: "SECURITY_DENIED" });
    expect(await manager.activate(request("s3"))).toMatchObject({
      ok: false,
      code: "SECURITY_DENIED",
      reason: expect.stringContaining("no-bg-s3") as unknown,
    });
    expect(await manager.activate(request("s1", { environment: "staging" }))).toMatchObject({
      ok: false,
      code: "SECURITY_DENIED",
    });
    expect(await manager.activate(request("s1", { environment: "qa" }))).toMatchObject({
      ok: false,
      code: "SECURITY_DENIED",
    });
    expect(audit.ofType("access_denied")).toHaveLength(4);
  });

  it("checks reason code, justification length and ticket per policy, naming the field", async () => {
    const { manager } = setup([
      policy({ requireTicket: true, ticketPattern: "^INC-\\d+$", minJustificationLength: 20 }),
    ]);
    expect(await manager.activate(request("s1", { reasonCode: "bored" }))).toMatchObject({
      ok: false,
      field: "reasonCode",
    });
    expect(await manager.activate(request("s1", { justification: "short" }))).toMatchObject({
      ok: false,
      field: "justification",
    });
    expect(await manager.activate(request("s1"))).toMatchObject({ ok: false, field: "ticket" });
    expect(await manager.activate(request("s1", { ticket: "JIRA-1" }))).toMatchObject({
      ok: false,
      field: "ticket",
    });
    expect(await manager.activate(request("s1", { ticket: "INC-42" }))).toMatchObject({ ok: true });
    expect(await manager.activate({ ...request("s2"), userId: 5 as unknown as string })).toMatchObject({
      ok: false,
      code: "INVALID_ARGUMENT",
      field: "userId",
    });
  });

  it("caps the duration, and deactivates at expiry on the next use without any timer", async () => {
    const { manager, clock, audit } = setup([policy({ maxDurationMs: 60_000 })]);
    const result = await manager.activate(request("s1", { durationMs: 3_600_000 }));
    expect(result.ok && result.session.expiresAt - result.session.activatedAt).toBe(60_000);
    clock.advance(59_999);
    expect(await manager.activeSession("s1", "production")).toBeDefined();
    clock.advance(1);
    expect(await manager.activeSession("s1", "production")).toBeUndefined();
    expect(audit.ofType("break_glass_deactivated")).toHaveLength(1);
    expect(audit.ofType("break_glass_deactivated")[0]?.details).toMatchObject({ reason: "expired" });
  });

  it("deactivates by timer at expiry too, and close() clears the timers", async () => {
    vi.useFakeTimers({ now: WEDNESDAY_NOON_UTC });
    const { manager, clock, audit } = setup([policy({ maxDurationMs: 60_000 })], { timers: true });
    await manager.activate(request("s1"));
    clock.advance(60_000);
    await vi.advanceTimersByTimeAsync(60_000);
    await vi.waitFor(() => expect(audit.ofType("break_glass_deactivated")).toHaveLength(1));
    await manager.activate(request("s2"));
    manager.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("enforces the cooldown after a session ends", async () => {
    const { manager, clock } = setup([policy({ maxDurationMs: 60_000, cooldownMs: 600_000 })]);
    const first = await manager.activate(request("s1"));
    expect(first.ok).toBe(true);
    if (first.ok) await manager.deactivate(first.session.id, "s1");
    expect(await manager.activate(request("s1"))).toMatchObject({
      ok: false,
      code: "LIMIT_EXCEEDED",
      reason: expect.stringContaining("cooldown") as unknown,
    });
    clock.advance(600_000);
    expect((await manager.activate(request("s1"))).ok).toBe(true);
  });

  it("holds the concurrency cap under racing activations (compare-and-set)", async () => {
    const { manager, make } = setup([policy({ maxConcurrent: 2 })]);
    const results = await Promise.all([
      manager.activate(request("s1")),
      make().activate(request("s2")),
      make().activate(request("boss")),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(2);
    expect(results.filter((r) => !r.ok)).toMatchObject([{ code: "LIMIT_EXCEEDED" }]);
    expect(await manager.activeSessions("production")).toHaveLength(2);
  });

  it("persists sessions: a restarted manager sees them and still expires them", async () => {
    const { manager, make, clock } = setup([policy({ maxDurationMs: 60_000 })]);
    await manager.activate(request("s1"));
    const restarted = make();
    await restarted.load();
    expect(await restarted.activeSession("s1", "production")).toBeDefined();
    clock.advance(60_000);
    expect(await restarted.activeSession("s1", "production")).toBeUndefined();
  });

  it("activates nothing when the audit cannot be written", async () => {
    const { manager, audit } = setup([policy({})]);
    audit.failing = true;
    await expect(manager.activate(request("s1"))).rejects.toThrow();
    expect(await manager.activeSession("s1", "production")).toBeUndefined();
  });

  it("lets only the owner or an admin end a session", async () => {
    const { manager } = setup([policy({ maxConcurrent: 3 })]);
    const r = await manager.activate(request("s1"));
    if (!r.ok) throw new Error("activation failed");
    await expect(manager.deactivate(r.session.id, "s2")).rejects.toMatchObject({ code: "SECURITY_DENIED" });
    expect(await manager.deactivate(r.session.id, "boss")).toBe(true);
    expect(await manager.deactivate(r.session.id, "boss")).toBe(false);
  });
});
