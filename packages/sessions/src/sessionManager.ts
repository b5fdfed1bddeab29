import { randomUUID } from "node:crypto";
import { z } from "zod";
import {
  clampTimerDelay,
  commandConfigSchema,
  commandHistoryEntrySchema,
  createEventBus,
  createNoopLogger,
  frozenJsonCopy,
  InfrastructureError,
  isCommandHistoryEntry,
  isRedacted,
  isInfrastructureError,
  MAX_TIMER_MS,
  NotFoundError,
  pendingOperationSchema,
  redactSecretRecord,
  securityConfigSchema,
  sessionConfigSchema,
  sessionResourceSchema,
  StorageError,
  ValidationError,
} from "@espada/infra-core";
import type {
  CommandHistoryEntry,
  CommandHistoryEntryInput,
  HistoryQuery,
  InfrastructureEventBus,
  InfrastructureLogger,
  InfrastructureSession,
  ClaimResult,
  JsonObject,
  PendingClaim,
  PendingOperation,
  PendingOperationInput,
  PendingUpdate,
  SessionResource,
  SessionState,
  SessionStore,
} from "@espada/infra-core";
import { parseCreateInput, parseJsonObject } from "./createInput.js";
import type { CreateSessionInput } from "./createInput.js";
import { parseOptions } from "./problems.js";
import type { StoreProblem } from "./problems.js";
import { FileSessionStorage, InMemorySessionStorage, writeOwnSession } from "./sessionStorage.js";
import { frozenJsonCopySharing } from "./sharedCopy.js";
import type { SessionStorage, VersionedSession } from "./sessionStorage.js";

const DAY_MS = 86_400_000;
const MAX_CAS_ATTEMPTS = 32;

/**
 * Schema of the serialisable options of {@link InfrastructureSessionManager}: core's
 * `sessionConfig`, `commandConfig` and `securityConfig` sections (the manager reads
 * `commandConfig.history` and `securityConfig.encryption`, key options included: core owns them all)
 * plus the manager's own settings.
 */
export const sessionManagerConfigSchema = z.object({
  sessionConfig: sessionConfigSchema.prefault({}),
  commandConfig: commandConfigSchema.prefault({}),
  securityConfig: securityConfigSchema.prefault({}),
  /** State directory of the file storage (required when `persistState` is true and no storage is given). */
  stateDirectory: z.string().min(1).optional(),
  /** How long a terminated or expired session stays readable before it is purged (ms). */
  endedSessionRetentionMs: z.number().int().positive().default(DAY_MS),
  /** Lock staleness of the state directory (ms, 2000 … 2^31 − 1). */
  lockStaleMs: z.number().int().min(2000).max(MAX_TIMER_MS).default(30_000),
});
/** The manager's config after defaults. */
export type SessionManagerConfig = z.output<typeof sessionManagerConfigSchema>;

/** Options of {@link InfrastructureSessionManager}. */
export type SessionManagerOptions = z.input<typeof sessionManagerConfigSchema> & {
  /** Session storage to use instead of the one `persistState` selects. */
  readonly storage?: SessionStorage;
  /** Event bus to emit `session:*` on (one is created when omitted). */
  readonly events?: InfrastructureEventBus;
  /** Logger (never given a credential). */
  readonly logger?: InfrastructureLogger;
  /** Clock (epoch ms). */
  readonly now?: () => number;
  /** Environment to read the encryption key from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Told about each stored record that could not be loaded. */
  readonly onProblem?: (problem: StoreProblem) => void;
};

/** Filters of {@link InfrastructureSessionManager.listSessions}; all given ones must match. */
export interface SessionFilter {
  readonly userId?: string;
  readonly state?: SessionState;
  readonly environment?: string;
  readonly providerId?: string;
  readonly instanceId?: string;
}

/** A handle on one session: the spec's `session.extend()` and friends. */
export interface SessionHandle {
  readonly id: string;
  /** The session as stored now (undefined once purged). */
  get(): Promise<InfrastructureSession | undefined>;
  /** Pushes the expiry back by `ms` (default `sessionConfig.timeout`). */
  extend(ms?: number): Promise<InfrastructureSession>;
  /** Merges variables. */
  setVariables(variables: Readonly<Record<string, unknown>>): Promise<InfrastructureSession>;
  /** Marks the session active again and emits `session:activated`. */
  activate(): Promise<InfrastructureSession>;
  /** Ends the session and emits `session:terminated`. */
  terminate(reason?: string): Promise<InfrastructureSession>;
}

/** A session's coalesced `lastActivityAt` touch: the newest time asked for, the write in flight, the one queued after it. */
interface TouchState {
  at: number;
  running: Promise<void> | undefined;
  queued: Promise<void> | undefined;
}

