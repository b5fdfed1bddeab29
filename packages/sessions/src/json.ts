import { InfrastructureError } from "@espada/infra-core";
import type { JsonValue } from "@espada/infra-core";

const MAX_DEPTH = 256;
/** Thrown (pre-allocated, without a stack) by the fast path; never escapes this module. */
class NotJsonSignal extends Error {}
const BAD = new NotJsonSignal("not JSON");

/** Fast path: copy and freeze, or throw {@link BAD} without building paths. */
function copy(value: unknown, depth: number): JsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (Number.isFinite(value)) return value;
    throw BAD;
  }
  if (typeof value !== "object" || depth > MAX_DEPTH) throw BAD;
  if (Array.isArray(value)) {
    const items = new Array<JsonValue>(value.length);
    for (let i = 0; i < value.length; i++)
      items[i] = copy(value[i] === undefined ? null : value[i], depth + 1);
    return Object.freeze(items);
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw BAD;
  const out: Record<string, JsonValue> = {};
  for (const k in value) {
    const v = (value as Record<string, unknown>)[k];
    if (v === undefined || !Object.hasOwn(value, k)) continue;
    // `out.__proto__ = x` would set the prototype; JSON.parse makes it an own key, and so must a copy.
    if (k === "__proto__")
      Object.defineProperty(out, k, {
        value: copy(v, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else out[k] = copy(v, depth + 1);
  }
  return Object.freeze(out);
}

/** Slow path, only after the fast one failed: finds the offending path for the error. */
function explain(value: unknown, path: string, seen: Set<object>): InfrastructureError | undefined {
  const fail = (why: string): InfrastructureError =>
    new InfrastructureError("INVALID_ARGUMENT", `${path} ${why}`, { field: path });
  if (value === null || typeof value === "string" || typeof value === "boolean" || value === undefined)
    return undefined;
  if (typeof value === "number") return Number.isFinite(value) ? undefined : fail("must be a finite number");
  if (typeof value !== "object") return fail(`is not JSON (${typeof value})`);
  if (seen.has(value)) return fail("contains a cycle");
  if (seen.size >= MAX_DEPTH) return fail(`is nested deeper than ${MAX_DEPTH} levels`);
  const proto: unknown = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null)
    return fail("must be a plain object");
  seen.add(value);
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [`[${i}]`, v])
    : Object.entries(value).map(([k, v]) => [`.${k}`, v]);
  for (const [suffix, v] of entries) {
    const error = explain(v, `${path}${suffix}`, seen);
    if (error !== undefined) return error;
  }
  seen.delete(value);
  return undefined;
}

/**
 * Deep-copies a JSON value and freezes the copy, so a stored value can neither be changed by the
 * caller afterwards nor by whoever reads it. Anything JSON cannot represent identically (undefined,
 * functions, non-finite numbers, class instances, cycles) is refused with `INVALID_ARGUMENT` naming
 * the path; object properties whose value is `undefined` are dropped, as `JSON.stringify` drops them.
 */
export function freezeJson(value: unknown, path = "value"): JsonValue {
  try {
    return copy(value, 0);
  } catch (error) {
    if (error !== BAD) throw error;
    throw (
      explain(value, path, new Set()) ??
      new InfrastructureError("INVALID_ARGUMENT", `${path} is not JSON`, { field: path })
    );
  }
}
