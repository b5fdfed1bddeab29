import {
  frozenJsonCopy,
  StorageError,
  assertCounterArguments,
  assertExpectedVersion,
  assertListArguments,
  assertReadArguments,
  assertAppendAtArguments,
  assertStoreKey,
  isInfrastructureError,
  storeTtl,
  trimOptionsOf,
} from "@espada/infra-core";
import type {
  AppendAtResult,
  CompareAndSetResult,
  CounterValue,
  JsonValue,
  ListOptions,
  LogEntry,
  PutOptions,
  StoredRecord,
  TrimOptions,
  InfrastructureError,
} from "@espada/infra-core";

import { Cascade } from "./cascade.js";
import { frozenJsonCopySharing } from "./sharedCopy.js";
/** The two key spaces of a store: plain records and windowed counters. */
export type RecordSpace = "record" | "counter";

/** The value a windowed counter is kept as. */
interface CounterState {
  readonly count: number;
  readonly resetAt: number;
}

/**
 * Where a {@link StateEngine} makes its changes durable. The engine calls it once per coalesced
 * batch and only commits a change in memory after the returned promise resolves.
 */
export interface StatePersistence {
  /**
   * Writes (or, with `undefined`, removes) one record; resolves once durable. `contended` is false
   * when no other key has a write queued (a lone write may wait for the disk without yielding).
   */
  writeRecord(
    space: RecordSpace,
    key: string,
    record: StoredRecord | undefined,
    contended?: boolean,
  ): Promise<void>;
  /** Loads a log (its kept entries readable from now on); resolves with the position its next append gets. */
  loadLog(log: string): Promise<number>;
  /** Appends entries (positions already assigned) to a log; resolves once durable (and readable). */
  appendLog(log: string, entries: readonly LogEntry[]): Promise<void>;
  /** Reads the durable entries of a loaded log from `fromPosition`, at most `limit` of them. */
  readLog(log: string, fromPosition: number, limit: number): Promise<LogEntry[]>;
  /**
   * Removes the oldest entries of a loaded log as `options` say (see {@link trimmedCount}), remembering
   * that its next append gets `next`; atomic: the old or the new content, never a mix. Resolves with
   * how many were removed. Called with no append in flight.
   */
  trimLog(log: string, options: TrimOptions, next: number): Promise<number>;
  /** Removes a log entirely (its count starts again at 0). */
  deleteLog(log: string): Promise<void>;
  /** Releases files, handles and locks. */
  close(): Promise<void>;
}

/**
 * How many of a log's `count` oldest entries a trim removes: those past the newest `maxEntries`,
 * and those older than `olderThan` (`timestampAt(i)` is the timestamp of the i-th oldest).
 */
export function trimmedCount(
  count: number,
  timestampAt: (i: number) => number,
  { maxEntries, olderThan }: TrimOptions,
): number {
  let removed = maxEntries === undefined ? 0 : Math.max(0, count - maxEntries);
  if (olderThan !== undefined) while (removed < count && timestampAt(removed) < olderThan) removed++;
  return removed;
}

/** Options of a {@link StateEngine}. */
export interface StateEngineOptions {
  /** Durable backing; none for a memory-only engine. */
  readonly persistence?: StatePersistence;
  /** Clock (epoch ms); tests inject a fake one. */
  readonly now?: () => number;
  /** Records loaded from disk at start. */
  readonly records?: Iterable<StoredRecord>;
  /** Counters loaded from disk at start. */
  readonly counters?: Iterable<StoredRecord>;
}

