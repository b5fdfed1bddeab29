/** Codes of the failure results local-cloud returns (beside the SDK's own `VALIDATION_FAILED`, `CANCELLED`…). */
export const LOCAL_CLOUD_CODES = [
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "INVALID_STATE",
  "DATABASE_CORRUPT",
  "SQL_ERROR",
  "SPAWN_FAILED",
  "CANCELLED",
  "NO_ROLLBACK",
  "IO_FAILED",
] as const;

/** One of {@link LOCAL_CLOUD_CODES}. */
export type LocalCloudCode = (typeof LOCAL_CLOUD_CODES)[number];

/** An expected failure inside a handler; the provider turns it into a `failure(code, message)` result. */
export class LocalCloudError extends Error {
  /** What went wrong, as a stable code. */
  readonly code: LocalCloudCode;
  /** Machine-readable details (names, paths, SQLite codes). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: LocalCloudCode,
    message: string,
    details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "LocalCloudError";
    this.code = code;
    this.details = details;
  }
}

/** The error a cancelled step throws (the signal's reason, else a plain `CANCELLED`). */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted)
    throw new LocalCloudError("CANCELLED", "the operation was cancelled", {}, { cause: signal.reason });
}
