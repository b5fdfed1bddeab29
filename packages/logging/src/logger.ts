import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import winston from "winston";
import type TransportStream from "winston-transport";
import type { z } from "zod";
import {
  ConfigValidationError,
  LOG_LEVEL_SEVERITY,
  logLevelSchema,
  validateLoggingConfig,
} from "@espada/infra-core";
import type {
  InfrastructureLogger,
  LogContext,
  LogLevel,
  LogMeta,
  LoggingConfig,
  loggingConfigSchema,
} from "@espada/infra-core";
import type { ConsoleStream } from "./consoleTransport.js";
import { createDestinationTransports } from "./destinations.js";
import type { ManagedTransport } from "./destinations.js";
import { WINSTON_LEVELS } from "./levels.js";
import { CONTEXT_KEYS } from "./record.js";
import type { ContextKey, LogRecord } from "./record.js";
import { createRedactor } from "./redact.js";
import type { Loggable, Redactor } from "./redact.js";

/** `loggingConfig` as written by a user: every field optional, defaults applied by the schema. */
export type LoggingConfigInput = z.input<typeof loggingConfigSchema>;

/** Runtime wiring that does not belong in a config file. */
export interface LoggerRuntimeOptions {
  /** Folder relative file destinations resolve against (default `process.cwd()`). */
  readonly baseDir?: string;
  /** Stream behind console destinations with `stream: "stdout"` (default `process.stdout`). */
  readonly stdout?: ConsoleStream;
  /** Stream behind console destinations with `stream: "stderr"` (default `process.stderr`). */
  readonly stderr?: ConsoleStream;
  /** Environment read for colour decisions (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Told about transport failures (a full disk, an unreachable collector) and internal logging
   * failures; `source` names where (`destinations[1] (file)`). Default: one line on stderr.
   */
  readonly onError?: (error: Error, source: string) => void;
  /** Extra secret key fragments, added to core's `isSecretKey` (which cannot be narrowed). */
  readonly secretKeys?: readonly string[];
  /** Extra winston transports to write to besides the configured destinations. */
  readonly transports?: readonly TransportStream[];
  /** Clock for timestamps (tests). */
  readonly now?: () => Date;
  /** `fetch` for remote destinations (default the global one). */
  readonly fetch?: typeof fetch;
}

interface Shared {
  readonly winston: winston.Logger | undefined;
  readonly level: LogLevel;
  readonly threshold: number;
  readonly redactor: Redactor;
  readonly includeTimestamps: boolean;
  readonly includeMetadata: boolean;
  readonly now: () => Date;
  readonly managed: readonly ManagedTransport[];
  readonly extra: readonly TransportStream[];
  readonly report: (error: Error, source: string) => void;
  closed: boolean;
  closing: Promise<void> | undefined;
}

interface Scope {
  readonly shared: Shared;
  readonly subsystem: string | undefined;
  readonly context: Readonly<Partial<Record<ContextKey, string>>>;
}

const TRACE = LOG_LEVEL_SEVERITY.trace;
const DEBUG = LOG_LEVEL_SEVERITY.debug;
const INFO = LOG_LEVEL_SEVERITY.info;
const WARN = LOG_LEVEL_SEVERITY.warn;
const ERROR = LOG_LEVEL_SEVERITY.error;
const FATAL = LOG_LEVEL_SEVERITY.fatal;
const CONTEXT_KEY_SET: ReadonlySet<string> = new Set(CONTEXT_KEYS);
const passthrough = winston.format((info) => info);
/** How long `flush()` waits for winston's buffers by default before reporting a stuck transport. */
const FLUSH_TIMEOUT_MS = 5_000;

/** Set by `#derive` just before it constructs a child, read (and cleared) by the constructor. */
let pendingScope: Scope | undefined;

function defaultReporter(): (error: Error, source: string) => void {
  return (error, source) => {
    process.stderr.write(`[espada-logging] ${source}: ${error.message}\n`);
  };
}

function transportSeverity(transport: TransportStream, fallback: number): number {
  const parsed = logLevelSchema.safeParse(transport.level);
  return parsed.success ? LOG_LEVEL_SEVERITY[parsed.data] : fallback;
}

