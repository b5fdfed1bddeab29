import { ValidationError } from "@espada/infra-core";
import type { ValidationIssue } from "@espada/infra-core";

/** The parts of a schema issue the SDK reads (a structural view, so the SDK needs no zod import). */
interface SchemaIssue {
  readonly code: string;
  readonly message: string;
  readonly path: readonly PropertyKey[];
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * Turns schema issues into a {@link ValidationError} whose message names every field and reason
 * (`id is required; version must be a semantic version (1.2.3)`).
 */
export function schemaIssuesToError(what: string, input: unknown, issues: readonly SchemaIssue[]): ValidationError {
  const converted: ValidationIssue[] = issues.map((i) => {
    const path = formatPath(i.path);
    const missing = i.path.length > 0 && valueAt(input, i.path) === undefined;
    const label = path === "" ? what : path;
    return missing
      ? { code: "REQUIRED", message: `${label} is required`, path }
      : { code: i.code.toUpperCase(), message: `${label}: ${i.message}`, ...(path === "" ? {} : { path }) };
  });
  return new ValidationError(`Invalid ${what}: ${converted.map((i) => i.message).join("; ")}`, converted);
}
