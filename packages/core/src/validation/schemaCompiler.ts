import type { z } from "zod";

// Fast paths for hot validation, generated from a zod schema, so the schema stays the one owner of
// the rules. This module reads a schema's definition once and generates a plain function (literal
// keys, the schema's own limits, regexes and refinement functions) in one of two modes:
//
// - a fast PARSER (`compileFastParser`) answers the value zod would return (same keys, same order,
//   defaults filled in, new objects and arrays) when it can prove zod accepts the input, and
//   NOT_FAST otherwise;
// - a SHAPE CHECK (`compileShapeCheck`) answers true only when zod would accept the input and give
//   it back unchanged (every defaulted key present, no unknown key, no property set to undefined),
//   without copying anything: what a store loading or writing thousands of records needs.
//
// Anything either mode is unsure of (a failing value, an unknown key, a missing key without a
// default, a schema or check kind it does not know) sends the caller to zod, which then produces the
// diagnostics exactly as before. Tests check both modes against zod with fast-check
// (`schemaCompiler.test.ts`, `precompiled.test.ts`, `sessionShape.test.ts`, discovery's
// `manifestFastParse.test.ts`). A parser can also be compiled at build time (`./precompiled.ts`).

/** The answer of a fast parser when it cannot vouch for the value: parse it with zod instead. */
export const NOT_FAST: unique symbol = Symbol("NOT_FAST");

/** A fast parser: the value zod would return, or {@link NOT_FAST}. */
export type FastParser<T> = (value: unknown) => T | typeof NOT_FAST;

/** A shape check: true when the schema accepts the value and gives it back unchanged. */
export type ShapeCheck<T> = (value: unknown) => value is T;

type Schema = z.core.$ZodType;
type Check = z.core.$ZodCheck<unknown>;
type Mode = "parse" | "check";
/** The kinds of value whose checks the compiler emits. */
type CheckedKind = "string" | "array" | "number" | "object";

/** The fields of a zod definition this module reads (zod 4's `schema._zod.def`). */
interface DefLike {
  readonly type: string;
  readonly checks?: readonly Check[];
  readonly shape?: Readonly<Record<string, Schema>>;
  readonly catchall?: Schema;
  readonly element?: Schema;
  readonly innerType?: Schema;
  readonly keyType?: Schema;
  readonly valueType?: Schema;
  readonly defaultValue?: unknown;
  readonly in?: Schema;
  readonly out?: Schema;
  readonly transform?: (value: unknown, payload: z.core.ParsePayload) => unknown;
  readonly coerce?: boolean;
  readonly format?: string;
  /** A record's mode (`loose`), absent for a plain record. */
  readonly mode?: string;
}

/** The fields of a check definition this module reads. */
interface CheckDefLike {
  readonly check: string;
  readonly format?: string;
  readonly pattern?: RegExp;
  readonly maximum?: number;
  readonly minimum?: number;
  readonly value?: unknown;
  readonly inclusive?: boolean;
  readonly fn?: (value: unknown) => unknown;
  readonly when?: unknown;
}

/** Thrown while compiling: a schema kind the fast path does not handle (the caller keeps zod only). */
class Unsupported extends Error {}

/**
 * The ranges of zod's number formats (`.int()` is `safeint`), as zod 4 checks them: an integer
 * format also needs a safe integer.
 */
const NUMBER_FORMAT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  safeint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  float32: [-3.4028234663852886e38, 3.4028234663852886e38],
  float64: [-Number.MAX_VALUE, Number.MAX_VALUE],
};

/** The body of a parser node that leaves every value to zod. */
const DECLINE = "return NF;";

const defOf = (schema: Schema): DefLike => schema._zod.def as unknown as DefLike;

