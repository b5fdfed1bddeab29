import { createHmac, hash as digest, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type {
  AppendAtResult,
  AuditEventInput,
  AuditEventType,
  AuditSink,
  GateDecision,
  JsonValue,
  LogEntry,
  OperationRequest,
  PrepareAppendResult,
  StateStore,
} from "@espada/infra-core";
import {
  auditEventTypeSchema,
  InfrastructureError,
  isRecord,
  isSecretKey,
  StorageError,
  toJsonObject,
} from "@espada/infra-core";
import { KEYS } from "./keys.js";
import { SecretProtector } from "./secrets.js";

/** Environment variable holding the audit key (base64, at least 32 bytes) when no key is passed. */
export const AUDIT_KEY_ENV = "ESPADA_INFRA_AUDIT_KEY";

/** The previous-hash of the first record. */
export const GENESIS_HASH = "0".repeat(64);

/** An audit record as stored and returned by queries. */
export interface AuditRecord extends AuditEventInput {
  /** 0-based, gap-free sequence number. */
  readonly seq: number;
  /** Epoch ms the record was written. */
  readonly timestamp: number;
}

/**
 * One log entry of the chain: a block of the records of one group-commit batch (a single record is a
 * block of one, as every entry written before blocks is). `s` is the sequence number of its first
 * record, `p` the hash of the record before it, `h` the records' own hashes (64 hex digits each,
 * concatenated) and `b` their exact JSON texts, joined by {@link RECORD_SEPARATOR} (a control
 * character, which JSON text never holds unescaped). Record i of the block has sequence `s + i`,
 * and its hash is the SHA-256 of the previous record's hash, a newline and its text.
 */
interface ChainEntry {
  readonly s: number;
  readonly p: string;
  readonly h: string;
  readonly b: string;
}

/** Joins the record texts of a block entry. */
const RECORD_SEPARATOR = "\x1e";
/**
 * A block entry closes at this many records or once its texts reach this many characters (a larger
 * batch is written as several entries at once): strings past ~128 KB are V8 large objects, each its
 * own mapping of fresh pages, which cost more system time than the entries they save.
 */
const MAX_BLOCK = 1024;
const MAX_BLOCK_CHARS = 64 * 1024;
const HASH_LENGTH = 64;
/**
 * The audit log's pipeline on a single-writer store with `appendAt` (the file and memory stores):
 * up to {@link PIPELINE_DEPTH} batches handed to the store at once, so the next batch is chained
 * and written while the one before it is being synced (the store syncs once for both). A batch
 * is sent while another is in flight only once {@link MIN_PIPELINED_BATCH} records wait (else
 * they wait for the batch in flight and go out together, as one write: a small batch would cost
 * a write and a sync of its own for little); a batch holds at most {@link MAX_BATCH_RECORDS}.
 */
const PIPELINE_DEPTH = 2;
const MIN_PIPELINED_BATCH = 64;
const MAX_BATCH_RECORDS = 256;

/**
 * A record waiting to be chained and written, and its caller. `fields` is emptied once the record
 * is written into its block (see `chainBlock`).
 */
interface QueuedRecord {
  fields: string;
  resolve(record: { seq: number; hash: string }): void;
  reject(error: unknown): void;
}

/** A batch the store did not append because the log does not end where it was chained (a batch before it failed). */
function refused(nextPosition: number): Error {
  return new Error(`the audit log's next position is ${nextPosition}, not where the batch was chained`);
}

const chainEntrySchema = z.object({
  s: z.number().int().nonnegative(),
  p: z.string(),
  h: z.string(),
  b: z.string(),
});
/** `pos`: the log position of the entry holding record `seq` (absent in anchors written before blocks: `seq`). */
const anchorSchema = z.object({
  seq: z.number().int(),
  hash: z.string(),
  mac: z.string(),
  pos: z.number().int().nonnegative().optional(),
});

/** The result of {@link InfrastructureAuditLogger.verify}. */
export type AuditVerification =
  | { readonly ok: true; readonly records: number }
  | {
      readonly ok: false;
      /** Records checked before the break. */
      readonly records: number;
      /** The first record that breaks the chain: its log position and the sequence number expected there. */
      readonly firstBroken: { readonly position: number; readonly expectedSeq: number };
      readonly reason: string;
    };

/** A query over the audit log; every field narrows the result. */
export interface AuditQuery {
  /** Epoch ms, inclusive. */
  readonly from?: number;
  /** Epoch ms, exclusive. */
  readonly to?: number;
  /** Records whose actor is this user. */
  readonly userId?: string;
  readonly types?: readonly AuditEventType[];
  readonly operationId?: string;
  /** At most this many (the oldest first). */
  readonly limit?: number;
}

/** Options of {@link InfrastructureAuditLogger.open}. */
export interface AuditLoggerOptions {
  readonly store: StateStore;
  /**
   * Secret key (≥ 32 bytes) for the anchor MAC and the keyed hashes of secret values. Defaults to
   * `ESPADA_INFRA_AUDIT_KEY` (base64), else a key generated once and kept in the store — which then
   * protects against edits of the log alone, not against someone who can also read the store.
   */
  readonly key?: Uint8Array | string;
  /** Environment to read `ESPADA_INFRA_AUDIT_KEY` from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly now?: () => number;
  /** Called with problems found while opening (for example records adopted after the last anchor). */
  readonly onProblem?: (message: string) => void;
}

/** A gate decision as the facade records it (see {@link InfrastructureAuditLogger.recordDecision}). */
export interface DecisionRecordInput {
  readonly type: AuditEventType;
  readonly outcome: AuditEventInput["outcome"] & string;
  readonly request: OperationRequest;
  readonly decision: GateDecision;
  /** The permission the operation needed. */
  readonly permission: string;
  /** Members added to the record's `details` after `permission`, `decision`, `resourceIds` and `params`. */
  readonly details: Readonly<Record<string, unknown>>;
}

/** The audit event of a gate decision: what {@link InfrastructureAuditLogger.recordDecision} records. */
export function decisionEvent(input: DecisionRecordInput): AuditEventInput {
  const { request, decision } = input;
  return {
    type: input.type,
    actor: request.userId,
    operationId: request.operationId,
    ...(request.sessionId === undefined ? {} : { sessionId: request.sessionId }),
    providerId: request.providerId,
    commandId: request.commandId,
    environment: request.environment,
    outcome: input.outcome,
    risk: decision.risk,
    reasons: decision.reasons,
    details: {
      permission: input.permission,
      decision: decision.outcome,
      resourceIds: request.resourceIds,
      params: toJsonObject(request.params),
      ...input.details,
    },
  };
}

/** Characters of record text to read per store call while walking the log: about 1 MB. */
const PAGE_CHARS = 1024 * 1024;
/** Bounds of the entries asked for per store call (the first call asks for the least). */
const MIN_PAGE = 16;
const MAX_PAGE = 8192;
/** Characters counted for a log entry that holds no block text (never written by this logger). */
const OTHER_ENTRY_CHARS = 256;

/**
 * How many log entries to ask for at a time while walking the audit log (open, verify, query):
 * about `PAGE_CHARS` of record text per read, sized from the page before (a block entry holds up to
 * `MAX_BLOCK_CHARS`, an entry of an older log one record). A file store decodes each page from disk
 * and holds it whole: a fixed 8,192 entries was a whole log of blocks at once (~48 MB on the
 * bench's) and its `verify()` spent most of its time in the garbage collector.
 */
class PageSize {
  /** Entries to ask for in the next read. */
  limit = MIN_PAGE;

  /** Sizes the next read from `page`, a full page just read. */
  after(page: readonly LogEntry<JsonValue>[]): void {
    let chars = 0;
    for (const entry of page) {
      const b = (entry.value as { b?: unknown } | null)?.b;
      chars += typeof b === "string" ? b.length : OTHER_ENTRY_CHARS;
    }
    const perEntry = Math.max(1, chars / Math.max(1, page.length));
    this.limit = Math.min(MAX_PAGE, Math.max(MIN_PAGE, Math.floor(PAGE_CHARS / perEntry)));
  }
}
/** At most one anchor write per this many ms while records keep coming (flush writes it at once). */
const ANCHOR_INTERVAL_MS = 200;
const EVENT_TYPES: ReadonlySet<string> = new Set(auditEventTypeSchema.options);

const sha = (prev: string, body: string): string => digest("sha256", `${prev}\n${body}`);

/**
 * Writes a block entry's record texts and hashes them (the writer's {@link sha}). Every text the
 * logger chains is ASCII by construction (it escapes every non-ASCII character of a record as `\u`,
 * and a hash is 64 hex digits), so its latin1 bytes are its UTF-8: each record's text (`head`, its
 * fields, `}`) is written once into a reused block buffer, the separator after each but the last,
 * each record hashed from there after the previous hash (copied beside it), and the block's text
 * read back as one string. No string is built per record, and the fields text (often a rope of
 * many pieces) is walked once.
 */
class BlockWriter {
  private block = Buffer.allocUnsafe(128 * 1024);
  private scratch = Buffer.allocUnsafe(16 * 1024);
  private at = 0;
  private prev = GENESIS_HASH;

  /** Starts a block after the record whose hash is `prev`; `chars`: the total length of its fields texts. */
  start(prev: string, chars: number, count: number): void {
    this.at = 0;
    this.prev = prev;
    const size = chars + count * 64; // heads of the usual size (add grows the buffer for longer ones)
    if (size > this.block.length) this.block = Buffer.allocUnsafe(Math.max(size, this.block.length * 2));
  }

  /** Adds the record `head + fields + "}"`; its hash. */
  add(head: string, fields: string): string {
    let at = this.at;
    const need = at + head.length + fields.length + 2;
    if (need > this.block.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.block.length * 2));
      this.block.copy(grown, 0, 0, at);
      this.block = grown;
    }
    const block = this.block;
    if (at > 0) block[at++] = SEPARATOR_BYTE;
    const start = at;
    at += block.write(head, at, "latin1");
    at += block.write(fields, at, "latin1");
    block[at++] = 0x7d; // "}"
    this.at = at;
    if (this.prev.length !== HASH_LENGTH) {
      // not a hash this logger made or verified (the head always is): hashed as a string
      this.prev = sha(this.prev, block.toString("latin1", start, at));
      return this.prev;
    }
    const size = HASH_LENGTH + 1 + at - start;
    if (size > this.scratch.length)
      this.scratch = Buffer.allocUnsafe(Math.max(size, this.scratch.length * 2));
    const scratch = this.scratch;
    scratch.write(this.prev, 0, HASH_LENGTH, "latin1");
    scratch[HASH_LENGTH] = 0x0a;
    block.copy(scratch, HASH_LENGTH + 1, start, at);
    this.prev = digest("sha256", scratch.subarray(0, size), "hex");
    return this.prev;
  }

  /** The block's texts, joined by the separator. */
  text(): string {
    return this.block.toString("latin1", 0, this.at);
  }
}

