import { z } from "zod";
import { deferred } from "./deferredSchema.js";
import { InfrastructureError } from "./errors.js";
import { formatPath } from "./validation/path.js";
import { portableTransform } from "./validation/precompiled.js";

/**
 * A JSON value: what every store can hold. An object property whose value is `undefined` counts as
 * absent (stores drop it on write, as `JSON.stringify` does), so records with optional fields
 * (`{ instanceId?: string }`) are JSON values as they are.
 */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | JsonObject;
/** A JSON object (see {@link JsonValue}). */
export type JsonObject = { readonly [key: string]: JsonValue | undefined };

/** Nesting beyond which a value is refused: deeper input is hostile, and walking it could exhaust the stack. */
const MAX_JSON_DEPTH = 256;

/** Finds why a value is not JSON: a path and a reason, or undefined when it is JSON. */
function jsonProblem(
  value: unknown,
  path: (string | number)[],
  seen: Set<object>,
): { path: (string | number)[]; message: string } | undefined {
  if (value === null || typeof value === "string" || typeof value === "boolean") return undefined;
  if (typeof value === "number")
    return Number.isFinite(value) ? undefined : { path, message: "must be a finite number" };
  if (typeof value !== "object") return { path, message: `is not JSON (${typeof value})` };
  if (seen.has(value)) return { path, message: "contains a cycle" };
  if (path.length > MAX_JSON_DEPTH)
    return { path, message: `is nested deeper than ${MAX_JSON_DEPTH} levels` };
  const array = Array.isArray(value);
  const proto: unknown = Object.getPrototypeOf(value);
  if (!array && proto !== Object.prototype && proto !== null)
    return { path, message: "must be a plain object" };
  seen.add(value);
  if (array) {
    for (let i = 0; i < value.length; i++) {
      const problem = jsonProblem(value[i], [...path, i], seen);
      if (problem !== undefined) return problem;
    }
  } else {
    for (const key of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined) continue;
      const problem = jsonProblem(v, [...path, key], seen);
      if (problem !== undefined) return problem;
    }
  }
  seen.delete(value);
  return undefined;
}

/**
 * True when `value` is JSON exactly as `JSON.stringify` would keep it: null, a string, a boolean, a
 * finite number, or a plain object or array of such, with no property set to `undefined`, nested at
 * most 256 levels. The cheap walk of hot paths; false does not mean "not JSON" (use {@link isJsonValue}).
 */
export function isExactJson(value: unknown, depth = 0): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (typeof value !== "object" || depth > MAX_JSON_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isExactJson(value[i], depth + 1)) return false;
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const item = record[key];
    if (item === undefined || !isExactJson(item, depth + 1)) return false;
  }
  return true;
}

/**
 * True when `value` is a {@link JsonValue}: null, a string, a boolean, a finite number, or a plain
 * object or array of such (object properties set to `undefined` are allowed: they count as absent).
 */
export function isJsonValue(value: unknown): value is JsonValue {
  return isExactJson(value) || jsonProblem(value, [], new Set()) === undefined;
}

/**
 * Throws `INVALID_ARGUMENT` unless `value` is a {@link JsonValue}; the error's `field` names the
 * offending path under `field` (`value.when`, `value.list[2]`). What a store runs on every value it writes.
 */
export function assertJsonValue(value: unknown, field = "value"): asserts value is JsonValue {
  const problem = jsonProblem(value, [], new Set());
  if (problem === undefined) return;
  const path = formatPath(problem.path, field);
  throw new InfrastructureError("INVALID_ARGUMENT", `${path} ${problem.message}`, { field: path });
}

/** Thrown (pre-allocated, without a stack) by {@link frozenCopy}; never escapes this module. */
class NotJsonSignal extends Error {}
const NOT_JSON = new NotJsonSignal("not JSON");

