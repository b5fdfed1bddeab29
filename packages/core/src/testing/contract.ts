import type { JsonValue } from "../json.js";
import type { StateStore } from "../stores.js";
import { assertEqual, assertRejects, assertTrue } from "./assert.js";
import { StateStoreModel } from "./model.js";

/** A controllable clock: the store under test must read time only from `now`. */
export interface TestClock {
  /** The current time (epoch ms); a plain function, safe to pass around (`{ now: clock.now }`). */
  readonly now: () => number;
  /** Moves the clock forward by `ms`. */
  readonly advance: (ms: number) => void;
}

/** Creates a {@link TestClock} starting at `start` (epoch ms). */
export function createTestClock(start = 1_700_000_000_000): TestClock {
  let time = start;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
  };
}

/** A fresh, empty store handed to one check. */
export interface StoreUnderTest {
  readonly store: StateStore;
  /**
   * For durable stores: opens the same state again (the check has closed `store` first) with the
   * same clock. Checks of durability are skipped for stores without it.
   */
  readonly reopen?: () => Promise<StateStore>;
  /** Removes whatever the store left behind (a directory, keys); called once at the end of the check. */
  readonly cleanup?: () => Promise<void> | void;
}

/** Creates a fresh, empty store whose every expiry and timestamp reads `clock.now()`. */
export type StateStoreFactory = (clock: TestClock) => Promise<StoreUnderTest>;

/** One named check of the contract; `run` rejects with a `ContractViolation` (or the store's error) on failure. */
export interface ContractCheck {
  readonly name: string;
  run(): Promise<void>;
}

/** Options of {@link stateStoreContractChecks}. */
export interface ContractOptions {
  /** Random operation sequences compared with the model, one check each (default 20). */
  readonly modelRuns?: number;
  /** Operations per sequence (default 60). */
  readonly modelSteps?: number;
  /** Seed of the first sequence (default 1); sequence i uses `seed + i`, so a failure names its seed. */
  readonly seed?: number;
}

interface Session {
  store: StateStore;
  readonly clock: TestClock;
  readonly sut: StoreUnderTest;
  /** Closes the current store and opens the same state again; undefined when the store is not durable. */
  readonly reopen: (() => Promise<StateStore>) | undefined;
}

type Body = (s: Session) => Promise<void>;

async function withStore(factory: StateStoreFactory, body: Body): Promise<void> {
  const clock = createTestClock();
  const sut = await factory(clock);
  const session: Session = {
    store: sut.store,
    clock,
    sut,
    reopen:
      sut.reopen === undefined
        ? undefined
        : async () => {
            await session.store.close();
            session.store = await (sut.reopen as () => Promise<StateStore>)();
            return session.store;
          },
  };
  try {
    await body(session);
  } finally {
    await session.store.close().catch(() => undefined);
    await sut.cleanup?.();
  }
}

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

