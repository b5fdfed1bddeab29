import { createHmac } from "node:crypto";
import { isSecretKey } from "@espada/infra-core";

/** Prefix of a secret value replaced by its keyed hash in an audit record. */
export const HMAC_PREFIX = "hmac-sha256:";

const MAX_DEPTH = 12;

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
  const seen = new Set<object>();
  const hmac = (secret: unknown): string =>
    HMAC_PREFIX +
    createHmac("sha256", key)
      .update(typeof secret === "string" ? secret : (JSON.stringify(walk(secret, 0, false)) ?? "null"))
      .digest("hex");
  function walk(v: unknown, depth: number, secret: boolean): unknown {
    if (secret && v !== undefined && v !== null) return hmac(v);
    if (v === null || typeof v === "string" || typeof v === "boolean") return v;
    if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
    if (typeof v === "bigint") return v.toString();
    if (typeof v !== "object") return undefined;
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
    if (v instanceof Error) return { name: v.name, message: v.message };
    if (depth >= MAX_DEPTH) return "[Truncated]";
    if (seen.has(v)) return "[Circular]";
    seen.add(v);
    try {
      if (Array.isArray(v)) return v.map((item: unknown) => walk(item, depth + 1, false) ?? null);
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) {
        let item: unknown;
        try {
          item = (v as Record<string, unknown>)[k];
        } catch {
          item = "[Unreadable]";
        }
        let secret: boolean;
        try {
          secret = isSecret(k);
        } catch {
          secret = true;
        }
        const safe = walk(item, depth + 1, secret);
        if (safe !== undefined)
          Object.defineProperty(out, k, {
            value: safe,
            enumerable: true,
            writable: true,
            configurable: true,
          });
      }
      return out;
    } finally {
      seen.delete(v);
    }
  }
  return walk(value, 0, false);
}