/** A plain object (prototype `Object.prototype` or null): what JSON gives and a shape check accepts. */
function isPlain(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Values the generated code refers to by index. */
export interface Refs {
  /** Regexes of `regex` checks. */
  readonly regexes: RegExp[];
  /** Enum and literal value sets. */
  readonly sets: ReadonlySet<unknown>[];
  /** Definitions of `default` nodes (their `defaultValue` getter hands out a fresh copy). */
  readonly defaults: DefLike[];
  /** Refinement functions (`refine`): a falsy result is a failure. */
  readonly refines: ((value: unknown) => unknown)[];
  /** Any other check, run as zod runs it: the value after it, or NOT_FAST. */
  readonly generic: ((value: unknown) => unknown)[];
  /** The checks of `generic`, in the same order. */
  readonly checks: Check[];
  /** Shape checks of schemas the caller knows better than their definition (a transform that keeps its input). */
  readonly known: ((value: unknown) => boolean)[];
  /** Transform functions (`transform`, `preprocess`), run as zod runs them (see {@link transformRunner}). */
  readonly transforms: ((value: unknown, payload: z.core.ParsePayload) => unknown)[];
}

/** Runs one check as zod's `runChecks` does, on a payload of its own. */
function genericCheck(check: Check): (value: unknown) => unknown {
  return (value) => {
    const payload: z.core.ParsePayload = { value, issues: [] };
    const when = check._zod.def.when;
    if (when !== undefined && !when(payload)) return value;
    const result: unknown = check._zod.check(payload);
    return result instanceof Promise || payload.issues.length > 0 ? NOT_FAST : payload.value;
  };
}

class Compiler {
  readonly refs: Refs = {
    regexes: [],
    sets: [],
    defaults: [],
    refines: [],
    generic: [],
    checks: [],
    known: [],
    transforms: [],
  };
  readonly functions: string[] = [];
  readonly #mode: Mode;
  /** Schemas (by their `_zod` internals, the same through a deferred stand-in) with a known shape check. */
  readonly #known: ReadonlyMap<object, (value: unknown) => boolean>;
  /** What a node returns when it cannot vouch for the value. */
  readonly #fail: string;
  /** The function emitted for each schema (by its `_zod` internals, the same through a deferred stand-in). */
  readonly #bySchema = new Map<object, string>();
  /** The function emitted for each body. */
  readonly #byBody = new Map<string, string>();

  constructor(mode: Mode, known: ReadonlyMap<object, (value: unknown) => boolean>) {
    this.#mode = mode;
    this.#known = known;
    this.#fail = mode === "parse" ? "return NF;" : "return false;";
  }

  /** Emits the function checking `schema`; returns its name. */
  compile(schema: Schema): string {
    // A schema met again (a shared one: a provider id, a JSON object) is the function already made
    // for it, and so is any node whose code is the same as one already emitted.
    const compiled = this.#bySchema.get(schema._zod);
    if (compiled !== undefined) return compiled;
    const known = this.#known.get(schema._zod);
    let body: string;
    if (known !== undefined) {
      if (this.#mode === "parse") throw new Unsupported("known schema in parse mode");
      body = `return K[${this.refs.known.push(known) - 1}](v);`;
    } else body = this.#nodeOrDecline(schema);
    let name = this.#byBody.get(body);
    if (name === undefined) {
      name = `n${this.#byBody.size}`;
      this.#byBody.set(body, name);
      this.functions.push(`function ${name}(v) {\n${body}\n}`);
    }
    this.#bySchema.set(schema._zod, name);
    return name;
  }

  /** Whether the function `name` leaves every value to zod. */
  declines(name: string): boolean {
    return this.#byBody.get(DECLINE) === name;
  }

  /**
   * The node's code. A parser declines at a node of a kind it does not know (zod decides every
   * value that reaches it; a key whose schema zod alone knows may still be absent), so one union or
   * transform deep in a config does not cost the whole schema its fast parser. A shape check refuses
   * the schema instead: its caller picks a code path by whether the check exists.
   */
  #nodeOrDecline(schema: Schema): string {
    if (this.#mode === "check") return this.#node(schema, defOf(schema));
    try {
      return this.#node(schema, defOf(schema));
    } catch (error) {
      if (error instanceof Unsupported) return DECLINE;
      throw error;
    }
  }

  /**
   * Code of a check on `v` after the node's own type test. Inlined kinds are at least as strict as
   * zod (they ignore a `when`, which can only skip a check); any other check runs as zod runs it.
   */
  #check(check: Check, on: CheckedKind): string {
    const def = check._zod.def as unknown as CheckDefLike;
    const fail = this.#fail;
    // zod measures strings in code points: more units than the maximum, or fewer than twice the
    // minimum, is left to zod; arrays are measured in elements.
    const sized = on === "string" || on === "array";
    if (sized && def.check === "max_length" && typeof def.maximum === "number")
      return `if (v.length > ${def.maximum}) ${fail}`;
    if (
      sized &&
      def.check === "min_length" &&
      typeof def.minimum === "number" &&
      (on === "array" || def.minimum <= 1)
    )
      return `if (v.length < ${def.minimum}) ${fail}`;
    if (on === "array") throw new Unsupported(`array check ${def.check}`);
    if (on === "number" && (def.check === "greater_than" || def.check === "less_than")) {
      if (typeof def.value !== "number") throw new Unsupported("bound");
      const op =
        def.check === "greater_than"
          ? def.inclusive === true
            ? "<"
            : "<="
          : def.inclusive === true
            ? ">"
            : ">=";
      return `if (v ${op} ${def.value}) ${fail}`;
    }
    if (on === "number" && def.check === "number_format" && def.format !== undefined) {
      const range = NUMBER_FORMAT_RANGES[def.format];
      if (range === undefined) throw new Unsupported(`number format ${def.format}`);
      const integer = def.format.includes("int") ? "!Number.isSafeInteger(v) || " : "";
      return `if (${integer}v < ${range[0]} || v > ${range[1]}) ${fail}`;
    }
    if (
      on === "string" &&
      def.check === "string_format" &&
      def.format === "regex" &&
      def.pattern instanceof RegExp
    ) {
      const index = this.refs.regexes.push(def.pattern) - 1;
      return `R[${index}].lastIndex = 0; if (!R[${index}].test(v)) ${fail}`;
    }
    if (def.check === "custom" && typeof def.fn === "function") {
      const index = this.refs.refines.push(def.fn) - 1;
      return `{ const r = F[${index}](v); if (r instanceof Promise || !r) ${fail} }`;
    }
    const index = this.refs.generic.push(genericCheck(check)) - 1;
    this.refs.checks.push(check);
    // a check that changes the value (`overwrite`) fails a shape check
    return this.#mode === "parse"
      ? `v = G[${index}](v); if (v === NF) return NF;`
      : `if (G[${index}](v) !== v) return false;`;
  }

  #checks(def: DefLike, on: CheckedKind): string {
    return (def.checks ?? []).map((check) => this.#check(check, on)).join("\n");
  }

  /** What a node returns for a value that passed: itself when parsing, true when checking. */
  #accept(value: string): string {
    return this.#mode === "parse" ? `return ${value};` : "return true;";
  }

  #node(schema: Schema, def: DefLike): string {
    // A schema that is itself a check (a string format, `z.custom`, `refine` as a type) is zod's alone.
    if (schema._zod.traits.has("$ZodCheck")) throw new Unsupported("schema is a check");
    const checks = def.checks ?? [];
    const fail = this.#fail;
    switch (def.type) {
      case "string":
        if (def.coerce === true || def.format !== undefined) throw new Unsupported("string format");
        return `if (typeof v !== "string") ${fail}\n${this.#checks(def, "string")}\n${this.#accept("v")}`;
      case "number":
        // zod's number refuses NaN and ±Infinity; any format (int, float32…) is a check run as zod runs it
        if (def.coerce === true || def.format !== undefined) throw new Unsupported("number format");
        return `if (typeof v !== "number" || !Number.isFinite(v)) ${fail}\n${this.#checks(def, "number")}\n${this.#accept("v")}`;
      case "boolean":
        if (def.coerce === true || checks.length > 0) throw new Unsupported("boolean");
        return `if (typeof v !== "boolean") ${fail}\n${this.#accept("v")}`;
      case "enum":
      case "literal": {
        const values = schema._zod.values;
        if (values === undefined || checks.length > 0) throw new Unsupported(def.type);
        const index = this.refs.sets.push(values) - 1;
        return `if (!S[${index}].has(v)) ${fail}\n${this.#accept("v")}`;
      }
      case "unknown":
      case "any":
        if (checks.length > 0) throw new Unsupported("checked unknown");
        return this.#accept("v");
      case "array":
        return this.#array(def);
      case "object":
        if (this.#mode === "check") {
          if (checks.length > 0) throw new Unsupported("checked object");
          return this.#checkObject(def);
        }
        // zod runs an object's checks (refine, superRefine) on the object it built
        return checks.length === 0
          ? `${this.#parseObject(def)}\nreturn out;`
          : `${this.#parseObject(def)}\nv = out;\n${this.#checks(def, "object")}\nreturn v;`;
      case "record":
        return this.#mode === "parse" ? this.#parseRecord(def) : this.#record(def);
      case "pipe": {
        // zod runs `in`, then `out` on its value; any issue stops it (a codec, with its reverse, is zod's)
        if (this.#mode === "check" || def.in === undefined || def.out === undefined)
          throw new Unsupported("pipe");
        if (checks.length > 0 || def.transform !== undefined) throw new Unsupported("pipe");
        const first = this.compile(def.in);
        const then = this.compile(def.out);
        return `const r = ${first}(v);\nreturn r === NF ? NF : ${then}(r);`;
      }
      case "transform": {
        if (this.#mode === "check" || typeof def.transform !== "function" || checks.length > 0)
          throw new Unsupported("transform");
        return `return T[${this.refs.transforms.push(def.transform) - 1}](v);`;
      }
      case "prefault": {
        // zod parses the prefault value in place of an absent one (a default that is then validated)
        if (this.#mode === "check" || def.innerType === undefined || checks.length > 0)
          throw new Unsupported("prefault");
        const inner = this.compile(def.innerType);
        const index = this.refs.defaults.push(def) - 1;
        return `if (v === undefined) v = D[${index}].defaultValue;\nreturn ${inner}(v);`;
      }
      case "optional": {
        if (def.innerType === undefined || checks.length > 0) throw new Unsupported("optional");
        const inner = this.compile(def.innerType);
        // An explicit undefined (never in JSON) is left to zod; an absent key is the object's to judge.
        return `return v === undefined ? ${this.#mode === "parse" ? "NF" : "false"} : ${inner}(v);`;
      }
      case "default": {
        if (def.innerType === undefined || checks.length > 0) throw new Unsupported("default");
        const inner = this.compile(def.innerType);
        // A shape check only sees present values: zod would fill an absent one in (a change).
        if (this.#mode === "check") return `return v !== undefined && ${inner}(v);`;
        const index = this.refs.defaults.push(def) - 1;
        return [
          `if (v === undefined) return D[${index}].defaultValue;`,
          `const r = ${inner}(v);`,
          `return r === undefined ? D[${index}].defaultValue : r;`,
        ].join("\n");
      }
      default:
        throw new Unsupported(def.type);
    }
  }

  #array(def: DefLike): string {
    if (def.element === undefined) throw new Unsupported("array without element");
    const element = this.compile(def.element);
    // Only length checks, run first: they decide alone, and nothing of an oversized array is read.
    const head = ["if (!Array.isArray(v)) " + this.#fail, this.#checks(def, "array"), "const n = v.length;"];
    if (this.#mode === "check")
      return [
        ...head,
        `for (let i = 0; i < n; i++) if (!${element}(v[i])) return false;`,
        "return true;",
      ].join("\n");
    return [
      ...head,
      "const out = new Array(n);",
      `for (let i = 0; i < n; i++) { const r = ${element}(v[i]); if (r === NF) return NF; out[i] = r; }`,
      "return out;",
    ].join("\n");
  }

  /** The value schema's function of a record keyed by plain strings (any other record is zod's). */
  #recordValue(def: DefLike): string {
    if (def.keyType === undefined || def.valueType === undefined || def.mode !== undefined)
      throw new Unsupported("record");
    const key = defOf(def.keyType);
    if (key.type !== "string" || (key.checks ?? []).length > 0 || key.format !== undefined)
      throw new Unsupported("record key");
    return this.compile(def.valueType);
  }

  /** A shape check of a record keyed by plain strings. */
  #record(def: DefLike): string {
    const value = this.#recordValue(def);
    return `if (!P(v)) return false;\nfor (const k in v) if (!${value}(v[k])) return false;\nreturn true;`;
  }

  /**
   * A parser of a record keyed by plain strings, building a new object as zod does: own enumerable
   * keys in order, `__proto__` left out; a symbol key (which a string key schema refuses) is zod's.
   */
  #parseRecord(def: DefLike): string {
    const value = this.#recordValue(def);
    return [
      "if (!P(v)) return NF;",
      "const out = {};",
      "for (const k of Reflect.ownKeys(v)) {",
      '  if (typeof k !== "string") return NF;',
      '  if (k === "__proto__" || !Object.prototype.propertyIsEnumerable.call(v, k)) continue;',
      `  const r = ${value}(v[k]); if (r === NF) return NF; out[k] = r;`,
      "}",
      "return out;",
    ].join("\n");
  }

  /** The keys of an object schema that the generated code can name literally. */
  #shapeKeys(def: DefLike): string[] {
    const shape = def.shape ?? {};
    if (Object.getOwnPropertySymbols(shape).length > 0) throw new Unsupported("symbol key");
    const keys = Object.keys(shape);
    if (keys.includes("__proto__")) throw new Unsupported("__proto__ key");
    return keys;
  }

  #parseObject(def: DefLike): string {
    if (def.catchall !== undefined && defOf(def.catchall).type !== "never") throw new Unsupported("catchall");
    const shape = def.shape ?? {};
    const keys = this.#shapeKeys(def);
    const lines = ['if (typeof v !== "object" || v === null || Array.isArray(v)) return NF;'];
    // A stripping object ignores unknown keys; a strict one reports them (zod's to describe).
    if (def.catchall !== undefined) {
      const cases = keys.map((key) => `case ${JSON.stringify(key)}:`).join(" ");
      lines.push(
        keys.length === 0
          ? "for (const k in v) return NF;"
          : `for (const k in v) { switch (k) { ${cases} break; default: return NF; } }`,
      );
    }
    lines.push("const out = {}; let r;");
    for (const key of keys) {
      const schema = shape[key] as Schema;
      const fn = this.compile(schema);
      const k = JSON.stringify(key);
      const { optin, optout } = schema._zod;
      let absent: string;
      // Absent: left out when optional, the default when defaulted; a required key is zod's to report.
      if (optin === undefined) absent = "return NF;";
      else if (optin === "optional" && optout === "optional") absent = "";
      else {
        const keepUndefined = optin === "defaulted" && optout !== "optional";
        absent = `r = ${fn}(undefined); if (r === NF) return NF; if (r !== undefined) out[${k}] = r;${
          keepUndefined ? ` else out[${k}] = undefined;` : ""
        }`;
      }
      lines.push(
        `if (${k} in v) { r = v[${k}]; if (r === undefined) return NF; r = ${fn}(r); if (r === NF) return NF; out[${k}] = r; }` +
          (absent === "" ? "" : ` else { ${absent} }`),
      );
    }
    return lines.join("\n");
  }

  /**
   * A plain object holding only the schema's keys, none set to undefined, every key that is not
   * purely optional present, each value passing its own check. Unknown keys fail whether the
   * schema strips them or reports them: either way zod would not give the value back unchanged.
   */
  #checkObject(def: DefLike): string {
    const shape = def.shape ?? {};
    const keys = this.#shapeKeys(def);
    const lines = [
      "if (!P(v)) return false;",
      "let n = 0; for (const k in v) { if (v[k] === undefined) return false; n++; }",
      "let m = 0; let r;",
    ];
    for (const key of keys) {
      const schema = shape[key] as Schema;
      const fn = this.compile(schema);
      const k = JSON.stringify(key);
      // an inherited name (`constructor`) must be the object's own to count
      const read = key in Object.prototype ? `(Object.hasOwn(v, ${k}) ? v[${k}] : undefined)` : `v[${k}]`;
      // Absent is unchanged only for a plain optional: zod runs a default (or anything optional) inside it
      const inner = defOf(schema).type === "optional" ? defOf(schema).innerType : undefined;
      const absent = inner !== undefined && inner._zod.optin === undefined ? "" : " else return false;";
      lines.push(`r = ${read}; if (r !== undefined) { if (!${fn}(r)) return false; m++; }${absent}`);
    }
    lines.push("return n === m;");
    return lines.join("\n");
  }
}