interface PendingOp {
  apply(current: StoredRecord | undefined, now: number): { next: StoredRecord | undefined; result: unknown };
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type LogOp =
  | {
      readonly kind: "append";
      readonly values: readonly JsonValue[];
      /** `appendAt`: the position the first value must get, else the op is refused (nothing appended). */
      readonly expected: number | undefined;
      resolve(entries: LogEntry[]): void;
      refuse(nextPosition: number): void;
      reject(error: unknown): void;
    }
  | {
      readonly kind: "trim";
      readonly options: TrimOptions;
      resolve(removed: number): void;
      reject(error: unknown): void;
    }
  | { readonly kind: "delete"; resolve(existed: boolean): void; reject(error: unknown): void };

interface LogState {
  /** The kept entries, on a memory-only engine (a persistent one reads them from its persistence). */
  entries: LogEntry[];
  /** Position of the next append (entries hold the consecutive range ending just before it). */
  next: number;
  /** Position the next batch issued gets (after the batches in flight). */
  issued: number;
  /** A failed batch takes the batches issued after it and still in flight with it. */
  readonly cascade: Cascade;
  /** Append batches being persisted, oldest first (each settles, never rejects). */
  flights: Promise<void>[];
  loaded: Promise<void> | undefined;
  queue: LogOp[];
  running: boolean;
}

/**
 * Append batches of one log persisted at once: the next batch is handed to the persistence while
 * the one before it is being synced; what arrives while the pipeline is full joins the next batch.
 */
const LOG_PIPELINE_DEPTH = 3;

const isLive = (record: StoredRecord, now: number): boolean =>
  record.expiresAt === undefined || now < record.expiresAt;
const noop = (): void => undefined;

/** Binary search: index of the first key >= `key` in sorted `keys`. */
function firstKeyAtOrAfter(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((keys[mid] as string) < key) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Binary search: index of the first key > `key` in sorted `keys`. */
function firstKeyAfter(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((keys[mid] as string) <= key) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Binary search: index of the first entry whose position is >= `position` (positions only grow). */
function firstIndexAtOrAfter(entries: readonly LogEntry[], position: number): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((entries[mid] as LogEntry).position < position) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Records by key (a loop: no pair array per record on a load of thousands). */
function byKey(records: Iterable<StoredRecord> | undefined): Map<string, StoredRecord> {
  const table = new Map<string, StoredRecord>();
  if (records !== undefined) for (const record of records) table.set(record.key, record);
  return table;
}

function closedError(): StorageError {
  return new StorageError("STORAGE_FAILED", "The state store is closed");
}

function asStorageError(error: unknown, what: string): InfrastructureError {
  if (isInfrastructureError(error)) return error;
  return new StorageError("STORAGE_FAILED", `Could not persist ${what}`, { cause: error });
}

function makeRecord(
  key: string,
  value: JsonValue,
  previous: StoredRecord | undefined,
  now: number,
  ttlMs: number | undefined,
): StoredRecord {
  const base = { key, value, version: (previous?.version ?? 0) + 1, updatedAt: now };
  return Object.freeze(ttlMs === undefined ? base : { ...base, expiresAt: now + ttlMs });
}

/**
 * The semantics shared by every state store: records with versions, TTL, compare-and-set,
 * windowed counters and append-only logs. Writes to one key are queued and applied in order;
 * everything queued while a write is in flight is folded into ONE following write (coalescing), and
 * every caller is answered only after that write is durable. Reads see durable state only.
 */
export class StateEngine {
  private readonly persistence: StatePersistence | undefined;
  private readonly now: () => number;
  private readonly tables: Record<RecordSpace, Map<string, StoredRecord>>;
  /**
   * Records given at start (read from disk) that are still current: their values were not copied
   * by this engine (not frozen, not checked), so a write shares no object with them.
   */
  private readonly loaded: Set<StoredRecord>;
  /** Writes waiting per key, one map per space (keyed by the caller's key string: no key built per write). */
  private readonly queues: Record<RecordSpace, Map<string, PendingOp[]>> = {
    record: new Map(),
    counter: new Map(),
  };
  private readonly logs = new Map<string, LogState>();
  private readonly inflight = new Set<Promise<void>>();
  /** Record keys in order, rebuilt lazily after a key is added or removed (not on updates). */
  private keyIndex: string[] | undefined;
  private closed = false;

  constructor(options: StateEngineOptions = {}) {
    this.persistence = options.persistence;
    this.now = options.now ?? Date.now;
    this.tables = { record: byKey(options.records), counter: byKey(options.counters) };
    this.loaded = new Set(this.tables.record.values());
  }

  /** True once {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Reads a live record. */
  get(key: string): StoredRecord | undefined {
    assertStoreKey(key);
    this.assertOpen();
    return this.live("record", key);
  }

  /** Writes unconditionally. */
  put(key: string, value: unknown, options?: PutOptions): Promise<StoredRecord> {
    assertStoreKey(key);
    const frozen = frozenJsonCopySharing(value, this.copiedValue(key));
    const ttl = storeTtl(options);
    return this.submit<StoredRecord>("record", key, (current, now) => {
      const next = makeRecord(key, frozen, current, now, ttl);
      return { next, result: next };
    });
  }

  /** Writes when the live version equals `expectedVersion` (0 = absent). */
  compareAndSet(
    key: string,
    expectedVersion: number,
    value: unknown,
    options?: PutOptions,
  ): Promise<CompareAndSetResult> {
    assertStoreKey(key);
    assertExpectedVersion(expectedVersion);
    // a create (version 0) that succeeds replaces nothing: no stored value to look up and share
    const frozen = frozenJsonCopySharing(value, expectedVersion === 0 ? undefined : this.copiedValue(key));
    return this.compareAndSetFrozen(key, expectedVersion, frozen, options);
  }

  /**
   * {@link compareAndSet} of a value that is already what its copy would be: deeply frozen JSON
   * whose every object is a frozen copy made in this package or an object of a value this engine
   * copied (the session manager's own writes to a memory store, see `writeOwnSession`). Stored as
   * it is; anything else must go through {@link compareAndSet}.
   */
  compareAndSetFrozen(
    key: string,
    expectedVersion: number,
    frozen: JsonValue,
    options?: PutOptions,
  ): Promise<CompareAndSetResult> {
    assertStoreKey(key);
    assertExpectedVersion(expectedVersion);
    const ttl = storeTtl(options);
    return this.submit<CompareAndSetResult>("record", key, (current, now) => {
      if ((current?.version ?? 0) !== expectedVersion)
        return { next: current, result: { ok: false, current } };
      const next = makeRecord(key, frozen, current, now, ttl);
      return { next, result: { ok: true, record: next } };
    });
  }

  /** Removes a record; false when there was no live one. */
  delete(key: string): Promise<boolean> {
    assertStoreKey(key);
    return this.submit<boolean>("record", key, (current) => ({
      next: undefined,
      result: current !== undefined,
    }));
  }

  /** Live records whose key starts with `prefix`, in key order; a page of them with `options`. */
  list(prefix: string, options: ListOptions = {}): StoredRecord[] {
    assertListArguments(prefix, options);
    const { limit, cursor } = options;
    this.assertOpen();
    const now = this.now();
    const keys = this.sortedKeys();
    const table = this.tables.record;
    const from =
      cursor !== undefined && cursor >= prefix
        ? firstKeyAfter(keys, cursor)
        : firstKeyAtOrAfter(keys, prefix);
    const out: StoredRecord[] = [];
    for (let i = from; i < keys.length && (limit === undefined || out.length < limit); i++) {
      const key = keys[i] as string;
      if (!key.startsWith(prefix)) break;
      const record = table.get(key);
      if (record === undefined) continue;
      if (isLive(record, now)) out.push(record);
      else this.schedulePurge("record", key);
    }
    return out;
  }

  /** Adds `by` to a counter that starts again from zero every `windowMs`. */
  increment(key: string, windowMs: number, by: number): Promise<CounterValue> {
    assertStoreKey(key);
    assertCounterArguments(windowMs, by);
    return this.submit<CounterValue>("counter", key, (current, now) => {
      const state = current?.value as CounterState | undefined;
      // reading a live counter (`by` 0) changes nothing, so nothing is written
      if (by === 0 && current !== undefined && state !== undefined)
        return { next: current, result: { value: state.count, resetAt: state.resetAt } };
      const resetAt = state?.resetAt ?? now + windowMs;
      const value: CounterState = { count: (state?.count ?? 0) + by, resetAt };
      const next: StoredRecord = Object.freeze({
        key,
        value: Object.freeze({ ...value }),
        version: (current?.version ?? 0) + 1,
        updatedAt: now,
        expiresAt: resetAt,
      });
      return { next, result: { value: value.count, resetAt } };
    });
  }

  /** Appends to a log; positions are 0-based and gap-free. */
  append(log: string, value: unknown): Promise<LogEntry> {
    assertStoreKey(log, "log");
    const frozen = frozenJsonCopy(value);
    return this.enqueueLog<LogEntry>(log, (resolve, reject) => ({
      kind: "append",
      values: [frozen],
      expected: undefined,
      resolve: (entries) => resolve(entries[0] as LogEntry),
      refuse: noop,
      reject,
    }));
  }

  /**
   * Appends `values` (all or none) only when they would get positions from `expectedPosition`
   * on, counting the appends in flight before them; `{ ok: false, nextPosition }` otherwise (a
   * writer chaining on appends not yet durable learns that one of them failed).
   */
  appendAt(log: string, expectedPosition: number, values: readonly unknown[]): Promise<AppendAtResult> {
    assertStoreKey(log, "log");
    assertAppendAtArguments(expectedPosition, values);
    const frozen = values.map((value, i) => frozenJsonCopy(value, `values[${i}]`));
    return this.enqueueLog<AppendAtResult>(log, (resolve, reject) => ({
      kind: "append",
      values: frozen,
      expected: expectedPosition,
      resolve: (entries) => resolve({ ok: true, entries }),
      refuse: (nextPosition) => resolve({ ok: false, nextPosition }),
      reject,
    }));
  }

  /** Removes the oldest entries of a log past `maxEntries` or older than `olderThan`; resolves with how many. */
  trim(log: string, options: TrimOptions): Promise<number> {
    assertStoreKey(log, "log");
    const copy = trimOptionsOf(options);
    return this.enqueueLog<number>(log, (resolve, reject) => ({
      kind: "trim",
      options: copy,
      resolve,
      reject,
    }));
  }

  /** Removes a log and its count; false when it never had an entry. */
  deleteLog(log: string): Promise<boolean> {
    assertStoreKey(log, "log");
    return this.enqueueLog<boolean>(log, (resolve, reject) => ({ kind: "delete", resolve, reject }));
  }

  /** Reads a log from `fromPosition`, at most `limit` entries. */
  async read(log: string, fromPosition = 0, limit = Number.POSITIVE_INFINITY): Promise<LogEntry[]> {
    assertStoreKey(log, "log");
    assertReadArguments(fromPosition, limit);
    this.assertOpen();
    const state = this.logState(log);
    await this.loadLog(log, state);
    if (this.persistence !== undefined) {
      try {
        return await this.persistence.readLog(log, fromPosition, limit);
      } catch (error) {
        throw asStorageError(error, `log "${log}"`);
      }
    }
    const start = firstIndexAtOrAfter(state.entries, fromPosition);
    return state.entries.slice(start, limit === Number.POSITIVE_INFINITY ? undefined : start + limit);
  }

  /** Removes every expired record and counter; resolves with how many were purged. */
  async purgeExpired(): Promise<number> {
    this.assertOpen();
    const now = this.now();
    const purges: Promise<unknown>[] = [];
    for (const space of ["record", "counter"] as const) {
      for (const [key, record] of this.tables[space]) {
        if (!isLive(record, now))
          purges.push(this.submit(space, key, (current) => ({ next: current, result: undefined })));
      }
    }
    await Promise.all(purges);
    return purges.length;
  }

  /** Waits for queued writes, refuses new ones, then closes the persistence. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    await this.persistence?.close();
  }

  /**
   * The value of the record under `key` when this engine copied it (deeply frozen JSON, so a write
   * may keep its objects): a write rebuilding a record around parts it keeps copies only the rest.
   */
  private copiedValue(key: string): JsonValue | undefined {
    const record = this.tables.record.get(key);
    return record === undefined || this.loaded.has(record) ? undefined : record.value;
  }

  private assertOpen(): void {
    if (this.closed) throw closedError();
  }

  private live(space: RecordSpace, key: string): StoredRecord | undefined {
    const record = this.tables[space].get(key);
    if (record === undefined) return undefined;
    if (isLive(record, this.now())) return record;
    this.schedulePurge(space, key);
    return undefined;
  }

  private schedulePurge(space: RecordSpace, key: string): void {
    if (this.closed) return;
    void this.submit(space, key, (current) => ({ next: current, result: undefined })).catch(noop);
  }

  private track(run: Promise<void>): void {
    this.inflight.add(run);
    void run.finally(() => this.inflight.delete(run));
  }

  private submit<R>(space: RecordSpace, key: string, apply: PendingOp["apply"]): Promise<R> {
    if (this.closed) return Promise.reject(closedError());
    const queues = this.queues[space];
    if (this.persistence === undefined && !queues.has(key)) {
      // memory only and nothing queued for this key: nothing to wait for, apply now
      try {
        const raw = this.tables[space].get(key);
        const now = this.now();
        const step = apply(raw !== undefined && isLive(raw, now) ? raw : undefined, now);
        if (step.next !== raw) this.commit(space, key, step.next);
        return Promise.resolve(step.result as R);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return new Promise<R>((resolve, reject) => {
      const op: PendingOp = { apply, resolve: (value) => resolve(value as R), reject };
      const queue = queues.get(key);
      if (queue !== undefined) {
        queue.push(op);
        return;
      }
      const fresh = [op];
      queues.set(key, fresh);
      this.track(this.drain(space, key, fresh));
    });
  }

  private async drain(space: RecordSpace, key: string, queue: PendingOp[]): Promise<void> {
    await Promise.resolve(); // let a synchronous burst of calls join the first batch
    const table = this.tables[space];
    while (queue.length > 0) {
      const batch = queue.splice(0);
      const raw = table.get(key);
      const now = this.now();
      let current = raw !== undefined && isLive(raw, now) ? raw : undefined;
      const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
      for (const op of batch) {
        try {
          const step = op.apply(current, now);
          current = step.next;
          outcomes.push({ ok: true, value: step.result });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
      if (current !== raw) {
        try {
          if (this.persistence !== undefined)
            await this.persistence.writeRecord(space, key, current, this.queuedKeys() > 1);
        } catch (error) {
          const failure = asStorageError(error, `"${key}"`);
          for (const op of batch) op.reject(failure);
          continue;
        }
        this.commit(space, key, current);
      }
      batch.forEach((op, i) => {
        const outcome = outcomes[i];
        if (outcome?.ok === true) op.resolve(outcome.value);
        else op.reject(outcome?.error);
      });
    }
    this.queues[space].delete(key);
  }

  /** How many keys (of both spaces) have writes queued. */
  private queuedKeys(): number {
    return this.queues.record.size + this.queues.counter.size;
  }

  /** Makes a change visible in memory (after it is durable). */
  private commit(space: RecordSpace, key: string, next: StoredRecord | undefined): void {
    const table = this.tables[space];
    if (space === "record" && this.loaded.size > 0) {
      const replaced = table.get(key);
      if (replaced !== undefined) this.loaded.delete(replaced);
    }
    if (next === undefined) {
      if (table.delete(key) && space === "record") this.keyIndex = undefined;
      return;
    }
    if (space === "record" && this.keyIndex !== undefined && !table.has(key)) this.keyIndex = undefined;
    table.set(key, next);
  }

  private sortedKeys(): string[] {
    // the default sort compares strings by UTF-16 code units, the order of `<`, without a JS call per comparison
    this.keyIndex ??= [...this.tables.record.keys()].sort();
    return this.keyIndex;
  }

  private enqueueLog<R>(
    log: string,
    make: (resolve: (value: R) => void, reject: (error: unknown) => void) => LogOp,
  ): Promise<R> {
    this.assertOpen();
    const state = this.logState(log);
    if (this.persistence === undefined && !state.running) {
      // memory only: nothing to wait for, apply now (these run to completion without awaiting)
      return new Promise<R>((resolve, reject) => {
        const op = make(resolve, reject);
        if (op.kind === "append") void this.appendBatch(log, state, [op]);
        else if (op.kind === "trim") void this.trimLog(log, state, op);
        else void this.removeLog(log, state, op);
      });
    }
    return new Promise<R>((resolve, reject) => {
      state.queue.push(make(resolve, reject));
      if (!state.running) {
        state.running = true;
        this.track(this.drainLog(log, state));
      }
    });
  }

  private logState(log: string): LogState {
    let state = this.logs.get(log);
    if (state === undefined) {
      state = {
        entries: [],
        next: 0,
        issued: 0,
        cascade: new Cascade(),
        flights: [],
        loaded: undefined,
        queue: [],
        running: false,
      };
      this.logs.set(log, state);
    }
    return state;
  }

  private loadLog(log: string, state: LogState): Promise<void> {
    if (state.loaded === undefined) {
      const load = async (): Promise<void> => {
        if (this.persistence === undefined) return;
        state.next = state.issued = await this.persistence.loadLog(log);
      };
      state.loaded = load().catch((error: unknown) => {
        state.loaded = undefined;
        throw asStorageError(error, `log "${log}"`);
      });
    }
    return state.loaded;
  }

  /**
   * Runs queued log operations in order: consecutive appends are written as one batch, up to
   * {@link LOG_PIPELINE_DEPTH} batches in flight (a trim or delete waits for them to settle).
   */
  private async drainLog(log: string, state: LogState): Promise<void> {
    await Promise.resolve(); // let a synchronous burst of calls join the first batch
    try {
      await this.loadLog(log, state);
    } catch (error) {
      for (const op of state.queue.splice(0)) op.reject(error);
      state.running = false;
      return;
    }
    while (state.queue.length > 0) {
      const head = state.queue[0] as LogOp;
      if (head.kind === "append") {
        if (state.flights.length >= LOG_PIPELINE_DEPTH) {
          await state.flights[0];
          continue;
        }
        let count = 1;
        while (count < state.queue.length && (state.queue[count] as LogOp).kind === "append") count++;
        const flight = this.appendBatch(
          log,
          state,
          state.queue.splice(0, count) as Extract<LogOp, { kind: "append" }>[],
        );
        state.flights.push(flight);
        this.track(flight);
        void flight.then(() => state.flights.splice(state.flights.indexOf(flight), 1));
        await Promise.resolve(); // appends made as this one is handed over join the next batch
      } else {
        if (state.flights.length > 0) {
          await Promise.all(state.flights);
          continue;
        }
        state.queue.shift();
        if (head.kind === "trim") await this.trimLog(log, state, head);
        else await this.removeLog(log, state, head);
      }
    }
    state.running = false;
  }

  /**
   * Persists a batch of appends at the next positions (after the batches in flight) and answers
   * it strictly after every batch issued before it: when one fails, every batch issued before the
   * failure and after it in the log's order fails too, and the positions are handed out again.
   */
  private async appendBatch(
    log: string,
    state: LogState,
    batch: Extract<LogOp, { kind: "append" }>[],
  ): Promise<void> {
    const now = this.now();
    const base = state.issued;
    const entries: LogEntry[] = [];
    const taken: { op: (typeof batch)[number]; from: number }[] = [];
    for (const op of batch) {
      if (op.expected !== undefined && op.expected !== base + entries.length) {
        op.refuse(base + entries.length);
        continue;
      }
      taken.push({ op, from: entries.length });
      for (const value of op.values)
        entries.push(Object.freeze({ position: base + entries.length, timestamp: now, value }));
    }
    if (entries.length === 0) return;
    const answer = (): void => {
      for (const { op, from } of taken) op.resolve(entries.slice(from, from + op.values.length));
    };
    if (this.persistence === undefined) {
      for (const entry of entries) state.entries.push(entry);
      state.next = state.issued = base + entries.length;
      answer();
      return;
    }
    const seq = state.cascade.issue();
    const before = state.flights.at(-1);
    state.issued = base + entries.length;
    let failure: unknown;
    try {
      await this.persistence.appendLog(log, entries);
    } catch (error) {
      failure = error;
      if (!state.cascade.doomed(seq)) {
        // failed first: the batches issued after it fail too, the next one gets its positions
        state.cascade.fail(seq);
        state.issued = base;
      }
    }
    if (failure === undefined) {
      await before; // acknowledged strictly after every batch before it
      if (state.cascade.doomed(seq))
        failure = new StorageError("STORAGE_FAILED", `an earlier append to log "${log}" failed`);
    }
    if (state.flights.length <= 1) state.cascade.idle();
    if (failure !== undefined) {
      const error = asStorageError(failure, `log "${log}"`);
      for (const { op } of taken) op.reject(error);
      return;
    }
    state.next = base + entries.length;
    answer();
  }

  private async trimLog(log: string, state: LogState, op: Extract<LogOp, { kind: "trim" }>): Promise<void> {
    if (this.persistence !== undefined) {
      try {
        op.resolve(await this.persistence.trimLog(log, op.options, state.next));
      } catch (error) {
        op.reject(asStorageError(error, `log "${log}"`));
      }
      return;
    }
    const entries = state.entries;
    const removed = trimmedCount(entries.length, (i) => (entries[i] as LogEntry).timestamp, op.options);
    if (removed > 0) state.entries = entries.slice(removed);
    op.resolve(removed);
  }

  private async removeLog(
    log: string,
    state: LogState,
    op: Extract<LogOp, { kind: "delete" }>,
  ): Promise<void> {
    const existed = state.next > 0;
    try {
      if (existed && this.persistence !== undefined) await this.persistence.deleteLog(log);
    } catch (error) {
      op.reject(asStorageError(error, `log "${log}"`));
      return;
    }
    state.entries = [];
    state.next = state.issued = 0;
    op.resolve(existed);
  }
}