/**
 * A change of a session: the next session to write (none: nothing to write) and the result.
 * `own`: `next` is built as a store would copy it (deeply frozen; its objects frozen copies or the
 * given session's own), written with `writeOwnSession`.
 */
type Mutation<R> = (
  session: InfrastructureSession,
  now: number,
) => { next?: InfrastructureSession; result: R; own?: boolean };

/** The resources of a new session (shared: frozen, as a copy of `{}` is). */
const EMPTY_RESOURCES: InfrastructureSession["resources"] = Object.freeze({});
/** The pending operations of a new session (shared: frozen, as a copy of `[]` is). */
const NO_OPERATIONS = Object.freeze([]) as unknown as PendingOperation[];

/**
 * A new session, built as a store would copy it: deeply frozen, the caller's parts copied (an
 * empty object shared, as the store's copy shares it), so a memory store keeps it as it is (see
 * `writeOwnSession`). The common session (no provider, instance or auth) is one literal: all of
 * its fields in the object itself (no separate property array per session kept).
 */
function newSession(
  id: string,
  parsed: ReturnType<typeof parseCreateInput>,
  now: number,
  expiresAt: number,
): InfrastructureSession {
  const { userId, environment, providerId, instanceId, auth } = parsed;
  const variables = frozenJsonCopySharing(parsed.variables, undefined, "variables") as JsonObject;
  const metadata = frozenJsonCopySharing(parsed.metadata, undefined, "metadata") as JsonObject;
  if (providerId === undefined && instanceId === undefined && auth === undefined) {
    return Object.freeze({
      id,
      userId,
      state: "active",
      environment,
      resources: EMPTY_RESOURCES,
      variables,
      pendingOperations: NO_OPERATIONS,
      metadata,
      createdAt: now,
      lastActivityAt: now,
      expiresAt,
    });
  }
  return Object.freeze({
    id,
    userId,
    state: "active",
    environment,
    ...(providerId === undefined ? {} : { providerId }),
    ...(instanceId === undefined ? {} : { instanceId }),
    ...(auth === undefined
      ? {}
      : { auth: frozenJsonCopy(auth, "auth") as unknown as NonNullable<InfrastructureSession["auth"]> }),
    resources: EMPTY_RESOURCES,
    variables,
    pendingOperations: NO_OPERATIONS,
    metadata,
    createdAt: now,
    lastActivityAt: now,
    expiresAt,
  });
}

/** A time a store keeps as it is: finite, and not -0 (which a copy makes 0). */
const isJsonTime = (ms: number): boolean => Number.isFinite(ms) && !Object.is(ms, -0);

/**
 * A new session id: a random UUID as one flat string. Node builds `randomUUID()`'s text as a rope of
 * ~20 concatenated pieces, which every map holding the id (the active set, the store's table, the
 * key-name cache) keeps alive — ~490 bytes per id against ~70 flat — and which is slower to hash;
 * `toLowerCase` (a no-op on a UUID's text) hands back a flat string.
 */
function newSessionId(): string {
  return randomUUID().toLowerCase();
}

function invalid(field: string, message: string): ValidationError {
  return new ValidationError(`${field}: ${message}`, [{ code: "INVALID_VALUE", message, path: field }]);
}

/**
 * Stateful sessions for infrastructure operations: provider context, auth, resources, variables,
 * pending operations and command history, with a TTL, a `maxConcurrent` cap and a sweep every
 * `cleanupInterval` that expires sessions. Implements core's `SessionStore` for the executor.
 * Every change is a compare-and-set on the stored version, so two managers over one store never
 * lose an update and a pending operation is taken exactly once.
 */
export class InfrastructureSessionManager implements SessionStore {
  /** The bus `session:*` events are emitted on. */
  readonly events: InfrastructureEventBus;
  /** The parsed config (defaults applied). */
  readonly config: SessionManagerConfig;
  private readonly options: SessionManagerOptions;
  private readonly logger: InfrastructureLogger;
  private readonly now: () => number;
  private storage: SessionStorage | undefined;
  /**
   * The storage once started and until shut down: the hot paths take it without awaiting
   * {@link ready} (an await per call costs more than the rest of a memory read).
   */
  private opened: SessionStorage | undefined;
  private starting: Promise<SessionStorage> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Active sessions this manager knows of: id → expiresAt (for `maxConcurrent`). */
  private readonly active = new Map<string, number>();
  /** `lastActivityAt` touches in flight, per session (see {@link touch}). */
  private readonly touches = new Map<string, TouchState>();

  constructor(options: SessionManagerOptions = {}) {
    this.config = parseOptions(sessionManagerConfigSchema, options, "session manager options");
    if (
      options.storage === undefined &&
      this.config.sessionConfig.persistState &&
      this.config.stateDirectory === undefined
    ) {
      throw invalid(
        "stateDirectory",
        "is required when sessionConfig.persistState is true and no storage is given",
      );
    }
    this.options = options;
    this.events = options.events ?? createEventBus();
    this.logger = (options.logger ?? createNoopLogger()).child("sessions");
    this.now = options.now ?? (() => Date.now());
  }

