import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import {
  InfrastructureCommandValidator,
  InfrastructureError,
  LifecycleTransitionError,
  TimeoutError,
  ValidationError,
} from "@espada/infra-core";
import type {
  CommandDefinition,
  CommandResult,
  ConfigValidationResult,
  ExecutionContext,
  HealthCheckItem,
  InfrastructureLogger,
  LifecycleHookContext,
  ProviderAuth,
} from "@espada/infra-core";
import { BaseInfrastructureProvider } from "./baseProvider.js";
import type { BaseProviderOptions } from "./baseProvider.js";
import type { ResourceUpdate } from "./resourceTracker.js";
import { defineCommand } from "./defineCommand.js";
import { defineProvider } from "./defineProvider.js";
import { failure, success, validation, validationIssuesOf } from "./results.js";
import { createMockLogger, expectFailure, expectSuccess } from "./testing/helpers.js";

const meta = defineProvider()
  .id("test-cloud")
  .name("Test Cloud")
  .version("1.0.0")
  .category("cloud")
  .capabilities("provision")
  .supportedResources("compute")
  .authMethods("api-key")
  .build();
const auth: ProviderAuth = { method: "api-key", credentials: { apiKey: "k" }, options: {} };

const create = defineCommand()
  .id("create")
  .name("Create")
  .category("provision")
  .stringParam("name", "", { required: true })
  .numberParam("cpu", "", { default: 2, min: 1 })
  .supportsDryRun()
  .build();
const noDry = defineCommand().id("no-dry").name("No dry").category("manage").build();
const danger = defineCommand().id("danger").name("Danger").category("manage").dangerous().build();

type Step = "init" | "start" | "stop" | "destroy";

/** A provider whose steps can be made to fail, and whose command handler is swappable. */
class TestProvider extends BaseInfrastructureProvider {
  readonly failing = new Set<Step>();
  readonly calls: string[] = [];
  run: (
    cmd: CommandDefinition,
    params: Record<string, unknown>,
    ctx: ExecutionContext,
  ) => Promise<CommandResult> = async (cmd, params) => {
    await Promise.resolve();
    return success({ cmd: cmd.id, params });
  };
  health: () => Promise<readonly HealthCheckItem[]> = () =>
    Promise.resolve([{ name: "api", status: "healthy" }]);

  constructor(options: BaseProviderOptions = {}, providerMeta = meta) {
    super(providerMeta, { ...options, commands: [create, noDry, danger, ...(options.commands ?? [])] });
  }
  async #step(step: Step): Promise<void> {
    await Promise.resolve();
    this.calls.push(step);
    if (this.failing.has(step)) throw new Error(`${step} broke`);
  }
  protected override onInitialize(): Promise<void> {
    return this.#step("init");
  }
  protected override onStart(): Promise<void> {
    return this.#step("start");
  }
  protected override onStop(): Promise<void> {
    return this.#step("stop");
  }
  protected override onDestroy(): Promise<void> {
    return this.#step("destroy");
  }
  protected override performHealthChecks(): Promise<readonly HealthCheckItem[]> {
    return this.health();
  }
  protected override async onValidateConfig(config: unknown): Promise<ConfigValidationResult> {
    await Promise.resolve();
    if (typeof config !== "object" || config === null) throw new Error("config must be an object");
    return "region" in config ? validation.ok() : validation.error("MISSING", "region is required", "region");
  }
  protected override onExecuteCommand(
    cmd: CommandDefinition,
    params: Record<string, unknown>,
    ctx: ExecutionContext,
    _log: InfrastructureLogger,
  ): Promise<CommandResult> {
    return this.run(cmd, params, ctx);
  }
  track(resource: ResourceUpdate) {
    return this.updateResource(resource);
  }
  untrack(id: string) {
    return this.removeResource(id);
  }
}

async function active(options: BaseProviderOptions = {}): Promise<TestProvider> {
  const provider = new TestProvider(options);
  await provider.initialize(auth);
  await provider.start();
  return provider;
}

