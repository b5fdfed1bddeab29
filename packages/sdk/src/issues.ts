import { ValidationError, toValidationIssues } from "@espada/infra-core/authoring";
import type { ValidationIssue } from "@espada/infra-core";

/** Schema issues as core's schemas report them (parsed with `{ reportInput: true }`). */
type SchemaIssues = Parameters<typeof toValidationIssues>[0];

/**
 * Turns schema issues into a {@link ValidationError} with core's codes and paths, whose message
 * names every field and reason (`id is required; version: must be a semantic version (1.2.3)`).
 */
export function schemaIssuesToError(what: string, issues: SchemaIssues): ValidationError {
  const converted: ValidationIssue[] = toValidationIssues(issues).map((issue) => {
    const label = issue.path ?? what;
    return {
      ...issue,
      message: issue.code === "REQUIRED" ? `${label} is required` : `${label}: ${issue.message}`,
    };
  });
  return new ValidationError(`Invalid ${what}: ${converted.map((i) => i.message).join("; ")}`, converted);
}
