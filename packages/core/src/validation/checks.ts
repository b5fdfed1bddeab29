import type { ValidationIssue } from "../errors.js";
import { RESOURCE_TYPES } from "../taxonomy.js";
import type { ParameterType } from "../taxonomy.js";
import { isRecord } from "./record.js";
import { typeMismatchReason } from "../messages.js";
import type { CompiledParameter } from "./types.js";

const RESOURCE_TYPE_SET: ReadonlySet<string> = new Set(RESOURCE_TYPES);
const WINDOWS_ABSOLUTE = /^[A-Za-z]:[\\/]/;

function mismatch(expected: string, value: unknown, path: string, issues: ValidationIssue[]): void {
  issues.push({ code: "TYPE_MISMATCH", message: typeMismatchReason(expected, value), path });
}

function checkLength(
  p: CompiledParameter,
  length: number,
  unit: string,
  path: string,
  issues: ValidationIssue[],
): void {
  if (p.min !== undefined && length < p.min)
    issues.push({ code: "TOO_SMALL", message: `must have at least ${p.min} ${unit}`, path });
  if (p.max !== undefined && length > p.max)
    issues.push({ code: "TOO_BIG", message: `must have at most ${p.max} ${unit}`, path });
}

function checkEnum(p: CompiledParameter, value: unknown, path: string, issues: ValidationIssue[]): void {
  if (p.enumValues !== undefined && !p.enumValues.has(value))
    issues.push({ code: "NOT_IN_ENUM", message: `must be one of ${p.enumText}`, path });
}

function checkPattern(p: CompiledParameter, value: string, path: string, issues: ValidationIssue[]): void {
  if (p.pattern === undefined) return;
  p.pattern.lastIndex = 0;
  if (!p.pattern.test(value))
    issues.push({ code: "PATTERN_MISMATCH", message: `must match /${p.patternSource ?? ""}/`, path });
}

/** A file path: non-empty, no NUL byte, and a relative path may not climb above its base with `..`. */
function checkFile(value: string, path: string, issues: ValidationIssue[]): void {
  if (value === "") {
    issues.push({ code: "INVALID_PATH", message: "must be a non-empty path", path });
    return;
  }
  if (value.includes("\0"))
    issues.push({ code: "INVALID_PATH", message: "must not contain a NUL byte", path });
  if (value.startsWith("/") || value.startsWith("\\") || WINDOWS_ABSOLUTE.test(value)) return;
  let depth = 0;
  for (const segment of value.split(/[\\/]+/)) {
    if (segment === "" || segment === ".") continue;
    depth += segment === ".." ? -1 : 1;
    if (depth < 0) {
      issues.push({
        code: "PATH_TRAVERSAL",
        message: "a relative path must not escape its base directory with ..",
        path,
      });
      return;
    }
  }
}

/** A resource reference: a non-empty id string, or `{ id, type? }` whose type matches the declared one. */
function checkResourceRef(
  p: CompiledParameter,
  value: unknown,
  path: string,
  issues: ValidationIssue[],
  element: boolean,
): void {
  if (typeof value === "string") {
    if (value.trim() === "")
      issues.push({ code: "INVALID_REFERENCE", message: "must be a non-empty resource id", path });
    else checkString(p, value, path, issues, element);
    return;
  }
  if (!isRecord(value)) {
    mismatch("a resource id string or { id, type }", value, path, issues);
    return;
  }
  const id = Object.hasOwn(value, "id") ? value.id : undefined;
  if (typeof id !== "string" || id.trim() === "")
    issues.push({
      code: "INVALID_REFERENCE",
      message: "must have a non-empty string id",
      path: `${path}.id`,
    });
  else checkString(p, id, `${path}.id`, issues, element);
  const type = Object.hasOwn(value, "type") ? value.type : undefined;
  if (type === undefined) return;
  if (typeof type !== "string" || !RESOURCE_TYPE_SET.has(type))
    issues.push({
      code: "INVALID_REFERENCE",
      message: "type must be a known resource type",
      path: `${path}.type`,
    });
  else if (p.resourceType !== undefined && type !== p.resourceType)
    issues.push({
      code: "RESOURCE_TYPE_MISMATCH",
      message: `must reference a ${p.resourceType} resource`,
      path: `${path}.type`,
    });
}

/** String constraints: length bounds (not for array items), pattern and enum. */
function checkString(
  p: CompiledParameter,
  value: string,
  path: string,
  issues: ValidationIssue[],
  element: boolean,
): void {
  if (!element) checkLength(p, value.length, "characters", path, issues);
  checkPattern(p, value, path, issues);
  checkEnum(p, value, path, issues);
}

/** Checks one value against a parameter type; `element` selects element rules (no length bounds) for array items. */
function checkTyped(
  p: CompiledParameter,
  type: ParameterType | undefined,
  value: unknown,
  path: string,
  issues: ValidationIssue[],
  element: boolean,
): void {
  switch (type) {
    case undefined:
      // Undeclared item type: any element; enum and pattern still apply.
      checkEnum(p, value, path, issues);
      if (typeof value === "string") checkPattern(p, value, path, issues);
      return;
    case "string":
    case "secret":
    case "file":
      if (typeof value !== "string")
        return mismatch(type === "file" ? "a file path string" : "string", value, path, issues);
      if (type === "file") checkFile(value, path, issues);
      return checkString(p, value, path, issues, element);
    case "resource-ref":
      return checkResourceRef(p, value, path, issues, element);
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value))
        return mismatch("finite number", value, path, issues);
      if (!element && p.min !== undefined && value < p.min)
        issues.push({ code: "TOO_SMALL", message: `must be at least ${p.min}`, path });
      if (!element && p.max !== undefined && value > p.max)
        issues.push({ code: "TOO_BIG", message: `must be at most ${p.max}`, path });
      return checkEnum(p, value, path, issues);
    case "boolean":
      if (typeof value !== "boolean") return mismatch("boolean", value, path, issues);
      return checkEnum(p, value, path, issues);
    case "object":
      if (!isRecord(value)) mismatch("object", value, path, issues);
      return;
    case "array":
      if (!Array.isArray(value)) return mismatch("array", value, path, issues);
      if (!element) {
        checkLength(p, value.length, "items", path, issues);
        for (let index = 0; index < value.length; index += 1)
          checkTyped(p, p.items, value[index], `${path}[${index}]`, issues, true);
      }
      return;
  }
}

/**
 * Checks a present value against its declaration: type, then (when the type fits) pattern, min/max
 * (value for numbers, length for strings and arrays) and enum; array items against `items`, with
 * enum and pattern applying per item. Pushes every violation found; never echoes the value.
 */
export function checkValue(
  p: CompiledParameter,
  value: unknown,
  path: string,
  issues: ValidationIssue[],
): void {
  if (p.type === undefined) return;
  checkTyped(p, p.type, value, path, issues, false);
}
