import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ConfigValidationError,
  LifecycleTransitionError,
  canTransition,
  isInfrastructureError,
} from "@espada/infra-core";
import type { HealthCheckEvent, LifecycleHookStage, LifecycleState, ProviderEvent } from "@espada/infra-core";
import { InfrastructureLifecycleManager, LIFECYCLE_MANAGER_DEFAULTS } from "./lifecycleManager.js";
import type { LifecycleManagerOptions } from "./lifecycleManager.js";
import { FAKE_AUTH, FakeProvider } from "../test/fakeProvider.js";

function setup(options: LifecycleManagerOptions = {}, provider = new FakeProvider()) {
  const manager = new InfrastructureLifecycleManager({
    restartDelay: 1_000,
    operationTimeout: 5_000,
    ...options,
  });
  const transitions: [string, LifecycleState, LifecycleState][] = [];
  manager.onStateChange((id, from, to) => transitions.push([id, from, to]));
  const events: { type: string; event: ProviderEvent | HealthCheckEvent }[] = [];
  manager.events.on("*", (type, event) => events.push({ type, event: event as ProviderEvent }));
  const id = manager.registerProvider(provider, { auth: FAKE_AUTH });
  return { manager, provider, id, transitions, events, types: () => events.map((e) => e.type) };
}

async function activate(manager: InfrastructureLifecycleManager, id: string): Promise<void> {
  await manager.initializeProvider(id, FAKE_AUTH);
  await manager.startProvider(id);
}

