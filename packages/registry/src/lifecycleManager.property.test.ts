import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import fc from "fast-check";
import { canTransition, isInfrastructureError } from "@espada/infra-core";
import type { LifecycleState } from "@espada/infra-core";
import { InfrastructureLifecycleManager } from "./lifecycleManager.js";
import { FAKE_AUTH, FakeProvider } from "../test/fakeProvider.js";

type Op =
  | { kind: "init" | "start" | "stop" | "destroy" | "health"; target: number }
  | { kind: "fault"; target: number; step: "initialize" | "start" | "stop" | "destroy"; behaviour: "ok" | "throw" | "hang" }
  | { kind: "healthIs"; target: number; status: "healthy" | "degraded" | "unhealthy" | "throw" }
  | { kind: "advance"; ms: number }
  | { kind: "pair"; a: number; b: number; first: "init" | "start" | "stop" | "destroy"; second: "init" | "start" | "stop" | "destroy" };

const target = fc.integer({ min: 0, max: 1 });
const action = fc.constantFrom("init" as const, "start" as const, "stop" as const, "destroy" as const);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constantFrom("init" as const, "start" as const, "stop" as const, "health" as const), target }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("destroy" as const), target }) },
  fc.record({
    kind: fc.constant("fault" as const),
    target,
    step: fc.constantFrom("initialize" as const, "start" as const, "stop" as const, "destroy" as const),
    behaviour: fc.constantFrom("ok" as const, "throw" as const, "hang" as const),
  }),
  fc.record({ kind: fc.constant("healthIs" as const), target, status: fc.constantFrom("healthy" as const, "degraded" as const, "unhealthy" as const, "throw" as const) }),
  fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 5_000 }) }),
  fc.record({ kind: fc.constant("pair" as const), a: target, b: target, first: action, second: action }),
);

const EXPECTED_CODES = new Set(["ILLEGAL_TRANSITION", "LIFECYCLE_FAILED", "TIMEOUT", "SHUTDOWN"]);

describe("InfrastructureLifecycleManager (property)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("random operation sequences only ever take edges of core's transition table", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 60, size: "large" }), fc.boolean(), async (ops, autoRestart) => {
        const manager = new InfrastructureLifecycleManager({
          autoRestart,
          restartDelay: 100,
          maxRestartAttempts: 2,
          healthCheckInterval: 700,
          operationTimeout: 300,
          shutdownTimeout: 1_000,
        });
        const providers = [new FakeProvider({ id: "p0" }), new FakeProvider({ id: "p1" })];
        const ids = providers.map((p) => manager.registerProvider(p, { auth: FAKE_AUTH }));
        const last = new Map<string, LifecycleState>(ids.map((id) => [id, "uninitialized"]));
        const illegal: string[] = [];
        manager.onStateChange((id, from, to) => {
          if (!canTransition(from, to) || last.get(id) !== from) illegal.push(`${id}: ${from} -> ${to}`);
          last.set(id, to);
        });
        const unexpected: unknown[] = [];
        const run = (kind: "init" | "start" | "stop" | "destroy" | "health", index: number): Promise<unknown> => {
          const id = ids[index] ?? "";
          const call =
            kind === "init"
              ? manager.initializeProvider(id)
              : kind === "start"
                ? manager.startProvider(id)
                : kind === "stop"
                  ? manager.stopProvider(id)
                  : kind === "destroy"
                    ? manager.destroyProvider(id)
                    : manager.checkHealth(id);
          return call.catch((error: unknown) => {
            if (!isInfrastructureError(error) || !EXPECTED_CODES.has(error.code)) unexpected.push(error);
          });
        };
        const settle = async (work: Promise<unknown>): Promise<void> => {
          let done = false;
          void work.finally(() => (done = true));
          while (!done) await vi.advanceTimersByTimeAsync(100);
        };
        for (const o of ops) {
          switch (o.kind) {
            case "fault":
              (providers[o.target] as FakeProvider).options[o.step] = o.behaviour;
              break;
            case "healthIs":
              (providers[o.target] as FakeProvider).options.health = o.status;
              break;
            case "advance":
              await vi.advanceTimersByTimeAsync(o.ms);
              break;
            case "pair":
              await settle(Promise.all([run(o.first, o.a), run(o.second, o.b)]));
              break;
            default:
              await settle(run(o.kind, o.target));
          }
          for (const id of ids) expect(manager.getState(id)).toBe(last.get(id));
        }
        await settle(manager.shutdown());
        expect(illegal).toEqual([]);
        expect(unexpected).toEqual([]);
        for (const id of ids) expect(manager.getState(id)).toBe("terminated");
        expect(vi.getTimerCount()).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
