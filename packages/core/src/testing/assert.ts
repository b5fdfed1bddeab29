/** Thrown by the contract checks when a store does not behave as the contract says. */
export class ContractViolation extends Error {
  override readonly name = "ContractViolation";
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (v === undefined ? "<undefined>" : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Deep equality of JSON-like values; an object property set to `undefined` counts as absent. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(rb, k) && deepEqual(ra[k], rb[k]));
}

/** Throws a {@link ContractViolation} unless `actual` deep-equals `expected`. */
export function assertEqual(actual: unknown, expected: unknown, what: string): void {
  if (!deepEqual(actual, expected))
    throw new ContractViolation(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** Throws a {@link ContractViolation} unless `condition` holds. */
export function assertTrue(condition: boolean, what: string): void {
  if (!condition) throw new ContractViolation(what);
}

/** Awaits `promise` and throws unless it rejects with an error carrying the given `code` (and `field`). */
export async function assertRejects(
  promise: Promise<unknown>,
  expected: { readonly code: string; readonly field?: string },
  what: string,
): Promise<void> {
  let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await promise };
  } catch (error) {
    outcome = { ok: false, error };
  }
  if (outcome.ok)
    throw new ContractViolation(
      `${what}: expected a rejection with code ${expected.code}, got ${show(outcome.value)}`,
    );
  const error = outcome.error as { code?: unknown; field?: unknown; message?: unknown } | null;
  if (error?.code !== expected.code || (expected.field !== undefined && error.field !== expected.field)) {
    throw new ContractViolation(
      `${what}: expected code ${expected.code}${expected.field === undefined ? "" : ` field ${expected.field}`}, got code ${show(error?.code)} field ${show(error?.field)} (${String(error?.message)})`,
    );
  }
}