function toKey(key: Uint8Array | string, field: string): Buffer {
  const buffer = typeof key === "string" ? Buffer.from(key, "base64") : Buffer.from(key);
  if (buffer.length < 32)
    throw new InfrastructureError("INVALID_ARGUMENT", `${field}: the audit key must be at least 32 bytes`, {
      field,
    });
  return buffer;
}

/**
 * The tamper-evident audit log (the spec's 21 event types). Each record is appended to an
 * append-only log of the state store carrying the SHA-256 hash of the previous record, so editing,
 * deleting, reordering or inserting a record breaks the chain; an anchor (last sequence and hash,
 * MAC'd with the audit key) is kept beside it so a cut or extended tail is detected too.
 *
 * Records are group-committed: every record queued while a batch is written goes out in the next
 * batch, so durable throughput does not pay one store write per record. `record` resolves once its
 * record is durable and rejects when it could not be written — callers fail closed on that.
 * Values under secret-looking keys are replaced by their keyed HMAC-SHA256.
 */
export class InfrastructureAuditLogger implements AuditSink {
  private readonly store: StateStore;
  private readonly now: () => number;
  private readonly macKey: Buffer;
  private readonly protector: SecretProtector;
  /** Stored text of deeply frozen risk assessments and gate reasons (the facade shares them between checks). */
  private readonly compactTexts = new WeakMap<object, string>();
  private readonly blockWriter = new BlockWriter();
  private head: { seq: number; hash: string; position: number };
  private queue: QueuedRecord[] = [];
  private draining: Promise<void> | undefined;
  /** Batches handed to the store and not answered yet, oldest first (each settles, never rejects). */
  private readonly flights: Promise<void>[] = [];
  /** The end of the chain handed to the store, while it is ahead of the head (batches in flight). */
  private chainEnd: { seq: number; hash: string; position: number } | undefined;
  /** Bumped by a failed batch: the batches sent before it was processed fail with it. */
  private epoch = 0;
  /** Wakes the writer waiting for the queue to reach {@link MIN_PIPELINED_BATCH} records. */
  private wake: (() => void) | undefined;
  /** After a failed batch: the head is being resynced from the store; nothing is chained meanwhile. */
  private recovering: Promise<void> | undefined;
  private anchorWrite: Promise<void> = Promise.resolve();
  private anchorInFlight = false;
  private anchorDirty = false;
  private anchorTimer: NodeJS.Timeout | undefined;
  private lastAnchorAt = Number.NEGATIVE_INFINITY;
  private anchorError: unknown;
  private closed = false;

  private constructor(
    store: StateStore,
    key: Buffer,
    head: { seq: number; hash: string; position: number },
    now: () => number,
  ) {
    this.store = store;
    this.now = now;
    this.macKey = createHmac("sha256", key).update("espada-audit-anchor").digest();
    this.protector = new SecretProtector(createHmac("sha256", key).update("espada-audit-secrets").digest());
    this.head = head;
  }

  /** Opens the log: loads the key and the chain head (adopting records written after the last anchor by a process that stopped). */
  static async open(options: AuditLoggerOptions): Promise<InfrastructureAuditLogger> {
    const { store } = options;
    const now = options.now ?? Date.now;
    const env = options.env ?? process.env;
    let key: Buffer;
    if (options.key !== undefined) key = toKey(options.key, "key");
    else if (env[AUDIT_KEY_ENV] !== undefined && env[AUDIT_KEY_ENV] !== "")
      key = toKey(env[AUDIT_KEY_ENV], AUDIT_KEY_ENV);
    else {
      const stored = await store.get(KEYS.auditKey);
      if (typeof stored?.value === "string") key = toKey(stored.value, KEYS.auditKey);
      else {
        const generated = randomBytes(32).toString("base64");
        const created = await store.compareAndSet(KEYS.auditKey, 0, generated);
        key = toKey(created.ok ? generated : String(created.current?.value), KEYS.auditKey);
      }
    }
    const logger = new InfrastructureAuditLogger(
      store,
      key,
      { seq: -1, hash: GENESIS_HASH, position: -1 },
      now,
    );
    await logger.loadHead(options.onProblem);
    return logger;
  }

