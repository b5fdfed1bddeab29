import type { z } from "zod";
import { precompiledFastParser } from "./precompiled.js";
import { NOT_FAST, compileFastParser } from "./schemaCompiler.js";
import type { FastParser } from "./schemaCompiler.js";

// One rule for when a schema is worth compiling. Compiling costs once per process (our fast parser
// or shape check: one `new Function`; zod's JIT: one per object schema) and pays back only over many
// parses. A one-shot run (a CLI command, a config load) parses most schemas once or a few times, so
// a schema runs COLD (zod, jitless, nothing generated) for its first COLD_USES uses, and is compiled
// on the next: our fast parser first, zod with its JIT for what the fast parser declines. Every
// place that parses with a schema goes through here, so the threshold is one decision. (The session
// shape checks are not tiered: their answer picks the sessions store's lazy, trusted load path, so
// a cold "no" would change when a tampered record is found, not only the cost.)

/**
 * Uses of a schema that run without compiling anything; the next use compiles. Measured in
 * docs/decisions.md ("Stop 23"): compiling the manifest schema costs about as much as ~20 cold
 * parses, and a cold parse is ~1.5–3× a fast one.
 */
export const COLD_USES = 16;

const uses = new WeakMap<object, number>();

/** Counts one use of `schema`; true once it has been used more than {@link COLD_USES} times. */
function isWarm(schema: object): boolean {
  const count = uses.get(schema) ?? 0;
  if (count >= COLD_USES) return true;
  uses.set(schema, count + 1);
  return false;
}

const fastParsers = new WeakMap<object, FastParser<unknown> | null>();

/** The schema's fast parser, compiled on the first warm use (null when the schema has a kind it does not know). */
function fastParserOf(schema: z.ZodType): FastParser<unknown> | null {
  let parser = fastParsers.get(schema);
  if (parser === undefined) {
    parser = compileFastParser(schema) ?? null;
    fastParsers.set(schema, parser);
  }
  return parser;
}

/** The options of a zod parse that a tiered parse passes on (`jitless` is the tier's to decide). */
export interface TieredParseOptions {
  /** zod's `reportInput`: each issue carries the input it is about (a missing key told from a wrong type). */
  readonly reportInput?: boolean;
}

/**
 * zod's `safeParse` of `value` with `schema`, same result and issues, spending on compilation only
 * when the schema has earned it: jitless for its first {@link COLD_USES} uses, then through core's
 * fast parser when the schema has one and it vouches for the value, else zod with its JIT.
 */
export function tieredSafeParse<T extends z.ZodType>(
  schema: T,
  value: unknown,
  options: TieredParseOptions = {},
): z.ZodSafeParseResult<z.output<T>> {
  const precompiled = precompiledFastParser(schema);
  if (precompiled !== undefined) {
    const data = runFast(precompiled, value);
    if (data !== NOT_FAST) return { success: true, data: data as z.output<T> };
  }
  if (!isWarm(schema)) return schema.safeParse(value, { ...options, jitless: true });
  const fast = precompiled === undefined ? fastParserOf(schema) : null;
  if (fast !== null) {
    const data = runFast(fast, value);
    if (data !== NOT_FAST) return { success: true, data: data as z.output<T> };
  }
  return schema.safeParse(value, options);
}

/** The fast parser's answer; NOT_FAST when it throws (a check that throws is zod's to report). */
function runFast(fast: FastParser<unknown>, value: unknown): unknown {
  try {
    return fast(value);
  } catch {
    return NOT_FAST;
  }
}
