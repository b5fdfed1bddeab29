import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import plugin, { GATEWAY_METHOD_NAMES, SERVICE_ID, TOOL_NAMES, TOOL_USER } from "./index.js";
import { createFakeHost } from "../test/support/fakeHost.js";
import type { FakeHost } from "../test/support/fakeHost.js";
import { SECRET, createWorkspace } from "../test/support/workspace.js";
import type { Workspace } from "../test/support/workspace.js";

describe("gateway methods, the service and agent tools against a fake host", () => {
  let ws: Workspace;
  let host: FakeHost;

  beforeEach(async () => {
    ws = createWorkspace();
    host = createFakeHost(
      {
        providers: [{ id: "echo", auth: { method: "api-key", credentials: { apiKey: SECRET } } }],
        discoveryConfig: { installedDirs: [], localDirs: [join(ws.dir, "plugins")] },
        securityConfig: {
          policies: {
            assignments: [
              { userId: "ann", roleId: "sre" },
              { userId: "bob", roleId: "admin" },
              { userId: TOOL_USER, roleId: "sre" },
            ],
            approvalChains: [
              {
                id: "prod",
                riskLevels: ["minimal", "low", "medium", "high", "critical"],
                environments: ["production"],
                steps: [{ role: "admin", approvers: 1 }],
              },
            ],
          },
        },
      },
      join(ws.dir, "host-state"),
    );
    plugin.register(host.api);
    const logger = host.api.logger;
    await host.services[0]?.start({
      stateDir: join(ws.dir, "host-state"),
      ...(logger === undefined ? {} : { logger }),
    });
  });
  afterEach(async () => {
    await host.services[0]?.stop?.({ stateDir: join(ws.dir, "host-state") });
    ws.remove();
  });

  it("registers the service, every gateway method and every tool", () => {
    expect(host.services.map((s) => s.id)).toEqual([SERVICE_ID]);
    expect([...host.gateway.keys()]).toEqual(GATEWAY_METHOD_NAMES);
    expect(GATEWAY_METHOD_NAMES).toEqual(
      expect.arrayContaining([
        "infrastructure/providers",
        "infrastructure/instances",
        "infrastructure/status",
      ]),
    );
    expect(host.tools.map((t) => t.name)).toEqual([...TOOL_NAMES]);
    for (const tool of host.tools) expect(tool.parameters).toMatchObject({ type: "object" });
  });

  it("the service started the configured provider; providers / instances / status have the spec's payloads", async () => {
    expect(host.logs.some((l) => l.message.includes("ready: 1 provider(s), 1 instance(s) started"))).toBe(
      true,
    );
    const providers = await host.call("infrastructure/providers");
    expect(providers).toMatchObject({
      ok: true,
      payload: {
        providers: [
          { id: "echo", meta: { id: "echo", displayName: "Echo Cloud" }, registeredAt: expect.any(Number) },
        ],
      },
    });
    const instances = await host.call("infrastructure/instances", {});
    expect(instances).toMatchObject({
      ok: true,
      payload: {
        instances: [{ id: "echo", instanceId: "echo", state: "active", createdAt: expect.any(Number) }],
      },
    });
    const status = await host.call("infrastructure/status");
    expect(status).toMatchObject({
      ok: true,
      payload: {
        factories: 1,
        instances: 1,
        instancesByState: { active: 1 },
        lifecycle: { hooks: expect.any(Object) },
        health: { healthy: 1 },
      },
    });
  });

  it("exec, approvals and chat counterparts", async () => {
    const done = await host.call("infrastructure/exec", {
      provider: "echo",
      command: "say",
      params: { text: "hey" },
      user: "ann",
    });
    expect(done).toMatchObject({ ok: true, payload: { status: "succeeded", data: { said: "hey" } } });
    const waiting = await host.call("infrastructure/exec", {
      provider: "echo",
      command: "create-thing",
      params: { name: "p" },
      environment: "production",
      user: "ann",
    });
    const approvalId = (waiting.payload as { pending: { approvalId: string } }).pending.approvalId;
    const list = await host.call("infrastructure/approvals", { status: "pending" });
    expect(list.payload).toMatchObject({ approvals: [{ id: approvalId }] });
    const decided = await host.call("infrastructure/approvals/decide", {
      id: approvalId,
      decision: "approve",
      user: "bob",
    });
    expect(decided).toMatchObject({
      ok: true,
      payload: { approval: { status: "approved" }, operation: { status: "succeeded" } },
    });
    const chat = await host.call("infrastructure/chat", { message: "list instances", user: "ann" });
    expect(chat.ok).toBe(true);
  });

  it("bad params are refused with a typed error naming the field; nothing throws out", async () => {
    const cases: [string, unknown][] = [
      ["infrastructure/exec", { provider: "echo" }],
      ["infrastructure/exec", { provider: "echo", command: "say", params: "nope" }],
      ["infrastructure/providers", { extra: 1 }],
      ["infrastructure/status", { checkHealth: "yes" }],
      ["infrastructure/approvals/decide", { id: "x", decision: "maybe" }],
      ["infrastructure/exec", { provider: "echo", command: "say", user: 42 }],
      ["infrastructure/instances", []],
    ];
    for (const [method, params] of cases) {
      const answer = await host.call(method, params as Record<string, unknown>);
      expect(answer.ok, `${method} ${JSON.stringify(params)}`).toBe(false);
      expect(answer.error?.code).toBe("VALIDATION_FAILED");
    }
    const missingField = await host.call("infrastructure/exec", { provider: "echo" });
    expect(
      (missingField.error?.details as { issues: { path: string }[] }).issues.map((i) => i.path),
    ).toContain("command");
    const denied = await host.call("infrastructure/exec", {
      provider: "echo",
      command: "say",
      params: { text: "x" },
    });
    expect(denied).toMatchObject({ ok: false, error: { code: "SECURITY_DENIED" } });
    // The instance "echo" of provider "echo" is named once among what exists.
    const unknown = await host.call("infrastructure/exec", { provider: "nope", command: "say", user: "ann" });
    expect(unknown).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    expect(unknown.error?.message.match(/"echo"/g)).toHaveLength(1);
    const leak = await host.call("infrastructure/exec", { provider: "echo", command: "leak", user: "ann" });
    expect(JSON.stringify(leak)).not.toContain(SECRET);
  });

  it("a handler whose framework cannot be built answers once with the error", async () => {
    const broken = createFakeHost({ sessionConfig: { timeout: -1 } });
    plugin.register(broken.api);
    const answer = await broken.call("infrastructure/status");
    expect(answer.ok).toBe(false);
    expect(answer.error?.code).toBe("CONFIG_INVALID");
    expect(answer.error?.message).toContain("sessionConfig.timeout");
  });

  it("tools: list, assess risk (records nothing), run through the gate, act on approvals; failures throw typed errors", async () => {
    const tool = (name: string) => {
      const found = host.tools.find((t) => t.name === name);
      if (found === undefined) throw new Error(name);
      return found;
    };
    const providers = await tool("infra_list_providers").execute("c1", {});
    expect(providers.content[0]?.text).toContain("echo: Echo Cloud");
    const instances = await tool("infra_list_instances").execute("c2", {});
    expect(instances.content[0]?.text).toContain("echo (echo): active");
    const risk = await tool("infra_assess_risk").execute("c3", {
      provider: "echo",
      command: "create-thing",
      params: { name: "r" },
      environment: "production",
    });
    expect(risk.details).toMatchObject({ decision: { outcome: "needs-approval" } });
    const pendingBefore = await host.call("infrastructure/approvals", { status: "pending" });
    expect((pendingBefore.payload as { approvals: unknown[] }).approvals).toEqual([]); // what-if recorded nothing
    const ran = await tool("infra_run_command").execute("c4", {
      provider: "echo",
      command: "say",
      params: { text: "yo" },
    });
    expect(ran.details).toMatchObject({ status: "succeeded", data: { said: "yo" } });
    const waiting = await tool("infra_run_command").execute("c5", {
      provider: "echo",
      command: "create-thing",
      params: { name: "q" },
      environment: "production",
    });
    expect(waiting.content[0]?.text).toContain("waiting for approval");
    const approvals = await tool("infra_list_approvals").execute("c6", { status: "pending" });
    expect(approvals.content[0]?.text).toContain("create-thing by assistant");
    await expect(tool("infra_run_command").execute("c7", { provider: "echo" })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
    await expect(
      tool("infra_run_command").execute("c8", { provider: "echo", command: "leak" }),
    ).rejects.toMatchObject({ code: "PROVIDER_FAILED" });
    const id = (approvals.details as { approvals: { id: string }[] }).approvals[0]?.id ?? "";
    // the assistant holds sre, not admin: the chain's admin step refuses it
    await expect(
      tool("infra_decide_approval").execute("c9", { id, decision: "approve" }),
    ).rejects.toMatchObject({ code: "SECURITY_DENIED" });
  });

  it("the service stops everything and a second stop is harmless", async () => {
    await host.services[0]?.stop?.({ stateDir: join(ws.dir, "host-state") });
    await host.services[0]?.stop?.({ stateDir: join(ws.dir, "host-state") });
    // the next call builds a fresh framework (the gateway may outlive a service restart)
    const status = await host.call("infrastructure/status", { checkHealth: false });
    expect(status.ok).toBe(true);
  });
});
