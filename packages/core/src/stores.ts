import { z } from "zod";
import { deferred } from "./deferredSchema.js";
import { providerAuthSchema } from "./provider.js";
import { commandCategorySchema } from "./taxonomy.js";
import { estimatedCostSchema } from "./security.js";
import { jsonObjectSchema } from "./json.js";
import type { JsonValue } from "./json.js";

/** A stored record with its version and expiry. */
export interface StoredRecord<T = JsonValue> {
  readonly key: string;
  readonly value: T;
  /** Starts at 1 and grows by one on every write; compare-and-set checks it. */
  readonly version: number;
  /** Epoch ms of the last write. */
  readonly updatedAt: number;
  /** Epoch ms after which the record is gone. */
  readonly expiresAt?: number;
}

/** Options of a write. */
export interface PutOptions {
  /** Time to live in ms; the record disappears after it. */
  readonly ttlMs?: number;
}

/**
 * Paging of {@link StateStore.list}: at most `limit` records with keys after `cursor`, in key order.
 * To read every page, pass the key of the last record of a page as the next `cursor` until a page
 * holds fewer than `limit` records. Records written or removed between pages show up or not,
 * but no record that stays live through the whole walk is skipped or returned twice.
 */
export interface ListOptions {
  /** At most this many records (an integer >= 1); all when omitted. */
  readonly limit?: number;
  /** Only keys strictly greater (in UTF-16 code-unit order) than this key: the last key of the previous page. */
  readonly cursor?: string;
}

/** The outcome of a compare-and-set. */
export type CompareAndSetResult<T = JsonValue> =
  | { readonly ok: true; readonly record: StoredRecord<T> }
  | { readonly ok: false; readonly current: StoredRecord<T> | undefined };

/** The value of a windowed counter after an increment. */
export interface CounterValue {
  readonly value: number;
  /** Epoch ms when the window ends and the counter starts again from zero. */
  readonly resetAt: number;
}

/** One entry of an append-only log. */
export interface LogEntry<T = JsonValue> {
  /**
   * 0-based and consecutive: the n-th successful append of a log gets position n − 1. A failed
   * append takes no position, so positions have no gaps; {@link StateStore.trim} removes the oldest
   * entries only, so the entries a log holds are always one consecutive range.
   */
  readonly position: number;
  /** Epoch ms of the append, by the store's clock (not guaranteed to grow if that clock steps back). */
  readonly timestamp: number;
  readonly value: T;
}

/** The outcome of {@link StateStore.appendAt}. */
export type AppendAtResult<T = JsonValue> =
  | { readonly ok: true; readonly entries: LogEntry<T>[] }
  | {
      readonly ok: false;
      readonly nextPosition: number;
      /**
       * The entries from `expectedPosition` on that the caller had not seen, in position order, when
       * the store returns them in the same call (Redis does): a writer extending a hash chain
       * continues from them without a `read`. At most a store-chosen number (fewer than
       * `nextPosition - expectedPosition` when capped or trimmed); absent when the store does not.
       */
      readonly missed?: LogEntry<T>[];
    };

/** The outcome of {@link StateStore.prepareAppend}: build the batch now, or first continue from what was missed. */
export type PrepareAppendResult<T = JsonValue> =
  { readonly ok: true } | Extract<AppendAtResult<T>, { readonly ok: false }>;

/** What {@link StateStore.trim} removes: the oldest entries, while either limit is exceeded. */
export interface TrimOptions {
  /** Keep at most this many newest entries (an integer >= 0). */
  readonly maxEntries?: number;
  /**
   * Remove entries whose timestamp is before this epoch ms, from the oldest on; stops at the first
   * entry that is not older (entries are removed as a prefix, never from the middle).
   */
  readonly olderThan?: number;
}

/**
 * Durable key-value state: what sessions, approvals, break-glass, roles, rate limits and the audit
 * log are kept in. Memory, file and (later) Redis stores implement it with the same semantics, and
 * each runs the contract suite of `@espada/infra-core/testing` unchanged.
 * Every call is async. Keys are `/`-separated (`sessions/abc`), non-empty, at most 180 UTF-8 bytes,
 * well-formed Unicode; bad input rejects with `INVALID_ARGUMENT` naming the field.
 *
 * Logs: one total order per log, shared by every writer of the store (across processes for a
 * shared backend); positions are consecutive and gap-free (see {@link LogEntry.position}); an
 * acknowledged append is durable and is never reordered or lost, except by {@link trim} or
 * {@link deleteLog}. A trimmed log keeps counting: the next append continues after the last
 * position ever given.
 */
