/** True for a non-null, non-array object: a value whose properties can be read as a record (the one shared check; packages import it from core). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads an own property only (never the prototype chain: a parameter named `toString` stays absent). */
export function ownValue(record: Readonly<Record<string, unknown>>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Sets an own data property, even for `__proto__` (which plain assignment would turn into a prototype change). */
export function setOwn(record: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__")
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

/** A value counts as absent when it is `undefined` or `null`. */
export function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}
