import type { z } from "zod";
import { tieredSafeParse } from "../validation/tiered.js";
import { infrastructureConfigSchema } from "./schemas.js";
import type { InfrastructureConfig } from "./schemas.js";

// Configs core has validated, so a second owner of the same config (discovery's loader, then the
// framework it is handed to) need not parse it again. A branded config is frozen at every level
// (plain objects and arrays) before it is recorded, so it cannot change after it was checked; any
// other object, a copy with a change included, is not in the set and is parsed as before.

const validated = new WeakSet<object>();

/** Freezes plain objects and arrays at every level (the values zod's parse built, and JSON-like input under `unknown`). */
function freezeDeep(value: unknown): void {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return;
  const proto: unknown = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return;
  Object.freeze(value);
  for (const key of Object.keys(value)) freezeDeep((value as Record<string, unknown>)[key]);
}

/**
 * zod's `safeParse` of a whole `extensions.infrastructure` block with `reportInput` (issues as
 * `validateInfrastructureConfig` reads them). On success the config is frozen at every level and
 * branded: {@link isValidatedInfrastructureConfig} answers true for it, and
 * `parseInfrastructureConfig` hands it back without parsing it again.
 */
export function safeParseInfrastructureConfig(input: unknown): z.ZodSafeParseResult<InfrastructureConfig> {
  const parsed = tieredSafeParse(infrastructureConfigSchema, input, { reportInput: true });
  if (parsed.success) {
    freezeDeep(parsed.data);
    validated.add(parsed.data);
  }
  return parsed;
}

/**
 * True when `value` is a config that {@link safeParseInfrastructureConfig} produced (frozen, so
 * unchanged since); false for anything else, including an equal copy, which must be parsed.
 */
export function isValidatedInfrastructureConfig(value: unknown): value is InfrastructureConfig {
  return typeof value === "object" && value !== null && validated.has(value);
}
