import { z } from "zod";
import { COMMAND_CATEGORIES } from "@espada/infra-core";
import { getLexicon, longestAt, longestOf } from "./lexicon.js";
import type { LexWord } from "./lexicon.js";
import { analyze } from "./text.js";
import type { Analysis, Token } from "./text.js";
import { INFRA_VERBS, OPERATION_NAMES, categoryOf, isDestructive, isMutating } from "./vocabulary.js";
import type { IntentCategory, Operation } from "./vocabulary.js";
import { AZURE_REGIONS, isNameLike, isRegion, INSTANCE_TYPE, SIZE_GLUED } from "./patterns.js";
import { stem } from "./text.js";

/** Schema of an operation name. */
export const operationSchema = z.enum(OPERATION_NAMES as [Operation, ...Operation[]]);
/** Schema of an intent category. */
export const intentCategorySchema = z.enum(COMMAND_CATEGORIES);

/** Why a classification asks the user to clarify. */
export const CLARIFICATION_REASONS = [
  "low-confidence",
  "close-alternatives",
  "vague-request",
  "no-operation",
  "composite-request",
] as const;
/** A reason to clarify. */
export type ClarificationReason = (typeof CLARIFICATION_REASONS)[number];

/** Schema of one candidate intent. */
export const intentCandidateSchema = z.object({
  category: intentCategorySchema,
  operation: operationSchema,
  confidence: z.number().min(0).max(1),
});
/** One candidate intent: category, operation, confidence. */
export type IntentCandidate = z.infer<typeof intentCandidateSchema>;

/** Schema of a classification: plain JSON, so any labelled set can be scored against it. */
export const intentResultSchema = z.object({
  /** Best category; `null` when out of scope. */
  category: intentCategorySchema.nullable(),
  /** Best operation within the category; `null` when out of scope or when no operation was named. */
  operation: operationSchema.nullable(),
  /** 0–1. */
  confidence: z.number().min(0).max(1),
  /** The message is not about infrastructure. */
  outOfScope: z.boolean(),
  /** The user should be asked what they mean before anything runs. */
  needsClarification: z.boolean(),
  clarification: z
    .object({
      reason: z.enum(CLARIFICATION_REASONS),
      question: z.string(),
      options: z.array(intentCandidateSchema),
    })
    .nullable(),
  /** Next best intents, best first. */
  alternatives: z.array(intentCandidateSchema),
  /** Further operations asked for in the same message ("list the buckets and delete the old ones"). */
  composite: z.array(operationSchema),
  /** Operations the message explicitly rules out ("don't delete it"). */
  negated: z.array(operationSchema),
  /** The operation (or any composite part) changes infrastructure. */
  mutating: z.boolean(),
  /** The operation (or any composite part) can lose data or state. */
  destructive: z.boolean(),
  /** Who classified: the offline pipeline or a plugged-in model. */
  source: z.enum(["offline", "model"]),
});
/** A classification. */
export type IntentResult = z.infer<typeof intentResultSchema>;

/** Options of {@link InfrastructureIntentClassifier}. */
export interface IntentClassifierOptions {
  /** Below this confidence the classifier asks for clarification. Default 0.42. */
  readonly minConfidence?: number;
  /** When the runner-up category reaches this share of the best one's score, ask. Default 0.8. */
  readonly closeRatio?: number;
}