/** Small deterministic PRNG (mulberry32), so a failing sequence is reproduced by its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Op =
  | { op: "put"; key: string; value: JsonValue; ttl?: number }
  | { op: "cas"; key: string; expected: number; value: JsonValue; ttl?: number }
  | { op: "delete"; key: string }
  | { op: "get"; key: string }
  | { op: "list"; prefix: string; limit?: number; cursor?: string }
  | { op: "inc"; key: string; window: number; by: number }
  | { op: "append"; log: string; value: JsonValue }
  | { op: "read"; log: string; from: number; limit?: number }
  | { op: "trim"; log: string; maxEntries?: number; olderBy?: number }
  | { op: "deleteLog"; log: string }
  | { op: "tick"; ms: number }
  | { op: "reopen" };

const KEYS = ["a", "b", "s/1", "s/2", "s/10", "s/é", "t/x", "../x"];
const PREFIXES = ["", "s/", "a", "t/", "zz"];
const LOGS = ["log", "audit/x"];

function generate(next: () => number, steps: number, durable: boolean): Op[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  const value = (): JsonValue =>
    pick<() => JsonValue>([
      () => int(-5, 5),
      () => `v${int(0, 99)}`,
      () => ({ n: int(0, 9), list: [true, null] }),
      () => null,
    ])();
  const maybe = <T>(make: () => T): T | undefined => (next() < 0.5 ? make() : undefined);
  const ops: Op[] = [];
  for (let i = 0; i < steps; i++) {
    const roll = next();
    let op: Op;
    if (roll < 0.16) op = { op: "put", key: pick(KEYS), value: value(), ...withTtl(maybe(() => int(1, 50))) };
    else if (roll < 0.26)
      op = {
        op: "cas",
        key: pick(KEYS),
        expected: int(0, 4),
        value: value(),
        ...withTtl(maybe(() => int(1, 50))),
      };
    else if (roll < 0.32) op = { op: "delete", key: pick(KEYS) };
    else if (roll < 0.4) op = { op: "get", key: pick(KEYS) };
    else if (roll < 0.48) {
      const limit = maybe(() => int(1, 3));
      const cursor = maybe(() => pick(KEYS));
      op = {
        op: "list",
        prefix: pick(PREFIXES),
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
      };
    } else if (roll < 0.55) op = { op: "inc", key: pick(["c/a", "c/b"]), window: int(5, 40), by: int(-3, 3) };
    else if (roll < 0.72) op = { op: "append", log: pick(LOGS), value: value() };
    else if (roll < 0.8) {
      const limit = maybe(() => int(0, 4));
      op = { op: "read", log: pick(LOGS), from: int(0, 8), ...(limit === undefined ? {} : { limit }) };
    } else if (roll < 0.86) {
      const maxEntries = maybe(() => int(0, 4));
      const olderBy = maybe(() => int(0, 30));
      op = {
        op: "trim",
        log: pick(LOGS),
        ...(maxEntries === undefined ? {} : { maxEntries }),
        ...(olderBy === undefined ? {} : { olderBy }),
      };
    } else if (roll < 0.88) op = { op: "deleteLog", log: pick(LOGS) };
    else if (roll < 0.97 || !durable) op = { op: "tick", ms: int(1, 25) };
    else op = { op: "reopen" };
    ops.push(op);
  }
  return ops;
}

function withTtl(ttl: number | undefined): { ttl?: number } {
  return ttl === undefined ? {} : { ttl };
}

async function apply(
  store: StateStore,
  o: Exclude<Op, { op: "tick" } | { op: "reopen" }>,
  now: number,
): Promise<unknown> {
  switch (o.op) {
    case "put":
      return store.put(o.key, o.value, o.ttl === undefined ? {} : { ttlMs: o.ttl });
    case "cas":
      return store.compareAndSet(o.key, o.expected, o.value, o.ttl === undefined ? {} : { ttlMs: o.ttl });
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
      return store.increment(o.key, o.window, o.by);
    case "append":
      return store.append(o.log, o.value);
    case "read":
      return store.read(o.log, o.from, o.limit);
    case "trim":
      return store.trim(o.log, {
        ...(o.maxEntries === undefined ? {} : { maxEntries: o.maxEntries }),
        ...(o.olderBy === undefined ? {} : { olderThan: now - o.olderBy }),
      });
    case "deleteLog":
      return store.deleteLog(o.log);
  }
}

const checks: [string, Body][] = [
  [
    "puts and gets with growing versions",
    async ({ store, clock }) => {
      assertEqual(await store.get("a"), undefined, "get of a missing key");
      const first = await store.put("a", { n: 1 });
      assertEqual(first, { key: "a", value: { n: 1 }, version: 1, updatedAt: clock.now() }, "first put");
      clock.advance(5);
      assertEqual((await store.put("a", { n: 2 })).version, 2, "second put version");
      assertEqual(
        await store.get("a"),
        { key: "a", value: { n: 2 }, version: 2, updatedAt: clock.now() },
        "get after two puts",
      );
    },
  ],
  [
    "copies values: later changes to the input or to a read do not leak in",
    async ({ store }) => {
      const value = { list: [1, 2] };
      await store.put("k", value);
      value.list.push(3);
      assertEqual(
        (await store.get("k"))?.value,
        { list: [1, 2] },
        "value after the caller changed its input",
      );
      const read = (await store.get("k"))?.value as { list: number[] };
      try {
        read.list.push(4);
      } catch {
        // a frozen value is fine too
      }
      assertEqual(
        (await store.get("k"))?.value,
        { list: [1, 2] },
        "value after a reader changed what it read",
      );
    },
  ],
  [
    "keeps keys named like Object's own members (__proto__, constructor, toJSON) as plain data",
    async ({ store }) => {
      const text =
        '{"__proto__":{"polluted":true},"constructor":"c","toJSON":1,"nested":[{"__proto__":null}]}';
      await store.put("proto", JSON.parse(text) as JsonValue);
      await store.append("proto-log", JSON.parse(text) as JsonValue);
      const stored = (await store.get("proto"))?.value;
      const [entry] = await store.read("proto-log", 0);
      for (const [value, what] of [
        [stored, "a put value"],
        [entry?.value, "an appended entry"],
      ] as const) {
        assertEqual(JSON.stringify(value), text, `${what} with an own __proto__ key, read back`);
        assertTrue(
          Object.getPrototypeOf(value) === Object.prototype,
          `${what}: an own __proto__ key must not become the prototype`,
        );
      }
    },
  ],
  [
    "drops object properties set to undefined, as JSON does",
    async ({ store }) => {
      await store.put("u", { a: 1, b: undefined });
      const stored = (await store.get("u"))?.value as Record<string, unknown>;
      assertEqual(Object.keys(stored), ["a"], "keys of a value written with an undefined property");
    },
  ],
  [
    "compare-and-set: 0 means absent, a stale version fails with the current record",
    async ({ store }) => {
      assertEqual((await store.compareAndSet("c", 1, "x")).ok, false, "cas on a missing key with version 1");
      assertEqual((await store.compareAndSet("c", 0, "x")).ok, true, "cas creating a key");
      assertEqual((await store.compareAndSet("c", 0, "y")).ok, false, "cas with 0 on an existing key");
      const stale = await store.compareAndSet<string>("c", 5, "y");
      assertTrue(
        !stale.ok && stale.current?.value === "x" && stale.current.version === 1,
        "a stale cas returns the current record",
      );
      const won = await store.compareAndSet<string>("c", 1, "y");
      assertTrue(
        won.ok && won.record.version === 2 && won.record.value === "y",
        "cas with the current version wins",
      );
    },
  ],
  [
    "compare-and-set: exactly one of many racing writers wins",
    async ({ store }) => {
      await store.put("race", 0);
      const results = await Promise.all(range(25).map((i) => store.compareAndSet("race", 1, i)));
      assertEqual(results.filter((r) => r.ok).length, 1, "winners among 25 racing writers");
      assertEqual((await store.get("race"))?.version, 2, "version after the race");
      const fresh = await Promise.all(range(10).map((i) => store.compareAndSet("fresh", 0, i)));
      assertEqual(fresh.filter((r) => r.ok).length, 1, "winners among 10 racing creators");
    },
  ],
  [
    "deletes and lists by prefix in key order",
    async ({ store }) => {
      for (const key of ["s/b", "s/a", "t/a", "s/c", "s"]) await store.put(key, key);
      assertEqual(
        (await store.list("s/")).map((r) => r.key),
        ["s/a", "s/b", "s/c"],
        "list s/",
      );
      assertEqual(await store.delete("s/b"), true, "delete of an existing key");
      assertEqual(await store.delete("s/b"), false, "second delete");
      assertEqual(
        (await store.list("s/")).map((r) => r.key),
        ["s/a", "s/c"],
        "list s/ after delete",
      );
      assertEqual(
        (await store.list("")).map((r) => r.key),
        ["s", "s/a", "s/c", "t/a"],
        "list everything",
      );
      assertEqual(await store.list("nothing/"), [], "list of an unused prefix");
    },
  ],
  [
    "lists page by page with limit and cursor, skipping nothing",
    async ({ store, clock }) => {
      const keys = range(23).map((i) => `p/${String(i).padStart(2, "0")}`);
      for (const key of [...keys].reverse()) await store.put(key, key);
      await store.put("q/0", "other prefix");
      await store.put("p/05", "expiring", { ttlMs: 10 });
      clock.advance(10);
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 20; page++) {
        const records = await store.list("p/", { limit: 5, ...(cursor === undefined ? {} : { cursor }) });
        seen.push(...records.map((r) => r.key));
        if (records.length < 5) break;
        cursor = records.at(-1)?.key;
      }
      assertEqual(
        seen,
        keys.filter((k) => k !== "p/05"),
        "keys seen walking pages of 5",
      );
      assertEqual(
        (await store.list("p/", { cursor: "p/20" })).map((r) => r.key),
        ["p/21", "p/22"],
        "after the cursor p/20",
      );
      assertEqual(
        (await store.list("p/", { cursor: "p/1" })).map((r) => r.key)[0],
        "p/10",
        "a cursor that is not a key",
      );
      assertEqual(await store.list("p/", { cursor: "p/99" }), [], "cursor past the end");
      assertEqual(
        (await store.list("", { limit: 1 })).map((r) => r.key),
        ["p/00"],
        "limit 1",
      );
    },
  ],
  [
    "hides expired records and restarts their version",
    async ({ store, clock }) => {
      await store.put("ttl", 1, { ttlMs: 1000 });
      await store.put("keep", 1);
      clock.advance(999);
      assertEqual((await store.get("ttl"))?.expiresAt, clock.now() + 1, "expiresAt of a live record");
      clock.advance(1);
      assertEqual(await store.get("ttl"), undefined, "get of an expired record");
      assertEqual(
        (await store.list("")).map((r) => r.key),
        ["keep"],
        "list hides expired records",
      );
      assertEqual(await store.delete("ttl"), false, "delete of an expired record");
      assertEqual((await store.compareAndSet("ttl", 0, 2)).ok, true, "cas with 0 on an expired record");
      assertEqual((await store.get("ttl"))?.version, 1, "version after an expired record is written again");
      await store.put("ttl", 3);
      assertEqual((await store.get("ttl"))?.expiresAt, undefined, "a put without ttl clears the expiry");
    },
  ],
  [
    "increments counters within a window and restarts after it",
    async ({ store, clock }) => {
      const start = clock.now();
      assertEqual(
        await store.increment("rate", 1000),
        { value: 1, resetAt: start + 1000 },
        "first increment",
      );
      assertEqual(
        await store.increment("rate", 1000, 4),
        { value: 5, resetAt: start + 1000 },
        "increment by 4",
      );
      const burst = await Promise.all(range(10).map(() => store.increment("rate", 1000)));
      assertEqual(
        burst.map((c) => c.value).sort((a, b) => a - b),
        range(10, 6),
        "a burst of 10 racing increments",
      );
      clock.advance(1000);
      assertEqual(
        await store.increment("rate", 1000),
        { value: 1, resetAt: start + 2000 },
        "first increment of the next window",
      );
      assertEqual(await store.get("rate"), undefined, "counters and records are separate key spaces");
    },
  ],
  [
    "appends to logs in one total order and reads from a position",
    async ({ store, clock }) => {
      const entries = await Promise.all(range(20).map((i) => store.append("audit", { i })));
      assertEqual(
        entries.map((e) => e.position),
        range(20),
        "positions of 20 racing appends",
      );
      assertEqual(entries[0]?.timestamp, clock.now(), "timestamp of an append");
      const all = await store.read("audit");
      assertEqual(
        all.map((e) => e.value),
        range(20).map((i) => ({ i })),
        "values read back in append order",
      );
      assertEqual(
        (await store.read("audit", 15, 3)).map((e) => e.position),
        [15, 16, 17],
        "read from 15, limit 3",
      );
      assertEqual(await store.read("audit", 3, 0), [], "read with limit 0");
      assertEqual(await store.read("audit", 50), [], "read past the end");
      assertEqual(await store.read("other"), [], "read of a missing log");
      assertEqual((await store.append("other", "x")).position, 0, "logs count positions separately");
    },
  ],
  [
    "trims logs by count and by age, keeping positions and the count",
    async ({ store, clock }) => {
      for (const i of range(10)) {
        await store.append("log", i);
        clock.advance(10);
      }
      assertEqual(await store.trim("log", { maxEntries: 6 }), 4, "entries removed by maxEntries 6");
      assertEqual(
        (await store.read("log")).map((e) => e.position),
        range(6, 4),
        "positions kept",
      );
      assertEqual(
        (await store.read("log", 0, 2)).map((e) => e.position),
        [4, 5],
        "a read before the first kept entry starts there",
      );
      assertEqual(await store.trim("log", { maxEntries: 6 }), 0, "trimming again removes nothing");
      // entries 4..9 were appended at start + 40 … start + 90; the clock is at start + 100
      assertEqual(await store.trim("log", { olderThan: clock.now() - 35 }), 3, "entries removed by age");
      assertEqual(
        (await store.read("log")).map((e) => e.value),
        [7, 8, 9],
        "values kept after the age trim",
      );
      assertEqual((await store.append("log", 10)).position, 10, "the next append continues the count");
      assertEqual(await store.trim("log", { maxEntries: 0 }), 4, "trim everything");
      assertEqual(await store.read("log"), [], "an emptied log reads empty");
      assertEqual((await store.append("log", 11)).position, 11, "an emptied log keeps counting");
      assertEqual(await store.trim("missing", { maxEntries: 0 }), 0, "trim of a missing log");
      assertEqual(await store.trim("log", {}), 0, "trim without limits removes nothing");
    },
  ],
  [
    "deletes a log: its count starts again",
    async ({ store }) => {
      assertEqual(await store.deleteLog("gone"), false, "delete of a missing log");
      await store.append("gone", 1);
      await store.append("gone", 2);
      await store.append("kept", 1);
      assertEqual(await store.deleteLog("gone"), true, "delete of a log");
      assertEqual(await store.read("gone"), [], "a deleted log reads empty");
      assertEqual((await store.append("gone", 3)).position, 0, "a deleted log starts again at 0");
      assertEqual((await store.read("kept")).length, 1, "other logs are untouched");
    },
  ],
  [
    "orders appends, trims and reads issued together as issued",
    async ({ store }) => {
      const appends = range(30).map((i) => store.append("mixed", i));
      const trim = store.trim("mixed", { maxEntries: 5 });
      const more = range(5).map((i) => store.append("mixed", 30 + i));
      const positions = (await Promise.all([...appends, ...more])).map((e) => e.position);
      assertEqual(positions, range(35), "positions of appends issued around a trim");
      assertEqual(await trim, 25, "the trim saw the 30 appends issued before it");
      assertEqual(
        (await store.read("mixed")).map((e) => e.value),
        range(10, 25),
        "entries after appends, trim and appends",
      );
    },
  ],
  [
    "refuses bad input with typed errors naming the field",
    async ({ store }) => {
      await assertRejects(store.put("", 1), { code: "INVALID_ARGUMENT", field: "key" }, "empty key");
      await assertRejects(
        store.put("x".repeat(200), 1),
        { code: "INVALID_ARGUMENT", field: "key" },
        "key over 180 bytes",
      );
      await assertRejects(
        store.put("\uD800", 1),
        { code: "INVALID_ARGUMENT", field: "key" },
        "lone surrogate key",
      );
      await assertRejects(store.put("k", Number.NaN), { code: "INVALID_ARGUMENT" }, "NaN value");
      await assertRejects(
        store.put("k", { d: new Date() } as never),
        { code: "INVALID_ARGUMENT", field: "value.d" },
        "a Date inside a value",
      );
      await assertRejects(
        store.put("k", { list: [1, undefined] } as never),
        { code: "INVALID_ARGUMENT", field: "value.list[1]" },
        "undefined inside an array (JSON would turn it into null)",
      );
      let deep: JsonValue = 1;
      for (let i = 0; i < 10_000; i++) deep = { a: deep };
      await assertRejects(
        store.append("log", deep),
        { code: "INVALID_ARGUMENT" },
        "a value nested 10,000 deep",
      );
      await assertRejects(
        store.put("k", 1, { ttlMs: -1 }),
        { code: "INVALID_ARGUMENT", field: "options.ttlMs" },
        "negative ttl",
      );
      await assertRejects(
        store.increment("k", 0),
        { code: "INVALID_ARGUMENT", field: "windowMs" },
        "zero window",
      );
      await assertRejects(
        store.compareAndSet("k", -1, 1),
        { code: "INVALID_ARGUMENT", field: "expectedVersion" },
        "negative expected version",
      );
      await assertRejects(
        store.list("", { limit: 0 }),
        { code: "INVALID_ARGUMENT", field: "options.limit" },
        "list limit 0",
      );
      await assertRejects(
        store.list("", { limit: 1.5 }),
        { code: "INVALID_ARGUMENT", field: "options.limit" },
        "fractional list limit",
      );
      await assertRejects(
        store.list("", { cursor: 3 as never }),
        { code: "INVALID_ARGUMENT", field: "options.cursor" },
        "non-string cursor",
      );
      await assertRejects(store.append("", 1), { code: "INVALID_ARGUMENT", field: "log" }, "empty log name");
      await assertRejects(
        store.append("log", (() => 1) as never),
        { code: "INVALID_ARGUMENT" },
        "a function appended",
      );
      await assertRejects(
        store.read("log", -1),
        { code: "INVALID_ARGUMENT", field: "fromPosition" },
        "negative read position",
      );
      await assertRejects(
        store.read("log", 0, -1),
        { code: "INVALID_ARGUMENT", field: "limit" },
        "negative read limit",
      );
      await assertRejects(
        store.trim("log", { maxEntries: -1 }),
        { code: "INVALID_ARGUMENT", field: "options.maxEntries" },
        "negative maxEntries",
      );
      await assertRejects(
        store.trim("log", { olderThan: Number.NaN }),
        { code: "INVALID_ARGUMENT", field: "options.olderThan" },
        "NaN olderThan",
      );
      await assertRejects(
        store.trim("log", null as never),
        { code: "INVALID_ARGUMENT", field: "options" },
        "trim without options",
      );
      await assertRejects(
        store.increment("k", 1000, Number.NaN),
        { code: "INVALID_ARGUMENT", field: "by" },
        "NaN increment",
      );
      await assertRejects(
        store.list(7 as never),
        { code: "INVALID_ARGUMENT", field: "prefix" },
        "non-string prefix",
      );
      assertEqual(await store.get("k"), undefined, "nothing was written by refused calls");
      assertEqual(await store.read("log"), [], "nothing was appended by refused calls");
    },
  ],
  [
    "accepts hostile keys and log names as plain names",
    async ({ store }) => {
      const keys = [
        "../../etc/passwd",
        "/abs/path",
        "a\\b",
        "..",
        ".",
        "nul\u0000byte",
        "ümlaut/ключ/🔑",
        "CON",
        "*",
        "{x}",
      ];
      for (const key of keys) await store.put(key, key);
      for (const key of keys)
        assertEqual((await store.get(key))?.value, key, `value of key ${JSON.stringify(key)}`);
      assertEqual((await store.list("")).length, keys.length, "every hostile key listed");
      for (const key of keys) await store.append(key, key);
      for (const key of keys)
        assertEqual(
          (await store.read(key)).map((e) => e.value),
          [key],
          `log ${JSON.stringify(key)}`,
        );
    },
  ],
  [
    "refuses calls after close",
    async ({ store }) => {
      await store.put("a", 1);
      await store.close();
      await assertRejects(store.put("a", 2), { code: "STORAGE_FAILED" }, "put after close");
      await assertRejects(store.get("a"), { code: "STORAGE_FAILED" }, "get after close");
      await assertRejects(store.append("log", 1), { code: "STORAGE_FAILED" }, "append after close");
      await store.close();
    },
  ],
  [
    "keeps acknowledged records, versions, counters and logs across a reopen",
    async (s) => {
      if (s.reopen === undefined) return;
      const { clock } = s;
      await s.store.put("r/a", { deep: { list: [1, "two", null] } });
      await s.store.put("r/a", "second");
      await s.store.put("r/ttl", 1, { ttlMs: 50 });
      await s.store.put("r/gone", 1);
      await s.store.delete("r/gone");
      await s.store.increment("rate", 1000, 3);
      for (const i of range(8)) await s.store.append("log", i);
      await s.store.trim("log", { maxEntries: 3 });
      await s.store.append("emptied", 1);
      await s.store.trim("emptied", { maxEntries: 0 });
      await s.store.append("deleted", 1);
      await s.store.deleteLog("deleted");
      const records = await s.store.list("");
      const store = await s.reopen();
      assertEqual(await store.list(""), records, "records after reopen");
      assertEqual((await store.get("r/a"))?.version, 2, "version after reopen");
      assertEqual(
        await store.increment("rate", 1000),
        { value: 4, resetAt: clock.now() + 1000 },
        "counter after reopen",
      );
      assertEqual(
        (await store.read("log")).map((e) => [e.position, e.value]),
        [
          [5, 5],
          [6, 6],
          [7, 7],
        ],
        "trimmed log after reopen",
      );
      assertEqual((await store.append("log", 8)).position, 8, "a trimmed log keeps counting after reopen");
      assertEqual(
        (await store.append("emptied", 2)).position,
        1,
        "an emptied log keeps counting after reopen",
      );
      assertEqual((await store.append("deleted", 2)).position, 0, "a deleted log starts again after reopen");
      clock.advance(50);
      const again = await s.reopen();
      assertEqual(await again.get("r/ttl"), undefined, "a record expired while closed");
      assertEqual(
        (await again.read("log")).map((e) => e.position),
        [5, 6, 7, 8],
        "log after a second reopen",
      );
    },
  ],
];

/**
 * The contract every core `StateStore` honours, as named async checks that throw on failure:
 * records, versions, copies, compare-and-set races, list order and paging, TTL, windowed
 * counters, log order/positions/trim/delete, typed errors, hostile keys, close, durability across
 * a reopen (when the factory offers `reopen`), and random call sequences compared with the
 * {@link StateStoreModel}. Runner-neutral: run each `check.run()` from any test runner.
 */