describe("BaseInfrastructureProvider lifecycle", () => {
  it("moves through the states and fires hooks in order", async () => {
    const provider = new TestProvider();
    const seen: string[] = [];
    for (const stage of [
      "beforeInit",
      "afterInit",
      "beforeStart",
      "afterStart",
      "beforeStop",
      "afterStop",
      "beforeDestroy",
      "afterDestroy",
    ] as const) {
      provider.onLifecycle(stage, (ctx) => {
        seen.push(`${ctx.stage}:${ctx.state}`);
      });
    }
    expect(provider.state).toBe("uninitialized");
    await provider.initialize(auth);
    await provider.start();
    await provider.stop();
    await provider.start();
    await provider.destroy();
    expect(provider.state).toBe("terminated");
    expect(seen).toEqual([
      "beforeInit:initializing",
      "afterInit:ready",
      "beforeStart:ready",
      "afterStart:active",
      "beforeStop:suspending",
      "afterStop:suspended",
      "beforeStart:ready",
      "afterStart:active",
      "beforeStop:suspending",
      "afterStop:suspended",
      "beforeDestroy:terminating",
      "afterDestroy:terminated",
    ]);
    expect(provider.calls).toEqual(["init", "start", "stop", "start", "stop", "destroy"]);
  });

  it("refuses transitions the table lacks, naming both states, without running anything", async () => {
    const provider = new TestProvider();
    await expect(provider.start()).rejects.toMatchObject({
      code: "ILLEGAL_TRANSITION",
      from: "uninitialized",
      to: "active",
    });
    await expect(provider.stop()).rejects.toBeInstanceOf(LifecycleTransitionError);
    await provider.initialize(auth);
    await expect(provider.initialize(auth)).rejects.toThrow('cannot move from "ready" to "initializing"');
    await provider.destroy();
    await expect(provider.destroy()).rejects.toThrow('cannot move from "terminated" to "terminating"');
    await expect(provider.start()).rejects.toBeInstanceOf(LifecycleTransitionError);
    expect(provider.calls).toEqual(["init", "destroy"]);
    expect(provider.state).toBe("terminated");
  });

  it("refuses a second lifecycle call while one is running", async () => {
    const provider = new TestProvider();
    await provider.initialize(auth);
    const starting = provider.start();
    await expect(provider.start()).rejects.toMatchObject({ code: "CONFLICT" });
    await starting;
    expect(provider.state).toBe("active");
  });

  it("validates auth before moving, naming the field", async () => {
    const provider = new TestProvider();
    await expect(
      provider.initialize({ method: "token", credentials: {}, options: {} }),
    ).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "method" });
    await expect(provider.initialize({ method: "nope" } as unknown as ProviderAuth)).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(provider.state).toBe("uninitialized");
    await provider.initialize(auth);
    expect(provider.state).toBe("ready");
  });

  it("a failing step moves to error, fires onError and can be retried", async () => {
    const provider = new TestProvider();
    const errors: LifecycleHookContext[] = [];
    provider.onLifecycle("onError", (ctx) => {
      errors.push(ctx);
    });
    provider.failing.add("init");
    const thrown = await provider.initialize(auth).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(InfrastructureError);
    expect(thrown).toMatchObject({
      code: "LIFECYCLE_FAILED",
      message: expect.stringContaining("init broke") as string,
    });
    expect((thrown as Error).cause).toBeInstanceOf(Error);
    expect(provider.state).toBe("error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      stage: "onError",
      state: "error",
      data: { operation: "initialize", from: "initializing" },
    });
    provider.failing.delete("init");
    await provider.initialize(auth);
    expect(provider.state).toBe("ready");
  });

  it("a failing destroy leaves the provider in error, from which destroy can run again", async () => {
    const provider = await active();
    provider.failing.add("destroy");
    await expect(provider.destroy()).rejects.toMatchObject({ code: "LIFECYCLE_FAILED" });
    expect(provider.state).toBe("error");
    provider.failing.clear();
    await provider.destroy();
    expect(provider.state).toBe("terminated");
  });

  it("hooks run in subscription order, awaited, and unsubscribe works", async () => {
    const provider = new TestProvider();
    const order: string[] = [];
    provider.onLifecycle("beforeInit", async () => {
      await new Promise((r) => setImmediate(r));
      order.push("first");
    });
    const off = provider.onLifecycle("beforeInit", () => {
      order.push("removed");
    });
    provider.onLifecycle("beforeInit", () => {
      order.push("second");
    });
    off();
    await provider.initialize(auth);
    expect(order).toEqual(["first", "second"]);
  });

  it("a throwing hook is isolated: onError fires, the step completes, state stays consistent", async () => {
    const logger = createMockLogger();
    const provider = new TestProvider({ logger });
    const onError = vi.fn();
    provider.onLifecycle("afterStart", () => {
      throw new Error("hook broke");
    });
    const later = vi.fn();
    provider.onLifecycle("afterStart", later);
    provider.onLifecycle("onError", onError);
    provider.onLifecycle("onError", () => {
      throw new Error("onError hook broke too");
    });
    await provider.initialize(auth);
    await provider.start();
    expect(provider.state).toBe("active");
    expect(later).toHaveBeenCalledOnce();
    expect(onError).toHaveBeenCalledOnce();
    expect(onError.mock.calls[0]?.[0]).toMatchObject({
      stage: "onError",
      state: "active",
      data: { stage: "afterStart" },
    });
    expect(logger.find("error").map((e) => e.message)).toEqual([
      "lifecycle hook afterStart threw",
      "lifecycle hook onError threw",
    ]);
  });

  it("rejects an unknown hook stage or a non-function hook", () => {
    const provider = new TestProvider();
    expect(() => provider.onLifecycle("whenever" as "onError", () => undefined)).toThrow(ValidationError);
    expect(() => provider.onLifecycle("onError", 1 as never)).toThrow("hook must be a function");
  });

  it("destroy from active stops first", async () => {
    const provider = await active();
    await provider.destroy();
    expect(provider.calls).toEqual(["init", "start", "stop", "destroy"]);
  });

  it("rejects invalid meta and duplicate commands", () => {
    expect(() => new TestProvider({ commands: [create] })).toThrow('already has a command "create"');
    expect(() => new TestProvider({}, { ...meta, version: "v1" })).toThrow(/version: .*semantic version/);
  });
});

