import type { z } from "zod";

// A fast path for parsing VALID manifests with their own zod schemas.
//
// The schemas stay the one owner of the rules: this module reads a schema's definition once and
// generates a plain function (literal keys, the schema's own limits, regexes and refinement
// functions) that accepts only what it can prove the schema accepts. Anything it is unsure of — a
// failing value, an unknown key of a strict object, a missing key without a default, a schema or
// check kind it does not know — makes it answer NOT_FAST, and the caller parses with zod, which
// then produces the diagnostics exactly as before. So a failure is always described by zod, and a
// success is the value zod would return (same keys, same order, defaults filled in, new objects
// and arrays); `fastParse.test.ts` checks that against zod with fast-check.

/** The answer of a fast parser when it cannot vouch for the value: parse it with zod instead. */
export const NOT_FAST: unique symbol = Symbol("NOT_FAST");

/** A fast parser: the value zod would return, or {@link NOT_FAST}. */
export type FastParser<T> = (value: unknown) => T | typeof NOT_FAST;

type Schema = z.core.$ZodType;
type Check = z.core.$ZodCheck<unknown>;

/** The fields of a zod definition this module reads (zod 4's `schema._zod.def`). */
interface DefLike {
  readonly type: string;
  readonly checks?: readonly Check[];
  readonly shape?: Readonly<Record<string, Schema>>;
  readonly catchall?: Schema;
  readonly element?: Schema;
  readonly innerType?: Schema;
  readonly defaultValue?: unknown;
  readonly coerce?: boolean;
  readonly format?: string;
}

/** The fields of a check definition this module reads. */
interface CheckDefLike {
  readonly check: string;
  readonly format?: string;
  readonly pattern?: RegExp;
  readonly maximum?: number;
  readonly minimum?: number;
  readonly fn?: (value: unknown) => unknown;
  readonly when?: unknown;
  readonly abort?: boolean;
}

/** Thrown while compiling: a schema kind the fast path does not handle (the caller keeps zod only). */
class Unsupported extends Error {}

const defOf = (schema: Schema): DefLike => schema._zod.def as unknown as DefLike;

/** Values the generated code refers to by index. */
interface Refs {
  /** Regexes of `regex` checks. */
  readonly regexes: RegExp[];
  /** Enum value sets. */
  readonly sets: ReadonlySet<unknown>[];
  /** Definitions of `default` nodes (their `defaultValue` getter hands out a fresh copy). */
  readonly defaults: DefLike[];
  /** Refinement functions (`refine`): a falsy result is a failure. */
  readonly refines: ((value: unknown) => unknown)[];
  /** Any other string check, run as zod runs it: the value after it, or NOT_FAST. */
  readonly generic: ((value: unknown) => unknown)[];
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
  readonly refs: Refs = { regexes: [], sets: [], defaults: [], refines: [], generic: [] };
  readonly functions: string[] = [];
  #count = 0;

  /** Emits the function checking `schema`; returns its name. */
  compile(schema: Schema): string {
    // A schema that is itself a check (a string format, `z.custom`, `refine` as a type) is zod's alone.
    if (schema._zod.traits.has("$ZodCheck")) throw new Unsupported("schema is a check");
    const def = defOf(schema);
    const name = `n${this.#count++}`;
    const body = this.#node(schema, def);
    this.functions.push(`function ${name}(v) {\n${body}\n}`);
    return name;
  }

