import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import fc from "fast-check";
import {
  canTransition,
  isInfrastructureError,
  LIFECYCLE_HOOK_STAGES,
  providerMetaSchema,
} from "@espada/infra-core";
import type {
  HealthStatus,
  InfrastructureEventType,
  InfrastructureProvider,
  LifecycleHookStage,
  LifecycleState,
  ProviderEvent,
} from "@espada/infra-core";
import { InfrastructureLifecycleManager } from "@espada/infra-registry";
import { createSimpleProvider } from "@espada/infra-sdk";

// The SDK's provider under the registry's lifecycle manager, driven by fast-check commands: random
// operations, faults in the provider's callbacks and in its own lifecycle hooks (throw, hang, finish
// late), faults in manager hooks, and fake-timer advances. After every command: the manager's state is
// the provider's, every move is an edge of core's table, and every provider:* event follows the
// provider step (and the manager hook) that really ran.

type Behaviour = "ok" | "throw" | "hang" | "late";
type Step = "initialize" | "start" | "stop" | "destroy";
type Operation = "init" | "start" | "stop" | "destroy" | "health";
const OPERATION_TIMEOUT = 300;
const EXPECTED_CODES = new Set(["ILLEGAL_TRANSITION", "LIFECYCLE_FAILED", "TIMEOUT", "SHUTDOWN", "CONFLICT"]);
const meta = providerMetaSchema.parse({
  id: "sdk-fault",
  name: "sdk-fault",
  displayName: "SDK fault",
  version: "1.0.0",
  category: "custom",
  authMethods: ["token"],
});
const AUTH = { method: "token" as const, credentials: {}, options: {} };
const EVENT_STEP: Partial<Record<InfrastructureEventType, { step: Step; hook: LifecycleHookStage }>> = {
  "provider:initialized": { step: "initialize", hook: "afterInit" },
  "provider:ready": { step: "start", hook: "afterStart" },
  "provider:terminated": { step: "destroy", hook: "afterDestroy" },
};

async function behave(behaviour: Behaviour | undefined): Promise<void> {
  if (behaviour === "throw") throw new Error("injected failure");
  if (behaviour === "hang") await new Promise<never>(() => undefined);
  if (behaviour === "late") await new Promise<void>((resolve) => setTimeout(resolve, 2 * OPERATION_TIMEOUT));
}

/** An SDK provider whose callbacks and own hooks misbehave on demand; records completed steps. */
function faultyProvider(id: string) {
  const faults = new Map<Step | "health", Behaviour>();
  const hookFaults = new Map<LifecycleHookStage, Behaviour>();
  const completed: Step[] = [];
  let health: HealthStatus = "healthy";
  const step = (name: Step) => async (): Promise<void> => {
    await behave(faults.get(name));
    completed.push(name);
  };
  const provider = createSimpleProvider({
    meta,
    instanceId: id,
    onInitialize: step("initialize"),
    onStart: step("start"),
    onStop: step("stop"),
    onDestroy: step("destroy"),
    onHealthCheck: async () => {
      await behave(faults.get("health"));
      return [{ name: "probe", status: health }];
    },
  });
  for (const stage of LIFECYCLE_HOOK_STAGES) provider.onLifecycle(stage, () => behave(hookFaults.get(stage)));
  return { provider, faults, hookFaults, completed, setHealth: (status: HealthStatus) => (health = status) };
}

class Real {
  readonly manager = new InfrastructureLifecycleManager({
    restartDelay: 100,
    maxRestartAttempts: 2,
    restartWindow: 5_000,
    healthCheckInterval: 700,
    operationTimeout: OPERATION_TIMEOUT,
    shutdownTimeout: 1_000,
  });
  readonly units = [faultyProvider("s0"), faultyProvider("s1")];
  readonly ids: string[];
  readonly managerHookFaults = new Map<LifecycleHookStage, Behaviour>();
  readonly hookRuns = new Map<string, number>();
  readonly emitted = new Map<string, number>();
  readonly last = new Map<string, LifecycleState>();
  readonly violations: string[] = [];
  readonly unexpected: unknown[] = [];

  constructor() {
    this.ids = this.units.map((u, i) =>
      this.manager.registerProvider(u.provider, { instanceId: `s${i}`, auth: AUTH }),
    );
    for (const id of this.ids) this.last.set(id, "uninitialized");
    this.manager.onStateChange((id, from, to) => {
      if (!canTransition(from, to) || this.last.get(id) !== from)
        this.violations.push(`${id}: ${from} -> ${to}`);
      this.last.set(id, to);
    });
    for (const stage of LIFECYCLE_HOOK_STAGES) {
      this.manager.on(stage, async (ctx) => {
        const key = `${ctx.instanceId ?? ""}/${stage}`;
        this.hookRuns.set(key, (this.hookRuns.get(key) ?? 0) + 1);
        await behave(this.managerHookFaults.get(stage));
      });
    }
    this.manager.events.on("*", (type, event) => {
      if (!type.startsWith("provider:")) return;
      const e = event as ProviderEvent;
      const index = this.ids.indexOf(e.instanceId ?? "");
      const unit = this.units[index];
      if (unit === undefined) return;
      const key = `${e.instanceId ?? ""}/${type}`;
      const count = (this.emitted.get(key) ?? 0) + 1;
      this.emitted.set(key, count);
      if (e.state !== unit.provider.state)
        this.violations.push(`${type} says ${e.state ?? "?"}, provider is ${unit.provider.state}`);
      const expected = EVENT_STEP[type];
      if (expected === undefined || (type === "provider:terminated" && e.error?.code === "SHUTDOWN")) return;
      const done = unit.completed.filter((s) => s === expected.step).length;
      if (count > done)
        this.violations.push(
          `${type} #${count} for ${e.instanceId ?? ""} but ${expected.step} completed ${done} times`,
        );
      if (count > (this.hookRuns.get(`${e.instanceId ?? ""}/${expected.hook}`) ?? 0))
        this.violations.push(`${type} #${count} before its ${expected.hook} hook ran`);
    });
  }

