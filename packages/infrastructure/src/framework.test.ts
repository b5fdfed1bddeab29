import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ConfigValidationError,
  createNoopLogger,
  infrastructureConfigSchema,
  safeParseInfrastructureConfig,
} from "@espada/infra-core";
import { createSimpleProvider, defineCommand, defineProvider, success } from "@espada/infra-sdk";
import { createInfrastructureFramework } from "./framework.js";
import type { InfrastructureFramework } from "./framework.js";
import { auditTail, auditVerify } from "./operations.js";

export const echoMeta = defineProvider()
  .id("echo")
  .name("echo")
  .displayName("Echo")
  .version("1.0.0")
  .category("custom")
  .capabilities("monitor")
  .supportedResources("custom")
  .authMethods("api-key")
  .build();
const say = defineCommand()
  .id("say")
  .name("Say")
  .category("monitor")
  .stringParam("text", "What to say", { required: true })
  .handler((params) => success({ said: params.text }));

/** Registers the echo provider's factory on a framework. */
export function registerEcho(framework: InfrastructureFramework): void {
  framework.registry.registerFactory(echoMeta, ({ instanceId, logger }) =>
    createSimpleProvider({
      meta: echoMeta,
      instanceId,
      logger,
      commands: [say],
      onInitialize() {},
      onStart() {},
      onHealthCheck: () => [{ name: "echo", status: "healthy" }],
    }),
  );
}

