import { z } from "zod";
import { deferred } from "../deferredSchema.js";

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

/**
 * A schema built on first use (`deferred`) that carries `description`, as `described` gives it.
 * zod's registry is keyed by the schema object, so the description is registered on both objects a
 * reader may meet: the stand-in, which is what other schemas embed (their JSON Schema reads its
 * entry), and the built schema, which `.description` read on the stand-in consults. Both are
 * registered when the schema is built (any use of the stand-in builds it; zod's JSON Schema walk
 * reads a schema's definition before its registry entry), so defining one loads nothing of zod.
 */
export function describedDeferred<T extends z.ZodType>(build: () => T, description: string): T {
  const standIn: T = deferred(() => {
    z.globalRegistry.add(standIn, { description });
    return described(build(), description);
  });
  return standIn;
}
