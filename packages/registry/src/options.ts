import {
  ConfigValidationError,
  ValidationError,
  tieredSafeParse,
  toValidationIssues,
} from "@espada/infra-core";

/** A schema core's `tieredSafeParse` takes (one of core's zod schemas). */
type Schema = Parameters<typeof tieredSafeParse>[0];
/** What parsing with `S` gives on success. */
type Parsed<S extends Schema> = Extract<ReturnType<typeof tieredSafeParse<S>>, { success: true }>["data"];

/**
 * Parses `input` with one of core's schemas; on failure throws a {@link ValidationError} whose
 * issues (core's codes) name each offending field as `<base>.<path>` (e.g. `meta.version`).
 * Through core's `tieredSafeParse`: a config block, a provider's meta or auth is parsed a few times
 * per process, so nothing is compiled for it until its schema has been used enough.
 */
export function parseWith<S extends Schema>(
  schema: S,
  input: unknown,
  base: string,
  what: string,
): Parsed<S> {
  const parsed = tieredSafeParse(schema, input, { reportInput: true });
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