const OP_INDEX = new Map<Operation, number>(OPERATION_NAMES.map((op, i) => [op, i]));
const CAT_INDEX = new Map<IntentCategory, number>(COMMAND_CATEGORIES.map((c, i) => [c, i]));
const FILLERS = new Set(
  [
    "please",
    "pls",
    "plz",
    "kindly",
    "can",
    "could",
    "would",
    "will",
    "you",
    "u",
    "i",
    "we",
    "want",
    "wanna",
    "need",
    "to",
    "lets",
    "let",
    "go",
    "ahead",
    "and",
    "ok",
    "okay",
    "so",
    "just",
    "now",
    "hey",
    "quickly",
    "quick",
    "espada",
    "also",
    "then",
    "like",
    "d",
    "id",
    "i'd",
    "we'd",
    "gonna",
    "going",
    "try",
    "help",
    "me",
    "us",
  ].map((w) => stem(w)),
);
const INFRA_VERB_STEMS = new Set(
  INFRA_VERBS.map((p) =>
    p
      .split(/\s+/)
      .map((w) => stem(w))
      .join(" "),
  ),
);
const UTILITY_EVIDENCE = new Set<Operation>(["help", "history", "list-providers", "discover"]);
const VERB_BONUS = 1.3;

interface Hit {
  readonly op: Operation;
  readonly weight: number;
  readonly index: number;
  readonly kind: "verb" | "cue" | "soft";
  readonly negated: boolean;
}

/** Scores and evidence of one message, before the decision. */
interface Scored {
  readonly opScores: Float64Array;
  readonly hits: readonly Hit[];
  readonly infra: number;
  readonly outOfScope: number;
  readonly vague: boolean;
  readonly conjunctions: readonly number[];
}

const HELP_FRAMES = new Set(
  ["how do i", "how can i", "how to", "how should i", "what can you"].map((p) =>
    p
      .split(" ")
      .map((w) => stem(w))
      .join(" "),
  ),
);
const NOT_EVIDENCE = new Set(
  ["how do i", "how can i", "how to", "what do you", "can you do", "explain", "how should i"].map((p) =>
    p
      .split(" ")
      .map((w) => stem(w))
      .join(" "),
  ),
);
const GRANT_VERBS = new Set(["give", "grant", "let", "allow", "add", "provid", "assign"].map((w) => stem(w)));
const REVOKE_VERBS = new Set(
  ["remove", "revoke", "take", "strip", "drop", "delete", "pull", "cut"].map((w) => stem(w)),
);
const ACCESS_NOUNS = new Set(
  ["access", "permission", "privilege", "role", "admin", "right"].map((w) => stem(w)),
);
const COUNT_NOUNS = new Set(
  ["node", "replica", "instance", "server", "worker", "pod", "vm", "machine", "box"].map((w) => stem(w)),
);
const stems = (words: string): Set<string> => new Set(words.split(" ").map((w) => stem(w)));
/** Wanting something new ("i'd like two more boxes", "we need a fresh vm"). */
const DESIRE_VERBS = stems("want need like");
const DESIRE_OBJECTS = stems(
  "a an another some couple few more fresh new one two three four five six seven eight nine ten",
);
const NEW_THINGS = stems(
  "vm vms server servers box boxes machine machines instance instances database db bucket cluster cache queue",
);
/** A look at who may do what ("list the permissions of x") is an audit, not an inventory. */
const LOOK_VERBS = stems("list show display view see what which check get");
const PERMISSION_NOUNS = stems("permission permissions privilege privileges right rights");
/** Lowering a cost ("lower the storage bill") is optimisation, not a scale-down. */
const REDUCE_VERBS = stems("lower reduce cut decrease trim minimize minimise slash shrink");
const COST_NOUNS = stems("cost costs bill bills spend spending expense expenses money budget");
/** Going back to a backup ("roll back db-2 to yesterday's snapshot") restores it. */
const BACK_VERBS = stems("roll revert rollback restore recover");
const BACKUP_NOUNS = stems("snapshot snapshots backup backups");
const MODALS = new Set(["would", "will", "if", "wil"].map((w) => stem(w)));
const QUESTION_STARTS = new Set(["is", "are", "was", "were", "does", "do", "did"].map((w) => stem(w)));
const VERSION_TOKEN = /^v?\d+\.\d+(?:\.\d+)?$/;

