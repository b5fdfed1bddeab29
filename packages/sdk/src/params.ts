import type { CommandParameter, ParameterType, ValidationIssue } from "@espada/infra-core";

/** Outcome of {@link validateParams}: the params with defaults filled, or every issue found. */
export type ParamsValidation =
  | { readonly ok: true; readonly params: Record<string, unknown> }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

/** How {@link validateParams} treats parameters the command does not declare. */
export interface ValidateParamsOptions {
  /** Reject undeclared parameters (`UNKNOWN_PARAMETER`). Default `true`. */
  readonly strict?: boolean;
}

const STRING_TYPES: ReadonlySet<ParameterType> = new Set(["string", "file", "secret", "resource-ref"]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function matchesType(type: ParameterType, value: unknown): boolean {
  if (STRING_TYPES.has(type)) return typeof value === "string";
  switch (type) {
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "array":
      return Array.isArray(value);
    case "object":
      return isPlainObject(value);
    default:
      return false;
  }
}

function describe(type: ParameterType): string {
  return type === "array" || type === "object" ? `an ${type}` : `a ${type === "resource-ref" ? "resource id (string)" : type}`;
}

/** Compiles a pattern source, or returns `undefined` when it is not a valid regular expression. */
export function compilePattern(source: string): RegExp | undefined {
  try {
    return new RegExp(source);
  } catch {
    return undefined;
  }
}

function isSensitive(param: CommandParameter): boolean {
  return param.sensitive || param.type === "secret";
}

/**
 * Checks one value against its parameter declaration: type, array items, pattern, min/max, enum.
 * Messages never echo the value of a sensitive parameter.
 */
export function checkParamValue(param: CommandParameter, value: unknown, path: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const shown = isSensitive(param) ? "" : ` (got ${JSON.stringify(value) ?? String(value)})`;
  if (!matchesType(param.type, value)) {
    return [{ code: "TYPE_MISMATCH", message: `${path} must be ${describe(param.type)}${shown}`, path }];
  }
  if (Array.isArray(value) && param.items !== undefined) {
    const items = param.items;
    value.forEach((item, i) => {
      if (!matchesType(items, item)) {
        issues.push({ code: "TYPE_MISMATCH", message: `${path}[${i}] must be ${describe(items)}`, path: `${path}[${i}]` });
      }
    });
  }
  if (typeof value === "string" && param.pattern !== undefined) {
    const regex = compilePattern(param.pattern);
    if (regex === undefined) issues.push({ code: "PATTERN_INVALID", message: `${path} declares an invalid pattern /${param.pattern}/`, path });
    else if (!regex.test(value)) issues.push({ code: "PATTERN", message: `${path} must match /${param.pattern}/${shown}`, path });
  }
  const size = typeof value === "number" ? value : typeof value === "string" || Array.isArray(value) ? value.length : undefined;
  const unit = typeof value === "number" ? "" : typeof value === "string" ? " characters" : " items";
  const what = typeof value === "number" ? path : `${path} length`;
  if (size !== undefined && param.min !== undefined && size < param.min) {
    issues.push({ code: "MIN", message: `${what} must be at least ${param.min}${unit}${shown}`, path });
  }
  if (size !== undefined && param.max !== undefined && size > param.max) {
    issues.push({ code: "MAX", message: `${what} must be at most ${param.max}${unit}${shown}`, path });
  }
  if (param.enum !== undefined && !param.enum.some((allowed) => allowed === value)) {
    issues.push({ code: "ENUM", message: `${path} must be one of ${param.enum.map((v) => JSON.stringify(v)).join(", ")}${shown}`, path });
  }
  return issues;
}

/**
 * Validates caller-supplied params against a command's declarations and fills defaults.
 * Issue paths are `params.<name>`; every problem is reported, not just the first.
 */
export function validateParams(
  parameters: readonly CommandParameter[],
  params: Readonly<Record<string, unknown>>,
  options: ValidateParamsOptions = {},
): ParamsValidation {
  if (!isPlainObject(params)) {
    return { ok: false, issues: [{ code: "TYPE_MISMATCH", message: "params must be an object", path: "params" }] };
  }
  const issues: ValidationIssue[] = [];
  const out: Record<string, unknown> = {};
  const declared = new Set(parameters.map((p) => p.name));
  if (options.strict ?? true) {
    for (const key of Object.keys(params)) {
      if (!declared.has(key)) issues.push({ code: "UNKNOWN_PARAMETER", message: `params.${key} is not a parameter of this command`, path: `params.${key}` });
    }
  } else {
    for (const [key, value] of Object.entries(params)) if (!declared.has(key)) out[key] = value;
  }
  for (const param of parameters) {
    const path = `params.${param.name}`;
    const given = Object.hasOwn(params, param.name) ? params[param.name] : undefined;
    if (given === undefined) {
      if (param.default !== undefined) out[param.name] = structuredClone(param.default);
      else if (param.required) issues.push({ code: "REQUIRED", message: `${path} is required`, path });
      continue;
    }
    const found = checkParamValue(param, given, path);
    if (found.length > 0) issues.push(...found);
    else out[param.name] = given;
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, params: out };
}
