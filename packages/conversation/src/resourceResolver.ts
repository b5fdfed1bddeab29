import { editDistance } from "./text.js";
import type { ResourceSnapshot } from "./stateProvider.js";

/** How a reference was settled. */
export type ResolvedVia = "id" | "name" | "fuzzy" | "context";

/** The result of resolving a reference: one resource, several (never a guess), or none. */
export type ResolveResult =
  | { readonly status: "resolved"; readonly resource: ResourceSnapshot; readonly via: ResolvedVia }
  | {
      readonly status: "ambiguous";
      readonly reference: string;
      readonly candidates: readonly ResourceSnapshot[];
      readonly question: string;
    }
  | {
      readonly status: "not-found";
      readonly reference: string;
      readonly suggestions: readonly ResourceSnapshot[];
    };

/** What a reference is resolved against. */
export interface ResolveContext {
  /** The resources to choose from. */
  readonly resources: readonly ResourceSnapshot[];
  /** Only resources of this type count (when any of this type exist). */
  readonly type?: string;
  /** Only resources of this environment count (when any of it exist). */
  readonly environment?: string;
  /** Ids of resources mentioned earlier in the conversation, most recent first. */
  readonly recent?: readonly string[];
  /** Compute `suggestions` for a reference that matches nothing. Default true. */
  readonly suggest?: boolean;
}

/** Options of {@link InfrastructureResourceResolver}. */
export interface ResourceResolverOptions {
  /** Longest edit distance a fuzzy match may have, as a share of the name's length. Default 0.25. */
  readonly maxFuzzyRatio?: number;
}

const PRONOUNS = new Set([
  "it",
  "that",
  "this",
  "them",
  "those",
  "these",
  "same",
  "the same one",
  "that one",
  "this one",
  "the same",
  "one",
]);

interface Label {
  readonly label: string;
  /** Normalised (lower case, letters and digits only). */
  readonly l: string;
  readonly parts: readonly string[];
  /** The digits of `l` (a different number is a different resource). */
  readonly digits: string;
  readonly isId: boolean;
}

const labelCache = new WeakMap<ResourceSnapshot, readonly Label[]>();

/** Name and id of a resource, normalised once per snapshot object. */
function labelsOf(r: ResourceSnapshot): readonly Label[] {
  let labels = labelCache.get(r);
  if (labels === undefined) {
    const make = (label: string, isId: boolean): Label => {
      const l = norm(label);
      return {
        label,
        l,
        parts: label
          .toLowerCase()
          .split(/[^a-z0-9]+/)
          .filter((p) => p.length > 0),
        digits: digits(l),
        isId,
      };
    };
    labels = r.name === undefined ? [make(r.id, true)] : [make(r.name, false), make(r.id, true)];
    labelCache.set(r, labels);
  }
  return labels;
}

/** Per resources array (the state provider hands out one frozen array until a change): exact labels and pools. */
interface ResourceIndex {
  /** Normalised label → resources with that id or name. */
  readonly byLabel: Map<string, ResourceSnapshot[]>;
  /** `type|environment` → the pool {@link InfrastructureResourceResolver} picks from. */
  readonly pools: Map<string, readonly ResourceSnapshot[]>;
  /** Exact id → the one resource with it (`null` when several share it). */
  readonly byId: Map<string, ResourceSnapshot | null>;
}

const indexCache = new WeakMap<readonly ResourceSnapshot[], ResourceIndex>();

function indexOf(resources: readonly ResourceSnapshot[]): ResourceIndex {
  let index = indexCache.get(resources);
  if (index === undefined) {
    const byLabel = new Map<string, ResourceSnapshot[]>();
    const byId = new Map<string, ResourceSnapshot | null>();
    for (const r of resources) byId.set(r.id, byId.has(r.id) ? null : r);
    for (const r of resources)
      for (const x of labelsOf(r)) {
        const list = byLabel.get(x.l);
        if (list === undefined) byLabel.set(x.l, [r]);
        else if (!list.includes(r)) list.push(r);
      }
    index = { byLabel, pools: new Map(), byId };
    // Only a frozen array cannot change behind the cache (the state provider's snapshot is one).
    if (Object.isFrozen(resources)) indexCache.set(resources, index);
  }
  return index;
}

/**
 * Where fuzzy matches can be, per frozen pool: labels by their digits and length (an edit distance
 * is only tried between labels with the same digits and a close length), by their parts, and sorted
 * for prefix search. A reference is then scored against a few resources instead of all of them.
 */
class FuzzyIndex {
  /** digits → length → pool positions of resources with a label of these digits and length. */
  private readonly byDigits = new Map<string, number[][]>();
  /** A part of a label ("orders" of orders-db) → pool positions. */
  private readonly byPart = new Map<string, number[]>();
  /** Normalised labels, sorted, with their pool position. */
  private readonly sorted: { readonly l: string; readonly k: number }[] = [];

