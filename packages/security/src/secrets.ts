import { createHmac } from "node:crypto";
import { isSecretKey } from "@espada/infra-core";

/** Prefix of a secret value replaced by its keyed hash in an audit record. */
export const HMAC_PREFIX = "hmac-sha256:";

const MAX_DEPTH = 12;
/** {@link SecretProtector} scan flags: native JSON text is the protected text; the subtree is deeply frozen. */
const PLAIN = 1;
const IMMUTABLE = 2;
/** Levels composed key by key before a plain subtree is handed to `JSON.stringify` whole. */
const COMPOSED_LEVELS = 2;
const NOT_PLAIN = Symbol("not plain");
/** Key names whose secret-ness is remembered (audit records reuse a small vocabulary). */
const MAX_MEMO = 4096;

/**
 * Serialises values to JSON with secrets replaced by their keyed hash (see {@link protectSecrets}),
 * straight to text, without building a protected copy. Deeply frozen objects (the risk scorer's
 * shared assessments, constant reasons) are serialised once and their text reused; the predicate's
 * answer is remembered per key name.
 */
export class SecretProtector {
  private readonly key: Buffer;
  private readonly isSecret: (name: unknown) => boolean;
  private readonly memo = new Map<string, boolean>();
  /** Text of deeply frozen subtrees and the depth it was made at (reused at that depth or shallower). */
  private readonly frozen = new WeakMap<object, { readonly text: string; readonly depth: number }>();
  private readonly seen = new Set<object>();
  /** False once the text being made depends on more than immutable input (truncation, cycles, throwing getters, mutable objects). */
  private pure = true;

  constructor(key: Buffer, isSecret: (name: unknown) => boolean = isSecretKey) {
    this.key = key;
    this.isSecret = isSecret;
  }

  /** Deeply frozen plain subtrees without secrets: their text and the depth it was made at (valid there or shallower). */
  private readonly plainFrozen = new WeakMap<object, { readonly text: string; readonly depth: number }>();

  /** The protected JSON text of `value`; undefined when JSON drops it (undefined, functions, symbols). */
  json(value: unknown): string | undefined {
    // Plain JSON data with no secret to replace (the usual audit record): the engine's own
    // JSON.stringify writes exactly the text the walker would, several times faster.
    try {
      const text = this.plainText(value, 0);
      if (text !== NOT_PLAIN) return text;
    } catch {
      // a throwing getter: the walker writes "[Unreadable]"
    }
    this.seen.clear();
    this.pure = true;
    return this.walk(value, 0);
  }

  /**
   * The members of an object's protected JSON text without the enclosing braces (`"a":1,"b":2`; empty
   * for an empty object): what a caller splices into a larger object without copying the text again.
   */
  fields(value: Readonly<Record<string, unknown>>): string {
    try {
      if (Object.getPrototypeOf(value) === Object.prototype && !Object.isFrozen(value)) {
        const text = this.plainMembers(value, 0);
        if (text !== NOT_PLAIN) return text;
      }
    } catch {
      // a throwing getter: the walker writes "[Unreadable]"
    }
    const text = this.json(value) ?? "{}";
    return text.length <= 2 ? "" : text.slice(1, -1);
  }