export interface StateStore {
  get<T extends JsonValue = JsonValue>(key: string): Promise<StoredRecord<T> | undefined>;
  /** Writes unconditionally; resolves once the write is durable. */
  put<T extends JsonValue>(key: string, value: T, options?: PutOptions): Promise<StoredRecord<T>>;
  /**
   * Writes only when the current version equals `expectedVersion` (0 means "absent").
   * Exactly one of several racing writers with the same expectation succeeds.
   */
  compareAndSet<T extends JsonValue>(
    key: string,
    expectedVersion: number,
    value: T,
    options?: PutOptions,
  ): Promise<CompareAndSetResult<T>>;
  /** Removes a record; false when there was none. */
  delete(key: string): Promise<boolean>;
  /** Live records whose key starts with `prefix`, in key order; one page of them with `options`. */
  list<T extends JsonValue = JsonValue>(prefix: string, options?: ListOptions): Promise<StoredRecord<T>[]>;
  /** Atomically adds `by` (default 1) to a counter that resets every `windowMs`. */
  increment(key: string, windowMs: number, by?: number): Promise<CounterValue>;
  /** Appends to a named log; resolves once durable with the entry and its position. */
  append<T extends JsonValue>(log: string, value: T): Promise<LogEntry<T>>;
  /**
   * Reads a log from `fromPosition` (inclusive), at most `limit` entries, in position order. A
   * position before the oldest kept entry reads from the oldest kept entry.
   */
  read<T extends JsonValue = JsonValue>(
    log: string,
    fromPosition?: number,
    limit?: number,
  ): Promise<LogEntry<T>[]>;
  /** Removes the oldest entries of a log past `maxEntries` or before `olderThan`; resolves with how many. */
  trim(log: string, options: TrimOptions): Promise<number>;
  /** Removes a log and its position count (a new log of that name starts at 0); false when there was none. */
  deleteLog(log: string): Promise<boolean>;
  /** Flushes pending writes and releases locks and timers. */
  close(): Promise<void>;
  /**
   * True when other processes write the same state at the same time (a shared backend such as
   * Redis): a component must then not answer from memory what another instance may have changed
   * (break-glass sessions), and several writers may extend one log. Absent or false: this process
   * is the only writer (memory and file stores, which hold a lock).
   */
  readonly shared?: boolean;
  /**
   * Optional (shared stores offer it): appends `values` to a log only when its next position is
   * `expectedPosition`, all or none, atomically — so several writers can extend one hash chain
   * (the audit log) without a lock; `{ ok: false, nextPosition, missed? }` when another writer got there first.
   */
  appendAt?<T extends JsonValue>(
    log: string,
    expectedPosition: number,
    values: readonly T[],
  ): Promise<AppendAtResult<T>>;
  /**
   * Optional, beside `appendAt`: a writer about to build a batch that depends on the log's head
   * (a hash chain) asks first whether `expectedPosition` is still the log's next position, so it
   * does not build a batch only to lose the race. `{ ok: true }`: build it now (a store with
   * several writers may hold the next append for this one for a short while); otherwise the same
   * `{ ok: false, nextPosition, missed? }` as `appendAt`. Appends nothing: `appendAt` still decides.
   */
  prepareAppend?<T extends JsonValue>(log: string, expectedPosition: number): Promise<PrepareAppendResult<T>>;
}

/** Status of a session. */
export const SESSION_STATES = ["active", "expired", "terminated"] as const;
/** A session status. */
export type SessionState = (typeof SESSION_STATES)[number];

/** Schema of one command-history entry. */
export const commandHistoryEntrySchema = deferred(() =>
  z.object({
    executionId: z.string(),
    commandId: z.string(),
    providerId: z.string(),
    instanceId: z.string().optional(),
    userId: z.string(),
    /** Parameters with sensitive values redacted. */
    params: jsonObjectSchema,
    status: z.enum(["succeeded", "failed", "cancelled", "denied", "pending"]),
    dryRun: z.boolean(),
    startedAt: z.number(),
    duration: z.number(),
    errorCode: z.string().optional(),
    errorMessage: z.string().optional(),
    affectedResources: z.array(z.string()).default([]),
  }),
);
/** One command-history entry. */
export type CommandHistoryEntry = z.infer<typeof commandHistoryEntrySchema>;
/** A command-history entry as handed to {@link SessionStore.appendHistory} (params of any record type, checked to be JSON). */
export type CommandHistoryEntryInput = z.input<typeof commandHistoryEntrySchema>;

/** Schema of an operation waiting for approval or confirmation. */
export const pendingOperationSchema = deferred(() =>
  z.object({
    id: z.string(),
    kind: z.enum(["approval", "confirmation"]),
    approvalId: z.string().optional(),
    commandId: z.string(),
    commandCategory: commandCategorySchema,
    providerId: z.string(),
    instanceId: z.string(),
    userId: z.string(),
    environment: z.string(),
    /** Parameters as given (sensitive ones stay encrypted at rest with the session). */
    params: jsonObjectSchema,
    dryRun: z.boolean(),
    createdAt: z.number(),
    expiresAt: z.number().optional(),
    /** The gate's explanation, shown when asking. */
    reason: z.string(),
    /** Who confirmed it already (kept, so an approval resume does not ask again). */
    confirmedBy: z.string().optional(),
    /** Resource ids shown to the gate. */
    resourceIds: z.array(z.string()).optional(),
    /** Cost estimate the caller gave (the command's own declaration is read again on resume). */
    estimatedCost: estimatedCostSchema.optional(),
    /** The operation this one rolls back, when it is a rollback. */
    rollbackOf: z.string().optional(),
    /** Set while a resume holds it: no other resume may take it until released or `until` passed. */
    claim: z.object({ id: z.string(), at: z.number(), until: z.number() }).optional(),
  }),
);
/** An operation waiting for approval or confirmation. */
export type PendingOperation = z.infer<typeof pendingOperationSchema>;
/** A pending operation as handed to {@link SessionStore.addPendingOperation} (params checked to be JSON). */
export type PendingOperationInput = z.input<typeof pendingOperationSchema>;