  constructor(pool: readonly ResourceSnapshot[]) {
    for (let k = 0; k < pool.length; k++) {
      for (const label of labelsOf(pool[k] as ResourceSnapshot)) {
        let byLength = this.byDigits.get(label.digits);
        if (byLength === undefined) this.byDigits.set(label.digits, (byLength = []));
        (byLength[label.l.length] ??= []).push(k);
        for (const part of label.parts) {
          const list = this.byPart.get(part);
          if (list === undefined) this.byPart.set(part, [k]);
          else if (list[list.length - 1] !== k) list.push(k);
        }
        this.sorted.push({ l: label.l, k });
      }
    }
    this.sorted.sort((a, b) => (a.l < b.l ? -1 : a.l > b.l ? 1 : a.k - b.k));
  }

  /** Pool positions, ascending, of every resource {@link InfrastructureResourceResolver} could match fuzzily. */
  candidates(n: string, refLower: string, refDigits: string, ratio: number): number[] {
    const out: number[] = [];
    const byLength = this.byDigits.get(refDigits);
    if (byLength !== undefined)
      for (let length = 0; length < byLength.length; length++) {
        const at = byLength[length];
        if (at !== undefined && Math.abs(length - n.length) <= Math.max(1, Math.floor(length * ratio)))
          for (const k of at) out.push(k);
      }
    const parts = this.byPart.get(refLower);
    if (parts !== undefined) for (const k of parts) out.push(k);
    if (n.length >= 4) {
      // The first label not below `n`, then every label that starts with it.
      let lo = 0;
      let hi = this.sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((this.sorted[mid] as { l: string }).l < n) lo = mid + 1;
        else hi = mid;
      }
      for (let j = lo; j < this.sorted.length; j++) {
        const x = this.sorted[j] as { l: string; k: number };
        if (!x.l.startsWith(n)) break;
        out.push(x.k);
      }
    }
    if (out.length <= 1) return out;
    out.sort((a, b) => a - b);
    let w = 1;
    for (let j = 1; j < out.length; j++) if (out[j] !== out[w - 1]) out[w++] = out[j] as number;
    out.length = w;
    return out;
  }
}

const fuzzyCache = new WeakMap<readonly ResourceSnapshot[], FuzzyIndex>();

/** The fuzzy index of a frozen pool, built on first use. */
function fuzzyIndexOf(pool: readonly ResourceSnapshot[]): FuzzyIndex {
  let index = fuzzyCache.get(pool);
  if (index === undefined) {
    index = new FuzzyIndex(pool);
    fuzzyCache.set(pool, index);
  }
  return index;
}

const NON_DIGITS = /[^0-9]+/g;
const NON_ALNUM = /[^a-z0-9]+/g;

function digits(s: string): string {
  return s.replace(NON_DIGITS, "");
}

function norm(s: string): string {
  return s.toLowerCase().replace(NON_ALNUM, "");
}

/**
 * `InfrastructureResourceResolver`: settles a natural-language reference to a resource — by id,
 * by name (case and punctuation ignored), fuzzily (a typo or a part of the name), or from
 * context (a pronoun such as "it" means the last resource mentioned). When several resources
 * match equally it returns them all as an ambiguity with a question — it never guesses.
 */
export class InfrastructureResourceResolver {
  private readonly maxFuzzyRatio: number;

  constructor(options: ResourceResolverOptions = {}) {
    this.maxFuzzyRatio = options.maxFuzzyRatio ?? 0.25;
  }

  /** True when `reference` only points back ("it", "that one"). */
  isContextReference(reference: string): boolean {
    return PRONOUNS.has(reference.trim().toLowerCase());
  }

