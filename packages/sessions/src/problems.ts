import type { z } from "zod";
import { formatPath, ValidationError } from "@espada/infra-core";
import type { InfrastructureError, ValidationIssue } from "@espada/infra-core";

/**
 * What was wrong with a record that could not be loaded, or (`permissions`) a keyring file found
 * readable by others, which was loaded and tightened to 0600.
 */
export type StoreProblemKind =
  "corrupt" | "foreign" | "unreadable" | "torn" | "invalid" | "crypto" | "permissions";

/**
 * A record (or log line) that could not be loaded. The others load regardless; a corrupt, foreign
 * or unreadable file is moved aside into `<directory>/quarantine/` (`movedTo`). Kind `permissions`
 * is a notice, not a load failure: the keyring file had permissions looser than 0600 (its
 * `error.details` give the old `mode` and whether it was `tightened`).
 */
export interface StoreProblem {
  readonly kind: StoreProblemKind;
  /** The typed error (`STORAGE_CORRUPT`, `STORAGE_FAILED` — also for `permissions` —, `CRYPTO_FAILED`, `VALIDATION_FAILED`). */
  readonly error: InfrastructureError;
  /** The file concerned, when there is one. */
  readonly file?: string;
  /** The store key (or session id) concerned, when known. */
  readonly key?: string;
  /** Where the file was moved. */
  readonly movedTo?: string;
}

/** A callback told about each {@link StoreProblem} as it is found. */
export type ProblemListener = (problem: StoreProblem) => void;

/**
 * Turns schema issues into {@link ValidationIssue}s whose paths are formatted as core formats them
 * (`sessionConfig.timeout`, `resources[0].id`); an unknown key is named by its full path
 * (`sessionConfig.tmeout`, code `UNKNOWN_KEY`).
 */
export function toIssues(issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  return issues.flatMap((issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({
          code: "UNKNOWN_KEY",
          message: `unknown key "${key}"`,
          path: formatPath([...issue.path, key]),
        }))
      : [{ code: issue.code.toUpperCase(), message: issue.message, path: formatPath(issue.path) }],
  );
}

/** Parses `input` with `schema`, throwing a {@link ValidationError} naming every bad field. */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = toIssues(result.error.issues);
  throw new ValidationError(
    `Invalid ${what}: ${issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ")}`,
    issues,
  );
}
