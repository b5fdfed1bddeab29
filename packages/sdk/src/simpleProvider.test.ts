import { describe, expect, it, vi } from "vitest";
import { ValidationError } from "@espada/infra-core";
import { defineCommand } from "./defineCommand.js";
import { defineProvider } from "./defineProvider.js";
import { failure, success, validation } from "./results.js";
import { createSimpleProvider } from "./simpleProvider.js";
import type { SimpleProviderOptions } from "./simpleProvider.js";
import { createMockLogger, expectFailure, expectSuccess, runProviderLifecycle } from "./testing.js";

const meta = defineProvider()
  .id("my-cloud")
  .name("My Cloud Provider")
  .displayName("My Cloud")
  .version("1.0.0")
  .category("cloud")
  .capabilities("provision")
  .authMethods("api-key", "oauth2")
  .build();

const command = defineCommand()
  .id("create-instance")
  .name("Create Instance")
  .category("provision")
  .stringParam("name", "Instance name", { required: true })
  .stringParam("region", "Target region", { required: true })
  .numberParam("cpu", "CPU count", { default: 2 })
  .supportsDryRun()
  .build();

const callbacks = (): Pick<SimpleProviderOptions, "onInitialize" | "onStart" | "onHealthCheck"> => ({
  onInitialize: vi.fn(),
  onStart: vi.fn(),
  onHealthCheck: () => [{ name: "api", status: "healthy" }],
});

describe("createSimpleProvider", () => {
  it("runs the spec's provider through its lifecycle with the logger passed to every callback", async () => {
    const logger = createMockLogger();
    const onStop = vi.fn();
    const onDestroy = vi.fn();
    const provider = createSimpleProvider({
      meta,
      commands: [command],
      logger,
      async onInitialize(auth, log) {
        await Promise.resolve();
        log.info(`Connecting with ${auth.method}`);
      },
      onStart(log) {
        log.info("Provider started");
      },
      onStop,
      onDestroy,
      onHealthCheck: () => [{ name: "api", status: "healthy" }],
      onExecuteCommand(cmd, params) {
        if (cmd.id === "create-instance") return success({ instanceId: "i-123", params }, ["i-123"]);
        return failure("UNKNOWN_CMD", `Unknown: ${cmd.id}`);
      },
    });
    const report = await runProviderLifecycle(provider, {
      auth: { method: "api-key", credentials: { apiKey: "k" }, options: {} },
      commands: [{ id: "create-instance", params: { name: "web-1", region: "us-east-1" } }],
    });
    expect(report.error).toBeUndefined();
    expect(report.states).toEqual(["uninitialized", "ready", "active", "suspended", "terminated"]);
    expect(report.health?.status).toBe("healthy");
    expect(expectSuccess(report.results[0]!.result)).toEqual({ instanceId: "i-123", params: { name: "web-1", region: "us-east-1", cpu: 2 } });
    expect(onStop).toHaveBeenCalledOnce();
    expect(onDestroy).toHaveBeenCalledOnce();
    const info = logger.find("info");
    expect(info.map((e) => e.message)).toEqual(["Connecting with api-key", "Provider started"]);
    expect(info[0]?.context).toMatchObject({ providerId: "my-cloud" });
  });

  it("runs typed command implementations without onExecuteCommand", async () => {
    const impl = defineCommand()
      .id("scale")
      .name("Scale")
      .category("manage")
      .numberParam("replicas", "", { required: true, min: 1 })
      .handler((params, ctx) => success({ replicas: params.replicas * 2, user: ctx.userId }));
    const provider = createSimpleProvider({ meta, commands: [impl], ...callbacks() });
    await provider.initialize({ method: "oauth2", credentials: {}, options: {} });
    await provider.start();
    expect(expectSuccess(await provider.executeCommand("scale", { replicas: 2 }, { userId: "bob" }))).toEqual({ replicas: 4, user: "bob" });
    expectFailure(await provider.executeCommand("scale", { replicas: 0 }), "VALIDATION_FAILED");
  });

  it("uses onValidateConfig, or accepts every config without one", async () => {
    const plain = createSimpleProvider({ meta, ...callbacks() });
    expect(await plain.validateConfig({ anything: true })).toEqual(validation.ok());
    const strict = createSimpleProvider({
      meta,
      ...callbacks(),
      onValidateConfig: (config) => (typeof config === "object" && config !== null && "region" in config ? validation.ok() : validation.error("REQUIRED", "region is required", "region")),
    });
    expect(await strict.validateConfig({})).toMatchObject({ valid: false, errors: [{ path: "region" }] });
  });

  it("throws a ValidationError for missing callbacks or a command nobody can run", () => {
    const { onStart: _s, ...noStart } = callbacks();
    expect(() => createSimpleProvider({ meta, ...noStart } as SimpleProviderOptions)).toThrow("onStart must be a function");
    expect(() => createSimpleProvider({ meta, commands: [command], ...callbacks() })).toThrow(/onExecuteCommand is required.*create-instance/);
    expect(() => createSimpleProvider({ meta, ...callbacks(), onStop: "later" as never })).toThrow(ValidationError);
    expect(() => createSimpleProvider({ meta: { ...meta, authMethods: [] }, ...callbacks() })).toThrow(/authMethods/);
  });

  it("a failing onInitialize leaves the provider in error and runProviderLifecycle reports it", async () => {
    const provider = createSimpleProvider({
      meta,
      ...callbacks(),
      onInitialize: () => {
        throw new Error("bad credentials");
      },
    });
    const report = await runProviderLifecycle(provider);
    expect(report.error?.message).toContain("bad credentials");
    expect(report.states).toEqual(["uninitialized", "error"]);
    expect(report.hooks).toEqual(["beforeInit", "onError"]);
  });
});
