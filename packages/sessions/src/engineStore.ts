import type {
  AppendAtResult,
  CompareAndSetResult,
  CounterValue,
  JsonValue,
  ListOptions,
  LogEntry,
  PutOptions,
  StateStore,
  StoredRecord,
  TrimOptions,
} from "@espada/infra-core";
import type { StateEngine } from "./engine.js";

/** A synchronous throw of the engine as the rejection a store call answers with. */
function rejection(error: unknown): Promise<never> {
  return Promise.reject(error instanceof Error ? error : new Error(String(error)));
}

/**
 * The engine of an engine-based store, for this package's own paths (the session storage's reads
 * and its writes of sessions it vouches for); not exported from the package.
 */
export function engineOf(store: EngineStateStore): StateEngine {
  return store["engine"];
}

/**
 * A {@link StateStore} over a {@link StateEngine}: the memory and file stores both extend it, so
 * they share one implementation of the semantics and differ only in persistence.
 */
export abstract class EngineStateStore implements StateStore {
  /** The engine holding the records. */
  protected readonly engine: StateEngine;

  protected constructor(engine: StateEngine) {
    this.engine = engine;
  }

  /** Reads a live record, or undefined when absent or expired. */
  get<T extends JsonValue = JsonValue>(key: string): Promise<StoredRecord<T> | undefined> {
    try {
      return Promise.resolve(this.engine.get(key) as StoredRecord<T> | undefined);
    } catch (error) {
      return rejection(error);
    }
  }

  /**
   * Reads a live record at once (the engine holds every record in memory): what {@link get}
   * resolves with, for a caller that would otherwise only await it.
   */
  getNow<T extends JsonValue = JsonValue>(key: string): StoredRecord<T> | undefined {
    return this.engine.get(key) as StoredRecord<T> | undefined;
  }

  /** Writes unconditionally; resolves once durable. The value is copied (later changes to it do not leak in). */
  async put<T extends JsonValue>(key: string, value: T, options?: PutOptions): Promise<StoredRecord<T>> {
    return (await this.engine.put(key, value, options)) as StoredRecord<T>;
  }

  /** Writes only when the live version equals `expectedVersion` (0 = absent); exactly one racing writer wins. */
  compareAndSet<T extends JsonValue>(
    key: string,
    expectedVersion: number,
    value: T,
    options?: PutOptions,
  ): Promise<CompareAndSetResult<T>> {
    // the engine's promise as it is (no async wrapper: one await less per write); a bad argument
    // still rejects, never throws
    try {
      return this.engine.compareAndSet(key, expectedVersion, value, options) as Promise<
        CompareAndSetResult<T>
      >;
    } catch (error) {
      return rejection(error);
    }
  }

  /** Removes a record; false when there was none. */
  async delete(key: string): Promise<boolean> {
    return this.engine.delete(key);
  }

  /** Live records whose key starts with `prefix`, in key order; a page of them with `options` (limit, cursor). */
  list<T extends JsonValue = JsonValue>(prefix: string, options?: ListOptions): Promise<StoredRecord<T>[]> {
    try {
      return Promise.resolve(this.engine.list(prefix, options) as StoredRecord<T>[]);
    } catch (error) {
      return rejection(error);
    }
  }

  /** Atomically adds `by` (default 1) to a counter that resets every `windowMs`. */
  async increment(key: string, windowMs: number, by = 1): Promise<CounterValue> {
    return this.engine.increment(key, windowMs, by);
  }

  /** Appends to a named log; entries get one total order. */
  async append<T extends JsonValue>(log: string, value: T): Promise<LogEntry<T>> {
    return (await this.engine.append(log, value)) as LogEntry<T>;
  }

  /**
   * Appends `values` (all or none) only when the first would get position `expectedPosition`,
   * counting the appends still in flight before them; `{ ok: false, nextPosition }` otherwise.
   * This process is the only writer: a writer chaining on its own appends not yet durable (the
   * audit log) learns so that one of them failed, and nothing chained on it is written.
   */
  async appendAt<T extends JsonValue>(
    log: string,
    expectedPosition: number,
    values: readonly T[],
  ): Promise<AppendAtResult<T>> {
    return (await this.engine.appendAt(log, expectedPosition, values)) as AppendAtResult<T>;
  }

  /** Reads a log from `fromPosition` (inclusive), at most `limit` entries. */
  async read<T extends JsonValue = JsonValue>(
    log: string,
    fromPosition = 0,
    limit?: number,
  ): Promise<LogEntry<T>[]> {
    return (await this.engine.read(log, fromPosition, limit)) as LogEntry<T>[];
  }

  /** Removes the oldest entries of a log past `maxEntries` or older than `olderThan`; resolves with how many. */
  async trim(log: string, options: TrimOptions): Promise<number> {
    return this.engine.trim(log, options);
  }

  /** Removes a log and its count (a new log of that name starts at 0); false when there was none. */
  async deleteLog(log: string): Promise<boolean> {
    return this.engine.deleteLog(log);
  }

  /** Removes every expired record and counter now (they are invisible already); resolves with the count. */
  async purgeExpired(): Promise<number> {
    return this.engine.purgeExpired();
  }

  /** Flushes pending writes and releases locks and timers; later calls fail with `STORAGE_FAILED`. */
  async close(): Promise<void> {
    await this.engine.close();
  }
}
