import type { z } from "zod";
import type { ValidationIssue } from "../errors.js";
import { appendPath, formatPath } from "../validation/path.js";

const CODES: Readonly<Record<string, string>> = {
  invalid_type: "TYPE_MISMATCH",
  too_big: "TOO_BIG",
  too_small: "TOO_SMALL",
  invalid_format: "INVALID_FORMAT",
  not_multiple_of: "NOT_MULTIPLE_OF",
  invalid_union: "INVALID_VALUE",
  invalid_key: "INVALID_KEY",
  invalid_element: "INVALID_VALUE",
  invalid_value: "INVALID_VALUE",
  custom: "INVALID_VALUE",
};

/**
 * Turns zod issues into framework issues: one issue per unknown key (`UNKNOWN_KEY`, naming the key's
 * full path), `REQUIRED` for a missing key, and the custom code a refinement set in `params.code`.
 * Parse with `{ reportInput: true }`: a missing key is told from a wrong type by the issue's `input`.
 */
export function toValidationIssues(issues: readonly z.core.$ZodIssue[], base = ""): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of issues) {
    const path = formatPath(issue.path, base);
    const at = path === "" ? {} : { path };
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        out.push({
          code: "UNKNOWN_KEY",
          message: `unknown configuration key "${key}"`,
          path: appendPath(path, key),
        });
      }
      continue;
    }
    if (issue.code === "invalid_type" && issue.input === undefined) {
      out.push({ code: "REQUIRED", message: `is required (expected ${issue.expected})`, ...at });
      continue;
    }
    const custom =
      issue.code === "custom" ? (issue.params as { code?: unknown } | undefined)?.code : undefined;
    const code = typeof custom === "string" ? custom : (CODES[issue.code] ?? "INVALID_VALUE");
    out.push({ code, message: issue.message, ...at });
  }
  return out;
}
