import { ConfigValidationError, ValidationError, toValidationIssues } from "@espada/infra-core";

/** Schema issues as core's schemas report them. */
type SchemaIssues = Parameters<typeof toValidationIssues>[0];

/** The structural shape of a schema's `safeParse` (core's zod schemas satisfy it). */
export interface SafeParser<T> {
  safeParse(
    input: unknown,
    params: { readonly reportInput: true; readonly jitless: true },
  ):
    | { readonly success: true; readonly data: T }
    | { readonly success: false; readonly error: { readonly issues: SchemaIssues } };
}

/**
 * Parses `input` with one of core's schemas; on failure throws a {@link ValidationError} whose
 * issues (core's codes) name each offending field as `<base>.<path>` (e.g. `meta.version`).
 * `jitless`: each such value (a config block, a provider's meta or auth) is parsed once, and zod's
 * eval-compiled fast path costs more to build than it saves on one parse.
 */
export function parseWith<T>(schema: SafeParser<T>, input: unknown, base: string, what: string): T {
  const parsed = schema.safeParse(input, { reportInput: true, jitless: true });
  if (parsed.success) return parsed.data;
  const issues = toValidationIssues(parsed.error.issues, base);
  const detail = issues.map((issue) => `${issue.path ?? base}: ${issue.message}`).join("; ");
  throw new ValidationError(`Invalid ${what}: ${detail}`, issues);
}

/**
 * Reads an optional integer option in [`min`, `max`], throwing a {@link ConfigValidationError}
 * naming `path` when it is not one.
 */
export function intOption(
  value: unknown,
  fallback: number,
  min: number,
  path: string,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    const message = `must be an integer ≥ ${min} and ≤ ${max}`;
    throw new ConfigValidationError(`Invalid option ${path}: ${message}`, [
      { code: "INVALID_VALUE", message, path },
    ]);
  }
  return value;
}
