import { afterEach, describe, expect, it } from "vitest";
import type { StateStore } from "@espada/infra-core";
import { InMemoryStateStore } from "./memoryStateStore.js";
import { FileStateStore } from "./fileStateStore.js";
import { fakeClock, tempDir } from "../test/helpers.js";

type Factory = (now: () => number) => Promise<StateStore>;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const factories: [string, Factory][] = [
  ["InMemoryStateStore", (now) => Promise.resolve(new InMemoryStateStore({ now }))],
  [
    "FileStateStore",
    async (now) => {
      const dir = tempDir();
      cleanups.push(dir.cleanup);
      return FileStateStore.open({ directory: dir.path, now });
    },
  ],
];

describe.each(factories)("StateStore contract: %s", (_name, factory) => {
  async function open() {
    const clock = fakeClock();
    const store = await factory(clock.now);
    cleanups.push(() => store.close());
    return { store, clock };
  }

  it("puts and gets with growing versions", async () => {
    const { store } = await open();
    expect(await store.get("a")).toBeUndefined();
    const first = await store.put("a", { n: 1 });
    expect(first).toMatchObject({ key: "a", value: { n: 1 }, version: 1 });
    const second = await store.put("a", { n: 2 });
    expect(second.version).toBe(2);
    expect((await store.get("a"))?.value).toEqual({ n: 2 });
  });

  it("copies values: later changes to the input do not leak in", async () => {
    const { store } = await open();
    const value = { list: [1, 2] };
    await store.put("k", value);
    value.list.push(3);
    expect((await store.get("k"))?.value).toEqual({ list: [1, 2] });
  });

  it("compare-and-set: 0 means absent, a stale version fails with the current record", async () => {
    const { store } = await open();
    expect((await store.compareAndSet("c", 1, "x")).ok).toBe(false);
    const created = await store.compareAndSet("c", 0, "x");
    expect(created.ok).toBe(true);
    expect((await store.compareAndSet("c", 0, "y")).ok).toBe(false);
    const stale = await store.compareAndSet("c", 5, "y");
    expect(stale).toMatchObject({ ok: false, current: { value: "x", version: 1 } });
    expect(await store.compareAndSet("c", 1, "y")).toMatchObject({ ok: true, record: { version: 2, value: "y" } });
  });

  it("compare-and-set: exactly one of many racing writers wins", async () => {
    const { store } = await open();
    await store.put("race", 0);
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => store.compareAndSet("race", 1, i)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect((await store.get("race"))?.version).toBe(2);
  });

  it("deletes and lists by prefix in key order", async () => {
    const { store } = await open();
    for (const key of ["s/b", "s/a", "t/a", "s/c"]) await store.put(key, key);
    expect((await store.list("s/")).map((r) => r.key)).toEqual(["s/a", "s/b", "s/c"]);
    expect(await store.delete("s/b")).toBe(true);
    expect(await store.delete("s/b")).toBe(false);
    expect((await store.list("s/")).map((r) => r.key)).toEqual(["s/a", "s/c"]);
    expect(await store.list("")).toHaveLength(3);
  });

  it("hides expired records and restarts their version", async () => {
    const { store, clock } = await open();
    await store.put("ttl", 1, { ttlMs: 1000 });
    await store.put("keep", 1);
    clock.advance(999);
    expect((await store.get("ttl"))?.expiresAt).toBe(clock.now() + 1);
    clock.advance(1);
    expect(await store.get("ttl")).toBeUndefined();
    expect((await store.list("")).map((r) => r.key)).toEqual(["keep"]);
    expect((await store.compareAndSet("ttl", 0, 2)).ok).toBe(true);
  });

  it("purges expired records", async () => {
    const { store, clock } = await open();
    await store.put("a", 1, { ttlMs: 10 });
    await store.put("b", 1, { ttlMs: 10 });
    clock.advance(10);
    const purged = await (store as unknown as { purgeExpired(): Promise<number> }).purgeExpired();
    expect(purged).toBe(2);
  });

  it("increments counters within a window and restarts after it", async () => {
    const { store, clock } = await open();
    const start = clock.now();
    expect(await store.increment("rate", 1000)).toEqual({ value: 1, resetAt: start + 1000 });
    expect(await store.increment("rate", 1000, 4)).toEqual({ value: 5, resetAt: start + 1000 });
    const burst = await Promise.all(Array.from({ length: 10 }, () => store.increment("rate", 1000)));
    expect(burst.map((c) => c.value).sort((a, b) => a - b)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    clock.advance(1000);
    expect(await store.increment("rate", 1000)).toEqual({ value: 1, resetAt: start + 2000 });
    expect(await store.get("rate")).toBeUndefined();
  });

  it("appends to logs in one total order and reads from a position", async () => {
    const { store } = await open();
    const entries = await Promise.all(Array.from({ length: 20 }, (_, i) => store.append("audit", { i })));
    expect(entries.map((e) => e.position)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const all = await store.read("audit");
    expect(all.map((e) => e.value)).toEqual(Array.from({ length: 20 }, (_, i) => ({ i })));
    expect((await store.read("audit", 15, 3)).map((e) => e.position)).toEqual([15, 16, 17]);
    expect(await store.read("audit", 50)).toEqual([]);
    expect(await store.read("other")).toEqual([]);
  });

  it("refuses bad input with typed errors naming the field", async () => {
    const { store } = await open();
    await expect(store.put("", 1)).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "key" });
    await expect(store.put("x".repeat(200), 1)).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "key" });
    await expect(store.put("k", Number.NaN)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(store.put("k", { d: new Date() } as never)).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "value.d" });
    await expect(store.put("k", 1, { ttlMs: -1 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "options.ttlMs" });
    await expect(store.increment("k", 0)).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "windowMs" });
    await expect(store.read("log", -1)).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "fromPosition" });
    await expect(store.compareAndSet("k", -1, 1)).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "expectedVersion" });
    expect(await store.get("k")).toBeUndefined();
  });

  it("accepts hostile keys as plain keys", async () => {
    const { store } = await open();
    const keys = ["../../etc/passwd", "/abs/path", "a\\b", "..", ".", "nul\u0000byte", "ümlaut/ключ/🔑", "CON"];
    for (const key of keys) await store.put(key, key);
    for (const key of keys) expect((await store.get(key))?.value).toBe(key);
    expect(await store.list("")).toHaveLength(keys.length);
  });

  it("refuses calls after close", async () => {
    const { store } = await open();
    await store.put("a", 1);
    await store.close();
    await expect(store.put("a", 2)).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    await expect(store.get("a")).rejects.toMatchObject({ code: "STORAGE_FAILED" });
  });
});
