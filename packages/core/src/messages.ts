import type { ValidationIssue } from "./errors.js";

/**
 * Names the kind of a value for a message without echoing the value (it may be a secret):
 * `null`, `array`, `non-finite number`, or its `typeof`.
 */
export function describeKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number" && !Number.isFinite(value)) return "non-finite number";
  return typeof value;
}

/** `expected <expected>, got <kind of value>` — the reason of a type mismatch, never echoing the value. */
export function typeMismatchReason(expected: string, value: unknown): string {
  return `expected ${expected}, got ${describeKind(value)}`;
}

/** One issue as a top-level message names it: `params.name: expected string, got number`. */
export function formatIssue(issue: ValidationIssue): string {
  return issue.path === undefined || issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`;
}

/** Every issue, each naming its field, joined with `; `. */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map(formatIssue).join("; ");
}

/**
 * The words messages use for each kind of id: "instance" for an instance id, "provider" for a
 * provider (factory) id, and so on. Every not-found message uses these.
 */
export const ENTITY_KINDS = [
  "provider",
  "instance",
  "command",
  "session",
  "pending operation",
  "approval",
  "resource",
  "validator",
  "destination",
] as const;
/** A kind of named thing. */
export type EntityKind = (typeof ENTITY_KINDS)[number];

/** Edit distance (insert, delete, substitute, swap of two neighbours) between two strings. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      let best = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, ((d[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = best;
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/**
 * The candidate closest to `id` when it is close enough to be a typo (edit distance at most a
 * third of the longer length, at least 1; case is ignored), else undefined. Ties go to the first.
 */
export function closestMatch(id: string, candidates: Iterable<string>): string | undefined {
  const wanted = id.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, candidate.toLowerCase());
    const limit = Math.max(1, Math.floor(Math.max(wanted.length, candidate.length) / 3));
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Most ids a not-found message lists before it says how many more there are. */
const LISTED = 10;

/**
 * `instance "web-2" not found; did you mean "web-1"?`, or, with no close id, the ids that exist
 * (`…not found (existing: a, b)`, `…not found (no command exists)`). Without `available` only the
 * first part. `where` scopes it (`on instance "web-1"`).
 */
export function notFoundMessage(
  kind: EntityKind,
  id: string,
  available?: Iterable<string>,
  where?: string,
): string {
  const head = `${kind[0]?.toUpperCase() ?? ""}${kind.slice(1)} "${id}" not found${where === undefined ? "" : ` ${where}`}`;
  if (available === undefined) return head;
  const ids = [...available];
  const close = closestMatch(id, ids);
  if (close !== undefined) return `${head}; did you mean "${close}"?`;
  if (ids.length === 0) return `${head} (no ${kind} exists)`;
  const shown = ids
    .slice(0, LISTED)
    .map((x) => `"${x}"`)
    .join(", ");
  return `${head} (existing: ${shown}${ids.length > LISTED ? `, and ${ids.length - LISTED} more` : ""})`;
}
