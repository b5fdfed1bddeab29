import { toValidationIssues } from "@espada/infra-core";
import type { ValidationIssue } from "@espada/infra-core";
import type { z } from "zod";
import { knownKeysAt } from "./schemaKeys.js";
import { closestMatch } from "./suggest.js";

/** A validation issue with the raw path segments and, for an unknown key, the closest valid key. */
export interface DetailedIssue extends ValidationIssue {
  /** Path segments relative to the parsed value (`["sessionConfig", "tmeout"]`). */
  readonly segments: readonly PropertyKey[];
  /** For `UNKNOWN_KEY`: the valid key the typo most likely meant. */
  readonly suggestion?: string;
}

/**
 * Converts zod issues with core's `toValidationIssues` (one owner of codes and messages) and adds
 * a "did you mean" suggestion to each unknown key, read from the schema's own keys.
 */
export function describeIssues(
  schema: z.ZodType,
  issues: readonly z.core.$ZodIssue[],
  base = "",
): DetailedIssue[] {
  const out: DetailedIssue[] = [];
  for (const issue of issues) {
    const converted = toValidationIssues([issue], base);
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(schema, issue.path) ?? [];
      issue.keys.forEach((key, index) => {
        const plain = converted[index];
        if (plain === undefined) return;
        const suggestion = closestMatch(key, known);
        out.push({
          ...plain,
          segments: [...issue.path, key],
          ...(suggestion === undefined
            ? {}
            : { message: `${plain.message}; did you mean "${suggestion}"?`, suggestion }),
        });
      });
      continue;
    }
    for (const plain of converted) out.push({ ...plain, segments: issue.path });
  }
  return out;
}