  /** Opens the storage, loads the active sessions and starts the sweep; later calls are no-ops. */
  async initialize(): Promise<void> {
    await this.ready();
  }

  /** Records of the storage that could not be loaded (reported, skipped). */
  get problems(): readonly StoreProblem[] {
    return this.storage?.problems ?? [];
  }

  /** Creates an active session; `LIMIT_EXCEEDED` when `maxConcurrent` sessions are active already. */
  async createSession(input: CreateSessionInput): Promise<InfrastructureSession> {
    const storage = this.opened ?? (await this.ready());
    const parsed = parseCreateInput(input);
    const now = this.now();
    this.reserveSlot();
    const id = newSessionId();
    const expiresAt = now + (parsed.timeout ?? this.config.sessionConfig.timeout);
    const session = newSession(id, parsed, now, expiresAt);
    this.active.set(id, expiresAt);
    let written: VersionedSession | undefined;
    try {
      written = await (isJsonTime(now) && isJsonTime(expiresAt)
        ? writeOwnSession(storage, session, 0)
        : storage.write(session, 0));
    } catch (error) {
      this.active.delete(id);
      throw error;
    }
    if (written === undefined) {
      this.active.delete(id);
      throw new StorageError("CONFLICT", `Session "${id}" already exists`);
    }
    this.logger.info("Session created", {
      sessionId: id,
      userId: session.userId,
      environment: session.environment,
    });
    this.events.emit("session:created", { sessionId: id, userId: session.userId, timestamp: now });
    return written.session;
  }

  /** Reads a session (any state); an active session past its expiry is expired first. */
  async getSession(sessionId: string): Promise<InfrastructureSession | undefined> {
    const storage = this.opened ?? (await this.ready());
    const found = await storage.get(sessionId);
    const now = this.now();
    if (found === undefined || this.isGone(found, now)) return undefined;
    if (found.session.state === "active" && now >= found.session.expiresAt) return this.expire(sessionId);
    return found.session;
  }

