import { frozenJsonCopy, isInfrastructureError } from "@espada/infra-core";
import type { JsonValue } from "@espada/infra-core";

/** Levels of plain objects walked for subtrees to share (a record, its session, the session's maps). */
const SHARE_DEPTH = 3;

/** A value that is not JSON was met: the whole value is copied again by core, which names the path. */
class NotShareable extends Error {}
const NOT_SHAREABLE = new NotShareable("not shareable");

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/**
 * Core's `frozenJsonCopy` of `value` at `depth` levels below the root of the copy: an object is
 * copied wrapped in `depth` arrays, so core refuses exactly the nesting it would refuse in a copy of
 * the whole value (its depth limit stays core's).
 */
function copyAt(value: unknown, depth: number): JsonValue {
  if (typeof value !== "object" || value === null) return frozenJsonCopy(value);
  let wrapped: unknown = value;
  for (let i = 0; i < depth; i++) wrapped = [wrapped];
  let copy = frozenJsonCopy(wrapped);
  for (let i = 0; i < depth; i++) copy = (copy as readonly JsonValue[])[0] as JsonValue;
  return copy;
}

/** Shared by every copy of an empty object or array (frozen: no copy can tell them apart). */
const EMPTY_OBJECT: JsonValue = Object.freeze({});
const EMPTY_ARRAY: JsonValue = Object.freeze([]);

/** Core's copy of an object not walked here; {@link NOT_SHAREABLE} when core refuses it. */
function copyObject(value: object, depth: number): JsonValue {
  if (Array.isArray(value) && value.length === 0) return EMPTY_ARRAY;
  try {
    return copyAt(value, depth);
  } catch (error) {
    // core's refusal of what is not JSON; anything else (a throwing getter) is the caller's
    throw isInfrastructureError(error) && error.code === "INVALID_ARGUMENT" ? NOT_SHAREABLE : error;
  }
}

/** The plain object `value` at `depth`, copied key by key, sharing what `previous` holds at the same keys. */
function share(
  value: Record<string, unknown>,
  previous: Record<string, unknown> | undefined,
  depth: number,
): JsonValue {
  const out: Record<string, JsonValue> = {};
  let empty = true;
  // core's walk: own enumerable string keys (for…in + hasOwn), each read once, `undefined` dropped
  for (const key in value) {
    const item = value[key];
    if (item === undefined || !Object.hasOwn(value, key)) continue;
    empty = false;
    let next: JsonValue;
    if (typeof item === "string" || typeof item === "boolean" || item === null)
      next = item; // JSON as they are
    else if (typeof item === "number") {
      if (!Number.isFinite(item)) throw NOT_SHAREABLE;
      next = frozenJsonCopy(item); // core's number (-0 is 0)
    } else if (typeof item !== "object") throw NOT_SHAREABLE;
    else {
      const kept = previous !== undefined && Object.hasOwn(previous, key) ? previous[key] : undefined;
      // the stored value's own subtree, frozen by the copy that stored it, is kept as it is
      if (item === kept) next = kept as JsonValue;
      else if (depth + 1 < SHARE_DEPTH && isPlainObject(item))
        next = share(item, isPlainObject(kept) ? kept : undefined, depth + 1);
      else next = copyObject(item, depth + 1);
    }
    // `out.__proto__ = x` would set the prototype; a copy keeps such a key as data, as JSON.parse does
    if (key === "__proto__")
      Object.defineProperty(out, key, { value: next, enumerable: true, writable: true, configurable: true });
    else out[key] = next;
  }
  return empty ? EMPTY_OBJECT : Object.freeze(out);
}

/**
 * `frozenJsonCopy(value, field)` that shares, instead of copying, every object of `value` that IS
 * (by identity) the object at the same path of `previous` — a value an engine stored, deeply frozen
 * JSON by the copy that stored it — walking the plain objects of the first {@link SHARE_DEPTH}
 * levels for them. The result equals core's copy (same keys, same values, frozen at every level);
 * a value core would refuse is refused with core's error (path and reason). A change that rebuilds
 * a record around the parts it keeps (a session whose variables changed) copies only what changed.
 */
export function frozenJsonCopySharing(
  value: unknown,
  previous: JsonValue | undefined,
  field = "value",
): JsonValue {
  try {
    if (isPlainObject(value)) return share(value, isPlainObject(previous) ? previous : undefined, 0);
  } catch (error) {
    if (error !== NOT_SHAREABLE) throw error;
  }
  return frozenJsonCopy(value, field); // throws core's error naming the path
}