/** A compiled schema: the source of a function body returning its root function, and the values it uses. */
export interface CompiledSchema {
  /** Body of `function (NF, R, S, D, F, G, K, P, T)` returning the parser or check (see {@link instantiate}). */
  readonly source: string;
  /** The values the source refers to, in the order it numbers them. */
  readonly refs: Refs;
}

/**
 * Makes the function `source` describes with `refs` (any object with the indexed members it
 * reads); undefined when the runtime forbids generating code.
 */
function instantiate<F>(source: string, refs: RefsIn): F | undefined {
  let build: (...refs: unknown[]) => F;
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from a schema's own definition, no input reaches the source
    build = new Function(...SOURCE_PARAMETERS, source) as typeof build;
  } catch {
    return undefined; // code generation is disallowed here (a CSP, --disallow-code-generation-from-strings)
  }
  return construct(build, refs);
}

/** The values a compiled source's function is made with (transforms already wrapped, see {@link transformRunner}). */
export type RefsIn = { readonly [K in Exclude<keyof Refs, "checks">]: ArrayLike<unknown> };

/** The parameters of a compiled source's function, in order. */
export const SOURCE_PARAMETERS = ["NF", "R", "S", "D", "F", "G", "K", "P", "T"] as const;

/**
 * Calls `build`, a function of {@link SOURCE_PARAMETERS} whose body is a compiled source (made by
 * {@link instantiate}, or written as code by the build), with `refs`.
 */
