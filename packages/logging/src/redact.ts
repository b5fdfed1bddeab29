import { createSecretKeyPredicate, REDACTED } from "@espada/infra-core";

/** Options of {@link createRedactor}. */
export interface RedactorOptions {
  /** Regular-expression sources; every match inside a string is replaced by `[REDACTED]`. */
  readonly patterns?: readonly string[];
  /**
   * Extra secret key fragments, on top of core's `isSecretKey` (which decides for every package and
   * cannot be narrowed here): `["ssn"]` also redacts `userSsn`.
   */
  readonly secretKeys?: readonly string[];
  /** Nesting depth past which values become `"[Truncated]"` (default 12). */
  readonly maxDepth?: number;
}

/** A JSON-safe value produced by a {@link Redactor}. */
export type Loggable =
  null | boolean | number | string | readonly Loggable[] | { readonly [key: string]: Loggable };

/** Error details as written to a log entry; `cause` follows the error's cause chain. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string | number;
  readonly field?: string;
  readonly stack?: string;
  readonly cause?: SerializedError | Loggable;
  readonly errors?: readonly (SerializedError | Loggable)[];
  /** For a thrown non-error (a plain object, a number): its redacted value. */
  readonly value?: Loggable;
}

/** Turns any value into a JSON-safe copy with secrets replaced by `[REDACTED]`; never mutates its input, never throws. */
export interface Redactor {
  /** A redacted, JSON-safe copy of `value` (`undefined` stays `undefined`). */
  value(value: unknown): Loggable | undefined;
  /** `text` with every pattern match replaced. */
  text(text: string): string;
  /** A redacted description of an error (or of any thrown value). */
  error(error: unknown): SerializedError;
  /** True when a value under `key` is always redacted (core's `isSecretKey`, plus any extra `secretKeys`). */
  isSecretKey(key: string): boolean;
}

/**
 * Builds a {@link Redactor}. Pattern sources must compile; callers validate them first
 * (`loggingConfigSchema` does).
 */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const patterns = (options.patterns ?? []).map((source) => new RegExp(source, "g"));
  // The key decision is core's (one predicate for the validator, history, audit and logs); the
  // logger only adds its JSON-safe serialization, value patterns and error descriptions.
  const isSecretKey: (key: string) => boolean = createSecretKeyPredicate(options.secretKeys);
  const maxDepth = options.maxDepth ?? 12;

  const text = (input: string): string => {
    let out = input;
    for (const pattern of patterns) {
      pattern.lastIndex = 0;
      out = out.replace(pattern, REDACTED);
    }
    return out;
  };

  const read = (target: object, key: string | number): unknown => {
    try {
      return (target as Record<string | number, unknown>)[key];
    } catch {
      return "[Unreadable]";
    }
  };

  const walkError = (error: Error, ancestors: Set<object>, depth: number): SerializedError => {
    ancestors.add(error);
    const withCode = error as Error & { code?: unknown; field?: unknown; errors?: unknown };
    const code = read(withCode, "code");
    const field = read(withCode, "field");
    const stack = read(withCode, "stack");
    const cause = read(withCode, "cause");
    const errors = error instanceof AggregateError ? read(withCode, "errors") : undefined;
    const out: {
      name: string;
      message: string;
      code?: string | number;
      field?: string;
      stack?: string;
      cause?: SerializedError | Loggable;
      errors?: (SerializedError | Loggable)[];
    } = { name: text(String(read(error, "name"))), message: text(String(read(error, "message"))) };
    if (typeof code === "string") out.code = text(code);
    else if (typeof code === "number") out.code = code;
    if (typeof field === "string") out.field = text(field);
    if (typeof stack === "string") out.stack = text(stack);
    if (cause !== undefined) out.cause = walk(cause, ancestors, depth + 1) ?? null;
    if (Array.isArray(errors))
      out.errors = errors.map((item: unknown) => walk(item, ancestors, depth + 1) ?? null);
    ancestors.delete(error);
    return out;
  };

  const walk = (input: unknown, ancestors: Set<object>, depth: number): Loggable | undefined => {
    switch (typeof input) {
      case "string":
        return text(input);
      case "number":
        return Number.isFinite(input) ? input : String(input);
      case "boolean":
        return input;
      case "bigint":
        return input.toString();
      case "undefined":
        return undefined;
      case "symbol":
        return text(input.toString());
      case "function":
        return `[Function ${input.name || "anonymous"}]`;
      default:
        break;
    }
    if (input === null) return null;
    const object = input as object;
    if (ancestors.has(object)) return "[Circular]";
    if (depth >= maxDepth) return "[Truncated]";
    if (object instanceof Error) return walkError(object, ancestors, depth) as unknown as Loggable;
    if (object instanceof Date) return Number.isNaN(object.getTime()) ? "Invalid Date" : object.toISOString();
    if (object instanceof RegExp) return text(object.toString());
    if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer)
      return `[Binary ${object.byteLength} bytes]`;
    ancestors.add(object);
    try {
      if (Array.isArray(object)) {
        return object.map((item: unknown) => walk(item, ancestors, depth + 1) ?? null);
      }
      if (object instanceof Set) {
        return [...object].map((item: unknown) => walk(item, ancestors, depth + 1) ?? null);
      }
      // A null prototype makes a `__proto__` key an ordinary own property of the copy.
      const out = Object.create(null) as Record<string, Loggable>;
      const entries: [string, unknown][] =
        object instanceof Map
          ? [...object].map(([key, val]: [unknown, unknown]) => [String(key), val])
          : Object.keys(object).map((key) => [key, read(object, key)]);
      for (const [key, val] of entries) {
        if (isSecretKey(key)) {
          out[key] = REDACTED;
          continue;
        }
        const copy = walk(val, ancestors, depth + 1);
        if (copy !== undefined) out[key] = copy;
      }
      return out;
    } catch {
      return "[Unreadable]";
    } finally {
      ancestors.delete(object);
    }
  };

  return {
    value: (input) => walk(input, new Set(), 0),
    text,
    error: (input) => {
      if (input instanceof Error) return walkError(input, new Set(), 0);
      const value = walk(input, new Set(), 0);
      const message =
        typeof value === "string" ? value : `non-error value (${input === null ? "null" : typeof input})`;
      return value === undefined || typeof value === "string"
        ? { name: "NonError", message }
        : { name: "NonError", message, value };
    },
    isSecretKey,
  };
}
