import { LOG_LEVEL_SEVERITY } from "./logger.js";
import type { InfrastructureLogger, LogContext, LogLevel, LogMeta } from "./logger.js";
import { redactSecretText, redactSecrets } from "./secrets.js";

/** Options of {@link createConsoleLogger}. */
export interface ConsoleLoggerOptions {
  /** Least severe level written. Default `"info"`. */
  readonly level?: LogLevel;
  /** Label of the root logger (`[name]`); children append theirs (`name.child`). Default: none. */
  readonly name?: string;
  /** Context every line carries. */
  readonly context?: LogContext;
  /** Where each line goes (without its newline). Default: `process.stderr`, so a CLI's stdout stays clean. */
  readonly write?: (line: string) => void;
  /** Clock of the timestamp (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
}

const CONTEXT_KEYS = [
  "providerId",
  "instanceId",
  "sessionId",
  "commandId",
  "executionId",
  "resourceId",
  "userId",
] as const;

const writeStderr = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return JSON.stringify(redactSecrets(error)) ?? String(error);
  const code = (error as { code?: unknown }).code;
  const parts = [
    `${error.name}: ${redactSecretText(error.message)}${typeof code === "string" ? ` [${code}]` : ""}`,
  ];
  let cause: unknown = error.cause;
  for (let depth = 0; cause instanceof Error && depth < 8; depth += 1) {
    parts.push(`<- ${cause.name}: ${redactSecretText(cause.message)}`);
    cause = cause.cause;
  }
  return parts.join(" ");
}

/**
 * One readable line: `12:00:00.000 INFO  [my-cloud-1] connected instanceId=my-cloud-1 duration=12ms {"region":"eu"}`.
 * Line breaks are escaped; secret-looking keys and values in the message and metadata are redacted
 * with core's secret rules.
 */
function formatLine(
  level: LogLevel,
  name: string,
  context: LogContext,
  message: string,
  meta: LogMeta | undefined,
  now: number,
): string {
  const time = new Date(now).toISOString().slice(11, 23);
  const parts = [time, level.toUpperCase().padEnd(5)];
  if (name !== "") parts.push(`[${name}]`);
  parts.push(redactSecretText(message));
  for (const key of CONTEXT_KEYS) {
    const value = context[key];
    if (value !== undefined) parts.push(`${key}=${value}`);
  }
  if (meta !== undefined) {
    const { duration, error, ...rest } = meta;
    if (typeof duration === "number") parts.push(`duration=${Math.round(duration * 100) / 100}ms`);
    if (error !== undefined) parts.push(`error=${JSON.stringify(describeError(error))}`);
    if (Object.keys(rest).length > 0) parts.push(JSON.stringify(redactSecrets(rest)) ?? "");
  }
  return parts.join(" ").replace(/\r?\n/g, "\\n");
}

/**
 * A small logger that writes one line per entry to stderr — no dependency, for development and for
 * a provider run without `@espada/infra-logging`. Levels below `level` cost one comparison;
 * `child(name)` appends to the label (`registry.lifecycle`), `withContext` adds fields to every line.
 *
 * @example
 * ```ts
 * import { createConsoleLogger } from "@espada/infra-core";
 * const logger = createConsoleLogger({ level: "debug", name: "my-cloud" });
 * logger.withContext({ instanceId: "my-cloud-1" }).info("connected", { region: "eu-west-1" });
 * // 12:00:00.000 INFO  [my-cloud] connected instanceId=my-cloud-1 {"region":"eu-west-1"}
 * ```
 */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): InfrastructureLogger {
  const threshold = LOG_LEVEL_SEVERITY[options.level ?? "info"];
  const write = options.write ?? writeStderr;
  const now = options.now ?? Date.now;
  const make = (name: string, context: LogContext): InfrastructureLogger => {
    const at =
      (level: LogLevel) =>
      (message: string, meta?: LogMeta): void => {
        if (LOG_LEVEL_SEVERITY[level] < threshold) return;
        write(formatLine(level, name, context, message, meta, now()));
      };
    return {
      trace: at("trace"),
      debug: at("debug"),
      info: at("info"),
      warn: at("warn"),
      error: at("error"),
      fatal: at("fatal"),
      child: (child) => make(name === "" ? child : `${name}.${child}`, context),
      withContext: (extra) => make(name, { ...context, ...extra }),
      isLevelEnabled: (level) => LOG_LEVEL_SEVERITY[level] >= threshold,
    };
  };
  return make(options.name ?? "", options.context ?? {});
}
