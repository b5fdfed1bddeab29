import type { ValidationIssue } from "../errors.js";

/** The top-level codes of a call the validator refused. */
export type RefusalCode = "CONFIRMATION_REQUIRED" | "DRY_RUN_UNSUPPORTED" | "VALIDATION_FAILED";

/**
 * The one rule for the top-level code of a call `InfrastructureCommandValidator` refused, used by
 * the executor and the SDK provider alike (the same mistake gets the same code whoever reports it):
 * only a missing confirmation → `CONFIRMATION_REQUIRED`; otherwise, ignoring the confirmation, only
 * refused dry runs → `DRY_RUN_UNSUPPORTED`; anything else → `VALIDATION_FAILED`.
 */
export function refusalCode(errors: readonly ValidationIssue[]): RefusalCode {
  const others = errors.filter((issue) => issue.code !== "CONFIRMATION_REQUIRED");
  if (others.length === 0) return errors.length > 0 ? "CONFIRMATION_REQUIRED" : "VALIDATION_FAILED";
  return others.every((issue) => issue.code === "DRY_RUN_UNSUPPORTED")
    ? "DRY_RUN_UNSUPPORTED"
    : "VALIDATION_FAILED";
}
