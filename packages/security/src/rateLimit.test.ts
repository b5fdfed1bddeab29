import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileStateStore } from "@espada/infra-sessions";
import { RateCounters } from "./rateLimit.js";
import { KEYS } from "./keys.js";
import { Clock, countingStore, memoryStore, WEDNESDAY_NOON_UTC } from "../test/support.js";

describe("RateCounters", () => {
  it("counts the first operation through the store, later ones in memory, and writes them behind as one record", async () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const store = memoryStore(clock);
    const counted = countingStore(store);
    const counters = new RateCounters(counted.store, 1000);
    const at = clock.now();
    expect(counters.hit("k", at)).toBeUndefined();
    expect(await counters.hitAsync("k", 60_000, at)).toBe(1);
    expect(await counters.hitAsync("j", 60_000, at)).toBe(1);
    expect(counted.writes()).toBe(2); // the first operation of each key's window
    expect(counters.hit("k", at)).toBe(2);
    expect(counters.hit("k", at)).toBe(3);
    expect(counters.hit("j", at)).toBe(2);
    expect(counters.peek("k", at)).toBe(4);
    expect(await store.get(KEYS.rateCounts)).toBeUndefined(); // not written yet
    counted.reset();
    await counters.flush();
    expect(counted.writes()).toBe(1); // every key in one record
    expect((await store.get(KEYS.rateCounts))?.value).toEqual({
      counts: [
        ["k", at + 60_000, 3],
        ["j", at + 60_000, 2],
      ],
    });
    counted.reset();
    await counters.flush();
    expect(counted.writes()).toBe(0); // nothing counted since
  });

  it("lets a restart continue every key's count from the record, keeping the keys it did not touch yet", async () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const store = memoryStore(clock);
    const a = new RateCounters(store, 1000);
    const at = clock.now();
    await a.hitAsync("k", 60_000, at);
    a.hit("k", at);
    await a.hitAsync("j", 60_000, at);
    await a.flush();
    const counted = countingStore(store);
    const b = new RateCounters(counted.store, 1000);
    expect(b.hit("k", at)).toBeUndefined();
    expect(await b.hitAsync("k", 60_000, at)).toBe(3);
    expect(b.hit("k", at)).toBe(4);
    expect(counted.writes()).toBe(0); // continued from the record, no store increment
    await b.flush();
    const c = new RateCounters(store, 1000);
    expect(await c.hitAsync("j", 60_000, at)).toBe(2); // b wrote j again, untouched
    expect(await c.hitAsync("k", 60_000, at)).toBe(5);
  });

  it("asks the store again once the window is over, dropping increments of the ended window", async () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const store = memoryStore(clock);
    const counters = new RateCounters(store, 1000);
    await counters.hitAsync("k", 1000, clock.now());
    counters.hit("k", clock.now());
    clock.advance(1000);
    expect(counters.hit("k", clock.now())).toBeUndefined();
    expect(await counters.hitAsync("k", 1000, clock.now())).toBe(1);
    await counters.flush();
    expect((await store.get(KEYS.rateCounts))?.value).toEqual({ counts: [["k", clock.now() + 1000, 1]] });
    clock.advance(1000);
    await counters.hitAsync("other", 5000, clock.now());
    counters.hit("other", clock.now());
    await counters.flush();
    // the ended window is not written again
    expect((await store.get(KEYS.rateCounts))?.value).toEqual({
      counts: [["other", clock.now() + 5000, 2]],
    });
  });

  it("keeps increments the store refused and writes them with the next flush", async () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const store = memoryStore(clock);
    const counters = new RateCounters(store, 1000);
    await counters.hitAsync("k", 60_000, clock.now());
    counters.hit("k", clock.now());
    const put = store.put.bind(store);
    store.put = () => Promise.reject(new Error("disk full"));
    await counters.flush();
    expect(counters.peek("k", clock.now())).toBe(3); // still counted here
    expect(await store.get(KEYS.rateCounts)).toBeUndefined();
    store.put = put;
    await counters.flush();
    expect((await store.get(KEYS.rateCounts))?.value).toEqual({
      counts: [["k", clock.now() + 60_000, 2]],
    });
  });

  it("ignores a record that is not a snapshot: each key asks the store, which knows its first count", async () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const store = memoryStore(clock);
    const a = new RateCounters(store, 1000);
    await a.hitAsync("k", 60_000, clock.now());
    a.hit("k", clock.now());
    await a.flush();
    for (const bad of [{ counts: "x" }, ["k"], { counts: [["k", "soon", 2], ["j"], null] }, null]) {
      await store.put(KEYS.rateCounts, bad);
      const b = new RateCounters(store, 1000);
      const count = await b.hitAsync("k", 60_000, clock.now());
      expect(count).toBeGreaterThan(1); // the store's own counter: at least the first operation
    }
  });

  it("counts concurrent first operations of one key once each", async () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const store = memoryStore(clock);
    const counters = new RateCounters(store, 1000);
    const at = clock.now();
    const counts = await Promise.all(Array.from({ length: 5 }, () => counters.hitAsync("k", 60_000, at)));
    expect([...counts].sort()).toEqual([1, 2, 3, 4, 5]);
    await counters.flush();
    expect(await new RateCounters(store, 1000).hitAsync("k", 60_000, at)).toBe(6);
  });

  it("on a shared store counts every operation on the server, one increment per key and turn of the loop", async () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const store = memoryStore(clock);
    const calls: number[] = [];
    const counting = new Proxy(store, {
      get(target, key) {
        if (key === "increment")
          return (k: string, windowMs: number, by = 1) => {
            calls.push(by);
            return target.increment(k, windowMs, by);
          };
        return Reflect.get(target, key, target) as unknown;
      },
    });
    const a = new RateCounters(counting, 1000);
    const b = new RateCounters(counting, 1000);
    const at = clock.now();
    // three in one turn on a, one on b: distinct counts, in arrival order, exact across both
    const counts = await Promise.all([
      a.hitOnServer("k", 60_000, at),
      a.hitOnServer("k", 60_000, at),
      b.hitOnServer("k", 60_000, at),
      a.hitOnServer("k", 60_000, at),
      a.hitOnServer("other", 60_000, at),
    ]);
    expect(calls.sort()).toEqual([1, 1, 3]);
    expect(counts[4]).toBe(1);
    expect(new Set(counts.slice(0, 4))).toEqual(new Set([1, 2, 3, 4]));
    expect(counts[0] < counts[1] && counts[1] < counts[3]).toBe(true);
    expect(await a.hitOnServer("k", 60_000, at)).toBe(5);
    expect(a.peek("k", at)).toBe(6);
  });

  it("on a shared store rejects every waiting operation when the store refuses", async () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const failing = new Proxy(memoryStore(clock), {
      get(target, key) {
        if (key === "increment") return () => Promise.reject(new Error("store down"));
        return Reflect.get(target, key, target) as unknown;
      },
    });
    const counters = new RateCounters(failing, 1000);
    const at = clock.now();
    const results = await Promise.allSettled([
      counters.hitOnServer("k", 1000, at),
      counters.hitOnServer("k", 1000, at),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  });
});

