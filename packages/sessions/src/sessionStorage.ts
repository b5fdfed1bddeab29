import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import {
  frozenJsonCopy,
  infrastructureSessionSchema,
  InfrastructureError,
  isInfrastructureError,
  isInfrastructureSession,
  ValidationError,
} from "@espada/infra-core";
import type {
  CommandHistoryEntry,
  InfrastructureSession,
  JsonValue,
  LogEntry,
  PendingOperation,
  StateStore,
  StoredRecord,
  TrimOptions,
} from "@espada/infra-core";
import { FileStateStore } from "./fileStateStore.js";
import type { FileStateStoreOptions } from "./fileStateStore.js";
import { EngineStateStore, engineOf } from "./engineStore.js";
import { EncryptionKeyring, isSealedValue } from "./keyring.js";
import type { KeyringOptions, SealedValue } from "./keyring.js";
import { InMemoryStateStore } from "./memoryStateStore.js";
import { toIssues } from "./problems.js";
import type { ProblemListener, StoreProblem } from "./problems.js";

/** Key prefix of session records in a state store. */
export const SESSION_KEY_PREFIX = "sessions/";
/** Name prefix of the session history logs in a state store (`history/<sessionId>`). */
export const HISTORY_LOG_PREFIX = "history/";

/** Most ids whose names one cache of {@link cachedName} keeps (cleared when full). */
const NAME_CACHE_LIMIT = 4_096;
const sessionKeys = new Map<string, string>();
const historyLogs = new Map<string, string>();

/**
 * `prefix + id`, built once per id (one cache per prefix: a session never used with a history
 * builds no history name). A key concatenated anew is a new string that every map it is looked up
 * in (the store's tables, its log states, the decode cache) flattens and hashes again: ~1 µs a
 * lookup on Node 20, against ~0.1 µs for a string seen before, and a command looks its session up
 * three or four times.
 */
function cachedName(cache: Map<string, string>, prefix: string, id: string): string {
  let found = cache.get(id);
  if (found === undefined) {
    if (cache.size >= NAME_CACHE_LIMIT) cache.clear();
    found = prefix + id;
    cache.set(id, found);
  }
  return found;
}

/** `sessions/<id>`: the key of a session record. */
const sessionKey = (id: string): string => cachedName(sessionKeys, SESSION_KEY_PREFIX, id);
/** `history/<id>`: the name of a session's history log. */
const historyLog = (id: string): string => cachedName(historyLogs, HISTORY_LOG_PREFIX, id);

/** The session {@link writeOwnSession} is writing, during its synchronous call of `write` only. */
let vouched: InfrastructureSession | undefined;

/**
 * `storage.write(session, expectedVersion)` of a session the manager built itself: deeply frozen
 * JSON whose every object is a frozen copy (`frozenJsonCopy` of the caller's data) or an object of
 * the session this storage handed out for the change. A memory storage stores it as it is (see
 * `ownWrites`) instead of copying it again; any other storage writes it as usual.
 */
export function writeOwnSession(
  storage: SessionStorage,
  session: InfrastructureSession,
  expectedVersion: number,
): Promise<VersionedSession | undefined> {
  vouched = session;
  try {
    return storage.write(session, expectedVersion);
  } finally {
    vouched = undefined; // a storage that does not look (or throws first) leaves nothing vouched
  }
}

/** The v1 record of a session built by the manager (see {@link writeOwnSession}), frozen like a copy. */
function ownRecord(session: InfrastructureSession): JsonValue {
  return Object.freeze({ v: 1, session });
}

/** A session with the store version it was read at (for compare-and-set). */
export interface VersionedSession {
  /** The session, deeply frozen (it is shared by every reader until the next write). */
  readonly session: InfrastructureSession;
  readonly version: number;
  /** Epoch ms of the record's last write. */
  readonly updatedAt: number;
}

/** Options of a session write. */
export interface SessionWriteOptions {
  /** Record time to live (ms): ended sessions are purged from the store after it. */
  readonly ttlMs?: number;
}

/**
 * Where an {@link InfrastructureSessionManager} keeps sessions: versioned reads and compare-and-set
 * writes, so two managers over one store never lose an update.
 */
