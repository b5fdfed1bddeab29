/**
 * @espada/infra-core — the types, taxonomy, lifecycle table, events, errors, config schemas,
 * validators and narrow interfaces every package of the Espada infrastructure framework meets through.
 * @packageDocumentation
 */
export {
  PROVIDER_CATEGORIES,
  PROVIDER_CAPABILITIES,
  RESOURCE_TYPES,
  AUTH_METHODS,
  COMMAND_CATEGORIES,
  PARAMETER_TYPES,
  KNOWN_ENVIRONMENTS,
  providerCategorySchema,
  providerCapabilitySchema,
  resourceTypeSchema,
  authMethodSchema,
  commandCategorySchema,
  parameterTypeSchema,
} from "./taxonomy.js";
export type {
  ProviderCategory,
  ProviderCapability,
  ResourceType,
  AuthMethod,
  CommandCategory,
  ParameterType,
  Environment,
} from "./taxonomy.js";

export {
  LIFECYCLE_STATES,
  LIFECYCLE_TRANSITIONS,
  LIFECYCLE_HOOK_STAGES,
  lifecycleStateSchema,
  lifecycleHookStageSchema,
  canTransition,
  isTerminalState,
  LifecycleStateMachine,
  createLifecycleStateMachine,
  isLifecycleStateHolder,
} from "./lifecycle.js";
export type {
  LifecycleState,
  LifecycleHookStage,
  LifecycleHookContext,
  LifecycleHook,
  Unsubscribe,
} from "./lifecycle.js";
export type {
  LifecycleTransition,
  LifecycleTransitionListener,
  LifecycleStateHolder,
  LifecycleStateMachineOptions,
} from "./lifecycle.js";

export { ERROR_CODES, ISSUE_CODES, isInfrastructureErrorCode, describeErrorCode } from "./errorCodes.js";
export type { ErrorCodeInfo, IssueCode } from "./errorCodes.js";
export {
  ENTITY_KINDS,
  describeKind,
  typeMismatchReason,
  formatIssue,
  formatIssues,
  editDistance,
  closestMatch,
  notFoundMessage,
} from "./messages.js";
export type { EntityKind } from "./messages.js";

export {
  INFRASTRUCTURE_ERROR_CODES,
  InfrastructureError,
  GateFailureError,
  isGateFailure,
  findStorageUnavailable,
  ValidationError,
  ConfigValidationError,
  LifecycleTransitionError,
  NotFoundError,
  AlreadyExistsError,
  TimeoutError,
  StorageError,
  isInfrastructureError,
  toError,
} from "./errors.js";
export type {
  InfrastructureErrorCode,
  InfrastructureErrorOptions,
  NotFoundErrorOptions,
  ValidationIssue,
} from "./errors.js";

export { LOG_LEVELS, LOG_LEVEL_SEVERITY, logLevelSchema, createNoopLogger } from "./logger.js";
export type { LogLevel, LogContext, LogMeta, InfrastructureLogger } from "./logger.js";
export { createConsoleLogger } from "./consoleLogger.js";
export type { ConsoleLoggerOptions } from "./consoleLogger.js";

export {
  commandParameterSchema,
  commandExampleSchema,
  commandDefinitionSchema,
  createExecutionContext,
} from "./commands.js";
export type {
  CommandParameter,
  CommandExample,
  CommandDefinition,
  ProgressUpdate,
  ProgressReporter,
  ExecutionContext,
  CommandError,
  CommandSuccess,
  CommandFailure,
  CommandResult,
} from "./commands.js";

export {
  providerIdSchema,
  providerMetaSchema,
  providerAuthSchema,
  HEALTH_STATUSES,
  summarizeHealth,
} from "./provider.js";
export type {
  ProviderMeta,
  ProviderAuth,
  HealthStatus,
  HealthCheckItem,
  ProviderHealth,
  ConfigValidationResult,
  ResourceState,
  InfrastructureProvider,
  ProviderFactoryOptions,
  ProviderFactory,
  PluginInfo,
} from "./provider.js";

export { INFRASTRUCTURE_EVENT_TYPES, createEventBus } from "./events.js";
export type {
  InfrastructureEventType,
  InfrastructureEventMap,
  InfrastructureEventBus,
  InfrastructureEventHandler,
  EventBusOptions,
  ProviderEvent,
  SessionEvent,
  CommandEvent,
  ResourceEvent,
  HealthCheckEvent,
  ConfigChangedEvent,
} from "./events.js";

