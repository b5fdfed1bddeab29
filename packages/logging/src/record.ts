import type { LogLevel } from "@espada/infra-core";
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
] as const;
/** One context field name. */
export type ContextKey = (typeof CONTEXT_KEYS)[number];

/**
 * One structured log entry, as every transport receives it and as `FileTransport` writes it (one JSON
 * object per line). Every string in it has already been redacted.
 */
export interface LogRecord {
  /** ISO-8601 time, present when `includeTimestamps` is on. */
  readonly timestamp?: string;
  readonly level: LogLevel;
  /** Dotted subsystem path built by `child()` (`registry.lifecycle`). */
  readonly subsystem?: string;
  readonly message: string;
  readonly providerId?: string;
  readonly instanceId?: string;
  readonly sessionId?: string;
  readonly commandId?: string;
  readonly executionId?: string;
  readonly resourceId?: string;
  readonly userId?: string;
  /** Milliseconds, from `meta.duration`. */
  readonly duration?: number;
  /** From `meta.error`: name, message, code, stack and cause chain. */
  readonly error?: SerializedError;
  /** Every other per-call field, present when `includeMetadata` is on. */
  readonly metadata?: { readonly [key: string]: Loggable };
}