describe("createInfrastructureFramework", () => {
  let dir: string;
  let framework: InfrastructureFramework | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "espada-shell-"));
  });
  afterEach(async () => {
    await framework?.shutdown();
    framework = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  const config = {
    providers: [
      { id: "echo", auth: { method: "api-key", credentials: { apiKey: "sk-live-abcdef0123456789" } } },
    ],
    discoveryConfig: { enabled: false },
    securityConfig: { policies: { assignments: [{ userId: "ann", roleId: "sre" }] } },
  };

  it("brings configured providers up and runs a command through the gate, the audit and the session", async () => {
    framework = await createInfrastructureFramework(config, {
      cwd: dir,
      logger: createNoopLogger(),
      env: {},
    });
    expect(framework.stateDir).toBe(join(dir, ".espada-infra"));
    registerEcho(framework);
    const report = await framework.start();
    expect(report.failed).toEqual([]);
    expect(report.started.map((s) => [s.instanceId, s.state])).toEqual([["echo", "active"]]);
    expect(await framework.start()).toBe(report);

    const sessions = await framework.sessions();
    const session = await sessions.createSession({ userId: "ann", environment: "development" });
    const runner = await framework.runner();
    const outcome = await runner.execute({
      instanceId: "echo",
      commandId: "say",
      params: { text: "hi" },
      sessionId: session.id,
    });
    expect(outcome.status).toBe("succeeded");
    const denied = await runner.execute({
      instanceId: "echo",
      commandId: "say",
      params: { text: "hi" },
      userId: "mallory",
    });
    expect(denied.status).toBe("denied");

    const security = await framework.security();
    const records = await security.auditLog?.query({});
    expect(records?.map((r) => r.type)).toContain("permission_denied");
    expect((await security.auditLog?.verify())?.ok).toBe(true);
    expect((await sessions.getHistory(session.id)).map((h) => h.status)).toEqual(["succeeded"]);
    expect((await readdir(framework.stateDir)).sort()).toEqual(["security", "sessions"]);
  });

  it("audit tail and verify answer a typed error while the audit log is off", async () => {
    framework = await createInfrastructureFramework(
      { ...config, securityConfig: { ...config.securityConfig, audit: { enabled: false } } },
      { cwd: dir, logger: createNoopLogger(), env: {} },
    );
    const ctx = { framework, user: "ann" };
    const off = {
      ok: false,
      error: { code: "INVALID_ARGUMENT", message: expect.stringMatching(/audit log is off/) },
    };
    expect(await auditTail(ctx)).toEqual(off);
    expect(await auditVerify(ctx)).toEqual(off);
  });

  it("keeps state across a restart in the same state directory", async () => {
    framework = await createInfrastructureFramework(config, {
      cwd: dir,
      logger: createNoopLogger(),
      env: {},
    });
    const sessions = await framework.sessions();
    const session = await sessions.createSession({ userId: "ann" });
    await framework.shutdown();
    framework = await createInfrastructureFramework(config, {
      cwd: dir,
      logger: createNoopLogger(),
      env: {},
    });
    expect((await (await framework.sessions()).getSession(session.id))?.userId).toBe("ann");
  });

  it("keeps a pending chat confirmation across a restart: confirmable after close and reopen", async () => {
    const created: unknown[] = [];
    const createInstance = defineCommand()
      .id("create-instance")
      .name("Create Instance")
      .category("provision")
      .stringParam("name", "Instance name", { required: true })
      .handler((params) => {
        created.push(params.name);
        return success({ created: params.name });
      });
    const boot = async (): Promise<InfrastructureFramework> => {
      const f = await createInfrastructureFramework(config, {
        cwd: dir,
        logger: createNoopLogger(),
        env: {},
      });
      f.registry.registerFactory(echoMeta, ({ instanceId, logger }) =>
        createSimpleProvider({
          meta: echoMeta,
          instanceId,
          logger,
          commands: [say, createInstance],
          onInitialize() {},
          onStart() {},
          onHealthCheck: () => [{ name: "echo", status: "healthy" }],
        }),
      );
      await f.start();
      return f;
    };
    const ctx = { conversationId: "chat-1", userId: "ann", environment: "development" };
    framework = await boot();
    const asked = await (
      await framework.conversation()
    ).processMessage("create an instance named web-9", ctx);
    expect(asked.kind).toBe("confirmation");
    expect(asked.command).toMatchObject({ commandId: "create-instance", params: { name: "web-9" } });
    expect(created).toEqual([]);
    await framework.shutdown();
    expect((await readdir(framework.stateDir)).sort()).toContain("conversation");

    framework = await boot();
    const done = await (await framework.conversation()).processMessage("yes", ctx);
    expect(done.kind).toBe("executed");
    expect(created).toEqual(["web-9"]);
    // Acted on once: a second "yes" finds nothing pending, and nothing runs again.
    const again = await (await framework.conversation()).processMessage("yes", ctx);
    expect(again.kind).not.toBe("executed");
    expect(created).toEqual(["web-9"]);
  });

  it("reports a provider that does not start and starts the others", async () => {
    framework = await createInfrastructureFramework(
      { ...config, providers: [{ id: "missing" }, ...config.providers] },
      { cwd: dir, logger: createNoopLogger(), env: {} },
    );
    registerEcho(framework);
    const report = await framework.start();
    expect(report.started.map((s) => s.instanceId)).toEqual(["echo"]);
    expect(report.failed).toMatchObject([{ providerId: "missing", code: "NOT_FOUND" }]);
  });

  it("uses a config core already validated as it is, and parses any other", async () => {
    const validated = safeParseInfrastructureConfig(config);
    if (!validated.success) throw new Error("the fixture must be valid");
    const spy = vi.spyOn(infrastructureConfigSchema, "safeParse");
    try {
      framework = await createInfrastructureFramework(validated.data, {
        cwd: dir,
        logger: createNoopLogger(),
        env: {},
      });
      expect(spy).not.toHaveBeenCalled();
      registerEcho(framework);
      const report = await framework.start();
      expect(report.started.map((s) => [s.instanceId, s.state])).toEqual([["echo", "active"]]);
      await framework.shutdown();
      framework = await createInfrastructureFramework(structuredClone(validated.data), {
        cwd: dir,
        logger: createNoopLogger(),
        env: {},
      });
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });

  it("refuses an invalid configuration with every issue and its path", async () => {
    const error = await createInfrastructureFramework({
      sessionConfig: { timeout: -1 },
      providerz: [],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigValidationError);
    const paths = (error as ConfigValidationError).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["sessionConfig.timeout"]));
  });

  it("opens nothing on disk until a part is used, and shuts down twice safely", async () => {
    framework = await createInfrastructureFramework({}, { cwd: dir, logger: createNoopLogger(), env: {} });
    expect(await readdir(dir)).toEqual([]);
    await framework.shutdown();
    await framework.shutdown();
    await expect(framework.start()).rejects.toMatchObject({ code: "SHUTDOWN" });
  });
});
