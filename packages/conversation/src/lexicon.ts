// Compiles the vocabulary once: every phrase is stemmed word by word and indexed by its first stem,
// so matching a message is one map lookup per token.
import type { ResourceType } from "@espada/infra-core";
import {
  CONJUNCTIONS,
  ENVIRONMENT_SYNONYMS,
  INFRA_WORDS,
  NEGATIONS,
  OPERATION_LEXICON,
  OUT_OF_SCOPE_WORDS,
  RESOURCE_SYNONYMS,
  VAGUE_VERBS,
} from "./vocabulary.js";
import type { LexiconEntry } from "./vocabulary.js";
import { createCorrector, isPlainWord, stem, stemOfWord } from "./text.js";
import type { Corrector, Token, Word, WordReader } from "./text.js";

/** A phrase of one to three stems and what it means. */
export interface Phrase<T> {
  readonly stems: readonly string[];
  /** The stems joined by a space. */
  readonly key: string;
  readonly value: T;
}

/** Phrases indexed by their first stem, longest first. */
export type PhraseIndex<T> = ReadonlyMap<string, readonly Phrase<T>[]>;

function stemPhrase(phrase: string): string[] {
  return phrase
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .map((w) => stem(w.replace(/'/g, "")));
}

function buildIndex<T>(entries: Iterable<readonly [string, T]>): PhraseIndex<T> {
  const index = new Map<string, Phrase<T>[]>();
  for (const [phrase, value] of entries) {
    const stems = stemPhrase(phrase);
    const first = stems[0];
    if (first === undefined) continue;
    const list = index.get(first) ?? [];
    list.push({ stems, key: stems.join(" "), value });
    index.set(first, list);
  }
  for (const list of index.values()) list.sort((a, b) => b.stems.length - a.stems.length);
  return index;
}

/** The longest phrase of `index` starting at token `i`, if any (phrases are kept longest first). */
export function longestAt<T>(
  index: PhraseIndex<T>,
  tokens: readonly Token[],
  i: number,
): Phrase<T> | undefined {
  const first = tokens[i];
  if (first === undefined || first.quoted) return undefined;
  return longestOf(index.get(first.stem), tokens, i);
}

/**
 * The longest of `candidates` (the phrases of one index that start with token `i`'s stem, longest
 * first, as {@link StemFacts} holds them) that the tokens from `i` on spell out.
 */
export function longestOf<T>(
  candidates: readonly Phrase<T>[] | undefined,
  tokens: readonly Token[],
  i: number,
): Phrase<T> | undefined {
  if (candidates === undefined) return undefined;
  outer: for (const p of candidates) {
    for (let k = 1; k < p.stems.length; k++) {
      const t = tokens[i + k];
      if (t === undefined || t.quoted || t.stem !== p.stems[k]) continue outer;
    }
    return p;
  }
  return undefined;
}

/** What the compiled tables say about one stem: the phrases of each index it starts, and its word classes. */
interface StemFacts {
  readonly operations: readonly Phrase<readonly LexiconEntry[]>[] | undefined;
  readonly resources: readonly Phrase<ResourceType>[] | undefined;
  readonly environments: readonly Phrase<string>[] | undefined;
  readonly infra: readonly Phrase<true>[] | undefined;
  readonly outOfScope: readonly Phrase<true>[] | undefined;
  readonly vague: readonly Phrase<true>[] | undefined;
  /** Some phrase of the six indexes starts with this stem. */
  readonly first: boolean;
  readonly negation: boolean;
  readonly conjunction: boolean;
}

/** A word as the lexicon reads it: corrected, stemmed, with the facts of its stem. */
export interface LexWord extends Word {
  readonly facts: StemFacts;
  /** `lower` is made of the letters a–z only. */
  readonly plain: boolean;
}

/** Most distinct words the reader remembers; past it the cache starts over (names keep coming). */
const WORD_CACHE_LIMIT = 20_000;

/** The compiled vocabulary. */
export interface CompiledLexicon {
  readonly operations: PhraseIndex<readonly LexiconEntry[]>;
  readonly resources: PhraseIndex<ResourceType>;
  readonly environments: PhraseIndex<string>;
  readonly infra: PhraseIndex<true>;
  readonly outOfScope: PhraseIndex<true>;
  readonly vague: PhraseIndex<true>;
  readonly negations: ReadonlySet<string>;
  readonly conjunctions: ReadonlySet<string>;
  readonly corrector: Corrector;
  /** Every stem some phrase of the six indexes starts with: one lookup tells a token can be skipped. */
  readonly firstStems: ReadonlySet<string>;
  /** Reads message words (correction, stem, facts), one cached lookup per token. */
  readonly reader: WordReader<LexWord>;
}

let compiled: CompiledLexicon | undefined;

/** The vocabulary compiled once per process. */
export function getLexicon(): CompiledLexicon {
  if (compiled !== undefined) return compiled;
  const operations = buildIndex(
    Object.entries(OPERATION_LEXICON).map(
      ([phrase, list]) =>
        [
          phrase,
          list.map(([op, weight, kind]) => ({ op, weight, kind: kind ?? "verb" }) satisfies LexiconEntry),
        ] as const,
    ),
  );
  const vocabulary = new Set<string>();
  const addWords = (phrase: string): void => {
    for (const w of phrase.toLowerCase().split(/\s+/)) vocabulary.add(w);
  };
  for (const p of Object.keys(OPERATION_LEXICON)) addWords(p);
  for (const p of Object.keys(RESOURCE_SYNONYMS)) addWords(p);
  for (const p of Object.keys(ENVIRONMENT_SYNONYMS)) addWords(p);
  for (const p of INFRA_WORDS) addWords(p);
  for (const p of VAGUE_VERBS) addWords(p);
  for (const p of OUT_OF_SCOPE_WORDS) addWords(p);
  for (const extra of [
    "database",
    "databases",
    "servers",
    "instances",
    "buckets",
    "clusters",
    "kubernetes",
    "replicas",
    "production",
    "staging",
    "development",
    "memory",
    "permissions",
    "please",
    "delete",
    "restart",
  ])
    vocabulary.add(extra);
  const resources = buildIndex(Object.entries(RESOURCE_SYNONYMS));
  const environments = buildIndex(Object.entries(ENVIRONMENT_SYNONYMS));
  const infra = buildIndex(INFRA_WORDS.map((w) => [w, true] as const));
  const outOfScope = buildIndex(OUT_OF_SCOPE_WORDS.map((w) => [w, true] as const));
  const vague = buildIndex(VAGUE_VERBS.map((w) => [w, true] as const));
  const firstStems = new Set<string>();
  for (const index of [operations, resources, environments, infra, outOfScope, vague] as const)
    for (const first of index.keys()) firstStems.add(first);
  const negations = new Set(NEGATIONS.map((w) => stem(w.replace(/'/g, ""))));
  const conjunctions = new Set(CONJUNCTIONS.map((w) => stem(w)));
  const corrector = createCorrector(vocabulary);
  const noFacts: StemFacts = {
    operations: undefined,
    resources: undefined,
    environments: undefined,
    infra: undefined,
    outOfScope: undefined,
    vague: undefined,
    first: false,
    negation: false,
    conjunction: false,
  };
  const facts = new Map<string, StemFacts>();
  for (const s of [...firstStems, ...negations, ...conjunctions])
    facts.set(s, {
      operations: operations.get(s),
      resources: resources.get(s),
      environments: environments.get(s),
      infra: infra.get(s),
      outOfScope: outOfScope.get(s),
      vague: vague.get(s),
      first: firstStems.has(s),
      negation: negations.has(s),
      conjunction: conjunctions.has(s),
    });
  const words = new Map<string, LexWord>();
  const reader: WordReader<LexWord> = {
    read(lowerRaw: string): LexWord {
      const known = words.get(lowerRaw);
      if (known !== undefined) return known;
      const fixed = corrector.correct(lowerRaw);
      const lower = fixed ?? lowerRaw;
      const s = stemOfWord(lower);
      const word: LexWord = {
        lower,
        stem: s,
        corrected: fixed !== undefined,
        facts: facts.get(s) ?? noFacts,
        plain: isPlainWord(lower),
      };
      if (words.size >= WORD_CACHE_LIMIT) words.clear();
      words.set(lowerRaw, word);
      return word;
    },
  };
  compiled = {
    operations,
    resources,
    environments,
    infra,
    outOfScope,
    vague,
    firstStems,
    negations,
    conjunctions,
    corrector,
    reader,
  };
  return compiled;
}
