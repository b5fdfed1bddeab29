import { createHmac } from "node:crypto";
import { isSecretKey } from "@espada/infra-core";

/** Prefix of a secret value replaced by its keyed hash in an audit record. */
export const HMAC_PREFIX = "hmac-sha256:";

const MAX_DEPTH = 12;
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

  /** The protected JSON text of `value`; undefined when JSON drops it (undefined, functions, symbols). */
  json(value: unknown): string | undefined {
    this.seen.clear();
    this.pure = true;
    return this.walk(value, 0);
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