  private async loadHead(onProblem?: (message: string) => void): Promise<void> {
    const record = await this.store.get(KEYS.auditAnchor);
    let from = 0;
    if (record !== undefined) {
      const anchor = anchorSchema.safeParse(record.value);
      if (!anchor.success || !this.macMatches(anchor.data.seq, anchor.data.hash, anchor.data.mac)) {
        throw new StorageError(
          "STORAGE_CORRUPT",
          "audit anchor is malformed or its MAC does not match: the log may have been tampered with",
        );
      }
      const position = anchor.data.pos ?? anchor.data.seq;
      const [at] = await this.store.read<JsonValue>(KEYS.auditLog, position, 1);
      const entry = at === undefined ? undefined : parseEntry(at);
      if (
        at === undefined ||
        entry === undefined ||
        lastSeq(entry) !== anchor.data.seq ||
        lastHash(entry) !== anchor.data.hash
      ) {
        throw new StorageError(
          "STORAGE_CORRUPT",
          `audit record ${anchor.data.seq} does not match the anchor: the log may have been tampered with`,
        );
      }
      this.head = { seq: anchor.data.seq, hash: anchor.data.hash, position: at.position };
      from = this.head.position + 1;
    }
    let adopted = 0;
    const size = new PageSize();
    for (;;) {
      const page = await this.store.read<JsonValue>(KEYS.auditLog, from, size.limit);
      for (const raw of page) {
        const entry = parseEntry(raw);
        const chain = new ChainVerifier(Number.MAX_SAFE_INTEGER, this.head.hash, this.head.seq + 1);
        if (entry === undefined || chain.push(entry) !== undefined) {
          throw new StorageError(
            "STORAGE_CORRUPT",
            `audit record at position ${raw.position} after the anchor does not continue the chain`,
          );
        }
        this.head = { seq: chain.expected - 1, hash: chain.prev, position: raw.position };
        adopted += chain.expected - entry.s;
      }
      if (page.length < size.limit) break;
      size.after(page);
      from = (page.at(-1)?.position ?? from) + 1;
    }
    if (adopted > 0) {
      if (record !== undefined)
        onProblem?.(
          `adopted ${adopted} audit record(s) written after the last anchor (the previous process stopped before anchoring them)`,
        );
      await this.writeAnchor();
    }
  }

  private mac(seq: number, hash: string): string {
    return createHmac("sha256", this.macKey).update(`${seq}:${hash}`).digest("hex");
  }