  /** Resolves one reference. Never throws. */
  resolve(reference: string, context: ResolveContext): ResolveResult {
    const ref = typeof reference === "string" ? reference.trim() : "";
    if (ref === "" || this.isContextReference(ref)) return this.resolveFromContext(context, ref);
    const all = context.resources;
    if (Object.isFrozen(all)) {
      const byId = indexOf(all).byId.get(ref);
      if (byId !== undefined && byId !== null) return { status: "resolved", resource: byId, via: "id" };
    } else {
      let byId: ResourceSnapshot | undefined;
      let idMatches = 0;
      for (let k = 0; k < all.length; k++) {
        const r = all[k] as ResourceSnapshot;
        if (r.id === ref) {
          byId = r;
          idMatches++;
        }
      }
      if (idMatches === 1 && byId !== undefined) return { status: "resolved", resource: byId, via: "id" };
    }
    const n = norm(ref);
    if (n === "") return { status: "not-found", reference: ref, suggestions: [] };
    const pool = this.pool(context);
    // Case and punctuation ignored: every resource whose id or name reads the same counts.
    let loose: readonly ResourceSnapshot[];
    if (Object.isFrozen(context.resources)) {
      const exact = indexOf(context.resources).byLabel.get(n);
      loose =
        exact === undefined ? [] : pool === context.resources ? exact : exact.filter((r) => pool.includes(r));
    } else loose = pool.filter((r) => labelsOf(r).some((x) => x.l === n));
    const only = loose[0];
    if (loose.length === 1 && only !== undefined)
      return {
        status: "resolved",
        resource: only,
        via: labelsOf(only).some((x) => x.isId && x.l === n) ? "id" : "name",
      };
    if (loose.length > 1) return this.ambiguous(ref, [...loose]);
    // Fuzzy: a typo in the whole name, or the reference being one whole part of the name.
    const scored: { r: ResourceSnapshot; score: number }[] = [];
    const refLower = ref.toLowerCase();
    const refDigits = digits(n);
    const fuzzy = Object.isFrozen(pool) ? fuzzyIndexOf(pool) : undefined;
    if (fuzzy === undefined) {
      for (let k = 0; k < pool.length; k++) {
        const r = pool[k] as ResourceSnapshot;
        const best = this.fuzzyScore(r, n, refLower, refDigits);
        if (best !== Infinity) scored.push({ r, score: best });
      }
    } else {
      // Only the resources an index says could match are scored (the same score, in pool order).
      for (const k of fuzzy.candidates(n, refLower, refDigits, this.maxFuzzyRatio)) {
        const r = pool[k] as ResourceSnapshot;
        const best = this.fuzzyScore(r, n, refLower, refDigits);
        if (best !== Infinity) scored.push({ r, score: best });
      }
    }
    if (scored.length === 0) {
      if (context.suggest === false) return { status: "not-found", reference: ref, suggestions: [] };
      const suggestions = pool
        .map((r) => ({ r, d: editDistance(n, labelsOf(r)[0]?.l ?? "", 3) }))
        .filter((x) => x.d <= 3)
        .sort((a, b) => a.d - b.d)
        .slice(0, 3)
        .map((x) => x.r);
      return { status: "not-found", reference: ref, suggestions };
    }
    scored.sort((a, b) => a.score - b.score);
    const top = scored[0]?.score ?? 0;
    const tied = scored.filter((x) => x.score === top).map((x) => x.r);
    if (tied.length === 1 && tied[0] !== undefined)
      return { status: "resolved", resource: tied[0], via: "fuzzy" };
    return this.ambiguous(ref, tied);
  }

  /**
   * Resolves a pronoun ("it", "that one") from context alone: the most recent resource of
   * `context.recent` that is still among `context.resources`. What {@link resolve} does for a
   * pronoun; a caller that already knows the message points back calls it directly.
   */
  resolveFromContext(context: ResolveContext, reference = "it"): ResolveResult {
    const ref = reference;
    for (const id of context.recent ?? []) {
      const r = context.resources.find((x) => x.id === id);
      if (r !== undefined) return { status: "resolved", resource: r, via: "context" };
    }
    return { status: "not-found", reference: ref, suggestions: [] };
  }

  /** How closely `r` matches a normalised reference: an edit distance, 1.5 for a whole part or prefix, else Infinity. */
  private fuzzyScore(r: ResourceSnapshot, n: string, refLower: string, refDigits: string): number {
    let best = Infinity;
    const labels = labelsOf(r);
    for (let j = 0; j < labels.length; j++) {
      const { l, parts, digits: labelDigits } = labels[j] as Label;
      const max = Math.max(1, Math.floor(l.length * this.maxFuzzyRatio));
      // A different number is a different resource (web-9 is not a typo of web-1).
      if (labelDigits === refDigits && Math.abs(l.length - n.length) <= max) {
        const d = editDistance(n, l, max);
        if (d <= max && d < best) best = d;
      }
      if (best > 1.5 && (parts.includes(refLower) || (n.length >= 4 && l.startsWith(n)))) best = 1.5;
    }
    return best;
  }

  private pool(context: ResolveContext): readonly ResourceSnapshot[] {
    if (context.type === undefined && context.environment === undefined) return context.resources;
    if (!Object.isFrozen(context.resources)) return this.filterPool(context);
    const pools = indexOf(context.resources).pools;
    const key = `${context.type ?? ""}|${context.environment ?? ""}`;
    let cached = pools.get(key);
    if (cached === undefined) {
      cached = this.filterPool(context);
      // Frozen like the snapshot it comes from: it cannot change behind the fuzzy index of it.
      if (pools.size < 256) pools.set(key, Object.isFrozen(cached) ? cached : Object.freeze(cached));
    }
    return cached;
  }

  private filterPool(context: ResolveContext): readonly ResourceSnapshot[] {
    let pool = context.resources;
    if (context.type !== undefined) {
      const typed = pool.filter((r) => r.type === context.type);
      if (typed.length > 0) pool = typed;
    }
    if (context.environment !== undefined) {
      const inEnv = pool.filter((r) => r.environment === context.environment);
      if (inEnv.length > 0) pool = inEnv;
    }
    return pool;
  }

  private ambiguous(reference: string, candidates: readonly ResourceSnapshot[]): ResolveResult {
    const list = candidates
      .map(
        (c) =>
          `${c.name ?? c.id} (${c.type}${c.environment === undefined ? "" : `, ${c.environment}`}, id ${c.id})`,
      )
      .join("; ");
    return {
      status: "ambiguous",
      reference,
      candidates,
      question: `"${reference}" matches ${candidates.length} resources: ${list}. Which one do you mean?`,
    };
  }
}
