/** Every error code the framework throws or returns. */
export const INFRASTRUCTURE_ERROR_CODES = [
  "INVALID_ARGUMENT",
  "CONFIG_INVALID",
  "VALIDATION_FAILED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "ILLEGAL_TRANSITION",
  "LIFECYCLE_FAILED",
  "TIMEOUT",
  "CANCELLED",
  "LIMIT_EXCEEDED",
  "CONFLICT",
  "STORAGE_FAILED",
  "STORAGE_LOCKED",
  "STORAGE_CORRUPT",
  "CRYPTO_FAILED",
  "SECURITY_DENIED",
  "PROVIDER_FAILED",
  "DISCOVERY_FAILED",
  "SHUTDOWN",
] as const;
/** An error code (`NOT_FOUND`, `ILLEGAL_TRANSITION`, …). */
export type InfrastructureErrorCode = (typeof INFRASTRUCTURE_ERROR_CODES)[number];

/** Options every framework error accepts. */
export interface InfrastructureErrorOptions {
  /** The underlying error. */
  readonly cause?: unknown;
  /** The field or path the error is about (`providers[0].auth.method`). */
  readonly field?: string;
  /** Structured detail safe to show (never a secret). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Base class of every error the framework throws: a stable `code`, an optional `field` and a `cause`. */
export class InfrastructureError extends Error {
  /** Stable machine-readable code. */
  readonly code: InfrastructureErrorCode;
  /** The field or path the error names, when there is one. */
  readonly field: string | undefined;
  /** Structured detail safe to show. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: InfrastructureErrorCode, message: string, options: InfrastructureErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.field = options.field;
    this.details = options.details;
  }
}

/** One problem found while validating input: where, what and why. */
export interface ValidationIssue {
  /** Stable code (`REQUIRED`, `TYPE_MISMATCH`, `PATTERN`, …). */
  readonly code: string;
  /** Human-readable reason. */
  readonly message: string;
  /** The path of the offending field (`providers[0].auth.method`, `params.cpu`). */
  readonly path?: string;
}

/** Input (config, parameters, manifest, gateway call) failed validation; `issues` lists every problem. */
export class ValidationError extends InfrastructureError {
  /** Every problem found, each naming its path. */
  readonly issues: readonly ValidationIssue[];

  constructor(message: string, issues: readonly ValidationIssue[], options: InfrastructureErrorOptions = {}) {
    const first = issues[0];
    super("VALIDATION_FAILED", message, { ...options, ...(first?.path === undefined ? {} : { field: first.path }) });
    this.issues = issues;
  }
}

/** A configuration object failed its schema. */
export class ConfigValidationError extends ValidationError {
  override readonly code = "CONFIG_INVALID" as const;
}

/** A lifecycle transition the table does not allow. */
export class LifecycleTransitionError extends InfrastructureError {
  /** The state the provider was in. */
  readonly from: string;
  /** The state that was asked for. */
  readonly to: string;

  constructor(providerId: string, from: string, to: string, options: InfrastructureErrorOptions = {}) {
    super("ILLEGAL_TRANSITION", `Provider "${providerId}" cannot move from "${from}" to "${to}"`, options);
    this.from = from;
    this.to = to;
  }
}

/** A named thing (factory, instance, session, command) does not exist. */
export class NotFoundError extends InfrastructureError {
  constructor(kind: string, id: string, options: InfrastructureErrorOptions = {}) {
    super("NOT_FOUND", `${kind} "${id}" not found`, options);
  }
}

/** A named thing already exists. */
export class AlreadyExistsError extends InfrastructureError {
  constructor(kind: string, id: string, options: InfrastructureErrorOptions = {}) {
    super("ALREADY_EXISTS", `${kind} "${id}" already exists`, options);
  }
}

/** An operation did not finish within its time limit. */
export class TimeoutError extends InfrastructureError {
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number;

  constructor(what: string, timeoutMs: number, options: InfrastructureErrorOptions = {}) {
    super("TIMEOUT", `${what} timed out after ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** A state store could not read or write, is locked by another process, or holds a corrupt record. */
export class StorageError extends InfrastructureError {
  constructor(
    code: "STORAGE_FAILED" | "STORAGE_LOCKED" | "STORAGE_CORRUPT" | "CONFLICT",
    message: string,
    options: InfrastructureErrorOptions = {},
  ) {
    super(code, message, options);
  }
}

/** True when `value` is an {@link InfrastructureError}, optionally with the given code. */
export function isInfrastructureError(value: unknown, code?: InfrastructureErrorCode): value is InfrastructureError {
  return value instanceof InfrastructureError && (code === undefined || value.code === code);
}

/** Normalises anything thrown into an `Error` (strings and plain objects are wrapped). */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === "string") return new Error(value);
  try {
    return new Error(JSON.stringify(value));
  } catch {
    return new Error(String(value));
  }
}
