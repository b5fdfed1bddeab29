import { Redis } from "ioredis";
import type { RedisOptions } from "ioredis";
import { randomBytes } from "node:crypto";
import type { ConnectionOptions } from "node:tls";
import {
  assertCounterArguments,
  assertExpectedVersion,
  assertJsonValue,
  assertListArguments,
  assertReadArguments,
  assertAppendAtArguments,
  assertStoreKey,
  createNoopLogger,
  decodeLogValue,
  encodeLogValue,
  encodeLogValueParts,
  InfrastructureError,
  isJsonValue,
  redactSecretText,
  StorageError,
  storeTtl,
  trimOptionsOf,
} from "@espada/infra-core";
import type {
  AppendAtResult,
  CompareAndSetResult,
  CounterValue,
  InfrastructureLogger,
  JsonValue,
  ListOptions,
  LogEntry,
  PrepareAppendResult,
  PutOptions,
  StateStore,
  StoredRecord,
  TrimOptions,
} from "@espada/infra-core";
import {
  APPEND,
  APPEND_AT,
  CAS,
  DELETE,
  DELETE_LOG,
  HEAD_AT,
  INCREMENT,
  LIST,
  PUT,
  READ,
  TRIM,
} from "./scripts.js";
import { BatchScript } from "./framedCall.js";
import type { Wire } from "./framedCall.js";

/** The conditional append, its batch encoded into one command buffer (see {@link BatchScript}). */
const APPEND_AT_SCRIPT = new BatchScript(APPEND_AT, 4);
/** The calls of every audited check (a counter, the append lease), also written as one buffer each. */
const HEAD_AT_SCRIPT = new BatchScript(HEAD_AT, 4);
const INCREMENT_SCRIPT = new BatchScript(INCREMENT, 1);
const NO_ENTRIES: readonly (readonly string[])[] = [];

/** TLS towards Redis: `true` for the system's CAs, or a private CA / client certificate (PEM text). */
export type RedisTlsOptions =
  | boolean
  | {
      readonly ca?: string | undefined;
      readonly cert?: string | undefined;
      readonly key?: string | undefined;
      readonly servername?: string | undefined;
      readonly rejectUnauthorized?: boolean | undefined;
    };

/** Options of {@link RedisStateStore.connect}; `stateStoreConfig.redis` (core's schema) plus the clock and a logger. */
export interface RedisStateStoreOptions {
  /** `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. Never logged with its credentials. */
  readonly url: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly tls?: RedisTlsOptions | undefined;
  /** Prefix of every Redis key (default `espada`); written as the hash tag `{espada}:`. */
  readonly keyPrefix?: string | undefined;
  /** One connection attempt, in ms (default 5000). */
  readonly connectTimeout?: number | undefined;
  /** One call, in ms, before it rejects with `STORAGE_UNAVAILABLE` (default 5000). */
  readonly commandTimeout?: number | undefined;
  /** First reconnection delay in ms (default 100); doubles per attempt up to `reconnectMaxDelay`, with jitter. */
  readonly reconnectMinDelay?: number | undefined;
  /** Longest reconnection delay in ms (default 5000). */
  readonly reconnectMaxDelay?: number | undefined;
  /** Redis drops an expired record or counter this long (ms) after the framework's clock hid it (default 60000). */
  readonly expiryGrace?: number | undefined;
  /**
   * How long (ms, Redis's clock) an instance may hold a log's append lease (default 1000): under
   * contention `appendAt` takes it before sending a batch, so batches are not sent only to lose the
   * race. An instance that stops while holding it delays the others' appends by at most this long.
   */
  readonly appendLeaseMs?: number | undefined;
  /** The clock every expiry, counter window and log timestamp is read from (default `Date.now`). */
  readonly now?: (() => number) | undefined;
  /** Told about connection changes (lost, back), with the target but never its credentials. */
  readonly logger?: InfrastructureLogger | undefined;
}

/** Where the store's connection stands. */
export type RedisStoreStatus = "connecting" | "ready" | "reconnecting" | "closed";

