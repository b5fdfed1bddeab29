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
});
