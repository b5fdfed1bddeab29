import { describe, expect, it } from "vitest";
import type { OperationRequest, SecurityPoliciesInput, StateStore } from "@espada/infra-core";
import { InfrastructureSecurityFacade } from "./facade.js";
import { Clock, memoryStore, WEDNESDAY_NOON_UTC } from "../test/support.js";

// Two facades on one store stand for two instances sharing a store (the file store is locked to one
// process; a Redis store is not). What one changes, the other must not keep deciding on from cache.

const POLICIES: SecurityPoliciesInput = {
  assignments: [
    { userId: "root", roleId: "admin" },
    { userId: "ops", roleId: "sre" },
  ],
};

function read(userId: string, environment = "production"): OperationRequest {
  return {
    operationId: `op-${userId}-${Math.random()}`,
    commandId: "list-instances",
    commandCategory: "monitor",
    providerId: "aws",
    userId,
    environment,
    params: {},
    resourceIds: [],
    dangerous: false,
    mutating: false,
    dryRun: false,
    rollbackAvailable: false,
    confirmationRequired: false,
    confirmationReasons: [],
    confirmed: false,
    resumed: false,
  };
}

async function instance(
  store: StateStore,
  clock: Clock,
  revalidateMs: number,
): Promise<InfrastructureSecurityFacade> {
  return InfrastructureSecurityFacade.create({
    store,
    policies: POLICIES,
    audit: false,
    now: clock.now,
    timers: false,
    revalidateMs,
  });
}

describe("caches shared through the store's version record", () => {
  it("revalidateMs 0: a role granted or revoked by one instance decides the other's very next check", async () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const store = memoryStore(clock);
    const a = await instance(store, clock, 0);
    const b = await instance(store, clock, 0);
    expect((await b.checkOperation(read("newbie"))).outcome).toBe("denied");
    expect(await a.rbac.assignRole("root", { userId: "newbie", roleId: "viewer" })).toEqual({ ok: true });
    expect((await b.checkOperation(read("newbie"))).outcome).toBe("allowed");
    expect(await a.rbac.revokeRole("root", "newbie", "viewer")).toEqual({ ok: true });
    expect((await b.checkOperation(read("newbie"))).outcome).toBe("denied");
  });

  it("the default: another instance's change is seen within revalidateMs (1 s), never later", async () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const store = memoryStore(clock);
    const a = await instance(store, clock, 1000);
    const b = await instance(store, clock, 1000);
    expect((await b.checkOperation(read("newbie"))).outcome).toBe("denied");
    await a.rbac.assignRole("root", { userId: "newbie", roleId: "viewer" });
    clock.advance(999);
    expect((await b.checkOperation(read("newbie"))).outcome).toBe("denied"); // still inside the trust interval
    clock.advance(1);
    expect((await b.checkOperation(read("newbie"))).outcome).toBe("allowed");
  });

  it("break-glass sessions and window overrides started or ended elsewhere are picked up too", async () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const store = memoryStore(clock);
    const policies: SecurityPoliciesInput = {
      ...POLICIES,
      timeWindows: [
        {
          id: "never",
          environments: ["staging"],
          days: ["sun"],
          start: "03:00",
          end: "04:00",
          timezone: "UTC",
        },
      ],
    };
    const a = await InfrastructureSecurityFacade.create({
      store,
      policies,
      audit: false,
      now: clock.now,
      timers: false,
      revalidateMs: 0,
    });
    const b = await InfrastructureSecurityFacade.create({
      store,
      policies,
      audit: false,
      now: clock.now,
      timers: false,
      revalidateMs: 0,
    });
    const glass = await a.breakGlass.activate({
      userId: "ops",
      environment: "production",
      reasonCode: "incident",
      justification: "the cluster is down hard",
    });
    if (!glass.ok) throw new Error(glass.reason);
    expect(
      (await b.checkOperation(read("ops"))).reasons.find((r) => r.check === "break-glass")?.message,
    ).toContain(glass.session.id);
    await a.breakGlass.deactivate(glass.session.id, "ops");
    expect(
      (await b.checkOperation(read("ops"))).reasons.find((r) => r.check === "break-glass")?.message,
    ).toBe("no active break-glass session");

    const staging = {
      ...read("ops", "staging"),
      commandId: "scale-group",
      commandCategory: "manage" as const,
      mutating: true,
    };
    expect((await b.checkOperation(staging)).reasons.find((r) => r.check === "time-window")?.passed).toBe(
      false,
    );
    await a.overrideTimeWindows("root", "staging", "hotfix", 60_000);
    expect((await b.checkOperation(staging)).reasons.find((r) => r.check === "time-window")?.passed).toBe(
      true,
    );
  });
});
