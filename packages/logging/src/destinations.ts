import { resolve } from "node:path";
import { z } from "zod";
import { ConfigValidationError, logLevelSchema, toValidationIssues } from "@espada/infra-core";
import type { LogDestination, ValidationIssue } from "@espada/infra-core";
import { ConsoleTransport } from "./consoleTransport.js";
import type { ConsoleStream } from "./consoleTransport.js";
import { FileTransport } from "./fileTransport.js";
import { RemoteTransport } from "./remoteTransport.js";

const positiveInt = z.number().int().positive();

/** Schema of a `console` destination's `config`. */
export const consoleDestinationConfigSchema = z.strictObject({
  /** Which standard stream to write (default `stderr`, keeping a CLI's stdout for its output). */
  stream: z.enum(["stdout", "stderr"]).default("stderr"),
  /** Force colour on or off; omitted, it follows the terminal, `NO_COLOR` and `FORCE_COLOR`. */
  colors: z.boolean().optional(),
  /** Least severe level this destination writes. */
  level: logLevelSchema.optional(),
});
/** A `console` destination's settings. */
export type ConsoleDestinationConfig = z.infer<typeof consoleDestinationConfigSchema>;

/** Schema of a `file` destination's `config`. */
export const fileDestinationConfigSchema = z.strictObject({
  /** The log file; relative paths resolve against the logger's `baseDir` (default the working folder). */
  path: z.string().min(1),
  /** Bytes past which the file rotates (default 10 MiB). */
  maxSize: positiveInt.default(10 * 1024 * 1024),
  /** Rotated files kept (`app.log.1` … `app.log.N`; default 5). */
  maxFiles: z.number().int().nonnegative().default(5),
  /** Least severe level this destination writes. */
  level: logLevelSchema.optional(),
});
/** A `file` destination's settings. */
export type FileDestinationConfig = z.infer<typeof fileDestinationConfigSchema>;

/** Schema of a `remote` destination's `config`. */
export const remoteDestinationConfigSchema = z.strictObject({
  /** The collector endpoint, `http:` or `https:`. */
  url: z.url({ protocol: /^https?$/ }),
  /** Extra request headers (for example `authorization`). */
  headers: z.record(z.string(), z.string()).default({}),
  /** Entries per request (default 100). */
  batchSize: positiveInt.default(100),
  /** Milliseconds a partial batch waits (default 1000). */
  flushInterval: positiveInt.default(1000),
  /** Request timeout in ms (default 5000). */
  timeout: positiveInt.default(5000),
  /** Entries held while the collector is slow (default 10 000). */
  maxQueue: positiveInt.default(10_000),
  /** Least severe level this destination sends. */
  level: logLevelSchema.optional(),
});
/** A `remote` destination's settings. */
export type RemoteDestinationConfig = z.infer<typeof remoteDestinationConfigSchema>;

/** A transport this package built: it can be flushed and shut down. */
export type ManagedTransport = ConsoleTransport | FileTransport | RemoteTransport;

/** What building transports from destinations needs besides the config. */
export interface DestinationEnvironment {
  /** Folder relative file paths resolve against. */
  readonly baseDir: string;
  /** Streams behind `stdout` / `stderr`. */
  readonly streams: { readonly stdout: ConsoleStream; readonly stderr: ConsoleStream };
  /** Environment read for colour decisions. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Error reporter shared by every transport; `source` names the destination (`destinations[1]`). */
  readonly onError: (error: Error, source: string) => void;
  /** `fetch` for remote destinations. */
  readonly fetch?: typeof fetch;
}

/** A destination whose `config` passed its schema. */
type ParsedDestination =
  | { readonly type: "console"; readonly config: ConsoleDestinationConfig }
  | { readonly type: "file"; readonly config: FileDestinationConfig }
  | { readonly type: "remote"; readonly config: RemoteDestinationConfig };

/** Parses one destination's `config`; on failure, every issue with its full path (`destinations[1].config.path`). */
function parseDestination(destination: LogDestination, index: number): ParsedDestination | ValidationIssue[] {
  const base = `destinations[${index}].config`;
  switch (destination.type) {
    case "console": {
      const parsed = consoleDestinationConfigSchema.safeParse(destination.config, { reportInput: true });
      return parsed.success
        ? { type: "console", config: parsed.data }
        : toValidationIssues(parsed.error.issues, base);
    }
    case "file": {
      const parsed = fileDestinationConfigSchema.safeParse(destination.config, { reportInput: true });
      return parsed.success
        ? { type: "file", config: parsed.data }
        : toValidationIssues(parsed.error.issues, base);
    }
    case "remote": {
      const parsed = remoteDestinationConfigSchema.safeParse(destination.config, { reportInput: true });
      return parsed.success
        ? { type: "remote", config: parsed.data }
        : toValidationIssues(parsed.error.issues, base);
    }
  }
}

function invalidDestinations(issues: readonly ValidationIssue[]): ConfigValidationError {
  return new ConfigValidationError(
    `Invalid log destination: ${issues.map((i) => `${i.path ?? "destinations"}: ${i.message}`).join("; ")}`,
    issues,
  );
}

function buildTransport(
  destination: ParsedDestination,
  index: number,
  environment: DestinationEnvironment,
): ManagedTransport {
  const onError = (error: Error): void =>
    environment.onError(error, `destinations[${index}] (${destination.type})`);
  switch (destination.type) {
    case "console": {
      const { config } = destination;
      return new ConsoleTransport({
        stream: environment.streams[config.stream],
        env: environment.env,
        onError,
        ...(config.colors === undefined ? {} : { colors: config.colors }),
        ...(config.level === undefined ? {} : { level: config.level }),
      });
    }
    case "file": {
      const { config } = destination;
      return new FileTransport({
        path: resolve(environment.baseDir, config.path),
        maxSize: config.maxSize,
        maxFiles: config.maxFiles,
        onError,
        ...(config.level === undefined ? {} : { level: config.level }),
      });
    }
    case "remote": {
      const { config } = destination;
      return new RemoteTransport({
        url: config.url,
        headers: config.headers,
        batchSize: config.batchSize,
        flushInterval: config.flushInterval,
        timeout: config.timeout,
        maxQueue: config.maxQueue,
        onError,
        ...(config.level === undefined ? {} : { level: config.level }),
        ...(environment.fetch === undefined ? {} : { fetch: environment.fetch }),
      });
    }
  }
}

/**
 * Builds the transport of one destination. Throws {@link ConfigValidationError} naming the field
 * (`destinations[1].config.path`) when its `config` is invalid.
 */
export function createDestinationTransport(
  destination: LogDestination,
  index: number,
  environment: DestinationEnvironment,
): ManagedTransport {
  const parsed = parseDestination(destination, index);
  if (Array.isArray(parsed)) throw invalidDestinations(parsed);
  return buildTransport(parsed, index, environment);
}

/**
 * Builds the transports of every destination, or none: every destination's `config` is checked first,
 * and one {@link ConfigValidationError} lists the problems of all of them, so a bad destination never
 * leaves the transports of the good ones half-built (listening on a stream, holding a file).
 */
export function createDestinationTransports(
  destinations: readonly LogDestination[],
  environment: DestinationEnvironment,
): ManagedTransport[] {
  const issues: ValidationIssue[] = [];
  const valid: ParsedDestination[] = [];
  destinations.forEach((destination, index) => {
    const parsed = parseDestination(destination, index);
    if (Array.isArray(parsed)) issues.push(...parsed);
    else valid.push(parsed);
  });
  if (issues.length > 0) throw invalidDestinations(issues);
  return valid.map((destination, index) => buildTransport(destination, index, environment));
}