/** Scratch score buffers: allocating a typed array per message costs more than the scoring itself. */
const OP_SCRATCH = new Float64Array(OPERATION_NAMES.length);
const CAT_SCRATCH = new Float64Array(COMMAND_CATEGORIES.length);

/** Every stem a frame of the second pass starts with. */
const FRAME_STARTS: ReadonlySet<string> = new Set([
  ...MODALS,
  ...DESIRE_VERBS,
  ...LOOK_VERBS,
  ...REDUCE_VERBS,
  ...BACK_VERBS,
  ...GRANT_VERBS,
  ...REVOKE_VERBS,
  "add",
  "ad",
]);

function add(scores: Float64Array, op: Operation, weight: number): void {
  const k = OP_INDEX.get(op) ?? 0;
  scores[k] = (scores[k] ?? 0) + weight;
}

function get(scores: Float64Array, op: Operation): number {
  return scores[OP_INDEX.get(op) ?? 0] ?? 0;
}

function score(tokens: readonly Token<LexWord>[]): Scored {
  const lex = getLexicon();
  // One buffer for every message (classification is synchronous and reads it before the next one).
  const opScores = OP_SCRATCH.fill(0);
  const hits: Hit[] = [];
  const conjunctions: number[] = [];
  let infra = 0;
  let outOfScope = 0;
  let vague = false;
  let negateUntil = -1;
  let firstContent = -1;
  let covered = -1; // operation phrases: longest match, no overlap
  let coveredOther = -1; // resource / infra / out-of-scope / vague phrases
  let helpFrame = false;
  let email = false;
  let statusQuestion = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token<LexWord>;
    if (t.quoted) {
      infra += 0.5;
      if (firstContent === -1) firstContent = i;
      continue;
    }
    const s = t.stem;
    // What the tables say about the stem: read once per word, not one lookup per table.
    const f = t.word?.facts;
    if (firstContent === -1 && !FILLERS.has(s)) firstContent = i;
    if (f !== undefined && f.negation && !(s === "no" && i === 0)) {
      negateUntil = i + 4;
      continue;
    }
    if (f !== undefined && f.conjunction) {
      conjunctions.push(i);
      if (s === "but") negateUntil = -1;
    }
    if (s === "just" || s === "only") negateUntil = -1;
    // Nouns and vague verbs first: a resource phrase ("load balancer") is never read as an operation.
    let otherCovers = false;
    // A word no phrase starts with (most names, articles, numbers) needs none of the lookups below.
    if (f === undefined || !f.first) {
      if (i <= coveredOther) otherCovers = true;
    } else if (i > coveredOther) {
      const vaguePhrase = longestOf(f.vague, tokens, i);
      const resource = longestOf(f.resources, tokens, i);
      if (vaguePhrase !== undefined) {
        vague = true;
        coveredOther = i + vaguePhrase.stems.length - 1;
        otherCovers = true;
      } else if (resource !== undefined) {
        infra += 2;
        coveredOther = i + resource.stems.length - 1;
        otherCovers = true;
      } else {
        const env = longestOf(f.environments, tokens, i);
        const word = env === undefined ? longestOf(f.infra, tokens, i) : undefined;
        const other =
          env === undefined && word === undefined ? longestOf(f.outOfScope, tokens, i) : undefined;
        if (env !== undefined && ((s !== "live" && s !== "test") || i > 0)) {
          infra += 1.5;
          coveredOther = i + env.stems.length - 1;
        } else if (word !== undefined) {
          infra += 1;
          coveredOther = i + word.stems.length - 1;
        } else if (other !== undefined) {
          outOfScope += 1.5;
          coveredOther = i + other.stems.length - 1;
        }
      }
    } else otherCovers = true;
    const phrase = f !== undefined && f.first && i > covered ? longestOf(f.operations, tokens, i) : undefined;
    if (
      phrase !== undefined &&
      !(otherCovers && coveredOther >= i && i + phrase.stems.length - 1 <= coveredOther)
    ) {
      covered = i + phrase.stems.length - 1;
      const key = phrase.key;
      const isFirst = i === firstContent;
      if (isFirst && HELP_FRAMES.has(key)) helpFrame = true;
      let nonCue = false;
      for (const entry of phrase.value) {
        if (entry.kind !== "cue") nonCue = true;
        const negated = entry.kind !== "cue" && i <= negateUntil;
        const weight = entry.kind === "verb" && isFirst ? entry.weight * VERB_BONUS : entry.weight;
        hits.push({ op: entry.op, weight, index: i, kind: entry.kind, negated });
        if (
          !negated &&
          (INFRA_VERB_STEMS.has(key) ||
            (UTILITY_EVIDENCE.has(entry.op) && entry.weight >= 3 && !NOT_EVIDENCE.has(key)))
        )
          infra += 1;
      }
      if (nonCue && i <= negateUntil) negateUntil = -1;
    }
    const low = t.lower;
    if (t.word !== undefined && t.word.plain) {
      // A plain word: only an Azure region name can be evidence here.
      if (AZURE_REGIONS.has(low)) infra += 1.5;
    } else if (low.includes("@") && /^[^@]+@[^@]+\.[a-z]{2,}$/.test(low)) {
      email = true;
      infra += 1.5;
    } else if (isRegion(low) || INSTANCE_TYPE.test(low) || SIZE_GLUED.test(low) || VERSION_TOKEN.test(low))
      infra += 1.5;
    else if (isNameLike(low)) infra += 1.5;
  }
  // Soft verbs ("show", "find", "check") yield to any cue of another operation.
  const strongCue = hits.some((h) => h.kind !== "soft" && !h.negated && h.weight >= 2);
  for (const h of hits) {
    if (h.negated) continue;
    if (h.kind === "soft" && strongCue && !hits.some((o) => o.kind !== "soft" && o.op === h.op && !o.negated))
      continue;
    add(opScores, h.op, h.weight);
  }
  // Frames that decide between operations.
  const first = tokens[firstContent === -1 ? 0 : firstContent];
  if (first !== undefined && QUESTION_STARTS.has(tokens[0]?.stem ?? "") && get(opScores, "status") > 0) {
    statusQuestion = true;
    add(opScores, "status", 2);
    infra += 1;
  }
  const within = (i: number, n: number, set: ReadonlySet<string>): boolean => {
    for (let k = i + 1; k <= i + n && k < tokens.length; k++) if (set.has(tokens[k]?.stem ?? "")) return true;
    return false;
  };
  let modal = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    const s = t.stem;
    // One lookup: most words start none of the frames below.
    if (!FRAME_STARTS.has(s)) continue;
    if (!t.quoted && MODALS.has(s) && tokens[i + 1]?.stem !== "you") modal = true;
    if (!t.quoted) {
      if (
        DESIRE_VERBS.has(s) &&
        (DESIRE_OBJECTS.has(tokens[i + 1]?.stem ?? "") || /^\d+$/.test(tokens[i + 1]?.lower ?? "")) &&
        within(i, 4, NEW_THINGS) &&
        !tokens.some((x, k) => k > i && x.stem === "to")
      )
        add(opScores, "create", 2.6);
      if (
        LOOK_VERBS.has(s) &&
        within(i, 3, PERMISSION_NOUNS) &&
        !hits.some((h) => h.op === "grant-access" && h.kind === "verb")
      ) {
        add(opScores, "audit", 3);
        for (const h of hits)
          if (h.index === i && categoryOf(h.op) === "monitor" && !h.negated) add(opScores, h.op, -h.weight);
      }
      if (REDUCE_VERBS.has(s) && within(i, 3, COST_NOUNS)) {
        add(opScores, "cost-optimize", 4);
        for (const h of hits)
          if (h.index === i && h.op !== "cost-optimize" && !h.negated) add(opScores, h.op, -h.weight);
      }
      if (BACK_VERBS.has(s) && get(opScores, "restore") + get(opScores, "rollback") > 0) {
        for (let k = i + 1; k < tokens.length - 1 && k <= i + 4; k++) {
          const x = tokens[k]?.stem;
          if ((x === "to" || x === "from") && within(k, 3, BACKUP_NOUNS)) {
            add(opScores, "restore", get(opScores, "rollback") + get(opScores, "backup") + 1);
            break;
          }
        }
      }
    }
    if (!GRANT_VERBS.has(s) && !REVOKE_VERBS.has(s) && s !== "add" && s !== "ad") continue;
    if (GRANT_VERBS.has(s) && within(i, 5, ACCESS_NOUNS)) add(opScores, "grant-access", 3);
    if (REVOKE_VERBS.has(s) && within(i, 4, ACCESS_NOUNS)) {
      add(opScores, "revoke-access", 4);
      for (const h of hits)
        if (h.index === i && h.op !== "revoke-access" && !h.negated) add(opScores, h.op, -h.weight);
    }
    if (
      (s === "add" || s === "ad") &&
      within(i, 3, COUNT_NOUNS) &&
      tokens.some((x, k) => k >= i + 2 && x.stem === "to")
    ) {
      add(opScores, "scale", 3);
      for (const h of hits)
        if (h.index === i && h.op === "create" && !h.negated) add(opScores, "create", -h.weight);
    }
  }
  // "which kubernetes clusters are in staging": a question naming a kind of resource lists them.
  const lead = tokens[firstContent === -1 ? 0 : firstContent];
  if (lead !== undefined && !lead.quoted && lead.stem === "which") {
    const k = (firstContent === -1 ? 0 : firstContent) + 1;
    if (
      longestAt(lex.resources, tokens, k) !== undefined ||
      longestAt(lex.resources, tokens, k + 1) !== undefined
    )
      add(opScores, "list", 2);
  }
  if (email) add(opScores, "grant-access", 1.5);
  const cost = get(opScores, "cost-report") + get(opScores, "cost-estimate") + get(opScores, "cost-optimize");
  if (cost > 0 && modal) add(opScores, "cost-estimate", 3);
  if (helpFrame) {
    let others = 0;
    for (let k = 0; k < opScores.length; k++)
      if (OPERATION_NAMES[k] !== "help") others += Math.max(0, opScores[k] ?? 0);
    const help = get(opScores, "help");
    if (help <= 2 * others) add(opScores, "help", 2 * others - help + 1);
  }
  for (let k = 0; k < opScores.length; k++) if ((opScores[k] ?? 0) < 0) opScores[k] = 0;
  void statusQuestion;
  return { opScores, hits, infra, outOfScope, vague, conjunctions };
}