  private macMatches(seq: number, hash: string, mac: string): boolean {
    const expected = Buffer.from(this.mac(seq, hash), "hex");
    const given = Buffer.from(mac, "hex");
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** Shared log: moves the anchor forward only (another instance may have anchored a later record). */
  private async advanceAnchor(seq: number, hash: string, pos: number): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = await this.store.get(KEYS.auditAnchor);
      const anchored = anchorSchema.safeParse(current?.value);
      if (anchored.success && anchored.data.seq >= seq) return;
      const result = await this.store.compareAndSet(KEYS.auditAnchor, current?.version ?? 0, {
        seq,
        hash,
        mac: this.mac(seq, hash),
        pos,
      });
      if (result.ok) return;
    }
  }

  private writeAnchor(): Promise<void> {
    this.anchorDirty = false;
    this.lastAnchorAt = performance.now();
    const { seq, hash, position } = this.head;
    const put =
      this.store.shared === true
        ? this.advanceAnchor(seq, hash, position)
        : this.store.put(KEYS.auditAnchor, { seq, hash, mac: this.mac(seq, hash), pos: position });
    const write = put.then(
      () => undefined,
      (error: unknown) => {
        this.anchorError = error;
      },
    );
    this.anchorWrite = write;
    this.anchorInFlight = true;
    void write.then(() => {
      this.anchorInFlight = false;
      if (this.anchorDirty && !this.closed) this.scheduleAnchor();
    });
    return write;
  }

  /**
   * Moves the anchor to the head: at once when none was written in the last `ANCHOR_INTERVAL_MS`,
   * else once that interval has passed (one write in flight at a time, the newest head wins), so a
   * busy log pays one anchor write per interval, not one per batch. `flush()` writes it at once.
   */
  private scheduleAnchor(): void {
    this.anchorDirty = true;
    if (this.anchorTimer !== undefined || this.anchorInFlight) return;
    const wait = this.lastAnchorAt + ANCHOR_INTERVAL_MS - performance.now();
    if (wait <= 0) {
      void this.writeAnchor();
      return;
    }
    this.anchorTimer = setTimeout(() => {
      this.anchorTimer = undefined;
      if (this.anchorDirty && !this.anchorInFlight) void this.writeAnchor();
    }, wait);
    this.anchorTimer.unref();
  }

  /** Number of records in the log. */
  get size(): number {
    return this.head.seq + 1;
  }

  /** The AuditSink door: resolves once durable, rejects (fail closed) when the record could not be written. */
  async record(event: AuditEventInput): Promise<void> {
    await this.append(event);
  }

  /**
   * Records a gate decision: the event {@link decisionEvent} makes of it, composed straight into its
   * stored text (exactly what recording that event writes; a property test holds the two equal),
   * without building the event or walking it key by key. Anything unusual (a value of another type
   * than the facade passes, a `details` member that is not a string, number, boolean or null or
   * whose name is secret-looking or taken, a throwing getter) records the built event instead.
   * Resolves with its sequence number and hash once durable, rejects (fail closed) when the record
   * could not be written.
   */
  recordDecision(input: DecisionRecordInput): Promise<{ seq: number; hash: string }> {
    let fields: string | undefined;
    try {
      fields = this.closed ? undefined : this.decisionFields(input);
    } catch {
      fields = undefined; // a throwing getter: the event's own serialisation decides
    }
    if (fields === undefined) {
      try {
        return this.append(decisionEvent(input));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    const text = fields;
    return new Promise((resolve, reject) => {
      this.queue.push({ fields: text, resolve, reject });
      this.kick();
    });
  }

  /** Appends a record; resolves with its sequence number and hash once it is durable. */
  append(event: AuditEventInput): Promise<{ seq: number; hash: string }> {
    if (this.closed) return Promise.reject(new InfrastructureError("SHUTDOWN", "audit logger is closed"));
    let fields: string;
    try {
      fields = this.serialize(event);
    } catch (error) {
      return Promise.reject(
        error instanceof InfrastructureError
          ? error
          : new InfrastructureError("INVALID_ARGUMENT", "audit event could not be serialized", {
              cause: error,
            }),
      );
    }
    return new Promise((resolve, reject) => {
      if (this.queue.push({ fields, resolve, reject }) >= MIN_PIPELINED_BATCH) this.wake?.();
      this.kick();
    });
  }

  /** Starts the writer unless it runs; a record queued while it finishes is picked up by a new run. */
  private kick(): void {
    if (this.draining !== undefined) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }

  private serialize(event: AuditEventInput): string {
    if (!isRecord(event))
      throw new InfrastructureError("INVALID_ARGUMENT", "audit event must be an object", { field: "event" });
    if (typeof event.type !== "string" || !EVENT_TYPES.has(event.type))
      throw new InfrastructureError("INVALID_ARGUMENT", `event.type: not one of the 21 audit event types`, {
        field: "type",
      });
    if (typeof event.actor !== "string" || event.actor === "") {
      throw new InfrastructureError("INVALID_ARGUMENT", "event.actor: must be a non-empty string", {
        field: "actor",
      });
    }
    return this.compactFields(event);
  }

  /**
   * The record's members as stored: a risk assessment and gate reasons of the usual shape are written
   * as arrays of their values (`"risk":[score,level,[[name,weight,value,contribution,description],…]]`,
   * `"reasons":[[check,passed,message],…]`), which {@link query} turns back into the same objects.
   * The members of the event and of its `details` are composed one by one: a string, number, boolean
   * or null is written as it is, an object or array (parameters, resource ids) through the secret
   * protector, so only values that can hold a secret are walked. Whenever a key there is a
   * secret-looking name (core's one predicate) or a value is not plain JSON, the whole event goes
   * through the protector instead. Non-ASCII characters are written as `\u` escapes, so the text is
   * one byte per character (cheaper to hash, checksum and write; it parses to the same strings).
   */
  private compactFields(event: AuditEventInput): string {
    if (COMPACT_KEYS_SAFE) {
      try {
        // pieces joined once: one flat string (a chain of concatenations would make a rope that
        // every later reader — the hash, the store's encoder — has to flatten)
        const parts: string[] = [];
        if (this.members(event, 0, parts)) return parts.join("");
      } catch {
        // a throwing getter: the protector writes "[Unreadable]"
      }
    }
    return toAscii(this.protector.fields(event));
  }

  /**
   * Pushes the text of a plain object's members (the event, depth 0, or its details, depth 1) onto
   * `parts`, commas included; false when the object must go through the protector whole.
   */
  private members(o: Readonly<Record<string, unknown>>, depth: number, parts: string[]): boolean {
    if (Object.getPrototypeOf(o) !== Object.prototype || typeof o.toJSON === "function") return false;
    let first = true;
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
      if (v !== null && this.protector.isSecretKey(k)) return false;
      let item: string | undefined;
      switch (typeof v) {
        case "string":
          item = quote(v);
          break;
        case "boolean":
          item = v ? "true" : "false";
          break;
        case "number":
          if (!Number.isFinite(v)) return false;
          item = String(v);
          break;
        case "object":
          if (v === null) item = "null";
          else if (depth === 0 && k === "details") {
            parts.push(first ? `${keyText(k)}:{` : `,${keyText(k)}:{`);
            if (!this.members(v as Readonly<Record<string, unknown>>, 1, parts)) return false;
            parts.push("}");
            first = false;
            continue;
          } else if (depth === 0 && k === "risk") item = this.riskText(v) ?? this.protectedJson(v);
          else if (depth === 0 && k === "reasons") item = this.reasonsText(v) ?? this.protectedJson(v);
          else item = this.protectedJson(v);
          break;
        default:
          return false; // bigint
      }
      if (item === undefined) continue;
      parts.push(first ? keyColon(k) : `,${keyColon(k)}`, item);
      first = false;
    }
    return true;
  }

  /** An object's JSON text through the secret protector, one byte per character. */
  private protectedJson(v: unknown): string | undefined {
    const text = this.protector.json(v);
    return text === undefined ? undefined : toAscii(text);
  }

  /**
   * The fields text of {@link decisionEvent}'s event, as {@link serialize} writes it, composed member
   * by member in the event's key order; undefined when anything there is not of the usual kind.
   */
  private decisionFields(input: DecisionRecordInput): string | undefined {
    if (!DECISION_KEYS_SAFE) return undefined;
    const { request, decision } = input;
    const { userId, operationId, sessionId, providerId, commandId, environment } = request;
    if (
      typeof userId !== "string" ||
      userId === "" ||
      typeof operationId !== "string" ||
      (sessionId !== undefined && typeof sessionId !== "string") ||
      typeof providerId !== "string" ||
      typeof commandId !== "string" ||
      typeof environment !== "string" ||
      typeof input.type !== "string" ||
      !EVENT_TYPES.has(input.type) ||
      typeof input.outcome !== "string" ||
      typeof input.permission !== "string" ||
      typeof decision.outcome !== "string"
    )
      return undefined;
    const { risk, reasons } = decision;
    if (typeof risk !== "object" || risk === null || typeof reasons !== "object" || reasons === null)
      return undefined;
    const riskText = this.riskText(risk) ?? this.protectedJson(risk);
    const reasonsText = this.reasonsText(reasons) ?? this.protectedJson(reasons);
    const ids = this.stringsText(request.resourceIds) ?? this.protectedJson(request.resourceIds);
    // flat scalar params are JSON as they are (toJsonObject would hand back the same object)
    const paramsText =
      this.flatObjectText(request.params) ?? this.protectedJson(toJsonObject(request.params));
    const extra = this.extraDetailsText(input.details);
    if (
      riskText === undefined ||
      reasonsText === undefined ||
      ids === undefined ||
      paramsText === undefined ||
      extra === undefined
    )
      return undefined;
    const session = sessionId === undefined ? "" : `,"sessionId":${quote(sessionId)}`;
    return `"type":${quoteKnown(input.type)},"actor":${quoteKnown(userId)},"operationId":${quote(operationId)}${session},"providerId":${quoteKnown(providerId)},"commandId":${quoteKnown(commandId)},"environment":${quoteKnown(environment)},"outcome":${quoteKnown(input.outcome)},"risk":${riskText},"reasons":${reasonsText},"details":{"permission":${quoteKnown(input.permission)},"decision":${quoteKnown(decision.outcome)},"resourceIds":${ids},"params":${paramsText}${extra}}`;
  }

  /** `[…]` of an array of strings, as the protector writes it; undefined for anything else. */
  private stringsText(value: unknown): string | undefined {
    if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) return undefined;
    const a = value as unknown[];
    if (typeof (a as { toJSON?: unknown }).toJSON === "function") return undefined;
    let text = "[";
    for (let i = 0; i < a.length; i++) {
      const item = a[i];
      if (typeof item !== "string") return undefined;
      text += i === 0 ? quote(item) : `,${quote(item)}`;
    }
    return `${text}]`;
  }

  /**
   * `{…}` of a plain object whose members are strings, finite numbers, booleans or null (none
   * non-null under a secret-looking name), as the protector writes it; undefined for anything else.
   */
  private flatObjectText(o: Readonly<Record<string, unknown>>): string | undefined {
    if (Object.getPrototypeOf(o) !== Object.prototype) return undefined;
    let text = "{";
    let first = true;
    for (const k of Object.keys(o)) {
      const item = this.scalarText(k, o[k]);
      if (item === undefined) return undefined;
      if (item === SKIPPED) continue;
      text += first ? `${keyColon(k)}${item}` : `,${keyColon(k)}${item}`;
      first = false;
    }
    return `${text}}`;
  }

  /** `,"name":value…` of the facade's extra details (members after the four it always writes); undefined when unusual. */
  private extraDetailsText(details: Readonly<Record<string, unknown>>): string | undefined {
    if (Object.getPrototypeOf(details) !== Object.prototype) return undefined;
    let text = "";
    for (const k of Object.keys(details)) {
      if (DECISION_DETAIL_KEYS.has(k)) return undefined; // the spread would replace a member in place
      const item = this.scalarText(k, details[k]);
      if (item === undefined) return undefined;
      if (item !== SKIPPED) text += `,${keyColon(k)}${item}`;
    }
    return text;
  }

  /** The text of a scalar member, {@link SKIPPED} when JSON drops it, undefined when it is of another kind or a secret. */
  private scalarText(k: string, v: unknown): string | undefined {
    switch (typeof v) {
      case "string":
        return this.protector.isSecretKey(k) ? undefined : quote(v);
      case "boolean":
        return this.protector.isSecretKey(k) ? undefined : v ? "true" : "false";
      case "number":
        return !Number.isFinite(v) || this.protector.isSecretKey(k) ? undefined : String(v);
      case "undefined":
        return SKIPPED;
      case "object":
        return v === null ? "null" : undefined;
      default:
        return undefined;
    }
  }

  /** The compact text of a risk assessment of the usual shape (exactly its fields, JSON values); undefined otherwise. */
  private riskText(risk: unknown): string | undefined {
    if (typeof risk !== "object" || risk === null) return undefined;
    const kept = this.compactTexts.get(risk);
    if (kept !== undefined) return kept;
    if (Object.getPrototypeOf(risk) !== Object.prototype) return undefined;
    const r = risk as Record<string, unknown>;
    if (!hasExactly(r, RISK_KEYS)) return undefined;
    const { score, level, factors } = r;
    if (!isJsonNumber(score) || typeof level !== "string" || !Array.isArray(factors)) return undefined;
    let frozen = Object.isFrozen(r) && Object.isFrozen(factors);
    let text = `[${String(score)},${JSON.stringify(level)},[`;
    for (let i = 0; i < factors.length; i++) {
      const f: unknown = factors[i];
      if (typeof f !== "object" || f === null || Object.getPrototypeOf(f) !== Object.prototype)
        return undefined;
      const x = f as Record<string, unknown>;
      if (
        !hasExactly(x, FACTOR_KEYS) ||
        typeof x.name !== "string" ||
        !isJsonNumber(x.weight) ||
        !isJsonNumber(x.value) ||
        !isJsonNumber(x.contribution) ||
        typeof x.description !== "string"
      )
        return undefined;
      frozen &&= Object.isFrozen(x);
      text += `${i === 0 ? "" : ","}[${JSON.stringify(x.name)},${String(x.weight)},${String(x.value)},${String(x.contribution)},${JSON.stringify(x.description)}]`;
    }
    text = toAscii(`${text}]]`);
    if (frozen) this.compactTexts.set(risk, text);
    return text;
  }

  /** The compact text of gate reasons of the usual shape (`check`, `passed`, `message` each); undefined otherwise. */
  private reasonsText(reasons: unknown): string | undefined {
    if (!Array.isArray(reasons) || Object.getPrototypeOf(reasons) !== Array.prototype) return undefined;
    // concatenated, not joined: the record's text is one rope, walked once when the block is written
    let text = "[";
    for (let i = 0; i < reasons.length; i++) {
      const item = this.reasonText(reasons[i]);
      if (item === undefined) return undefined;
      text += i === 0 ? item : `,${item}`;
    }
    return `${text}]`;
  }

  private reasonText(reason: unknown): string | undefined {
    if (typeof reason !== "object" || reason === null) return undefined;
    const kept = this.compactTexts.get(reason);
    if (kept !== undefined) return kept;
    if (Object.getPrototypeOf(reason) !== Object.prototype) return undefined;
    const r = reason as Record<string, unknown>;
    if (
      !hasExactly(r, REASON_KEYS) ||
      typeof r.check !== "string" ||
      typeof r.passed !== "boolean" ||
      typeof r.message !== "string"
    )
      return undefined;
    const text = toAscii(`[${JSON.stringify(r.check)},${String(r.passed)},${JSON.stringify(r.message)}]`);
    if (Object.isFrozen(r)) this.compactTexts.set(reason, text);
    return text;
  }

  private async drain(): Promise<void> {
    await Promise.resolve();
    while (this.queue.length > 0) {
      if (this.store.shared === true && this.store.appendAt !== undefined) {
        await this.drainShared(this.queue.splice(0));
        continue;
      }
      if (this.recovering !== undefined) {
        await this.recovering;
        continue;
      }
      // a store with `appendAt` refuses a batch chained on one that failed: batches are pipelined
      const depth = this.store.appendAt === undefined ? 1 : PIPELINE_DEPTH;
      if (
        this.flights.length >= depth ||
        (this.flights.length > 0 && this.queue.length < MIN_PIPELINED_BATCH)
      ) {
        // a batch sent while another is in flight is worth its write only once it is this big
        const full = this.flights.length >= depth;
        await Promise.race([
          this.flights[0],
          ...(full ? [] : [new Promise<void>((resolve) => (this.wake = resolve))]),
        ]);
        this.wake = undefined;
        continue;
      }
      const flight = this.send(this.queue.splice(0, MAX_BATCH_RECORDS));
      this.flights.push(flight);
      void flight.then(() => this.flights.shift());
      await Promise.resolve(); // records queued as this batch is handed over join the next one
    }
  }

  /**
   * Chains a batch after the end of the chain handed to the store (records not durable yet
   * included) and hands it over at once, one entry per block (one for up to MAX_BLOCK records);
   * answers it strictly after every batch sent before it. A record is acknowledged only once it
   * and every record before it are durable. When a batch fails, every batch sent before the
   * failure was processed (chained on it) fails too — the store refuses them (`appendAt` at a
   * position the failed batch never reached) or its pipeline fails them — and nothing is chained
   * again until the head is resynced from the store.
   */
  private send(batch: QueuedRecord[]): Promise<void> {
    const before = this.flights.at(-1);
    const epoch = this.epoch;
    const start = this.chainEnd ?? this.head;
    const blocks: { entry: ChainEntry; hashes: string[] }[] = [];
    let { seq, hash } = start;
    const timestamp = this.now();
    for (let from = 0; from < batch.length;) {
      let to = from;
      for (let chars = 0; to < batch.length && to - from < MAX_BLOCK && chars < MAX_BLOCK_CHARS; to++)
        chars += (batch[to] as QueuedRecord).fields.length;
      const block = this.chainBlock(batch, from, to, seq, hash, timestamp);
      blocks.push(block);
      seq = block.entry.s + block.hashes.length - 1;
      hash = block.hashes.at(-1) ?? hash;
      from = to;
    }
    const end = { seq, hash, position: start.position + blocks.length };
    this.chainEnd = end;
    const entries = blocks.map(({ entry }): JsonValue => ({ ...entry }));
    const appendAt = this.store.appendAt?.bind(this.store);
    // without `appendAt` (one batch at a time): the blocks go out together, so the store commits them in one write
    const written: Promise<{ ok: boolean; cause?: unknown }> =
      appendAt !== undefined
        ? appendAt<JsonValue>(KEYS.auditLog, start.position + 1, entries).then(
            (result) => (result.ok ? { ok: true } : { ok: false, cause: refused(result.nextPosition) }),
            (cause: unknown) => ({ ok: false, cause }),
          )
        : Promise.allSettled(entries.map((entry) => this.store.append<JsonValue>(KEYS.auditLog, entry))).then(
            (settled) => {
              const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
              return failed === undefined ? { ok: true } : { ok: false, cause: failed.reason as unknown };
            },
          );
    return written.then(async (outcome) => {
      await before;
      if (outcome.ok && epoch === this.epoch) {
        this.head = end;
        if (this.chainEnd === end) this.chainEnd = undefined;
        this.scheduleAnchor();
        let i = 0;
        for (const { entry, hashes } of blocks)
          for (let k = 0; k < hashes.length; k++)
            (batch[i++] as QueuedRecord).resolve({ seq: entry.s + k, hash: hashes[k] as string });
        return;
      }
      const error = new StorageError("STORAGE_FAILED", "audit log could not be written", {
        cause: epoch === this.epoch ? outcome.cause : new Error("an earlier audit batch in flight failed"),
      });
      for (const item of batch) item.reject(error);
      if (epoch !== this.epoch) return;
      // the first failure: the batches in flight after it are doomed; chain again from what the log holds
      this.epoch++;
      this.chainEnd = undefined;
      const recovering = this.resync().finally(() => {
        if (this.recovering === recovering) this.recovering = undefined;
      });
      this.recovering = recovering;
    });
  }

  /** Chains `batch[from, to)` after record `seq` (hash `hash`) as one block entry. */
  private chainBlock(
    batch: readonly QueuedRecord[],
    from: number,
    to: number,
    seq: number,
    hash: string,
    timestamp: number,
  ): { entry: ChainEntry; hashes: string[] } {
    const first = seq + 1;
    const p = hash;
    const hashes: string[] = [];
    const writer = this.blockWriter;
    let chars = 0;
    for (let i = from; i < to; i++) chars += (batch[i] as QueuedRecord).fields.length;
    writer.start(hash, chars, to - from);
    // each record's text is `{"seq":…,"timestamp":…,` + its fields + `}`
    const stamp = `,"timestamp":${timestamp}`;
    for (let i = from; i < to; i++) {
      seq += 1;
      const item = batch[i] as QueuedRecord;
      const fields = item.fields;
      hashes.push(writer.add(fields === "" ? `{"seq":${seq}${stamp}` : `{"seq":${seq}${stamp},`, fields));
      // the batch stays referenced until it is durable (its callers are answered then): without its
      // text, which is in the block now (a rope of ~30 pieces and its flat copy, ~2.4 KB a gate
      // record), so that garbage dies young instead of being copied by every scavenge in the wait
      item.fields = "";
    }
    return { entry: { s: first, p, h: hashes.join(""), b: writer.text() }, hashes };
  }

  /** Chains a batch after the current head, one entry per record (stores shared by several writers). */
  private chain(batch: readonly { fields: string }[]): { entries: ChainEntry[]; seq: number; hash: string } {
    const timestamp = this.now();
    let { seq, hash } = this.head;
    const entries: ChainEntry[] = [];
    for (const item of batch) {
      seq += 1;
      const b = `{"seq":${seq},"timestamp":${timestamp}${item.fields === "" ? "" : ","}${item.fields}}`;
      const h = sha(hash, b);
      entries.push({ s: seq, p: hash, h, b });
      hash = h;
    }
    return { entries, seq, hash };
  }

  /**
   * Several writers share the log (a store with `appendAt`, such as Redis): the batch is appended
   * only at the position after this logger's head; when another instance appended first, its
   * records are adopted (they continue the chain) and the batch is chained again after them. One
   * order and one chain across instances, without a lock.
   */
  private async drainShared(batch: QueuedRecord[]): Promise<void> {
    const appendAt = this.store.appendAt?.bind(this.store);
    if (appendAt === undefined) return;
    const prepareAppend = this.store.prepareAppend?.bind(this.store);
    for (;;) {
      let result: AppendAtResult<JsonValue> | PrepareAppendResult<JsonValue>;
      let chained: { entries: ChainEntry[]; seq: number; hash: string } | undefined;
      let appended: AppendAtResult<JsonValue> | undefined;
      try {
        // a store that can tell (Redis under contention) says where the log stands before the
        // batch is chained: no chain built only to lose the race
        result = (await prepareAppend?.<JsonValue>(KEYS.auditLog, this.head.position + 1)) ?? { ok: true };
        if (result.ok) {
          chained = this.chain(batch);
          result = appended = await appendAt<JsonValue>(
            KEYS.auditLog,
            this.head.position + 1,
            chained.entries.map((entry) => ({ ...entry })),
          );
        }
      } catch (cause) {
        const error = new StorageError("STORAGE_FAILED", "audit log could not be written", { cause });
        for (const item of batch) item.reject(error);
        await this.resync();
        return;
      }
      if (result.ok) {
        // an ok prepareAppend is always followed by appendAt: `appended` is this result
        if (appended?.ok !== true || chained === undefined) continue;
        const { entries, seq, hash } = chained;
        this.head = { seq, hash, position: appended.entries.at(-1)?.position ?? this.head.position };
        this.scheduleAnchor();
        batch.forEach((item, i) => item.resolve({ seq: entries[i]?.s ?? seq, hash: entries[i]?.h ?? hash }));
        return;
      }
      const before = this.head.position;
      // the store hands over what another instance appended (Redis does): no read round trip
      if (result.missed === undefined) await this.resync();
      else this.adopt(result.missed);
      if (this.head.position === before) {
        const error = new StorageError(
          "STORAGE_CORRUPT",
          `audit log does not continue the chain after position ${before}: the log may have been tampered with`,
        );
        for (const item of batch) item.reject(error);
        return;
      }
    }
  }

  /** After a failed batch: continue the chain from what the log really holds. */
  private async resync(): Promise<void> {
    try {
      this.adopt(await this.store.read<JsonValue>(KEYS.auditLog, this.head.position + 1));
    } catch {
      // The store is failing; the next batch fails (closed) too or finds the store back.
    }
  }

  /**
   * Moves the head over entries another writer appended, as far as they continue the chain: every
   * entry's sequence number and previous-hash are checked, the SHA-256 of its text only for the
   * last one (what the next record chains onto; another instance hashed them all when it wrote
   * them, and `verify()` checks every one). When the last one fails, each is hashed to stop before
   * the first that does.
   */
  private adopt(tail: readonly LogEntry<JsonValue>[]): void {
    const before = this.head;
    let head = this.head;
    let last: { entry: ChainEntry; before: { seq: number; hash: string } } | undefined;
    for (const raw of tail) {
      const entry = parseEntry(raw);
      if (entry?.s !== head.seq + 1 || entry.p !== head.hash) break;
      last = { entry, before: head };
      head = { seq: lastSeq(entry), hash: lastHash(entry), position: raw.position };
    }
    const continues = (entry: ChainEntry, before: { seq: number; hash: string }): boolean =>
      new ChainVerifier(Number.MAX_SAFE_INTEGER, before.hash, before.seq + 1).push(entry) === undefined;
    if (last !== undefined && continues(last.entry, last.before)) this.head = head;
    else if (last !== undefined) {
      for (const raw of tail) {
        const entry = parseEntry(raw);
        if (entry === undefined || !continues(entry, this.head)) break;
        this.head = { seq: lastSeq(entry), hash: lastHash(entry), position: raw.position };
      }
    }
    // nothing adopted (a failed batch on a log that held nothing more): the anchor stays as it is; on an
    // empty log there is nothing to anchor (an anchor of no record would not parse on the next open)
    if (this.head !== before) this.scheduleAnchor();
  }

  /** Resolves once every queued record and the anchor are written; rejects when the anchor could not be. */
  async flush(): Promise<void> {
    while (this.draining !== undefined || this.flights.length > 0 || this.recovering !== undefined) {
      await this.draining;
      await this.flights.at(-1);
      await this.recovering;
    }
    for (;;) {
      await this.anchorWrite;
      if (this.anchorTimer !== undefined) {
        clearTimeout(this.anchorTimer);
        this.anchorTimer = undefined;
      }
      if (this.anchorInFlight) continue; // a write started after the one awaited
      if (!this.anchorDirty) break;
      await this.writeAnchor();
    }
    if (this.anchorError !== undefined) {
      const error = this.anchorError;
      this.anchorError = undefined;
      throw new StorageError("STORAGE_FAILED", "audit anchor could not be written", { cause: error });
    }
  }

  /**
   * Checks the whole chain: sequence numbers gap-free from 0, each record's previous-hash equal to
   * the hash of the record before it, each hash equal to SHA-256 of its text, and the last record
   * equal to the head this logger wrote (and to the MAC'd anchor). Names the first record that breaks.
   */
  async verify(): Promise<AuditVerification> {
    await this.flush().catch(() => undefined);
    // several writers: first adopt what the other instances appended (each record's hash is checked)
    if (this.store.shared === true) await this.resync();
    const head = { ...this.head };
    const anchorRecord = await this.store.get(KEYS.auditAnchor);
    const chain = new ChainVerifier(head.seq);
    let from = 0;
    const broken = (position: number, reason: string): AuditVerification => ({
      ok: false,
      records: chain.expected,
      firstBroken: { position, expectedSeq: chain.expected },
      reason,
    });
    const size = new PageSize();
    for (;;) {
      const page = await this.store.read<JsonValue>(KEYS.auditLog, from, size.limit);
      for (let i = 0; i < page.length; i++) {
        const raw = page[i] as LogEntry<JsonValue>;
        const problem = chain.push(raw.value);
        if (problem !== undefined) return broken(raw.position, problem);
      }
      if (page.length < size.limit) {
        const early = chain.endsEarly();
        if (early !== undefined) return broken(from + page.length, early);
        break;
      }
      size.after(page);
      from = (page.at(-1)?.position ?? from) + 1;
    }
    const differs = chain.lastDiffers(head.hash);
    if (differs !== undefined) return broken(head.position, differs);
    if (anchorRecord !== undefined) {
      const anchor = anchorSchema.safeParse(anchorRecord.value);
      if (!anchor.success || !this.macMatches(anchor.data.seq, anchor.data.hash, anchor.data.mac)) {
        return broken(Math.max(0, head.position), "the anchor's MAC does not match");
      }
      if (anchor.data.seq > chain.expected - 1)
        return broken(chain.expected, `log ends before the anchored sequence ${anchor.data.seq}`);
    }
    return { ok: true, records: chain.expected };
  }

  /** Records matching the query, oldest first. */
  async query(query: AuditQuery = {}): Promise<AuditRecord[]> {
    const types = query.types === undefined ? undefined : new Set<string>(query.types);
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    const out: AuditRecord[] = [];
    let from = 0;
    const size = new PageSize();
    for (;;) {
      const page = await this.store.read<JsonValue>(KEYS.auditLog, from, size.limit);
      for (const raw of page) {
        const v = raw.value as Partial<ChainEntry> | null;
        if (v === null || typeof v !== "object" || typeof v.b !== "string") continue;
        for (const text of v.b.split(RECORD_SEPARATOR)) {
          const record = expand(JSON.parse(text) as Record<string, unknown>);
          if (query.from !== undefined && record.timestamp < query.from) continue;
          if (query.to !== undefined && record.timestamp >= query.to) continue;
          if (query.userId !== undefined && record.actor !== query.userId) continue;
          if (types !== undefined && !types.has(record.type)) continue;
          if (query.operationId !== undefined && record.operationId !== query.operationId) continue;
          out.push(record);
          if (out.length >= limit) return out;
        }
      }
      if (page.length < size.limit) return out;
      size.after(page);
      from = (page.at(-1)?.position ?? from) + 1;
    }
  }

  /** Writes what is queued and refuses further records. Does not close the store (its owner does). */
  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    this.closed = true;
  }
}