describe("InfrastructureLifecycleManager", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("has the spec's defaults and names a bad option", () => {
    const manager = new InfrastructureLifecycleManager();
    expect(manager.options).toEqual(LIFECYCLE_MANAGER_DEFAULTS);
    expect(manager.options).toMatchObject({
      healthCheckInterval: 60_000,
      autoRestart: true,
      maxRestartAttempts: 3,
      restartDelay: 5_000,
      shutdownTimeout: 30_000,
    });
    const bad = (): InfrastructureLifecycleManager =>
      new InfrastructureLifecycleManager({ maxRestartAttempts: -1 });
    expect(bad).toThrow(ConfigValidationError);
    expect(bad).toThrow(/maxRestartAttempts/);
  });

  it("refuses a delay a Node timer cannot honour (it would fire after 1 ms) and names the option", () => {
    const tooLong = (): InfrastructureLifecycleManager =>
      new InfrastructureLifecycleManager({ healthCheckInterval: 2 ** 31 });
    expect(tooLong).toThrow(ConfigValidationError);
    expect(tooLong).toThrow(/healthCheckInterval/);
    expect(() => new InfrastructureLifecycleManager({ shutdownTimeout: 2 ** 31 })).toThrow(/shutdownTimeout/);
    expect(
      new InfrastructureLifecycleManager({ healthCheckInterval: 2 ** 31 - 1 }).options.healthCheckInterval,
    ).toBe(2 ** 31 - 1);
  });

  it("clamps a doubled restart delay past the timer limit instead of restarting at once", async () => {
    const provider = new FakeProvider({ health: "throw" });
    const { manager, id } = setup(
      {
        healthCheckInterval: 2 ** 31 - 1,
        restartDelay: 2 ** 30,
        restartWindow: 2 ** 31 - 1,
        maxRestartAttempts: 3,
      },
      provider,
    );
    await activate(manager, id);
    provider.options.start = "throw";
    await manager.checkHealth(id);
    const starts = (): number => provider.calls.filter((c) => c === "start").length;
    await vi.advanceTimersByTimeAsync(2 ** 30); // 1st restart, fails: the next waits 2^31 ms, clamped to 2^31 - 1
    expect(starts()).toBe(2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(starts()).toBe(2);
    expect(manager.getProviderInfo(id)?.restartAttempts).toBe(2);
    await vi.advanceTimersByTimeAsync(2 ** 31 - 1 - 60_000);
    expect(starts()).toBe(3);
  });

  it("walks a full life along legal edges with events and hooks in the documented order", async () => {
    const { manager, id, transitions, types, provider } = setup();
    const order: string[] = [];
    for (const stage of [
      "beforeInit",
      "afterInit",
      "beforeStart",
      "afterStart",
      "beforeStop",
      "afterStop",
      "beforeDestroy",
      "afterDestroy",
    ] as LifecycleHookStage[]) {
      manager.on(stage, (ctx) => {
        order.push(`${ctx.stage}:${ctx.state}`);
      });
    }
    await activate(manager, id);
    expect(manager.getState(id)).toBe("active");
    await manager.stopProvider(id);
    expect(manager.getState(id)).toBe("suspended");
    await manager.startProvider(id);
    await manager.destroyProvider(id);
    expect(manager.getState(id)).toBe("terminated");
    expect(provider.calls).toEqual(["initialize", "start", "stop", "start", "stop", "destroy"]);
    expect(order).toEqual([
      "beforeInit:uninitialized",
      "afterInit:ready",
      "beforeStart:ready",
      "afterStart:active",
      "beforeStop:active",
      "afterStop:suspended",
      "beforeStart:suspended",
      "afterStart:active",
      "beforeStop:active",
      "afterStop:suspended",
      "beforeDestroy:suspended",
      "afterDestroy:terminated",
    ]);
    for (const [, from, to] of transitions) expect(canTransition(from, to)).toBe(true);
    expect(types()).toEqual([
      "provider:initialized",
      "provider:ready",
      "provider:ready",
      "provider:terminated",
    ]);
  });

  it("refuses an illegal transition and names the current state", async () => {
    const { manager, id } = setup();
    const error: unknown = await manager.startProvider(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LifecycleTransitionError);
    expect((error as LifecycleTransitionError).from).toBe("uninitialized");
    expect((error as Error).message).toMatch(/"uninitialized"/);
    expect(manager.getState(id)).toBe("uninitialized");
  });

  it("isolates a throwing hook: onError fires and the operation completes", async () => {
    const { manager, id } = setup();
    const errors: unknown[] = [];
    manager.on("beforeStart", () => {
      throw new Error("hook boom");
    });
    manager.on("onError", (ctx) => {
      errors.push(ctx.error);
      throw new Error("onError hooks may throw too");
    });
    await activate(manager, id);
    expect(manager.getState(id)).toBe("active");
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe("hook boom");
  });

  it("bounds a hanging hook by operationTimeout", async () => {
    const { manager, id } = setup({ operationTimeout: 100 });
    manager.on("beforeInit", () => new Promise<void>(() => undefined));
    const done = manager.initializeProvider(id);
    await vi.advanceTimersByTimeAsync(100);
    await done;
    expect(manager.getState(id)).toBe("ready");
  });

  it("moves a provider whose initialize throws to error with the cause and does not restart it", async () => {
    const { manager, id, types } = setup({}, new FakeProvider({ initialize: "throw" }));
    await expect(manager.initializeProvider(id)).rejects.toMatchObject({ code: "LIFECYCLE_FAILED" });
    expect(manager.getState(id)).toBe("error");
    expect(manager.getProviderInfo(id)?.lastError).toMatchObject({
      operation: "initialize",
      message: "step failed",
    });
    expect(types()).toContain("provider:error");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(manager.getState(id)).toBe("error");
  });

  it("times out a hanging initialize and leaves the provider in error", async () => {
    const { manager, id } = setup({ operationTimeout: 500 }, new FakeProvider({ initialize: "hang" }));
    const result = manager.initializeProvider(id).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(500);
    const error = await result;
    expect(isInfrastructureError(error, "TIMEOUT")).toBe(true);
    expect(manager.getState(id)).toBe("error");
  });

  it("requires auth to initialize", async () => {
    const manager = new InfrastructureLifecycleManager();
    const id = manager.registerProvider(new FakeProvider());
    await expect(manager.initializeProvider(id)).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "auth",
    });
  });

  it("refuses a duplicate instance id and unknown ids", async () => {
    const { manager, id } = setup();
    expect(() => manager.registerProvider(new FakeProvider(), { instanceId: id })).toThrow(/already exists/);
    await expect(manager.startProvider("nope")).rejects.toThrow(/not found/);
  });

  it("runs a health check every healthCheckInterval and emits health:check", async () => {
    const { manager, id, events } = setup({ healthCheckInterval: 1_000 });
    const seen: string[] = [];
    manager.on("onHealthCheck", (ctx) => {
      seen.push((ctx.data as { status: string }).status);
    });
    await activate(manager, id);
    await vi.advanceTimersByTimeAsync(3_000);
    const checks = events.filter((e) => e.type === "health:check");
    expect(checks).toHaveLength(3);
    expect((checks[0]?.event as HealthCheckEvent).health.status).toBe("healthy");
    expect(seen).toEqual(["healthy", "healthy", "healthy"]);
    expect(manager.getStatistics().health).toEqual({ healthy: 1, degraded: 0, unhealthy: 0, unknown: 0 });
  });

  it("restarts an unhealthy provider after restartDelay", async () => {
    const provider = new FakeProvider({ health: "unhealthy" });
    const { manager, id, types } = setup({ healthCheckInterval: 10_000 }, provider);
    await activate(manager, id);
    await manager.checkHealth(id);
    expect(manager.getState(id)).toBe("error");
    expect(manager.getProviderInfo(id)?.lastError?.message).toMatch(/unhealthy: api is unhealthy/);
    provider.options.health = "healthy";
    await vi.advanceTimersByTimeAsync(999);
    expect(manager.getState(id)).toBe("error");
    await vi.advanceTimersByTimeAsync(1);
    expect(manager.getState(id)).toBe("active");
    expect(types().filter((t) => t === "provider:ready")).toHaveLength(2);
    expect(manager.getStatistics().restarts).toBe(1);
    // a healthy check does not reset the budget: the restart ages out of the window
    await manager.checkHealth(id);
    expect(manager.getProviderInfo(id)?.restartAttempts).toBe(1);
    await vi.advanceTimersByTimeAsync(LIFECYCLE_MANAGER_DEFAULTS.restartWindow);
    expect(manager.getProviderInfo(id)?.restartAttempts).toBe(0);
  });

  it("backs off exponentially and gives up after maxRestartAttempts, leaving error with the cause", async () => {
    const provider = new FakeProvider({ health: "throw" });
    const { manager, id } = setup({ healthCheckInterval: 1_000_000, maxRestartAttempts: 3 }, provider);
    await activate(manager, id);
    provider.options.start = "throw";
    await manager.checkHealth(id);
    const initCalls = (): number => provider.calls.filter((c) => c === "start").length;
    expect(initCalls()).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000); // 1st restart after restartDelay
    expect(initCalls()).toBe(2);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(initCalls()).toBe(2);
    await vi.advanceTimersByTimeAsync(1); // 2nd after 2 × restartDelay
    expect(initCalls()).toBe(3);
    await vi.advanceTimersByTimeAsync(4_000); // 3rd after 4 × restartDelay
    expect(initCalls()).toBe(4);
    await vi.advanceTimersByTimeAsync(100_000);
    expect(initCalls()).toBe(4);
    const info = manager.getProviderInfo(id);
    expect(info?.state).toBe("error");
    expect(info?.restartsExhausted).toBe(true);
    expect(info?.lastError).toMatchObject({ operation: "start", message: "step failed" });
    expect(vi.getTimerCount()).toBe(1); // only the (unref'd) health interval
  });

  it("does not restart when autoRestart is off", async () => {
    const provider = new FakeProvider({ health: "unhealthy" });
    const { manager, id } = setup({ autoRestart: false }, provider);
    await activate(manager, id);
    await manager.checkHealth(id);
    await vi.advanceTimersByTimeAsync(100_000);
    expect(manager.getState(id)).toBe("error");
    expect(provider.calls.filter((c) => c === "initialize")).toHaveLength(1);
  });

  it("keeps one state: an unhealthy provider is in error for the manager and for itself", async () => {
    const provider = new FakeProvider({ health: "unhealthy" });
    const { manager, id } = setup({ autoRestart: false }, provider);
    await activate(manager, id);
    await manager.checkHealth(id);
    expect(manager.getState(id)).toBe("error");
    expect(provider.state).toBe("error");
  });

  it("a restart is a real initialize and start: provider:initialized only after initialize ran", async () => {
    const provider = new FakeProvider({ health: "unhealthy" });
    const { manager, id, events } = setup({}, provider);
    const order: string[] = [];
    manager.on("afterInit", () => {
      order.push(`afterInit(${provider.completed.filter((c) => c === "initialize").length})`);
    });
    manager.events.on("provider:initialized", () =>
      order.push(`event(${provider.completed.filter((c) => c === "initialize").length})`),
    );
    await activate(manager, id);
    provider.options.health = "unhealthy";
    await manager.checkHealth(id);
    provider.options.health = "healthy";
    await vi.advanceTimersByTimeAsync(1_000);
    expect(manager.getState(id)).toBe("active");
    expect(provider.calls).toEqual(["initialize", "start", "healthCheck", "initialize", "start"]);
    expect(order).toEqual(["afterInit(1)", "event(1)", "afterInit(2)", "event(2)"]);
    const initialized = events
      .filter((e) => e.type === "provider:initialized")
      .map((e) => (e.event as ProviderEvent).previousState);
    expect(initialized).toEqual(["initializing", "initializing"]);
  });

  it("a flapping provider is restarted at most maxRestartAttempts times per window, then left in error with the cause", async () => {
    // healthy, unhealthy, healthy…: every restart succeeds and the next check fails again
    const provider = new FakeProvider();
    let flip = false;
    const flap = (): void => {
      flip = !flip;
      provider.options.health = flip ? "unhealthy" : "healthy";
    };
    const { manager, id, types } = setup(
      { healthCheckInterval: 50, restartDelay: 10, maxRestartAttempts: 3, restartWindow: 60_000 },
      provider,
    );
    manager.on("onHealthCheck", flap);
    provider.options.health = "healthy";
    await activate(manager, id);
    await vi.advanceTimersByTimeAsync(3_000);
    const starts = provider.calls.filter((c) => c === "start").length;
    expect(starts).toBe(1 + 3);
    const info = manager.getProviderInfo(id);
    expect(info?.state).toBe("error");
    expect(provider.state).toBe("error");
    expect(info?.restartsExhausted).toBe(true);
    expect(info?.restartAttempts).toBe(3);
    expect(info?.lastError).toMatchObject({
      operation: "health-check",
      code: "PROVIDER_FAILED",
      message: expect.stringMatching(/unhealthy/) as string,
    });
    expect(types().filter((t) => t === "provider:error")).toHaveLength(4);
    // nothing more happens: no timer but the (unref'd) health interval
    await vi.advanceTimersByTimeAsync(120_000);
    expect(provider.calls.filter((c) => c === "start").length).toBe(starts);
    expect(vi.getTimerCount()).toBe(1);
    // an operator taking over clears the budget
    await manager.initializeProvider(id);
    await manager.startProvider(id);
    expect(manager.getProviderInfo(id)).toMatchObject({
      state: "active",
      restartsExhausted: false,
      restartAttempts: 0,
    });
  });

  it("restarts age out of the window: a provider failing now and then keeps being restarted", async () => {
    const provider = new FakeProvider({ health: "unhealthy" });
    const { manager, id } = setup(
      { healthCheckInterval: 1_000_000, restartDelay: 10, maxRestartAttempts: 1, restartWindow: 1_000 },
      provider,
    );
    await activate(manager, id);
    for (let round = 1; round <= 3; round++) {
      await manager.checkHealth(id);
      await vi.advanceTimersByTimeAsync(10);
      expect(manager.getState(id)).toBe("active");
      expect(manager.getProviderInfo(id)?.restartAttempts).toBe(1);
      await vi.advanceTimersByTimeAsync(1_000);
    }
    // two failures inside one window: the second is not restarted
    await manager.checkHealth(id);
    await vi.advanceTimersByTimeAsync(10);
    await manager.checkHealth(id);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(manager.getProviderInfo(id)).toMatchObject({ state: "error", restartsExhausted: true });
  });

  it("takes restartWindow from core's lifecycle config schema and names a bad value", () => {
    expect(LIFECYCLE_MANAGER_DEFAULTS.restartWindow).toBe(600_000);
    expect(() => new InfrastructureLifecycleManager({ restartWindow: 0 })).toThrow(/restartWindow/);
  });

  it("treats a hanging health check as unhealthy", async () => {
    const provider = new FakeProvider({ health: "hang" });
    const { manager, id } = setup({ operationTimeout: 200, autoRestart: false }, provider);
    await activate(manager, id);
    const check = manager.checkHealth(id);
    await vi.advanceTimersByTimeAsync(200);
    expect((await check).status).toBe("unhealthy");
    expect(manager.getState(id)).toBe("error");
  });

  it("startAll initializes and starts every provider, collecting failures", async () => {
    const manager = new InfrastructureLifecycleManager();
    manager.registerProvider(new FakeProvider({ id: "a" }), { auth: FAKE_AUTH });
    manager.registerProvider(new FakeProvider({ id: "b", start: "throw" }), { auth: FAKE_AUTH });
    manager.registerProvider(new FakeProvider({ id: "c" }));
    const report = await manager.startAll();
    expect(report.started).toEqual(["a"]);
    expect(report.failed.map((f) => f.instanceId)).toEqual(["b"]);
    expect(manager.getStatistics().byState).toMatchObject({ active: 1, error: 1, uninitialized: 1 });
  });

  it("shutdown stops everything in parallel, forces a hanging provider and clears every timer", async () => {
    const manager = new InfrastructureLifecycleManager({ shutdownTimeout: 1_000, healthCheckInterval: 500 });
    const good = new FakeProvider({ id: "good" });
    const stuck = new FakeProvider({ id: "stuck", stop: "hang" });
    for (const p of [good, stuck]) {
      const id = manager.registerProvider(p, { auth: FAKE_AUTH });
      await activate(manager, id);
    }
    const terminated: string[] = [];
    manager.events.on("provider:terminated", (e) => terminated.push(e.instanceId ?? ""));
    const pending = manager.shutdown();
    await vi.advanceTimersByTimeAsync(1_000);
    const report = await pending;
    expect(report.stopped).toEqual(["good"]);
    expect(report.forced).toEqual([{ instanceId: "stuck", reason: "did not stop within 1000 ms" }]);
    expect(manager.getState("stuck")).toBe("terminated");
    expect(terminated.sort()).toEqual(["good", "stuck"]);
    expect(await manager.shutdown()).toBe(report);
    expect(vi.getTimerCount()).toBe(0);
    expect(() => manager.registerProvider(new FakeProvider({ id: "late" }))).toThrow(
      expect.objectContaining({ code: "SHUTDOWN" }) as Error,
    );
    await expect(manager.startProvider("good")).rejects.toMatchObject({ code: "SHUTDOWN" });
  });

  it("shutdown forces a provider whose destroy throws", async () => {
    const manager = new InfrastructureLifecycleManager();
    const id = manager.registerProvider(new FakeProvider({ destroy: "throw" }), { auth: FAKE_AUTH });
    await activate(manager, id);
    const report = await manager.shutdown();
    expect(report.forced).toHaveLength(1);
    expect(report.forced[0]?.reason).toMatch(/destroy/);
    expect(manager.getState(id)).toBe("terminated");
  });
});
