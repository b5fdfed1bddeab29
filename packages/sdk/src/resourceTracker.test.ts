import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ValidationError } from "@espada/infra-core";
import { createResourceTracker, toResourceState } from "./resourceTracker.js";

describe("resource tracker", () => {
  it("records, replaces, lists in first-recorded order and forgets resources", () => {
    const tracker = createResourceTracker();
    tracker.update({ id: "a", type: "compute", status: "running" });
    tracker.update({
      id: "b",
      type: "database",
      name: "db",
      status: "up",
      metadata: { gb: 1 },
      updatedAt: 3,
    });
    const replaced = tracker.update({ id: "a", type: "compute", status: "stopped", updatedAt: 9 });
    expect(replaced).toEqual({ id: "a", type: "compute", status: "stopped", metadata: {}, updatedAt: 9 });
    expect(tracker.list()).toEqual([
      replaced,
      { id: "b", type: "database", name: "db", status: "up", metadata: { gb: 1 }, updatedAt: 3 },
    ]);
    expect(tracker.remove("a")).toBe(true);
    expect(tracker.remove("a")).toBe(false);
    expect(tracker.list().map((r) => r.id)).toEqual(["b"]);
  });

  it("refuses an empty id or an unknown type with a ValidationError naming the field", () => {
    const tracker = createResourceTracker();
    expect(() => tracker.update({ id: "", type: "compute", status: "x" })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ path: "id" })] }),
    );
    expect(() => tracker.update({ id: "x", type: "teleporter" as "compute", status: "x" })).toThrow(
      ValidationError,
    );
    expect(tracker.list()).toEqual([]);
  });

  it("defaults updatedAt to now", () => {
    const before = Date.now();
    const state = toResourceState({ id: "x", type: "storage", status: "ok" });
    expect(state.updatedAt).toBeGreaterThanOrEqual(before);
  });

  it("tracks exactly the last update of every id not removed since (property)", () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant("update" as const),
        id: fc.constantFrom("a", "b", "c"),
        status: fc.string(),
      }),
      fc.record({ kind: fc.constant("remove" as const), id: fc.constantFrom("a", "b", "c") }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const tracker = createResourceTracker();
        const model = new Map<string, string>();
        for (const o of ops) {
          if (o.kind === "update") {
            tracker.update({ id: o.id, type: "compute", status: o.status, updatedAt: 1 });
            model.set(o.id, o.status);
          } else {
            expect(tracker.remove(o.id)).toBe(model.delete(o.id));
          }
        }
        expect(tracker.list().map((r) => [r.id, r.status])).toEqual([...model.entries()]);
      }),
    );
  });
});