  /**
   * The text of plain data ({@link scan}), or {@link NOT_PLAIN}. The two outer levels (the record and
   * its direct children) are composed key by key, so a deeply frozen plain child (the risk scorer's
   * shared assessment, constant reasons) is written once and its text reused; below that, a plain
   * subtree is one `JSON.stringify` call.
   */
  private plainText(v: unknown, depth: number): string | undefined | typeof NOT_PLAIN {
    if (typeof v !== "object" || v === null) {
      if (typeof v === "number" && !Number.isFinite(v)) return NOT_PLAIN;
      return typeof v === "bigint" ? NOT_PLAIN : JSON.stringify(v);
    }
    const cached = this.plainFrozen.get(v);
    if (cached !== undefined && depth <= cached.depth) return cached.text;
    if (depth >= COMPOSED_LEVELS || Object.isFrozen(v)) {
      const flags = this.scan(v, depth);
      return flags === 0 ? NOT_PLAIN : this.frozenText(v, depth, flags, JSON.stringify(v));
    }
    const proto: unknown = Object.getPrototypeOf(v);
    let text: string;
    if (proto === Array.prototype) {
      const a = v as unknown[];
      text = "[";
      for (let i = 0; i < a.length; i++) {
        const item = this.plainText(a[i], depth + 1);
        if (item === NOT_PLAIN) return NOT_PLAIN;
        text += i === 0 ? (item ?? "null") : `,${item ?? "null"}`;
      }
      text += "]";
    } else if (proto === Object.prototype || proto === null) {
      const members = this.plainMembers(v as Record<string, unknown>, depth);
      if (members === NOT_PLAIN) return NOT_PLAIN;
      text = `{${members}}`;
    } else return NOT_PLAIN;
    return text;
  }

