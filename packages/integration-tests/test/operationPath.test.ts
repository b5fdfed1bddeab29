import { describe, expect, it } from "vitest";
import { REDACTED } from "@espada/infra-core";
import { INSTANCE_ID, useStackPerTest, typesOf } from "./support/stack.js";
import type { Stack } from "./support/stack.js";

describe("one operation through the whole stack, and a restart", () => {
  const t = useStackPerTest();
  let stack: Stack | undefined;

  it("a run lands in the session's history (params redacted), emits command and resource events, and survives a restart", async () => {
    stack = await t.open();
    const session = await stack.sessions.createSession({
      userId: "alice",
      environment: "staging",
      providerId: "my-cloud",
      instanceId: INSTANCE_ID,
    });

    const created = await stack.executor.execute({
      instanceId: INSTANCE_ID,
      commandId: "create-instance",
      sessionId: session.id,
      params: { name: "web-1", region: "us-east-1" },
    });
    expect(created.status).toBe("succeeded");
    if (created.status !== "succeeded") return;
    expect(created.result.data).toEqual({ instanceId: "i-123" });
    // the provider got the defaults the validator filled in, and the session's context
    expect(t.runs).toEqual([
      {
        instanceId: INSTANCE_ID,
        commandId: "create-instance",
        params: { name: "web-1", region: "us-east-1", cpu: 2, memory: 4 },
        dryRun: false,
        sessionId: session.id,
      },
    ]);

    const configured = await stack.executor.execute({
      instanceId: INSTANCE_ID,
      commandId: "configure-instance",
      sessionId: session.id,
      params: { instanceId: "i-123", licenseBlob: "LIC-0001-SECRET" },
    });
    expect(configured.status).toBe("succeeded");

    const commandEvents = typesOf(stack, "command:");
    expect(commandEvents).toEqual([
      "command:started",
      "command:completed",
      "command:started",
      "command:completed",
    ]);
    const resourceEvents = stack.seen
      .filter((s) => s.type.startsWith("resource:"))
      .map((s) => [s.type, (s.event as { resourceId: string }).resourceId]);
    expect(resourceEvents).toEqual([
      ["resource:created", "i-123"],
      ["resource:updated", "i-123"],
    ]);
    const started = stack.seen.find((s) => s.type === "command:started")?.event;
    expect(started).toMatchObject({
      executionId: created.executionId,
      commandId: "create-instance",
      providerId: "my-cloud",
      instanceId: INSTANCE_ID,
      sessionId: session.id,
      userId: "alice",
    });

    const before = await stack.sessions.getSession(session.id);
    const historyBefore = await stack.sessions.getHistory(session.id);
    expect(historyBefore.map((h) => [h.commandId, h.status, h.userId])).toEqual([
      ["create-instance", "succeeded", "alice"],
      ["configure-instance", "succeeded", "alice"],
    ]);
    expect(historyBefore[1]?.params).toEqual({ instanceId: "i-123", licenseBlob: REDACTED });
    expect(before?.resources["i-123"]).toMatchObject({ id: "i-123", providerId: "my-cloud" });

    // restart: close everything, then a new registry, session manager and executor over the same state dir
    await stack.close();
    stack = await t.open();
    const after = await stack.sessions.getSession(session.id);
    expect(after).toBeDefined();
    expect(after?.state).toBe("active");
    expect(after?.userId).toBe("alice");
    expect(after?.environment).toBe("staging");
    expect(await stack.sessions.getHistory(session.id)).toEqual(historyBefore);
    expect(after?.resources).toEqual(before?.resources);

    // the restarted stack keeps working on the same session
    const again = await stack.executor.execute({
      instanceId: INSTANCE_ID,
      commandId: "create-instance",
      sessionId: session.id,
      params: { name: "web-2", region: "eu-west-1", cpu: 4 },
    });
    expect(again.status).toBe("succeeded");
    expect(await stack.sessions.getHistory(session.id)).toHaveLength(3);
    expect(stack.loggingErrors).toEqual([]);
  });

  it("invalid params never reach the provider and are recorded as a failed run", async () => {
    stack = await t.open();
    const session = await stack.sessions.createSession({ userId: "bob" });
    const outcome = await stack.executor.execute({
      instanceId: INSTANCE_ID,
      commandId: "create-instance",
      sessionId: session.id,
      params: { name: "web-1", cpu: "two" },
    });
    expect(outcome.status).toBe("invalid");
    if (outcome.status !== "invalid") return;
    expect(outcome.issues.map((i) => i.path).sort()).toEqual(["params.cpu", "params.region"]);
    expect(t.runs).toEqual([]);
    expect(typesOf(stack, "command:")).toEqual([]);
    const history = await stack.sessions.getHistory(session.id);
    expect(history.map((h) => [h.status, h.errorCode])).toEqual([["failed", "VALIDATION_FAILED"]]);
  });
});
