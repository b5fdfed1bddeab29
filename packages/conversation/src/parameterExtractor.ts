import { z } from "zod";
import type { CommandDefinition, CommandParameter, ResourceType } from "@espada/infra-core";
import { InfrastructureError } from "@espada/infra-core";
import { getLexicon, longestAt, longestOf } from "./lexicon.js";
import type { LexWord } from "./lexicon.js";
import { analyze, stem } from "./text.js";
import type { Analysis, Token } from "./text.js";
import {
  AZURE_REGIONS,
  INSTANCE_TYPE,
  RESOURCE_ID,
  SIZE_GLUED,
  SIZE_UNIT,
  isNameLike,
  isRegion,
} from "./patterns.js";
import { addDays, isValidTimeZone, zonedParts, zonedToEpoch } from "./time.js";
import { NAME_TYPE_HINTS, RESOURCE_ADJECTIVES } from "./vocabulary.js";
import type { Operation } from "./vocabulary.js";

/** Schema of the parameters the extractor recognises (canonical names, normalised values). */
export const extractedValuesSchema = z
  .object({
    environment: z.string(),
    /** "from prod to staging": the source; `environment` is the target. */
    sourceEnvironment: z.string(),
    region: z.string(),
    /** Absolute number of instances, replicas or nodes. */
    count: z.number().int().nonnegative(),
    /** Relative change ("2 more", "by 4"). */
    countDelta: z.number().int(),
    cpu: z.number().positive(),
    memoryMiB: z.number().positive(),
    diskGiB: z.number().positive(),
    /** A size that could be memory or disk (see the ambiguity). */
    sizeGiB: z.number().positive(),
    instanceType: z.string(),
    name: z.string(),
    names: z.array(z.string()),
    newName: z.string(),
    resourceId: z.string(),
    resourceType: z.string(),
    /** "for 2 hours", "keep it for 30 days". */
    durationMs: z.number().nonnegative(),
    /** Look-back window: "the last hour", "past 24 hours". */
    periodMs: z.number().positive(),
    /** When to run, as an ISO-8601 instant: "tonight at 2am", "in 30 minutes". */
    at: z.string(),
    principal: z.string(),
    accessLevel: z.string(),
    version: z.string(),
  })
  .partial();
/** Extracted values under canonical names. */
export type ExtractedValues = z.infer<typeof extractedValuesSchema>;
/** A canonical parameter name. */
export type ParameterName = keyof ExtractedValues;

/** Schema of an ambiguous value. */
export const parameterAmbiguitySchema = z.object({
  parameter: z.string(),
  reason: z.string(),
  candidates: z.array(z.union([z.string(), z.number()])),
});
/** A value the message leaves open: which parameter, why, and the readings. */
export type ParameterAmbiguity = z.infer<typeof parameterAmbiguitySchema>;

/** Schema of an extraction. */
export const extractionSchema = z.object({
  values: extractedValuesSchema,
  ambiguities: z.array(parameterAmbiguitySchema),
  source: z.enum(["offline", "model"]),
});
/** What {@link InfrastructureParameterExtractor.extract} returns (plain JSON). */
export type Extraction = z.infer<typeof extractionSchema>;

/** A default suggested for a missing required parameter. */
export interface SuggestedDefault {
  readonly parameter: string;
  readonly value: unknown;
  readonly reason: string;
}

/** Options of {@link InfrastructureParameterExtractor}. */
export interface ParameterExtractorOptions {
  /** Clock for relative times ("in 30 minutes"). Default `Date.now`. */
  readonly now?: () => number;
  /** IANA time zone that "2am" and "tomorrow" are read in. Default `UTC`. */
  readonly timeZone?: string;
}

