// A logger for CLI processes that loads the logging package (winston) only when a line at or above
// the threshold is actually logged: most commands log nothing at `warn`, and loading winston is a
// large part of a cold start. Lines are handed to the real logger, in order, once it is loaded.
import { LOG_LEVEL_SEVERITY } from "@espada/infra-core";
import type { InfrastructureLogger, LogContext, LogLevel, LogMeta } from "@espada/infra-core";

/** A logger whose real implementation is created on first use; `close()` flushes and closes it. */
export interface DeferredLogger extends InfrastructureLogger {
  close(): Promise<void>;
}

type Step =
  | { readonly kind: "child"; readonly name: string }
  | { readonly kind: "context"; readonly context: LogContext };

interface Shared {
  readonly threshold: number;
  readonly create: () => Promise<InfrastructureLogger & { close(): Promise<void> }>;
  loading: Promise<(InfrastructureLogger & { close(): Promise<void> }) | undefined> | undefined;
  real: (InfrastructureLogger & { close(): Promise<void> }) | undefined;
  queue: { path: readonly Step[]; level: LogLevel; message: string; meta: LogMeta | undefined }[];
}

function derive(root: InfrastructureLogger, path: readonly Step[]): InfrastructureLogger {
  let logger = root;
  for (const step of path)
    logger = step.kind === "child" ? logger.child(step.name) : logger.withContext(step.context);
  return logger;
}

function make(shared: Shared, path: readonly Step[]): DeferredLogger {
  const write = (level: LogLevel, message: string, meta?: LogMeta): void => {
    if (LOG_LEVEL_SEVERITY[level] < shared.threshold) return;
    if (shared.real !== undefined) {
      derive(shared.real, path)[level](message, meta);
      return;
    }
    shared.queue.push({ path, level, message, meta });
    shared.loading ??= shared.create().then(
      (real) => {
        shared.real = real;
        for (const entry of shared.queue.splice(0))
          derive(real, entry.path)[entry.level](entry.message, entry.meta);
        return real;
      },
      (error: unknown) => {
        // The logging package could not start: say so once on stderr, keep the process running.
        process.stderr.write(
          `[espada-infra] logging unavailable: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        shared.queue.length = 0;
        return undefined;
      },
    );
  };
  return {
    trace: (m, meta) => write("trace", m, meta),
    debug: (m, meta) => write("debug", m, meta),
    info: (m, meta) => write("info", m, meta),
    warn: (m, meta) => write("warn", m, meta),
    error: (m, meta) => write("error", m, meta),
    fatal: (m, meta) => write("fatal", m, meta),
    child: (name) => make(shared, [...path, { kind: "child", name }]),
    withContext: (context) => make(shared, [...path, { kind: "context", context }]),
    isLevelEnabled: (level) => LOG_LEVEL_SEVERITY[level] >= shared.threshold,
    async close() {
      const real = await shared.loading;
      await real?.close();
    },
  };
}

/** Creates a deferred logger: lines below `level` are dropped; the first line at or above it loads `create()`. */
export function createDeferredLogger(
  level: LogLevel,
  create: () => Promise<InfrastructureLogger & { close(): Promise<void> }>,
): DeferredLogger {
  return make(
    { threshold: LOG_LEVEL_SEVERITY[level], create, loading: undefined, real: undefined, queue: [] },
    [],
  );
}
