import type { CounterValue, StateStore } from "@espada/infra-core";

/** Counters kept in memory before those of ended windows are evicted. */
const MAX_COUNTERS = 100_000;

interface Counter {
  readonly key: string;
  readonly windowMs: number;
  /** The store's count as last answered (ours and other instances' increments up to then). */
  confirmed: number;
  /** Increments sent to the store and not answered yet. */
  unconfirmed: number;
  /** Increments counted here and not sent yet. */
  pending: number;
  /** When the store's window ends (epoch ms). */
  resetAt: number;
}

/**
 * Windowed operation counters kept in the state store (`increment` with a window), counted in
 * memory between writes. The first operation of a key in a window waits for the store (so a restart
 * or another instance's count is read); later ones count in memory and their increments are written
 * behind, coalesced per key over `flushMs` (default 100 ms, the facade uses 1 s; `store.increment(key, windowMs, n)`),
 * so a burst pays one store write per key and interval instead of one per operation. Every answer the store gives
 * replaces the local view (other instances sharing the store are seen within one write).
 * Increments still unwritten when a process crashes are lost (at most `flushMs` worth plus the write
 * in flight); `flush()` (called by the facade's `close()`) writes them.
 */
export class RateCounters {
  private readonly store: StateStore;
  private readonly counters = new Map<string, Counter>();
  private readonly dirty = new Set<Counter>();
  private scheduled: NodeJS.Timeout | undefined;
  private readonly flushMs: number;
  private writing = new Set<Promise<void>>();
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
    c.pending += 1;
    this.dirty.add(c);
    this.schedule();
    return c.confirmed + c.unconfirmed + c.pending;
  }

  /** Counts one operation through the store (first operation of a key in a window); resolves with its count. */
  async hitAsync(key: string, windowMs: number, at: number): Promise<number> {
    const existing = this.counters.get(key);
    if (existing !== undefined && existing.resetAt <= at) {
      // the window ended: increments not written yet belong to it and are dropped
      existing.pending = 0;
      this.dirty.delete(existing);
    }
    const value = await this.store.increment(key, windowMs, 1);
    const current = this.counters.get(key);
    if (current !== undefined && current.resetAt === value.resetAt && current !== existing) {
      // another first operation of the same window answered too: keep one view
      current.confirmed = Math.max(current.confirmed, value.value);
      return value.value + current.unconfirmed + current.pending;
    }
    this.setFromServer(key, windowMs, value, at);
    return value.value;
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
      this.writeDirty();
    }, this.flushMs);
    this.scheduled.unref();
  }

  private writeDirty(): void {
    const batch = [...this.dirty];
    this.dirty.clear();
    for (const c of batch) {
      const n = c.pending;
      if (n === 0) continue;
      c.pending = 0;
      c.unconfirmed += n;
      const write = this.store.increment(c.key, c.windowMs, n).then(
        (value: CounterValue) => {
          c.unconfirmed -= n;
          if (value.resetAt !== c.resetAt) c.resetAt = value.resetAt; // the store opened a new window
          c.confirmed = value.value;
        },
        () => {
          // the store refused: count them again with the next write
          c.unconfirmed -= n;
          c.pending += n;
          this.dirty.add(c);
        },
      );
      this.writing.add(write);
      void write.finally(() => this.writing.delete(write));
    }
  }

  /** Writes every counted increment; resolves once the store answered (failures stay pending). */
  async flush(): Promise<void> {
    if (this.scheduled !== undefined) {
      clearTimeout(this.scheduled);
      this.scheduled = undefined;
    }
    this.writeDirty();
    while (this.writing.size > 0) await Promise.allSettled([...this.writing]);
  }

  /** Forgets the local view (the next operation of each key asks the store again). */
  reset(): void {
    this.counters.clear();
    this.dirty.clear();
  }
}
