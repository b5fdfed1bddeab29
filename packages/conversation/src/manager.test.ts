import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { InfrastructureConversationManager, InfrastructureStateProvider } from "./index.js";
import type { LanguageModelAdapter } from "./index.js";
import { FakeRunner, MUTATING, catalogue } from "../test/managerFixture.js";

function setup(options: { model?: LanguageModelAdapter; now?: () => number } = {}) {
  const runner = new FakeRunner();
  const state = new InfrastructureStateProvider();
  state.upsertResource({
    id: "i-0a1b2c3d4e5f67890",
    name: "web-1",
    type: "compute",
    environment: "production",
    updatedAt: 0,
  });
  state.upsertResource({
    id: "i-0b2c3d4e5f6789012",
    name: "web-2",
    type: "compute",
    environment: "production",
    updatedAt: 0,
  });
  const manager = new InfrastructureConversationManager({ catalogue, runner, state, ...options });
  return { runner, manager, state };
}

const ctx = (conversationId = "c1") => ({ conversationId, environment: "production" });

describe("InfrastructureConversationManager", () => {
  it("runs a read at once and asks before a change; 'yes' runs it confirmed", async () => {
    const { runner, manager } = setup();
    const list = await manager.processMessage("list all servers", ctx());
    expect(list.kind).toBe("executed");
    expect(runner.calls[0]).toMatchObject({ commandId: "list-instances", environment: "production" });
    const ask = await manager.processMessage("create an instance named web-9 in eu-west-1", ctx());
    expect(ask.kind).toBe("confirmation");
    expect(ask.command).toMatchObject({
      commandId: "create-instance",
      params: { name: "web-9", region: "eu-west-1" },
    });
    expect(ask.confirmation?.level).toBe("simple");
    expect(runner.calls).toHaveLength(1);
    const done = await manager.processMessage("yes", ctx());
    expect(done.kind).toBe("executed");
    expect(runner.calls[1]).toMatchObject({
      commandId: "create-instance",
      confirmed: true,
      params: { name: "web-9", region: "eu-west-1" },
    });
    expect(JSON.parse(JSON.stringify(done))).toEqual(done);
  });

  it("makes the user type the name for a destructive operation in production", async () => {
    const { runner, manager } = setup();
    const ask = await manager.processMessage("delete web-1", ctx());
    expect(ask.kind).toBe("confirmation");
    expect(ask.confirmation).toMatchObject({ level: "typed", expectedText: "web-1" });
    expect(ask.confirmation?.summary.deletes).toEqual(["web-1 (i-0a1b2c3d4e5f67890)"]);
    expect((await manager.processMessage("yes", ctx())).kind).toBe("confirmation");
    expect(runner.calls).toHaveLength(0);
    const done = await manager.processMessage("web-1", ctx());
    expect(done.kind).toBe("executed");
    expect(runner.calls[0]).toMatchObject({
      commandId: "delete-instance",
      confirmed: true,
      params: { instanceId: "i-0a1b2c3d4e5f67890" },
      resourceIds: ["i-0a1b2c3d4e5f67890"],
    });
  });

  it("'cancel that' withdraws the pending operation", async () => {
    const { runner, manager } = setup();
    await manager.processMessage("scale the web servers to 5", ctx());
    const cancelled = await manager.processMessage("cancel that", ctx());
    expect(cancelled.kind).toBe("cancelled");
    expect((await manager.processMessage("yes", ctx())).kind).not.toBe("executed");
    expect(runner.calls).toHaveLength(0);
  });

  it("keeps context: 'and in staging too', pronouns, clarification answers", async () => {
    const { runner, manager } = setup();
    await manager.processMessage("scale the web servers to 5", ctx());
    await manager.processMessage("yes", ctx());
    const again = await manager.processMessage("and in staging too", ctx());
    expect(again.kind).toBe("confirmation");
    expect(again.command).toMatchObject({
      commandId: "scale-instances",
      environment: "staging",
      params: { count: 5 },
    });
    await manager.processMessage("yes", ctx());
    expect(runner.calls.map((c) => c.environment)).toEqual(["production", "staging"]);
    await manager.processMessage("restart web-2", ctx());
    await manager.processMessage("cancel", ctx());
    const it2 = await manager.processMessage("restart it", ctx());
    expect(it2.command?.params).toEqual({ instanceId: "i-0b2c3d4e5f6789012" });
  });

  it("lists the candidates when a reference matches several resources", async () => {
    const { manager, state } = setup();
    state.upsertResource({
      id: "i-9",
      name: "web-1",
      type: "compute",
      environment: "production",
      updatedAt: 0,
    });
    const r = await manager.processMessage("restart web-1", ctx());
    expect(r.kind).toBe("clarification");
    expect(r.ambiguities.find((a) => a.kind === "resource")).toMatchObject({ reference: "web-1" });
  });

  it("asks for missing required parameters with suggestions", async () => {
    const { manager } = setup();
    const r = await manager.processMessage("create an instance named web-9", ctx());
    expect(r.kind).toBe("clarification");
    expect(r.ambiguities.find((a) => a.kind === "missing-parameter")).toMatchObject({
      parameters: ["region"],
    });
  });

  it("answers out of scope and framework questions without running anything", async () => {
    const { runner, manager } = setup();
    expect((await manager.processMessage("tell me a joke", ctx())).kind).toBe("out-of-scope");
    expect(
      (await manager.processMessage("What infrastructure providers are running?", ctx())).response,
    ).toMatch(/1 active instance/);
    expect(runner.calls).toHaveLength(0);
  });

  it("humanizes a failed run and reports a denial with its reasons", async () => {
    const { runner, manager } = setup();
    runner.outcome = (r) => ({
      status: "failed",
      executionId: "e",
      commandId: r.commandId,
      instanceId: r.instanceId,
      sessionId: undefined,
      duration: 1,
      attempts: 1,
      decision: undefined,
      result: {
        success: false,
        error: { code: "ThrottlingException", message: "Rate exceeded", recoverable: true },
        duration: 1,
        logs: [],
        affectedResources: [],
        rollbackAvailable: false,
      },
    });
    const failed = await manager.processMessage("list all servers", ctx());
    expect(failed.kind).toBe("failed");
    expect(failed.outcome?.error?.category).toBe("throttling");
    runner.outcome = (r) => ({
      status: "denied",
      executionId: "e",
      commandId: r.commandId,
      instanceId: r.instanceId,
      sessionId: undefined,
      duration: 1,
      decision: {
        outcome: "denied",
        risk: { score: 92, level: "critical", factors: [] },
        reasons: [{ check: "rbac", passed: false, message: "needs infra:admin" }],
      },
      result: {
        success: false,
        error: { code: "SECURITY_DENIED", message: "denied", recoverable: false },
        duration: 1,
        logs: [],
        affectedResources: [],
        rollbackAvailable: false,
      },
    });
    const denied = await manager.processMessage("list all servers", ctx());
    expect(denied.kind).toBe("denied");
    expect(denied.response).toContain("needs infra:admin");
    expect(denied.response).toContain("92/100");
  });

  it("uses a plugged-in model, and falls back when it fails, hangs or talks nonsense", async () => {
    let calls = 0;
    const model: LanguageModelAdapter = {
      classify: (text) => {
        calls++;
        if (text.includes("hang")) return new Promise(() => undefined);
        if (text.includes("nonsense")) return Promise.resolve({ operation: "explode", confidence: 9 });
        if (text.includes("boom")) return Promise.reject(new Error("model down"));
        return Promise.resolve({ operation: "list", confidence: 0.99 });
      },
    };
    const { manager } = setup({ model });
    expect((await manager.processMessage("whatever you say, show me things", ctx())).intent).toMatchObject({
      operation: "list",
      source: "model",
    });
    const fallback = new InfrastructureConversationManager({
      catalogue,
      runner: new FakeRunner(),
      model,
      modelTimeoutMs: 20,
    });
    for (const text of ["nonsense: restart web-1", "boom restart web-1", "hang on, restart web-1"]) {
      expect((await fallback.processMessage(text, ctx(text))).intent).toMatchObject({
        operation: "restart",
        source: "offline",
      });
    }
    expect(calls).toBe(4);
  });

  it("takes core's conversationConfig section and names a bad field", async () => {
    const runner = new FakeRunner();
    const manager = new InfrastructureConversationManager({
      catalogue,
      runner,
      config: { confirmationPolicy: "risky" },
    });
    expect((await manager.processMessage("list all servers", ctx())).kind).toBe("executed");
    expect(
      () =>
        new InfrastructureConversationManager({ catalogue, runner, config: { timeZone: "Nowhere/Land" } }),
    ).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED", field: "conversationConfig.timeZone" }));
  });

  it("red team: no mutating operation runs on the first turn of any listed message", async () => {
    const lines = readFileSync(new URL("../eval/data/redteam.txt", import.meta.url), "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.startsWith("#"));
    expect(lines.length).toBeGreaterThanOrEqual(40);
    for (const line of lines) {
      const { runner, manager } = setup();
      const r = await manager.processMessage(line, ctx());
      const mutatingRuns = runner.calls.filter((c) => MUTATING.has(c.commandId));
      expect({ line, mutatingRuns }).toEqual({ line, mutatingRuns: [] });
      // And an unrelated next message never runs what was waiting.
      await manager.processMessage("show me the logs of web-1", ctx());
      expect(runner.calls.filter((c) => MUTATING.has(c.commandId))).toEqual([]);
      void r;
    }
  });

  it("red team, fuzzed: without a yes, nothing mutating ever runs", async () => {
    const words = [
      "delete",
      "web-1",
      "and",
      "list",
      "don't",
      "'drop-it'",
      "yes",
      "scale",
      "to",
      "5",
      "restart",
      "it",
      "confirm",
      "prod",
      "create",
      "named",
      "x-1",
      "in",
      "eu-west-1",
      "then",
      "cancel",
      "instances",
      "servers",
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 8 }).map((w) => w.join(" ")),
          { minLength: 1, maxLength: 4 },
        ),
        async (messages) => {
          const { runner, manager } = setup();
          for (const m of messages) {
            const before = runner.calls.length;
            const pendingBefore = manager.confirmations.list().length;
            await manager.processMessage(m, ctx());
            for (const call of runner.calls.slice(before)) {
              if (!MUTATING.has(call.commandId)) continue;
              // A mutating run only ever follows an open confirmation answered in this very message.
              expect(call.confirmed).toBe(true);
              expect(pendingBefore).toBe(1);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
