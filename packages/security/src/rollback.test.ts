import { describe, expect, it } from "vitest";
import { InfrastructureRollbackManager } from "./rollback.js";
import { Clock, memoryStore, RecordingAudit, WEDNESDAY_NOON_UTC } from "../test/support.js";

function setup() {
  const clock = new Clock(WEDNESDAY_NOON_UTC);
  const store = memoryStore(clock);
  const audit = new RecordingAudit();
  const make = (): InfrastructureRollbackManager =>
    new InfrastructureRollbackManager({ store, audit, now: clock.now });
  return { clock, store, audit, manager: make(), make };
}

describe("InfrastructureRollbackManager", () => {
  it("generates ordered reversal steps with a risk rating and an estimated duration", async () => {
    const { manager } = setup();
    const plan = await manager.generatePlan({
      operationId: "op-1",
      userId: "ann",
      environment: "production",
      operationType: "create",
      resourceIds: ["vm-1", "vm-2"],
    });
    expect(plan?.steps.map((s) => [s.order, s.action, s.resourceId])).toEqual([
      [1, "delete", "vm-2"],
      [2, "delete", "vm-1"],
    ]);
    expect(plan?.riskLevel).toBe("critical"); // deleting is the riskiest step (90)
    expect(plan?.estimatedDurationMs).toBe(240_000);
    const scale = await manager.generatePlan({
      operationId: "op-2",
      userId: "ann",
      environment: "production",
      operationType: "scale",
      resourceIds: ["asg-1"],
      previousState: { "asg-1": { size: 3 } },
    });
    expect(scale?.steps[0]?.params).toEqual({ previousState: { size: 3 } });
    expect(
      await manager.generatePlan({
        operationId: "op-3",
        userId: "ann",
        environment: "production",
        operationType: "read",
        resourceIds: ["x"],
      }),
    ).toBeUndefined();
  });

  it("tracks execution step by step, audits the rollback, and persists", async () => {
    const { manager, make, audit } = setup();
    const plan = await manager.createPlan({
      operationId: "op-9",
      createdBy: "ann",
      environment: "staging",
      steps: [{ action: "a" }, { action: "b" }],
    });
    expect(manager.hasPlan("op-9")).toBe(true);
    await manager.startExecution(plan.id, "bob");
    await expect(manager.startExecution(plan.id, "bob")).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(manager.recordStep(plan.id, 2, { ok: true })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "order",
    });
    await manager.recordStep(plan.id, 1, { ok: true });
    const restarted = make();
    await restarted.load();
    expect(restarted.hasPlan("op-9")).toBe(true);
    const done = await restarted.recordStep(plan.id, 2, { ok: true });
    expect(done.status).toBe("completed");
    expect(audit.ofType("operation_rolled_back")).toHaveLength(1);
    expect((await restarted.planFor("op-9"))?.status).toBe("completed");
  });

  it("fails the plan when a step fails and skips the rest", async () => {
    const { manager } = setup();
    const plan = await manager.createPlan({
      operationId: "op-7",
      createdBy: "ann",
      environment: "staging",
      steps: [{ action: "a" }, { action: "b" }, { action: "c" }],
    });
    await manager.startExecution(plan.id, "ann");
    const failed = await manager.recordStep(plan.id, 1, { ok: false, error: "boom" });
    expect(failed.status).toBe("failed");
    expect(failed.steps.map((s) => s.status)).toEqual(["failed", "skipped", "skipped"]);
  });

  it("refuses a malformed plan naming the field", async () => {
    const { manager } = setup();
    await expect(
      manager.createPlan({ operationId: "op", createdBy: "a", environment: "e", steps: [] }),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "steps" });
  });
});
