import type {
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

/** A state store whose logs can be edited behind the writer's back, as an attacker with disk access would. */
export class TamperStore implements StateStore {
  /** Applied to a whole log (positions renumbered after it) on every read. */
  tamper: ((entries: LogEntry[]) => LogEntry[]) | undefined;
  /** Makes appends fail. */
  failAppends = false;
  appendCalls = 0;
  /** The `limit` of every log read, in order. */
  readonly readLimits: number[] = [];

  private readonly inner: StateStore;
  constructor(inner: StateStore) {
    this.inner = inner;
  }

  get<T extends JsonValue = JsonValue>(key: string): Promise<StoredRecord<T> | undefined> {
    return this.inner.get<T>(key);
  }
  put<T extends JsonValue>(key: string, value: T, options?: PutOptions): Promise<StoredRecord<T>> {
    return this.inner.put(key, value, options);
  }
  compareAndSet<T extends JsonValue>(
    key: string,
    expectedVersion: number,
    value: T,
    options?: PutOptions,
  ): Promise<CompareAndSetResult<T>> {
    return this.inner.compareAndSet(key, expectedVersion, value, options);
  }
  delete(key: string): Promise<boolean> {
    return this.inner.delete(key);
  }
  list<T extends JsonValue = JsonValue>(prefix: string, options?: ListOptions): Promise<StoredRecord<T>[]> {
    return this.inner.list<T>(prefix, options);
  }
  trim(log: string, options: TrimOptions): Promise<number> {
    return this.inner.trim(log, options);
  }
  deleteLog(log: string): Promise<boolean> {
    return this.inner.deleteLog(log);
  }
  increment(key: string, windowMs: number, by?: number): Promise<CounterValue> {
    return this.inner.increment(key, windowMs, by);
  }
  /** When set, appends wait for it before reaching the store. */
  gate: Promise<void> | undefined;
  async append<T extends JsonValue>(log: string, value: T): Promise<LogEntry<T>> {
    this.appendCalls += 1;
    if (this.gate !== undefined) await this.gate;
    if (this.failAppends) throw new Error("disk full");
    return this.inner.append(log, value);
  }
  async read<T extends JsonValue = JsonValue>(
    log: string,
    fromPosition = 0,
    limit = Number.POSITIVE_INFINITY,
  ): Promise<LogEntry<T>[]> {
    this.readLimits.push(limit);
    if (this.tamper === undefined) return this.inner.read<T>(log, fromPosition, limit);
    const all = this.tamper(await this.inner.read(log, 0)).map((e, position) => ({ ...e, position }));
    return all.slice(
      fromPosition,
      limit === Number.POSITIVE_INFINITY ? undefined : fromPosition + limit,
    ) as LogEntry<T>[];
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
