import { z } from "zod";

/**
 * `schema` with a description, as zod's `.describe(description)` gives it (the same entry in zod's
 * global registry, so `.description` and the JSON Schema read it), but without the copy of the
 * schema that `.describe` builds. Only for a schema just built for this one use: the description is
 * registered on `schema` itself, so on a shared schema it would reach every other use of it.
 */
export function described<T extends z.ZodType>(schema: T, description: string): T {
  z.globalRegistry.add(schema, { description });
  return schema;
}
