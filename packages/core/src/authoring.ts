/**
 * @espada/infra-core/authoring — the run-time pieces a provider and the sdk need (errors, lifecycle
 * machine, command/provider/taxonomy schemas, the command validator, result and message helpers,
 * loggers), without the configuration and security-policy schemas the main entry also loads. The
 * same modules as the main entry, so classes and schemas are identical (`instanceof` holds across
 * both doors); it exists so that importing `@espada/infra-sdk` stays cheap.
 * @packageDocumentation
 */
export { LIFECYCLE_HOOK_STAGES, LifecycleStateMachine, lifecycleHookStageSchema } from "./lifecycle.js";
export {
  InfrastructureError,
  LifecycleTransitionError,
  TimeoutError,
  ValidationError,
  isInfrastructureError,
  toError,
} from "./errors.js";
export { formatIssues, notFoundMessage } from "./messages.js";
export { LOG_LEVELS, createNoopLogger } from "./logger.js";
export { createConsoleLogger } from "./consoleLogger.js";
export { commandDefinitionSchema, createExecutionContext } from "./commands.js";
export { HEALTH_STATUSES, providerAuthSchema, providerMetaSchema, summarizeHealth } from "./provider.js";
export { resourceTypeSchema } from "./taxonomy.js";
export { InfrastructureCommandValidator, isValidatedCall } from "./validation/commandValidator.js";
export { refusalCode } from "./validation/refusal.js";
export { isDryRunRequest } from "./validation/builtins.js";
export { isRecord } from "./validation/record.js";
export { tieredSafeParse } from "./validation/tiered.js";
export { registerFastParsers } from "./validation/precompiled.js";
export { raceAbort, clampTimerDelay } from "./async.js";
export { toValidationIssues } from "./config/issues.js";
