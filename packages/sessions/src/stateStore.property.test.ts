import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { JsonValue, StateStore } from "@espada/infra-core";
import { StateStoreModel } from "@espada/infra-core/testing";
import { FileStateStore } from "./fileStateStore.js";
import { InMemoryStateStore } from "./memoryStateStore.js";
import { fakeClock, tempDir } from "../test/helpers.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const key = fc.constantFrom("a", "b", "s/1", "s/2", "../x");
const value: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 5 }),
  fc.record({ n: fc.integer() }),
);
type Op =
  | { op: "put"; key: string; value: JsonValue; ttl?: number | undefined }
  | { op: "cas"; key: string; expected: number; value: JsonValue }
  | { op: "delete"; key: string }
  | { op: "get"; key: string }
  | { op: "list"; prefix: string; limit?: number | undefined; cursor?: string | undefined }
  | { op: "inc"; key: string; by: number }
  | { op: "append"; value: JsonValue }
  | { op: "read"; from: number; limit?: number | undefined }
  | { op: "trim"; maxEntries?: number | undefined; olderBy?: number | undefined }
  | { op: "deleteLog" }
  | { op: "tick"; ms: number }
  | { op: "reopen" };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant("put" as const),
    key,
    value,
    ttl: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
  }),
  fc.record({ op: fc.constant("cas" as const), key, expected: fc.integer({ min: 0, max: 4 }), value }),
  fc.record({ op: fc.constant("delete" as const), key }),
  fc.record({ op: fc.constant("get" as const), key }),
  fc.record({
    op: fc.constant("list" as const),
    prefix: fc.constantFrom("", "s/", "a"),
    limit: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    cursor: fc.option(key, { nil: undefined }),
  }),
  fc.record({ op: fc.constant("inc" as const), key, by: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ op: fc.constant("append" as const), value }),
  fc.record({
    op: fc.constant("read" as const),
    from: fc.integer({ min: 0, max: 5 }),
    limit: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  }),
  fc.record({
    op: fc.constant("trim" as const),
    maxEntries: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
    olderBy: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
  }),
  fc.record({ op: fc.constant("deleteLog" as const) }),
  fc.record({ op: fc.constant("tick" as const), ms: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ op: fc.constant("reopen" as const) }),
);

async function run(
  store: StateStore,
  o: Exclude<Op, { op: "tick" } | { op: "reopen" }>,
  now: number,
): Promise<unknown> {
  switch (o.op) {
    case "put":
      return store.put(o.key, o.value, o.ttl === undefined ? {} : { ttlMs: o.ttl });
    case "cas":
      return store.compareAndSet(o.key, o.expected, o.value);
    case "delete":
      return store.delete(o.key);
    case "get":
      return store.get(o.key);
    case "list":
      return store.list(o.prefix, {
        ...(o.limit === undefined ? {} : { limit: o.limit }),
        ...(o.cursor === undefined ? {} : { cursor: o.cursor }),
      });
    case "inc":
      return store.increment(`c/${o.key}`, 30, o.by);
    case "append":
      return store.append("log", o.value);
    case "read":
      return store.read("log", o.from, o.limit);
    case "trim":
      return store.trim("log", {
        ...(o.maxEntries === undefined ? {} : { maxEntries: o.maxEntries }),
        ...(o.olderBy === undefined ? {} : { olderThan: now - o.olderBy }),
      });
    case "deleteLog":
      return store.deleteLog("log");
  }
}

// Each store is compared with core's StateStoreModel: a plain Map-and-array reference with none of
// the engine's code (no coalescing, no persistence), so a shared bug cannot hide on both sides.
describe.each([
  ["InMemoryStateStore", false],
  ["FileStateStore", true],
] as const)("%s matches the plain reference model", (_name, onFile) => {
  it("on random operation sequences (the file store also across reopens)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 50 }), async (ops) => {
        const clock = fakeClock();
        const dir = tempDir();
        cleanups.push(dir.cleanup);
        const open = async (): Promise<StateStore> =>
          onFile
            ? FileStateStore.open({ directory: dir.path, now: clock.now })
            : new InMemoryStateStore({ now: clock.now });
        const model = new StateStoreModel(clock.now);
        let store = await open();
        try {
          for (const o of ops) {
            if (o.op === "tick") clock.advance(o.ms);
            else if (o.op === "reopen") {
              if (!onFile) continue;
              await store.close();
              store = await open();
              expect((store as FileStateStore).problems).toEqual([]);
            } else expect(await run(store, o, clock.now())).toEqual(await run(model, o, clock.now()));
          }
          expect(await store.list("")).toEqual(await model.list(""));
          expect(await store.read("log")).toEqual(await model.read("log"));
        } finally {
          await store.close();
          dir.cleanup();
        }
      }),
      { numRuns: onFile ? 40 : 150 },
    );
  });
});

describe("compare-and-set", () => {
  it("exactly one of N racing writers with the same expectation wins (both stores)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 30 }),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        async (writers, priorWrites, onFile) => {
          const dir = tempDir();
          const store: StateStore = onFile
            ? await FileStateStore.open({ directory: dir.path })
            : new InMemoryStateStore();
          try {
            for (let i = 0; i < priorWrites; i++) await store.put("k", i);
            const results = await Promise.all(
              Array.from({ length: writers }, (_, i) => store.compareAndSet("k", priorWrites, `w${i}`)),
            );
            const winners = results.filter((r) => r.ok);
            expect(winners).toHaveLength(1);
            expect((await store.get("k"))?.version).toBe(priorWrites + 1);
          } finally {
            await store.close();
            dir.cleanup();
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});
