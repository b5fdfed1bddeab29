import { z } from "zod";
import { deferred } from "./deferredSchema.js";

/** The six log levels, from most to least verbose. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
// Built on first use (`deferred`): constructing zod schemas is most of what importing core would
// cost, and most importers never parse with most of them.
/** Schema of a log level. */
export const logLevelSchema = deferred(() => z.enum(LOG_LEVELS));
/** A log level. */
export type LogLevel = z.infer<typeof logLevelSchema>;

/** Numeric severity of each level (higher is more severe). */
export const LOG_LEVEL_SEVERITY: Readonly<Record<LogLevel, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

/** The structured context a log entry carries. */
export interface LogContext {
  readonly subsystem?: string;
  readonly providerId?: string;
  readonly instanceId?: string;
  readonly sessionId?: string;
  readonly commandId?: string;
  readonly executionId?: string;
  readonly resourceId?: string;
  readonly userId?: string;
}

/** Per-call metadata: a duration, an error, and any other structured fields. */
export interface LogMeta {
  /** How long the logged thing took, in milliseconds. */
  readonly duration?: number;
  /** An error; loggers record its name, message, code and stack. */
  readonly error?: unknown;
  readonly [key: string]: unknown;
}

/** The logger every package talks to. `@espada/infra-logging` implements it on winston. */
export interface InfrastructureLogger {
  trace(message: string, meta?: LogMeta): void;
  debug(message: string, meta?: LogMeta): void;
  info(message: string, meta?: LogMeta): void;
  warn(message: string, meta?: LogMeta): void;
  error(message: string, meta?: LogMeta): void;
  fatal(message: string, meta?: LogMeta): void;
  /** A logger for a subsystem: its name is appended to the parent's (`registry.lifecycle`). */
  child(name: string): InfrastructureLogger;
  /** A logger whose entries all carry `context`. */
  withContext(context: LogContext): InfrastructureLogger;
  /** True when a call at `level` would be recorded; use it to skip building costly metadata. */
  isLevelEnabled(level: LogLevel): boolean;
}

const noop = (): void => undefined;

/** A logger that records nothing: the default wherever no logger is given. */
export function createNoopLogger(): InfrastructureLogger {
  const logger: InfrastructureLogger = {
    trace: noop,
    debug: noop,
    info: noop,
    warn: noop,
    error: noop,
    fatal: noop,
    child: () => logger,
    withContext: () => logger,
    isLevelEnabled: () => false,
  };
  return logger;
}
