import type { LogContext, LogLevel } from "@espada/infra-core";
import type { Loggable, SerializedError } from "./redact.js";

/** The context fields a log entry carries at its top level. */
export const CONTEXT_KEYS = [
  "providerId",
  "instanceId",
  "sessionId",
  "commandId",
  "executionId",
  "resourceId",
  "userId",
] as const satisfies readonly (keyof LogContext)[];
/** One context field name. */
export type ContextKey = (typeof CONTEXT_KEYS)[number];

/**
 * One structured log entry, as every transport receives it and as `FileTransport` writes it (one JSON
 * object per line). Every string in it has already been redacted. Its context fields (`subsystem`,
 * the dotted path built by `child()`, and the ids) are core's `LogContext`.
 */
export interface LogRecord extends LogContext {
  /** ISO-8601 time, present when `includeTimestamps` is on. */
  readonly timestamp?: string;
  readonly level: LogLevel;
  readonly message: string;
  /** Milliseconds, from `meta.duration`. */
  readonly duration?: number;
  /** From `meta.error`: name, message, code, stack and cause chain. */
  readonly error?: SerializedError;
  /** Every other per-call field, present when `includeMetadata` is on. */
  readonly metadata?: { readonly [key: string]: Loggable };
}