  /** Sessions matching every given filter, oldest first. */
  async listSessions(filter: SessionFilter = {}): Promise<InfrastructureSession[]> {
    const storage = await this.ready();
    const now = this.now();
    const out: InfrastructureSession[] = [];
    for (const found of await storage.list()) {
      if (this.isGone(found, now)) continue;
      const session = found.session;
      const current =
        session.state === "active" && now >= session.expiresAt
          ? ((await this.expire(session.id)) ?? session)
          : session;
      if (filter.userId !== undefined && current.userId !== filter.userId) continue;
      if (filter.state !== undefined && current.state !== filter.state) continue;
      if (filter.environment !== undefined && current.environment !== filter.environment) continue;
      if (filter.providerId !== undefined && current.providerId !== filter.providerId) continue;
      if (filter.instanceId !== undefined && current.instanceId !== filter.instanceId) continue;
      out.push(current);
    }
    return out.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  /** Merges (or with `replace`, replaces) the variables of an active session. */
  async updateVariables(
    sessionId: string,
    variables: Readonly<Record<string, unknown>>,
    options: { readonly replace?: boolean } = {},
  ): Promise<InfrastructureSession> {
    if (typeof variables !== "object" || variables === null || Array.isArray(variables))
      throw invalid("variables", "must be an object");
    const parsed = parseJsonObject(variables, "variables");
    // `return await`: resolving an async function with a promise takes two more turns than awaiting it
    return await this.mutateActive(sessionId, (s, now) => {
      // the stored session's objects kept, the caller's copied: what the store would keep
      const next: InfrastructureSession = Object.freeze({
        ...s,
        variables: (options.replace === true
          ? frozenJsonCopy(parsed, "variables")
          : frozenJsonCopySharing({ ...s.variables, ...parsed }, s.variables, "variables")) as JsonObject,
        lastActivityAt: now,
      });
      return { next, result: next, own: isJsonTime(now) };
    });
  }

  /** Records resources a command touched (core `SessionStore`). */
  async trackResources(
    sessionId: string,
    resources: readonly z.input<typeof sessionResourceSchema>[],
  ): Promise<void> {
    const parsed = parseOptions(z.array(sessionResourceSchema), resources, "resources");
    await this.updateResources(sessionId, parsed);
  }

  /** Stops tracking resources a command deleted (core `SessionStore`). */
  async forgetResources(sessionId: string, resourceIds: readonly string[]): Promise<void> {
    const parsed = parseOptions(z.array(z.string()), resourceIds, "resourceIds");
    await this.updateResources(sessionId, [], parsed);
  }

  /** Adds or replaces resources (by id) and removes the ids in `remove`. */
  async updateResources(
    sessionId: string,
    upsert: readonly SessionResource[],
    remove: readonly string[] = [],
  ): Promise<InfrastructureSession> {
    const parsed = parseOptions(z.array(sessionResourceSchema), upsert, "resources");
    return this.mutateActive(sessionId, (s, now) => {
      const resources: Record<string, SessionResource> = { ...s.resources };
      for (const id of remove) delete resources[id];
      for (const resource of parsed) resources[resource.id] = resource;
      const next = { ...s, resources, lastActivityAt: now };
      return { next, result: next };
    });
  }

  /** Pushes the expiry of an active session back by `ms` (default `sessionConfig.timeout`). */
  async extendSession(
    sessionId: string,
    ms: number = this.config.sessionConfig.timeout,
  ): Promise<InfrastructureSession> {
    if (!Number.isInteger(ms) || ms <= 0) throw invalid("ms", "must be a positive integer");
    const session = await this.mutateActive(sessionId, (s, now) => {
      const next = { ...s, expiresAt: Math.max(s.expiresAt, now) + ms, lastActivityAt: now };
      return { next, result: next };
    });
    this.active.set(session.id, session.expiresAt);
    return session;
  }

  /**
   * Makes a session the active one again: an active session is touched, an expired one reopens
   * with a fresh `timeout` (subject to `maxConcurrent`). Emits `session:activated`. A terminated
   * session cannot be activated (`ILLEGAL_TRANSITION`).
   */
  async activateSession(sessionId: string): Promise<InfrastructureSession> {
    await this.ready();
    let reserved = false;
    try {
      const session = await this.mutate(sessionId, (s, now) => {
        if (s.state === "terminated") {
          throw new InfrastructureError(
            "ILLEGAL_TRANSITION",
            `Session "${s.id}" is terminated and cannot be activated`,
            { field: "sessionId" },
          );
        }
        const reopening = s.state !== "active" || now >= s.expiresAt;
        if (reopening && !reserved && !this.active.has(s.id)) {
          this.reserveSlot();
          reserved = true;
        }
        const next: InfrastructureSession = reopening
          ? { ...s, state: "active", expiresAt: now + this.config.sessionConfig.timeout, lastActivityAt: now }
          : { ...s, lastActivityAt: now };
        return { next, result: next };
      });
      this.active.set(session.id, session.expiresAt);
      this.events.emit("session:activated", { sessionId, userId: session.userId, timestamp: this.now() });
      return session;
    } catch (error) {
      if (reserved) this.active.delete(sessionId);
      throw error;
    }
  }

  /** Ends a session (kept readable for `endedSessionRetentionMs`) and emits `session:terminated`. */
  async terminateSession(sessionId: string, reason = "terminated"): Promise<InfrastructureSession> {
    const session = await this.mutate(sessionId, (s, now) => {
      if (s.state === "terminated") return { result: s };
      const next: InfrastructureSession = { ...s, state: "terminated", lastActivityAt: now };
      return { next, result: next };
    });
    this.active.delete(sessionId);
    this.logger.info("Session terminated", { sessionId, userId: session.userId, reason });
    this.events.emit("session:terminated", {
      sessionId,
      userId: session.userId,
      reason,
      timestamp: this.now(),
    });
    return session;
  }

  /**
   * Appends to a session's command history (core `SessionStore`): one append to the session's
   * history log, O(1) whatever the history's length; never dropped once resolved; in call order.
   * An active session's `lastActivityAt` is moved to the time of the append by a write of the
   * session record (which holds no history), running beside the append and shared by the appends
   * that arrive while it is in flight. Every `trimEvery` entries the log is trimmed to `maxEntries`
   * and `retentionDays` (`commandConfig.history`). `NOT_FOUND` when the session does not exist,
   * `VALIDATION_FAILED` naming the field when the entry is invalid; nothing when history is disabled.
   */
  async appendHistory(sessionId: string, entry: CommandHistoryEntryInput): Promise<void> {
    const history = this.config.commandConfig.history;
    if (!history.enabled) return;
    if (typeof sessionId !== "string" || sessionId.length === 0)
      throw invalid("sessionId", "must be a non-empty string");
    // one entry per command: the generated shape check, and neither a redacted copy (an entry whose
    // secrets are redacted already, as the executor's are, is kept as it is: the store copies it)
    // nor the schema unless they are needed
    let parsed: CommandHistoryEntry;
    if (isCommandHistoryEntry(entry) && isRedacted(entry.params)) parsed = entry;
    else {
      const redacted = { ...entry, params: redactSecretRecord(entry.params) };
      parsed = isCommandHistoryEntry(redacted)
        ? redacted
        : parseOptions(commandHistoryEntrySchema, redacted, "history entry");
    }
    const storage = await this.ready();
    const found = await storage.get(sessionId);
    const now = this.now();
    if (found === undefined || this.isGone(found, now))
      throw new NotFoundError("session", sessionId, { field: "sessionId" });
    // the session's last activity moves only when it is older than this append (else a touch would
    // read the session again to change nothing)
    const touched =
      found.session.state === "active" && found.session.lastActivityAt < now
        ? this.touch(sessionId, now)
        : undefined;
    const position = await storage.appendHistory(sessionId, parsed).catch((error: unknown) => {
      if (isInfrastructureError(error)) throw error;
      throw new StorageError("STORAGE_FAILED", `Could not append to the history of session "${sessionId}"`, {
        cause: error,
        field: "sessionId",
      });
    });
    await touched;
    if ((position + 1) % this.trimEvery !== 0) return;
    const olderThan = this.now() - history.retentionDays * DAY_MS;
    await storage
      .trimHistory(sessionId, { maxEntries: history.maxEntries, olderThan })
      .catch((error: unknown) => {
        // the entry is stored; the next trim retries, and reads apply the limits meanwhile
        this.logger.warn("Could not trim a session history", { sessionId, error });
      });
  }

  /**
   * A session's command history, oldest first: at most `maxEntries` (and `query.limit`) newest
   * entries started within `retentionDays` (core `SessionStore`). `NOT_FOUND` for an unknown session.
   */
  async getHistory(sessionId: string, query: HistoryQuery = {}): Promise<CommandHistoryEntry[]> {
    if (typeof sessionId !== "string" || sessionId.length === 0)
      throw invalid("sessionId", "must be a non-empty string");
    const limit = query.limit;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
      throw invalid("limit", "must be an integer >= 1");
    const storage = await this.ready();
    const found = await storage.get(sessionId);
    if (found === undefined || this.isGone(found, this.now()))
      throw new NotFoundError("session", sessionId, { field: "sessionId" });
    const history = this.config.commandConfig.history;
    const cutoff = this.now() - history.retentionDays * DAY_MS;
    const keep = Math.min(history.maxEntries, limit ?? Number.POSITIVE_INFINITY);
    const out: CommandHistoryEntry[] = [];
    const stored = await storage.readHistory(sessionId);
    for (let i = stored.length - 1; i >= 0 && out.length < keep; i--) {
      const parsed = commandHistoryEntrySchema.safeParse((stored[i] as (typeof stored)[number]).value);
      if (!parsed.success) {
        this.logger.warn("Skipped an unreadable history entry", { sessionId, position: stored[i]?.position });
        continue;
      }
      if (parsed.data.startedAt < cutoff) break;
      out.push(parsed.data);
    }
    return out.reverse();
  }

  /** Stores an operation waiting for approval or confirmation (params encrypted at rest); resolves with it as stored. */
  async addPendingOperation(sessionId: string, operation: PendingOperationInput): Promise<PendingOperation> {
    const parsed = parseOptions(pendingOperationSchema, operation, "pending operation");
    await this.mutateActive(sessionId, (s, now) => {
      if (s.pendingOperations.some((op) => op.id === parsed.id)) {
        throw new InfrastructureError("ALREADY_EXISTS", `Pending operation "${parsed.id}" already exists`, {
          field: "operation.id",
        });
      }
      return {
        next: { ...s, pendingOperations: [...s.pendingOperations, parsed], lastActivityAt: now },
        result: undefined,
      };
    });
    return parsed;
  }

  /**
   * Holds a pending operation for one resume: exactly one of several racing callers gets it
   * (compare-and-set on the session record). A claim past its `until` is abandoned and may be taken.
   * Works whatever the session's state; the executor decides what may run.
   */
  async claimPendingOperation(
    sessionId: string,
    operationId: string,
    claim: PendingClaim,
  ): Promise<ClaimResult> {
    return this.mutate<ClaimResult>(sessionId, (s, now) => {
      const op = s.pendingOperations.find((o) => o.id === operationId);
      if (op === undefined) return { result: { ok: false, reason: "not-found" } };
      if (op.claim !== undefined && op.claim.until > now) return { result: { ok: false, reason: "claimed" } };
      const held: PendingOperation = { ...op, claim: { id: claim.id, at: now, until: claim.until } };
      const pendingOperations = s.pendingOperations.map((o) => (o === op ? held : o));
      return {
        next: { ...s, pendingOperations, lastActivityAt: now },
        result: { ok: true, operation: held },
      };
    }).catch((error: unknown) => {
      if (error instanceof NotFoundError) return { ok: false, reason: "not-found" } as const;
      throw error;
    });
  }

  /** Removes a pending operation held by `claimId` (it runs now or was refused for good); false when not held by it. */
  async completePendingOperation(sessionId: string, operationId: string, claimId: string): Promise<boolean> {
    return this.mutate(sessionId, (s, now) => {
      const op = s.pendingOperations.find((o) => o.id === operationId);
      if (op?.claim?.id !== claimId) return { result: false };
      return {
        next: { ...s, pendingOperations: s.pendingOperations.filter((o) => o !== op), lastActivityAt: now },
        result: true,
      };
    }).catch((error: unknown) => {
      if (error instanceof NotFoundError) return false;
      throw error;
    });
  }

  /** Drops the claim `claimId` so the operation waits again, applying `update`; false when not held by it. */
  async releasePendingOperation(
    sessionId: string,
    operationId: string,
    claimId: string,
    update: PendingUpdate = {},
  ): Promise<boolean> {
    return this.mutate(sessionId, (s, now) => {
      const op = s.pendingOperations.find((o) => o.id === operationId);
      if (op?.claim?.id !== claimId) return { result: false };
      const { claim: _released, ...rest } = op;
      const waiting: PendingOperation = { ...rest, ...definedOnly(update) };
      const pendingOperations = s.pendingOperations.map((o) => (o === op ? waiting : o));
      return { next: { ...s, pendingOperations, lastActivityAt: now }, result: true };
    }).catch((error: unknown) => {
      if (error instanceof NotFoundError) return false;
      throw error;
    });
  }

  /** Removes and returns a pending operation without running it (cancels it); exactly one of several racing callers gets it. */
  async takePendingOperation(sessionId: string, operationId: string): Promise<PendingOperation | undefined> {
    return this.mutate(sessionId, (s, now) => {
      const op = s.pendingOperations.find((o) => o.id === operationId);
      if (op === undefined) return { result: undefined };
      return {
        next: { ...s, pendingOperations: s.pendingOperations.filter((o) => o !== op), lastActivityAt: now },
        result: op,
      };
    }).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
  }

  /**
   * Expires every active session past its expiry, emitting `session:expired`, and removes ended
   * sessions past `endedSessionRetentionMs` with their history; resolves with how many expired.
   */
  async cleanupExpiredSessions(): Promise<number> {
    const storage = await this.ready();
    const now = this.now();
    let expired = 0;
    for (const found of await storage.list()) {
      const session = found.session;
      if (this.isGone(found, now)) await this.purge(storage, session.id);
      else if (session.state === "active" && now >= session.expiresAt) {
        if ((await this.expire(session.id, true)) !== undefined) expired++;
      }
    }
    return expired;
  }

  /** A handle on a session offering `extend()`, `activate()`, `terminate()`… */
  session(sessionId: string): SessionHandle {
    return {
      id: sessionId,
      get: () => this.getSession(sessionId),
      extend: (ms?: number) => this.extendSession(sessionId, ms),
      setVariables: (variables) => this.updateVariables(sessionId, variables),
      activate: () => this.activateSession(sessionId),
      terminate: (reason?: string) => this.terminateSession(sessionId, reason),
    };
  }

  /** Stops the sweep and closes the storage (flushing pending writes); safe to call twice. */
  async shutdown(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.opened = undefined;
    if (this.closed) return;
    this.closed = true;
    const starting = this.starting;
    if (starting === undefined) return;
    const storage = await starting.catch(() => undefined);
    if (storage !== undefined && this.options.storage === undefined) await storage.close();
  }

  /** Same as {@link shutdown}. */
  async close(): Promise<void> {
    await this.shutdown();
  }

  private ready(): Promise<SessionStorage> {
    if (this.closed)
      return Promise.reject(new InfrastructureError("SHUTDOWN", "The session manager is shut down"));
    this.starting ??= this.start();
    return this.starting;
  }

  private async start(): Promise<SessionStorage> {
    const config = this.config;
    const storage =
      this.options.storage ??
      (config.sessionConfig.persistState
        ? await FileSessionStorage.open({
            directory: config.stateDirectory ?? "",
            lockStaleMs: config.lockStaleMs,
            encryption: config.securityConfig.encryption,
            ...(this.options.env === undefined ? {} : { env: this.options.env }),
            ...(this.options.now === undefined ? {} : { now: this.options.now }),
            ...(this.options.onProblem === undefined ? {} : { onProblem: this.options.onProblem }),
          })
        : new InMemorySessionStorage(this.options.now === undefined ? {} : { now: this.options.now }));
    this.storage = storage;
    for (const problem of storage.problems) {
      const message =
        problem.kind === "permissions" ? problem.error.message : "Stored record could not be loaded";
      this.logger.warn(message, { kind: problem.kind, key: problem.key, error: problem.error });
    }
    const now = this.now();
    for (const { session } of await storage.list()) {
      if (session.state === "active" && now < session.expiresAt)
        this.active.set(session.id, session.expiresAt);
    }
    await this.migrateInlineHistory(storage);
    if (this.closed) {
      if (this.options.storage === undefined) await storage.close();
      throw new InfrastructureError("SHUTDOWN", "The session manager was shut down while starting");
    }
    // a Node timer fires a delay past 2^31 − 1 ms after 1 ms: clamp a huge cleanupInterval instead
    this.timer = setInterval(() => {
      this.cleanupExpiredSessions().catch((error: unknown) =>
        this.logger.error("Session sweep failed", { error }),
      );
    }, clampTimerDelay(config.sessionConfig.cleanupInterval));
    this.timer.unref();
    this.opened = storage;
    return storage;
  }

  /**
   * Moves `lastActivityAt` of a session forward to `at` (never back). Touches of one session are
   * coalesced: while a write is in flight, later touches share ONE following write carrying the
   * newest time. Never rejects: a failed touch is logged (the history entry it follows is stored).
   */
  private touch(sessionId: string, at: number): Promise<void> {
    let state = this.touches.get(sessionId);
    if (state === undefined) {
      state = { at, running: undefined, queued: undefined };
      this.touches.set(sessionId, state);
    } else if (at > state.at) state.at = at;
    const current = state;
    if (current.queued !== undefined) return current.queued;
    if (current.running === undefined) {
      current.running = this.runTouch(sessionId, current);
      return current.running;
    }
    current.queued = current.running.then(() => {
      current.queued = undefined;
      current.running = this.runTouch(sessionId, current);
      return current.running;
    });
    return current.queued;
  }

  private async runTouch(sessionId: string, state: TouchState): Promise<void> {
    const at = state.at;
    try {
      await this.mutate(sessionId, (s) => {
        if (s.state !== "active" || s.lastActivityAt >= at) return { result: undefined };
        return { next: { ...s, lastActivityAt: at }, result: undefined };
      });
    } catch (error) {
      if (!(error instanceof NotFoundError) && !(isInfrastructureError(error) && error.code === "SHUTDOWN")) {
        this.logger.warn("Could not record the last activity of a session", { sessionId, error });
      }
    } finally {
      state.running = undefined;
      if (state.queued === undefined && this.touches.get(sessionId) === state) this.touches.delete(sessionId);
    }
  }

  /**
   * Moves the history of sessions stored in the earlier format (inline in the session record) into
   * their history logs, then rewrites each record without it. Safe to interrupt: entries already in
   * the log (a migration cut short by a crash) are not appended twice, and the record keeps its
   * inline history until every entry is in the log. Entries are redacted again with core's secret
   * predicate and parsed; an unreadable one is skipped and logged. A session that cannot be
   * migrated now is logged and keeps its record (the next start retries).
   */
  private async migrateInlineHistory(storage: SessionStorage): Promise<void> {
    const history = this.config.commandConfig.history;
    for (const inline of storage.inlineHistories?.() ?? []) {
      const sessionId = inline.sessionId;
      try {
        // entries a cut-short migration already moved: counted by identity, so none is appended twice
        const moved = new Map<string, number>();
        for (const { value } of await storage.readHistory(sessionId)) {
          const key = historyIdentity(value);
          moved.set(key, (moved.get(key) ?? 0) + 1);
        }
        const appends: Promise<number>[] = [];
        for (const [index, raw] of inline.entries.entries()) {
          const input = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
          const params =
            typeof input["params"] === "object" && input["params"] !== null
              ? redactSecretRecord(input["params"])
              : input["params"];
          const parsed = commandHistoryEntrySchema.safeParse({ ...input, params });
          if (!parsed.success) {
            this.logger.warn("Skipped an unreadable history entry while migrating a session", {
              sessionId,
              index,
            });
            continue;
          }
          const key = historyIdentity(parsed.data);
          const already = moved.get(key) ?? 0;
          if (already > 0) {
            moved.set(key, already - 1);
            continue;
          }
          appends.push(storage.appendHistory(sessionId, parsed.data)); // one batch, in order
        }
        await Promise.all(appends);
        if (history.enabled) {
          await storage.trimHistory(sessionId, {
            maxEntries: history.maxEntries,
            olderThan: this.now() - history.retentionDays * DAY_MS,
          });
        }
        // the decoded session has no inline history: writing it back ends the migration (a conflict
        // means another writer already wrote it back without the inline history)
        const current = await storage.get(sessionId);
        if (current !== undefined) await storage.write(current.session, current.version);
        this.logger.info("Moved a session's inline history into its history log", {
          sessionId,
          entries: inline.entries.length,
        });
      } catch (error) {
        this.logger.warn("Could not migrate the inline history of a session; the next start retries", {
          sessionId,
          error,
        });
      }
    }
  }

  /** History entries between two trims of a history log: an eighth of `maxEntries` (at least 1). */
  private get trimEvery(): number {
    return Math.max(1, Math.ceil(this.config.commandConfig.history.maxEntries / 8));
  }

  /** An ended session past `endedSessionRetentionMs` (counted from its last change) is gone: invisible, then purged. */
  private isGone(found: VersionedSession, now: number): boolean {
    return found.session.state !== "active" && now >= found.updatedAt + this.config.endedSessionRetentionMs;
  }

  /** Removes a gone session: its history log first, so that a crash in between leaves no orphan log. */
  private async purge(storage: SessionStorage, sessionId: string): Promise<void> {
    try {
      await storage.deleteHistory(sessionId);
      await storage.delete(sessionId);
    } catch (error) {
      this.logger.warn("Could not purge an ended session", { sessionId, error });
    }
  }

  /** Throws `LIMIT_EXCEEDED` when no slot is free (expired entries are dropped first). */
  private reserveSlot(): void {
    const max = this.config.sessionConfig.maxConcurrent;
    if (this.active.size < max) return;
    const now = this.now();
    for (const [id, expiresAt] of this.active) if (now >= expiresAt) this.active.delete(id);
    if (this.active.size >= max) {
      throw new InfrastructureError(
        "LIMIT_EXCEEDED",
        `At most ${max} sessions may be active at once (sessionConfig.maxConcurrent)`,
        {
          field: "sessionConfig.maxConcurrent",
          details: { maxConcurrent: max, active: this.active.size },
        },
      );
    }
  }

  /** Marks an active session past its expiry as expired (once, across managers) and emits `session:expired`. */
  private async expire(sessionId: string, fromSweep = false): Promise<InfrastructureSession | undefined> {
    let changed = false;
    const session = await this.mutate(sessionId, (s, now) => {
      if (s.state !== "active" || now < s.expiresAt) return { result: s };
      changed = true;
      const next = { ...s, state: "expired" as const };
      return { next, result: next };
    }).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    this.active.delete(sessionId);
    if (!changed || session === undefined) return fromSweep ? undefined : session;
    this.logger.info("Session expired", { sessionId, userId: session.userId });
    this.events.emit("session:expired", {
      sessionId,
      userId: session.userId,
      reason: "timeout",
      timestamp: this.now(),
    });
    return session;
  }

  private mutateActive<R>(sessionId: string, change: Mutation<R>): Promise<R> {
    return this.mutate(sessionId, (s, now) => {
      if (s.state !== "active" || now >= s.expiresAt) {
        const state = s.state === "active" ? "expired" : s.state;
        throw new InfrastructureError(
          "NOT_ACTIVE",
          `Session "${s.id}" is ${state}; extend or activate it first`,
          {
            field: "sessionId",
            details: { sessionId: s.id, state },
          },
        );
      }
      return change(s, now);
    });
  }

  /** Read, change, compare-and-set; retried when another writer got in between. */
  private async mutate<R>(sessionId: string, change: Mutation<R>): Promise<R> {
    if (typeof sessionId !== "string" || sessionId.length === 0)
      throw invalid("sessionId", "must be a non-empty string");
    const storage = this.opened ?? (await this.ready());
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await storage.get(sessionId);
      const now = this.now();
      if (current === undefined || this.isGone(current, now))
        throw new NotFoundError("session", sessionId, { field: "sessionId" });
      const step = change(current.session, now);
      if (step.next === undefined) return step.result;
      const written = await (step.own === true
        ? writeOwnSession(storage, step.next, current.version)
        : storage.write(step.next, current.version));
      // a change that answers with the new session answers with the one stored (deeply frozen)
      if (written !== undefined) return step.result === step.next ? (written.session as R) : step.result;
    }
    throw new StorageError(
      "CONFLICT",
      `Session "${sessionId}" kept changing; gave up after ${MAX_CAS_ATTEMPTS} attempts`,
    );
  }
}

/** What identifies a history entry when a migration checks which ones it moved already. */
function historyIdentity(value: unknown): string {
  const entry = (typeof value === "object" && value !== null ? value : {}) as Partial<
    Record<"executionId" | "status" | "startedAt" | "commandId", unknown>
  >;
  return JSON.stringify([entry.executionId, entry.status, entry.startedAt, entry.commandId]);
}

/** `update` without its undefined keys (exactOptionalPropertyTypes). */
function definedOnly(update: PendingUpdate): PendingUpdate {
  return Object.fromEntries(Object.entries(update).filter(([, value]) => value !== undefined));
}

/** Creates an {@link InfrastructureSessionManager} and waits until its storage is loaded. */
export async function createInfrastructureSessionManager(
  options: SessionManagerOptions = {},
): Promise<InfrastructureSessionManager> {
  const manager = new InfrastructureSessionManager(options);
  await manager.initialize();
  return manager;
}