export function construct<F>(build: (...refs: never[]) => F, refs: RefsIn): F {
  const { regexes, sets, defaults, refines, generic, known, transforms } = refs;
  const args: unknown[] = [NOT_FAST, regexes, sets, defaults, refines, generic, known, isPlain, transforms];
  return (build as (...refs: unknown[]) => F)(...args);
}

/** Compiles `schema` in `mode`; undefined when it uses a kind that mode does not handle. */
function compileSchema(
  schema: Schema,
  mode: Mode,
  known: ReadonlyMap<object, (value: unknown) => boolean>,
): CompiledSchema | undefined {
  const compiler = new Compiler(mode, known);
  let root: string;
  try {
    root = compiler.compile(schema);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
  // a parser that declines at its root would only add a call before zod
  if (compiler.declines(root)) return undefined;
  return { source: `"use strict";\n${compiler.functions.join("\n")}\nreturn ${root};`, refs: compiler.refs };
}

/** Compiles `schema` in `mode` and makes the function; undefined when it cannot. */
function compileIn<F>(
  schema: Schema,
  mode: Mode,
  known: ReadonlyMap<object, (value: unknown) => boolean>,
): F | undefined {
  const compiled = compileSchema(schema, mode, known);
  if (compiled === undefined) return undefined;
  const { refs } = compiled;
  return instantiate<F>(compiled.source, { ...refs, transforms: refs.transforms.map(transformRunner) });
}

/**
 * Runs a transform as zod runs it, on a payload of its own: its result, or NOT_FAST when it
 * reported an issue or answered with a promise.
 */
export function transformRunner(
  transform: (value: unknown, payload: z.core.ParsePayload) => unknown,
): (value: unknown) => unknown {
  return (value) => {
    const payload: z.core.ParsePayload = { value, issues: [] };
    const out = transform(value, payload);
    return out instanceof Promise || payload.issues.length > 0 ? NOT_FAST : out;
  };
}

/**
 * The fast parser of `schema` as source and values, not yet made into a function: what a parser
 * compiled ahead of time is built from (see `./precompiled.ts`). Undefined as for {@link compileFastParser}.
 */
export function compileFastParserSource(schema: z.ZodType): CompiledSchema | undefined {
  return compileSchema(schema, "parse", new Map());
}

/**
 * Builds the fast parser of `schema`, or returns undefined when the schema's root is a kind the
 * fast path does not handle (it knows strings, numbers, booleans, enums, literals, objects,
 * arrays, records, optional, default, prefault, pipes, transforms and unknown, and runs any check;
 * deeper down, a node of another kind declines every value that reaches it) or when the runtime
 * forbids generating code. The parser never throws for a value; it answers {@link NOT_FAST} when
 * zod must decide.
 */
export function compileFastParser<T extends z.ZodType>(schema: T): FastParser<z.output<T>> | undefined {
  return compileIn<FastParser<z.output<T>>>(schema, "parse", new Map());
}

/**
 * Builds the shape check of `schema` (see {@link ShapeCheck}): the kinds of
 * {@link compileFastParser}, string-keyed records, and `known` schemas (a transform that keeps its input, which no
 * definition can show) checked by the function given for each. Undefined when the schema uses
 * another kind or the runtime forbids generating code. A false answer does not mean invalid (a
 * default to fill in, a key to strip): parse with the schema, which names the field and the reason.
 */
export function compileShapeCheck<T extends z.ZodType>(
  schema: T,
  known: ReadonlyArray<readonly [z.ZodType, (value: unknown) => boolean]> = [],
): ShapeCheck<z.output<T>> | undefined {
  const byInternals = new Map(known.map(([s, check]) => [s._zod as object, check]));
  return compileIn<ShapeCheck<z.output<T>>>(schema, "check", byInternals);
}
