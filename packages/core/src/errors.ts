import type { InfrastructureErrorCode } from "./errorCodes.js";
import { notFoundMessage } from "./messages.js";
import type { EntityKind } from "./messages.js";

export { INFRASTRUCTURE_ERROR_CODES } from "./errorCodes.js";
export type { InfrastructureErrorCode } from "./errorCodes.js";

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
    super("VALIDATION_FAILED", message, {
      ...options,
      ...(first?.path === undefined ? {} : { field: first.path }),
    });
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

/** Options of a {@link NotFoundError}. */
export interface NotFoundErrorOptions extends InfrastructureErrorOptions {
  /** The ids that do exist: the message suggests the closest one, or lists them. */
  readonly available?: Iterable<string>;
}

/**
 * A named thing (provider, instance, command, session, pending operation) does not exist. The
 * message uses the kind's word ("instance" for an instance id, "provider" for a provider id) and,
 * given `available`, suggests the closest id or lists what exists; `details` carries `kind`, `id`
 * and the suggestion.
 */
export class NotFoundError extends InfrastructureError {
  /** What kind of thing was looked for. */
  readonly kind: EntityKind;
  /** The id that was not found. */
  readonly id: string;

  constructor(kind: EntityKind, id: string, options: NotFoundErrorOptions = {}) {
    const { available, ...rest } = options;
    const ids = available === undefined ? undefined : [...available];
    super("NOT_FOUND", notFoundMessage(kind, id, ids), {
      ...rest,
      details: { ...rest.details, kind, id, ...(ids === undefined ? {} : { available: ids.slice(0, 50) }) },
    });
    this.kind = kind;
    this.id = id;
  }
}

/** A named thing already exists. */
export class AlreadyExistsError extends InfrastructureError {
  constructor(kind: EntityKind, id: string, options: InfrastructureErrorOptions = {}) {
    super(
      "ALREADY_EXISTS",
      `${kind[0]?.toUpperCase() ?? ""}${kind.slice(1)} "${id}" already exists`,
      options,
    );
  }
}

/**
 * The security gate could not decide: it threw, rejected or timed out (code `GATE_FAILED`). This is
 * a failure of the gate, never a decision about the operation: the executor reports it as such
 * (nothing runs, a pending operation is kept) instead of inventing a risk score. A gate may throw it
 * itself to say "I cannot decide" with a cause.
 */
export class GateFailureError extends InfrastructureError {
  constructor(message: string, options: InfrastructureErrorOptions = {}) {
    super("GATE_FAILED", message, options);
  }
}

/** True when `value` reports a gate failure (a {@link GateFailureError} or any error or failure with code `GATE_FAILED`). */
export function isGateFailure(value: unknown): boolean {
  if (value instanceof InfrastructureError) return value.code === "GATE_FAILED";
  if (typeof value !== "object" || value === null) return false;
  const error = (value as { error?: unknown }).error;
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "GATE_FAILED";
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
    code: "STORAGE_FAILED" | "STORAGE_LOCKED" | "STORAGE_CORRUPT" | "STORAGE_UNAVAILABLE" | "CONFLICT",
    message: string,
    options: InfrastructureErrorOptions = {},
  ) {
    super(code, message, options);
  }
}

/**
 * The `STORAGE_UNAVAILABLE` error in `value` or its `cause` chain (the shared state store cannot be
 * reached), or undefined. The one test for "the state store is down", wherever the error surfaced
 * (the gate, the audit log, a session): callers report it as `STORAGE_UNAVAILABLE` naming the store.
 */
export function findStorageUnavailable(value: unknown): InfrastructureError | undefined {
  let current = value;
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    if (current instanceof InfrastructureError && current.code === "STORAGE_UNAVAILABLE") return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when `value` is an {@link InfrastructureError}, optionally with the given code. */
export function isInfrastructureError(
  value: unknown,
  code?: InfrastructureErrorCode,
): value is InfrastructureError {
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