/**
 * The chain check of {@link InfrastructureAuditLogger.verify}, one entry at a time in log order: each
 * entry must carry the next sequence number (in its record and its hashed text), the previous
 * entry's hash, and the SHA-256 of its own text; one hash per entry, nothing re-serialised. Its
 * state is two fields, so a check can resume from any position.
 */
export class ChainVerifier {
  /** Hash of the last entry accepted (the genesis hash before the first). */
  prev: string;
  /** Sequence number the next entry must carry. */
  expected: number;
  private readonly headSeq: number;
  private buffer = Buffer.allocUnsafe(64 * 1024);

  /** `headSeq`: the last sequence number the logger wrote (entries past it are foreign). */
  constructor(headSeq: number, prev: string = GENESIS_HASH, expected = 0) {
    this.headSeq = headSeq;
    this.prev = prev;
    this.expected = expected;
  }

  /**
   * Checks the next entry's stored value (a block of one or more records); a reason when it breaks
   * the chain. The records of the block before the one that breaks are accepted (the state then
   * stands before the breaking record, whose sequence number is {@link expected}).
   */
  push(value: unknown): string | undefined {
    const v = value as Partial<ChainEntry> | null;
    if (v === null || typeof v !== "object" || typeof v.b !== "string" || typeof v.h !== "string")
      return "record is not an audit chain entry";
    if (v.s !== this.expected) return `expected sequence ${this.expected}, found ${String(v.s)}`;
    if (v.p !== this.prev) return "previous-hash does not match the record before it";
    const b = v.b;
    const h = v.h;
    const count = h.length / HASH_LENGTH;
    if (count < 1 || !Number.isInteger(count)) return "record hashes are malformed";
    if (count > 1 && b.length >= BYTES_PATH_MIN_AVERAGE * count && !NON_ASCII.test(b))
      return this.pushAscii(b, h, count);
    let start = 0;
    for (let i = 0; i < count; i++) {
      const expected = this.expected;
      if (start > b.length) return "fewer records than hashes in the entry";
      let end = b.indexOf(RECORD_SEPARATOR, start);
      if (end < 0) end = b.length;
      if (i === count - 1 && end !== b.length) return "more records than hashes in the entry";
      if (!seqPrefixIs(b, expected, start)) return `expected sequence ${expected} in the record's text`;
      const own = digest(
        "sha256",
        this.prev + "\n" + (start === 0 && end === b.length ? b : b.slice(start, end)),
      );
      if (!h.startsWith(own, i * HASH_LENGTH)) return "hash does not match the record's content";
      if (expected > this.headSeq) return "record after the last one this logger wrote";
      this.prev = own;
      this.expected = expected + 1;
      start = end + 1;
    }
    return undefined;
  }