interface ScriptCommands {
  espadaPut(
    rk: Wire,
    idx: Wire,
    member: Wire,
    now: string,
    json: string,
    expiresAt: string,
    px: string,
  ): Promise<number>;
  espadaCas(
    rk: Wire,
    idx: Wire,
    member: Wire,
    now: string,
    json: string,
    expiresAt: string,
    px: string,
    expected: string,
  ): Promise<(string | number | null)[]>;
  espadaDelete(rk: Wire, idx: Wire, member: Wire, now: string): Promise<number>;
  espadaListBuffer(
    idx: Wire,
    recordPrefix: Buffer,
    min: Buffer | string,
    max: Buffer | string,
    limit: string,
    now: string,
  ): Promise<Buffer[]>;
  espadaAppend(lm: Wire, le: Wire, entry: string): Promise<number>;
  espadaRead(lm: Wire, le: Wire, from: string, limit: string): Promise<(string | number)[]>;
  espadaTrim(lm: Wire, le: Wire, maxEntries: string, olderThan: string): Promise<number>;
  espadaDeleteLog(lm: Wire, le: Wire, la: Wire, lw: Wire): Promise<number>;
}

type ScriptedRedis = Redis & ScriptCommands;

/** Reply errors that mean "the server cannot serve now" rather than "this call is wrong". */
const UNAVAILABLE_REPLY =
  /^(LOADING|READONLY|MASTERDOWN|BUSY|TRYAGAIN|CLUSTERDOWN|NOAUTH|WRONGPASS|NOPERM|MISCONF)\b/;

/**
 * After a conditional append found another writer ahead, the next this many `appendAt` calls on
 * that log check the head first (a small read-only script) and send their batch only when it is
 * still current: under contention a batch then travels once instead of once per lost race.
 */
const CONTENDED_CALLS = 16;

/** What this store learned about a log from its own conditional appends. */
interface AppendState {
  /** `appendAt` calls since one found the log ahead of the caller. */
  sinceConflict: number;
  /**
   * The position at which this store holds the log's lease (it just learned the head there: a
   * conflict or a `prepareAppend`): an `appendAt` expecting it sends at once.
   */
  readyAt: number | undefined;
}

/** Key or log name → UTF-16BE bytes, so Redis's byte order is the contract's UTF-16 code-unit order. */
function utf16be(text: string): Buffer {
  return Buffer.from(text, "utf16le").swap16();
}

const ASCII = /^[\x00-\x7f]*$/;
const wires = new Map<string, Wire>();

/**
 * The UTF-16BE bytes of a key or log name, as {@link utf16be}. For an ASCII name (nearly every key)
 * they are all below 0x80, so they go as a string: ioredis then writes the command without
 * assembling buffers. Memoised (bounded): the same keys come back on every check.
 */
function wire(text: string): Wire {
  let bytes = wires.get(text);
  if (bytes === undefined) {
    if (ASCII.test(text)) {
      let out = "";
      for (let i = 0; i < text.length; i++) out += `\0${text[i] as string}`;
      bytes = out;
    } else {
      bytes = utf16be(text);
    }
    if (wires.size >= 10_000) wires.clear();
    wires.set(text, bytes);
  }
  return bytes;
}

/** `prefix` (ASCII) followed by wire bytes. */
function join(prefix: string, bytes: Wire): Wire {
  return typeof bytes === "string" ? prefix + bytes : Buffer.concat([Buffer.from(prefix), bytes]);
}

function fromUtf16be(bytes: Buffer): string {
  return Buffer.from(bytes).swap16().toString("utf16le");
}

/** The smallest byte string greater than every string starting with `prefix` (undefined: no bound). */
function successor(prefix: Buffer): Buffer | undefined {
  const out = Buffer.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if ((out[i] as number) < 0xff) {
      out[i] = (out[i] as number) + 1;
      return out.subarray(0, i + 1);
    }
  }
  return undefined;
}

function encodeValue(value: unknown): string {
  if (!isJsonValue(value)) assertJsonValue(value, "value");
  return JSON.stringify(value);
}

function record<T>(
  key: string,
  value: T,
  version: number,
  updatedAt: number,
  expiresAt: number | undefined,
): StoredRecord<T> {
  return expiresAt === undefined
    ? { key, value, version, updatedAt }
    : { key, value, version, updatedAt, expiresAt };
}

