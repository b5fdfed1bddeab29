import { describe, expect, it, vi } from "vitest";
import { ValidationError } from "@espada/infra-core";
import { defineCommand } from "./defineCommand.js";
import { defineProvider } from "./defineProvider.js";
import { failure, success, validation } from "./results.js";
import { createSimpleProvider } from "./simpleProvider.js";
import type { SimpleProviderOptions } from "./simpleProvider.js";
import { createMockLogger, expectFailure, expectSuccess, runProviderLifecycle } from "./testing/helpers.js";

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
    expect(expectSuccess(report.results[0]!.result)).toEqual({
      instanceId: "i-123",
      params: { name: "web-1", region: "us-east-1", cpu: 2 },
    });
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
    expect(expectSuccess(await provider.executeCommand("scale", { replicas: 2 }, { userId: "bob" }))).toEqual(
      { replicas: 4, user: "bob" },
    );
    expectFailure(await provider.executeCommand("scale", { replicas: 0 }), "VALIDATION_FAILED");
  });

  it("gives every callback and typed handler a resource tracker that feeds getResources", async () => {
    const atDestroy: string[][] = [];
    const atHealth: number[] = [];
    const tag = defineCommand()
      .id("tag")
      .name("Tag")
      .category("manage")
      .stringParam("id", "", { required: true })
      .handler((params, _ctx, _log, resources) =>
        success(resources.update({ id: params.id, type: "compute", status: "tagged" })),
      );
    const provider = createSimpleProvider({
      meta,
      commands: [command, tag],
      onInitialize(_auth, _log, resources) {
        resources.update({ id: "account", type: "custom", status: "connected" });
      },
      onStart: (_log, resources) => {
        resources.update({ id: "account", type: "custom", status: "started" });
      },
      onStop: (_log, resources) => {
        resources.remove("i-1");
      },
      onDestroy: (_log, resources) => {
        atDestroy.push(resources.list().map((r) => r.id));
      },
      onHealthCheck: (_log, resources) => {
        atHealth.push(resources.list().length);
        return [{ name: "api", status: "healthy" }];
      },
      onExecuteCommand(cmd, params, _ctx, _log, resources) {
        const name = String(params["name"]);
        resources.update({ id: name, type: "compute", status: "running", metadata: { cpu: params["cpu"] } });
        return success({ id: name }, [name]);
      },
    });
    await provider.initialize({ method: "api-key", credentials: {}, options: {} });
    await provider.start();
    expect(await provider.healthCheck()).toMatchObject({ status: "healthy" });
    expectSuccess(await provider.executeCommand("create-instance", { name: "i-1", region: "eu" }));
    expectSuccess(await provider.executeCommand("tag", { id: "i-2" }));
    expect(provider.getResources()).toMatchObject([
      { id: "account", type: "custom", status: "started" },
      { id: "i-1", type: "compute", status: "running", metadata: { cpu: 2 } },
      { id: "i-2", type: "compute", status: "tagged" },
    ]);
    await provider.stop();
    expect(provider.getResources().map((r) => r.id)).toEqual(["account", "i-2"]);
    await provider.destroy();
    expect(atHealth).toEqual([1]);
    expect(atDestroy).toEqual([["account", "i-2"]]);
    expect(provider.getResources()).toEqual([]);
  });

  it("a callback's bad resource fails like any throw: a lifecycle error or a PROVIDER_FAILED result", async () => {
    const provider = createSimpleProvider({
      meta,
      commands: [command],
      ...callbacks(),
      onExecuteCommand: (_cmd, _params, _ctx, _log, resources) =>
        success(resources.update({ id: "", type: "compute", status: "x" })),
    });
    await provider.initialize({ method: "api-key", credentials: {}, options: {} });
    await provider.start();
    expect(
      expectFailure(
        await provider.executeCommand("create-instance", { name: "a", region: "eu" }),
        "PROVIDER_FAILED",
      ).message,
    ).toContain("id is required");
    expect(provider.getResources()).toEqual([]);
  });

  it("takes commandConfig.validation like a base provider", async () => {
    const danger = defineCommand()
      .id("wipe")
      .name("Wipe")
      .category("manage")
      .dangerous()
      .handler(() => success("wiped"));
    const relaxed = createSimpleProvider({
      meta,
      commands: [danger],
      ...callbacks(),
      validation: { strict: false, dangerousCommandsRequireExplicit: false },
    });
    const strict = createSimpleProvider({
      meta,
      commands: [danger],
      ...callbacks(),
      validation: { allowDryRun: false },
    });
    for (const p of [relaxed, strict]) {
      await p.initialize({ method: "api-key", credentials: {}, options: {} });
      await p.start();
    }
    expect(expectSuccess(await relaxed.executeCommand("wipe", { extra: 1 }))).toBe("wiped");
    expectFailure(await strict.executeCommand("wipe", {}), "CONFIRMATION_REQUIRED");
    expectFailure(await strict.executeCommand("wipe", {}, { dryRun: true }), "DRY_RUN_UNSUPPORTED");
    expect(() =>
      createSimpleProvider({ meta, ...callbacks(), validation: { strict: "yes" as never } }),
    ).toThrow(/validation config/);
  });

  it("uses onValidateConfig, or accepts every config without one", async () => {
    const plain = createSimpleProvider({ meta, ...callbacks() });
    expect(await plain.validateConfig({ anything: true })).toEqual(validation.ok());
    const strict = createSimpleProvider({
      meta,
      ...callbacks(),
      onValidateConfig: (config) =>
        typeof config === "object" && config !== null && "region" in config
          ? validation.ok()
          : validation.error("REQUIRED", "region is required", "region"),
    });
    expect(await strict.validateConfig({})).toMatchObject({ valid: false, errors: [{ path: "region" }] });
  });

  it("a provider with no callbacks runs its whole life and reports healthy", async () => {
    const provider = createSimpleProvider({ meta });
    const report = await runProviderLifecycle(provider);
    expect(report.error).toBeUndefined();
    expect(report.states).toEqual(["uninitialized", "ready", "active", "suspended", "terminated"]);
    expect(report.health).toMatchObject({
      status: "healthy",
      checks: [{ name: "provider", status: "healthy" }],
    });
    expect(await provider.validateConfig({ anything: 1 })).toEqual({ valid: true, errors: [], warnings: [] });
  });

  it("throws a ValidationError for a callback that is not a function or a command nobody can run", () => {
    expect(() => createSimpleProvider({ meta, onStart: 42 as never })).toThrow("onStart must be a function");
    expect(() => createSimpleProvider({ meta, commands: [command], ...callbacks() })).toThrow(
      /onExecuteCommand is required.*create-instance/,
    );
    expect(() => createSimpleProvider({ meta, ...callbacks(), onStop: "later" as never })).toThrow(
      ValidationError,
    );
    expect(() => createSimpleProvider({ meta: { ...meta, authMethods: [] }, ...callbacks() })).toThrow(
      /authMethods/,
    );
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