  /**
   * {@link push} for an ASCII block (every block the logger writes): the texts are copied once into
   * a reused buffer, and each record is hashed in place, the previous hash and a newline written over
   * the bytes just before it (the end of the record already checked); no string built per record.
   */
  private pushAscii(b: string, h: string, count: number): string | undefined {
    const end = HASH_LENGTH + 1 + b.length;
    if (end > this.buffer.length) this.buffer = Buffer.allocUnsafe(Math.max(end, this.buffer.length * 2));
    const buffer = this.buffer;
    buffer.write(b, HASH_LENGTH + 1, "latin1");
    const view = buffer.subarray(0, end);
    let start = HASH_LENGTH + 1;
    for (let i = 0; i < count; i++) {
      const expected = this.expected;
      if (start > end) return "fewer records than hashes in the entry";
      let stop = view.indexOf(SEPARATOR_BYTE, start);
      if (stop < 0) stop = end;
      if (i === count - 1 && stop !== end) return "more records than hashes in the entry";
      if (!seqPrefixAt(view, start, stop, expected))
        return `expected sequence ${expected} in the record's text`;
      buffer.write(this.prev, start - HASH_LENGTH - 1, "latin1");
      buffer[start - 1] = 0x0a;
      const own = digest("sha256", view.subarray(start - HASH_LENGTH - 1, stop), "hex");
      if (!h.startsWith(own, i * HASH_LENGTH)) return "hash does not match the record's content";
      if (expected > this.headSeq) return "record after the last one this logger wrote";
      this.prev = own;
      this.expected = expected + 1;
      start = stop + 1;
    }
    return undefined;
  }

