// Reads the labelled corpus and its fixed split (see eval/data/README.md).
import { readFileSync } from "node:fs";

/** One labelled utterance. */
export interface LabelledUtterance {
  /** `category/operation`, `oos` or `ambiguous`. */
  readonly label: string;
  readonly category: string | null;
  readonly operation: string | null;
  readonly outOfScope: boolean;
  readonly ambiguous: boolean;
  readonly params: Readonly<Record<string, string | number | string[]>>;
  readonly confirm: boolean;
  readonly text: string;
  readonly split: "train" | "heldout";
  /** 1-based line in corpus.tsv. */
  readonly line: number;
}

/** The evaluation clock: 2026-03-10T15:00:00Z (a Tuesday). */
export const EVAL_NOW = Date.UTC(2026, 2, 10, 15, 0, 0);

const NUMERIC = new Set([
  "count",
  "countDelta",
  "cpu",
  "memoryMiB",
  "diskGiB",
  "sizeGiB",
  "durationMs",
  "periodMs",
]);

/** Parses corpus.tsv; throws naming the line on a malformed one. */
export function loadCorpus(file = new URL("./data/corpus.tsv", import.meta.url)): LabelledUtterance[] {
  const lines = readFileSync(file, "utf8").split("\n");
  const seen = new Map<string, number>();
  const out: LabelledUtterance[] = [];
  lines.forEach((raw, index) => {
    if (raw.trim() === "" || raw.startsWith("#")) return;
    const parts = raw.split("\t");
    if (parts.length !== 4) throw new Error(`corpus.tsv:${index + 1}: expected 4 tab-separated columns`);
    const [label = "", paramText = "", confirm = "", text = ""] = parts;
    const group = label.includes("/") ? (label.split("/")[0] ?? label) : label;
    const n = seen.get(group) ?? 0;
    seen.set(group, n + 1);
    const params: Record<string, string | number | string[]> = {};
    if (paramText !== "-") {
      for (const pair of paramText.split(";")) {
        const eq = pair.indexOf("=");
        if (eq <= 0) throw new Error(`corpus.tsv:${index + 1}: bad parameter "${pair}"`);
        const key = pair.slice(0, eq);
        const value = pair.slice(eq + 1);
        params[key] = key === "names" ? value.split("|") : NUMERIC.has(key) ? Number(value) : value;
      }
    }
    const [category, operation] = label.includes("/") ? label.split("/") : [null, null];
    out.push({
      label,
      category: category ?? null,
      operation: operation ?? null,
      outOfScope: label === "oos",
      ambiguous: label === "ambiguous",
      params,
      confirm: confirm === "y",
      text,
      split: n % 4 === 0 ? "heldout" : "train",
      line: index + 1,
    });
  });
  return out;
}
