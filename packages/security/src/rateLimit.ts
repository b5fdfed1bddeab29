import type { CounterValue, StateStore } from "@espada/infra-core";
import { isRecord } from "@espada/infra-core";
import { KEYS } from "./keys.js";

/** Counters kept in memory before those of ended windows are evicted. */
const MAX_COUNTERS = 100_000;

interface Counter {
  readonly key: string;
  readonly windowMs: number;
  /** The count as last written (the store's answer, or in a snapshot written since). */
  confirmed: number;
  /** Increments being written and not answered yet. */
  unconfirmed: number;
  /** Increments counted here and not written yet. */
  pending: number;
  /** When the store's window ends (epoch ms). */
  resetAt: number;
}

/**
 * Windowed operation counters kept in the state store (`increment` with a window), counted in
 * memory between writes. The first operation of a key in a window waits for the store
 * (`store.increment(key, windowMs, 1)`, so a count written before a restart is read); later ones
 * count in memory and are written behind every `flushMs` (default 100 ms, the facade uses 1 s) as
 * ONE record, `security/rbac/rate-counts`, holding the count and window end of every key whose window
 * is open: a burst pays one record write per interval, whatever the number of keys (not one per key).
 * That is only right for a store with one writer (memory and file stores, which hold a lock); a
 * shared store counts on the server ({@link hitOnServer}). After a restart the snapshot is read once,
 * at the first operation needing the store; a key it holds continues from its count, a key it does not
 * (never counted, or counted by an older version, which wrote one counter per key) asks the store.
 * Increments still unwritten when a process crashes are lost (at most `flushMs` worth plus the write
 * in flight); `flush()` (called by the facade's `close()`) writes them. A snapshot that cannot be read
 * (not of this shape) is ignored: its keys ask the store again, which knows at least their first count.
 */
export class RateCounters {
  private readonly store: StateStore;
  private readonly counters = new Map<string, Counter>();
  private dirty = false;
  private scheduled: NodeJS.Timeout | undefined;
  private readonly flushMs: number;
  /** The snapshot write in flight (one at a time, so an older snapshot never lands after a newer one). */
  private writing: Promise<void> | undefined;
  /** Reading the snapshot (at the first {@link hitAsync}). */
  private snapshot: Promise<Map<string, [number, number]>> | undefined;
  /** The snapshot as read (key → [resetAt, count]): the keys not taken from it yet are written again with the next one. */
  private saved = new Map<string, [number, number]>();
  /** The latest time an operation was counted at (windows ended by then are not written). */
  private lastAt = 0;
  /** Operations waiting to be counted on the server, per window and key, until the next turn of the loop. */
  private readonly onServer = new Map<
    string,
    {
      key: string;
      windowMs: number;
      at: number;
      waiters: { resolve(n: number): void; reject(e: unknown): void }[];
    }
  >();
  private onServerQueued = false;

  constructor(store: StateStore, flushMs = 100) {
    this.store = store;
    this.flushMs = flushMs;
  }

  /** The count the next operation of `key` would have (nothing counted), or undefined when it must ask the store. */
  peek(key: string, at: number): number | undefined {
    const c = this.counters.get(key);
    if (c === undefined || c.resetAt <= at) return undefined;
    return c.confirmed + c.unconfirmed + c.pending + 1;
  }

  /** Counts one operation synchronously when the key's window is known here; undefined when {@link hitAsync} is needed. */
  hit(key: string, at: number): number | undefined {
    const c = this.counters.get(key);
    if (c === undefined || c.resetAt <= at) return undefined;
    if (at > this.lastAt) this.lastAt = at;
    c.pending += 1;
    this.dirty = true;
    this.schedule();
    return c.confirmed + c.unconfirmed + c.pending;
  }

  /**
   * Counts one operation of a key whose window is not known here: from the snapshot when it holds the
   * key's open window (read once, at the first call), else through the store (`increment(key, windowMs, 1)`,
   * the first operation of a window); resolves with its count.
   */
  async hitAsync(key: string, windowMs: number, at: number): Promise<number> {
    const existing = this.counters.get(key);
    if (existing !== undefined && existing.resetAt <= at) {
      // the window ended: increments not written yet belong to it and are dropped
      existing.pending = 0;
    }
    if (at > this.lastAt) this.lastAt = at;
    await this.readSnapshot();
    // another first operation of the key opened its window meanwhile: this one counts here
    const opened = this.hit(key, at);
    if (opened !== undefined) return opened;
    const saved = this.saved.get(key);
    if (saved !== undefined) {
      this.saved.delete(key); // taken once: from now on this process counts it
      if (saved[0] > at) {
        this.setFromServer(key, windowMs, { value: saved[1], resetAt: saved[0] }, at);
        return this.hit(key, at) ?? saved[1] + 1;
      }
    }
    const value = await this.store.increment(key, windowMs, 1);
    // the store counted it; when another first operation opened the window here meanwhile, that view goes on
    const current = this.counters.get(key);
    if (current !== undefined && current !== existing && current.resetAt > at) {
      current.confirmed = Math.max(
        current.confirmed,
        value.value - current.unconfirmed - current.pending - 1,
      );
      return this.hit(key, at) ?? value.value;
    }
    this.setFromServer(key, windowMs, value, at);
    return value.value;
  }

