import { describe, expect, it } from "vitest";
import type { InfrastructureCatalogue, OperationRunner } from "@espada/infra-core";
import { InfrastructureConversationManager, InfrastructureStateProvider } from "@espada/infra-conversation";
import { ScriptedGate } from "./support/gates.js";
import { INSTANCE_ID, useStackPerTest } from "./support/stack.js";
import type { Stack } from "./support/stack.js";

// Chat messages through the real registry (catalogue), executor (runner) and file-backed sessions:
// the conversation pipeline holds only core's interfaces, so every operation it starts passes the
// same validation and security gate as a CLI call.
describe("conversation → catalogue + runner → a confirmed operation", () => {
  const t = useStackPerTest();
  let stack: Stack | undefined;

  function converse(s: Stack, state?: InfrastructureStateProvider): InfrastructureConversationManager {
    const catalogue: InfrastructureCatalogue = s.registry.catalogue;
    const runner: OperationRunner = s.executor.runner;
    return new InfrastructureConversationManager({
      catalogue,
      runner,
      sessions: s.sessions,
      ...(state === undefined ? {} : { state }),
    });
  }

  it("creates an instance from chat only after 'yes', through validation, the gate, the provider and the session history", async () => {
    const gate = new ScriptedGate({});
    stack = await t.open({ gate });
    const session = await stack.sessions.createSession({ userId: "alice", environment: "staging" });
    const chat = converse(stack);
    const context = { conversationId: "chat-1", sessionId: session.id, userId: "alice" };

    const asked = await chat.processMessage(
      "please create an instance named web-9 in eu-west-1 with 4 cpus",
      context,
    );
    expect(asked.kind).toBe("confirmation");
    expect(asked.intent).toMatchObject({ category: "provision", operation: "create" });
    expect(asked.command).toMatchObject({
      instanceId: INSTANCE_ID,
      commandId: "create-instance",
      environment: "staging",
      params: { name: "web-9", region: "eu-west-1", cpu: 4 },
    });
    expect(t.runs).toEqual([]);
    expect(gate.requests).toEqual([]);

    const done = await chat.processMessage("yes", context);
    expect(done.kind).toBe("executed");
    expect(t.runs).toMatchObject([
      {
        commandId: "create-instance",
        params: { name: "web-9", region: "eu-west-1", cpu: 4, memory: 4 },
        sessionId: session.id,
        dryRun: false,
      },
    ]);
    expect(gate.requests).toHaveLength(1);
    expect(gate.requests[0]).toMatchObject({
      commandId: "create-instance",
      userId: "alice",
      environment: "staging",
      confirmed: true,
    });
    const history = await stack.sessions.getHistory(session.id);
    expect(history.map((h) => [h.commandId, h.status])).toEqual([["create-instance", "succeeded"]]);
  });

  it("asks the gate exactly as a direct call does, and a denial is explained and t.runs nothing", async () => {
    const gate = new ScriptedGate({ deny: ["delete-instance"] });
    stack = await t.open({ gate });
    const session = await stack.sessions.createSession({ userId: "mallory", environment: "production" });
    const state = new InfrastructureStateProvider();
    state.upsertResource({
      id: "i-0a1b2c3d4e5f67890",
      name: "web-1",
      type: "compute",
      environment: "production",
      updatedAt: 0,
    });
    const chat = converse(stack, state);
    const context = { conversationId: "chat-2", sessionId: session.id, userId: "mallory" };

    const asked = await chat.processMessage("delete web-1", context);
    expect(asked.confirmation).toMatchObject({ level: "typed", expectedText: "web-1" });
    const denied = await chat.processMessage("web-1", context);
    expect(denied.kind).toBe("denied");
    expect(denied.response).toContain("user mallory may not run delete-instance");
    expect(t.runs).toEqual([]);

    // The same call made directly reaches the gate with the same request.
    await stack.executor.runner.execute({
      instanceId: INSTANCE_ID,
      commandId: "delete-instance",
      params: { instanceId: "i-0a1b2c3d4e5f67890" },
      sessionId: session.id,
      userId: "mallory",
      environment: "production",
      confirmed: true,
      resourceIds: ["i-0a1b2c3d4e5f67890"],
    });
    const [fromChat, direct] = gate.requests;
    const comparable = (r: typeof fromChat) => ({ ...r, operationId: undefined });
    expect(comparable(fromChat)).toEqual(comparable(direct));
  });

  it("an operation the gate sends for approval waits in the session, with the approval id shown", async () => {
    const gate = new ScriptedGate({ approve: ["create-instance"] });
    stack = await t.open({ gate });
    const session = await stack.sessions.createSession({ userId: "alice", environment: "production" });
    const chat = converse(stack);
    const context = { conversationId: "chat-3", sessionId: session.id, userId: "alice" };
    await chat.processMessage("spin up an instance called api-2 in us-east-1", context);
    const pending = await chat.processMessage("yes", context);
    expect(pending.kind).toBe("pending-approval");
    expect(pending.outcome).toMatchObject({ status: "pending", waitingFor: "approval" });
    expect(pending.response).toContain(pending.outcome?.approvalId ?? "?");
    expect((await stack.sessions.getSession(session.id))?.pendingOperations.map((p) => p.commandId)).toEqual([
      "create-instance",
    ]);
    expect(t.runs).toEqual([]);
  });

  it("the status updater and state provider follow the executor's events of a chat-started run", async () => {
    stack = await t.open({ gate: new ScriptedGate({}) });
    const session = await stack.sessions.createSession({ userId: "alice" });
    const state = new InfrastructureStateProvider();
    const chat = converse(stack, state);
    const offStatus = chat.status.attach(stack.registry.events);
    const offState = state.attach(stack.registry.events);
    const seen: string[] = [];
    chat.status.subscribe((e) => seen.push(e.type), { verbosity: "verbose" });
    const context = { conversationId: "chat-4", sessionId: session.id, userId: "alice" };
    await chat.processMessage("create an instance named web-7 in eu-west-1", context);
    const done = await chat.processMessage("yes", context);
    expect(done.kind).toBe("executed");
    expect(seen[0]).toBe("started");
    expect(seen.at(-1)).toBe("completed");
    expect(state.getResource("i-123")).toMatchObject({ id: "i-123", instanceId: INSTANCE_ID });
    offStatus();
    offState();
  });
});