function candidateFor(op: Operation, confidence: number): IntentCandidate {
  return { category: categoryOf(op), operation: op, confidence: round(confidence) };
}

function round(x: number): number {
  return Math.round(Math.min(1, Math.max(0, x)) * 1000) / 1000;
}

const QUESTIONS: Readonly<Record<ClarificationReason, string>> = {
  "low-confidence": "I'm not sure what you'd like to do. Did you mean",
  "close-alternatives": "That could mean more than one thing. Did you mean",
  "vague-request": "What exactly should I do? For example",
  "no-operation": "What would you like to do with it? For example",
  "composite-request": "That's more than one operation; I run one at a time. Which first:",
};

function describeCandidate(c: IntentCandidate): string {
  return c.operation.replace("-", " ");
}

/**
 * `InfrastructureIntentClassifier`: classifies a message into the six intent categories and a
 * concrete operation, with a confidence, alternatives, clarification when the request is vague,
 * low-confidence, composite or close between two intents, and out-of-scope detection. Offline and
 * deterministic: a weighted lexicon over stemmed, typo-corrected tokens; negated verbs ("don't
 * delete") are ignored and quoted names are never read as verbs.
 */
export class InfrastructureIntentClassifier {
  private readonly minConfidence: number;
  private readonly closeRatio: number;

