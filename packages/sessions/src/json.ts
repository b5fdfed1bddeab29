import { InfrastructureError } from "@espada/infra-core";
import type { JsonValue } from "@espada/infra-core";

/** Longest key (or log name) a store accepts, in UTF-8 bytes; keeps encoded file names under 255 bytes. */
export const MAX_KEY_BYTES = 180;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Throws a typed `INVALID_ARGUMENT` error unless `key` is a usable store key. */
export function assertKey(key: unknown, field = "key"): asserts key is string {
  if (typeof key !== "string" || key.length === 0) {
    throw new InfrastructureError("INVALID_ARGUMENT", `${field} must be a non-empty string`, { field });
  }
  if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) {
    throw new InfrastructureError("INVALID_ARGUMENT", `${field} must be at most ${MAX_KEY_BYTES} UTF-8 bytes`, { field });
  }
  if (LONE_SURROGATE.test(key)) {
    throw new InfrastructureError("INVALID_ARGUMENT", `${field} must be well-formed Unicode (no lone surrogates)`, { field });
  }
}

/** Throws a typed `INVALID_ARGUMENT` error unless `value` is a finite number greater than zero. */
export function assertPositive(value: unknown, field: string): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new InfrastructureError("INVALID_ARGUMENT", `${field} must be a finite number greater than 0`, { field });
  }
}

/**
 * Deep-copies a JSON value and freezes the copy, so a stored value can neither be changed by the
 * caller afterwards nor by whoever reads it. Anything JSON cannot represent identically (undefined,
 * functions, non-finite numbers, class instances, cycles) is refused with `INVALID_ARGUMENT`; object
 * properties whose value is `undefined` are dropped, as `JSON.stringify` drops them.
 */
export function freezeJson(value: unknown, path = "value", seen: Set<object> = new Set()): JsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new InfrastructureError("INVALID_ARGUMENT", `${path} must be a finite number`, { field: path });
    return value;
  }
  if (typeof value !== "object") {
    throw new InfrastructureError("INVALID_ARGUMENT", `${path} is not JSON (${typeof value})`, { field: path });
  }
  if (seen.has(value)) throw new InfrastructureError("INVALID_ARGUMENT", `${path} contains a cycle`, { field: path });
  seen.add(value);
  let copy: JsonValue;
  if (Array.isArray(value)) {
    const items: JsonValue[] = [];
    for (let i = 0; i < value.length; i++) items.push(freezeJson(value[i] === undefined ? null : value[i], `${path}[${i}]`, seen));
    copy = Object.freeze(items);
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new InfrastructureError("INVALID_ARGUMENT", `${path} must be a plain object`, { field: path });
    }
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k] = freezeJson(v, `${path}.${k}`, seen);
    }
    copy = Object.freeze(out);
  }
  seen.delete(value);
  return copy;
}
