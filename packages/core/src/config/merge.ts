import type { ValidationIssue } from "../errors.js";
import { appendPath } from "../validation/path.js";

/** The outcome of {@link deepMerge}: the merged value, or the field that could not be read. */
export type MergeResult =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly issue: ValidationIssue };

/** Thrown inside the merge only, caught by {@link deepMerge}: carries the path of the unreadable field. */
class Unreadable extends Error {
  readonly path: string;
  constructor(path: string, cause: unknown) {
    super(`unreadable at ${path}`, { cause });
    this.path = path;
  }
}

const reasonOf = (error: unknown): string => {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return "unknown reason";
  }
};

/** Runs `read`, turning a throw into an {@link Unreadable} naming `path`. */
function at<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof Unreadable) throw error;
    throw new Unreadable(path, error);
  }
}

function isPlainObject(value: unknown, path: string): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  return at(path, () => {
    if (Array.isArray(value)) return false;
    const proto = Object.getPrototypeOf(value) as unknown;
    return proto === Object.prototype || proto === null;
  });
}

/** Own enumerable entries, each read on its own so a throwing getter names its key. */
function entriesOf(value: object, path: string): [string, unknown][] {
  const keys = at(path, () => Object.keys(value));
  return keys.map((key) => [key, at(appendPath(path, key), () => (value as Record<string, unknown>)[key])]);
}

/** A plain-data copy of user input: plain objects and arrays are copied (every read guarded), anything else kept as is. */
function snapshot(value: unknown, path: string): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (at(path, () => Array.isArray(value))) {
    const items = value as unknown[];
    const length = at(path, () => items.length);
    return Array.from({ length }, (_, index) =>
      snapshot(
        at(appendPath(path, index), () => items[index]),
        appendPath(path, index),
      ),
    );
  }
  if (!isPlainObject(value, path)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of entriesOf(value, path)) define(out, key, snapshot(child, appendPath(path, key)));
  return out;
}

/** Sets an own data property (a `__proto__` key stays data and never reaches a prototype). */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function mergeAt(base: unknown, override: unknown, path: string): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(base, path) || !isPlainObject(override, path)) return snapshot(override, path);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) define(out, key, value);
  for (const [key, value] of entriesOf(override, path)) {
    const merged = mergeAt(Object.hasOwn(out, key) ? out[key] : undefined, value, appendPath(path, key));
    define(out, key, merged);
  }
  return out;
}

/**
 * Deep-merges `override` onto `base` without touching either: plain objects merge key by key,
 * everything else (arrays included) replaces, and `undefined` in `override` keeps the base value.
 * Plain objects and arrays of `override` are copied, so the result holds no getter or proxy of the
 * caller's. Keys are copied as own data properties, so `__proto__` cannot reach a prototype. Never
 * throws: a getter or proxy trap that throws gives an `UNREADABLE` issue naming the field.
 */
export function deepMerge(base: unknown, override: unknown): MergeResult {
  try {
    return { ok: true, value: mergeAt(base, override, "") };
  } catch (error) {
    const path = error instanceof Unreadable ? error.path : "";
    const reason = reasonOf(error instanceof Unreadable ? error.cause : error);
    const issue: ValidationIssue =
      path === ""
        ? { code: "UNREADABLE", message: `configuration could not be read: ${reason}` }
        : { code: "UNREADABLE", message: `could not be read: ${reason}`, path };
    return { ok: false, issue };
  }
}
