import { isExactJson, jsonObjectSchema, jsonValueSchema } from "./json.js";
import { infrastructureSessionSchema } from "./stores.js";
import type { InfrastructureSession } from "./stores.js";
import { compileShapeCheck } from "./validation/schemaCompiler.js";
import type { ShapeCheck } from "./validation/schemaCompiler.js";

const isExactJsonObject = (value: unknown): boolean =>
  typeof value === "object" && value !== null && !Array.isArray(value) && isExactJson(value);

let check: ShapeCheck<InfrastructureSession> | undefined;

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
    compileShapeCheck(infrastructureSessionSchema, [
      [jsonObjectSchema, isExactJsonObject],
      [jsonValueSchema, (v) => isExactJson(v)],
    ]) ?? ((_: unknown): _ is InfrastructureSession => false);
  return check(value);
}