  /** At the end of the log: a reason when it ends before the head. */
  endsEarly(): string | undefined {
    return this.expected - 1 < this.headSeq
      ? `log ends at sequence ${this.expected - 1}, the head is ${this.headSeq}`
      : undefined;
  }

  /** At the end of the log: a reason when its last entry is not the head the logger wrote. */
  lastDiffers(headHash: string): string | undefined {
    return this.expected > 0 && this.expected - 1 === this.headSeq && this.prev !== headHash
      ? "last record differs from the head this logger wrote"
      : undefined;
  }
}

/** True when a record's text starts with `{"seq":<seq>,` (checked in place, no string built). */
function seqPrefixIs(b: string, seq: number, from = 0): boolean {
  if (!b.startsWith(SEQ_PREFIX, from)) return false;
  let at = from + SEQ_PREFIX.length;
  let digits = 1;
  for (let n = seq; n >= 10; n = Math.floor(n / 10)) digits++;
  for (let i = digits - 1, rest = seq; i >= 0; i--, rest = Math.floor(rest / 10)) {
    if (b.charCodeAt(at + i) !== 48 + (rest % 10)) return false;
  }
  at += digits;
  return b.charCodeAt(at) === 44; // ","
}

const SEQ_PREFIX = '{"seq":';
/**
 * Blocks whose records average at least this many characters are hashed in place from bytes
 * ({@link ChainVerifier.pushAscii}); shorter records as strings, where the few native calls per
 * record of the bytes path cost more than the copy they save.
 */
