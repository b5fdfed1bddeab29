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
import { KEYS } from "./keys.js";

/** Key prefixes of the state every instance caches in memory (a change to one bumps the shared version). */
const CACHED_PREFIXES: readonly string[] = [
  KEYS.assignments,
  KEYS.breakGlassActive,
  KEYS.windowOverrides,
  KEYS.rollbackByOperation,
];

const cached = (key: string): boolean => CACHED_PREFIXES.some((prefix) => key.startsWith(prefix));

/**
 * The state store as the security managers see it: after a successful write to state that
 * instances cache in memory (role assignments, active break-glass sessions, window overrides,
 * rollback plan index), it moves the shared version record (`security/state-version`) before the
 * write resolves. Facades sharing the store compare that record's version with the one their caches
 * were loaded at and reload when it moved (see `InfrastructureSecurityFacade`'s `revalidateMs`).
 */
export class VersionedStore implements StateStore {
  private readonly inner: StateStore;

  constructor(inner: StateStore) {
    this.inner = inner;
  }

  /** The shared version (the version record's store version; 0 before any change). */
  async version(): Promise<number> {
    return (await this.inner.get(KEYS.stateVersion))?.version ?? 0;
  }

  private async bump(): Promise<void> {
    await this.inner.put(KEYS.stateVersion, { changedAt: Date.now() });
  }

  get<T extends JsonValue = JsonValue>(key: string): Promise<StoredRecord<T> | undefined> {
    return this.inner.get<T>(key);
  }
  async put<T extends JsonValue>(key: string, value: T, options?: PutOptions): Promise<StoredRecord<T>> {
    const record = await this.inner.put(key, value, options);
    if (cached(key)) await this.bump();
    return record;
  }
  async compareAndSet<T extends JsonValue>(
    key: string,
    expectedVersion: number,
    value: T,
    options?: PutOptions,
  ): Promise<CompareAndSetResult<T>> {
    const result = await this.inner.compareAndSet(key, expectedVersion, value, options);
    if (result.ok && cached(key)) await this.bump();
    return result;
  }
  async delete(key: string): Promise<boolean> {
    const existed = await this.inner.delete(key);
    if (existed && cached(key)) await this.bump();
    return existed;
  }
  list<T extends JsonValue = JsonValue>(prefix: string, options?: ListOptions): Promise<StoredRecord<T>[]> {
    return this.inner.list<T>(prefix, options);
  }
  increment(key: string, windowMs: number, by?: number): Promise<CounterValue> {
    return this.inner.increment(key, windowMs, by);
  }
  append<T extends JsonValue>(log: string, value: T): Promise<LogEntry<T>> {
    return this.inner.append(log, value);
  }
  read<T extends JsonValue = JsonValue>(
    log: string,
    fromPosition?: number,
    limit?: number,
  ): Promise<LogEntry<T>[]> {
    return this.inner.read<T>(log, fromPosition, limit);
  }
  trim(log: string, options: TrimOptions): Promise<number> {
    return this.inner.trim(log, options);
  }
  deleteLog(log: string): Promise<boolean> {
    return this.inner.deleteLog(log);
  }
  /** The store belongs to its owner: closing the view does nothing. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