  constructor(options: IntentClassifierOptions = {}) {
    this.minConfidence = options.minConfidence ?? 0.42;
    this.closeRatio = options.closeRatio ?? 0.8;
  }

  /** Classifies one message. Never throws; an empty message is out of scope. */
  classify(text: string): IntentResult {
    return this.classifyAnalysis(analyze(typeof text === "string" ? text : "", getLexicon().reader));
  }

  /**
   * Classifies an already analysed message (the manager shares one analysis between components).
   * `hints.inScope` skips out-of-scope detection (a pronoun that refers to a resource of the conversation).
   */
  classifyAnalysis(analysis: Analysis<LexWord>, hints: { readonly inScope?: boolean } = {}): IntentResult {
    const scored = score(analysis.tokens);
    const catScores = CAT_SCRATCH.fill(0);
    let total = 0;
    for (let k = 0; k < scored.opScores.length; k++) {
      const v = scored.opScores[k] ?? 0;
      if (v <= 0) continue;
      const op = OPERATION_NAMES[k] as Operation;
      const c = CAT_INDEX.get(categoryOf(op)) ?? 0;
      catScores[c] = (catScores[c] ?? 0) + v;
      total += v;
    }
    const negated: Operation[] = [];
    for (const h of scored.hits) if (h.negated && !negated.includes(h.op)) negated.push(h.op);
    const inScope = scored.infra > scored.outOfScope || (scored.vague && scored.outOfScope === 0);
    if (hints.inScope !== true && (!inScope || (total === 0 && scored.infra < 1 && !scored.vague))) {
      return outOfScopeResult(negated);
    }
    // Best category, then best operation inside it.
    let best = -1;
    let second = -1;
    for (let c = 0; c < catScores.length; c++) {
      const v = catScores[c] ?? 0;
      if (best === -1 || v > (catScores[best] ?? 0)) {
        second = best;
        best = c;
      } else if (second === -1 || v > (catScores[second] ?? 0)) second = c;
    }
    const top = catScores[best] ?? 0;
    const runnerUp = second === -1 ? 0 : (catScores[second] ?? 0);
    const ranked = rankOperations(scored.opScores);
    const bestCategory = COMMAND_CATEGORIES[best] as IntentCategory;
    let operation: Operation | undefined;
    for (let j = 0; j < ranked.length && operation === undefined; j++)
      if (categoryOf(ranked[j] as Operation) === bestCategory) operation = ranked[j];
    if (bestCategory === "cost") {
      // Within cost: any saving cue makes it optimisation, else any estimate cue an estimate.
      if (get(scored.opScores, "cost-optimize") > 0) operation = "cost-optimize";
      else if (get(scored.opScores, "cost-estimate") > 0) operation = "cost-estimate";
    }
    const confidence = top <= 0 ? 0 : (top / (top + runnerUp)) * (1 - Math.exp(-top / 1.5));
    // Loops and pushes, not filter/map chains: arrays built one way keep one shape, so the optimised
    // code of this function is not thrown away when a rarer message shape comes along.
    const alternatives: IntentCandidate[] = [];
    for (let j = 0; j < ranked.length && alternatives.length < 3; j++) {
      const op = ranked[j] as Operation;
      if (op === operation) continue;
      alternatives.push(
        candidateFor(
          op,
          total > 0 ? ((scored.opScores[OP_INDEX.get(op) ?? 0] ?? 0) / total) * confidence : 0,
        ),
      );
    }

    // Composite: two strong, un-negated verbs naming different operations, joined by a conjunction.
    const strongVerbs: Hit[] = [];
    let strongHit = false;
    for (const h of scored.hits) {
      if (h.negated || h.weight < 2.4) continue;
      strongHit = true;
      if (h.kind === "verb") strongVerbs.push(h);
    }
    const composite: Operation[] = [];
    if (operation !== undefined) {
      let main: Hit | undefined;
      for (const h of strongVerbs) if (main === undefined && h.op === operation) main = h;
      if (main !== undefined)
        for (const h of strongVerbs) {
          if (h.op === operation || composite.includes(h.op)) continue;
          const lo = Math.min(h.index, main.index);
          const hi = Math.max(h.index, main.index);
          for (const c of scored.conjunctions)
            if (c > lo && c < hi) {
              composite.push(h.op);
              break;
            }
        }
    }
    let reason: ClarificationReason | undefined;
    const hasOperationVerb = strongVerbs.length > 0 || strongHit;
    if (operation === undefined || top <= 0) reason = scored.vague ? "vague-request" : "no-operation";
    else if (composite.length > 0) reason = "composite-request";
    else if (scored.vague && !hasOperationVerb) reason = "vague-request";
    else if (runnerUp >= top * this.closeRatio) reason = "close-alternatives";
    else if (confidence < this.minConfidence) reason = "low-confidence";

    let mutating = false;
    let destructive = false;
    if (operation !== undefined) {
      mutating = isMutating(operation);
      destructive = isDestructive(operation);
      for (const op of composite) {
        if (isMutating(op)) mutating = true;
        if (isDestructive(op)) destructive = true;
      }
    }
    const clarification =
      reason === undefined ? null : clarify(reason, operation, composite, confidence, alternatives);
    return {
      category: operation === undefined ? null : bestCategory,
      operation: operation ?? null,
      confidence: round(confidence),
      outOfScope: false,
      needsClarification: reason !== undefined,
      clarification,
      alternatives,
      composite,
      negated,
      mutating,
      destructive,
      source: "offline",
    };
  }
}

