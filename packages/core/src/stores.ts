import { z } from "zod";
import { providerAuthSchema } from "./provider.js";
import { commandCategorySchema } from "./taxonomy.js";
import { estimatedCostSchema } from "./security.js";

/** A JSON value: what every store can hold. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

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
  /** 0-based, gap-free, in append order. */
  readonly position: number;
  /** Epoch ms of the append. */
  readonly timestamp: number;
  readonly value: T;
}

/**
 * Durable key-value state: what sessions, approvals, break-glass, roles, rate limits and the audit
 * log are kept in. Memory, file and (later) Redis stores implement it with the same semantics.
 * Every call is async. Keys are `/`-separated (`sessions/abc`).
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
  /** Every live record whose key starts with `prefix`, in key order. */
  list<T extends JsonValue = JsonValue>(prefix: string): Promise<StoredRecord<T>[]>;
  /** Atomically adds `by` (default 1) to a counter that resets every `windowMs`. */
  increment(key: string, windowMs: number, by?: number): Promise<CounterValue>;
  /** Appends to a named log; entries get one total order. */
  append<T extends JsonValue>(log: string, value: T): Promise<LogEntry<T>>;
  /** Reads a log from `fromPosition` (inclusive), at most `limit` entries. */
  read<T extends JsonValue = JsonValue>(log: string, fromPosition?: number, limit?: number): Promise<LogEntry<T>[]>;
  /** Flushes pending writes and releases locks and timers. */
  close(): Promise<void>;
}

/** Status of a session. */
export const SESSION_STATES = ["active", "expired", "terminated"] as const;
/** A session status. */
export type SessionState = (typeof SESSION_STATES)[number];

/** Schema of one command-history entry. */
export const commandHistoryEntrySchema = z.object({
  executionId: z.string(),
  commandId: z.string(),
  providerId: z.string(),
  instanceId: z.string().optional(),
  userId: z.string(),
  /** Parameters with sensitive values redacted. */
  params: z.record(z.string(), z.unknown()),
  status: z.enum(["succeeded", "failed", "cancelled", "denied", "pending"]),
  dryRun: z.boolean(),
  startedAt: z.number(),
  duration: z.number(),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  affectedResources: z.array(z.string()).default([]),
});
/** One command-history entry. */
export type CommandHistoryEntry = z.infer<typeof commandHistoryEntrySchema>;

/** Schema of an operation waiting for approval or confirmation. */
export const pendingOperationSchema = z.object({
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
  params: z.record(z.string(), z.unknown()),
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
});
/** An operation waiting for approval or confirmation. */
export type PendingOperation = z.infer<typeof pendingOperationSchema>;

/** Schema of a resource a session tracks. */
export const sessionResourceSchema = z.object({
  id: z.string(),
  type: z.string(),
  providerId: z.string(),
  name: z.string().optional(),
  updatedAt: z.number(),
});
/** A resource a session tracks. */
export type SessionResource = z.infer<typeof sessionResourceSchema>;

/** Schema of a session. */
export const infrastructureSessionSchema = z.object({
  id: z.string().min(1),
  userId: z.string().min(1),
  state: z.enum(SESSION_STATES),
  environment: z.string().default("development"),
  providerId: z.string().optional(),
  instanceId: z.string().optional(),
  auth: providerAuthSchema.optional(),
  resources: z.record(z.string(), sessionResourceSchema).default({}),
  variables: z.record(z.string(), z.unknown()).default({}),
  pendingOperations: z.array(pendingOperationSchema).default([]),
  history: z.array(commandHistoryEntrySchema).default([]),
  metadata: z.record(z.string(), z.unknown()).default({}),
  createdAt: z.number(),
  lastActivityAt: z.number(),
  expiresAt: z.number(),
});
/** A session: provider context, auth, resources, variables, pending operations and history. */
export type InfrastructureSession = z.infer<typeof infrastructureSessionSchema>;

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
  /** Appends to the session's history, trimming to the history limits. */
  appendHistory(sessionId: string, entry: CommandHistoryEntry): Promise<void>;
  addPendingOperation(sessionId: string, operation: PendingOperation): Promise<void>;
  /**
   * Marks a pending operation as held by `claim` unless another live claim holds it (an expired
   * claim counts as abandoned). Works in any session state: the caller decides what may run.
   */
  claimPendingOperation(sessionId: string, operationId: string, claim: PendingClaim): Promise<ClaimResult>;
  /** Removes a pending operation held by `claimId`; false when it is gone or held by another claim. */
  completePendingOperation(sessionId: string, operationId: string, claimId: string): Promise<boolean>;
  /** Drops the claim `claimId` (applying `update`) so the operation waits again; false when not held by it. */
  releasePendingOperation(sessionId: string, operationId: string, claimId: string, update?: PendingUpdate): Promise<boolean>;
  /** Records resources a command touched. */
  trackResources(sessionId: string, resources: readonly z.input<typeof sessionResourceSchema>[]): Promise<void>;
  /** Stops tracking resources a command deleted (optional: a store without it keeps them listed). */
  forgetResources?(sessionId: string, resourceIds: readonly string[]): Promise<void>;
}
