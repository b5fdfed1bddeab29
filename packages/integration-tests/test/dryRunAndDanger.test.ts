import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ProviderRun } from "./support/exampleProvider.js";
import { INSTANCE_ID, createWorkspace, openStack, typesOf } from "./support/stack.js";
import type { Stack, Workspace } from "./support/stack.js";

describe("dry-run enforcement and dangerous-command confirmation through the whole stack", () => {
  let workspace: Workspace;
  let stack: Stack;
  const runs: ProviderRun[] = [];

  beforeEach(async () => {
    workspace = await createWorkspace();
    runs.length = 0;
    stack = await openStack({ workspace, runs });
  });

  afterEach(async () => {
    await stack.close();
    await workspace.remove();
  });

  it("a command that supports dry run is simulated: the provider is told, no resource is created or tracked", async () => {
    const session = await stack.sessions.createSession({ userId: "alice" });
    for (const request of [
      { dryRun: true, params: { name: "web-1", region: "us-east-1" } },
      { params: { name: "web-1", region: "us-east-1", dryRun: true } },
    ]) {
      const outcome = await stack.executor.execute({
        instanceId: INSTANCE_ID,
        commandId: "create-instance",
        sessionId: session.id,
        ...request,
      });
      expect(outcome.status).toBe("succeeded");
    }
    expect(runs.map((r) => r.dryRun)).toEqual([true, true]);
    expect(typesOf(stack, "resource:")).toEqual([]);
    expect(
      stack.seen
        .filter((s) => s.type === "command:started")
        .map((s) => (s.event as { dryRun: boolean }).dryRun),
    ).toEqual([true, true]);
    const stored = await stack.sessions.getSession(session.id);
    expect(stored?.resources).toEqual({});
    expect((await stack.sessions.getHistory(session.id)).map((h) => [h.status, h.dryRun])).toEqual([
      ["succeeded", true],
      ["succeeded", true],
    ]);
  });

  it("a command without supportsDryRun refuses a dry run instead of running for real", async () => {
    const session = await stack.sessions.createSession({ userId: "alice" });
    const outcome = await stack.executor.execute({
      instanceId: INSTANCE_ID,
      commandId: "delete-instance",
      sessionId: session.id,
      params: { instanceId: "i-123" },
      dryRun: true,
      confirmed: true,
    });
    expect(outcome.status).toBe("invalid");
    if (outcome.status === "invalid")
      expect(outcome.issues.map((i) => i.code)).toContain("DRY_RUN_UNSUPPORTED");
    expect(runs).toEqual([]);
    expect(typesOf(stack, "command:")).toEqual([]);
    expect((await stack.sessions.getHistory(session.id)).map((h) => [h.status, h.dryRun])).toEqual([
      ["failed", true],
    ]);
  });

  it("a dangerous command waits for explicit confirmation, runs once confirmed, and emits resource:deleted", async () => {
    const session = await stack.sessions.createSession({ userId: "alice" });
    const created = await stack.executor.execute({
      instanceId: INSTANCE_ID,
      commandId: "create-instance",
      sessionId: session.id,
      params: { name: "web-1", region: "us-east-1" },
    });
    expect(created.status).toBe("succeeded");
    expect(Object.keys((await stack.sessions.getSession(session.id))?.resources ?? {})).toEqual(["i-123"]);

    // without a session there is nowhere to wait: refused outright
    const sessionless = await stack.executor.execute({
      instanceId: INSTANCE_ID,
      commandId: "delete-instance",
      params: { instanceId: "i-123" },
    });
    expect(sessionless.status).toBe("invalid");
    // with a session: a confirmation is asked for, nothing runs
    const asked = await stack.executor.execute({
      instanceId: INSTANCE_ID,
      commandId: "delete-instance",
      sessionId: session.id,
      params: { instanceId: "i-123" },
    });
    expect(asked.status).toBe("pending");
    if (asked.status !== "pending") return;
    expect(asked.pending.kind).toBe("confirmation");
    expect(asked.pending.reason).toContain("dangerous");
    expect(runs.map((r) => r.commandId)).toEqual(["create-instance"]);

    const done = await stack.executor.resume(session.id, asked.pending.id, { confirmed: true });
    expect(done.status).toBe("succeeded");
    expect(runs.map((r) => r.commandId)).toEqual(["create-instance", "delete-instance"]);
    expect(stack.seen.filter((s) => s.type.startsWith("resource:")).map((s) => s.type)).toEqual([
      "resource:created",
      "resource:deleted",
    ]);
    // the session no longer tracks what was deleted
    expect((await stack.sessions.getSession(session.id))?.resources).toEqual({});

    // confirmed up front: runs straight away
    const direct = await stack.executor.execute({
      instanceId: INSTANCE_ID,
      commandId: "delete-instance",
      sessionId: session.id,
      params: { instanceId: "i-999" },
      confirmed: true,
    });
    expect(direct.status).toBe("succeeded");
  });
});