/** `host:port/db` of a Redis URL, without user or password: what a log may show. */
export function describeRedisTarget(url: string): string {
  try {
    const parsed = new URL(url);
    const db = parsed.pathname.replace(/^\//, "");
    return `${parsed.protocol}//${parsed.hostname}${parsed.port === "" ? "" : `:${parsed.port}`}${db === "" ? "" : `/${db}`}`;
  } catch {
    return "(unparsable redis URL)";
  }
}

/**
 * Core's `StateStore` on Redis, for several framework instances sharing one state: sessions,
 * pending operations, approvals, break-glass sessions, role assignments, rate-limit counters and
 * the audit log. Compare-and-set, counters, appends, trims and list pages each run as one Lua
 * script on the server, so they decide once across every instance. Expiry follows the framework's
 * clock (`now`); Redis also drops expired keys by itself `expiryGrace` later.
 *
 * The client reconnects with exponential backoff and jitter. While Redis cannot be reached, every
 * call rejects at once with `STORAGE_UNAVAILABLE` (nothing is queued, nothing is retried behind
 * the caller's back), so the security gate denies mutating operations with that reason and reads
 * say the state is unavailable. A call whose connection dropped mid-flight also rejects with
 * `STORAGE_UNAVAILABLE`: it may or may not have been applied, but nothing acknowledged is lost as
 * long as Redis runs with `appendonly yes` and `appendfsync always`.
 */
export class RedisStateStore implements StateStore {
  /** Other instances write the same state: components read through instead of answering from memory. */
  readonly shared = true;
  private readonly redis: ScriptedRedis;
  private readonly now: () => number;
  private readonly logger: InfrastructureLogger;
  private readonly target: string;
  private readonly grace: number;
  private readonly recordPrefix: string;
  private readonly recordPrefixBytes: Buffer;
  private readonly index: string;
  private readonly counterPrefix: string;
  private readonly logMetaPrefix: string;
  private readonly logEntriesPrefix: string;
  private readonly leasePrefix: string;
  private readonly waiterPrefix: string;
  /** This store's token as a holder of append leases. */
  private readonly token = randomBytes(9).toString("base64url");
  private readonly leaseMs: string;
  private state: RedisStoreStatus = "connecting";
  private readonly appendStates = new Map<string, AppendState>();
  private closing: Promise<void> | undefined;

  private constructor(redis: ScriptedRedis, options: RedisStateStoreOptions, target: string) {
    this.redis = redis;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? createNoopLogger();
    this.target = target;
    this.grace = options.expiryGrace ?? 60_000;
    const prefix = `{${options.keyPrefix ?? "espada"}}:`;
    // the key prefix is ASCII (core's schema): every prefix goes as a string
    this.recordPrefix = `${prefix}r:`;
    this.recordPrefixBytes = Buffer.from(this.recordPrefix);
    this.index = `${prefix}i`;
    this.counterPrefix = `${prefix}c:`;
    this.logMetaPrefix = `${prefix}lm:`;
    this.logEntriesPrefix = `${prefix}le:`;
    this.leasePrefix = `${prefix}la:`;
    this.waiterPrefix = `${prefix}lw:`;
    this.leaseMs = String(options.appendLeaseMs ?? 1_000);
    redis.on("ready", () => {
      if (this.state === "reconnecting")
        this.logger.info("state store connection back", { target: this.target });
      this.state = "ready";
    });
    redis.on("close", () => {
      if (this.state === "ready")
        this.logger.warn(
          "state store connection lost; calls fail with STORAGE_UNAVAILABLE until it is back",
          { target: this.target },
        );
      if (this.state !== "closed") this.state = "reconnecting";
    });
    redis.on("error", (error: unknown) => {
      // ioredis reports each failed attempt here; the close handler above tells the story once.
      this.logger.debug("state store connection error", {
        target: this.target,
        error: redactSecretText(error instanceof Error ? error.message : String(error)),
      });
    });
  }

  /**
   * Connects and resolves once Redis answers; rejects with `STORAGE_UNAVAILABLE` when it cannot be
   * reached within `connectTimeout` (the connection is closed then: no handle stays open).
   */
  static async connect(options: RedisStateStoreOptions): Promise<RedisStateStore> {
    const lease = options.appendLeaseMs;
    if (lease !== undefined && (!Number.isInteger(lease) || lease < 1))
      throw new InfrastructureError("INVALID_ARGUMENT", "appendLeaseMs must be an integer >= 1 (ms)", {
        field: "appendLeaseMs",
      });
    const target = describeRedisTarget(options.url);
    const min = options.reconnectMinDelay ?? 100;
    const max = Math.max(min, options.reconnectMaxDelay ?? 5_000);
    const tls = tlsOptions(options);
    const redisOptions: RedisOptions = {
      lazyConnect: true,
      // no auto-pipelining: it wraps every call in a Pipeline (objects, promises, a deferred
      // flush) and keeps one pipeline in flight per connection, so a call waits behind a large
      // audit append; a call is written at once instead (order kept: one connection), and writes
      // issued while the socket is busy still leave together
      enableAutoPipelining: false,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      // close() waits for QUIT's answer before it disconnects: nothing is left to flush, so the
      // socket is destroyed at once rather than after ioredis's default 2 s
      disconnectTimeout: 0,
      maxRetriesPerRequest: 0,
      connectTimeout: options.connectTimeout ?? 5_000,
      commandTimeout: options.commandTimeout ?? 5_000,
      retryStrategy: (attempt: number) => {
        const ceiling = Math.min(max, min * 2 ** Math.min(attempt - 1, 20));
        return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
      },
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined ? {} : { password: options.password }),
      ...(tls === undefined ? {} : { tls }),
    };
    let redis: ScriptedRedis;
    try {
      redis = new Redis(options.url, redisOptions) as ScriptedRedis;
    } catch (error) {
      throw new InfrastructureError(
        "INVALID_ARGUMENT",
        `stateStoreConfig.redis.url: ${redactSecretText(error instanceof Error ? error.message : String(error))}`,
        { field: "url" },
      );
    }
    defineScripts(redis);
    const store = new RedisStateStore(redis, options, target);
    // the socket's own error (a refused connection, a certificate the CA did not sign) says more
    // than the "Connection is closed." the connect call rejects with
    let socketError: unknown;
    const onError = (error: unknown): void => {
      socketError = error;
    };
    redis.on("error", onError);
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect(false);
      store.state = "closed";
      const reason = socketError ?? error;
      throw new StorageError(
        "STORAGE_UNAVAILABLE",
        `state store ${target} cannot be reached: ${redactSecretText(reason instanceof Error ? reason.message : String(reason))}`,
        {
          cause: redactError(reason),
        },
      );
    } finally {
      redis.off("error", onError);
    }
    return store;
  }

  /** Where the connection stands: `ready`, `reconnecting` (calls fail with `STORAGE_UNAVAILABLE`), `closed`. */
  get status(): RedisStoreStatus {
    if (this.state === "closed") return "closed";
    if (this.redis.status === "ready") return "ready";
    return this.state === "connecting" ? "connecting" : "reconnecting";
  }

  /**
   * Resolves once the connection is ready (at once when it is); rejects with `STORAGE_FAILED` if the
   * store is closed first, or with the signal's reason when `signal` aborts.
   */
  whenReady(signal?: AbortSignal): Promise<void> {
    if (this.state === "closed")
      return Promise.reject(new StorageError("STORAGE_FAILED", "state store is closed"));
    if (this.redis.status === "ready") return Promise.resolve();
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    return new Promise((resolve, reject) => {
      const done = (): void => {
        this.redis.off("ready", onReady);
        this.redis.off("end", onEnd);
        signal?.removeEventListener("abort", onAbort);
      };
      const onReady = (): void => {
        done();
        resolve();
      };
      const onEnd = (): void => {
        done();
        reject(new StorageError("STORAGE_FAILED", "state store is closed"));
      };
      const onAbort = (): void => {
        done();
        reject(signal?.reason as Error);
      };
      this.redis.on("ready", onReady);
      this.redis.on("end", onEnd);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** `host:port/db` of the server, without credentials. */
  get description(): string {
    return this.target;
  }

  private key(prefix: string, name: string): Wire {
    return join(prefix, wire(name));
  }

  /** Runs one call: refuses after close, turns client and server failures into typed errors. */
  private async run<T>(what: string, call: () => Promise<T>): Promise<T> {
    if (this.state === "closed") throw new StorageError("STORAGE_FAILED", `state store is closed (${what})`);
    try {
      return await call();
    } catch (error) {
      throw this.failure(what, error);
    }
  }

  private failure(what: string, error: unknown): InfrastructureError {
    if (error instanceof InfrastructureError) return error;
    const message = redactSecretText(error instanceof Error ? error.message : String(error));
    const name = error instanceof Error ? error.name : "";
    if (this.state === "closed")
      return new StorageError("STORAGE_FAILED", `state store is closed (${what})`, {
        cause: redactError(error),
      });
    if (name === "ReplyError" && !UNAVAILABLE_REPLY.test(message)) {
      return new StorageError("STORAGE_FAILED", `state store ${this.target} refused ${what}: ${message}`, {
        cause: redactError(error),
      });
    }
    const mutating = what !== "get" && what !== "list" && what !== "read";
    return new StorageError(
      "STORAGE_UNAVAILABLE",
      mutating
        ? `state store ${this.target} is unavailable: ${what} was not confirmed (${message}); nothing acknowledged is lost, try again once it is back`
        : `state store ${this.target} is unavailable: the state cannot be read now (${message})`,
      { cause: redactError(error), details: { target: this.target, operation: what } },
    );
  }

  /** Reads a live record, or undefined when absent or expired (by this store's clock). */
  async get<T extends JsonValue = JsonValue>(key: string): Promise<StoredRecord<T> | undefined> {
    assertStoreKey(key);
    const [v, u, e, d] = await this.run("get", () =>
      this.redis.hmget(this.key(this.recordPrefix, key), "v", "u", "e", "d"),
    );
    if (v === null || v === undefined || d === null || d === undefined) return undefined;
    const expiresAt = e === null || e === undefined ? undefined : Number(e);
    if (expiresAt !== undefined && this.now() >= expiresAt) return undefined;
    return record(key, this.decode<T>(d, key), Number(v), Number(u), expiresAt);
  }

  private decode<T>(json: string, key: string, parse: (text: string) => unknown = JSON.parse): T {
    try {
      return parse(json) as T;
    } catch (error) {
      throw new StorageError(
        "STORAGE_CORRUPT",
        `state store record ${JSON.stringify(key)} is not JSON: it was written by something else`,
        { cause: error },
      );
    }
  }

  /** Writes unconditionally; resolves once Redis acknowledged it (durable with `appendfsync always`). */
  async put<T extends JsonValue>(key: string, value: T, options?: PutOptions): Promise<StoredRecord<T>> {
    assertStoreKey(key);
    const json = encodeValue(value);
    const ttl = storeTtl(options);
    const now = this.now();
    const expiresAt = ttl === undefined ? undefined : now + ttl;
    const member = wire(key);
    const version = await this.run("put", () =>
      this.redis.espadaPut(
        join(this.recordPrefix, member),
        this.index,
        member,
        String(now),
        json,
        expiresAt === undefined ? "" : String(expiresAt),
        String(Math.ceil((ttl ?? 0) + this.grace)),
      ),
    );
    return record(key, JSON.parse(json) as T, Number(version), now, expiresAt);
  }

  /** Writes only when the live version equals `expectedVersion` (0 = absent); decided by one script on the server. */
  async compareAndSet<T extends JsonValue>(
    key: string,
    expectedVersion: number,
    value: T,
    options?: PutOptions,
  ): Promise<CompareAndSetResult<T>> {
    assertStoreKey(key);
    assertExpectedVersion(expectedVersion);
    const json = encodeValue(value);
    const ttl = storeTtl(options);
    const now = this.now();
    const expiresAt = ttl === undefined ? undefined : now + ttl;
    const member = wire(key);
    const reply = await this.run("compareAndSet", () =>
      this.redis.espadaCas(
        join(this.recordPrefix, member),
        this.index,
        member,
        String(now),
        json,
        expiresAt === undefined ? "" : String(expiresAt),
        String(Math.ceil((ttl ?? 0) + this.grace)),
        String(expectedVersion),
      ),
    );
    if (Number(reply[0]) === 1)
      return { ok: true, record: record(key, JSON.parse(json) as T, Number(reply[1]), now, expiresAt) };
    if (reply.length < 5) return { ok: false, current: undefined };
    const [, v, u, e, d] = reply;
    return {
      ok: false,
      current: record(
        key,
        this.decode<T>(String(d), key),
        Number(v),
        Number(u),
        e === "" || e === null ? undefined : Number(e),
      ),
    };
  }

  /** Removes a record; false when there was none (or it had expired). */
  async delete(key: string): Promise<boolean> {
    assertStoreKey(key);
    const member = wire(key);
    const removed = await this.run("delete", () =>
      this.redis.espadaDelete(join(this.recordPrefix, member), this.index, member, String(this.now())),
    );
    return Number(removed) === 1;
  }

  /** Live records whose key starts with `prefix`, in key (UTF-16 code-unit) order; a page with `options`. */
  async list<T extends JsonValue = JsonValue>(
    prefix: string,
    options: ListOptions = {},
  ): Promise<StoredRecord<T>[]> {
    assertListArguments(prefix, options);
    const { limit, cursor } = options;
    const low = utf16be(prefix);
    const high = successor(low);
    let min: Buffer | string = prefix === "" ? "-" : Buffer.concat([Buffer.from("["), low]);
    if (cursor !== undefined) {
      const after = utf16be(cursor);
      if (Buffer.compare(after, low) >= 0) min = Buffer.concat([Buffer.from("("), after]);
    }
    const max: Buffer | string = high === undefined ? "+" : Buffer.concat([Buffer.from("("), high]);
    const now = this.now();
    const flat = await this.run("list", () =>
      this.redis.espadaListBuffer(
        this.index,
        this.recordPrefixBytes,
        min,
        max,
        String(limit ?? 0),
        String(now),
      ),
    );
    const out: StoredRecord<T>[] = [];
    for (let i = 0; i + 4 < flat.length; i += 5) {
      const key = fromUtf16be(flat[i] as Buffer);
      const e = (flat[i + 3] as Buffer).toString();
      out.push(
        record(
          key,
          this.decode<T>((flat[i + 4] as Buffer).toString("utf8"), key),
          Number((flat[i + 1] as Buffer).toString()),
          Number((flat[i + 2] as Buffer).toString()),
          e === "" ? undefined : Number(e),
        ),
      );
    }
    return out;
  }

  /** Adds `by` (default 1) to a counter that starts again from zero every `windowMs`; one script on the server. */
  async increment(key: string, windowMs: number, by = 1): Promise<CounterValue> {
    assertStoreKey(key);
    assertCounterArguments(windowMs, by);
    const now = this.now();
    const command = INCREMENT_SCRIPT.encode(
      [
        this.key(this.counterPrefix, key),
        String(now),
        String(now + windowMs),
        String(by),
        String(Math.ceil(windowMs + this.grace)),
      ],
      "",
      NO_ENTRIES,
    );
    const [value, resetAt] = (await this.run("increment", () =>
      INCREMENT_SCRIPT.call(this.redis, command),
    )) as [string, string];
    return { value: Number(value) + 0, resetAt: Number(resetAt) };
  }

  /** Appends to a named log; the position is given by the server, so every instance sees one order. */
  async append<T extends JsonValue>(log: string, value: T): Promise<LogEntry<T>> {
    assertStoreKey(log, "log");
    assertJsonValue(value, "value");
    const json = encodeLogValue(value);
    const timestamp = this.now();
    const position = await this.run("append", () =>
      this.redis.espadaAppend(
        this.key(this.logMetaPrefix, log),
        this.key(this.logEntriesPrefix, log),
        `${timestamp}:${json}`,
      ),
    );
    return { position: Number(position), timestamp, value: decodeLogValue(json) as T };
  }

  /**
   * Appends `values` to a log only when its next position is `expectedPosition` (all or none, in
   * one script): what lets several instances extend one hash chain (the audit log) without a lock.
   * Resolves `{ ok: false, nextPosition, missed }` when another writer got there first: `missed`
   * holds the entries from `expectedPosition` on (at most 1000), so the writer continues without a read.
   *
   * Under contention (another writer got there first lately) a call first takes the log's short
   * append lease, in a script that writes nothing durable: a writer that is behind learns what it
   * missed without sending its batch, the others wait their turn (next in line gets the lease when
   * it is handed on), and the writer that was behind holds the lease for the batch it chains next.
   * So a batch travels once instead of once per lost race. The lease only orders writers; the
   * position check alone decides an append, so a lease that lapses (its holder stopped:
   * `appendLeaseMs`) costs a wait, never an entry.
   */
  async appendAt<T extends JsonValue>(
    log: string,
    expectedPosition: number,
    values: readonly T[],
  ): Promise<AppendAtResult<T>> {
    assertStoreKey(log, "log");
    assertAppendAtArguments(expectedPosition, values);
    for (let i = 0; i < values.length; i++) {
      // the cheap walk first; the path-reporting one only to name what is wrong
      if (!isJsonValue(values[i])) assertJsonValue(values[i], `values[${i}]`);
    }
    const state = this.appendState(log);
    // right after a conflict or a prepareAppend this store holds the lease: the batch goes at once
    let check = state.sinceConflict < CONTENDED_CALLS && state.readyAt !== expectedPosition;
    state.readyAt = undefined;
    state.sinceConflict += 1;
    const keys = this.logKeys(log);
    const expected = String(expectedPosition);
    let batch: Buffer | undefined;
    let timestamp = 0;
    let texts: (readonly string[])[] = [];
    for (;;) {
      if (check) {
        // another writer appended lately: take the lease (and learn where the log stands) before sending
        const behind = await this.takeLease<T>(state, keys, expected, log);
        if (behind !== undefined) return behind;
      }
      if (batch === undefined) {
        // each entry as core's encoding pieces: the audit record's text is not joined into a new string
        texts = values.map((value) => encodeLogValueParts(value));
        timestamp = this.now();
        // the whole command in one buffer, each entry encoded to UTF-8 once straight into it
        // (ioredis would frame each of ~128 arguments as its own string or buffer, then copy them all)
        batch = APPEND_AT_SCRIPT.encode(
          [...keys, expected, this.token, this.leaseMs],
          `${timestamp}:`,
          texts,
        );
      }
      const command = batch;
      const reply = (await this.run("appendAt", () => APPEND_AT_SCRIPT.call(this.redis, command))) as (
        string | number
      )[];
      if (Number(reply[0]) === 2) {
        // another writer took the lease since: this one is next in line
        state.sinceConflict = 0;
        check = true;
        await leaseWait(Number(reply[1]));
        continue;
      }
      if (Number(reply[0]) !== 1) return this.appendConflict<T>(state, reply, log);
      const position = Number(reply[1]);
      return {
        ok: true,
        // each value is a copy parsed when read: a writer that only needs the positions (the audit
        // chain) does not parse back every record it wrote
        entries: texts.map((parts, i) => ({
          position: position + i,
          timestamp,
          get value(): T {
            return decodeLogValue(parts.join("")) as T;
          },
        })),
      };
    }
  }

  /**
   * Before building a batch chained after `expectedPosition` (the audit chain): under contention
   * takes the log's append lease, waiting its turn, and resolves `{ ok: true }` (the next
   * `appendAt` at that position then sends at once) or what the caller missed (the lease is then
   * held for its batch chained after that). Without contention it resolves `{ ok: true }` at once,
   * with no round trip. Appends nothing.
   */
  async prepareAppend<T extends JsonValue>(
    log: string,
    expectedPosition: number,
  ): Promise<PrepareAppendResult<T>> {
    assertStoreKey(log, "log");
    if (!Number.isInteger(expectedPosition) || expectedPosition < 0) {
      throw new InfrastructureError("INVALID_ARGUMENT", "expectedPosition must be an integer >= 0", {
        field: "expectedPosition",
      });
    }
    const state = this.appendState(log);
    if (state.sinceConflict >= CONTENDED_CALLS || state.readyAt === expectedPosition) return { ok: true };
    const behind = await this.takeLease<T>(state, this.logKeys(log), String(expectedPosition), log);
    if (behind !== undefined) return behind;
    state.readyAt = expectedPosition;
    return { ok: true };
  }

  private appendState(log: string): AppendState {
    let state = this.appendStates.get(log);
    if (state === undefined) {
      if (this.appendStates.size >= 1_000) this.appendStates.clear();
      state = { sinceConflict: CONTENDED_CALLS, readyAt: undefined };
      this.appendStates.set(log, state);
    }
    return state;
  }

  private logKeys(log: string): readonly [Wire, Wire, Wire, Wire] {
    return [
      this.key(this.logMetaPrefix, log),
      this.key(this.logEntriesPrefix, log),
      this.key(this.leasePrefix, log),
      this.key(this.waiterPrefix, log),
    ];
  }

  /**
   * Takes the log's append lease (`HEAD_AT`), waiting while another writer holds it: undefined once
   * held with the log at `expected`, else the conflict result (what the caller missed; lease held).
   */
  private async takeLease<T>(
    state: AppendState,
    keys: readonly [Wire, Wire, Wire, Wire],
    expected: string,
    log: string,
  ): Promise<Extract<AppendAtResult<T>, { ok: false }> | undefined> {
    for (;;) {
      const head = (await this.run("appendAt", () =>
        HEAD_AT_SCRIPT.call(
          this.redis,
          HEAD_AT_SCRIPT.encode([...keys, expected, this.token, this.leaseMs], "", NO_ENTRIES),
        ),
      )) as (string | number)[];
      if (Number(head[0]) === 2) {
        state.sinceConflict = 0;
        await leaseWait(Number(head[1]));
        continue;
      }
      return Number(head[0]) === 1 ? undefined : this.appendConflict<T>(state, head, log);
    }
  }

  /** The result of a conditional append (or head check) that found the log ahead of the caller. */
  private appendConflict<T>(
    state: AppendState,
    reply: readonly (string | number)[],
    log: string,
  ): Extract<AppendAtResult<T>, { ok: false }> {
    const nextPosition = Number(reply[1]);
    state.sinceConflict = 0;
    state.readyAt = nextPosition;
    return { ok: false, nextPosition, missed: this.entries<T>(reply, 2, log) };
  }

  /** Reads a log from `fromPosition` (inclusive), at most `limit` entries, in position order. */
  async read<T extends JsonValue = JsonValue>(
    log: string,
    fromPosition = 0,
    limit?: number,
  ): Promise<LogEntry<T>[]> {
    assertStoreKey(log, "log");
    assertReadArguments(fromPosition, limit);
    const reply = await this.run("read", () =>
      this.redis.espadaRead(
        this.key(this.logMetaPrefix, log),
        this.key(this.logEntriesPrefix, log),
        String(fromPosition),
        String(limit === undefined || limit === Number.POSITIVE_INFINITY ? -1 : limit),
      ),
    );
    return this.entries<T>(reply, 0, log);
  }

  /** Log entries of a script reply: the first position at `at`, then one `timestamp:value` per entry. */
  private entries<T>(reply: readonly (string | number)[], at: number, log: string): LogEntry<T>[] {
    const first = Number(reply[at]);
    const out: LogEntry<T>[] = [];
    for (let i = at + 1; i < reply.length; i++) {
      const raw = String(reply[i]);
      const colon = raw.indexOf(":");
      out.push({
        position: first + i - at - 1,
        timestamp: Number(raw.slice(0, colon)),
        value: this.decode<T>(raw.slice(colon + 1), log, decodeLogValue),
      });
    }
    return out;
  }

  /** Removes the oldest entries of a log past `maxEntries` or older than `olderThan`; resolves with how many. */
  async trim(log: string, options: TrimOptions): Promise<number> {
    assertStoreKey(log, "log");
    const { maxEntries, olderThan } = trimOptionsOf(options);
    const removed = await this.run("trim", () =>
      this.redis.espadaTrim(
        this.key(this.logMetaPrefix, log),
        this.key(this.logEntriesPrefix, log),
        String(maxEntries ?? -1),
        olderThan === undefined ? "" : String(olderThan),
      ),
    );
    return Number(removed);
  }

  /** Removes a log and its position count; false when there was none. */
  async deleteLog(log: string): Promise<boolean> {
    assertStoreKey(log, "log");
    const existed = await this.run("deleteLog", () => this.redis.espadaDeleteLog(...this.logKeys(log)));
    this.appendStates.delete(log);
    return Number(existed) === 1;
  }

  /** Waits for calls in flight, then closes the connection and stops reconnecting; resolves once the socket is gone. */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.state = "closed";
    const redis = this.redis;
    this.closing = (async () => {
      if (redis.status === "end") return;
      const ended = new Promise<void>((resolve) => redis.once("end", () => resolve()));
      if (redis.status === "ready") {
        try {
          await redis.quit();
        } catch {
          // the connection is gone already
        }
      }
      // between attempts (status "reconnecting") there is no socket: disconnect clears the
      // reconnection timer and ioredis emits no "end"; it still "ends" the old, closed socket
      // behind a `disconnectTimeout` timer (0 here) that no close event will clear: a timer set
      // now fires after it (same delay, created later), so nothing is left behind
      const between = redis.status === "reconnecting";
      redis.disconnect(false);
      if (between) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        return;
      }
      await ended;
    })();
    return this.closing;
  }
}

