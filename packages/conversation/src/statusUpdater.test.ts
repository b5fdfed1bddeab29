import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createEventBus } from "@espada/infra-core";
import { InfrastructureStatusUpdater } from "./index.js";
import type { StatusEvent, Verbosity } from "./index.js";

describe("InfrastructureStatusUpdater", () => {
  it("tracks steps and percentage and ends once", () => {
    const updater = new InfrastructureStatusUpdater({ now: () => 1 });
    const events: StatusEvent[] = [];
    updater.subscribe((e) => events.push(e), { verbosity: "verbose" });
    updater.start("op", { title: "deploy", steps: ["build", "push", "roll out", "verify"] });
    updater.progress("op", { step: 2 });
    expect(updater.get("op")).toMatchObject({ percent: 50, stepName: "push", state: "running" });
    expect(updater.complete("op")).toBe(true);
    expect(updater.fail("op", new Error("late"))).toBe(false);
    expect(updater.progress("op", { percent: 10 })).toBe(false);
    expect(events.map((e) => e.type)).toEqual(["started", "progress", "completed"]);
    expect(updater.get("op")?.percent).toBe(100);
  });

  it("humanizes a failure", () => {
    const updater = new InfrastructureStatusUpdater();
    updater.start("op");
    updater.fail("op", { code: "ThrottlingException", message: "Rate exceeded" });
    expect(updater.get("op")?.error?.category).toBe("throttling");
  });

  it("thins progress by verbosity and isolates a throwing subscriber", () => {
    const errors: unknown[] = [];
    const updater = new InfrastructureStatusUpdater({ onListenerError: (e) => errors.push(e) });
    const seen: Record<Verbosity, number> = { quiet: 0, normal: 0, verbose: 0 };
    for (const v of ["quiet", "normal", "verbose"] as const)
      updater.subscribe(() => seen[v]++, { verbosity: v });
    updater.subscribe(() => {
      throw new Error("bad subscriber");
    });
    updater.start("op");
    for (let p = 1; p <= 100; p++) updater.progress("op", { percent: p });
    updater.complete("op");
    expect(seen.quiet).toBe(2);
    expect(seen.normal).toBe(12);
    expect(seen.verbose).toBe(102);
    expect(errors.length).toBeGreaterThan(0);
  });

  it("follows the executor's command events", () => {
    const bus = createEventBus();
    const updater = new InfrastructureStatusUpdater();
    const off = updater.attach(bus);
    const base = { timestamp: 1, executionId: "e1", commandId: "deploy", providerId: "p" };
    bus.emit("command:started", base);
    bus.emit("command:progress", { ...base, progress: { percent: 40, message: "pushing" } });
    expect(updater.get("e1")).toMatchObject({ percent: 40, message: "pushing" });
    bus.emit("command:failed", {
      ...base,
      error: { code: "ETIMEDOUT", message: "timed out", recoverable: false },
    });
    expect(updater.get("e1")).toMatchObject({ state: "failed" });
    off();
  });

  it("every subscriber sees started, then progress, then exactly one end — whatever the calls", () => {
    const call = fc.record({
      op: fc.constantFrom("a", "b", "c"),
      kind: fc.constantFrom("start", "progress", "complete", "fail", "cancel", "subscribe"),
      percent: fc.integer({ min: -10, max: 120 }),
      verbosity: fc.constantFrom<Verbosity>("quiet", "normal", "verbose"),
    });
    fc.assert(
      fc.property(fc.array(call, { maxLength: 60 }), (calls) => {
        const updater = new InfrastructureStatusUpdater();
        const logs: StatusEvent[][] = [];
        const subscribe = (verbosity: Verbosity): void => {
          const log: StatusEvent[] = [];
          logs.push(log);
          updater.subscribe((e) => log.push(e), { verbosity });
        };
        subscribe("verbose");
        for (const c of calls) {
          if (c.kind === "start") updater.start(c.op);
          else if (c.kind === "progress") updater.progress(c.op, { percent: c.percent });
          else if (c.kind === "complete") updater.complete(c.op);
          else if (c.kind === "fail") updater.fail(c.op, "boom");
          else if (c.kind === "cancel") updater.cancel(c.op);
          else subscribe(c.verbosity);
        }
        for (const log of logs) {
          for (const op of ["a", "b", "c"]) {
            const mine = log.filter((e) => e.operationId === op);
            if (mine.length === 0) continue;
            expect(mine[0]?.type).toBe("started");
            const ends = mine.filter(
              (e) => e.type === "completed" || e.type === "failed" || e.type === "cancelled",
            );
            expect(ends.length).toBeLessThanOrEqual(1);
            if (ends.length === 1) expect(mine[mine.length - 1]).toBe(ends[0]);
            expect(mine.filter((e) => e.type === "started").length).toBe(1);
            for (let i = 1; i < mine.length; i++) {
              expect(mine[i]?.percent ?? 0).toBeGreaterThanOrEqual(mine[i - 1]?.percent ?? 0);
              expect(mine[i]?.sequence ?? 0).toBeGreaterThan(mine[i - 1]?.sequence ?? 0);
            }
          }
        }
      }),
    );
  });
});