export {
  RISK_LEVELS,
  SECURITY_CHECKS,
  AUDIT_EVENT_TYPES,
  AUDIT_OUTCOMES,
  OPERATION_RESULTS,
  READ_ONLY_COMMAND_CATEGORIES,
  auditEventTypeSchema,
  estimatedCostSchema,
  riskLevelForScore,
  isMutatingCategory,
  createAllowAllGate,
} from "./security.js";
export type {
  RiskLevel,
  RiskFactor,
  RiskAssessment,
  SecurityCheck,
  GateReason,
  OperationRequest,
  GateDecision,
  GateOutcome,
  SecurityGate,
  EstimatedCost,
  OperationResult,
  OperationOutcomeReport,
  AuditOutcome,
  AuditEventType,
  AuditEventInput,
  AuditSink,
} from "./security.js";

export {
  SESSION_STATES,
  commandHistoryEntrySchema,
  pendingOperationSchema,
  sessionResourceSchema,
  infrastructureSessionSchema,
} from "./stores.js";
export { isCommandHistoryEntry, isInfrastructureSession } from "./sessionShape.js";
export {
  NOT_FAST,
  SOURCE_PARAMETERS,
  compileFastParser,
  compileShapeCheck,
} from "./validation/schemaCompiler.js";
export type { FastParser, ShapeCheck } from "./validation/schemaCompiler.js";
export { COLD_USES, tieredSafeParse } from "./validation/tiered.js";
export type { TieredParseOptions } from "./validation/tiered.js";
export { deferred, deferredById } from "./deferredSchema.js";
export {
  portableRefine,
  portableSuperRefine,
  portableTransform,
  precompileFastParser,
  precompiledFastParser,
  registerFastParsers,
} from "./validation/precompiled.js";
export type { PrecompiledParser } from "./validation/precompiled.js";
export {
  isJsonValue,
  assertJsonValue,
  frozenJsonCopy,
  jsonValueSchema,
  jsonObjectSchema,
  toJsonObject,
} from "./json.js";
export { assertStoreKey, MAX_STORE_KEY_BYTES } from "./storeKeys.js";
export {
  assertCounterArguments,
  assertExpectedVersion,
  assertListArguments,
  assertReadArguments,
  assertAppendAtArguments,
  storeTtl,
  trimOptionsOf,
} from "./storeArguments.js";
export { encodeLogValue, encodeLogValueParts, decodeLogValue } from "./logEncoding.js";
export type { JsonValue, JsonObject } from "./json.js";
export type {
  StoredRecord,
  PutOptions,
  ListOptions,
  TrimOptions,
  CompareAndSetResult,
  AppendAtResult,
  PrepareAppendResult,
  CounterValue,
  LogEntry,
  StateStore,
  SessionState,
  CommandHistoryEntry,
  CommandHistoryEntryInput,
  PendingOperation,
  PendingOperationInput,
  SessionResource,
  InfrastructureSession,
  HistoryQuery,
  SessionStore,
  PendingClaim,
  ClaimResult,
  PendingUpdate,
} from "./stores.js";

export type {
  ProviderSummary,
  InstanceSummary,
  InstanceFilter,
  InfrastructureCatalogue,
  ExecuteRequest,
  ResumeOptions,
  ExecutionOutcome,
  ExecutionStatus,
  OperationListener,
  OperationRunner,
} from "./operations.js";

export { DISCOVERY_SOURCES } from "./discovery.js";
export type {
  DiscoverySource,
  DiscoveredProvider,
  DiscoveryProblem,
  DiscoveryResult,
  PluginDiscoverer,
} from "./discovery.js";