  /**
   * Code of a check on `v` after the node's own parse. Inlined kinds are at least as strict as zod
   * (they ignore a `when`, which can only skip a check); any other check runs as zod runs it.
   */
  #check(check: Check, on: "string" | "array"): string {
    const def = check._zod.def as unknown as CheckDefLike;
    // zod measures strings in code points: more units than the maximum, or fewer than twice the
    // minimum, is left to zod; arrays are measured in elements.
    if (def.check === "max_length" && typeof def.maximum === "number")
      return `if (v.length > ${def.maximum}) return NF;`;
    if (def.check === "min_length" && typeof def.minimum === "number" && (on === "array" || def.minimum <= 1))
      return `if (v.length < ${def.minimum}) return NF;`;
    if (on === "array") throw new Unsupported(`array check ${def.check}`);
    if (def.check === "string_format" && def.format === "regex" && def.pattern instanceof RegExp) {
      const index = this.refs.regexes.push(def.pattern) - 1;
      return `R[${index}].lastIndex = 0; if (!R[${index}].test(v)) return NF;`;
    }
    if (def.check === "custom" && typeof def.fn === "function") {
      const index = this.refs.refines.push(def.fn) - 1;
      return `{ const r = F[${index}](v); if (r instanceof Promise || !r) return NF; }`;
    }
    const index = this.refs.generic.push(genericCheck(check)) - 1;
    return `v = G[${index}](v); if (v === NF) return NF;`;
  }

  #checks(def: DefLike, on: "string" | "array"): string {
    return (def.checks ?? []).map((check) => this.#check(check, on)).join("\n");
  }

  #node(schema: Schema, def: DefLike): string {
    const checks = def.checks ?? [];
    switch (def.type) {
      case "string":
        if (def.coerce === true || def.format !== undefined) throw new Unsupported("string format");
        return `if (typeof v !== "string") return NF;\n${this.#checks(def, "string")}\nreturn v;`;
      case "enum": {
        const values = schema._zod.values;
        if (values === undefined || checks.length > 0) throw new Unsupported("enum");
        const index = this.refs.sets.push(values) - 1;
        return `return S[${index}].has(v) ? v : NF;`;
      }
      case "unknown":
      case "any":
        if (checks.length > 0) throw new Unsupported("checked unknown");
        return "return v;";
      case "array": {
        if (def.element === undefined) throw new Unsupported("array without element");
        const element = this.compile(def.element);
        // Only length checks, run first: they decide alone, and nothing of an oversized array is parsed.
        return [
          "if (!Array.isArray(v)) return NF;",
          this.#checks(def, "array"),
          "const n = v.length; const out = new Array(n);",
          `for (let i = 0; i < n; i++) { const r = ${element}(v[i]); if (r === NF) return NF; out[i] = r; }`,
          "return out;",
        ].join("\n");
      }
      case "object":
        if (checks.length > 0) throw new Unsupported("checked object");
        return this.#object(def);
      case "optional": {
        if (def.innerType === undefined || checks.length > 0) throw new Unsupported("optional");
        const inner = this.compile(def.innerType);
        // An explicit undefined (never in JSON) is left to zod.
        return `return v === undefined ? NF : ${inner}(v);`;
      }
      case "default": {
        if (def.innerType === undefined || checks.length > 0) throw new Unsupported("default");
        const inner = this.compile(def.innerType);
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

  #object(def: DefLike): string {
    if (def.catchall !== undefined && defOf(def.catchall).type !== "never") throw new Unsupported("catchall");
    const shape = def.shape ?? {};
    if (Object.getOwnPropertySymbols(shape).length > 0) throw new Unsupported("symbol key");
    const keys = Object.keys(shape);
    if (keys.includes("__proto__")) throw new Unsupported("__proto__ key");
    const lines = ['if (typeof v !== "object" || v === null || Array.isArray(v)) return NF;'];
    // A stripping object ignores unknown keys; a strict one reports them (zod's to describe).
    if (def.catchall !== undefined) {
      const cases = keys.map((key) => `case ${JSON.stringify(key)}:`).join(" ");
      lines.push(`for (const k in v) { switch (k) { ${cases} break; default: return NF; } }`);
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
    lines.push("return out;");
    return lines.join("\n");
  }
}

/**
 * Builds the fast parser of `schema`, or returns undefined when the schema uses a kind the fast
 * path does not handle (it knows strings, enums, objects, arrays, optional, default and unknown,
 * and runs any check) or when the runtime forbids generating code. The parser never throws for a
 * value; it answers {@link NOT_FAST} when zod must decide.
 */
export function compileFastParser<T extends z.ZodType>(schema: T): FastParser<z.output<T>> | undefined {
  const compiler = new Compiler();
  let root: string;
  try {
    root = compiler.compile(schema);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
  const { regexes, sets, defaults, refines, generic } = compiler.refs;
  const source = `"use strict";\n${compiler.functions.join("\n")}\nreturn ${root};`;
  let build: (...refs: unknown[]) => FastParser<z.output<T>>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the schema's own definition, no input reaches the source
    build = new Function("NF", "R", "S", "D", "F", "G", source) as typeof build;
  } catch {
    return undefined; // code generation is disallowed here (a CSP, --disallow-code-generation-from-strings)
  }
  return build(NOT_FAST, regexes, sets, defaults, refines, generic);
}
