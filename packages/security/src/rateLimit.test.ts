import { describe, expect, it } from "vitest";
import { RateCounters } from "./rateLimit.js";
import { Clock, memoryStore, WEDNESDAY_NOON_UTC } from "../test/support.js";

describe("RateCounters", () => {
  it("counts the first operation through the store, later ones in memory, and writes them behind", async () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const store = memoryStore(clock);
    const counters = new RateCounters(store, 1000);
    const at = clock.now();
    expect(counters.hit("k", at)).toBeUndefined();
    expect(await counters.hitAsync("k", 60_000, at)).toBe(1);
    expect(counters.hit("k", at)).toBe(2);
    expect(counters.hit("k", at)).toBe(3);
    expect(counters.peek("k", at)).toBe(4);
    expect((await store.increment("k", 60_000, 0)).value).toBe(1); // not written yet
    await counters.flush();
    expect((await store.increment("k", 60_000, 0)).value).toBe(3);
  });

  it("lets a second instance (or a restart) on the same store continue the count, and adopts the store's total", async () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const store = memoryStore(clock);
    const a = new RateCounters(store, 1000);
    const b = new RateCounters(store, 1000);
    const at = clock.now();
    await a.hitAsync("k", 60_000, at);
    a.hit("k", at);
    await a.flush();
    expect(await b.hitAsync("k", 60_000, at)).toBe(3);
    expect(a.hit("k", at)).toBe(3); // a has not heard of b's yet
    await a.flush();
    expect(a.peek("k", at)).toBe(5); // the store's answer replaced a's view: 4 counted, the next is 5
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
    expect((await store.increment("k", 1000, 0)).value).toBe(1);
  });

  it("keeps increments the store refused and writes them with the next flush", async () => {
    const clock = new Clock(WEDNESDAY_NOON_UTC);
    const store = memoryStore(clock);
    const counters = new RateCounters(store, 1000);
    await counters.hitAsync("k", 60_000, clock.now());
    counters.hit("k", clock.now());
    const increment = store.increment.bind(store);
    store.increment = () => Promise.reject(new Error("disk full"));
    await counters.flush();
    expect(counters.peek("k", clock.now())).toBe(3); // still counted here
    store.increment = increment;
    await counters.flush();
    expect((await store.increment("k", 60_000, 0)).value).toBe(2);
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
