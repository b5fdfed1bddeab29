import type { z } from "zod";
import { isExactJson, jsonObjectSchema, jsonValueSchema } from "./json.js";
import { commandHistoryEntrySchema, infrastructureSessionSchema } from "./stores.js";
import type { CommandHistoryEntry, InfrastructureSession } from "./stores.js";
import { compileShapeCheck } from "./validation/schemaCompiler.js";
import type { ShapeCheck } from "./validation/schemaCompiler.js";

const isExactJsonObject = (value: unknown): boolean =>
  typeof value === "object" && value !== null && !Array.isArray(value) && isExactJson(value);

const JSON_CHECKS = (): ReadonlyArray<readonly [z.ZodType, (value: unknown) => boolean]> => [
  [jsonObjectSchema, isExactJsonObject],
  [jsonValueSchema, (v) => isExactJson(v)],
];

let check: ShapeCheck<InfrastructureSession> | undefined;
let historyCheck: ShapeCheck<CommandHistoryEntry> | undefined;

/**
 * True when `infrastructureSessionSchema` would accept `value` and give it back unchanged: every
 * field valid, every defaulted field present, no unknown key, no property set to `undefined`. A
 * cheap structural check for hot paths (a store loading or writing many sessions), generated from
 * the schema on first use (see `validation/schemaCompiler.ts`); when it answers false the value may
 * still be valid (a default to fill in, a key to strip): parse it with the schema, which also names
 * the field and the reason of a failure.
 */
export function isInfrastructureSession(value: unknown): value is InfrastructureSession {
  check ??=
    compileShapeCheck(infrastructureSessionSchema, JSON_CHECKS()) ??
    ((_: unknown): _ is InfrastructureSession => false);
  return check(value);
}

/**
 * True when `commandHistoryEntrySchema` would accept `value` and give it back unchanged (see
 * {@link isInfrastructureSession}, generated the same way): what a store appending one history
 * entry per command checks before falling back to the schema.
 */
export function isCommandHistoryEntry(value: unknown): value is CommandHistoryEntry {
  historyCheck ??=
    compileShapeCheck(commandHistoryEntrySchema, JSON_CHECKS()) ??
    ((_: unknown): _ is CommandHistoryEntry => false);
  return historyCheck(value);
}