/** Context that helps reading a message. */
export interface ExtractionContext {
  /** The operation the classifier found: "5 more" is a count for `create`, a delta for `scale`. */
  readonly operation?: Operation | null;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** A lookup table without a prototype (a message word never finds `Object.prototype`'s members). */
function nullProto<T>(entries: Record<string, T>): Readonly<Record<string, T>> {
  return Object.assign(Object.create(null) as Record<string, T>, entries);
}
const UNIT_MS: Readonly<Record<string, number>> = nullProto({
  ms: 1,
  millisecond: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: MINUTE,
  min: MINUTE,
  mins: MINUTE,
  minute: MINUTE,
  minutes: MINUTE,
  h: HOUR,
  hr: HOUR,
  hrs: HOUR,
  hour: HOUR,
  hours: HOUR,
  d: DAY,
  day: DAY,
  days: DAY,
  w: 7 * DAY,
  week: 7 * DAY,
  weeks: 7 * DAY,
  wk: 7 * DAY,
  month: 30 * DAY,
  months: 30 * DAY,
  year: 365 * DAY,
  years: 365 * DAY,
});
const WORD_NUMBER_LIST: Readonly<Record<string, number>> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  hundred: 100,
  a: 1,
  an: 1,
  single: 1,
  couple: 2,
  pair: 2,
  dozen: 12,
};
/** A Map: a message word such as "constructor" must not find `Object.prototype`'s members. */
const WORD_NUMBERS: ReadonlyMap<string, number> = new Map(Object.entries(WORD_NUMBER_LIST));
const COUNT_NOUNS = new Set(
  [
    "replica",
    "instance",
    "node",
    "server",
    "pod",
    "worker",
    "copy",
    "vm",
    "box",
    "machine",
    "container",
    "host",
    "task",
    "shard",
    "broker",
    "function",
    "bucket",
    "database",
    "db",
    "cluster",
    "volume",
    "disk",
    "queue",
    "cache",
    "user",
    "more",
    "additional",
    "extra",
  ].map((w) => stem(w)),
);
const COUNT_SKIP = new Set(
  [
    "more",
    "new",
    "additional",
    "extra",
    "idle",
    "old",
    "web",
    "app",
    "api",
    "large",
    "small",
    "big",
    "prod",
    "production",
    "staging",
    "dev",
    "test",
    "running",
    "unused",
    "of",
    "the",
    "those",
    "these",
    "linux",
    "windows",
    "gpu",
    "spot",
    "worker",
    "ec2",
    "k8s",
  ].map((w) => stem(w)),
);
const DELTA_WORDS = new Set(["more", "additional", "extra", "another"].map((w) => stem(w)));
const CPU_UNITS = /^(?:v?cpus?|cores?|vcores?|processors?)$/;
const GLUED_CPU = /^(\d+)-?(?:v?cpus?|cores?|vcores?)$/;
const MEMORY_WORDS = new Set(["ram", "memory", "mem", "heap"]);
const DISK_WORDS = new Set(["disk", "storage", "ssd", "hdd", "volume", "drive", "space", "bucket"]);
const VERSION = /^v?\d+\.\d+(?:\.\d+)?(?:[-+][0-9a-z.-]+)?$/;
const VERSION_V = /^v\d+(?:\.\d+)*$/;
const CLOCK = /^(\d{1,2})(?::(\d{2}))?(am|pm|a\.m\.|p\.m\.)?$/;
const DAY_NAMES: Readonly<Record<string, number>> = nullProto({
  sunday: 0,
  monday: 1,
  tuesday: 2,
  wednesday: 3,
  thursday: 4,
  friday: 5,
  saturday: 6,
});
const ACCESS_LEVELS: Readonly<Record<string, string>> = nullProto({
  read: "read",
  "read-only": "read",
  readonly: "read",
  viewer: "read",
  view: "read",
  write: "write",
  editor: "write",
  admin: "admin",
  administrator: "admin",
  owner: "owner",
  full: "admin",
});
const PRINCIPAL_STOP = new Set([
  "the",
  "a",
  "an",
  "to",
  "for",
  "access",
  "permission",
  "permissions",
  "read",
  "write",
  "admin",
  "me",
  "us",
  "them",
  "him",
  "her",
  "it",
  "everyone",
  "everybody",
  "all",
  "everything",
  "anything",
  "our",
  "my",
  "your",
  "this",
  "that",
  "those",
  "these",
  "of",
  "on",
  "in",
  "from",
  "and",
  "or",
  "with",
  "at",
  "team",
  "group",
  "role",
  "user",
  "service",
  "account",
  "immediately",
  "now",
  "today",
  "full",
  "ssh",
  "sudo",
  "root",
  "production",
  "prod",
  "staging",
  "dev",
  "development",
  "we",
  "you",
  "i",
  "they",
  "who",
  "what",
  "which",
  "if",
  "does",
  "do",
  "did",
  "can",
  "have",
  "has",
  "is",
  "are",
  "was",
]);
const PRINCIPAL_VERBS = new Set([
  "give",
  "grant",
  "let",
  "allow",
  "authorize",
  "authorise",
  "make",
  "offboard",
  "onboard",
  "invite",
  "revoke",
  "lock",
  "deny",
  "ban",
  "block",
  "unassign",
  "does",
]);
const PRINCIPAL_VERB_STEMS = new Set([...PRINCIPAL_VERBS].map((w) => stem(w)));
const PRINCIPAL_OPS = new Set<Operation>(["grant-access", "revoke-access", "audit"]);

/** Maps each resource type's id prefix (`i-`, `vol-`, …) to its type. */
const ID_TYPES: ReadonlyArray<readonly [RegExp, ResourceType]> = [
  [/^i-/, "compute"],
  [/^(?:vol|snap)-/, "storage"],
  [/^(?:sg|subnet|vpc|eni|igw|nat|rtb|acl)-/, "network"],
  [/^db-/, "database"],
  [/^cluster-/, "cluster"],
];

/** Plain words the value loop must still look at. */
const SHAPED_WORDS = new Set([
  "named",
  "called",
  "last",
  "past",
  "previous",
  "midnight",
  "noon",
  "midday",
  "at",
  "by",
  "tonight",
  "tomorrow",
  "today",
]);

function isKnownWord(t: Token<LexWord>): boolean {
  const f = t.quoted ? undefined : t.word?.facts;
  if (f === undefined || !f.first) return false;
  const alone = [t];
  return (
    longestOf(f.operations, alone, 0) !== undefined ||
    longestOf(f.environments, alone, 0) !== undefined ||
    longestOf(f.resources, alone, 0) !== undefined ||
    longestOf(f.vague, alone, 0) !== undefined
  );
}

/** The type of each id prefix of `ID_TYPES` (`vol` → storage): the part before an id's first dash. */
const ID_PREFIX_TYPES: ReadonlyMap<string, ResourceType> = new Map([
  ["i", "compute"],
  ["vol", "storage"],
  ["snap", "storage"],
  ...["sg", "subnet", "vpc", "eni", "igw", "nat", "rtb", "acl"].map((p) => [p, "network"] as const),
  ["db", "database"],
  ["cluster", "cluster"],
]);
/** A Map: a part of a name such as "constructor" must not find `Object.prototype`'s members. */
const NAME_HINTS: ReadonlyMap<string, ResourceType> = new Map(Object.entries(NAME_TYPE_HINTS));
const NAME_PART_SEPARATOR = /[-_.]/;
const TRAILING_DIGITS = /\d+$/;

/** A resource type read from an instance type (`m5.large` → compute) or the parts of a name (`orders-db` → database). */
function inferType(
  instanceType: string,
  names: readonly string[],
  resourceId: string | undefined,
): ResourceType | undefined {
  if (instanceType !== "")
    return instanceType.startsWith("db.")
      ? "database"
      : instanceType.startsWith("cache.")
        ? "cache"
        : "compute";
  // The names, then the resource id (as if it were the last name).
  for (let k = 0; k <= names.length; k++) {
    const id = k < names.length ? (names[k] as string) : resourceId;
    if (id === undefined) continue;
    const dash = id.indexOf("-");
    const type = dash > 0 ? ID_PREFIX_TYPES.get(id.slice(0, dash).toLowerCase()) : undefined;
    if (type !== undefined) return type;
  }
  for (let k = 0; k <= names.length; k++) {
    const name = k < names.length ? (names[k] as string) : resourceId;
    if (name === undefined) continue;
    for (const part of name.toLowerCase().split(NAME_PART_SEPARATOR)) {
      const last = part.charCodeAt(part.length - 1);
      const hint =
        NAME_HINTS.get(part) ??
        (last >= 48 && last <= 57 ? NAME_HINTS.get(part.replace(TRAILING_DIGITS, "")) : undefined);
      if (hint !== undefined) return hint;
    }
  }
  return undefined;
}

const PRINCIPAL_SHAPE = /^[a-z][a-z0-9._-]*$/;

/** A token that can name a principal: a plain name, no stop word, access level, verb or resource type. */
function isPrincipalCandidate(
  t: Token | undefined,
  tokens: readonly Token[],
  types: readonly { index: number; end: number }[],
): t is Token {
  if (t === undefined || t.quoted || PRINCIPAL_STOP.has(t.lower) || !PRINCIPAL_SHAPE.test(t.lower))
    return false;
  const at = tokens.indexOf(t);
  for (const x of types) if (at >= x.index && at <= x.end) return false;
  return ACCESS_LEVELS[t.lower] === undefined && longestAt(getLexicon().operations, [t], 0) === undefined;
}

function numberOf(token: Token | undefined): number | undefined {
  if (token === undefined || token.quoted) return undefined;
  const w = token.lower;
  if (/^\d+(?:\.\d+)?$/.test(w)) return Number(w);
  return WORD_NUMBERS.get(w);
}

function sizeToMiB(value: number, unit: string): number {
  const u = unit.toLowerCase();
  if (u.startsWith("k")) return value / 1024;
  if (u.startsWith("m")) return value;
  if (u.startsWith("t")) return value * 1024 * 1024;
  return value * 1024;
}

/** What the passes of one extraction collect (one shape for every message). */
class Reading {
  readonly values: Record<string, unknown> = {};
  readonly names: string[] = [];
  readonly envs: { env: string; index: number }[] = [];
  readonly types: { type: ResourceType; index: number; end: number }[] = [];
  readonly sizes: { mib: number; index: number; kind: "memory" | "disk" | undefined }[] = [];

