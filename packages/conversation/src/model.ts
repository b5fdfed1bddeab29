import { z } from "zod";
import { extractedValuesSchema } from "./parameterExtractor.js";
import type { ExtractedValues } from "./parameterExtractor.js";
import { intentCategorySchema, operationSchema } from "./intentClassifier.js";
import type { IntentResult } from "./intentClassifier.js";
import { categoryOf, isDestructive, isMutating, OPERATION_NAMES, INTENT_CATEGORIES } from "./vocabulary.js";
import type { Operation } from "./vocabulary.js";

/** What a model's classification must look like (validated; anything else falls back to offline). */
export const modelClassificationSchema = z.object({
  outOfScope: z.boolean().default(false),
  operation: operationSchema.nullable().default(null),
  category: intentCategorySchema.nullable().optional(),
  confidence: z.number().min(0).max(1),
  needsClarification: z.boolean().default(false),
  question: z.string().max(500).optional(),
});
/** A model's classification. */
export type ModelClassification = z.infer<typeof modelClassificationSchema>;

/** What the model is told it may answer with. */
export interface ModelClassifyContext {
  readonly categories: readonly string[];
  readonly operations: readonly string[];
}

/**
 * A language model a host plugs in. Both methods are optional; each answer is validated with a
 * zod schema, and a model that throws, times out or answers nonsense is ignored in favour of the
 * offline pipeline. Safety flags (mutating, destructive) always come from the operation table,
 * never from the model.
 */
export interface LanguageModelAdapter {
  /** Classifies a message; return the shape of {@link modelClassificationSchema}. */
  classify?(text: string, context: ModelClassifyContext, signal: AbortSignal): Promise<unknown>;
  /** Extracts parameters under the canonical names of `extractedValuesSchema`. */
  extract?(
    text: string,
    context: { readonly operation: Operation | null },
    signal: AbortSignal,
  ): Promise<unknown>;
}

/** Runs `call` with a time limit; resolves undefined on timeout, rejection or abort. */
export async function callModel<T>(
  call: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  outer?: AbortSignal,
): Promise<T | undefined> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  outer?.addEventListener("abort", onAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve(undefined);
      }, timeoutMs);
      timer.unref();
    });
    const aborted = new Promise<undefined>((resolve) => {
      if (controller.signal.aborted) resolve(undefined);
      controller.signal.addEventListener("abort", () => resolve(undefined), { once: true });
    });
    return await Promise.race([call(controller.signal).catch(() => undefined), timeout, aborted]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    outer?.removeEventListener("abort", onAbort);
  }
}

/** Turns a validated model classification into an {@link IntentResult}; undefined when it is not valid. */
export function intentFromModel(raw: unknown): IntentResult | undefined {
  const parsed = modelClassificationSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const m = parsed.data;
  if (m.outOfScope) {
    return {
      category: null,
      operation: null,
      confidence: m.confidence,
      outOfScope: true,
      needsClarification: false,
      clarification: null,
      alternatives: [],
      composite: [],
      negated: [],
      mutating: false,
      destructive: false,
      source: "model",
    };
  }
  const op = m.operation;
  if (op !== null && m.category !== undefined && m.category !== null && categoryOf(op) !== m.category)
    return undefined;
  const ask = m.needsClarification || op === null;
  return {
    category: op === null ? null : categoryOf(op),
    operation: op,
    confidence: m.confidence,
    outOfScope: false,
    needsClarification: ask,
    clarification: ask
      ? {
          reason: op === null ? "no-operation" : "low-confidence",
          question: m.question ?? "What exactly would you like to do?",
          options: [],
        }
      : null,
    alternatives: [],
    composite: [],
    negated: [],
    mutating: op !== null && isMutating(op),
    destructive: op !== null && isDestructive(op),
    source: "model",
  };
}

/** Validates a model's extraction; undefined when it is not valid. */
export function valuesFromModel(raw: unknown): ExtractedValues | undefined {
  const parsed = extractedValuesSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** The context handed to a model's `classify`. */
export const MODEL_CONTEXT: ModelClassifyContext = {
  categories: INTENT_CATEGORIES,
  operations: OPERATION_NAMES,
};
