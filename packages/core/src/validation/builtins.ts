import { compileCommand } from "./compile.js";
import { checkValue } from "./checks.js";
import { appendPath } from "./path.js";
import { isAbsent, isRecord, ownValue } from "./record.js";
import type { CommandIssue, CommandValidatorFn, CommandValidatorInput } from "./types.js";

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});
const UNRESOLVED_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

function paramsOf(input: CommandValidatorInput): Readonly<Record<string, unknown>> {
  return isRecord(input.params) ? input.params : EMPTY;
}

/**
 * True when a call asks for a dry run: the `dryRun` flag, or a `dryRun: true` parameter (the spec's
 * example declares one). The one rule for it: the executor and the SDK provider both run such a
 * call as a dry run (`ctx.dryRun` true) and validate it with `dryRun: true`, so the verdict and the
 * run agree whoever is called.
 */
export function isDryRunRequest(params: unknown, dryRun: boolean | undefined): boolean {
  return dryRun === true || (isRecord(params) && ownValue(params, "dryRun") === true);
}

function wantsDryRun(input: CommandValidatorInput): boolean {
  return isDryRunRequest(paramsOf(input), input.options.dryRun);
}

/** Every `required` parameter without a default must be present (`undefined` and `null` count as absent). */
export const requiredParams: CommandValidatorFn = (input) => {
  const compiled = compileCommand(input.command);
  const params = paramsOf(input);
  const issues: CommandIssue[] = [];
  for (const p of compiled.parameters) {
    if (p.required && !p.hasDefault && isAbsent(ownValue(params, p.name)))
      issues.push({ code: "REQUIRED", message: `parameter "${p.name}" is required`, path: p.path });
  }
  return issues;
};

/**
 * Params must be an object; each present value must fit its declaration (type, pattern, min/max,
 * enum, items); unknown params are errors in strict mode and warnings otherwise; problems of the
 * definition itself (unknown type, a pattern that does not compile, a bad default) are errors.
 */
export const typeCheck: CommandValidatorFn = (input) => {
  const compiled = compileCommand(input.command);
  const issues: CommandIssue[] = [...compiled.definitionIssues];
  if (!isAbsent(input.params) && !isRecord(input.params)) {
    issues.push({ code: "TYPE_MISMATCH", message: "parameters must be an object", path: "params" });
    return issues;
  }
  const params = paramsOf(input);
  for (const p of compiled.parameters) {
    const value = ownValue(params, p.name);
    if (!isAbsent(value)) checkValue(p, value, p.path, issues);
  }
  for (const key of Object.keys(params)) {
    if (compiled.byName.has(key)) continue;
    issues.push({
      code: "UNKNOWN_PARAM",
      message: `command "${compiled.id}" has no parameter "${key}"`,
      path: appendPath("params", key),
      ...(input.config.strict ? {} : { severity: "warning" as const }),
    });
  }
  return issues;
};

/**
 * Sensitive parameters (`sensitive: true` or type `secret`): a given value must not be empty nor an
 * unresolved `${VAR}` reference (a sign the host did not interpolate it); a declared default is a warning.
 */
export const sensitiveParams: CommandValidatorFn = (input) => {
  const compiled = compileCommand(input.command);
  const params = paramsOf(input);
  const issues: CommandIssue[] = compiled.sensitiveWarnings.map((issue) => ({
    ...issue,
    severity: "warning" as const,
  }));
  for (const p of compiled.parameters) {
    if (!p.sensitive) continue;
    const value = ownValue(params, p.name);
    if (typeof value !== "string") continue;
    if (value.trim() === "")
      issues.push({
        code: "EMPTY_SECRET",
        message: `sensitive parameter "${p.name}" is empty`,
        path: p.path,
      });
    else if (UNRESOLVED_REFERENCE.test(value))
      issues.push({
        code: "UNRESOLVED_SECRET",
        message: `sensitive parameter "${p.name}" is an unresolved \${…} reference`,
        path: p.path,
      });
  }
  return issues;
};

/**
 * A dry-run request (option or `dryRun: true` param) needs a command that declares `supportsDryRun`
 * and a config that allows dry runs; otherwise `DRY_RUN_UNSUPPORTED`, so nothing runs for real.
 */
export const dryRunCheck: CommandValidatorFn = (input) => {
  if (!wantsDryRun(input)) return [];
  const compiled = compileCommand(input.command);
  const issues: CommandIssue[] = [];
  if (!compiled.supportsDryRun)
    issues.push({
      code: "DRY_RUN_UNSUPPORTED",
      message: `command "${compiled.id}" does not support dry run`,
      path: "options.dryRun",
    });
  if (!input.config.allowDryRun)
    issues.push({
      code: "DRY_RUN_UNSUPPORTED",
      message: "dry runs are disabled by commandConfig.validation.allowDryRun",
      path: "options.dryRun",
    });
  return issues;
};

/**
 * A non-dry-run call needs `confirmed` when the command is `dangerous` and
 * `dangerousCommandsRequireExplicit` is on, or whenever `requireConfirmation` is on.
 */
export const dangerousCommandCheck: CommandValidatorFn = (input) => {
  if (input.options.dryRun || input.options.confirmed) return [];
  const compiled = compileCommand(input.command);
  if (compiled.dangerous && input.config.dangerousCommandsRequireExplicit)
    return [
      {
        code: "CONFIRMATION_REQUIRED",
        message: `command "${compiled.id}" is dangerous and needs explicit confirmation`,
        path: "options.confirmed",
      },
    ];
  if (input.config.requireConfirmation)
    return [
      {
        code: "CONFIRMATION_REQUIRED",
        message: `command "${compiled.id}" needs confirmation (requireConfirmation is on)`,
        path: "options.confirmed",
      },
    ];
  return [];
};

/** The five built-in validators, in the order they run. */
export const BUILT_IN_VALIDATORS: Readonly<Record<string, CommandValidatorFn>> = Object.freeze({
  requiredParams,
  typeCheck,
  sensitiveParams,
  dryRunCheck,
  dangerousCommandCheck,
});
