import { LOG_LEVELS, createConsoleLogger, createNoopLogger } from "@espada/infra-core/authoring";
import type { InfrastructureLogger, LogLevel } from "@espada/infra-core";

/**
 * The logger of a provider created without one: core's console logger on stderr, labelled with the
 * instance id (or the provider id), at the level named by `ESPADA_LOG_LEVEL` (default `info`;
 * `silent` or `off` writes nothing). So `logger.info` in a provider shows up in development without
 * `@espada/infra-logging`; under the registry the provider gets the host's logger instead.
 */
export function defaultProviderLogger(
  label: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): InfrastructureLogger {
  const wanted = env["ESPADA_LOG_LEVEL"]?.trim().toLowerCase();
  if (wanted === "silent" || wanted === "off") return createNoopLogger();
  const level = (LOG_LEVELS as readonly string[]).includes(wanted ?? "") ? (wanted as LogLevel) : "info";
  return createConsoleLogger({ level, name: label });
}