export interface SessionStorage {
  /** True when sessions survive a restart. */
  readonly persistent: boolean;
  /** Records that could not be loaded (reported, skipped). */
  readonly problems: readonly StoreProblem[];
  /** Reads a session; `CRYPTO_FAILED` when its secrets cannot be decrypted. */
  get(id: string): Promise<VersionedSession | undefined>;
  /** Every readable session (unreadable ones are reported and skipped). */
  list(): Promise<VersionedSession[]>;
  /** Writes when the stored version equals `expectedVersion` (0 = new); undefined on a conflict. */
  write(
    session: InfrastructureSession,
    expectedVersion: number,
    options?: SessionWriteOptions,
  ): Promise<VersionedSession | undefined>;
  /** Removes a session; false when there was none. */
  delete(id: string): Promise<boolean>;
  /** Appends one entry to a session's history log; resolves once durable with its position. */
  appendHistory(id: string, entry: CommandHistoryEntry): Promise<number>;
  /** Every kept entry of a session's history log, oldest first (values as stored: parse them). */
  readHistory(id: string): Promise<LogEntry[]>;
  /** Trims a session's history log; resolves with how many entries were removed. */
  trimHistory(id: string, options: TrimOptions): Promise<number>;
  /** Removes a session's history log. */
  deleteHistory(id: string): Promise<boolean>;
  /**
   * Sessions read in the earlier format whose history was inline in the session record, with
   * those entries (unparsed, oldest first) and the record version they were read at. The manager
   * moves them into the history log, then rewrites the record (see `migrateInlineHistory`).
   */
  inlineHistories?(): readonly InlineHistory[];
  /** Flushes and releases the underlying store (when this storage owns it). */
  close(): Promise<void>;
}

/** History found inline in a session record of the earlier format. */
export interface InlineHistory {
  readonly sessionId: string;
  /** The record version the entries were read at. */
  readonly version: number;
  /** The entries as stored, oldest first (not yet parsed). */
  readonly entries: readonly unknown[];
}

