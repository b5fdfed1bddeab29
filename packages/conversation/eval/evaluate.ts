// Scores a predictor on the labelled corpus: intent accuracy, macro-F1, out-of-scope recall,
// clarification rates, parameter precision/recall/F1 and confirmation accuracy.
import type { LabelledUtterance } from "./corpus.js";

/** What a predictor says about one utterance. */
export interface Prediction {
  readonly category: string | null;
  readonly operation: string | null;
  readonly outOfScope: boolean;
  readonly needsClarification: boolean;
  /** Extracted parameters (canonical names); omitted by predictors that do not extract. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Whether the operation would be held for confirmation; omitted when not predicted. */
  readonly confirm?: boolean;
}

/** Predicted label: `oos`, `ambiguous` (asks to clarify) or `category/operation`. */
export function labelOf(p: Prediction): string {
  if (p.outOfScope) return "oos";
  if (p.needsClarification || p.category === null) return "ambiguous";
  return `${p.category}/${p.operation ?? "?"}`;
}

function groupOf(label: string): string {
  return label.includes("/") ? (label.split("/")[0] ?? label) : label;
}

/** Flattens parameters into comparable `key=value` pairs (`names` gives one pair per name). */
export function paramPairs(params: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    const text = (x: unknown): string => (typeof x === "string" ? x : JSON.stringify(x)).toLowerCase();
    if (Array.isArray(v)) for (const x of v) out.push(`${k}=${text(x)}`);
    else out.push(`${k}=${text(v)}`);
  }
  return out;
}

/** The scores of one run. */
export interface Scores {
  readonly n: number;
  /** Exact label (category + operation, `oos` or `ambiguous`). */
  readonly accuracy: number;
  /** Category-level accuracy (the operation not compared). */
  readonly categoryAccuracy: number;
  /** Macro-F1 over the category-level labels (six categories, `oos`, `ambiguous`). */
  readonly macroF1: number;
  readonly oosRecall: number;
  readonly oosPrecision: number;
  /** Share of all utterances answered with a clarification question. */
  readonly clarificationRate: number;
  /** Share of the ambiguous utterances answered with a clarification question. */
  readonly clarificationRecall: number;
  /** Share of the clear in-scope utterances answered with a clarification question. */
  readonly overClarificationRate: number;
  readonly paramPrecision: number | null;
  readonly paramRecall: number | null;
  readonly paramF1: number | null;
  readonly confirmationAccuracy: number | null;
  readonly errors: readonly { line: number; text: string; gold: string; predicted: string }[];
  readonly paramErrors: readonly { line: number; text: string; missing: string[]; extra: string[] }[];
}

function r(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** Scores `predictions` (same order as `items`). */
export function score(items: readonly LabelledUtterance[], predictions: readonly Prediction[]): Scores {
  let correct = 0;
  let catCorrect = 0;
  const groups = new Set<string>();
  const tp = new Map<string, number>();
  const fp = new Map<string, number>();
  const fn = new Map<string, number>();
  const inc = (m: Map<string, number>, k: string): void => {
    m.set(k, (m.get(k) ?? 0) + 1);
  };
  let oosGold = 0,
    oosHit = 0,
    oosPred = 0;
  let clar = 0,
    ambGold = 0,
    ambHit = 0,
    clearGold = 0,
    clearClar = 0;
  let pTp = 0,
    pFp = 0,
    pFn = 0,
    paramsScored = false;
  let confN = 0,
    confOk = 0;
  const errors: { line: number; text: string; gold: string; predicted: string }[] = [];
  const paramErrors: { line: number; text: string; missing: string[]; extra: string[] }[] = [];
  items.forEach((item, i) => {
    const p = predictions[i];
    if (p === undefined) throw new Error(`no prediction for line ${item.line}`);
    const predicted = labelOf(p);
    const goldGroup = groupOf(item.label);
    const predGroup = groupOf(predicted);
    groups.add(goldGroup);
    groups.add(predGroup);
    if (predicted === item.label) correct++;
    else errors.push({ line: item.line, text: item.text, gold: item.label, predicted });
    if (predGroup === goldGroup) {
      catCorrect++;
      inc(tp, goldGroup);
    } else {
      inc(fp, predGroup);
      inc(fn, goldGroup);
    }
    if (item.outOfScope) {
      oosGold++;
      if (p.outOfScope) oosHit++;
    }
    if (p.outOfScope) oosPred++;
    const asks = !p.outOfScope && (p.needsClarification || p.category === null);
    if (asks) clar++;
    if (item.ambiguous) {
      ambGold++;
      if (asks) ambHit++;
    } else if (!item.outOfScope) {
      clearGold++;
      if (asks) clearClar++;
    }
    if (p.params !== undefined && !item.outOfScope) {
      paramsScored = true;
      const gold = new Set(paramPairs(item.params));
      const got = new Set(paramPairs(p.params));
      const missing = [...gold].filter((x) => !got.has(x));
      const extra = [...got].filter((x) => !gold.has(x));
      pTp += gold.size - missing.length;
      pFn += missing.length;
      pFp += extra.length;
      if (missing.length > 0 || extra.length > 0)
        paramErrors.push({ line: item.line, text: item.text, missing, extra });
    }
    if (p.confirm !== undefined && !item.outOfScope && !item.ambiguous) {
      confN++;
      if (p.confirm === item.confirm) confOk++;
    }
  });
  let f1Sum = 0;
  let f1Count = 0;
  for (const g of groups) {
    const t = tp.get(g) ?? 0;
    const precision = t + (fp.get(g) ?? 0) === 0 ? 0 : t / (t + (fp.get(g) ?? 0));
    const recall = t + (fn.get(g) ?? 0) === 0 ? 0 : t / (t + (fn.get(g) ?? 0));
    f1Sum += precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    f1Count++;
  }
  const pp = pTp + pFp === 0 ? 1 : pTp / (pTp + pFp);
  const pr = pTp + pFn === 0 ? 1 : pTp / (pTp + pFn);
  return {
    n: items.length,
    accuracy: r(correct / items.length),
    categoryAccuracy: r(catCorrect / items.length),
    macroF1: r(f1Sum / Math.max(1, f1Count)),
    oosRecall: r(oosGold === 0 ? 1 : oosHit / oosGold),
    oosPrecision: r(oosPred === 0 ? 1 : oosHit / oosPred),
    clarificationRate: r(clar / items.length),
    clarificationRecall: r(ambGold === 0 ? 1 : ambHit / ambGold),
    overClarificationRate: r(clearGold === 0 ? 0 : clearClar / clearGold),
    paramPrecision: paramsScored ? r(pp) : null,
    paramRecall: paramsScored ? r(pr) : null,
    paramF1: paramsScored ? r(pp + pr === 0 ? 0 : (2 * pp * pr) / (pp + pr)) : null,
    confirmationAccuracy: confN === 0 ? null : r(confOk / confN),
    errors,
    paramErrors,
  };
}
