// `pnpm --filter @espada/infra-conversation eval [--split heldout|train|all|dev] [--no-nlpjs]
//   [--show-train-errors] [--show-heldout-errors] [--show-dev-errors] [--json-only]`
// `--split dev` scores the separate tuning set `data/dev.tsv` (labels only: its parameter scores mean nothing).
// Prints the scores as JSON: ours and nlp.js side by side on the same split, with per-message times.
import { performance } from "node:perf_hooks";
import { loadCorpus } from "./corpus.js";
import { score } from "./evaluate.js";
import type { Prediction, Scores } from "./evaluate.js";
import { createNlpjsPredictor, createOursPredictor } from "./predictors.js";

const args = new Set(process.argv.slice(2));
const splitArg = process.argv.find((a, i) => process.argv[i - 1] === "--split") ?? "heldout";
const corpus = loadCorpus();
const train = corpus.filter((c) => c.split === "train");
const heldout = corpus.filter((c) => c.split === "heldout");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function summary(s: Scores): Omit<Scores, "errors" | "paramErrors"> {
  const { errors: _e, paramErrors: _p, ...rest } = s;
  return rest;
}

const ours = createOursPredictor();
const dev = splitArg === "dev" ? loadCorpus(new URL("./data/dev.tsv", import.meta.url)) : [];
const splits =
  splitArg === "all"
    ? { train, heldout }
    : splitArg === "train"
      ? { train }
      : splitArg === "dev"
        ? { dev }
        : { heldout };
const report: Record<string, unknown> = {
  corpus: { total: corpus.length, train: train.length, heldout: heldout.length },
};
for (const [name, items] of Object.entries(splits)) {
  // Warm up, then time each message (median of 5 passes).
  for (const item of items) ours(item.text);
  const times: number[] = [];
  let predictions: Prediction[] = [];
  for (let pass = 0; pass < 5; pass++) {
    predictions = items.map((item) => {
      const t = performance.now();
      const p = ours(item.text);
      times.push(performance.now() - t);
      return p;
    });
  }
  const s = score(items, predictions);
  report[name] = { ours: { ...summary(s), medianMsPerMessage: Number(median(times).toFixed(4)) } };
  if (
    (name === "train" && args.has("--show-train-errors")) ||
    (name === "heldout" && args.has("--show-heldout-errors")) ||
    (name === "dev" && args.has("--show-dev-errors"))
  ) {
    (report[name] as Record<string, unknown>)["errors"] = s.errors;
    (report[name] as Record<string, unknown>)["paramErrors"] = s.paramErrors;
  }
}
if (!args.has("--no-nlpjs")) {
  const nlp = await createNlpjsPredictor(train);
  for (const [name, items] of Object.entries(splits)) {
    for (const item of items.slice(0, 20)) await nlp(item.text);
    const times: number[] = [];
    const oursTimes: number[] = [];
    const predictions: Prediction[] = [];
    for (const item of items) {
      // Interleaved: nlp.js and ours on the same message, one after the other.
      let t = performance.now();
      predictions.push(await nlp(item.text));
      times.push(performance.now() - t);
      t = performance.now();
      ours(item.text);
      oursTimes.push(performance.now() - t);
    }
    const s = score(items, predictions);
    const entry = report[name] as Record<string, unknown>;
    entry["nlpjs"] = { ...summary(s), medianMsPerMessage: Number(median(times).toFixed(4)) };
    entry["timeRatio"] = Number((median(oursTimes) / median(times)).toFixed(4));
  }
}
console.log(JSON.stringify(report, null, 2));
