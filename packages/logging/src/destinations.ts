import { resolve } from "node:path";
import { z } from "zod";
import { ConfigValidationError, formatPath, logLevelSchema } from "@espada/infra-core";
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

function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, base: string): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues: ValidationIssue[] = parsed.error.issues.map((issue) => ({
    code: issue.code === "unrecognized_keys" ? "UNKNOWN_KEY" : "INVALID_VALUE",
    message: issue.message,
    path: formatPath(issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0] ?? ""] : issue.path, base),
  }));
  throw new ConfigValidationError(`Invalid log destination ${base}: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, issues);
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
  const base = `destinations[${index}]`;
  const onError = (error: Error): void => environment.onError(error, `${base} (${destination.type})`);
  switch (destination.type) {
    case "console": {
      const config = parseOrThrow(consoleDestinationConfigSchema, destination.config, `${base}.config`);
      return new ConsoleTransport({
        stream: environment.streams[config.stream],
        env: environment.env,
        onError,
        ...(config.colors === undefined ? {} : { colors: config.colors }),
        ...(config.level === undefined ? {} : { level: config.level }),
      });
    }
    case "file": {
      const config = parseOrThrow(fileDestinationConfigSchema, destination.config, `${base}.config`);
      return new FileTransport({
        path: resolve(environment.baseDir, config.path),
        maxSize: config.maxSize,
        maxFiles: config.maxFiles,
        onError,
        ...(config.level === undefined ? {} : { level: config.level }),
      });
    }
    case "remote": {
      const config = parseOrThrow(remoteDestinationConfigSchema, destination.config, `${base}.config`);
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