/** Copies and freezes, or throws {@link NOT_JSON} without building paths. */
function frozenCopy(value: unknown, depth: number): JsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    // -0 becomes 0, as JSON writes it: a value reads back the same from every store
    if (Number.isFinite(value)) return value === 0 ? 0 : value;
    throw NOT_JSON;
  }
  if (typeof value !== "object" || depth > MAX_JSON_DEPTH) throw NOT_JSON;
  if (Array.isArray(value)) {
    const items = new Array<JsonValue>(value.length);
    for (let i = 0; i < value.length; i++) items[i] = frozenCopy(value[i], depth + 1);
    return Object.freeze(items);
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw NOT_JSON;
  const out: Record<string, JsonValue> = {};
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined || !Object.hasOwn(value, key)) continue;
    // `out.__proto__ = x` would set the prototype; JSON.parse makes it an own key, and so must a copy.
    if (key === "__proto__")
      Object.defineProperty(out, key, {
        value: frozenCopy(item, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else out[key] = frozenCopy(item, depth + 1);
  }
  return Object.freeze(out);
}

/**
 * A deep copy of a {@link JsonValue}, frozen at every level, so a stored value can be changed
 * neither by the caller afterwards nor by whoever reads it; object properties set to `undefined`
 * are dropped and `-0` becomes `0`, as in JSON text. Anything else throws `INVALID_ARGUMENT` naming the path under `field`, exactly as
 * {@link assertJsonValue} does. What a store runs on every value it keeps in memory.
 */
export function frozenJsonCopy(value: unknown, field = "value"): JsonValue {
  try {
    return frozenCopy(value, 0);
  } catch (error) {
    if (error !== NOT_JSON) throw error;
  }
  assertJsonValue(value, field);
  // Unreachable while both walks agree; kept so a disagreement is a typed error, not a bad copy.
  throw new InfrastructureError("INVALID_ARGUMENT", `${field} is not JSON`, { field });
}

// Built on first use (`deferred`): constructing zod schemas is most of what importing core would
// cost, and most importers never parse with most of them.
/** Schema of any JSON value (see {@link isJsonValue}); an issue names the offending path. */
export const jsonValueSchema = deferred(() =>
  z.unknown().transform((value, ctx): JsonValue => {
    const problem = jsonProblem(value, [], new Set());
    if (problem === undefined) return value as JsonValue; // checked just above
    ctx.issues.push({ code: "custom", message: problem.message, input: value, path: problem.path });
    return z.NEVER;
  }),
);

/** `jsonObjectSchema`'s check that every value of the record is JSON. */
const asJsonObject = portableTransform(
  "core.jsonObject",
  (record: Record<string, unknown>, ctx: z.core.ParsePayload): Record<string, JsonValue | undefined> => {
    const problem = jsonProblem(record, [], new Set());
    if (problem === undefined) return record as Record<string, JsonValue | undefined>; // checked just above
    ctx.issues.push({ code: "custom", message: problem.message, input: record, path: problem.path });
    return z.NEVER;
  },
);

/**
 * Schema of a JSON object given as any record: accepts `Record<string, unknown>` as input and
 * checks every value is JSON (an issue names the path, `params.when`), so callers holding loosely
 * typed data get a JSON-typed result without a cast.
 */
export const jsonObjectSchema = deferred(() => z.record(z.string(), z.unknown()).transform(asJsonObject));

/**
 * A JSON copy of a record for display, logs, audit and history (never for data that runs again):
 * what `JSON.parse(JSON.stringify(value))` would give, without throwing. `toJSON` is honoured
 * (a Date becomes its ISO string), `undefined`, functions and symbols are dropped (`null` inside
 * arrays), non-finite numbers become `null`, a bigint becomes its decimal string, and a cycle or
 * anything past 64 levels becomes `"[Circular]"` / `"[Too deep]"`. Already-JSON input is returned as is.
 */
export function toJsonObject(record: Readonly<Record<string, unknown>>): JsonObject {
  if (jsonProblem(record, [], new Set()) === undefined) return record as JsonObject; // checked just above
  const copied = copyJson(record, new Set(), 0);
  return typeof copied === "object" && copied !== null && !Array.isArray(copied)
    ? (copied as JsonObject)
    : {};
}

function copyJson(value: unknown, seen: Set<object>, depth: number): JsonValue | undefined {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "bigint") return value.toString();
  if (typeof value !== "object") return undefined;
  const toJSON: unknown = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    try {
      const converted: unknown = toJSON.call(value);
      if (converted !== value) return copyJson(converted, seen, depth + 1);
    } catch {
      return undefined;
    }
  }
  if (seen.has(value)) return "[Circular]";
  if (depth >= 64) return "[Too deep]";
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => copyJson(item, seen, depth + 1) ?? null);
    const out: Record<string, JsonValue> = {};
    for (const key of Object.keys(value)) {
      let item: unknown;
      try {
        item = (value as Record<string, unknown>)[key];
      } catch {
        continue;
      }
      const copied = copyJson(item, seen, depth + 1);
      if (copied === undefined) continue;
      // `out.__proto__ = x` would set the prototype; JSON keeps such a key as data.
      if (key === "__proto__")
        Object.defineProperty(out, key, {
          value: copied,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else out[key] = copied;
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