export {
  LOG_DESTINATION_TYPES,
  providerAuthConfigSchema,
  providerConfigSchema,
  sessionConfigSchema,
  commandValidationConfigSchema,
  commandExecutionConfigSchema,
  commandHistoryConfigSchema,
  commandConfigSchema,
  lifecycleConfigSchema,
  logDestinationSchema,
  loggingConfigSchema,
  encryptionConfigSchema,
  auditConfigSchema,
  accessConfigSchema,
  securityConfigSchema,
  infrastructureConfigSchema,
  CONFIG_SECTIONS,
  discoveryConfigSchema,
  conversationConfigSchema,
  remoteRegistryConfigSchema,
  redisTlsConfigSchema,
  redisStoreConfigSchema,
  stateStoreConfigSchema,
} from "./config/schemas.js";
export type {
  ProviderAuthConfig,
  ProviderConfig,
  SessionConfig,
  CommandValidationConfig,
  CommandExecutionConfig,
  CommandHistoryConfig,
  CommandConfig,
  LifecycleConfig,
  LogDestination,
  LoggingConfig,
  EncryptionConfig,
  AuditConfig,
  AccessConfig,
  SecurityConfig,
  InfrastructureConfig,
  InfrastructureConfigInput,
  ConfigSectionName,
  DiscoveryConfig,
  DiscoveryConfigInput,
  ConversationConfig,
  ConversationConfigInput,
  RemoteRegistryConfig,
  ConfigSection,
  ConfigSectionInput,
  RedisStoreConfig,
  RedisStoreConfigInput,
  StateStoreConfig,
  StateStoreConfigInput,
} from "./config/schemas.js";

export {
  INFRA_PERMISSIONS,
  OPERATION_TYPES,
  WEEKDAYS,
  APPROVAL_CONDITIONS,
  DEFAULT_OPERATION_TYPE_SCORES,
  infraPermissionSchema,
  timeZoneSchema,
  scheduleSchema,
  roleSchema,
  roleAssignmentSchema,
  denyRuleSchema,
  timeWindowSchema,
  blackoutWindowSchema,
  approvalStepSchema,
  approvalChainSchema,
  breakGlassPolicySchema,
  riskWeightsSchema,
  riskPolicySchema,
  securityPoliciesSchema,
} from "./config/securityPolicies.js";
export type {
  InfraPermission,
  OperationType,
  Weekday,
  ApprovalCondition,
  Schedule,
  Role,
  RoleAssignment,
  DenyRule,
  TimeWindow,
  BlackoutWindow,
  ApprovalStep,
  ApprovalChain,
  BreakGlassPolicy,
  RiskWeights,
  RiskPolicy,
  SecurityPolicies,
  SecurityPoliciesInput,
} from "./config/securityPolicies.js";

export {
  validateInfrastructureConfig,
  validateProviderConfig,
  validateSessionConfig,
  validateCommandConfig,
  validateLoggingConfig,
  validateSecurityConfig,
  validateConfigSection,
  getDefaultInfrastructureConfig,
  mergeWithDefaults,
  parseInfrastructureConfig,
  getInfrastructureConfigJsonSchema,
} from "./config/validate.js";
export type { ConfigResult } from "./config/validate.js";
export { isValidatedInfrastructureConfig, safeParseInfrastructureConfig } from "./config/validated.js";

export { InfrastructureCommandValidator, isValidatedCall } from "./validation/commandValidator.js";
export { refusalCode } from "./validation/refusal.js";
export type { RefusalCode } from "./validation/refusal.js";
export {
  requiredParams,
  typeCheck,
  sensitiveParams,
  dryRunCheck,
  dangerousCommandCheck,
  BUILT_IN_VALIDATORS,
  isDryRunRequest,
} from "./validation/builtins.js";
export { redactParams } from "./validation/redact.js";
export {
  REDACTED,
  UNREADABLE,
  CIRCULAR,
  TRUNCATED,
  SECRET_KEY_FRAGMENTS,
  isSecretKey,
  createSecretKeyPredicate,
  redactSecrets,
  redactSecretRecord,
  redactSecretText,
  isRedacted,
} from "./secrets.js";
export type { RedactSecretsOptions } from "./secrets.js";
export { isRecord } from "./validation/record.js";
export { cancelledError, raceAbort, MAX_TIMER_MS, clampTimerDelay } from "./async.js";
export { formatPath } from "./validation/path.js";
export { toValidationIssues } from "./config/issues.js";
export type {
  CommandIssue,
  CommandValidationOptions,
  CommandValidatorInput,
  CommandValidatorFn,
  CommandValidationResult,
  ValidatedCommandCall,
} from "./validation/types.js";
