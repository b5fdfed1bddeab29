import { InfrastructureError } from "./errors.js";
import type { ListOptions, PutOptions, TrimOptions } from "./stores.js";

// The one check of the arguments every `StateStore` method takes beside its key (keys: storeKeys.ts),
// shared by the file, memory and Redis stores so a wrong argument gets the same typed error from each.

const invalid = (field: string, must: string): InfrastructureError =>
  new InfrastructureError("INVALID_ARGUMENT", `${field} must be ${must}`, { field });

const isNonNegativeInteger = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= 0;

/** Throws `INVALID_ARGUMENT` naming `field` unless `value` is a finite number greater than zero. */
function assertPositiveNumber(value: unknown, field: string): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0)
    throw invalid(field, "a finite number greater than 0");
}

/** The time to live a `put`/`compareAndSet` asks for (`options.ttlMs`, checked), or undefined for none. */
export function storeTtl(options: PutOptions | undefined): number | undefined {
  if (options?.ttlMs === undefined) return undefined;
  assertPositiveNumber(options.ttlMs, "options.ttlMs");
  return options.ttlMs;
}

/** Checks `compareAndSet`'s expected version: an integer >= 0 (0 = the key is absent). */
export function assertExpectedVersion(expectedVersion: unknown): asserts expectedVersion is number {
  if (!isNonNegativeInteger(expectedVersion)) throw invalid("expectedVersion", "an integer >= 0");
}

/** Checks `list`'s prefix and options (`limit` an integer >= 1, `cursor` a key). */
export function assertListArguments(prefix: unknown, options: ListOptions): void {
  if (typeof prefix !== "string") throw invalid("prefix", "a string");
  if (typeof options !== "object" || options === null) throw invalid("options", "an object");
  const { limit, cursor } = options;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
    throw invalid("options.limit", "an integer >= 1");
  if (cursor !== undefined && typeof cursor !== "string")
    throw invalid("options.cursor", "a string (the last key of the previous page)");
}

/** Checks `increment`'s window (a finite number > 0) and step (a finite number). */
export function assertCounterArguments(windowMs: unknown, by: unknown): void {
  assertPositiveNumber(windowMs, "windowMs");
  if (typeof by !== "number" || !Number.isFinite(by)) throw invalid("by", "a finite number");
}

/** Checks `read`'s start (an integer >= 0) and `limit` (an integer >= 0, or Infinity / omitted for all). */
export function assertReadArguments(fromPosition: unknown, limit: unknown): void {
  if (!isNonNegativeInteger(fromPosition)) throw invalid("fromPosition", "an integer >= 0");
  if (limit !== undefined && limit !== Number.POSITIVE_INFINITY && !isNonNegativeInteger(limit))
    throw invalid("limit", "an integer >= 0");
}

/** Checks `appendAt`'s expected position (an integer >= 0) and values (a non-empty array; each value is checked as it is copied). */
export function assertAppendAtArguments(expectedPosition: unknown, values: unknown): void {
  if (!isNonNegativeInteger(expectedPosition)) throw invalid("expectedPosition", "an integer >= 0");
  if (!Array.isArray(values) || values.length === 0) throw invalid("values", "a non-empty array");
}

/** Checks `trim`'s options and returns a copy holding only the limits given. */
export function trimOptionsOf(options: unknown): TrimOptions {
  if (typeof options !== "object" || options === null) throw invalid("options", "an object");
  const { maxEntries, olderThan } = options as Record<string, unknown>;
  if (maxEntries !== undefined && !isNonNegativeInteger(maxEntries))
    throw invalid("options.maxEntries", "an integer >= 0");
  if (olderThan !== undefined && (typeof olderThan !== "number" || !Number.isFinite(olderThan)))
    throw invalid("options.olderThan", "a finite number (epoch ms)");
  return {
    ...(maxEntries === undefined ? {} : { maxEntries }),
    ...(olderThan === undefined ? {} : { olderThan }),
  };
}
