import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import fc from "fast-check";
import { canTransition, isInfrastructureError, LIFECYCLE_HOOK_STAGES } from "@espada/infra-core";
import type {
  InfrastructureEventType,
  LifecycleHookStage,
  LifecycleState,
  ProviderEvent,
} from "@espada/infra-core";
import { InfrastructureLifecycleManager } from "./lifecycleManager.js";
import { FAKE_AUTH, FakeProvider } from "../test/fakeProvider.js";
import type { StepBehaviour } from "../test/fakeProvider.js";

// Model-based: fast-check drives random operations, provider faults (steps and health checks that
// throw, hang or finish late), hook faults (manager hooks that throw or hang) and fake-timer
// advances; after every command the invariants below are checked.

const OPERATION_TIMEOUT = 300;
const EXPECTED_CODES = new Set(["ILLEGAL_TRANSITION", "LIFECYCLE_FAILED", "TIMEOUT", "SHUTDOWN"]);
type Operation = "init" | "start" | "stop" | "destroy" | "health";
type Step = "initialize" | "start" | "stop" | "destroy";
type HookBehaviour = "ok" | "throw" | "hang";

/** Which completed provider step (or manager hook) an event reports. */
const EVENT_STEP: Partial<Record<InfrastructureEventType, { step: Step; hook: LifecycleHookStage }>> = {
  "provider:initialized": { step: "initialize", hook: "afterInit" },
  "provider:ready": { step: "start", hook: "afterStart" },
  "provider:terminated": { step: "destroy", hook: "afterDestroy" },
};

class Real {
  readonly manager: InfrastructureLifecycleManager;
  readonly providers = [new FakeProvider({ id: "p0" }), new FakeProvider({ id: "p1" })];
  readonly ids: string[];
  readonly hookBehaviour = new Map<LifecycleHookStage, HookBehaviour>();
  /** Manager hook invocations per instance and stage. */
  readonly hookRuns = new Map<string, number>();
  readonly violations: string[] = [];
  readonly unexpected: unknown[] = [];
  readonly last = new Map<string, LifecycleState>();
  readonly emitted = new Map<string, number>();

