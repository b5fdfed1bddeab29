import type { InfrastructureLogger, LogMeta } from "@espada/infra-core";

/** A logger that records every call (message + serialised meta) for assertions. */
export function capturingLogger(): { logger: InfrastructureLogger; lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (message: string, meta?: LogMeta) => {
    const error =
      meta?.error instanceof Error
        ? { message: meta.error.message, cause: String((meta.error as { cause?: unknown }).cause) }
        : undefined;
    lines.push(`${level} ${message} ${JSON.stringify({ ...meta, error })}`);
  };
  const logger: InfrastructureLogger = {
    trace: record("trace"),
    debug: record("debug"),
    info: record("info"),
    warn: record("warn"),
    error: record("error"),
    fatal: record("fatal"),
    child: () => logger,
    withContext: () => logger,
    isLevelEnabled: () => true,
  };
  return { logger, lines };
}