  run(kind: Operation, index: number): Promise<void> {
    const id = this.ids[index] ?? "";
    const m = this.manager;
    const call: Promise<unknown> =
      kind === "init"
        ? m.initializeProvider(id)
        : kind === "start"
          ? m.startProvider(id)
          : kind === "stop"
            ? m.stopProvider(id)
            : kind === "destroy"
              ? m.destroyProvider(id)
              : m.checkHealth(id);
    return call.then(
      () => undefined,
      (error: unknown) => {
        if (!isInfrastructureError(error) || !EXPECTED_CODES.has(error.code)) this.unexpected.push(error);
      },
    );
  }

  check(): void {
    for (const [index, id] of this.ids.entries()) {
      const provider: InfrastructureProvider = (this.units[index] as { provider: InfrastructureProvider })
        .provider;
      expect(this.manager.getState(id)).toBe(provider.state);
      expect(this.last.get(id)).toBe(provider.state);
    }
    expect(this.violations).toEqual([]);
    expect(this.unexpected).toEqual([]);
  }
}

async function settle(work: Promise<unknown>): Promise<void> {
  let done = false;
  void work.finally(() => (done = true));
  while (!done) await vi.advanceTimersByTimeAsync(100);
}

type Cmd = fc.AsyncCommand<Record<string, never>, Real>;
const command = (name: string, act: (real: Real) => Promise<void>): Cmd => ({
  check: () => true,
  run: async (_model, real) => {
    await act(real);
    real.check();
  },
  toString: () => name,
});
const target = fc.integer({ min: 0, max: 1 });
const operation = fc.constantFrom<Operation>("init", "start", "stop", "destroy", "health");
const behaviour = fc.constantFrom<Behaviour>("ok", "ok", "throw", "hang", "late");
const stage = fc.constantFrom<LifecycleHookStage>(...LIFECYCLE_HOOK_STAGES);
const commands = [
  fc.tuple(operation, target).map(([op, i]) => command(`${op}(${i})`, (real) => settle(real.run(op, i)))),
  fc
    .tuple(operation, target, operation, target)
    .map(([a, i, b, j]) =>
      command(`${a}(${i}) ‖ ${b}(${j})`, (real) => settle(Promise.all([real.run(a, i), real.run(b, j)]))),
    ),
  fc
    .tuple(
      target,
      fc.constantFrom<Step | "health">("initialize", "start", "stop", "destroy", "health"),
      behaviour,
    )
    .map(([i, step, b]) =>
      command(`fault(${i}, ${step}, ${b})`, async (real) => {
        real.units[i]?.faults.set(step, b);
        await Promise.resolve();
      }),
    ),
  fc.tuple(target, stage, behaviour).map(([i, s, b]) =>
    command(`providerHook(${i}, ${s}, ${b})`, async (real) => {
      real.units[i]?.hookFaults.set(s, b);
      await Promise.resolve();
    }),
  ),
  fc.tuple(stage, behaviour).map(([s, b]) =>
    command(`managerHook(${s}, ${b})`, async (real) => {
      real.managerHookFaults.set(s, b);
      await Promise.resolve();
    }),
  ),
  fc.tuple(target, fc.constantFrom<HealthStatus>("healthy", "degraded", "unhealthy")).map(([i, h]) =>
    command(`health(${i}) := ${h}`, async (real) => {
      real.units[i]?.setHealth(h);
      await Promise.resolve();
    }),
  ),
  fc
    .integer({ min: 0, max: 3_000 })
    .map((ms) =>
      command(`advance(${ms})`, (real) => vi.advanceTimersByTimeAsync(ms).then(() => real.check())),
    ),
];

describe("one state per instance: SDK provider under the lifecycle manager (model-based property)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("the manager's state is the provider's after every step, and every event follows a step that really ran", async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 40, size: "+1" }), async (cmds) => {
        vi.clearAllTimers();
        const real = new Real();
        await fc.asyncModelRun(() => ({ model: {}, real }), cmds);
        real.managerHookFaults.clear();
        await settle(real.manager.shutdown());
        real.check();
        for (const id of real.ids) expect(real.manager.getState(id)).toBe("terminated");
      }),
      { numRuns: 100 },
    );
  }, 300_000); // no timing assertion: the bound only spares a slow, busy CI machine
});
