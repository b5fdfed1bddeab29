/**
 * @espada/infra-conversation — the conversational pipeline of the Espada infrastructure framework:
 * from a chat message to a safe, confirmed operation, offline, with an optional language model.
 * @packageDocumentation
 */
export {
  INTENT_CATEGORIES,
  OPERATIONS,
  OPERATION_NAMES,
  categoryOf,
  isMutating as isMutatingOperation,
  isDestructive as isDestructiveOperation,
} from "./vocabulary.js";
export type { IntentCategory, Operation } from "./vocabulary.js";
export {
  InfrastructureIntentClassifier,
  CLARIFICATION_REASONS,
  operationSchema,
  intentCategorySchema,
  intentCandidateSchema,
  intentResultSchema,
} from "./intentClassifier.js";
export type {
  IntentResult,
  IntentCandidate,
  ClarificationReason,
  IntentClassifierOptions,
} from "./intentClassifier.js";
export {
  InfrastructureParameterExtractor,
  extractedValuesSchema,
  parameterAmbiguitySchema,
  extractionSchema,
} from "./parameterExtractor.js";
export type {
  ExtractedValues,
  ParameterName,
  ParameterAmbiguity,
  Extraction,
  SuggestedDefault,
  ParameterExtractorOptions,
  ExtractionContext,
} from "./parameterExtractor.js";
export { InfrastructureErrorHumanizer, humanizedErrorSchema } from "./errorHumanizer.js";
export type { HumanizedError, ErrorHumanizerOptions } from "./errorHumanizer.js";
export { ERROR_CATALOGUE, ERROR_CATEGORIES } from "./errorCatalogue.js";
export type { ErrorCategory, ErrorPattern } from "./errorCatalogue.js";
export { InfrastructureStatusUpdater, VERBOSITY_LEVELS } from "./statusUpdater.js";
export type {
  Verbosity,
  StatusEvent,
  StatusEventType,
  OperationStatus,
  StatusUpdaterOptions,
  StartOptions,
  ProgressInput,
} from "./statusUpdater.js";
export { InfrastructureStateProvider, METRIC_AGGREGATES } from "./stateProvider.js";
export type {
  ResourceSnapshot,
  ResourceSource,
  MetricAggregate,
  MetricQuery,
  MetricResult,
  StateSnapshot,
  StateChange,
  StateProviderOptions,
} from "./stateProvider.js";
export { InfrastructureResourceResolver } from "./resourceResolver.js";
export type {
  ResolveResult,
  ResolvedVia,
  ResolveContext,
  ResourceResolverOptions,
} from "./resourceResolver.js";
export {
  InfrastructureConfirmationWorkflow,
  isAffirmative,
  isNegative,
  normalizeAnswer,
} from "./confirmationWorkflow.js";
export type {
  ConfirmationLevel,
  ConfirmationTarget,
  ConfirmationInput,
  ConfirmationDecision,
  ImpactSummary,
  PendingConfirmation,
  ConfirmationResponse,
  ConfirmationPolicy,
  ConfirmationWorkflowOptions,
} from "./confirmationWorkflow.js";
export { InfrastructureConversationManager, RESPONSE_KINDS, mapParameters } from "./manager.js";
export type {
  ResponseKind,
  Ambiguity,
  ConfirmationRequest,
  PlannedCommand,
  OutcomeSummary,
  ConversationResponse,
  MessageContext,
  ConversationManagerOptions,
} from "./manager.js";
export { modelClassificationSchema, intentFromModel, valuesFromModel } from "./model.js";
export type { LanguageModelAdapter, ModelClassification, ModelClassifyContext } from "./model.js";
