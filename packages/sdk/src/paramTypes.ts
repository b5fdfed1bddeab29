import type { ParameterType, ResourceType } from "@espada/infra-core";

/** The TypeScript type of a value for each parameter type. */
export interface ParamValueTypes {
  string: string;
  number: number;
  boolean: boolean;
  array: unknown[];
  object: Record<string, unknown>;
  file: string;
  secret: string;
  "resource-ref": string;
}

/** An empty params object: the type of a command with no parameters. */
export type NoParams = Record<never, never>;

/** Flattens an intersection into one object type (`{ a: 1 } & { b: 2 }` → `{ a: 1; b: 2 }`). */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** Options every parameter accepts. */
export interface CommonParamOptions<T> {
  /** The caller must supply it (unless it has a `default`). Default `false`. */
  readonly required?: boolean;
  /** Value used when the caller omits it; a parameter with a default is always present for the handler. */
  readonly default?: T;
  /** Redact it in anything shown or logged. */
  readonly sensitive?: boolean;
}

/** Options of a string parameter. */
export interface StringParamOptions extends CommonParamOptions<string> {
  /** Regular expression the value must match. */
  readonly pattern?: string | RegExp;
  /** Minimum length. */
  readonly min?: number;
  /** Maximum length. */
  readonly max?: number;
  /** Allowed values; the handler sees their literal union. */
  readonly enum?: readonly string[];
}

/** Options of a number parameter. */
export interface NumberParamOptions extends CommonParamOptions<number> {
  /** Smallest allowed value. */
  readonly min?: number;
  /** Largest allowed value. */
  readonly max?: number;
  /** Allowed values; the handler sees their literal union. */
  readonly enum?: readonly number[];
}

/** Options of a boolean parameter. */
export type BooleanParamOptions = CommonParamOptions<boolean>;

/** Options of an array parameter. */
export interface ArrayParamOptions<I extends ParameterType = ParameterType> extends CommonParamOptions<
  readonly unknown[]
> {
  /** Element type; the handler sees `ParamValueTypes[items][]`. */
  readonly items?: I;
  /** Minimum number of elements. */
  readonly min?: number;
  /** Maximum number of elements. */
  readonly max?: number;
}

/** Options of an object parameter. */
export type ObjectParamOptions = CommonParamOptions<Readonly<Record<string, unknown>>>;

/** Options of a file parameter (a path). */
export interface FileParamOptions extends CommonParamOptions<string> {
  /** Regular expression the path must match (`\\.ya?ml$`). */
  readonly pattern?: string | RegExp;
}

/** Options of a secret parameter: always sensitive, never has a default. */
export interface SecretParamOptions {
  /** The caller must supply it. Default `false`. */
  readonly required?: boolean;
  /** Regular expression the value must match. */
  readonly pattern?: string | RegExp;
  /** Minimum length. */
  readonly min?: number;
  /** Maximum length. */
  readonly max?: number;
}

/**
 * Options of a resource-reference parameter. Callers pass a resource id or `{ id, type? }`; the
 * handler always receives the id string (`BaseInfrastructureProvider` reduces the object form).
 */
export interface ResourceRefParamOptions extends CommonParamOptions<string> {
  /** Resource type the reference must point at. */
  readonly resourceType?: ResourceType;
  /** Regular expression the id must match. */
  readonly pattern?: string | RegExp;
}

/** True when the handler always receives the parameter: it is required or has a default. */
export type AlwaysPresent<O> = O extends { readonly required: true }
  ? true
  : O extends { readonly default: infer D }
    ? [D] extends [undefined]
      ? false
      : true
    : false;

/** True when the caller must pass the parameter: required and without a default. */
export type CallerMustPass<O> = O extends { readonly required: true }
  ? O extends { readonly default: infer D }
    ? [D] extends [undefined]
      ? true
      : false
    : true
  : false;

/** The value type of a parameter: the literal union of its `enum` when it has one, `T` otherwise. */
export type ValueOf<O, T> = O extends { readonly enum: readonly (infer E)[] } ? E : T;

/**
 * Ties a parameter's `default` to its `enum`: `E` is inferred from `enum` alone, so
 * `{ enum: ["a", "b"], default: "c" }` does not compile (`"c"` is not assignable to `"a" | "b"`).
 */
export interface EnumDefault<E> {
  readonly default?: NoInfer<E>;
}

/** The element type of an array parameter with `items`. */
export type ArrayValueOf<O> = O extends { readonly items: infer I extends ParameterType }
  ? ParamValueTypes[I][]
  : unknown[];

/** Adds one parameter `N` of type `V` to the params object `P`, optional unless `Present`. */
export type AddParam<P, N extends string, V, Present extends boolean> = Simplify<
  P & (Present extends true ? { [K in N]: V } : { [K in N]?: V })
>;