  /** The snapshot of the last process's counts (read once; empty when absent or not of this shape). */
  private readSnapshot(): Promise<Map<string, [number, number]>> {
    this.snapshot ??= this.store.get(KEYS.rateCounts).then(
      (record) => {
        const saved = parseSnapshot(record?.value);
        for (const [key, value] of this.saved) saved.set(key, value);
        this.saved = saved;
        return saved;
      },
      () => {
        this.snapshot = undefined; // the store failed: asked again by the next first operation
        return new Map<string, [number, number]>();
      },
    );
    return this.snapshot;
  }

  /**
   * Counts one operation on the store, exactly (a store shared by several instances): the operations
   * of one key that arrive in the same turn of the event loop are sent as one
   * `increment(key, windowMs, n)` and get the counts `value - n + 1 … value` in arrival order, as n
   * increments of 1 would. Rejects when the store does.
   */
  hitOnServer(key: string, windowMs: number, at: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const id = `${windowMs}:${key}`;
      let group = this.onServer.get(id);
      if (group === undefined) {
        group = { key, windowMs, at, waiters: [] };
        this.onServer.set(id, group);
      }
      group.waiters.push({ resolve, reject });
      if (!this.onServerQueued) {
        this.onServerQueued = true;
        setImmediate(() => this.countOnServer());
      }
    });
  }

  private countOnServer(): void {
    this.onServerQueued = false;
    const groups = [...this.onServer.values()];
    this.onServer.clear();
    for (const { key, windowMs, at, waiters } of groups) {
      const n = waiters.length;
      this.store.increment(key, windowMs, n).then(
        (value: CounterValue) => {
          // the local view (what-if peeks) follows the server's answer
          this.setFromServer(key, windowMs, value, at);
          waiters.forEach((waiter, i) => waiter.resolve(value.value - n + 1 + i));
        },
        (error: unknown) => {
          for (const waiter of waiters) waiter.reject(error);
        },
      );
    }
  }

  /** Makes the store's answer the local view of `key` (nothing pending), evicting ended windows past the cap. */
  private setFromServer(key: string, windowMs: number, value: CounterValue, at: number): void {
    this.counters.set(key, {
      key,
      windowMs,
      confirmed: value.value,
      unconfirmed: 0,
      pending: 0,
      resetAt: value.resetAt,
    });
    if (this.counters.size > MAX_COUNTERS) this.evict(at);
  }

  private evict(at: number): void {
    for (const [key, c] of this.counters)
      if (c.resetAt <= at && c.pending === 0 && c.unconfirmed === 0) this.counters.delete(key);
  }

  private schedule(): void {
    if (this.scheduled !== undefined) return;
    this.scheduled = setTimeout(() => {
      this.scheduled = undefined;
      void this.writeSnapshot();
    }, this.flushMs);
    this.scheduled.unref();
  }

  /**
   * Writes every open window's count as one record (the snapshot) when anything was counted since the
   * last write; one write at a time. On failure the counts stay here and are written with the next one.
   */
  private writeSnapshot(): Promise<void> {
    if (this.writing !== undefined) {
      // the snapshot being written may miss the latest counts: write again after it
      if (this.dirty) void this.writing.then(() => this.schedule());
      return this.writing;
    }
    if (!this.dirty) return Promise.resolve();
    this.dirty = false;
    const at = this.lastAt;
    const entries: [string, number, number][] = [];
    const written: [Counter, number][] = [];
    let lastReset = 0;
    for (const [key, [resetAt, count]] of this.saved) {
      if (resetAt <= at) this.saved.delete(key);
      else if (!this.counters.has(key)) {
        entries.push([key, resetAt, count]);
        if (resetAt > lastReset) lastReset = resetAt;
      }
    }
    for (const c of this.counters.values()) {
      if (c.resetAt <= at) continue;
      const n = c.pending;
      c.pending = 0;
      c.unconfirmed += n;
      written.push([c, n]);
      entries.push([c.key, c.resetAt, c.confirmed + c.unconfirmed]);
      if (c.resetAt > lastReset) lastReset = c.resetAt;
    }
    const write = (
      entries.length === 0
        ? this.store.delete(KEYS.rateCounts)
        : this.store.put(KEYS.rateCounts, { counts: entries }, { ttlMs: Math.max(1, lastReset - at) })
    ).then(
      () => {
        for (const [c, n] of written) {
          c.unconfirmed -= n;
          c.confirmed += n;
        }
      },
      () => {
        // the store refused: count them again with the next write
        for (const [c, n] of written) {
          c.unconfirmed -= n;
          c.pending += n;
        }
        this.dirty = true;
      },
    );
    this.writing = write.finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  /** Writes every counted increment; resolves once the store answered (a failure stays pending). */
  async flush(): Promise<void> {
    if (this.scheduled !== undefined) {
      clearTimeout(this.scheduled);
      this.scheduled = undefined;
    }
    await this.writing;
    await this.writeSnapshot();
  }

  /** Forgets the local view (the next operation of each key asks the store again). */
  reset(): void {
    this.counters.clear();
    this.dirty = false;
  }
}

/** Key → [resetAt, count] of a stored snapshot `{ counts: [[key, resetAt, count], …] }`; empty when it is not one. */
function parseSnapshot(value: unknown): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  if (!isRecord(value) || !Array.isArray(value["counts"])) return out;
  for (const item of value["counts"] as unknown[]) {
    if (!Array.isArray(item) || item.length !== 3) continue;
    const [key, resetAt, count] = item as unknown[];
    if (typeof key !== "string" || !Number.isFinite(resetAt) || !Number.isFinite(count)) continue;
    out.set(key, [resetAt as number, count as number]);
  }
  return out;
}