describe("RateCounters on the file store", () => {
  it("falls back to the store's per-key counters when the snapshot file is damaged, and loses no acknowledged count", async () => {
    const directory = mkdtempSync(join(tmpdir(), "espada-rate-"));
    try {
      const at = Date.now();
      const first = await FileStateStore.open({ directory });
      const a = new RateCounters(first, 1000);
      await a.hitAsync("k", 3_600_000, at);
      a.hit("k", at);
      a.hit("k", at);
      await a.flush();
      await first.close();
      const file = join(directory, "records", `${Buffer.from(KEYS.rateCounts).toString("base64url")}.json`);
      const text = readFileSync(file, "utf8");
      writeFileSync(file, text.replace('"counts"', '"cOunts"')); // checksum no longer matches
      const second = await FileStateStore.open({ directory });
      expect(second.problems.map((p) => p.kind)).toEqual(["corrupt"]);
      const b = new RateCounters(second, 1000);
      // the record is gone: the per-key counter still holds the durable first count
      expect(await b.hitAsync("k", 3_600_000, at)).toBe(2);
      await b.flush();
      await second.close();
      const third = await FileStateStore.open({ directory });
      expect(await new RateCounters(third, 1000).hitAsync("k", 3_600_000, at)).toBe(3);
      await third.close();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
