import { describe, expect, it } from "vitest";
import { RecordingAuditSink, ScriptedGate } from "./support/gates.js";
import { INSTANCE_ID, useStackPerTest, typesOf } from "./support/stack.js";
import type { Stack } from "./support/stack.js";

const CREATE = {
  instanceId: INSTANCE_ID,
  commandId: "create-instance",
  params: { name: "db-1", region: "eu-west-1" },
} as const;

describe("security gate decisions through the whole stack", () => {
  const t = useStackPerTest();
  let stack: Stack | undefined;

  it("needs-confirmation: the pending operation survives a restart, a confirmed resume t.runs it exactly once", async () => {
    const gate = new ScriptedGate({ confirm: ["create-instance"] });
    stack = await t.open({ gate });
    const session = await stack.sessions.createSession({ userId: "alice", environment: "production" });

    const first = await stack.executor.execute({ ...CREATE, sessionId: session.id });
    expect(first.status).toBe("pending");
    if (first.status !== "pending") return;
    expect(first.pending).toMatchObject({
      kind: "confirmation",
      commandId: "create-instance",
      userId: "alice",
      environment: "production",
      reason: "confirmation: please confirm",
    });
    expect(first.decision?.outcome).toBe("needs-confirmation");
    expect(t.runs).toEqual([]);
    expect(typesOf(stack, "command:")).toEqual([]);

    await stack.close();
    stack = await t.open({ gate });
    const stored = await stack.sessions.getSession(session.id);
    expect(stored?.pendingOperations.map((p) => p.id)).toEqual([first.pending.id]);
    expect((await stack.sessions.getHistory(session.id)).map((h) => h.status)).toEqual(["pending"]);

    const resumed = await stack.executor.resume(session.id, first.pending.id, { confirmed: true });
    expect(resumed.status).toBe("succeeded");
    expect(resumed.executionId).toBe(first.executionId);
    expect(t.runs.map((r) => r.params)).toEqual([{ name: "db-1", region: "eu-west-1", cpu: 2, memory: 4 }]);
    expect(gate.requests.at(-1)).toMatchObject({ confirmed: true, operationId: first.executionId });

    const second = await stack.executor.resume(session.id, first.pending.id, { confirmed: true });
    expect(second.status).toBe("invalid");
    if (second.status === "invalid") expect(second.result.error.code).toBe("NOT_FOUND");
    expect(t.runs).toHaveLength(1);
    const after = await stack.sessions.getSession(session.id);
    expect(after?.pendingOperations).toEqual([]);
    expect((await stack.sessions.getHistory(session.id)).map((h) => h.status)).toEqual([
      "pending",
      "succeeded",
    ]);
  });

  it("a resume without the confirmation goes back to waiting instead of running", async () => {
    const gate = new ScriptedGate({ confirm: ["create-instance"] });
    stack = await t.open({ gate });
    const session = await stack.sessions.createSession({ userId: "alice" });
    const first = await stack.executor.execute({ ...CREATE, sessionId: session.id });
    if (first.status !== "pending") throw new Error(`expected pending, got ${first.status}`);
    const unconfirmed = await stack.executor.resume(session.id, first.pending.id);
    expect(unconfirmed.status).toBe("pending");
    expect(t.runs).toEqual([]);
    const confirmed = await stack.executor.resume(session.id, first.pending.id, { confirmed: true });
    expect(confirmed.status).toBe("succeeded");
    expect(t.runs).toHaveLength(1);
  });

  it("needs-approval: the approval id is kept across a restart and the granted operation t.runs exactly once", async () => {
    const gate = new ScriptedGate({ approve: ["create-instance"] });
    const audit = new RecordingAuditSink();
    stack = await t.open({ gate, audit });
    const session = await stack.sessions.createSession({ userId: "alice" });

    const first = await stack.executor.execute({ ...CREATE, sessionId: session.id });
    expect(first.status).toBe("pending");
    if (first.status !== "pending") return;
    const approvalId = `approval-${first.executionId}`;
    expect(first.pending).toMatchObject({ kind: "approval", approvalId });
    expect(audit.records.map((r) => [r.type, r.outcome])).toEqual([["operation_requested", "pending"]]);

    await stack.close();
    stack = await t.open({ gate, audit });

    // not granted yet: it goes back to waiting with the same approval id
    const early = await stack.executor.resume(session.id, first.pending.id);
    expect(early.status).toBe("pending");
    if (early.status === "pending") expect(early.pending.approvalId).toBe(approvalId);
    expect(t.runs).toEqual([]);

    gate.grant(approvalId);
    const approved = await stack.executor.resume(session.id, first.pending.id, { approvalId });
    expect(approved.status).toBe("succeeded");
    expect(gate.requests.at(-1)?.approvalId).toBe(approvalId);
    expect(t.runs).toHaveLength(1);

    const again = await stack.executor.resume(session.id, first.pending.id, { approvalId });
    expect(again.status).toBe("invalid");
    expect(t.runs).toHaveLength(1);
    expect(audit.records.map((r) => [r.type, r.outcome])).toEqual([
      ["operation_requested", "pending"],
      ["operation_requested", "pending"],
      ["operation_requested", "allowed"],
      ["operation_completed", "success"],
    ]);
  });

  it("two racing resumes of one pending operation: exactly one t.runs", async () => {
    const gate = new ScriptedGate({ confirm: ["create-instance"] });
    stack = await t.open({ gate });
    const session = await stack.sessions.createSession({ userId: "alice" });
    const first = await stack.executor.execute({ ...CREATE, sessionId: session.id });
    if (first.status !== "pending") throw new Error(`expected pending, got ${first.status}`);
    const outcomes = await Promise.all([
      stack.executor.resume(session.id, first.pending.id, { confirmed: true }),
      stack.executor.resume(session.id, first.pending.id, { confirmed: true }),
    ]);
    const codes = outcomes
      .map((o) => (o.status === "succeeded" || o.status === "pending" ? o.status : o.result.error.code))
      .sort();
    expect(codes[1]).toBe("succeeded");
    expect(["CONFLICT", "NOT_FOUND"]).toContain(codes[0]);
    expect(t.runs).toHaveLength(1);
  });

  it("denied: nothing t.runs, reasons come back, history says denied and the audit sink has the record", async () => {
    const gate = new ScriptedGate({ deny: ["create-instance"] });
    const audit = new RecordingAuditSink();
    stack = await t.open({ gate, audit });
    const session = await stack.sessions.createSession({ userId: "mallory" });

    const outcome = await stack.executor.execute({ ...CREATE, sessionId: session.id });
    expect(outcome.status).toBe("denied");
    if (outcome.status !== "denied") return;
    expect(outcome.decision.reasons).toEqual([
      { check: "rbac", passed: false, message: "user mallory may not run create-instance" },
    ]);
    expect(outcome.result.error.code).toBe("SECURITY_DENIED");
    expect(outcome.result.error.message).toContain("user mallory may not run create-instance");
    expect(t.runs).toEqual([]);
    expect(typesOf(stack, "command:")).toEqual([]);
    expect(typesOf(stack, "resource:")).toEqual([]);

    const history = await stack.sessions.getHistory(session.id);
    expect(history.map((h) => [h.status, h.errorCode, h.userId])).toEqual([
      ["denied", "SECURITY_DENIED", "mallory"],
    ]);
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0]).toMatchObject({
      type: "operation_rejected",
      outcome: "denied",
      actor: "mallory",
      operationId: outcome.executionId,
      sessionId: session.id,
      providerId: "my-cloud",
      commandId: "create-instance",
      reasons: outcome.decision.reasons,
      risk: outcome.decision.risk,
    });
  });
});
