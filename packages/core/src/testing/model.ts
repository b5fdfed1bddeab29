import type { JsonValue } from "../json.js";
import type {
  CompareAndSetResult,
  CounterValue,
  ListOptions,
  LogEntry,
  PutOptions,
  StateStore,
  StoredRecord,
  TrimOptions,
} from "../stores.js";
import { StorageError } from "../errors.js";

interface ModelLog {
  /** Position the next append gets. */
  next: number;
  entries: LogEntry[];
}

function copy(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

function record(
  key: string,
  value: JsonValue,
  version: number,
  now: number,
  ttlMs: number | undefined,
): StoredRecord {
  const base = { key, value, version, updatedAt: now };
  return ttlMs === undefined ? base : { ...base, expiresAt: now + ttlMs };
}

/**
 * The reference semantics of core's `StateStore`, written as plainly as possible over `Map`s and
 * arrays, for model-based tests: a store under test must answer every sequence of valid calls
 * exactly as this model does (records, versions, TTL, counters, list paging, log positions,
 * trimming). It checks no input and keeps nothing durable.
 */
export class StateStoreModel implements StateStore {
  private readonly now: () => number;
  private readonly records = new Map<string, StoredRecord>();
  private readonly counters = new Map<string, { count: number; resetAt: number; version: number }>();
  private readonly logs = new Map<string, ModelLog>();
  private closed = false;

  /** `now` is the clock every expiry and log timestamp is read from. */
  constructor(now: () => number) {
    this.now = now;
  }

  private live(key: string): StoredRecord | undefined {
    const found = this.records.get(key);
    if (found === undefined) return undefined;
    if (found.expiresAt !== undefined && this.now() >= found.expiresAt) {
      this.records.delete(key);
      return undefined;
    }
    return found;
  }

  private open(): void {
    if (this.closed) throw new StorageError("STORAGE_FAILED", "closed");
  }

  /** See `StateStore.get`. */
  get<T extends JsonValue = JsonValue>(key: string): Promise<StoredRecord<T> | undefined> {
    this.open();
    return Promise.resolve(this.live(key) as StoredRecord<T> | undefined);
  }

  /** See `StateStore.put`. */
  put<T extends JsonValue>(key: string, value: T, options?: PutOptions): Promise<StoredRecord<T>> {
    this.open();
    const next = record(key, copy(value), (this.live(key)?.version ?? 0) + 1, this.now(), options?.ttlMs);
    this.records.set(key, next);
    return Promise.resolve(next as StoredRecord<T>);
  }

  /** See `StateStore.compareAndSet`. */
  compareAndSet<T extends JsonValue>(
    key: string,
    expectedVersion: number,
    value: T,
    options?: PutOptions,
  ): Promise<CompareAndSetResult<T>> {
    this.open();
    const current = this.live(key);
    if ((current?.version ?? 0) !== expectedVersion)
      return Promise.resolve({ ok: false, current: current as StoredRecord<T> | undefined });
    const next = record(key, copy(value), expectedVersion + 1, this.now(), options?.ttlMs);
    this.records.set(key, next);
    return Promise.resolve({ ok: true, record: next as StoredRecord<T> });
  }

  /** See `StateStore.delete`. */
  delete(key: string): Promise<boolean> {
    this.open();
    const existed = this.live(key) !== undefined;
    this.records.delete(key);
    return Promise.resolve(existed);
  }

  /** See `StateStore.list`. */
  list<T extends JsonValue = JsonValue>(
    prefix: string,
    options: ListOptions = {},
  ): Promise<StoredRecord<T>[]> {
    this.open();
    const keys = [...this.records.keys()]
      .filter((key) => key.startsWith(prefix) && (options.cursor === undefined || key > options.cursor))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const out: StoredRecord<T>[] = [];
    for (const key of keys) {
      if (options.limit !== undefined && out.length >= options.limit) break;
      const found = this.live(key);
      if (found !== undefined) out.push(found as StoredRecord<T>);
    }
    return Promise.resolve(out);
  }

  /** See `StateStore.increment`. */
  increment(key: string, windowMs: number, by = 1): Promise<CounterValue> {
    this.open();
    const now = this.now();
    let counter = this.counters.get(key);
    if (counter !== undefined && now >= counter.resetAt) counter = undefined;
    const next = {
      count: (counter?.count ?? 0) + by,
      resetAt: counter?.resetAt ?? now + windowMs,
      version: (counter?.version ?? 0) + 1,
    };
    this.counters.set(key, next);
    return Promise.resolve({ value: next.count, resetAt: next.resetAt });
  }

  private log(name: string): ModelLog {
    let found = this.logs.get(name);
    if (found === undefined) {
      found = { next: 0, entries: [] };
      this.logs.set(name, found);
    }
    return found;
  }

  /** See `StateStore.append`. */
  append<T extends JsonValue>(log: string, value: T): Promise<LogEntry<T>> {
    this.open();
    const state = this.log(log);
    const entry: LogEntry = { position: state.next, timestamp: this.now(), value: copy(value) };
    state.next++;
    state.entries.push(entry);
    return Promise.resolve(entry as LogEntry<T>);
  }

  /** See `StateStore.read`. */
  read<T extends JsonValue = JsonValue>(
    log: string,
    fromPosition = 0,
    limit?: number,
  ): Promise<LogEntry<T>[]> {
    this.open();
    const entries = (this.logs.get(log)?.entries ?? []).filter((e) => e.position >= fromPosition);
    return Promise.resolve((limit === undefined ? entries : entries.slice(0, limit)) as LogEntry<T>[]);
  }

  /** See `StateStore.trim`. */
  trim(log: string, options: TrimOptions): Promise<number> {
    this.open();
    const state = this.logs.get(log);
    if (state === undefined) return Promise.resolve(0);
    let removed = 0;
    for (;;) {
      const oldest = state.entries[0];
      if (oldest === undefined) break;
      const tooMany = options.maxEntries !== undefined && state.entries.length > options.maxEntries;
      const tooOld = options.olderThan !== undefined && oldest.timestamp < options.olderThan;
      if (!tooMany && !tooOld) break;
      state.entries.shift();
      removed++;
    }
    return Promise.resolve(removed);
  }

  /** See `StateStore.deleteLog`. */
  deleteLog(log: string): Promise<boolean> {
    this.open();
    return Promise.resolve(this.logs.delete(log));
  }

  /** See `StateStore.close`. */
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