  constructor(autoRestart: boolean) {
    this.manager = new InfrastructureLifecycleManager({
      autoRestart,
      restartDelay: 100,
      maxRestartAttempts: 2,
      restartWindow: 5_000,
      healthCheckInterval: 700,
      operationTimeout: OPERATION_TIMEOUT,
      shutdownTimeout: 1_000,
    });
    this.ids = this.providers.map((p) => this.manager.registerProvider(p, { auth: FAKE_AUTH }));
    for (const id of this.ids) this.last.set(id, "uninitialized");
    this.manager.onStateChange((id, from, to) => {
      if (!canTransition(from, to) || this.last.get(id) !== from)
        this.violations.push(`${id}: ${from} -> ${to} (was ${this.last.get(id) ?? "?"})`);
      this.last.set(id, to);
    });
    for (const stage of LIFECYCLE_HOOK_STAGES) {
      this.manager.on(stage, (ctx) => {
        const key = `${ctx.instanceId ?? ""}/${stage}`;
        this.hookRuns.set(key, (this.hookRuns.get(key) ?? 0) + 1);
        const behaviour = this.hookBehaviour.get(stage) ?? "ok";
        if (behaviour === "throw") throw new Error(`${stage} hook failed`);
        if (behaviour === "hang") return new Promise<void>(() => undefined);
        return undefined;
      });
    }
    this.manager.events.on("*", (type, event) => this.#onEvent(type, event as ProviderEvent));
  }

  /** Every lifecycle event follows the provider step and the manager hook that really ran. */
  #onEvent(type: InfrastructureEventType, event: ProviderEvent): void {
    const id = event.instanceId ?? "";
    const provider = this.providers[this.ids.indexOf(id)];
    if (provider === undefined || !type.startsWith("provider:")) return;
    const key = `${id}/${type}`;
    const count = (this.emitted.get(key) ?? 0) + 1;
    this.emitted.set(key, count);
    if (event.state !== provider.state)
      this.violations.push(`${type} for ${id} says ${event.state ?? "?"}, provider is ${provider.state}`);
    const expected = EVENT_STEP[type];
    if (expected !== undefined) {
      if (type === "provider:terminated" && event.error?.code === "SHUTDOWN") return; // forced: no step ran, by design
      const steps = provider.completed.filter((s) => s === expected.step).length;
      const forced = type === "provider:terminated" ? (this.emitted.get(`${id}/forced`) ?? 0) : 0;
      if (count - forced > steps)
        this.violations.push(`${type} #${count} for ${id} but ${expected.step} completed ${steps} times`);
      if (count > (this.hookRuns.get(`${id}/${expected.hook}`) ?? 0))
        this.violations.push(`${type} #${count} for ${id} before its ${expected.hook} hook ran`);
    }
    if (type === "provider:error" && count > (this.hookRuns.get(`${id}/onError`) ?? 0))
      this.violations.push(`provider:error #${count} for ${id} before onError hooks ran`);
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

  /** One state per instance, legal edges only, events only after the steps they report. */
  checkInvariants(): void {
    for (const [index, id] of this.ids.entries()) {
      const provider = this.providers[index] as FakeProvider;
      expect(this.manager.getState(id)).toBe(provider.state);
      expect(this.manager.getState(id)).toBe(this.last.get(id));
      expect(this.manager.getProviderInfo(id)?.state).toBe(provider.state);
    }
    expect(this.violations).toEqual([]);
    expect(this.unexpected).toEqual([]);
  }
}

/** Advances fake time until `work` settles (every operation is bounded, so this ends). */
async function settle(work: Promise<unknown>): Promise<void> {
  let done = false;
  void work.finally(() => (done = true));
  while (!done) await vi.advanceTimersByTimeAsync(100);
}

type Model = Record<string, never>;
type Cmd = fc.AsyncCommand<Model, Real>;

const target = fc.integer({ min: 0, max: 1 });
const operation = fc.constantFrom<Operation>("init", "start", "stop", "destroy", "health");
const stepBehaviour = fc.constantFrom<StepBehaviour>("ok", "ok", "throw", "hang", 500);

function command(name: string, act: (real: Real) => Promise<void>): Cmd {
  return {
    check: () => true,
    run: async (_model, real) => {
      await act(real);
      real.checkInvariants();
    },
    toString: () => name,
  };
}

const commands = [
  fc.tuple(operation, target).map(([op, i]) => command(`${op}(${i})`, (real) => settle(real.run(op, i)))),
  fc
    .tuple(operation, target, operation, target)
    .map(([a, i, b, j]) =>
      command(`${a}(${i}) ‖ ${b}(${j})`, (real) => settle(Promise.all([real.run(a, i), real.run(b, j)]))),
    ),
  fc
    .tuple(target, fc.constantFrom<Step>("initialize", "start", "stop", "destroy"), stepBehaviour)
    .map(([i, step, behaviour]) =>
      command(`fault(${i}, ${step}, ${behaviour})`, async (real) => {
        (real.providers[i] as FakeProvider).options[step] = behaviour;
        await Promise.resolve();
      }),
    ),
  fc
    .tuple(
      target,
      fc.constantFrom(
        "healthy" as const,
        "degraded" as const,
        "unhealthy" as const,
        "throw" as const,
        "hang" as const,
      ),
    )
    .map(([i, status]) =>
      command(`health(${i}) := ${status}`, async (real) => {
        (real.providers[i] as FakeProvider).options.health = status;
        await Promise.resolve();
      }),
    ),
  fc
    .tuple(
      fc.constantFrom<LifecycleHookStage>(...LIFECYCLE_HOOK_STAGES),
      fc.constantFrom<HookBehaviour>("ok", "throw", "hang"),
    )
    .map(([stage, behaviour]) =>
      command(`hook(${stage}) := ${behaviour}`, async (real) => {
        real.hookBehaviour.set(stage, behaviour);
        await Promise.resolve();
      }),
    ),
  fc
    .integer({ min: 0, max: 3_000 })
    .map((ms) =>
      command(`advance(${ms})`, (real) => vi.advanceTimersByTimeAsync(ms).then(() => real.checkInvariants())),
    ),
];

describe("InfrastructureLifecycleManager (model-based property)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("after every step the manager's state is the provider's, moves are legal edges, and every event follows a step and hook that really ran", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.commands(commands, { maxCommands: 40, size: "+1" }),
        fc.boolean(),
        async (cmds, autoRestart) => {
          vi.clearAllTimers(); // a late provider step of the previous run
          const real = new Real(autoRestart);
          await fc.asyncModelRun(() => ({ model: {}, real }), cmds);
          real.hookBehaviour.clear();
          await settle(real.manager.shutdown());
          real.checkInvariants();
          for (const id of real.ids) expect(real.manager.getState(id)).toBe("terminated");
          await vi.advanceTimersByTimeAsync(1_000); // lets a late (500 ms) provider step finish: its timer is the fake provider's
          real.checkInvariants();
          expect(vi.getTimerCount()).toBe(0);
        },
      ),
      { numRuns: 120 },
    );
  }, 300_000); // no timing assertion: the bound only spares a slow, busy CI machine
});