/** Freezes a plain object graph in place (a decoded session is shared by every reader). */
function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) deepFreeze(item);
  } else {
    // for…in over a plain (JSON) object: no array of values allocated per object
    for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/**
 * The sealed secrets of one v2 record, opened on first use. Opening is what authenticates the
 * record (its whole stripped session is the authenticated data), so it runs before a secret is
 * handed out, before the record is read with `get` (what every change and command path uses), and
 * before the session is written again (a write needs the secrets to seal them anew). A failure is
 * kept, reported once, and thrown on every later use: `CRYPTO_FAILED` naming the session.
 */
class SealedSecrets {
  private opened: SessionSecrets | InfrastructureError | undefined;
  private readonly keyring: EncryptionKeyring;
  /** The session id. */
  readonly id: string;
  /** The stored record (its value is the v2 record the secrets are sealed in). */
  readonly record: StoredRecord;
  private readonly onFailure: (secrets: SealedSecrets, error: InfrastructureError) => void;

  constructor(
    keyring: EncryptionKeyring,
    id: string,
    record: StoredRecord,
    onFailure: (secrets: SealedSecrets, error: InfrastructureError) => void,
  ) {
    this.keyring = keyring;
    this.id = id;
    this.record = record;
    this.onFailure = onFailure;
  }

  /** True once opening failed (the record did not authenticate). */
  get failed(): boolean {
    return this.opened instanceof InfrastructureError;
  }

  /** The opened secrets; throws `CRYPTO_FAILED` when the record does not authenticate. */
  open(): SessionSecrets {
    if (this.opened === undefined) {
      try {
        this.opened = deepFreeze(
          openSecrets(this.keyring, this.id, this.record.value as unknown as PersistedSessionV2),
        );
      } catch (error) {
        this.opened = isInfrastructureError(error)
          ? error
          : new InfrastructureError("CRYPTO_FAILED", "Could not open sealed secrets", { cause: error });
        this.onFailure(this, this.opened);
      }
    }
    if (this.opened instanceof InfrastructureError) throw this.opened;
    return this.opened;
  }
}

/**
 * Opens the secrets of a v2 record: one AES-GCM decryption whose authenticated data is the
 * record's check and the JSON text of its stripped session, so it authenticates the whole record.
 */
function openSecrets(keyring: EncryptionKeyring, id: string, value: PersistedSessionV2): SessionSecrets {
  const check = typeof value.check === "string" ? value.check : "";
  const opened = keyring.open(value.sealed, `${id}/session`, [
    check,
    JSON.stringify(value.session),
  ]) as Partial<SessionSecrets> | null;
  const params = opened?.params;
  const credentials = opened?.credentials;
  return {
    ...(credentials === undefined ? {} : { credentials }),
    params: typeof params === "object" && params !== null ? params : {},
  };
}

/** Where a lazy `auth` or pending operation keeps its {@link SealedSecrets} (non-enumerable). */
const SECRETS = Symbol("sealed secrets");
type Lazy = { readonly [SECRETS]: SealedSecrets };
/** Shown for a secret the sealed value does not hold (never the case for what this storage sealed). */
const NO_SECRET = Object.freeze({});

/**
 * The getters of every lazy object are these same functions (their object reached through
 * `this`): objects built alike with the same accessor share one hidden class, where a closure per
 * object gave each its own dictionary-mode object (~1.5 KB per session at load).
 */
const CREDENTIALS: PropertyDescriptor = {
  enumerable: true,
  get(this: Lazy) {
    return this[SECRETS].open().credentials ?? NO_SECRET;
  },
};
const PARAMS: PropertyDescriptor = {
  enumerable: true,
  get(this: Lazy & { readonly id: string }) {
    return this[SECRETS].open().params[this.id] ?? NO_SECRET;
  },
};

/** The descriptor of the {@link SECRETS} property, reused (`defineProperty` reads it at once). */
const SECRETS_PROPERTY: { value: SealedSecrets | undefined } = { value: undefined };

/** Makes `out` a frozen lazy object of `secrets`. */
function sealLazy<T>(out: Record<string, unknown>, secrets: SealedSecrets): T {
  SECRETS_PROPERTY.value = secrets;
  Object.defineProperty(out, SECRETS, SECRETS_PROPERTY);
  SECRETS_PROPERTY.value = undefined; // holds no session
  return Object.freeze(out) as T;
}

/** `auth` with `credentials` opened on first read (a getter; the object is frozen like the rest). */
function lazyAuth(
  auth: NonNullable<InfrastructureSession["auth"]>,
  secrets: SealedSecrets,
): InfrastructureSession["auth"] {
  const out: Record<string, unknown> = {};
  for (const key in auth) {
    if (key === "credentials") Object.defineProperty(out, key, CREDENTIALS);
    else out[key] = deepFreeze((auth as Record<string, unknown>)[key]);
  }
  return sealLazy(out, secrets);
}

/** A pending operation with `params` opened on first read. */
function lazyOperation(op: PendingOperation, secrets: SealedSecrets): PendingOperation {
  const out: Record<string, unknown> = {};
  for (const key in op) {
    if (key === "params") Object.defineProperty(out, key, PARAMS);
    else out[key] = deepFreeze((op as Record<string, unknown>)[key]);
  }
  return sealLazy(out, secrets);
}

/** The pending operations of a session that has none (shared: frozen, and nothing to open). */
const NO_OPERATIONS = Object.freeze([]) as unknown as PendingOperation[];

/** A decoded record: the session handed out and, for a v2 record read lazily, its secrets. */
interface Decoded {
  /** The stored record it was decoded from (a store hands out the same object until the next write). */
  readonly record: StoredRecord;
  readonly versioned: VersionedSession;
  readonly secrets?: SealedSecrets;
}

/** Options of {@link StateSessionStorage}. */
export interface StateSessionStorageOptions {
  /** The state store holding the sessions. */
  readonly store: StateStore;
  /** Seals `auth.credentials` and pending-operation params at rest when given. */
  readonly keyring?: EncryptionKeyring;
  /** Parse every session read back with `infrastructureSessionSchema` (on for anything read from disk). */
  readonly parse?: boolean;
  /** Close the store with this storage. */
  readonly ownsStore?: boolean;
  /** Told about each session that could not be read. */
  readonly onProblem?: ProblemListener;
  /** Directory to move unreadable session records aside into. */
  readonly quarantineDirectory?: string;
  /** Problems found by the store itself while loading. */
  readonly storeProblems?: () => readonly StoreProblem[];
}

/** The earlier record format: each secret sealed on its own, the session parsed on every load. */
type PersistedSessionV1 = {
  readonly v: 1;
  readonly session: JsonValue;
  readonly sealed?: {
    readonly credentials?: SealedValue;
    readonly params?: Readonly<Record<string, SealedValue>>;
  };
};

/**
 * The record format written with a keyring: the session without its secrets, the schema it was
 * checked against (`check`), and ONE sealed value holding every secret, whose authenticated data
 * is `check` plus the exact JSON text of `session` — so the whole record is authenticated.
 */
type PersistedSessionV2 = {
  readonly v: 2;
  readonly check: string;
  readonly session: JsonValue;
  readonly sealed: SealedValue;
};

type PersistedSession = PersistedSessionV1 | PersistedSessionV2;

/** The secrets of a session, sealed together in a v2 record. */
type SessionSecrets = {
  readonly credentials?: JsonValue;
  readonly params: Readonly<Record<string, JsonValue>>;
};

let schemaCheck: string | undefined;
/**
 * A fingerprint of core's session schema (SHA-256 of its JSON Schema): a v2 record checked against
 * the same schema and authenticated by the keyring is not parsed again on load; any change of the
 * schema (a new field, a new default) changes it, and such records are parsed as before.
 */
export function sessionSchemaCheck(): string {
  schemaCheck ??= createHash("sha256")
    .update(
      JSON.stringify(z.toJSONSchema(infrastructureSessionSchema, { unrepresentable: "any", io: "output" })),
    )
    .digest("base64url")
    .slice(0, 22);
  return schemaCheck;
}

/**
 * Sessions in any {@link StateStore} under `sessions/<id>`. Without a keyring each is
 * `{ v: 1, session }`. With one, `{ v: 2, check, session, sealed }`: `auth.credentials` and every
 * pending operation's `params` are taken out and sealed together (AES-256-GCM) with the rest of the
 * record as authenticated data, so a record cannot be changed without the key. A session is checked
 * with core's schema when written; on load an authenticated v2 record checked against the current
 * schema is trusted, anything else is parsed. Earlier `{ v: 1, session, sealed }` records still load.
 */
export class StateSessionStorage implements SessionStorage {
  /** True when sessions survive a restart. */
  readonly persistent: boolean;
  private readonly store: StateStore;
  private readonly keyring: EncryptionKeyring | undefined;
  private readonly parse: boolean;
  private readonly ownsStore: boolean;
  private readonly onProblem: ProblemListener | undefined;
  private readonly quarantineDirectory: string | undefined;
  private readonly storeProblems: () => readonly StoreProblem[];
  private readonly found: StoreProblem[] = [];
  private readonly reported = new Set<string>();
  /**
   * Decoded sessions by store key (the record's own key string, whose hash V8 keeps), with the stored record they came from: a store hands out the same
   * record object until the next write, so each stored version is decoded once, not on every read
   * (a Map, not a WeakMap per record: an ephemeron table of thousands of entries costs every GC).
   */
  private readonly decoded = new Map<string, Decoded>();
  /** Reports a record whose secrets did not open (one function per storage, not per record). */
  private readonly secretsFailed = (secrets: SealedSecrets, error: InfrastructureError): void =>
    this.report(secrets.id, secrets.record, { kind: "crypto", error, key: secrets.id });
  /** Inline histories of earlier-format records, by session id, until their record is rewritten. */
  private readonly inline = new Map<string, InlineHistory>();
  /**
   * The store when it is engine-based (memory, file): it keeps deeply frozen copies of written
   * values, and reads them without a promise.
   */
  private readonly engineStore: EngineStateStore | undefined;
  /**
   * True when sessions written through {@link writeOwnSession} are stored as they are: a memory
   * store (whose every value is a deeply frozen copy made by its engine) without parsing or
   * sealing, so what the manager builds is exactly what the store would keep.
   */
  private readonly ownWrites: boolean;

  constructor(options: StateSessionStorageOptions, persistent = false) {
    this.store = options.store;
    this.keyring = options.keyring;
    this.parse = options.parse ?? true;
    this.ownsStore = options.ownsStore ?? false;
    this.onProblem = options.onProblem;
    this.quarantineDirectory = options.quarantineDirectory;
    this.storeProblems = options.storeProblems ?? (() => []);
    this.persistent = persistent;
    this.engineStore = options.store instanceof EngineStateStore ? options.store : undefined;
    this.ownWrites = options.store instanceof InMemoryStateStore && !this.parse && this.keyring === undefined;
  }

  /** Problems of the store plus sessions that could not be decrypted or parsed. */
  get problems(): readonly StoreProblem[] {
    return [...this.storeProblems(), ...this.found];
  }

  /**
   * Reads a session, authenticated: `CRYPTO_FAILED` (typed, naming the session) when its record
   * does not authenticate or its secrets cannot be decrypted.
   */
  async get(id: string): Promise<VersionedSession | undefined> {
    const key = sessionKey(id);
    const record = this.engineStore !== undefined ? this.engineStore.getNow(key) : await this.store.get(key);
    if (record === undefined) return undefined;
    const decoded = this.decode(id, record);
    if (!(decoded instanceof InfrastructureError)) {
      decoded.secrets?.open(); // what a change or a command reads is authenticated first
      return decoded.versioned;
    }
    if (decoded.code === "CRYPTO_FAILED") throw decoded;
    await this.setAside(id, record, decoded);
    return undefined;
  }

  /**
   * Every readable session; the others are reported once and skipped. Sealed records are not
   * authenticated here (a list of thousands would pay a decryption each): their secrets are opened,
   * and the record authenticated, on first use (see {@link get}).
   */
  async list(): Promise<VersionedSession[]> {
    const out: VersionedSession[] = [];
    for (const record of await this.store.list(SESSION_KEY_PREFIX)) {
      const cached = this.decoded.get(record.key);
      if (cached?.record === record) {
        if (cached.secrets?.failed !== true) out.push(cached.versioned);
        continue;
      }
      const id = record.key.slice(SESSION_KEY_PREFIX.length);
      const decoded = this.decode(id, record);
      if (!(decoded instanceof InfrastructureError)) {
        if (decoded.secrets?.failed !== true) out.push(decoded.versioned); // found tampered on use: skipped
      } else if (decoded.code !== "CRYPTO_FAILED") await this.setAside(id, record, decoded);
    }
    return out;
  }

  /**
   * Compare-and-set write; undefined when the stored version moved on. With a keyring, a generated
   * key past `keyRotationDays` is rotated first, so a long-running process rotates too (should the
   * new key fail to save, the current one, still valid, seals this write and the next write retries).
   */
  async write(
    session: InfrastructureSession,
    expectedVersion: number,
    options: SessionWriteOptions = {},
  ): Promise<VersionedSession | undefined> {
    const own = vouched === session;
    vouched = undefined;
    // what is stored parsed (trusted on load) must have been checked: a session built outside the
    // manager cannot slip an invalid record in
    const checked = this.parse ? this.check(session) : session;
    if (this.keyring !== undefined) await this.keyring.rotateIfDue().catch(() => false);
    const key = sessionKey(checked.id);
    const result =
      own && this.ownWrites && this.engineStore !== undefined
        ? await engineOf(this.engineStore).compareAndSetFrozen(
            key,
            expectedVersion,
            ownRecord(checked),
            options,
          )
        : await this.store.compareAndSet(key, expectedVersion, this.encode(checked), options);
    if (!result.ok) return undefined;
    this.inline.delete(checked.id); // the record no longer holds an inline history
    const stored = result.record.value as { readonly v?: unknown; readonly session?: unknown } | null;
    if (this.engineStore !== undefined && stored?.v === 1) {
      // our stores keep a deeply frozen copy of what was written: hand out that copy, neither
      // freezing the caller's object nor keeping a second decoded one
      return {
        session: stored.session as InfrastructureSession,
        version: result.record.version,
        updatedAt: result.record.updatedAt,
      };
    }
    const written: VersionedSession = {
      // a frozen copy: the caller's objects (which zod may pass through) stay theirs
      session: frozenJsonCopy(checked) as InfrastructureSession,
      version: result.record.version,
      updatedAt: result.record.updatedAt,
    };
    this.decoded.set(result.record.key, { record: result.record, versioned: written });
    return written;
  }

  /** Removes a session. */
  async delete(id: string): Promise<boolean> {
    const existed = await this.store.delete(sessionKey(id));
    this.inline.delete(id);
    this.decoded.delete(sessionKey(id));
    return existed;
  }

  /** Appends to `history/<id>`; resolves with the entry's position. */
  async appendHistory(id: string, entry: CommandHistoryEntry): Promise<number> {
    return (await this.store.append(historyLog(id), entry)).position;
  }

  /** Every kept entry of `history/<id>`. */
  readHistory(id: string): Promise<LogEntry[]> {
    return this.store.read(historyLog(id));
  }

  /** Trims `history/<id>`. */
  trimHistory(id: string, options: TrimOptions): Promise<number> {
    return this.store.trim(historyLog(id), options);
  }

  /** Removes `history/<id>`. */
  deleteHistory(id: string): Promise<boolean> {
    return this.store.deleteLog(historyLog(id));
  }

  /** Sessions read with an inline history (earlier format) whose record was not rewritten yet. */
  inlineHistories(): readonly InlineHistory[] {
    return [...this.inline.values()];
  }

  /** Closes the store when this storage owns it. */
  async close(): Promise<void> {
    if (this.ownsStore) await this.store.close();
  }

  /** The session as core's schema parses it; `VALIDATION_FAILED` naming the fields otherwise. */
  private check(session: InfrastructureSession): InfrastructureSession {
    // core's structural twin of the schema: a session the schema would give back unchanged is
    // not parsed again (the manager builds every session from parsed parts)
    if (isInfrastructureSession(session)) return session;
    const parsed = infrastructureSessionSchema.safeParse(session);
    if (!parsed.success)
      throw new ValidationError(
        `Session "${String((session as { readonly id?: unknown }).id)}" failed its schema`,
        toIssues(parsed.error.issues),
      );
    return parsed.data;
  }

  private encode(session: InfrastructureSession): PersistedSession {
    const keyring = this.keyring;
    if (keyring === undefined) return { v: 1, session };
    const params: Record<string, JsonValue> = {};
    const pendingOperations = session.pendingOperations.map((op): PendingOperation => {
      params[op.id] = op.params;
      return { ...op, params: {} };
    });
    const secrets: SessionSecrets = {
      ...(session.auth === undefined ? {} : { credentials: session.auth.credentials }),
      params,
    };
    const stripped = {
      ...session,
      pendingOperations,
      ...(session.auth === undefined ? {} : { auth: { ...session.auth, credentials: {} } }),
    };
    const check = this.parse ? sessionSchemaCheck() : "";
    // the store keeps the value as JSON: the text sealed here is the text `JSON.stringify` gives back on load
    const sealed = keyring.seal(secrets, `${session.id}/session`, [check, JSON.stringify(stripped)]);
    return { v: 2, check, session: stripped, sealed };
  }

  /**
   * Decodes a stored record (synchronously: no promise per session on a load of thousands); an
   * error when it cannot be read: `CRYPTO_FAILED` (reported here, kept in the store) or a record
   * that is not a session (the caller sets it aside with {@link setAside}).
   */
  private decode(id: string, record: StoredRecord): Decoded | InfrastructureError {
    const cached = this.decoded.get(record.key);
    if (cached?.record === record) return cached;
    const value = record.value as {
      readonly v?: unknown;
      readonly session?: unknown;
      readonly check?: unknown;
      readonly sealed?: unknown;
    } | null;
    try {
      if (
        typeof value !== "object" ||
        value === null ||
        (value.v !== 1 && value.v !== 2) ||
        typeof value.session !== "object" ||
        value.session === null
      ) {
        throw new ValidationError(`Session "${id}" has an unknown record format`, [
          { code: "INVALID_FORMAT", message: "unknown session record format", path: "session" },
        ]);
      }
      if (value.v === 2) return this.decodeV2(id, record, value as PersistedSessionV2);
      const v1 = value as PersistedSessionV1;
      let raw = v1.session as unknown as InfrastructureSession;
      const inline = (raw as { readonly history?: unknown }).history;
      if (!this.parse && inline === undefined && v1.sealed === undefined) {
        // nothing to decode: the stored session itself, frozen (once: a frozen graph is skipped),
        // without a cache entry per record
        return {
          record,
          versioned: { session: deepFreeze(raw), version: record.version, updatedAt: record.updatedAt },
        };
      }
      if (inline !== undefined) {
        // the earlier format kept the history inline: hand it to the manager, keep the session without it
        if (Array.isArray(inline) && inline.length > 0)
          this.inline.set(id, { sessionId: id, version: record.version, entries: inline as unknown[] });
        const { history: _inline, ...rest } = raw as InfrastructureSession & { readonly history?: unknown };
        raw = rest;
      }
      if (v1.sealed !== undefined) raw = this.unseal(id, raw, v1.sealed);
      return this.parsed(id, record, raw);
    } catch (error) {
      if (!isInfrastructureError(error)) throw error;
      if (error.code === "CRYPTO_FAILED") this.report(id, record, { kind: "crypto", error, key: id });
      return error;
    }
  }

  /** A record that is not a session: moved aside, reported, removed from the store; the others load. */
  private async setAside(id: string, record: StoredRecord, error: InfrastructureError): Promise<void> {
    const movedTo = this.quarantine(id, record);
    await this.store.delete(sessionKey(id)).catch(() => undefined);
    this.report(id, record, {
      kind: "invalid",
      error,
      key: id,
      ...(movedTo === undefined ? {} : { movedTo }),
    });
  }

  /** Parses (when this storage parses) and remembers a decoded session. */
  private parsed(id: string, record: StoredRecord, raw: InfrastructureSession): Decoded {
    if (!this.parse) return this.remember(record, raw);
    const parsed = infrastructureSessionSchema.safeParse(raw);
    if (!parsed.success) {
      throw new ValidationError(`Session "${id}" failed its schema`, toIssues(parsed.error.issues));
    }
    if (parsed.data.id !== id) {
      throw new ValidationError(`Session record "${id}" holds session "${parsed.data.id}"`, [
        { code: "INVALID_VALUE", message: "id differs from key", path: "id" },
      ]);
    }
    return this.remember(record, parsed.data);
  }

  /**
   * Opens a v2 record: one decryption authenticates the whole record and yields its secrets. A
   * record checked against the current schema (and holding the id of its key) is trusted as it is;
   * otherwise it is parsed.
   */
  private decodeV2(id: string, record: StoredRecord, value: PersistedSessionV2): Decoded {
    const keyring = this.keyring;
    if (keyring === undefined)
      throw new InfrastructureError("CRYPTO_FAILED", `Session "${id}" is encrypted but no key is configured`);
    const check = typeof value.check === "string" ? value.check : "";
    const stripped = value.session as unknown as InfrastructureSession;
    if (
      this.parse &&
      check === sessionSchemaCheck() &&
      stripped.id === id &&
      isInfrastructureSession(stripped) &&
      isSealedValue(value.sealed) &&
      keyring.hasKey(value.sealed.kid) // no key for it: it cannot open, say so now
    ) {
      // checked against the current schema when written, and of the schema's shape now: handed out
      // at once, its secrets opened (and the record authenticated) on first use
      const secrets = new SealedSecrets(keyring, id, record, this.secretsFailed);
      // one clone of the parsed session (no temporary object spread into it); `auth`, when there,
      // is replaced where it stands, so the keys keep their order
      const session: { -readonly [K in keyof InfrastructureSession]: InfrastructureSession[K] } = {
        ...stripped,
        pendingOperations:
          stripped.pendingOperations.length === 0
            ? NO_OPERATIONS
            : (Object.freeze(
                stripped.pendingOperations.map((op) => lazyOperation(op, secrets)),
              ) as PendingOperation[]),
        resources: deepFreeze(stripped.resources),
        variables: deepFreeze(stripped.variables),
        metadata: deepFreeze(stripped.metadata),
      };
      if (stripped.auth !== undefined) session.auth = lazyAuth(stripped.auth, secrets);
      Object.freeze(session);
      const decoded: Decoded = {
        record,
        versioned: { session, version: record.version, updatedAt: record.updatedAt },
        secrets,
      };
      this.decoded.set(record.key, decoded);
      return decoded;
    }
    const secrets = openSecrets(keyring, id, value);
    const params =
      typeof secrets === "object" &&
      secrets !== null &&
      typeof secrets.params === "object" &&
      secrets.params !== null
        ? secrets.params
        : {};
    const pendingOperations = Array.isArray(stripped.pendingOperations)
      ? stripped.pendingOperations.map((op) =>
          op !== null && typeof op === "object" && params[op.id] !== undefined
            ? { ...op, params: params[op.id] as PendingOperation["params"] }
            : op,
        )
      : stripped.pendingOperations;
    const credentials = secrets?.credentials;
    const auth =
      stripped.auth === undefined || credentials === undefined
        ? stripped.auth
        : { ...stripped.auth, credentials: credentials as Record<string, string> };
    const raw = { ...stripped, pendingOperations, ...(auth === undefined ? {} : { auth }) };
    if (this.parse && check === sessionSchemaCheck() && raw.id === id) return this.remember(record, raw);
    return this.parsed(id, record, raw);
  }

  private remember(record: StoredRecord, session: InfrastructureSession): Decoded {
    const decoded: Decoded = {
      record,
      versioned: { session: deepFreeze(session), version: record.version, updatedAt: record.updatedAt },
    };
    this.decoded.set(record.key, decoded);
    return decoded;
  }

  private unseal(
    id: string,
    session: InfrastructureSession,
    sealed: NonNullable<PersistedSessionV1["sealed"]>,
  ): InfrastructureSession {
    const keyring = this.keyring;
    if (keyring === undefined)
      throw new InfrastructureError("CRYPTO_FAILED", `Session "${id}" is encrypted but no key is configured`);
    const pendingOperations = (session.pendingOperations as PendingOperation[] | undefined)?.map((op) => {
      const params = sealed.params?.[op.id];
      return params === undefined
        ? op
        : { ...op, params: keyring.open(params, `${id}/pending/${op.id}`) as PendingOperation["params"] };
    });
    const auth =
      session.auth === undefined || sealed.credentials === undefined
        ? session.auth
        : {
            ...session.auth,
            credentials: keyring.open(sealed.credentials, `${id}/credentials`) as Record<string, string>,
          };
    return {
      ...session,
      ...(pendingOperations === undefined ? {} : { pendingOperations }),
      ...(auth === undefined ? {} : { auth }),
    };
  }

  private quarantine(id: string, record: StoredRecord): string | undefined {
    if (this.quarantineDirectory === undefined) return undefined;
    const path = join(
      this.quarantineDirectory,
      `${Date.now()}-session-${Buffer.from(id, "utf8").toString("base64url")}.json`,
    );
    try {
      writeFileSync(path, JSON.stringify(record), { mode: 0o600 });
      return path;
    } catch {
      return undefined;
    }
  }

  private report(id: string, record: StoredRecord, problem: StoreProblem): void {
    const marker = `${id}@${record.version}`;
    if (this.reported.has(marker)) return;
    this.reported.add(marker);
    this.found.push(problem);
    this.onProblem?.(problem);
  }
}

/** Sessions in memory: fast, ephemeral (the spec's `InMemorySessionStorage`). */
export class InMemorySessionStorage extends StateSessionStorage {
  constructor(options: { readonly now?: () => number } = {}) {
    super(
      {
        store: new InMemoryStateStore(options.now === undefined ? {} : { now: options.now }),
        parse: false,
        ownsStore: true,
      },
      false,
    );
  }
}

/** Options of {@link FileSessionStorage.open}. */
export type FileSessionStorageOptions = FileStateStoreOptions & {
  /** `securityConfig.encryption`: credentials are encrypted at rest unless `enabled` is false. */
  readonly encryption?: KeyringOptions["config"];
  /** Environment to read the encryption key from (default `process.env`). */
  readonly env?: KeyringOptions["env"];
};

/**
 * Sessions in a {@link FileStateStore} with credentials encrypted at rest (the spec's
 * `FileSessionStorage`): persistent across restarts, one lock per state directory.
 */
export class FileSessionStorage extends StateSessionStorage {
  /** The state directory. */
  readonly directory: string;

  private constructor(options: StateSessionStorageOptions, directory: string) {
    super(options, true);
    this.directory = directory;
  }

  /** Opens the state directory (lock, load, keyring). */
  static async open(options: FileSessionStorageOptions): Promise<FileSessionStorage> {
    const store = await FileStateStore.open(options);
    const keyringProblems: StoreProblem[] = [];
    try {
      const encrypt = options.encryption?.enabled ?? true;
      const keyring = encrypt
        ? await EncryptionKeyring.open({
            directory: store.directory,
            ...(options.encryption === undefined ? {} : { config: options.encryption }),
            ...(options.env === undefined ? {} : { env: options.env }),
            ...(options.now === undefined ? {} : { now: options.now }),
            onProblem: (problem) => {
              keyringProblems.push(problem);
              options.onProblem?.(problem);
            },
          })
        : undefined;
      return new FileSessionStorage(
        {
          store,
          ...(keyring === undefined ? {} : { keyring }),
          parse: true,
          ownsStore: true,
          ...(options.onProblem === undefined ? {} : { onProblem: options.onProblem }),
          quarantineDirectory: join(store.directory, "quarantine"),
          storeProblems: () => [...keyringProblems, ...store.problems],
        },
        store.directory,
      );
    } catch (error) {
      await store.close();
      throw error;
    }
  }
}

/** Creates an {@link InMemorySessionStorage}. */
export function createInMemorySessionStorage(
  options: { readonly now?: () => number } = {},
): InMemorySessionStorage {
  return new InMemorySessionStorage(options);
}

/** Opens a {@link FileSessionStorage}. */
export function createFileSessionStorage(options: FileSessionStorageOptions): Promise<FileSessionStorage> {
  return FileSessionStorage.open(options);
}