const BYTES_PATH_MIN_AVERAGE = 512;
const SEQ_PREFIX_BYTES = Buffer.from(SEQ_PREFIX, "latin1");
const SEPARATOR_BYTE = RECORD_SEPARATOR.charCodeAt(0);

/** {@link seqPrefixIs} on bytes: the record in `buffer[start, stop)` starts with `{"seq":<seq>,`. */
function seqPrefixAt(buffer: Buffer, start: number, stop: number, seq: number): boolean {
  let at = start + SEQ_PREFIX_BYTES.length;
  if (at > stop || buffer.compare(SEQ_PREFIX_BYTES, 0, SEQ_PREFIX_BYTES.length, start, at) !== 0)
    return false;
  let digits = 1;
  for (let n = seq; n >= 10; n = Math.floor(n / 10)) digits++;
  if (at + digits >= stop) return false;
  for (let i = digits - 1, rest = seq; i >= 0; i--, rest = Math.floor(rest / 10)) {
    if (buffer[at + i] !== 48 + (rest % 10)) return false;
  }
  at += digits;
  return buffer[at] === 44; // ","
}

const RISK_KEYS = ["score", "level", "factors"] as const;
const FACTOR_KEYS = ["name", "weight", "value", "contribution", "description"] as const;
const REASON_KEYS = ["check", "passed", "message"] as const;
/** Compacting drops key names: only when none of them is a secret-looking name (whose values the protector would replace). */
const COMPACT_KEYS_SAFE = ![...RISK_KEYS, ...FACTOR_KEYS, ...REASON_KEYS].some((k) => isSecretKey(k));

/** The top-level keys of a gate decision record, and those of its details the facade always writes. */
const DECISION_KEYS = [
  "type",
  "actor",
  "operationId",
  "sessionId",
  "providerId",
  "commandId",
  "environment",
  "outcome",
  "risk",
  "reasons",
  "details",
] as const;
const DECISION_DETAIL_KEYS: ReadonlySet<string> = new Set([
  "permission",
  "decision",
  "resourceIds",
  "params",
]);
/** Composing a decision record skips the secret check of these names: only when none is secret-looking. */
const DECISION_KEYS_SAFE =
  COMPACT_KEYS_SAFE && ![...DECISION_KEYS, ...DECISION_DETAIL_KEYS].some((k) => isSecretKey(k));
/** A member JSON drops (undefined). */
const SKIPPED = "";

const isJsonNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** True when `o`'s own enumerable keys are exactly `keys` (in any order). */
function hasExactly(o: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(o);
  if (own.length !== keys.length) return false;
  for (const k of keys) if (!Object.hasOwn(o, k)) return false;
  return true;
}

/** A string JSON writes as it is between quotes (printable ASCII, no quote, no backslash). */
const PLAIN_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** The JSON text of a string, one byte per character. */
const quote = (s: string): string => (PLAIN_STRING.test(s) ? `"${s}"` : toAscii(JSON.stringify(s)));

/** A cache of texts for a small vocabulary: `make(key)` once per key, forgotten past 4,096 keys. */
function bounded(make: (key: string) => string): (key: string) => string {
  const texts = new Map<string, string>();
  return (key) => {
    let text = texts.get(key);
    if (text === undefined) {
      text = make(key);
      if (texts.size >= 4096) texts.clear();
      texts.set(key, text);
    }
    return text;
  };
}

/** {@link quote}, remembered for values that repeat from record to record (event types, users, providers, commands, environments…). */
const quoteKnown = bounded(quote);
/** Key texts (`"name"`) of the small vocabulary of record keys. */
const keyText = bounded(quote);
/** `"name":` of the small vocabulary of record keys. */
const keyColon = bounded((k) => `${keyText(k)}:`);

const NON_ASCII = /[\u0080-\uffff]/;
const NON_ASCII_ALL = /[\u0080-\uffff]/g;

/**
 * JSON text with every non-ASCII character as a `\u` escape (the same value when parsed), as a
 * one-byte string: a `replace` over a two-byte string yields a two-byte string even when every
 * character left is ASCII, and one two-byte piece makes the whole record two-byte once concatenated
 * (about 3x slower to hash, encode and checksum), so the result is made one-byte again (latin1).
 */
function toAscii(text: string): string {
  if (!NON_ASCII.test(text)) return text;
  const escaped = text.replace(NON_ASCII_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return Buffer.from(escaped, "latin1").toString("latin1");
}

/** Turns the compact risk and reasons of a stored record (see `compactFields`) back into objects. */
function expand(record: Record<string, unknown>): AuditRecord {
  const risk = record.risk;
  if (Array.isArray(risk) && risk.length === 3 && Array.isArray(risk[2])) {
    record.risk = {
      score: risk[0] as unknown,
      level: risk[1] as unknown,
      factors: (risk[2] as unknown[]).map((f) => {
        const [name, weight, value, contribution, description] = f as unknown[];
        return { name, weight, value, contribution, description };
      }),
    };
  }
  const reasons = record.reasons;
  if (Array.isArray(reasons) && reasons.some((r) => Array.isArray(r))) {
    record.reasons = reasons.map((r: unknown) => {
      if (!Array.isArray(r)) return r;
      const [check, passed, message] = r as unknown[];
      return { check, passed, message };
    });
  }
  return record as unknown as AuditRecord;
}

/** Sequence number of the last record of a block entry. */
const lastSeq = (entry: ChainEntry): number => entry.s + Math.floor(entry.h.length / HASH_LENGTH) - 1;
/** Hash of the last record of a block entry. */
const lastHash = (entry: ChainEntry): string => entry.h.slice(-HASH_LENGTH);

function parseEntry(raw: LogEntry<JsonValue>): ChainEntry | undefined {
  const parsed = chainEntrySchema.safeParse(raw.value);
  return parsed.success ? parsed.data : undefined;
}
