import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { LIFECYCLE_STATES, canTransition, isInfrastructureError } from "@espada/infra-core";
import type {
  ConfigValidationResult,
  HealthCheckItem,
  InfrastructureLogger,
  LifecycleHookContext,
  LifecycleState,
} from "@espada/infra-core";
import { BaseInfrastructureProvider } from "./baseProvider.js";
import { defineProvider } from "./defineProvider.js";
import { failure, validation } from "./results.js";
import { createMockLogger } from "./testing/helpers.js";

const meta = defineProvider()
  .id("prop")
  .name("Prop")
  .version("1.0.0")
  .category("custom")
  .authMethods("token")
  .build();
const OPERATIONS = ["initialize", "start", "stop", "destroy", "healthCheck"] as const;
type Operation = (typeof OPERATIONS)[number];

/** A provider whose every step may fail, chosen per call by the generated plan. */
class FlakyProvider extends BaseInfrastructureProvider {
  readonly hookContexts: LifecycleHookContext[] = [];
  #plan: readonly boolean[];
  #calls = 0;

  constructor(plan: readonly boolean[], logger: InfrastructureLogger) {
    super(meta, { logger });
    this.#plan = plan;
    for (const stage of [
      "beforeInit",
      "afterInit",
      "beforeStart",
      "afterStart",
      "beforeStop",
      "afterStop",
      "beforeDestroy",
      "afterDestroy",
      "onError",
    ] as const) {
      this.onLifecycle(stage, (context) => {
        this.hookContexts.push(context);
      });
    }
  }
  async #maybeFail(): Promise<void> {
    await Promise.resolve();
    const fail = this.#plan[this.#calls % Math.max(this.#plan.length, 1)] ?? false;
    this.#calls += 1;
    if (fail) throw new Error("injected failure");
  }
  protected override onInitialize = (): Promise<void> => this.#maybeFail();
  protected override onStart = (): Promise<void> => this.#maybeFail();
  protected override onStop = (): Promise<void> => this.#maybeFail();
  protected override onDestroy = (): Promise<void> => this.#maybeFail();
  protected override async performHealthChecks(): Promise<readonly HealthCheckItem[]> {
    await this.#maybeFail();
    return [{ name: "probe", status: "healthy" }];
  }
  protected override onValidateConfig(): Promise<ConfigValidationResult> {
    return Promise.resolve(validation.ok());
  }
  protected override onExecuteCommand() {
    return Promise.resolve(failure("NONE", "no commands"));
  }
}

describe("lifecycle state machine (property)", () => {
  it("every transition is an edge of the table, whatever the sequence of calls and failures", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<Operation>(...OPERATIONS), { maxLength: 25 }),
        fc.array(fc.boolean(), { maxLength: 8 }),
        async (ops, plan) => {
          const logger = createMockLogger();
          const provider = new FlakyProvider(plan, logger);
          const auth = { method: "token" as const, credentials: {}, options: {} };
          for (const op of ops) {
            const before = provider.state;
            const outcome = await (op === "initialize" ? provider.initialize(auth) : provider[op]()).then(
              () => undefined,
              (error: unknown) => error,
            );
            expect(LIFECYCLE_STATES).toContain(provider.state);
            // A refused call changes nothing.
            if (isInfrastructureError(outcome, "ILLEGAL_TRANSITION")) expect(provider.state).toBe(before);
          }
          // The provider logs each move as "lifecycle <from> -> <to>": replay them against the table.
          let current: LifecycleState = "uninitialized";
          for (const entry of logger.find("debug")) {
            const match = /^lifecycle (\S+) -> (\S+)$/.exec(entry.message);
            if (match === null) continue;
            const [, from, to] = match as unknown as [string, LifecycleState, LifecycleState];
            expect(from).toBe(current);
            expect(canTransition(from, to)).toBe(true);
            current = to;
          }
          for (const { state } of provider.hookContexts) expect(LIFECYCLE_STATES).toContain(state);
          expect(current).toBe(provider.state);
        },
      ),
      { numRuns: 300 },
    );
  });
});
