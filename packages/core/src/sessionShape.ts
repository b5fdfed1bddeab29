import { AUTH_METHODS, COMMAND_CATEGORIES } from "./taxonomy.js";
import { SESSION_STATES } from "./stores.js";
import type { InfrastructureSession } from "./stores.js";

// A hand-written twin of `infrastructureSessionSchema` for hot paths (a store loading or writing
// thousands of sessions): the schema stays the one definition, and `sessionShape.test.ts` checks
// with fast-check that whatever this accepts the schema accepts and gives back unchanged.

const MAX_DEPTH = 256;
const ISO_4217 = /^[A-Z]{3}$/;
const authMethods: ReadonlySet<unknown> = new Set(AUTH_METHODS);
const categories: ReadonlySet<unknown> = new Set(COMMAND_CATEGORIES);
const states: ReadonlySet<unknown> = new Set(SESSION_STATES);
const costPeriods: ReadonlySet<unknown> = new Set(["once", "hourly", "daily", "monthly"]);

type Obj = Record<string, unknown>;

const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isString = (v: unknown): v is string => typeof v === "string";
const isOptionalString = (v: unknown): boolean => v === undefined || typeof v === "string";
const isOptionalNumber = (v: unknown): boolean => v === undefined || isNumber(v);

/** A plain object (prototype `Object.prototype` or null), as JSON and the schema's records hold. */
function isPlain(v: unknown): v is Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Number of own enumerable keys whose value is not undefined; -1 when one is undefined (left to the schema). */
function definedKeys(o: Obj): number {
  let n = 0;
  for (const key in o) {
    if (o[key] === undefined) return -1;
    n++;
  }
  return n;
}

/** How many of `keys` are defined on `o`. */
function present(o: Obj, keys: readonly string[]): number {
  let n = 0;
  for (const key of keys) if (o[key] !== undefined) n++;
  return n;
}

function isJson(v: unknown, depth: number): boolean {
  if (v === null || typeof v === "string" || typeof v === "boolean") return true;
  if (typeof v === "number") return Number.isFinite(v);
  if (typeof v !== "object" || depth > MAX_DEPTH) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!isJson(v[i], depth + 1)) return false;
    return true;
  }
  if (!isPlain(v)) return false;
  for (const key in v) {
    const item = v[key];
    if (item === undefined || !isJson(item, depth + 1)) return false;
  }
  return true;
}

const isJsonObject = (v: unknown): boolean => isPlain(v) && isJson(v, 0);

function isStringRecord(v: unknown): boolean {
  if (!isPlain(v)) return false;
  for (const key in v) if (typeof v[key] !== "string") return false;
  return true;
}

const AUTH_OPTIONAL = ["expiresAt"] as const;
function isAuth(v: unknown): boolean {
  if (!isPlain(v)) return false;
  return (
    authMethods.has(v["method"]) &&
    isStringRecord(v["credentials"]) &&
    isJsonObject(v["options"]) &&
    isOptionalNumber(v["expiresAt"]) &&
    definedKeys(v) === 3 + present(v, AUTH_OPTIONAL)
  );
}

const RESOURCE_OPTIONAL = ["name"] as const;
function isResource(v: unknown): boolean {
  if (!isPlain(v)) return false;
  return (
    isString(v["id"]) &&
    isString(v["type"]) &&
    isString(v["providerId"]) &&
    isOptionalString(v["name"]) &&
    isNumber(v["updatedAt"]) &&
    definedKeys(v) === 4 + present(v, RESOURCE_OPTIONAL)
  );
}

function isResources(v: unknown): boolean {
  if (!isPlain(v)) return false;
  for (const key in v) if (!isResource(v[key])) return false;
  return true;
}

function isCost(v: unknown): boolean {
  if (!isPlain(v)) return false;
  const amount = v["amount"];
  const currency = v["currency"];
  return (
    isNumber(amount) &&
    amount >= 0 &&
    typeof currency === "string" &&
    ISO_4217.test(currency) &&
    costPeriods.has(v["period"]) &&
    definedKeys(v) === 3
  );
}

function isClaim(v: unknown): boolean {
  return isPlain(v) && isString(v["id"]) && isNumber(v["at"]) && isNumber(v["until"]) && definedKeys(v) === 3;
}

function isStringArray(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== "string") return false;
  return true;
}

const OPERATION_OPTIONAL = [
  "approvalId",
  "expiresAt",
  "confirmedBy",
  "resourceIds",
  "estimatedCost",
  "rollbackOf",
  "claim",
] as const;
function isOperation(v: unknown): boolean {
  if (!isPlain(v)) return false;
  return (
    isString(v["id"]) &&
    (v["kind"] === "approval" || v["kind"] === "confirmation") &&
    isOptionalString(v["approvalId"]) &&
    isString(v["commandId"]) &&
    categories.has(v["commandCategory"]) &&
    isString(v["providerId"]) &&
    isString(v["instanceId"]) &&
    isString(v["userId"]) &&
    isString(v["environment"]) &&
    isJsonObject(v["params"]) &&
    typeof v["dryRun"] === "boolean" &&
    isNumber(v["createdAt"]) &&
    isOptionalNumber(v["expiresAt"]) &&
    isString(v["reason"]) &&
    isOptionalString(v["confirmedBy"]) &&
    (v["resourceIds"] === undefined || isStringArray(v["resourceIds"])) &&
    (v["estimatedCost"] === undefined || isCost(v["estimatedCost"])) &&
    isOptionalString(v["rollbackOf"]) &&
    (v["claim"] === undefined || isClaim(v["claim"])) &&
    definedKeys(v) === 12 + present(v, OPERATION_OPTIONAL)
  );
}

function isOperations(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (!isOperation(v[i])) return false;
  return true;
}

const SESSION_OPTIONAL = ["providerId", "instanceId", "auth"] as const;

/**
 * True when `infrastructureSessionSchema` would accept `value` and give it back unchanged: every
 * field valid, every defaulted field present, no unknown key, no property set to `undefined`. A
 * cheap structural check for hot paths (a store loading or writing many sessions); when it answers
 * false the value may still be valid (a default to fill in, a key to strip): parse it with the
 * schema, which also names the field and the reason of a failure.
 */
export function isInfrastructureSession(value: unknown): value is InfrastructureSession {
  if (!isPlain(value)) return false;
  const id = value["id"];
  const userId = value["userId"];
  return (
    typeof id === "string" &&
    id.length > 0 &&
    typeof userId === "string" &&
    userId.length > 0 &&
    states.has(value["state"]) &&
    isString(value["environment"]) &&
    isOptionalString(value["providerId"]) &&
    isOptionalString(value["instanceId"]) &&
    (value["auth"] === undefined || isAuth(value["auth"])) &&
    isResources(value["resources"]) &&
    isJsonObject(value["variables"]) &&
    isOperations(value["pendingOperations"]) &&
    isJsonObject(value["metadata"]) &&
    isNumber(value["createdAt"]) &&
    isNumber(value["lastActivityAt"]) &&
    isNumber(value["expiresAt"]) &&
    definedKeys(value) === 11 + present(value, SESSION_OPTIONAL)
  );
}
