// The two predictors compared on the corpus: ours (offline pipeline) and nlp.js (node-nlp).
import { createRequire } from "node:module";
import * as source from "../src/index.js";
import type { LabelledUtterance } from "./corpus.js";
import { EVAL_NOW } from "./corpus.js";
import type { Prediction } from "./evaluate.js";

/** The parts of the package a predictor uses: the sources (default) or the built `dist` (the bench). */
export type OursLibrary = Pick<
  typeof source,
  "InfrastructureIntentClassifier" | "InfrastructureParameterExtractor" | "isMutatingOperation"
>;

/** Our offline pipeline: classifier, then extractor with the classified operation. */
export function createOursPredictor(lib: OursLibrary = source): (text: string) => Prediction {
  const { isMutatingOperation } = lib;
  const classifier = new lib.InfrastructureIntentClassifier();
  const extractor = new lib.InfrastructureParameterExtractor({ now: () => EVAL_NOW, timeZone: "UTC" });
  return (text) => {
    const intent = classifier.classify(text);
    if (intent.outOfScope)
      return {
        category: null,
        operation: null,
        outOfScope: true,
        needsClarification: false,
        params: {},
        confirm: false,
      };
    const params = extractor.extract(text, { operation: intent.operation }).values;
    const clear = !intent.needsClarification && intent.operation !== null;
    return {
      category: intent.category,
      operation: intent.operation,
      outOfScope: false,
      needsClarification: intent.needsClarification,
      params,
      confirm: clear && intent.operation !== null && isMutatingOperation(intent.operation),
    };
  };
}

interface NlpManagerLike {
  addDocument(locale: string, utterance: string, intent: string): void;
  train(): Promise<void>;
  process(locale: string, utterance: string): Promise<{ intent: string; score: number }>;
}

/** nlp.js (`node-nlp`) trained on the training split: `None` for out of scope, `ambiguous` as its own intent. */
export async function createNlpjsPredictor(
  train: readonly LabelledUtterance[],
): Promise<(text: string) => Promise<Prediction>> {
  const require = createRequire(import.meta.url);
  const { NlpManager } = require("node-nlp") as { NlpManager: new (options: object) => NlpManagerLike };
  const manager = new NlpManager({
    languages: ["en"],
    forceNER: false,
    nlu: { log: false },
    autoSave: false,
    autoLoad: false,
  });
  for (const item of train) manager.addDocument("en", item.text, item.outOfScope ? "None" : item.label);
  await manager.train();
  return async (text) => {
    const { intent } = await manager.process("en", text);
    if (intent === "None" || intent === undefined)
      return { category: null, operation: null, outOfScope: true, needsClarification: false };
    if (intent === "ambiguous")
      return { category: null, operation: null, outOfScope: false, needsClarification: true };
    const [category = null, operation = null] = intent.split("/");
    return { category, operation, outOfScope: false, needsClarification: false };
  };
}