function createShared(config: LoggingConfig, options: LoggerRuntimeOptions): Shared {
  const report = options.onError ?? defaultReporter();
  const managed = createDestinationTransports(config.destinations, {
    baseDir: options.baseDir ?? process.cwd(),
    streams: { stdout: options.stdout ?? process.stdout, stderr: options.stderr ?? process.stderr },
    env: options.env ?? process.env,
    onError: report,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const extra = [...(options.transports ?? [])];
  const all: TransportStream[] = [...managed, ...extra];
  const global = LOG_LEVEL_SEVERITY[config.level];
  // Nothing is built for a level no transport would write: the threshold is the least severe level any
  // transport accepts, never below the configured level.
  const threshold =
    all.length === 0
      ? Number.POSITIVE_INFINITY
      : Math.max(global, Math.min(...all.map((t) => transportSeverity(t, global))));
  const logger =
    all.length === 0
      ? undefined
      : winston.createLogger({
          levels: WINSTON_LEVELS,
          level: config.level,
          format: passthrough(),
          transports: all,
          exitOnError: false,
        });
  logger?.on("error", (error: unknown) =>
    report(error instanceof Error ? error : new Error(String(error)), "winston"),
  );
  return {
    winston: logger,
    level: config.level,
    threshold,
    redactor: createRedactor({
      patterns: config.redactPatterns,
      ...(options.secretKeys === undefined ? {} : { secretKeys: options.secretKeys }),
    }),
    includeTimestamps: config.includeTimestamps,
    includeMetadata: config.includeMetadata,
    now: options.now ?? (() => new Date()),
    managed,
    extra,
    report,
    closed: false,
    closing: undefined,
  };
}

/**
 * The framework's structured logger on winston: six levels, subsystem scoping with {@link child},
 * context with {@link withContext}, redaction of secrets, and console / file / remote destinations.
 * Children share their root's transports, so {@link flush} and {@link close} on any of them act on all.
 *
 * A call at a disabled level returns after one comparison, before anything is built.
 */
export class InfrastructureLoggerImpl implements InfrastructureLogger {
  /** The configured level. */
  readonly level: LogLevel;
  /** Dotted subsystem path (`registry.lifecycle`), or undefined at the root. */
  readonly subsystem: string | undefined;
  readonly #threshold: number;
  readonly #shared: Shared;
  readonly #context: Readonly<Partial<Record<ContextKey, string>>>;

  /**
   * Validates `config` (the `loggingConfig` section; defaults as in the spec) and builds its
   * destinations. Throws `ConfigValidationError` naming the field (`destinations[0].config.path`).
   */
  constructor(config: LoggingConfigInput = {}, options: LoggerRuntimeOptions = {}) {
    const scope = pendingScope;
    pendingScope = undefined;
    if (scope !== undefined) {
      this.#shared = scope.shared;
      this.subsystem = scope.subsystem;
      this.#context = scope.context;
    } else {
      const parsed = validateLoggingConfig(config);
      if (!parsed.success) {
        const reasons = parsed.errors
          .map((issue) => `${issue.path ?? "loggingConfig"}: ${issue.message}`)
          .join("; ");
        throw new ConfigValidationError(`Invalid logging configuration: ${reasons}`, parsed.errors);
      }
      this.#shared = createShared(parsed.data, options);
      this.subsystem = undefined;
      this.#context = {};
    }
    this.level = this.#shared.level;
    this.#threshold = this.#shared.threshold;
  }

  /** Logs at `trace`. */
  trace(message: string, meta?: LogMeta): void {
    if (this.#threshold > TRACE) return;
    this.#write("trace", message, meta);
  }

  /** Logs at `debug`. */
  debug(message: string, meta?: LogMeta): void {
    if (this.#threshold > DEBUG) return;
    this.#write("debug", message, meta);
  }

  /** Logs at `info`. */
  info(message: string, meta?: LogMeta): void {
    if (this.#threshold > INFO) return;
    this.#write("info", message, meta);
  }

  /** Logs at `warn`. */
  warn(message: string, meta?: LogMeta): void {
    if (this.#threshold > WARN) return;
    this.#write("warn", message, meta);
  }

  /** Logs at `error`. */
  error(message: string, meta?: LogMeta): void {
    if (this.#threshold > ERROR) return;
    this.#write("error", message, meta);
  }

  /** Logs at `fatal` (the process is not stopped: that is the caller's decision). */
  fatal(message: string, meta?: LogMeta): void {
    if (this.#threshold > FATAL) return;
    this.#write("fatal", message, meta);
  }

  /** True when a call at `level` would reach at least one destination. */
  isLevelEnabled(level: LogLevel): boolean {
    return LOG_LEVEL_SEVERITY[level] >= this.#threshold;
  }

  /** A logger whose subsystem is this one's plus `.name` (`registry` → `registry.lifecycle`). */
  child(name: string): InfrastructureLoggerImpl {
    const subsystem =
      this.subsystem === undefined || this.subsystem === "" ? name : `${this.subsystem}.${name}`;
    return this.#derive(subsystem, this.#context);
  }

  /** A logger whose entries also carry `context`; its fields override this logger's. */
  withContext(context: LogContext): InfrastructureLoggerImpl {
    const merged: Partial<Record<ContextKey, string>> = { ...this.#context };
    for (const key of CONTEXT_KEYS) {
      const value: unknown = context[key];
      if (typeof value === "string") merged[key] = this.#shared.redactor.text(value);
    }
    const subsystem = typeof context.subsystem === "string" ? context.subsystem : this.subsystem;
    return this.#derive(subsystem, merged);
  }

  /**
   * Resolves once every entry logged so far has been handed to its destination (written, sent or
   * dropped). A transport that never drains is reported through `onError` after `timeoutMs`
   * (default 5 000) instead of holding the caller forever.
   */
  async flush(timeoutMs: number = FLUSH_TIMEOUT_MS): Promise<void> {
    const logger = this.#shared.winston;
    if (logger === undefined) return;
    const deadline = Date.now() + timeoutMs;
    for (let turn = 0; logger.writableLength > 0 || logger.readableLength > 0; turn += 1) {
      if (Date.now() >= deadline) {
        this.#shared.report(
          new Error(`log flush gave up after ${timeoutMs} ms: a transport is not draining`),
          "logger",
        );
        break;
      }
      // Yield a few turns for the common quick drain, then back off so a stuck transport costs no CPU.
      await (turn < 100 ? nextTurn() : sleep(10));
    }
    await Promise.all(this.#shared.managed.map((transport) => transport.flush()));
  }

  /**
   * Flushes, then closes every destination (file handles, timers, stream listeners). Idempotent;
   * entries logged afterwards are dropped.
   */
  async close(): Promise<void> {
    const shared = this.#shared;
    shared.closing ??= (async () => {
      await this.flush();
      shared.closed = true;
      await Promise.all(shared.managed.map((transport) => transport.shutdown()));
      shared.winston?.close();
      await Promise.all(shared.extra.map(endTransport));
    })();
    await shared.closing;
  }

  #derive(
    subsystem: string | undefined,
    context: Readonly<Partial<Record<ContextKey, string>>>,
  ): InfrastructureLoggerImpl {
    pendingScope = { shared: this.#shared, subsystem, context };
    return new InfrastructureLoggerImpl();
  }

  #write(level: LogLevel, message: string, meta: LogMeta | undefined): void {
    const shared = this.#shared;
    if (shared.closed || shared.winston === undefined) return;
    try {
      shared.winston.log(this.#record(level, message, meta) as unknown as winston.LogEntry);
    } catch (error) {
      shared.report(error instanceof Error ? error : new Error(String(error)), this.subsystem ?? "logger");
    }
  }

  #record(level: LogLevel, message: string, meta: LogMeta | undefined): LogRecord {
    const { redactor, includeMetadata, includeTimestamps } = this.#shared;
    const context: Partial<Record<ContextKey, string>> = { ...this.#context };
    let duration: number | undefined;
    let error: LogRecord["error"];
    let metadata: Record<string, unknown> | undefined;
    if (meta !== undefined && meta !== null) {
      for (const key of Object.keys(meta)) {
        const value = meta[key];
        if (key === "duration" && typeof value === "number") duration = value;
        else if (key === "error" && value !== undefined) error = redactor.error(value);
        else if (CONTEXT_KEY_SET.has(key) && typeof value === "string")
          context[key as ContextKey] = redactor.text(value);
        else if (includeMetadata && value !== undefined) (metadata ??= {})[key] = value;
      }
    }
    const redactedMetadata =
      metadata === undefined ? undefined : (redactor.value(metadata) as Record<string, Loggable>);
    return {
      ...(includeTimestamps ? { timestamp: this.#shared.now().toISOString() } : {}),
      level,
      ...(this.subsystem === undefined ? {} : { subsystem: this.subsystem }),
      message: redactor.text(typeof message === "string" ? message : String(message)),
      ...context,
      ...(duration === undefined ? {} : { duration }),
      ...(error === undefined ? {} : { error }),
      ...(redactedMetadata === undefined ? {} : { metadata: redactedMetadata }),
    };
  }
}

async function endTransport(transport: TransportStream): Promise<void> {
  if (transport.writableFinished) return;
  await new Promise<void>((resolve) => {
    transport.once("finish", resolve);
    transport.once("error", () => resolve());
    transport.end();
  });
}

/**
 * Builds an {@link InfrastructureLoggerImpl} from a `loggingConfig` section, e.g.
 * `createInfrastructureLogger({ level: "debug", destinations: [{ type: "file", config: { path: "logs/app.log" } }] })`.
 */
export function createInfrastructureLogger(
  config: LoggingConfigInput = {},
  options: LoggerRuntimeOptions = {},
): InfrastructureLoggerImpl {
  return new InfrastructureLoggerImpl(config, options);
}
