function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Deep-merges `override` onto `base` without touching either: plain objects merge key by key,
 * everything else (arrays included) replaces, and `undefined` in `override` keeps the base value.
 * Keys are copied as own data properties, so `__proto__` cannot reach a prototype.
 */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const entries = new Map<string, unknown>(Object.entries(base));
  for (const [key, value] of Object.entries(override)) entries.set(key, deepMerge(entries.get(key), value));
  return Object.fromEntries(entries);
}