describe("BaseInfrastructureProvider.executeCommand", () => {
  it("runs with validated params, filled defaults and context defaults", async () => {
    const provider = await active();
    const result = await provider.executeCommand("create", { name: "web" });
    expect(expectSuccess(result)).toEqual({ cmd: "create", params: { name: "web", cpu: 2 } });
    expect(result.dryRun).toBe(false);
    expect(result.duration).toBeGreaterThanOrEqual(0);
  });

  it("hands a typed handler the id string of a resource-ref passed as { id, type }", async () => {
    const seen: unknown[] = [];
    const inspect = defineCommand()
      .id("inspect")
      .name("Inspect")
      .category("monitor")
      .resourceRefParam("target", "", { required: true, resourceType: "compute" })
      .arrayParam("peers", "", { items: "resource-ref", default: [] })
      .handler((params) => {
        seen.push(params.target, params.peers);
        return success(null);
      });
    const provider = new TestProvider({ commands: [inspect] });
    await provider.initialize(auth);
    await provider.start();
    const params = { target: { id: "i-1", type: "compute" }, peers: ["i-2", { id: "i-3" }] };
    expectSuccess(await provider.executeCommand("inspect", params));
    expectSuccess(await provider.executeCommand("inspect", { target: "i-4" }));
    expect(seen).toStrictEqual(["i-1", ["i-2", "i-3"], "i-4", []]);
    expect(params.target).toStrictEqual({ id: "i-1", type: "compute" });
    expectFailure(
      await provider.executeCommand("inspect", { target: { id: "db-1", type: "database" } }),
      "VALIDATION_FAILED",
    );
  });

  it("fills the execution context", async () => {
    const provider = await active();
    let seen: ExecutionContext | undefined;
    provider.run = (_cmd, _params, ctx) => {
      seen = ctx;
      return Promise.resolve(success(null));
    };
    await provider.executeCommand("create", { name: "a" }, { userId: "alice" });
    expect(seen).toMatchObject({
      userId: "alice",
      environment: "development",
      dryRun: false,
      confirmed: false,
    });
    expect(seen?.executionId).toMatch(/[0-9a-f-]{36}/);
  });

  it("unknown command → NOT_FOUND (the code the executor uses), suggesting the closest id", async () => {
    const provider = await active();
    expectFailure(await provider.executeCommand("nope", {}), "NOT_FOUND");
    expect(expectFailure(await provider.executeCommand("craete", {}), "NOT_FOUND").message).toMatch(
      /^commandId: Command "craete" not found on provider "[a-z-]+"; did you mean "create"\?$/,
    );
  });

  it("refuses to run unless active", async () => {
    const provider = new TestProvider();
    const run = vi.fn(provider.run);
    provider.run = run;
    expect(
      expectFailure(await provider.executeCommand("create", { name: "a" }), "NOT_ACTIVE").message,
    ).toContain("uninitialized");
    await provider.initialize(auth);
    expectFailure(await provider.executeCommand("create", { name: "a" }), "NOT_ACTIVE");
    expect(run).not.toHaveBeenCalled();
  });

  it("invalid params → VALIDATION_FAILED naming each field", async () => {
    const provider = await active();
    const error = expectFailure(
      await provider.executeCommand("create", { cpu: 0, extra: true }),
      "VALIDATION_FAILED",
    );
    const issues = error.details?.issues as { path: string }[];
    expect(issues.map((i) => i.path).sort()).toEqual(["params.cpu", "params.extra", "params.name"]);
  });

  it("refuses a dry run of a command without supportsDryRun and never runs it", async () => {
    const provider = await active();
    const run = vi.fn(provider.run);
    provider.run = run;
    const result = await provider.executeCommand("no-dry", {}, { dryRun: true });
    expectFailure(result, "DRY_RUN_UNSUPPORTED");
    expect(result.dryRun).toBe(true);
    expect(run).not.toHaveBeenCalled();
    const dry = await provider.executeCommand("create", { name: "a" }, { dryRun: true });
    expect(dry).toMatchObject({ success: true, dryRun: true });
    expect(run).toHaveBeenCalledOnce();
    expect(run.mock.calls[0]?.[2].dryRun).toBe(true);
  });

  it("refuses a dangerous command without confirmation", async () => {
    const provider = await active();
    expectFailure(await provider.executeCommand("danger", {}), "CONFIRMATION_REQUIRED");
    expectSuccess(await provider.executeCommand("danger", {}, { confirmed: true }));
    const lax = await active({ validation: { dangerousCommandsRequireExplicit: false } });
    expectSuccess(await lax.executeCommand("danger", {}));
  });

  it("a handler that throws becomes PROVIDER_FAILED, not recoverable, with duration", async () => {
    const provider = await active();
    provider.run = () => Promise.reject(new InfrastructureError("PROVIDER_FAILED", "api down"));
    const result = await provider.executeCommand("create", { name: "a" });
    const error = expectFailure(result, "PROVIDER_FAILED");
    expect(error).toMatchObject({
      message: "api down",
      recoverable: false,
      details: { errorCode: "PROVIDER_FAILED" },
    });
    expect(typeof result.duration).toBe("number");
    provider.run = () => {
      throw new Error("sync throw");
    };
    expect(
      expectFailure(await provider.executeCommand("create", { name: "a" }), "PROVIDER_FAILED").message,
    ).toBe("sync throw");
  });

  it("a handler returning something that is not a result fails cleanly", async () => {
    const provider = await active();
    provider.run = () => Promise.resolve({ ok: true } as unknown as CommandResult);
    expectFailure(await provider.executeCommand("create", { name: "a" }), "PROVIDER_FAILED");
  });

  it("a hanging handler is abandoned when the signal aborts → CANCELLED", async () => {
    const provider = await active();
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    provider.run = () => {
      started();
      return new Promise<CommandResult>(() => undefined);
    };
    const controller = new AbortController();
    const pending = provider.executeCommand("create", { name: "a" }, { signal: controller.signal });
    await running;
    controller.abort(new Error("user pressed stop"));
    const error = expectFailure(await pending, "CANCELLED");
    expect(error.message).toContain("user pressed stop");
  });

  it("an abort with a TimeoutError reason → TIMEOUT, not recoverable (as the executor answers: it may have had effects)", async () => {
    const provider = await active();
    const result = await provider.executeCommand(
      "create",
      { name: "a" },
      { signal: AbortSignal.abort(new TimeoutError("create", 10)) },
    );
    expect(expectFailure(result, "TIMEOUT").recoverable).toBe(false);
  });

  describe("time limit", () => {
    const slow = defineCommand().id("slow").name("Slow").category("manage").timeout(1_000).build();
    const noLimit = defineCommand().id("no-limit").name("No limit").category("manage").build();

    /** A provider whose handler never settles; it records the signal it was given. */
    async function hanging(): Promise<{
      provider: TestProvider;
      signals: AbortSignal[];
      running: Promise<void>;
    }> {
      const provider = await active({ commands: [slow, noLimit] });
      const signals: AbortSignal[] = [];
      let started!: () => void;
      const running = new Promise<void>((r) => (started = r));
      provider.run = (_cmd, _params, ctx) => {
        signals.push(ctx.signal);
        started();
        return new Promise<CommandResult>(() => undefined);
      };
      return { provider, signals, running };
    }

    afterEach(() => {
      vi.useRealTimers();
    });

    it("a hanging handler of a command that declares a timeout ends TIMEOUT, and its signal aborts with core's TimeoutError", async () => {
      vi.useFakeTimers();
      const { provider, signals, running } = await hanging();
      const pending = provider.executeCommand("slow", {});
      await running;
      await vi.advanceTimersByTimeAsync(999);
      expect(signals[0]?.aborted).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      const error = expectFailure(await pending, "TIMEOUT");
      expect(error.message).toMatch(/Command "slow" timed out after 1000 ms/);
      expect(signals[0]?.aborted).toBe(true);
      expect(signals[0]?.reason).toBeInstanceOf(TimeoutError);
      expect(vi.getTimerCount()).toBe(0);
    });

    it("context.timeout overrides the declared one", async () => {
      vi.useFakeTimers();
      const { provider, running } = await hanging();
      const pending = provider.executeCommand("slow", {}, { timeout: 5_000 });
      await running;
      await vi.advanceTimersByTimeAsync(1_000);
      let settled = false;
      void pending.then(() => (settled = true));
      await vi.advanceTimersByTimeAsync(0);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(4_000);
      expectFailure(await pending, "TIMEOUT");
    });

    it("a command without a declared timeout sets no timer; a finished run clears its timer", async () => {
      vi.useFakeTimers();
      const { provider, running } = await hanging();
      const controller = new AbortController();
      const pending = provider.executeCommand("no-limit", {}, { signal: controller.signal });
      await running;
      expect(vi.getTimerCount()).toBe(0);
      controller.abort();
      expectFailure(await pending, "CANCELLED");
      provider.run = () => Promise.resolve(success(null));
      expectSuccess(await provider.executeCommand("slow", {}));
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  it("an already aborted signal never runs the handler", async () => {
    const provider = await active();
    const run = vi.fn(provider.run);
    provider.run = run;
    expectFailure(
      await provider.executeCommand("create", { name: "a" }, { signal: AbortSignal.abort() }),
      "CANCELLED",
    );
    expect(run).not.toHaveBeenCalled();
  });

  it("returns a failure from the handler unchanged apart from timing", async () => {
    const provider = await active();
    provider.run = () => Promise.resolve(failure("QUOTA", "over", { recoverable: true }));
    expect(expectFailure(await provider.executeCommand("create", { name: "a" }), "QUOTA").recoverable).toBe(
      true,
    );
  });
});

describe("BaseInfrastructureProvider health, config and resources", () => {
  it("summarises health items and fires onHealthCheck hooks", async () => {
    const provider = await active();
    const hook = vi.fn();
    provider.onLifecycle("onHealthCheck", hook);
    provider.health = () =>
      Promise.resolve([
        { name: "api", status: "healthy" },
        { name: "db", status: "degraded" },
      ]);
    const health = await provider.healthCheck();
    expect(health.status).toBe("degraded");
    expect(hook.mock.calls[0]?.[0]).toMatchObject({ stage: "onHealthCheck", data: health });
    provider.health = () => Promise.reject(new Error("probe crashed"));
    expect(await provider.healthCheck()).toMatchObject({
      status: "unhealthy",
      checks: [{ name: "health-check", message: "probe crashed" }],
    });
  });

  it("reports the state instead of probing before initialize", async () => {
    const provider = new TestProvider();
    const probe = vi.fn(provider.health);
    provider.health = probe;
    expect(await provider.healthCheck()).toMatchObject({
      status: "unknown",
      checks: [{ name: "lifecycle", message: "provider is uninitialized" }],
    });
    expect(probe).not.toHaveBeenCalled();
  });

  it("validateConfig returns the provider's result and turns a throw into an invalid result", async () => {
    const provider = new TestProvider();
    expect(await provider.validateConfig({ region: "eu" })).toEqual(validation.ok());
    expect((await provider.validateConfig({})).errors[0]).toMatchObject({ path: "region" });
    expect(await provider.validateConfig(null)).toMatchObject({
      valid: false,
      errors: [{ code: "VALIDATOR_FAILED" }],
    });
  });

  it("keeps getResources current", async () => {
    const provider = await active();
    provider.track({ id: "i-1", type: "compute", status: "running" });
    const updated = provider.track({
      id: "i-1",
      type: "compute",
      status: "stopped",
      metadata: { cpu: 2 },
      updatedAt: 5,
    });
    provider.track({ id: "i-2", type: "compute", name: "web", status: "running" });
    expect(updated).toEqual({
      id: "i-1",
      type: "compute",
      status: "stopped",
      metadata: { cpu: 2 },
      updatedAt: 5,
    });
    expect(provider.getResources().map((r) => `${r.id}:${r.status}`)).toEqual(["i-1:stopped", "i-2:running"]);
    expect(provider.untrack("i-1")).toBe(true);
    expect(provider.untrack("i-1")).toBe(false);
    expect(provider.getResources().map((r) => r.id)).toEqual(["i-2"]);
    expect(() => provider.track({ id: "", type: "compute", status: "x" })).toThrow("id is required");
    expect(() => provider.track({ id: "x", type: "teleporter" as "compute", status: "x" })).toThrow(
      ValidationError,
    );
    await provider.destroy();
    expect(provider.getResources()).toEqual([]);
  });

  it("hands typed handlers a resource tracker that feeds getResources", async () => {
    let seen: readonly string[] = [];
    const provision = defineCommand()
      .id("provision")
      .name("Provision")
      .category("provision")
      .stringParam("name", "", { required: true })
      .handler((params, _ctx, _log, resources) => {
        resources.update({ id: params.name, type: "compute", status: "running" });
        seen = resources.list().map((r) => r.id);
        return success(null, [params.name]);
      });
    const release = defineCommand()
      .id("release")
      .name("Release")
      .category("manage")
      .stringParam("name", "", { required: true })
      .handler((params, _ctx, _log, resources) => success(resources.remove(params.name)));
    const provider = new TestProvider({ commands: [provision, release] });
    await provider.initialize(auth);
    await provider.start();
    expectSuccess(await provider.executeCommand("provision", { name: "i-1" }));
    expectSuccess(await provider.executeCommand("provision", { name: "i-2" }));
    expect(seen).toEqual(["i-1", "i-2"]);
    expect(provider.getResources()).toMatchObject([
      { id: "i-1", type: "compute", status: "running", metadata: {} },
      { id: "i-2" },
    ]);
    expect(expectSuccess(await provider.executeCommand("release", { name: "i-1" }))).toBe(true);
    expect(expectSuccess(await provider.executeCommand("release", { name: "i-1" }))).toBe(false);
    expect(provider.getResources().map((r) => r.id)).toEqual(["i-2"]);
  });

  it("binds commandId and the effective executionId to the handler's logger", async () => {
    const logger = createMockLogger();
    const echo = defineCommand()
      .id("echo")
      .name("Echo")
      .category("utility")
      .handler((_params, ctx, log) => {
        log.info("ran");
        return success(ctx.executionId);
      });
    const provider = new TestProvider({ logger, commands: [echo] });
    await provider.initialize(auth);
    await provider.start();
    const generated = expectSuccess(
      await provider.executeCommand("echo", {}),
      (d): d is string => typeof d === "string",
    );
    expect(generated).toMatch(/[0-9a-f-]{36}/);
    const given = expectSuccess(
      await provider.executeCommand("echo", {}, { executionId: "run-7" }),
      (d): d is string => typeof d === "string",
    );
    expect(given).toBe("run-7");
    expect(logger.find("info").map((e) => e.context)).toEqual([
      { providerId: "test-cloud", commandId: "echo", executionId: generated },
      { providerId: "test-cloud", commandId: "echo", executionId: "run-7" },
    ]);
  });

  it("answers capability and resource questions from meta", () => {
    const provider = new TestProvider();
    expect(provider.hasCapability("provision")).toBe(true);
    expect(provider.hasCapability("scale")).toBe(false);
    expect(provider.supportsResource("compute")).toBe(true);
    expect(provider.supportsResource("dns")).toBe(false);
    expect(provider.getCommands().map((c) => c.id)).toEqual(["create", "no-dry", "danger"]);
  });
});

describe("BaseInfrastructureProvider: one validation, one state", () => {
  it("does not validate again a call core's validator already passed under the caller's settings", async () => {
    const provider = await active();
    const lax = new InfrastructureCommandValidator({ dangerousCommandsRequireExplicit: false });
    const verdict = lax.validate(danger, {});
    expect(verdict.valid).toBe(true);
    expectSuccess(
      await provider.executeCommand(
        "danger",
        { ...verdict.params },
        { ...(verdict.validated === undefined ? {} : { validated: verdict.validated }) },
      ),
    );
    // without the verdict the provider's own (default) settings decide
    expectFailure(await provider.executeCommand("danger", {}), "CONFIRMATION_REQUIRED");
  });

  it("validates when the verdict is a look-alike or was given for other params or flags", async () => {
    const provider = await active();
    const lax = new InfrastructureCommandValidator({
      dangerousCommandsRequireExplicit: false,
      strict: false,
    });
    const forged = { command: danger, params: {}, dryRun: false, confirmed: false, config: lax.config };
    expectFailure(
      await provider.executeCommand("danger", {}, { validated: forged }),
      "CONFIRMATION_REQUIRED",
    );
    const other = lax.validate(create, { name: "ok" });
    expect(other.valid).toBe(true);
    const validated = other.validated;
    if (validated === undefined) throw new Error("expected a verdict");
    // same command, different params: the provider's validator runs (cpu below its min)
    expectFailure(
      await provider.executeCommand("create", { name: "ok", cpu: 0 }, { validated }),
      "VALIDATION_FAILED",
    );
    // same params, but a dry run was not what was validated
    const dry = await provider.executeCommand("create", { ...other.params }, { validated, dryRun: true });
    expectSuccess(dry);
    // a verdict for another command
    expectFailure(await provider.executeCommand("danger", {}, { validated }), "CONFIRMATION_REQUIRED");
  });

  it("exposes its state as core's state machine, which a manager can move for it", async () => {
    const provider = await active();
    const seen: string[] = [];
    provider.lifecycle.onTransition(({ from, to }) => seen.push(`${from}->${to}`));
    provider.lifecycle.moveTo("error", new Error("unhealthy"));
    expect(provider.state).toBe("error");
    expectFailure(await provider.executeCommand("create", { name: "a" }), "NOT_ACTIVE");
    await provider.initialize(auth);
    await provider.start();
    expect(seen).toEqual(["active->error", "error->initializing", "initializing->ready", "ready->active"]);
  });

  it("a step that completes after someone else moved the state does not move it back", async () => {
    const provider = new TestProvider();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    provider.failing.clear();
    const slowInit = vi
      .spyOn(provider as unknown as { onInitialize: () => Promise<void> }, "onInitialize")
      .mockImplementation(() => gate);
    const init = provider.initialize(auth).catch((error: unknown) => error);
    await Promise.resolve();
    expect(provider.state).toBe("initializing");
    provider.lifecycle.moveTo("error", new Error("timed out"));
    release();
    const error = await init;
    expect(error).toBeInstanceOf(LifecycleTransitionError);
    expect(provider.state).toBe("error");
    expect(slowInit).toHaveBeenCalledTimes(1);
  });
});

describe("BaseInfrastructureProvider: a dryRun param is a dry run (core's rule, as the executor applies it)", () => {
  it("runs the handler with ctx.dryRun and needs no confirmation for a dangerous command that supports dry runs", async () => {
    const risky = defineCommand()
      .id("risky")
      .name("Risky")
      .category("manage")
      .dangerous()
      .supportsDryRun()
      .booleanParam("dryRun", "simulate")
      .build();
    const provider = await active({ commands: [risky] });
    const seen: boolean[] = [];
    provider.run = (_cmd, _params, ctx) => {
      seen.push(ctx.dryRun);
      return Promise.resolve(success(null));
    };
    const result = await provider.executeCommand("risky", { dryRun: true });
    expect(expectSuccess(result)).toBeNull();
    expect(result.dryRun).toBe(true);
    expect(seen).toEqual([true]);
    expectFailure(await provider.executeCommand("risky", { dryRun: false }), "CONFIRMATION_REQUIRED");
  });
});

describe("BaseInfrastructureProvider: refusal codes and messages from core's rule", () => {
  it("a bad parameter on an unconfirmed dangerous command is VALIDATION_FAILED naming the field, with every issue", async () => {
    const risky = defineCommand()
      .id("risky-2")
      .name("Risky")
      .category("manage")
      .dangerous()
      .stringParam("name", "", { required: true })
      .build();
    const provider = await active({ commands: [risky] });
    const error = expectFailure(await provider.executeCommand("risky-2", { name: 7 }), "VALIDATION_FAILED");
    expect(error.message).toBe(
      'Invalid call of "risky-2": params.name: expected string, got number; options.confirmed: command "risky-2" is dangerous and needs explicit confirmation',
    );
    expect(
      validationIssuesOf(await provider.executeCommand("risky-2", { name: 7 })).map((i) => i.code),
    ).toEqual(["TYPE_MISMATCH", "CONFIRMATION_REQUIRED"]);
    expectFailure(await provider.executeCommand("risky-2", { name: "ok" }), "CONFIRMATION_REQUIRED");
  });
});

describe("BaseInfrastructureProvider: typed settings from a schema", () => {
  const settingsSchema = z.strictObject({
    region: z.string().min(1),
    retries: z.number().int().min(0).default(3),
  });
  type Settings = z.infer<typeof settingsSchema>;

  /** A class-based provider that reads its parsed, typed settings; onValidateConfig adds one rule. */
  class RegionalProvider extends BaseInfrastructureProvider<Settings> {
    seenAtInit: Settings | undefined;
    constructor(settings?: unknown) {
      super(meta, { settingsSchema, ...(settings === undefined ? {} : { settings }) });
    }
    protected override onInitialize(): Promise<void> {
      this.seenAtInit = this.settings;
      return Promise.resolve();
    }
    protected override onStart(): Promise<void> {
      return Promise.resolve();
    }
    protected override onStop(): Promise<void> {
      return Promise.resolve();
    }
    protected override onDestroy(): Promise<void> {
      return Promise.resolve();
    }
    protected override performHealthChecks(): Promise<readonly HealthCheckItem[]> {
      return Promise.resolve([{ name: "api", status: "healthy", message: this.settings.region }]);
    }
    protected override onValidateConfig(
      _config: unknown,
      settings: Settings,
    ): Promise<ConfigValidationResult> {
      return Promise.resolve(
        settings.region.startsWith("moon-")
          ? validation.error("INVALID_VALUE", "no regions on the moon", "region")
          : validation.ok(),
      );
    }
    protected override onExecuteCommand(): Promise<CommandResult> {
      return Promise.resolve(failure("NOT_FOUND", "no commands"));
    }
  }

  it("validateConfig parses with the schema (issues name the field), then runs onValidateConfig with the parsed value", async () => {
    const provider = new RegionalProvider();
    const missing = await provider.validateConfig({ retries: 1 });
    expect(missing.valid).toBe(false);
    expect(missing.errors.map((e) => e.path)).toEqual(["region"]);
    const unknownKey = await provider.validateConfig({ region: "eu", regoin: "x" });
    expect(unknownKey.valid).toBe(false);
    const moon = await provider.validateConfig({ region: "moon-1" });
    expect(moon.errors).toMatchObject([{ code: "INVALID_VALUE", path: "region" }]);

    expect((await provider.validateConfig({ region: "eu-west-1" })).valid).toBe(true);
    await provider.initialize(auth);
    expect(provider.seenAtInit).toEqual({ region: "eu-west-1", retries: 3 });
    expect(provider.settings).toEqual({ region: "eu-west-1", retries: 3 });
  });

  it("construction-time settings are parsed at initialize; invalid ones fail it naming the field", async () => {
    const good = new RegionalProvider({ region: "us-east-1", retries: 0 });
    await good.initialize(auth);
    expect(good.seenAtInit).toEqual({ region: "us-east-1", retries: 0 });

    const bad = new RegionalProvider({ retries: -1 });
    const error = await bad.initialize(auth).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InfrastructureError);
    expect(String((error as InfrastructureError).cause)).toMatch(/settings\.region/);
    expect(bad.state).toBe("error");
  });
});