  /** Sets a value unless one was read already (the first mention wins). */
  set(key: ParameterName, value: unknown): void {
    if (this.values[key] === undefined) this.values[key] = value;
  }
}

/**
 * `InfrastructureParameterExtractor`: pulls typed parameters out of a message — environment,
 * region, counts, sizes (CPU, memory, disk), names (quoted, "named x", or shaped like a name),
 * resource ids and types (with synonyms), durations, look-back periods and times ("tonight at
 * 2am", "in 30 minutes") relative to an injected clock — and flags values it cannot settle.
 * {@link suggestDefaults} proposes values for a command's missing required parameters.
 */
export class InfrastructureParameterExtractor {
  private readonly now: () => number;
  private readonly timeZone: string;

  constructor(options: ParameterExtractorOptions = {}) {
    this.now = options.now ?? Date.now;
    this.timeZone = options.timeZone ?? "UTC";
    if (!isValidTimeZone(this.timeZone)) {
      throw new InfrastructureError(
        "INVALID_ARGUMENT",
        `timeZone "${this.timeZone}" is not a time zone this runtime knows`,
        { field: "timeZone" },
      );
    }
  }

  /** Extracts parameters from a message. Never throws. */
  extract(text: string, context: ExtractionContext = {}): Extraction {
    return this.extractAnalysis(analyze(typeof text === "string" ? text : "", getLexicon().reader), context);
  }