export function stateStoreContractChecks(
  factory: StateStoreFactory,
  options: ContractOptions = {},
): ContractCheck[] {
  const out: ContractCheck[] = checks.map(([name, body]) => ({ name, run: () => withStore(factory, body) }));
  const runs = options.modelRuns ?? 20;
  const steps = options.modelSteps ?? 60;
  const seed = options.seed ?? 1;
  for (let i = 0; i < runs; i++) {
    out.push({
      name: `answers a random call sequence (seed ${seed + i}) exactly as the model does`,
      run: () => modelRun(factory, seed + i, steps),
    });
  }
  return out;
}

async function modelRun(factory: StateStoreFactory, seed: number, steps: number): Promise<void> {
  await withStore(factory, async (s) => {
    const model = new StateStoreModel(s.clock.now);
    const ops = generate(random(seed), steps, s.reopen !== undefined);
    for (const [index, o] of ops.entries()) {
      const where = `seed ${seed}, step ${index} ${JSON.stringify(o)}`;
      if (o.op === "tick") {
        s.clock.advance(o.ms);
        continue;
      }
      if (o.op === "reopen") {
        await s.reopen?.();
        continue;
      }
      const now = s.clock.now();
      assertEqual(await apply(s.store, o, now), await apply(model, o, now), where);
    }
    for (const log of LOGS)
      assertEqual(await s.store.read(log), await model.read(log), `seed ${seed}: log ${log} at the end`);
    assertEqual(await s.store.list(""), await model.list(""), `seed ${seed}: records at the end`);
  });
}

/** The parts of a test runner the suite needs: vitest, jest, mocha and `node:test` all fit. */
export interface TestHarness {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void>): void;
}

/** Registers every check of {@link stateStoreContractChecks} as a test named after it, under `describe(title)`. */
export function runStateStoreContract(
  harness: TestHarness,
  title: string,
  factory: StateStoreFactory,
  options: ContractOptions = {},
): void {
  harness.describe(title, () => {
    for (const check of stateStoreContractChecks(factory, options)) harness.it(check.name, () => check.run());
  });
}
