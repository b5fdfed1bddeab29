import { describe, expect, it } from "vitest";
import { parseInfrastructureConfig, validateInfrastructureConfig } from "@espada/infra-core";
import type { ExecutionOutcome, InfrastructureCatalogue, OperationRunner } from "@espada/infra-core";
import { createInfrastructureSessionManager } from "@espada/infra-sessions";
import { RecordingAuditSink, ScriptedGate } from "./support/gates.js";
import { INSTANCE_ID, useStackPerTest } from "./support/stack.js";
import type { Stack } from "./support/stack.js";

const CREATE = {
  instanceId: INSTANCE_ID,
  commandId: "create-instance",
  params: { name: "db-1", region: "eu-west-1" },
} as const;
const DELETE = {
  instanceId: INSTANCE_ID,
  commandId: "delete-instance",
  params: { instanceId: "i-1" },
} as const;

function codeOf(outcome: ExecutionOutcome): string {
  return outcome.status === "succeeded" || outcome.status === "pending"
    ? outcome.status
    : outcome.result.error.code;
}

describe("the command path: one authority, a seam that loses nothing", () => {
  const t = useStackPerTest();
  let stack: Stack | undefined;

  it("denies a user who may not run a dangerous command at once, before asking for a confirmation", async () => {
    const gate = new ScriptedGate({ deny: ["delete-instance"] });
    const audit = new RecordingAuditSink();
    stack = await t.open({ gate, audit });
    const session = await stack.sessions.createSession({ userId: "mallory", environment: "production" });
    const outcome = await stack.executor.execute({ ...DELETE, sessionId: session.id });
    expect(codeOf(outcome)).toBe("SECURITY_DENIED");
    expect(gate.requests[0]).toMatchObject({
      confirmationRequired: true,
      confirmed: false,
      mutating: true,
      resourceIds: [],
    });
    expect((await stack.sessions.getSession(session.id))?.pendingOperations).toEqual([]);
    expect(audit.records.map((r) => r.type)).toEqual(["operation_rejected"]);
    expect(t.runs).toEqual([]);
  });

  it("callers holding only the catalogue and the runner list, run and resume, and never touch a provider", async () => {
    const gate = new ScriptedGate({});
    stack = await t.open({ gate });
    const catalogue: InfrastructureCatalogue = stack.registry.catalogue;
    const runner: OperationRunner = stack.executor.runner;
    const heard: string[] = [];
    runner.onOutcome((outcome) => heard.push(`${outcome.commandId}:${outcome.status}`));

    expect(catalogue.listInstances()).toMatchObject([
      { instanceId: INSTANCE_ID, providerId: "my-cloud", state: "active" },
    ]);
    expect(catalogue.listCommands(INSTANCE_ID)?.map((c) => c.id)).toEqual(
      expect.arrayContaining(["create-instance", "delete-instance"]),
    );
    for (const value of [
      ...Object.values(catalogue.listInstances()[0] ?? {}),
      ...Object.values(stack.registry.getInstance(INSTANCE_ID) ?? {}),
    ]) {
      expect(typeof value === "object" && value !== null && "executeCommand" in value).toBe(false);
    }

    const session = await stack.sessions.createSession({ userId: "alice" });
    const pending = await runner.execute({ ...DELETE, sessionId: session.id });
    expect(pending.status).toBe("pending");
    if (pending.status !== "pending") return;
    expect(t.runs).toEqual([]);
    const done = await runner.resume(session.id, pending.pending.id, {
      confirmed: true,
      confirmedBy: "alice",
    });
    expect(done.status).toBe("succeeded");
    expect(t.runs.map((r) => r.commandId)).toEqual(["delete-instance"]);
    expect(heard).toEqual(["delete-instance:pending", "delete-instance:succeeded"]);
    expect(gate.outcomes).toMatchObject([
      {
        operationId: pending.executionId,
        result: "success",
        request: { confirmedBy: "alice", resumed: true },
      },
    ]);
  });

  it("an approved operation survives a restart, a failing gate and a suspended provider, and t.runs once", async () => {
    const gate = new ScriptedGate({ approve: ["create-instance"] });
    stack = await t.open({ gate });
    const session = await stack.sessions.createSession({ userId: "alice" });
    const first = await stack.executor.execute({ ...CREATE, sessionId: session.id });
    if (first.status !== "pending") throw new Error(`expected pending, got ${first.status}`);
    const approvalId = first.pending.approvalId ?? "";
    gate.grant(approvalId);

    await stack.close();
    stack = await t.open({ gate });
    const stored = async () =>
      (await stack?.sessions.getSession(session.id))?.pendingOperations.map((op) => [op.id, op.claim]);

    gate.failure = new Error("approval store unreachable");
    const gateDown = await stack.executor.resume(session.id, first.pending.id, {
      approvalId,
      approvedBy: "root",
    });
    expect(codeOf(gateDown)).toBe("GATE_FAILED");
    expect(await stored()).toEqual([[first.pending.id, undefined]]);
    gate.failure = undefined;

    await stack.registry.lifecycle.stopProvider(INSTANCE_ID);
    const suspended = await stack.executor.resume(session.id, first.pending.id, {
      approvalId,
      approvedBy: "root",
    });
    expect(codeOf(suspended)).toBe("NOT_ACTIVE");
    expect(await stored()).toEqual([[first.pending.id, undefined]]);
    await stack.registry.lifecycle.startProvider(INSTANCE_ID);

    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () =>
        stack!.executor.resume(session.id, first.pending.id, { approvalId, approvedBy: "root" }),
      ),
    );
    expect(outcomes.map(codeOf).filter((c) => c === "succeeded")).toHaveLength(1);
    for (const code of outcomes.map(codeOf).filter((c) => c !== "succeeded"))
      expect(["CONFLICT", "NOT_FOUND"]).toContain(code);
    expect(t.runs).toHaveLength(1);
    expect(await stored()).toEqual([]);
    expect(gate.requests.at(-1)).toMatchObject({ approvalId, approvedBy: "root", resumed: true });
  });

  it("refuses a mutating operation the audit cannot record (fail closed) and says why", async () => {
    const audit = new RecordingAuditSink();
    stack = await t.open({ audit });
    const session = await stack.sessions.createSession({ userId: "alice" });
    audit.failing = true;
    const refused = await stack.executor.execute({ ...CREATE, sessionId: session.id });
    expect(codeOf(refused)).toBe("AUDIT_FAILED");
    expect(t.runs).toEqual([]);
    expect((await stack.sessions.getHistory(session.id)).map((h) => [h.status, h.errorCode])).toEqual([
      ["failed", "AUDIT_FAILED"],
    ]);
    audit.failing = false;
    const ok = await stack.executor.execute({ ...CREATE, sessionId: session.id });
    expect(ok.status).toBe("succeeded");
    expect(audit.records.map((r) => [r.type, r.outcome, r.operationId === ok.executionId])).toEqual([
      ["operation_requested", "allowed", true],
      ["operation_completed", "success", true],
    ]);
  });

  it("one configuration: a config the sessions package reads (encryption.key) is one core accepts, and sessions run on core's parse", async () => {
    const key = Buffer.alloc(32, 7).toString("base64");
    const input = {
      sessionConfig: { persistState: true },
      securityConfig: { encryption: { key, previousKeys: [] } },
    };
    expect(validateInfrastructureConfig(input).success).toBe(true);
    const config = parseInfrastructureConfig(input);
    const sessions = await createInfrastructureSessionManager({
      sessionConfig: config.sessionConfig,
      commandConfig: config.commandConfig,
      securityConfig: config.securityConfig,
      stateDirectory: t.workspace.stateDir,
      env: {},
    });
    const session = await sessions.createSession({
      userId: "alice",
      auth: { method: "api-key", credentials: { apiKey: "sk-live-do-not-store-in-clear" } },
    });
    expect((await sessions.getSession(session.id))?.auth?.credentials.apiKey).toBe(
      "sk-live-do-not-store-in-clear",
    );
    await sessions.close();
    expect(await t.workspace.readAll()).not.toContain("sk-live-do-not-store-in-clear");
  });
});