  /** Extracts from an already analysed message. */
  extractAnalysis(analysis: Analysis<LexWord>, context: ExtractionContext = {}): Extraction {
    const tokens = analysis.tokens;
    const r = new Reading();
    const values = r.values;
    const ambiguities: ParameterAmbiguity[] = [];
    const names = r.names;
    const envs = r.envs;
    const types = r.types;
    const sizes = r.sizes;
    const op = context.operation ?? null;
    // Two passes in their own methods (smaller units for the optimising compiler): phrases, then values.
    this.readPhrases(tokens, r);
    this.readValues(tokens, op, r);

    // Principals and access levels, for access operations.
    if (op !== null && PRINCIPAL_OPS.has(op) && values["principal"] === undefined) {
      const principal = this.readPrincipal(tokens, types);
      if (principal !== undefined) values["principal"] = principal;
    }
    if (op === "grant-access" || op === "revoke-access") {
      for (const t of tokens) {
        const level = t.quoted ? undefined : ACCESS_LEVELS[t.lower];
        if (level !== undefined) {
          values["accessLevel"] = level;
          break;
        }
      }
    }

    // Names: the principal is not a resource name; "rename x to y" gives a new name.
    const principal = values["principal"];
    let resourceNames: string[] = [];
    for (const n of names) if (n !== principal) resourceNames.push(n);
    if (resourceNames.length >= 2) {
      let rename = false;
      for (const t of tokens) if (!t.quoted && t.stem === "renam") rename = true;
      if (rename) values["newName"] = resourceNames.pop();
    }
    if (resourceNames.length > 1) {
      const unique: string[] = [];
      for (const n of resourceNames) if (!unique.includes(n)) unique.push(n);
      resourceNames = unique;
    }
    if (resourceNames.length === 1) values["name"] = resourceNames[0];
    else if (resourceNames.length > 1) values["names"] = resourceNames;

    // Resource type: the first one mentioned, skipping a qualifier of the principal ("the data-team group").
    let principalIndex = -1;
    if (typeof principal === "string")
      for (let k = 0; k < tokens.length && principalIndex === -1; k++)
        if ((tokens[k] as Token).lower === principal) principalIndex = k;
    if (types.length === 0) {
      const resourceId = values["resourceId"];
      const inferred = inferType(
        typeof values["instanceType"] === "string" ? values["instanceType"] : "",
        resourceNames,
        typeof resourceId === "string" ? resourceId : undefined,
      );
      if (inferred !== undefined) types.push({ type: inferred, index: tokens.length, end: tokens.length });
    }
    for (const x of types)
      if (!(
        principalIndex !== -1 &&
        x.index > principalIndex &&
        x.index <= principalIndex + 2 &&
        x.type === "identity"
      )) {
        values["resourceType"] = x.type;
        break;
      }

    // Environments: "from x to y" is a move; otherwise two different ones are ambiguous.
    const distinct: string[] = [];
    for (const e of envs) if (!distinct.includes(e.env)) distinct.push(e.env);
    if (distinct.length === 1) values["environment"] = distinct[0];
    else if (distinct.length > 1) this.settleEnvironments(tokens, envs, distinct, values, ambiguities);

    // Sizes: memory or disk from the words around them, else from the resource type.
    for (const s of sizes) {
      let kind = s.kind;
      if (kind === undefined) {
        const t = values["resourceType"];
        if (t === "storage" || t === "database") kind = "disk";
        else if (t === "compute" || t === "cache" || t === "function" || t === "container") kind = "memory";
      }
      if (kind === "memory") r.set("memoryMiB", s.mib);
      else if (kind === "disk") r.set("diskGiB", s.mib / 1024);
      else {
        r.set("sizeGiB", s.mib / 1024);
        ambiguities.push({
          parameter: "sizeGiB",
          reason: "a size without saying memory or disk",
          candidates: ["memoryMiB", "diskGiB"],
        });
      }
    }

    if (op === "create" && values["countDelta"] !== undefined && values["count"] === undefined) {
      values["count"] = values["countDelta"];
      values["countDelta"] = undefined; // left out below (no delete: the object keeps its fast shape)
    }
    const clean: Record<string, unknown> = {};
    for (const k in values) if (values[k] !== undefined) clean[k] = values[k];
    return { values: clean, ambiguities, source: "offline" };
  }

