import { tieredSafeParse } from "@espada/infra-core";
import type { DiscoveryProblem, DiscoverySource } from "@espada/infra-core";
import type { z } from "zod";
import { describeIssues } from "./issues.js";

/** Most problems reported for one manifest (or remote entry); the rest are counted in one more. */
const MAX_ISSUES_PER_MANIFEST = 10;

/**
 * Parses with core's `tieredSafeParse` (jitless while the schema is cold, its fast parser once warm);
 * a failure is parsed again with `reportInput` (a missing key told from a wrong type). The
 * diagnostics always come from zod.
 */
export function parseReporting<T extends z.ZodType>(
  schema: T,
  value: unknown,
): z.ZodSafeParseResult<z.output<T>> {
  const parsed = tieredSafeParse(schema, value);
  return parsed.success ? parsed : tieredSafeParse(schema, value, { reportInput: true });
}

/** The discovery problems of a failed manifest parse: one per issue, naming the field, at most ten and a count. */
export function issueProblems(
  schema: z.ZodType,
  issues: readonly z.core.$ZodIssue[],
  base: string,
  location: string,
  source: DiscoverySource,
): DiscoveryProblem[] {
  const described = describeIssues(schema, issues, base);
  const problems: DiscoveryProblem[] = described.slice(0, MAX_ISSUES_PER_MANIFEST).map((issue) => ({
    location,
    source,
    message: `${issue.path ?? "manifest"}: ${issue.message}`,
    ...(issue.path === undefined ? {} : { field: issue.path }),
  }));
  if (described.length > MAX_ISSUES_PER_MANIFEST) {
    problems.push({
      location,
      source,
      message: `and ${described.length - MAX_ISSUES_PER_MANIFEST} more problem(s) in this manifest`,
    });
  }
  return problems;
}