  /** The members of a plain object's text (no braces), or {@link NOT_PLAIN}. */
  private plainMembers(o: Record<string, unknown>, depth: number): string | typeof NOT_PLAIN {
    if (typeof o.toJSON === "function") return NOT_PLAIN;
    const keys = Object.keys(o);
    let text = "";
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      const value = o[k];
      if (value !== undefined && value !== null && this.secretName(k)) return NOT_PLAIN;
      const item = this.plainText(value, depth + 1);
      if (item === NOT_PLAIN) return NOT_PLAIN;
      if (item === undefined) continue;
      text += text.length > 0 ? `,${JSON.stringify(k)}:${item}` : `${JSON.stringify(k)}:${item}`;
    }
    return text;
  }

  /** Remembers the text of a deeply frozen plain subtree. */
  private frozenText(v: object, depth: number, flags: number, text: string): string {
    if ((flags & IMMUTABLE) !== 0) this.plainFrozen.set(v, { text, depth });
    return text;
  }

  /**
   * {@link PLAIN} when `JSON.stringify(v)` writes exactly what {@link walk} would: only strings,
   * finite numbers, booleans, null, dropped values (undefined, functions, symbols), plain objects
   * and arrays without `toJSON`, nothing nested past the depth limit (so no cycle) and no
   * non-null value under a secret-looking key; with {@link IMMUTABLE} when it is deeply frozen too
   * (remembered, not scanned again). 0 otherwise: the walker handles it.
   */
  private scan(v: unknown, depth: number): number {
    switch (typeof v) {
      case "string":
      case "boolean":
      case "undefined":
      case "function":
      case "symbol":
        return PLAIN | IMMUTABLE;
      case "number":
        return Number.isFinite(v) ? PLAIN | IMMUTABLE : 0;
      case "bigint":
        return 0;
      default:
        break;
    }
    if (v === null) return PLAIN | IMMUTABLE;
    const o = v as Record<string, unknown>;
    if (depth >= MAX_DEPTH) return 0;
    const checked = this.plainFrozen.get(o);
    if (checked !== undefined && depth <= checked.depth) return PLAIN | IMMUTABLE;
    const proto: unknown = Object.getPrototypeOf(o);
    let flags = PLAIN | IMMUTABLE;
    if (proto === Array.prototype) {
      const a = o as unknown as unknown[];
      for (let i = 0; i < a.length; i++) {
        const f = this.scan(a[i], depth + 1);
        if (f === 0) return 0;
        flags &= f;
      }
    } else if (proto === Object.prototype || proto === null) {
      if (typeof o.toJSON === "function") return 0;
      const keys = Object.keys(o);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as string;
        const item = o[k];
        if (item !== undefined && item !== null && this.secretName(k)) return 0;
        const f = this.scan(item, depth + 1);
        if (f === 0) return 0;
        flags &= f;
      }
    } else return 0; // dates, errors, class instances, boxed primitives, maps…
    if ((flags & IMMUTABLE) !== 0 && !Object.isFrozen(o)) flags = PLAIN;
    return flags;
  }

  /** Core's secret-key predicate for `k` (remembered per key name). */
  isSecretKey(k: string): boolean {
    return this.secretName(k);
  }

  private secretName(k: string): boolean {
    let secret = this.memo.get(k);
    if (secret === undefined) {
      try {
        secret = this.isSecret(k);
      } catch {
        return true;
      }
      if (this.memo.size >= MAX_MEMO) this.memo.clear();
      this.memo.set(k, secret);
    }
    return secret;
  }

  private hmac(secret: unknown): string {
    const text = typeof secret === "string" ? secret : (this.walk(secret, 0) ?? "null");
    return `"${HMAC_PREFIX}${createHmac("sha256", this.key).update(text).digest("hex")}"`;
  }

  private walk(v: unknown, depth: number): string | undefined {
    switch (typeof v) {
      case "string":
        return JSON.stringify(v);
      case "boolean":
        return v ? "true" : "false";
      case "number":
        return Number.isFinite(v) ? String(v) : JSON.stringify(String(v));
      case "bigint":
        return JSON.stringify(v.toString());
      case "object":
        if (v === null) return "null";
        return this.walkObject(v, depth);
      default:
        return undefined;
    }
  }

  private walkObject(v: object, depth: number): string {
    if (v instanceof Date || v instanceof Error) {
      this.pure = false; // mutable even when frozen (a date's time, an error's message getter)
      if (v instanceof Error)
        return `{"name":${JSON.stringify(v.name)},"message":${JSON.stringify(v.message)}}`;
      return Number.isNaN(v.getTime()) ? "null" : JSON.stringify(v.toISOString());
    }
    if (depth >= MAX_DEPTH) {
      this.pure = false;
      return '"[Truncated]"';
    }
    if (this.seen.has(v)) {
      this.pure = false;
      return '"[Circular]"';
    }
    const frozen = Object.isFrozen(v);
    if (frozen) {
      const hit = this.frozen.get(v);
      if (hit !== undefined && depth <= hit.depth) return hit.text;
    }
    const outer = this.pure;
    this.pure = true;
    this.seen.add(v);
    let text: string;
    try {
      if (Array.isArray(v)) {
        text = "[";
        for (let i = 0; i < v.length; i++) {
          if (i > 0) text += ",";
          text += this.walk(v[i], depth + 1) ?? "null";
        }
        text += "]";
      } else {
        text = "{";
        for (const k of Object.keys(v)) {
          let item: unknown;
          try {
            item = (v as Record<string, unknown>)[k];
          } catch {
            item = "[Unreadable]";
            this.pure = false;
          }
          const safe =
            item !== undefined && item !== null && this.secretName(k)
              ? this.hmac(item)
              : this.walk(item, depth + 1);
          if (safe === undefined) continue;
          if (text.length > 1) text += ",";
          text += JSON.stringify(k) + ":" + safe;
        }
        text += "}";
      }
    } finally {
      this.seen.delete(v);
    }
    // a frozen object whose children are frozen or primitive serialises the same next time
    if (frozen && this.pure) this.frozen.set(v, { text, depth });
    this.pure = outer && this.pure && frozen;
    return text;
  }
}

/**
 * Turns any value into JSON fit for an audit record: values under secret-looking keys (core's one
 * secret-key predicate) become `hmac-sha256:<hex>` of the value under `key` (equal secrets match,
 * none can be read back); `undefined` and functions are dropped, bigints become strings, dates ISO
 * strings, errors their message, cycles `"[Circular]"`, and nesting past 12 levels `"[Truncated]"`.
 */
export function protectSecrets(
  value: unknown,
  key: Buffer,
  isSecret: (name: unknown) => boolean = isSecretKey,
): unknown {
  const text = new SecretProtector(key, isSecret).json(value);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}