  /** Several environments: "from x to y" is a move; otherwise the first one, flagged as ambiguous. */
  private settleEnvironments(
    tokens: readonly Token[],
    envs: readonly { env: string; index: number }[],
    distinct: string[],
    values: Record<string, unknown>,
    ambiguities: ParameterAmbiguity[],
  ): void {
    const from = envs.find((e) => tokens[e.index - 1]?.lower === "from");
    const to = envs.find((e) => ["to", "into", "onto"].includes(tokens[e.index - 1]?.lower ?? ""));
    if (from !== undefined && to !== undefined && from.env !== to.env) {
      values["environment"] = to.env;
      values["sourceEnvironment"] = from.env;
    } else {
      values["environment"] = envs[0]?.env;
      ambiguities.push({
        parameter: "environment",
        reason: "the message names more than one environment",
        candidates: distinct,
      });
    }
  }

  /** Pass 1: phrases (resource types, environments) and quoted names. */
  private readPhrases(tokens: readonly Token<LexWord>[], r: Reading): void {
    let coveredTo = -1;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i] as Token<LexWord>;
      if (t.quoted) {
        r.names.push(t.raw);
        continue;
      }
      const f = t.word?.facts;
      if (i <= coveredTo || f === undefined || !f.first) continue;
      const resource = longestOf(f.resources, tokens, i);
      const after = tokens[i + (resource?.stems.length ?? 1)]?.lower ?? "";
      if (
        resource !== undefined &&
        !(after === "usage" || after === "space" || after === "io" || after === "utilization")
      ) {
        // "the analytics cluster": a plain word naming the resource.
        const before = tokens[i - 1];
        const article = tokens[i - 2]?.lower ?? "";
        if (
          before !== undefined &&
          !before.quoted &&
          /^[a-z][a-z0-9]{2,}$/.test(before.lower) &&
          (article === "the" || article === "our" || article === "my") &&
          !RESOURCE_ADJECTIVES.has(before.lower) &&
          !isKnownWord(before)
        )
          r.names.push(before.raw);
        r.types.push({ type: resource.value, index: i, end: i + resource.stems.length - 1 });
        coveredTo = i + resource.stems.length - 1;
        continue;
      }
      const env = longestOf(f.environments, tokens, i);
      if (env !== undefined && this.isEnvironmentMention(tokens, i, t.lower)) {
        r.envs.push({ env: env.value, index: i });
        coveredTo = i + env.stems.length - 1;
        continue;
      }
    }
  }

  /** Pass 2: values read from token shapes (regions, sizes, counts, times, names …). */
  private readValues(tokens: readonly Token<LexWord>[], op: Operation | null, r: Reading): void {
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i] as Token<LexWord>;
      if (t.quoted) continue;
      const w = t.lower;
      const prev = tokens[i - 1]?.lower;
      const next = tokens[i + 1];
      // Plain words (most tokens) skip every shape test that needs a digit, a dot or a dash.
      if (
        t.word !== undefined &&
        t.word.plain &&
        !SHAPED_WORDS.has(w) &&
        !WORD_NUMBERS.has(w) &&
        !AZURE_REGIONS.has(w)
      )
        continue;
      // "named x" / "called x" / "name it x"
      if ((w === "named" || w === "called") && next !== undefined) {
        if (!next.quoted) r.names.push(next.raw);
        i++; // the name is read
        continue;
      }
      if (isRegion(w)) {
        r.set("region", w);
        continue;
      }
      if (
        INSTANCE_TYPE.test(w) ||
        /^(?:db|cache)\.[a-z]\d[a-z]*\.(?:nano|micro|small|medium|large|\d{0,2}xlarge)$/.test(w)
      ) {
        r.set("instanceType", w);
        continue;
      }
      if (RESOURCE_ID.test(w)) {
        r.set("resourceId", t.raw);
        for (const [re, type] of ID_TYPES) if (re.test(w)) r.types.push({ type, index: i, end: i });
        continue;
      }
      // Versions: v1.2.3, "version 1.4", "kubernetes 1.29", "back to 1.3.9".
      if (
        VERSION_V.test(w) ||
        (VERSION.test(w) &&
          w.includes(".") &&
          (prev === "version" ||
            prev === "to" ||
            prev === "kubernetes" ||
            prev === "k8s" ||
            prev === "release" ||
            prev === "postgres" ||
            prev === "v"))
      ) {
        r.set("version", w);
        continue;
      }
      const glued = SIZE_GLUED.exec(w);
      if (
        glued !== null &&
        !/^(?:m|t|g)$/.test(glued[2] ?? "") &&
        !(glued[2] === "m" && this.isDurationUnit("m"))
      ) {
        r.sizes.push({
          mib: sizeToMiB(Number(glued[1]), glued[2] ?? "gb"),
          index: i,
          kind: this.sizeKind(tokens, i, i),
        });
        continue;
      }
      const gluedCpu = GLUED_CPU.exec(w);
      if (gluedCpu !== null) {
        r.set("cpu", Number(gluedCpu[1]));
        continue;
      }
      if (/^(?:x\d+|\d+x)$/.test(w)) {
        r.set("count", Number(w.replace("x", "")));
        continue;
      }
      const glDur = /^(\d+)(ms|s|sec|secs|m|min|mins|h|hr|hrs|d|w)$/.exec(w);
      if (
        glDur !== null &&
        (glDur[2] !== "s" || ["in", "for", "after", "every", "within", "last", "past"].includes(prev ?? ""))
      ) {
        i = this.readDuration(tokens, i, Number(glDur[1]), UNIT_MS[glDur[2] ?? "m"] ?? MINUTE, i, r);
        continue;
      }
      const n = numberOf(t);
      if (n !== undefined) {
        if (w === "a" || w === "an" || w === "single") {
          // "a week", "an hour": only as a duration.
          const unit = UNIT_MS[next?.lower ?? ""];
          if (unit !== undefined && (next?.lower ?? "").length > 1)
            i = this.readDuration(tokens, i, 1, unit, i + 1, r);
          continue;
        }
        if (w === "couple" || w === "pair") {
          if (next?.lower === "of") this.readCount(tokens, i + 1, 2, op, r);
          continue;
        }
        const after = tokens[i + 1]?.lower ?? "";
        if (
          after === "million" ||
          after === "thousand" ||
          after === "percent" ||
          after === "%" ||
          prev === "port" ||
          prev === "http" ||
          /^\d+%$/.test(w)
        )
          continue;
        if (SIZE_UNIT.test(after)) {
          r.sizes.push({ mib: sizeToMiB(n, after), index: i, kind: this.sizeKind(tokens, i, i + 1) });
          i++;
          continue;
        }
        if (CPU_UNITS.test(after) || after === "core" || after === "cores") {
          r.set("cpu", n);
          i++;
          continue;
        }
        const unitMs = UNIT_MS[after];
        if (unitMs !== undefined && after.length > 1) {
          i = this.readDuration(tokens, i, n, unitMs, i + 1, r);
          continue;
        }
        const clock = this.readClock(tokens, i);
        if (clock !== undefined) {
          r.set("at", clock.iso);
          i = clock.end;
          continue;
        }
        if (
          prev === "by" ||
          (prev === "to" && this.hasScaleContext(tokens, i)) ||
          this.isCountedNoun(tokens, i)
        ) {
          this.readCount(tokens, i, n, op, r);
          continue;
        }
        continue;
      }
      // Clock times without a number token first: "2am", "14:30", "midnight", "noon", "tonight", "tomorrow".
      const clock = this.readClock(tokens, i);
      if (clock !== undefined) {
        r.set("at", clock.iso);
        i = clock.end;
        continue;
      }
      // "the last hour", "past week".
      if ((w === "last" || w === "past" || w === "previous") && next !== undefined) {
        const unit = UNIT_MS[next.lower];
        if (unit !== undefined && next.lower.length > 1) {
          r.set("periodMs", unit);
          i++;
          continue;
        }
      }
      if (w.includes("@") && /^[^@\s]+@[^@\s]+\.[a-z]{2,}$/.test(w)) {
        r.set("principal", w);
        continue;
      }
      if (isNameLike(w) && !/^\d/.test(w)) {
        r.names.push(t.raw);
        continue;
      }
    }
  }

  /**
   * Suggests values for the required parameters of `command` that `params` lacks: the declared
   * default, the only enum value, the session's environment, or a generated name.
   */
  suggestDefaults(
    command: CommandDefinition,
    params: Readonly<Record<string, unknown>>,
    context: { readonly environment?: string } = {},
  ): SuggestedDefault[] {
    const out: SuggestedDefault[] = [];
    for (const p of command.parameters) {
      if (!p.required || params[p.name] !== undefined) continue;
      const suggestion = this.suggestFor(p, context);
      if (suggestion !== undefined) out.push(suggestion);
    }
    return out;
  }

  private suggestFor(
    p: CommandParameter,
    context: { readonly environment?: string },
  ): SuggestedDefault | undefined {
    if (p.default !== undefined)
      return { parameter: p.name, value: p.default, reason: "the command's declared default" };
    if (p.enum !== undefined && p.enum.length === 1)
      return { parameter: p.name, value: p.enum[0], reason: "the only allowed value" };
    const lower = p.name.toLowerCase();
    if ((lower === "environment" || lower === "env") && context.environment !== undefined)
      return { parameter: p.name, value: context.environment, reason: "the session's environment" };
    if (p.type === "string" && /name$/i.test(p.name)) {
      const d = zonedParts(this.now(), this.timeZone);
      const stamp = `${d.year}${String(d.month).padStart(2, "0")}${String(d.day).padStart(2, "0")}-${String(d.hour).padStart(2, "0")}${String(d.minute).padStart(2, "0")}`;
      return {
        parameter: p.name,
        value: `${p.resourceType ?? "resource"}-${stamp}`,
        reason: "a generated name (date and time)",
      };
    }
    if (p.type === "number" && p.min !== undefined)
      return { parameter: p.name, value: p.min, reason: "the smallest allowed value" };
    if (p.enum !== undefined && p.enum.length > 1)
      return { parameter: p.name, value: p.enum[0], reason: `the first of ${p.enum.length} allowed values` };
    return undefined;
  }

  private isEnvironmentMention(tokens: readonly Token[], i: number, word: string): boolean {
    const prev = tokens[i - 1]?.lower ?? "";
    const next = tokens[i + 1]?.lower ?? "";
    if (word === "live" || word === "test" || word === "testing" || word === "develop" || word === "stage") {
      return (
        ["in", "to", "on", "into", "onto", "from", "the"].includes(prev) ||
        next === "environment" ||
        next === "env" ||
        longestAt(getLexicon().resources, tokens, i + 1) !== undefined
      );
    }
    return true;
  }

  private isDurationUnit(unit: string): boolean {
    return UNIT_MS[unit] !== undefined;
  }

  private sizeKind(tokens: readonly Token[], start: number, end: number): "memory" | "disk" | undefined {
    for (let k = end + 1; k <= end + 3 && k < tokens.length; k++) {
      const w = tokens[k]?.lower ?? "";
      if (MEMORY_WORDS.has(w)) return "memory";
      if (DISK_WORDS.has(w)) return "disk";
      if (w !== "of" && w !== "the" && w !== "a" && w !== "in") break;
    }
    for (let k = start - 1; k >= start - 2 && k >= 0; k--) {
      const w = tokens[k]?.lower ?? "";
      if (MEMORY_WORDS.has(w)) return "memory";
      if (DISK_WORDS.has(w)) return "disk";
    }
    return undefined;
  }

  private hasScaleContext(tokens: readonly Token[], i: number): boolean {
    for (let k = 0; k < i; k++) {
      const s = tokens[k]?.stem ?? "";
      if (
        s === "scal" ||
        s === "shrink" ||
        s === "grow" ||
        s === "resiz" ||
        s === "increas" ||
        s === "decreas" ||
        s === "bump" ||
        s === "reduc" ||
        s === "set" ||
        s === "expand"
      )
        return true;
    }
    return false;
  }

  private isCountedNoun(tokens: readonly Token[], i: number): boolean {
    for (let k = i + 1; k <= i + 3 && k < tokens.length; k++) {
      const t = tokens[k] as Token;
      if (t.quoted) return false;
      if (COUNT_NOUNS.has(t.stem)) return true;
      if (longestAt(getLexicon().resources, tokens, k) !== undefined) return true;
      if (!COUNT_SKIP.has(t.stem)) return false;
    }
    return false;
  }

  private readCount(tokens: readonly Token[], i: number, n: number, op: Operation | null, r: Reading): void {
    const prev = tokens[i - 1]?.stem ?? "";
    let delta = prev === "by" || prev === "add" || prev === "ad" || prev === "another";
    for (let k = i + 1; k <= i + 2 && k < tokens.length; k++)
      if (DELTA_WORDS.has(tokens[k]?.stem ?? "")) delta = true;
    for (let k = Math.max(0, i - 3); k < i; k++) if ((tokens[k]?.stem ?? "") === "add") delta = true;
    if (delta && op !== "create") r.set("countDelta", prev === "by" && this.isDecrease(tokens, i) ? -n : n);
    else r.set("count", n);
  }

  private isDecrease(tokens: readonly Token[], i: number): boolean {
    for (let k = 0; k < i; k++) {
      const s = tokens[k]?.stem ?? "";
      if (s === "decreas" || s === "reduc" || s === "shrink" || s === "down" || s === "remov") return true;
    }
    return false;
  }

  private readDuration(
    tokens: readonly Token[],
    i: number,
    n: number,
    unitMs: number,
    end: number,
    r: Reading,
  ): number {
    const ms = n * unitMs;
    const before = [tokens[i - 1]?.lower, tokens[i - 2]?.lower, tokens[i - 3]?.lower];
    if (
      before.includes("last") ||
      before.includes("past") ||
      before.includes("previous") ||
      before[0] === "over"
    )
      r.set("periodMs", ms);
    else if (before[0] === "in") r.set("at", new Date(this.now() + ms).toISOString());
    else if (before[0] === "every") {
      /* a schedule interval: not a parameter the pipeline reads */
    } else r.set("durationMs", ms);
    return end;
  }

  /** Reads a clock time with its day ("tonight at 2am", "tomorrow at 9", "on friday at 3pm", "at 18:30"). */
  private readClock(tokens: readonly Token[], i: number): { iso: string; end: number } | undefined {
    const t = tokens[i];
    if (t === undefined || t.quoted) return undefined;
    let k = i;
    let w = t.lower;
    if (w === "at" || w === "by") {
      k++;
      w = tokens[k]?.lower ?? "";
    }
    // Most words are no clock time: the shape first, the day words around it only then.
    const digit = w.charCodeAt(0);
    const m = digit >= 48 && digit <= 57 ? CLOCK.exec(w) : null;
    if (m === null && w !== "midnight" && w !== "noon" && w !== "midday") return undefined;
    let dayOffset: number | undefined;
    let weekday: number | undefined;
    // Look back for day words just before ("tonight at 2am", "tomorrow at 9am").
    for (let b = i - 1; b >= Math.max(0, i - 3); b--) {
      const x = tokens[b]?.lower ?? "";
      if (x === "tomorrow") dayOffset = 1;
      else if (x === "today") dayOffset = 0;
      else if (DAY_NAMES[x] !== undefined) weekday = DAY_NAMES[x];
    }
    let hour: number | undefined;
    let minute = 0;
    if (w === "midnight") {
      hour = 24;
    } else if (w === "noon" || w === "midday") {
      hour = 12;
    } else if (m !== null) {
      const h = Number(m[1]);
      minute = m[2] === undefined ? 0 : Number(m[2]);
      let meridiem = m[3];
      const follow = tokens[k + 1]?.lower;
      if (
        meridiem === undefined &&
        (follow === "am" || follow === "pm" || follow === "a.m." || follow === "p.m.")
      ) {
        meridiem = follow;
        k++;
      }
      const hasColon = m[2] !== undefined;
      const afterAt = tokens[i]?.lower === "at";
      if (meridiem === undefined && !hasColon && !afterAt) return undefined; // a bare number is not a time
      if (h > 23 || minute > 59) return undefined;
      hour = meridiem === undefined ? h : (h % 12) + (meridiem.startsWith("p") ? 12 : 0);
    } else {
      return undefined;
    }
    // Look ahead for "tomorrow"/"tonight"/a weekday after the time ("2am tomorrow").
    for (let j = k + 1; j <= k + 3 && j < tokens.length; j++) {
      const x = tokens[j]?.lower ?? "";
      if (x === "tomorrow") dayOffset = 1;
      else if (x === "today") dayOffset = 0;
      else if (DAY_NAMES[x] !== undefined) weekday = DAY_NAMES[x];
    }
    const now = this.now();
    const p = zonedParts(now, this.timeZone);
    let date = { year: p.year, month: p.month, day: p.day };
    if (hour === 24) {
      date = addDays(date.year, date.month, date.day, 1);
      hour = 0;
    }
    if (weekday !== undefined) {
      let diff = (weekday - p.weekday + 7) % 7;
      if (diff === 0) diff = 7;
      date = addDays(date.year, date.month, date.day, diff);
    } else if (dayOffset !== undefined) {
      date = addDays(date.year, date.month, date.day, dayOffset);
    }
    let epoch = zonedToEpoch(date.year, date.month, date.day, hour, minute, this.timeZone);
    if (weekday === undefined && dayOffset === undefined && epoch <= now) {
      // "at 2am" / "tonight at 2am" when 2am today has passed: the next one.
      date = addDays(date.year, date.month, date.day, 1);
      epoch = zonedToEpoch(date.year, date.month, date.day, hour, minute, this.timeZone);
    }
    return { iso: new Date(epoch).toISOString(), end: k };
  }

  private readPrincipal(
    tokens: readonly Token[],
    types: readonly { index: number; end: number }[],
  ): string | undefined {
    const isCandidate = (t: Token | undefined): t is Token => isPrincipalCandidate(t, tokens, types);
    // Possessive before access words: "alice's access", "bob's permissions".
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i] as Token;
      if (t.possessive === true && isCandidate(t)) return t.lower;
    }
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i] as Token;
      const w = t.quoted ? "" : t.lower;
      // "give alice …", "grant bob …", "revoke erin …", "lock out mallory", "does alice have"
      if (
        PRINCIPAL_VERBS.has(w) ||
        PRINCIPAL_VERB_STEMS.has(t.stem) ||
        (w === "out" && tokens[i - 1]?.lower === "lock")
      ) {
        let k = i + 1;
        if (tokens[k]?.lower === "out") k++;
        while (tokens[k]?.lower === "the" || tokens[k]?.lower === "a") k++;
        const c = tokens[k];
        if (isCandidate(c)) return c.lower;
      }
      // "… from erin", "… to hank" after a role or access word
      if ((w === "from" || w === "to") && i > 0) {
        let roleBefore = false;
        for (let k = Math.max(0, i - 3); k < i; k++) {
          const b = (tokens[k] as Token).lower;
          if (b === "role" || b === "admin" || b === "access" || b === "permissions" || b === "owner")
            roleBefore = true;
        }
        if (roleBefore) {
          const c = tokens[i + 1];
          if (isCandidate(c)) return c.lower;
        }
      }
      // "x did", "x permissions", "x access"
      const next = tokens[i + 1]?.lower;
      if ((next === "did" || next === "permissions" || next === "access") && isCandidate(t) && i > 0)
        return t.lower;
    }
    return undefined;
  }
}
