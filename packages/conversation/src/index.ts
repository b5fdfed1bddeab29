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
export type { IntentResult, IntentCandidate, ClarificationReason, IntentClassifierOptions } from "./intentClassifier.js";
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
