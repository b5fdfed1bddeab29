import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  LIFECYCLE_HOOK_STAGES,
  LIFECYCLE_STATES,
  LIFECYCLE_TRANSITIONS,
  LifecycleStateMachine,
  canTransition,
  createLifecycleStateMachine,
  isLifecycleStateHolder,
  isTerminalState,
  lifecycleStateSchema,
} from "./lifecycle.js";
import { LifecycleTransitionError } from "./errors.js";
import type { LifecycleState } from "./lifecycle.js";

/** The spec diagram's edges. */
const DIAGRAM = [
  ["uninitialized", "initializing"],
  ["initializing", "ready"],
  ["ready", "active"],
  ["active", "suspending"],
  ["suspending", "suspended"],
  ["suspended", "ready"],
  ["suspended", "terminating"],
  ["terminating", "terminated"],
  ["terminating", "error"],
] as const;

/** The documented additions (lifecycle.ts TSDoc): failures, error recovery/teardown, teardown before start. */
const ADDITIONS = [
  ...(["initializing", "ready", "active", "suspending", "suspended", "terminating"] as const).map(
    (from) => [from, "error"] as const,
  ),
  ["error", "initializing"],
  ["error", "terminating"],
  ["uninitialized", "terminating"],
  ["ready", "terminating"],
] as const;

const ALLOWED = new Set([...DIAGRAM, ...ADDITIONS].map(([from, to]) => `${from}->${to}`));
const state = fc.constantFrom(...LIFECYCLE_STATES);

describe("lifecycle table", () => {
  it("has exactly the documented edges and nothing else", () => {
    const actual = new Set(
      LIFECYCLE_STATES.flatMap((from) => LIFECYCLE_TRANSITIONS[from].map((to) => `${from}->${to}`)),
    );
    expect([...actual].sort()).toStrictEqual([...ALLOWED].sort());
    for (const from of LIFECYCLE_STATES)
      expect(new Set(LIFECYCLE_TRANSITIONS[from]).size).toBe(LIFECYCLE_TRANSITIONS[from].length);
  });

  it("canTransition agrees with the documented edges for every pair", () => {
    fc.assert(
      fc.property(state, state, (from, to) => {
        expect(canTransition(from, to)).toBe(ALLOWED.has(`${from}->${to}`));
      }),
    );
    // And exhaustively, since the space is small (9 × 9).
    for (const from of LIFECYCLE_STATES)
      for (const to of LIFECYCLE_STATES) expect(canTransition(from, to)).toBe(ALLOWED.has(`${from}->${to}`));
  });

  it("allows no self-loops and makes only terminated terminal", () => {
    for (const s of LIFECYCLE_STATES) {
      expect(canTransition(s, s)).toBe(false);
      expect(isTerminalState(s)).toBe(s === "terminated");
    }
  });

  it("a random walk from uninitialized can always still reach terminated", () => {
    const reachesTerminated = (start: LifecycleState): boolean => {
      const seen = new Set<LifecycleState>([start]);
      const queue: LifecycleState[] = [start];
      while (queue.length > 0) {
        const current = queue.shift()!;
        if (current === "terminated") return true;
        for (const next of LIFECYCLE_TRANSITIONS[current]) {
          if (seen.has(next)) continue;
          seen.add(next);
          queue.push(next);
        }
      }
      return false;
    };
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (choices) => {
        let current: LifecycleState = "uninitialized";
        for (const choice of choices) {
          const next: readonly LifecycleState[] = LIFECYCLE_TRANSITIONS[current];
          if (next.length === 0) break;
          const target: LifecycleState = next[choice % next.length]!;
          expect(canTransition(current, target)).toBe(true);
          current = target;
        }
        expect(reachesTerminated(current)).toBe(true);
      }),
    );
  });

  it("parses states and lists the 10 hook stages", () => {
    expect(lifecycleStateSchema.safeParse("active").success).toBe(true);
    expect(lifecycleStateSchema.safeParse("running").success).toBe(false);
    expect(LIFECYCLE_STATES).toHaveLength(9);
    expect(LIFECYCLE_HOOK_STAGES).toHaveLength(10);
  });
});

describe("LifecycleStateMachine", () => {
  it("moves only along the table; a refused move changes nothing and names both states", () => {
    const machine = createLifecycleStateMachine("p-1");
    expect(machine.state).toBe("uninitialized");
    expect(() => machine.moveTo("active")).toThrow(LifecycleTransitionError);
    expect(() => machine.moveTo("active")).toThrow(/"p-1" cannot move from "uninitialized" to "active"/);
    expect(machine.state).toBe("uninitialized");
    machine.moveTo("initializing");
    expect(machine.canMoveTo("ready")).toBe(true);
    expect(machine.canMoveTo("active")).toBe(false);
  });

  it("tells listeners every move in order, with the cause, even when a listener moves it; a throwing listener is isolated", () => {
    const reported: unknown[] = [];
    const machine = new LifecycleStateMachine({
      name: "p",
      onListenerError: (error) => reported.push(error),
    });
    const seen: string[] = [];
    machine.onTransition(({ from, to }) => {
      seen.push(`a:${from}->${to}`);
      if (to === "initializing") machine.moveTo("error", new Error("boom"));
    });
    machine.onTransition(() => {
      throw new Error("listener failed");
    });
    const causes: unknown[] = [];
    const off = machine.onTransition(({ from, to, cause }) => {
      seen.push(`c:${from}->${to}`);
      causes.push(cause);
    });
    machine.moveTo("initializing");
    expect(machine.state).toBe("error");
    expect(seen).toEqual([
      "a:uninitialized->initializing",
      "c:uninitialized->initializing",
      "a:initializing->error",
      "c:initializing->error",
    ]);
    expect(causes[1]).toMatchObject({ message: "boom" });
    expect(reported).toHaveLength(2);
    off();
    machine.moveTo("terminating");
    expect(seen.at(-1)).toBe("a:error->terminating");
  });

  it("random moves: the state is the model's and listeners hear exactly the legal moves (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...LIFECYCLE_STATES), { maxLength: 60 }), (targets) => {
        const machine = createLifecycleStateMachine("m");
        const heard: [LifecycleState, LifecycleState][] = [];
        machine.onTransition(({ from, to }) => heard.push([from, to]));
        let model: LifecycleState = "uninitialized";
        const expected: [LifecycleState, LifecycleState][] = [];
        for (const to of targets) {
          const legal = canTransition(model, to);
          const threw = (() => {
            try {
              machine.moveTo(to);
              return false;
            } catch {
              return true;
            }
          })();
          expect(threw).toBe(!legal);
          if (legal) {
            expected.push([model, to]);
            model = to;
          }
          expect(machine.state).toBe(model);
        }
        expect(heard).toEqual(expected);
      }),
    );
  });

  it("recognises a state holder by shape", () => {
    expect(isLifecycleStateHolder(createLifecycleStateMachine("x"))).toBe(true);
    expect(isLifecycleStateHolder({ state: "bogus", canMoveTo() {}, moveTo() {}, onTransition() {} })).toBe(
      false,
    );
    expect(isLifecycleStateHolder(undefined)).toBe(false);
  });
});
