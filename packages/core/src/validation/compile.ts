import type { ValidationIssue } from "../errors.js";
import { PARAMETER_TYPES, RESOURCE_TYPES } from "../taxonomy.js";
import type { ParameterType, ResourceType } from "../taxonomy.js";
import { checkValue } from "./checks.js";
import { isRecord } from "./record.js";
import { appendPath } from "./path.js";
import type { CompiledCommand, CompiledParameter } from "./types.js";

const PARAMETER_TYPE_SET: ReadonlySet<string> = new Set(PARAMETER_TYPES);
const RESOURCE_TYPE_SET: ReadonlySet<string> = new Set(RESOURCE_TYPES);
const cache = new WeakMap<object, CompiledCommand>();
const regexCache = new Map<string, RegExp | null>();
const REGEX_CACHE_LIMIT = 1_000;

function compileRegex(source: string): RegExp | null {
  const cached = regexCache.get(source);
  if (cached !== undefined) return cached;
  let compiled: RegExp | null;
  try {
    compiled = new RegExp(source);
  } catch {
    compiled = null;
  }
  if (regexCache.size >= REGEX_CACHE_LIMIT) regexCache.clear();
  regexCache.set(source, compiled);
  return compiled;
}

const finite = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined;

function compileParameter(
  declaration: Record<string, unknown>,
  name: string,
  where: string,
  definitionIssues: ValidationIssue[],
  sensitiveWarnings: ValidationIssue[],
): CompiledParameter {
  const path = appendPath("params", name);
  const rawType = declaration.type;
  const type =
    typeof rawType === "string" && PARAMETER_TYPE_SET.has(rawType) ? (rawType as ParameterType) : undefined;
  if (type === undefined)
    definitionIssues.push({
      code: "INVALID_DEFINITION",
      message: `parameter "${name}" declares an unknown type`,
      path: `${where}.type`,
    });
  const rawItems = declaration.items;
  const items =
    typeof rawItems === "string" && PARAMETER_TYPE_SET.has(rawItems)
      ? (rawItems as ParameterType)
      : undefined;
  if (rawItems !== undefined && items === undefined)
    definitionIssues.push({
      code: "INVALID_DEFINITION",
      message: `parameter "${name}" declares an unknown item type`,
      path: `${where}.items`,
    });
  const rawResourceType = declaration.resourceType;
  const resourceType =
    typeof rawResourceType === "string" && RESOURCE_TYPE_SET.has(rawResourceType)
      ? (rawResourceType as ResourceType)
      : undefined;
  let pattern: RegExp | undefined;
  const patternSource = typeof declaration.pattern === "string" ? declaration.pattern : undefined;
  if (patternSource !== undefined) {
    pattern = compileRegex(patternSource) ?? undefined;
    if (pattern === undefined)
      definitionIssues.push({
        code: "INVALID_DEFINITION",
        message: `parameter "${name}" declares a pattern that is not a valid regular expression`,
        path: `${where}.pattern`,
      });
  }
  const rawEnum = declaration.enum;
  const enumValues = Array.isArray(rawEnum) ? new Set<unknown>(rawEnum) : undefined;
  const sensitive = declaration.sensitive === true || type === "secret";
  const hasDefault =
    Object.hasOwn(declaration, "default") &&
    declaration.default !== undefined &&
    declaration.default !== null;
  if (sensitive && hasDefault)
    sensitiveWarnings.push({
      code: "SENSITIVE_DEFAULT",
      message: `sensitive parameter "${name}" declares a default value; secrets should not live in command definitions`,
      path,
    });
  const parameter: CompiledParameter = {
    name,
    path,
    type,
    required: declaration.required === true,
    hasDefault,
    defaultValue: hasDefault ? declaration.default : undefined,
    pattern,
    patternSource,
    min: finite(declaration.min),
    max: finite(declaration.max),
    enumValues,
    enumText: Array.isArray(rawEnum)
      ? rawEnum.map((value) => JSON.stringify(value) ?? String(value)).join(", ")
      : "",
    sensitive,
    items,
    resourceType,
  };
  if (hasDefault) {
    const problems: ValidationIssue[] = [];
    checkValue(parameter, parameter.defaultValue, `${where}.default`, problems);
    for (const problem of problems)
      definitionIssues.push({
        code: "INVALID_DEFINITION",
        message: `default of "${name}": ${problem.message}`,
        path: `${where}.default`,
      });
  }
  return parameter;
}

function compile(command: unknown): CompiledCommand {
  const definitionIssues: ValidationIssue[] = [];
  const sensitiveWarnings: ValidationIssue[] = [];
  const parameters: CompiledParameter[] = [];
  const byName = new Map<string, CompiledParameter>();
  if (!isRecord(command)) {
    definitionIssues.push({
      code: "INVALID_DEFINITION",
      message: "command definition must be an object",
      path: "command",
    });
    return {
      id: "",
      parameters,
      byName,
      supportsDryRun: false,
      dangerous: false,
      definitionIssues,
      sensitiveWarnings,
    };
  }
  const declared = command.parameters;
  if (declared !== undefined && !Array.isArray(declared))
    definitionIssues.push({
      code: "INVALID_DEFINITION",
      message: "parameters must be an array",
      path: "command.parameters",
    });
  const list: readonly unknown[] = Array.isArray(declared) ? declared : [];
  list.forEach((declaration, index) => {
    const where = `command.parameters[${index}]`;
    const name = isRecord(declaration) ? declaration.name : undefined;
    if (!isRecord(declaration) || typeof name !== "string" || name === "") {
      definitionIssues.push({
        code: "INVALID_DEFINITION",
        message: "a parameter declaration needs a non-empty name",
        path: where,
      });
      return;
    }
    if (byName.has(name)) {
      definitionIssues.push({
        code: "INVALID_DEFINITION",
        message: `parameter "${name}" is declared twice`,
        path: `${where}.name`,
      });
      return;
    }
    const parameter = compileParameter(declaration, name, where, definitionIssues, sensitiveWarnings);
    parameters.push(parameter);
    byName.set(name, parameter);
  });
  return {
    id: typeof command.id === "string" ? command.id : "",
    parameters,
    byName,
    supportsDryRun: command.supportsDryRun === true,
    dangerous: command.dangerous === true,
    definitionIssues,
    sensitiveWarnings,
  };
}

/**
 * Compiles a command definition once and caches it by object identity: definitions are treated as
 * immutable (the SDK builds them once). Never throws, whatever `command` is.
 */
export function compileCommand(command: unknown): CompiledCommand {
  if (typeof command !== "object" || command === null) return compile(command);
  const cached = cache.get(command);
  if (cached !== undefined) return cached;
  const compiled = compile(command);
  cache.set(command, compiled);
  return compiled;
}