/** Waits before asking again for a lease another writer holds: about a round trip's worth, never past its expiry. */
function leaseWait(msLeft: number): Promise<void> {
  const ms = Number.isFinite(msLeft) && msLeft > 0 ? Math.min(msLeft, 1) : 1;
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function tlsOptions(options: RedisStateStoreOptions): ConnectionOptions | undefined {
  const { tls } = options;
  const wantsTls = tls !== undefined && tls !== false;
  if (!wantsTls) return options.url.toLowerCase().startsWith("rediss://") ? {} : undefined;
  if (tls === true) return {};
  return {
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
    rejectUnauthorized: tls.rejectUnauthorized ?? true,
  };
}

/** An error whose message has its credentials removed (ioredis may quote the URL or AUTH reply). */
function redactError(error: unknown): Error {
  const message = redactSecretText(error instanceof Error ? error.message : String(error));
  const copy = new Error(message);
  copy.name = error instanceof Error ? error.name : "Error";
  return copy;
}

function defineScripts(redis: Redis): void {
  const scripts: [string, number, string][] = [
    ["espadaPut", 2, PUT],
    ["espadaCas", 2, CAS],
    ["espadaDelete", 2, DELETE],
    ["espadaList", 1, LIST],
    ["espadaAppend", 2, APPEND],
    ["espadaRead", 2, READ],
    ["espadaTrim", 2, TRIM],
    ["espadaDeleteLog", 4, DELETE_LOG],
  ];
  for (const [name, numberOfKeys, lua] of scripts) redis.defineCommand(name, { numberOfKeys, lua });
}
