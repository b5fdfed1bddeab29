import TransportStream from "winston-transport";
import type { LogLevel } from "@espada/infra-core";
import { CONTEXT_KEYS } from "./record.js";
import type { LogRecord } from "./record.js";
import type { SerializedError } from "./redact.js";

/** A writable text stream, optionally a terminal. */
export interface ConsoleStream {
  write(chunk: string): boolean;
  once(event: "drain", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
  readonly isTTY?: boolean;
  readonly writableNeedDrain?: boolean;
}

/** Options of {@link ConsoleTransport}. */
export interface ConsoleTransportOptions {
  /** Where lines go (default `process.stderr`, so a CLI's stdout stays clean). */
  readonly stream?: ConsoleStream;
  /** Force colour on or off; by default decided by {@link shouldUseColor}. */
  readonly colors?: boolean;
  /** Environment read for `NO_COLOR`, `FORCE_COLOR` and `TERM` (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Least severe level this transport writes (default: all the logger passes on). */
  readonly level?: LogLevel;
  /** Called with a stream error (for example `EPIPE`); by default reported once on stderr. */
  readonly onError?: (error: Error) => void;
}

/**
 * Whether to colour output for `stream`: `FORCE_COLOR` (other than `0`/`false`) turns colour on and
 * `FORCE_COLOR=0` off, as in Node itself; otherwise a non-empty `NO_COLOR` or `TERM=dumb` turns it off;
 * otherwise colour is on exactly when the stream is a TTY.
 */
export function shouldUseColor(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.TERM === "dumb") return false;
  return stream.isTTY === true;
}

const LEVEL_COLORS: Readonly<Record<LogLevel, string>> = {
  trace: "\u001b[90m",
  debug: "\u001b[36m",
  info: "\u001b[32m",
  warn: "\u001b[33m",
  error: "\u001b[31m",
  fatal: "\u001b[1;41;97m",
};
const RESET = "\u001b[0m";
const DIM = "\u001b[2m";
const BOLD = "\u001b[1m";

const oneLine = (text: string): string => text.replace(/\r?\n/g, "\\n").replace(/\r/g, "\\r");
const quoteIfNeeded = (text: string): string => (/^[^\s"=]+$/.test(text) ? text : JSON.stringify(text));

function describeError(error: SerializedError): string {
  const parts = [`${error.name}: ${error.message}`];
  if (error.code !== undefined) parts.push(`[${String(error.code)}]`);
  let cause: unknown = error.cause;
  for (let depth = 0; cause !== undefined && cause !== null && depth < 8; depth += 1) {
    if (typeof cause === "object" && "name" in cause && "message" in cause) {
      const serialized = cause as SerializedError;
      parts.push(`<- ${serialized.name}: ${serialized.message}`);
      cause = serialized.cause;
    } else {
      parts.push(`<- ${JSON.stringify(cause)}`);
      break;
    }
  }
  return parts.join(" ");
}

/**
 * Formats one entry as a single readable line (no trailing newline):
 * `2026-01-01T00:00:00.000Z INFO  [registry.lifecycle] started providerId=aws duration=12ms {"region":"eu"}`.
 * Line breaks inside values are escaped so an entry never spans two lines.
 */
export function formatConsoleLine(record: LogRecord, colors: boolean): string {
  const paint = (code: string, text: string): string => (colors ? `${code}${text}${RESET}` : text);
  const parts: string[] = [];
  if (record.timestamp !== undefined) parts.push(paint(DIM, record.timestamp));
  parts.push(paint(LEVEL_COLORS[record.level], record.level.toUpperCase().padEnd(5)));
  if (record.subsystem !== undefined) parts.push(paint(BOLD, `[${oneLine(record.subsystem)}]`));
  parts.push(oneLine(record.message));
  const fields: string[] = [];
  for (const key of CONTEXT_KEYS) {
    const value = record[key];
    if (value !== undefined) fields.push(`${key}=${quoteIfNeeded(oneLine(value))}`);
  }
  if (record.duration !== undefined) fields.push(`duration=${record.duration}ms`);
  if (record.error !== undefined)
    fields.push(`error=${JSON.stringify(oneLine(describeError(record.error)))}`);
  if (record.metadata !== undefined && Object.keys(record.metadata).length > 0)
    fields.push(JSON.stringify(record.metadata));
  if (fields.length > 0) parts.push(paint(DIM, fields.join(" ")));
  return parts.join(" ");
}

/** One shared `error` listener per stream, so many loggers on `process.stderr` add one listener, not many. */
const streamWatchers = new WeakMap<
  ConsoleStream,
  { readonly listener: (error: Error) => void; readonly targets: Set<(error: Error) => void> }
>();

function watchStream(stream: ConsoleStream, target: (error: Error) => void): void {
  let watcher = streamWatchers.get(stream);
  if (watcher === undefined) {
    const targets = new Set<(error: Error) => void>();
    watcher = { targets, listener: (error) => targets.forEach((notify) => notify(error)) };
    streamWatchers.set(stream, watcher);
    stream.on("error", watcher.listener);
  }
  watcher.targets.add(target);
}

function unwatchStream(stream: ConsoleStream, target: (error: Error) => void): void {
  const watcher = streamWatchers.get(stream);
  if (watcher === undefined) return;
  watcher.targets.delete(target);
  if (watcher.targets.size === 0) {
    stream.off("error", watcher.listener);
    streamWatchers.delete(stream);
  }
}

/** Writes each entry as one readable line, coloured by level on a terminal and plain otherwise. */
export class ConsoleTransport extends TransportStream {
  /** Whether this transport writes ANSI colours. */
  readonly colors: boolean;
  readonly #stream: ConsoleStream;
  readonly #onError: (error: Error) => void;
  #reported = false;
  readonly #streamError = (error: Error): void => {
    if (this.#reported) return;
    this.#reported = true;
    this.#onError(error);
  };

  constructor(options: ConsoleTransportOptions = {}) {
    super(options.level === undefined ? {} : { level: options.level });
    this.#stream = options.stream ?? process.stderr;
    this.colors = options.colors ?? shouldUseColor(this.#stream, options.env);
    this.#onError =
      options.onError ??
      ((error) => {
        process.stderr.write(`[espada-logging] console transport failed: ${error.message}\n`);
      });
    watchStream(this.#stream, this.#streamError);
  }

  /** Winston entry point: formats and writes one entry. */
  override log(info: LogRecord, next: () => void): void {
    try {
      this.#stream.write(`${formatConsoleLine(info, this.colors)}\n`);
    } catch (error) {
      this.#streamError(error instanceof Error ? error : new Error(String(error)));
    }
    next();
  }

  /** Resolves once the stream has drained what was written. */
  async flush(): Promise<void> {
    if (!this.#reported && this.#stream.writableNeedDrain === true) {
      await new Promise<void>((resolve) => this.#stream.once("drain", resolve));
    }
  }

  /** Drains, then stops listening to the stream (the stream itself stays open: it is not ours). */
  async shutdown(): Promise<void> {
    await this.flush();
    unwatchStream(this.#stream, this.#streamError);
  }
}