/** The question and options of a classification that needs clarifying. */
function clarify(
  reason: ClarificationReason,
  operation: Operation | undefined,
  composite: readonly Operation[],
  confidence: number,
  alternatives: readonly IntentCandidate[],
): NonNullable<IntentResult["clarification"]> {
  const options: IntentCandidate[] = [];
  if (reason === "composite-request") {
    if (operation !== undefined) options.push(candidateFor(operation, confidence));
    for (const op of composite) options.push(candidateFor(op, confidence));
  } else if (operation === undefined) {
    for (const op of VAGUE_OPTIONS) options.push(candidateFor(op, 0));
  } else {
    options.push(candidateFor(operation, confidence));
    for (let j = 0; j < alternatives.length && options.length < 3; j++)
      options.push(alternatives[j] as IntentCandidate);
  }
  let list = "";
  for (let j = 0; j < options.length; j++)
    list += (j === 0 ? "" : ", ") + describeCandidate(options[j] as IntentCandidate);
  return { reason, question: `${QUESTIONS[reason]} ${list}?`, options };
}

/** What a message without an operation might have meant. */
const VAGUE_OPTIONS: readonly Operation[] = ["describe", "update", "restart", "delete"];

function rankOperations(scores: Float64Array): Operation[] {
  const ks: number[] = [];
  for (let k = 0; k < scores.length; k++) if ((scores[k] ?? 0) > 0) ks.push(k);
  // Stable: equal scores keep the table's order.
  if (ks.length > 1) ks.sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0));
  const ops: Operation[] = [];
  for (let j = 0; j < ks.length; j++) ops.push(OPERATION_NAMES[ks[j] ?? 0] as Operation);
  return ops;
}

function outOfScopeResult(negated: Operation[]): IntentResult {
  return {
    category: null,
    operation: null,
    confidence: 0,
    outOfScope: true,
    needsClarification: false,
    clarification: null,
    alternatives: [],
    composite: [],
    negated,
    mutating: false,
    destructive: false,
    source: "offline",
  };
}
