import { isRecord } from "@espada/infra-core";

/** Environment variables interpolation reads (`process.env` by default). */
export type EnvironmentVariables = Readonly<Record<string, string | undefined>>;

/** A problem found while interpolating: a missing or malformed `${VAR}` reference. Never carries a value. */
export interface InterpolationIssue {
  /** `MISSING_ENV_VAR`, `INVALID_FORMAT` (bad reference) or `TOO_DEEP`. */
  readonly code: "MISSING_ENV_VAR" | "INVALID_FORMAT" | "TOO_DEEP";
  readonly message: string;
  /** Path of the string holding the reference, relative to the interpolated value. */
  readonly segments: readonly PropertyKey[];
  /** The variable's name, for `MISSING_ENV_VAR`. */
  readonly variable?: string;
}

/** Result of {@link interpolateEnv}: a copy with every resolvable reference replaced, and the problems. */
export interface InterpolationResult {
  readonly value: unknown;
  readonly issues: readonly InterpolationIssue[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_DEPTH = 64;

function interpolateString(
  text: string,
  env: EnvironmentVariables,
  segments: readonly PropertyKey[],
  issues: InterpolationIssue[],
): string {
  if (!text.includes("${")) return text;
  let out = "";
  let i = 0;
  while (i < text.length) {
    const escaped = text.startsWith("$${", i);
    if (escaped || text.startsWith("${", i)) {
      const open = escaped ? i + 3 : i + 2;
      const end = text.indexOf("}", open);
      if (end < 0) {
        if (escaped) {
          out += text.slice(i + 1);
        } else {
          issues.push({ code: "INVALID_FORMAT", message: "has an unterminated ${ reference", segments });
          out += text.slice(i);
        }
        break;
      }
      const name = text.slice(open, end);
      if (escaped) {
        out += text.slice(i + 1, end + 1);
      } else if (!NAME.test(name)) {
        issues.push({
          code: "INVALID_FORMAT",
          message: "has a ${…} reference that is not a variable name (letters, digits, _)",
          segments,
        });
        out += text.slice(i, end + 1);
      } else {
        const value = Object.hasOwn(env, name) ? env[name] : undefined;
        if (value === undefined) {
          issues.push({
            code: "MISSING_ENV_VAR",
            message: `refers to environment variable ${name}, which is not set`,
            segments,
            variable: name,
          });
          out += text.slice(i, end + 1);
        } else {
          out += value;
        }
      }
      i = end + 1;
      continue;
    }
    out += text[i];
    i += 1;
  }
  return out;
}

/**
 * Replaces `${VAR}` in every string of `value` (a deep copy; the input is not changed) with the
 * variable's value; `$${VAR}` stands for a literal `${VAR}`. A variable that is not set is a
 * `MISSING_ENV_VAR` issue naming it and the path, and the reference is left as written. Issues
 * never contain a value.
 */
export function interpolateEnv(value: unknown, env: EnvironmentVariables): InterpolationResult {
  const issues: InterpolationIssue[] = [];
  const seen = new Set<object>();
  const walk = (node: unknown, segments: PropertyKey[]): unknown => {
    if (typeof node === "string") return interpolateString(node, env, segments, issues);
    if (typeof node !== "object" || node === null) return node;
    if (segments.length >= MAX_DEPTH || seen.has(node)) {
      issues.push({
        code: "TOO_DEEP",
        message: `is nested too deeply or refers to itself (limit ${MAX_DEPTH} levels)`,
        segments,
      });
      return undefined;
    }
    seen.add(node);
    try {
      if (Array.isArray(node)) return node.map((item: unknown, index) => walk(item, [...segments, index]));
      const proto: unknown = Object.getPrototypeOf(node);
      if (!isRecord(node) || (proto !== Object.prototype && proto !== null)) return node;
      const copy: Record<string, unknown> = {};
      for (const key of Object.keys(node)) {
        const item = walk(node[key], [...segments, key]);
        Object.defineProperty(copy, key, {
          value: item,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return copy;
    } finally {
      seen.delete(node);
    }
  };
  return { value: walk(value, []), issues };
}
