/**
 * @espada/infra-logging — the framework's structured logger on winston: six levels, subsystems and
 * context, secret redaction, and console, file (rotating JSON lines) and remote (batched HTTP) transports.
 * @packageDocumentation
 */
export { InfrastructureLoggerImpl, createInfrastructureLogger } from "./logger.js";
export type { LoggingConfigInput, LoggerRuntimeOptions } from "./logger.js";
export { ConsoleTransport, formatConsoleLine, shouldUseColor } from "./consoleTransport.js";
export type { ConsoleTransportOptions, ConsoleStream } from "./consoleTransport.js";
export { FileTransport } from "./fileTransport.js";
export type { FileTransportOptions } from "./fileTransport.js";
export { RemoteTransport } from "./remoteTransport.js";
export type { RemoteTransportOptions } from "./remoteTransport.js";
export {
  consoleDestinationConfigSchema,
  fileDestinationConfigSchema,
  remoteDestinationConfigSchema,
  createDestinationTransport,
} from "./destinations.js";
export type {
  ConsoleDestinationConfig,
  FileDestinationConfig,
  RemoteDestinationConfig,
  ManagedTransport,
  DestinationEnvironment,
} from "./destinations.js";
export { createRedactor } from "./redact.js";
export type { Redactor, RedactorOptions, Loggable, SerializedError } from "./redact.js";
export { CONTEXT_KEYS } from "./record.js";
export type { ContextKey, LogRecord } from "./record.js";
export { WINSTON_LEVELS } from "./levels.js";