/** Schema of a resource a session tracks. */
export const sessionResourceSchema = deferred(() =>
  z.object({
    id: z.string(),
    type: z.string(),
    providerId: z.string(),
    name: z.string().optional(),
    updatedAt: z.number(),
  }),
);
/** A resource a session tracks. */
export type SessionResource = z.infer<typeof sessionResourceSchema>;

/** Schema of a session. */
export const infrastructureSessionSchema = deferred(() =>
  z.object({
    id: z.string().min(1),
    userId: z.string().min(1),
    state: z.enum(SESSION_STATES),
    environment: z.string().default("development"),
    providerId: z.string().optional(),
    instanceId: z.string().optional(),
    auth: providerAuthSchema.optional(),
    resources: z.record(z.string(), sessionResourceSchema).default({}),
    variables: jsonObjectSchema.default({}),
    pendingOperations: z.array(pendingOperationSchema).default([]),
    metadata: jsonObjectSchema.default({}),
    createdAt: z.number(),
    lastActivityAt: z.number(),
    expiresAt: z.number(),
  }),
);
/**
 * A session: provider context, auth, resources, variables and pending operations. Its command
 * history is not part of the record: it is an append-only log read with {@link SessionStore.getHistory}.
 */
export type InfrastructureSession = z.infer<typeof infrastructureSessionSchema>;

/** Options of {@link SessionStore.getHistory}. */
export interface HistoryQuery {
  /** Only the newest `limit` entries (an integer >= 1); every kept entry when omitted. */
  readonly limit?: number;
}

/** A resume's hold on a pending operation (see {@link SessionStore.claimPendingOperation}). */
export interface PendingClaim {
  /** Unique id of this claim. */
  readonly id: string;
  /** Epoch ms after which the claim is abandoned (its holder died) and another resume may take it. */
  readonly until: number;
}

/** The outcome of claiming a pending operation. */
export type ClaimResult =
  | { readonly ok: true; readonly operation: PendingOperation }
  | { readonly ok: false; readonly reason: "not-found" | "claimed" };

/** What may change on a pending operation released back to waiting. */
export interface PendingUpdate {
  readonly kind?: PendingOperation["kind"];
  readonly approvalId?: string;
  readonly reason?: string;
  readonly confirmedBy?: string;
}

/**
 * What the executor needs of sessions; `InfrastructureSessionManager` implements it.
 *
 * Pending operations are resumed in three steps so none is lost: `claimPendingOperation` (exactly
 * one of several racing callers gets it; compare-and-set on the session record), then either
 * `completePendingOperation` (it runs now, or was definitively refused: removed) or
 * `releasePendingOperation` (a passing failure: it waits again, optionally updated).
 */
export interface SessionStore {
  getSession(sessionId: string): Promise<InfrastructureSession | undefined>;
  /**
   * Appends to the session's command history: O(1) whatever the history's length, never lost once
   * resolved, in call order per session; entries past `commandConfig.history` limits
   * (`maxEntries`, `retentionDays`) are trimmed. Rejects (typed) when the session does not exist
   * or the entry is invalid.
   */
  appendHistory(sessionId: string, entry: CommandHistoryEntryInput): Promise<void>;
  /** The session's command history, oldest first, within the history limits. */
  getHistory(sessionId: string, query?: HistoryQuery): Promise<CommandHistoryEntry[]>;
  /** Stores an operation waiting for approval or confirmation; resolves with it as stored. */
  addPendingOperation(sessionId: string, operation: PendingOperationInput): Promise<PendingOperation>;
  /**
   * Marks a pending operation as held by `claim` unless another live claim holds it (an expired
   * claim counts as abandoned). Works in any session state: the caller decides what may run.
   */
  claimPendingOperation(sessionId: string, operationId: string, claim: PendingClaim): Promise<ClaimResult>;
  /** Removes a pending operation held by `claimId`; false when it is gone or held by another claim. */
  completePendingOperation(sessionId: string, operationId: string, claimId: string): Promise<boolean>;
  /** Drops the claim `claimId` (applying `update`) so the operation waits again; false when not held by it. */
  releasePendingOperation(
    sessionId: string,
    operationId: string,
    claimId: string,
    update?: PendingUpdate,
  ): Promise<boolean>;
  /** Records resources a command touched. */
  trackResources(
    sessionId: string,
    resources: readonly z.input<typeof sessionResourceSchema>[],
  ): Promise<void>;
  /** Stops tracking resources a command deleted (optional: a store without it keeps them listed). */
  forgetResources?(sessionId: string, resourceIds: readonly string[]): Promise<void>;
}
