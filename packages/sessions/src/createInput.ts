import { z } from "zod";
import { isJsonValue, jsonObjectSchema, providerAuthSchema } from "@espada/infra-core";
import type { JsonObject } from "@espada/infra-core";
import { parseOptions } from "./problems.js";

/** Schema of the input of `InfrastructureSessionManager.createSession`. */
export const createSessionInputSchema = z.object({
  userId: z.string().min(1),
  environment: z.string().min(1).default("development"),
  providerId: z.string().min(1).optional(),
  instanceId: z.string().min(1).optional(),
  auth: providerAuthSchema.optional(),
  variables: jsonObjectSchema.default({}),
  metadata: jsonObjectSchema.default({}),
  /** TTL of this session (ms); defaults to `sessionConfig.timeout`. */
  timeout: z.number().int().positive().optional(),
});
/** Input of `InfrastructureSessionManager.createSession`. */
export type CreateSessionInput = z.input<typeof createSessionInputSchema>;
/** The input of `createSession` as the schema gives it back (defaults applied). */
type ParsedCreateInput = z.output<typeof createSessionInputSchema>;

const isOptionalName = (value: unknown): value is string | undefined =>
  value === undefined || (typeof value === "string" && value.length > 0);

/**
 * A JSON object the schema's `jsonObjectSchema` gives back with the same content: a plain object
 * of JSON (core's `isJsonValue`, the predicate the schema applies), without a symbol key (the schema
 * refuses it) or an own `__proto__` key (the schema drops it).
 */
function isSimpleJsonObject(value: unknown): value is JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  return (
    !Object.hasOwn(value, "__proto__") &&
    Object.getOwnPropertySymbols(value).length === 0 &&
    isJsonValue(value)
  );
}

/**
 * Session variables (or metadata) as core's `jsonObjectSchema` gives them back, the one rule of
 * every entry point (`createSession`, `updateVariables`): an own `__proto__` key at the top is
 * dropped, as the schema drops it (`constructor`, `prototype` and a `__proto__` key deeper down are
 * data, kept as given). A simple JSON object is the caller's object itself (the store keeps a frozen
 * copy); anything else is parsed, and refused with a `ValidationError` naming `what` and the path.
 */
export function parseJsonObject(value: unknown, what: string): JsonObject {
  return isSimpleJsonObject(value) ? value : parseOptions(jsonObjectSchema, value, what);
}

/**
 * What the schema gives back for the common input (no `auth`, plain JSON variables and metadata),
 * checked here without a schema parse; undefined for anything else, which the schema parses (and,
 * when it is invalid, names the field). Accepts only what the schema accepts, with the same result
 * (`createInput.test.ts` checks both against each other on generated input).
 */
function quickParse(input: unknown): ParsedCreateInput | undefined {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return undefined;
  const { userId, environment, providerId, instanceId, auth, variables, metadata, timeout } = input as Record<
    string,
    unknown
  >;
  if (typeof userId !== "string" || userId.length === 0 || auth !== undefined) return undefined;
  if (!isOptionalName(environment) || !isOptionalName(providerId) || !isOptionalName(instanceId))
    return undefined;
  if (timeout !== undefined && !(Number.isSafeInteger(timeout) && (timeout as number) > 0)) return undefined;
  if (variables !== undefined && !isSimpleJsonObject(variables)) return undefined;
  if (metadata !== undefined && !isSimpleJsonObject(metadata)) return undefined;
  return {
    userId,
    environment: environment ?? "development",
    ...(providerId === undefined ? {} : { providerId }),
    ...(instanceId === undefined ? {} : { instanceId }),
    variables: variables ?? {},
    metadata: metadata ?? {},
    ...(timeout === undefined ? {} : { timeout: timeout as number }),
  };
}

/**
 * The input of `createSession` as {@link createSessionInputSchema} parses it; a `ValidationError`
 * naming every bad field otherwise. The variables and metadata may be the caller's objects: the
 * store keeps a frozen copy of what it is given.
 */
export function parseCreateInput(input: unknown): ParsedCreateInput {
  return quickParse(input) ?? parseOptions(createSessionInputSchema, input, "session input");
}
