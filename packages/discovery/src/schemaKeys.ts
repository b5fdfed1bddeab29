import type { z } from "zod";

interface DefLike {
  readonly type?: string;
  readonly shape?: Readonly<Record<string, unknown>>;
  readonly innerType?: unknown;
  readonly element?: unknown;
  readonly in?: unknown;
}

const WRAPPERS = new Set(["default", "prefault", "optional", "nullable", "readonly", "catch", "nonoptional"]);

function defOf(schema: unknown): DefLike | undefined {
  const zod = (schema as { _zod?: { def?: DefLike } } | null | undefined)?._zod;
  return zod?.def;
}

function unwrap(schema: unknown): DefLike | undefined {
  let def = defOf(schema);
  for (let depth = 0; def !== undefined && depth < 32; depth++) {
    if (def.type !== undefined && WRAPPERS.has(def.type)) def = defOf(def.innerType);
    else if (def.type === "pipe") def = defOf(def.in);
    else return def;
  }
  return def;
}

/**
 * The keys an object schema accepts at `path` (array indexes step into the element schema), or
 * undefined when the path does not lead to an object schema (an open map, a union, a leaf). Used to
 * suggest the closest valid key for a typo.
 */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): readonly string[] | undefined {
  let def = unwrap(schema);
  for (const segment of path) {
    if (def === undefined) return undefined;
    if (typeof segment === "number") {
      if (def.type !== "array") return undefined;
      def = unwrap(def.element);
      continue;
    }
    if (
      def.type !== "object" ||
      def.shape === undefined ||
      typeof segment !== "string" ||
      !Object.hasOwn(def.shape, segment)
    )
      return undefined;
    def = unwrap(def.shape[segment]);
  }
  if (def?.type !== "object" || def.shape === undefined) return undefined;
  return Object.keys(def.shape);
}
