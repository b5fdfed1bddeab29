import type { CommandDefinition } from "../commands.js";
import { commandValidationConfigSchema } from "../config/commandValidation.js";
import type { CommandValidationConfig } from "../config/commandValidation.js";
import { AlreadyExistsError, InfrastructureError } from "../errors.js";
import type { ValidationIssue } from "../errors.js";
import { BUILT_IN_VALIDATORS } from "./builtins.js";
import { compileCommand } from "./compile.js";
import { isAbsent, isRecord, ownValue, setOwn } from "./record.js";
import { redactCompiled } from "./redact.js";
import { tieredSafeParse } from "./tiered.js";
import type {
  CommandIssue,
  CommandValidationOptions,
  CommandValidationResult,
  CommandValidatorFn,
  CommandValidatorInput,
  ValidatedCommandCall,
} from "./types.js";

/** Hands back the object it is given, so that a subclass's private field lands on that object. */
class Stamp {
  constructor(target: object) {
    return target;
  }
}

/**
 * Marks the verdicts the validator issued with a private field: a look-alike object is not one
 * (a private field cannot be added from outside this class, nor copied by a spread), and a verdict
 * stays a plain object. Not a `WeakSet` of verdicts: one entry per validated call is an ephemeron
 * every young-generation GC must walk (a stream of two million paused scavenges 35–100 ms).
 */
class IssuedMark extends Stamp {
  readonly #issued = true;

  /** Marks `verdict` (before it is frozen) and returns it. */
  static mark<T extends object>(verdict: T): T {
    new IssuedMark(verdict);
    return verdict;
  }

  /** True for marked verdicts (and only for them). */
  static has(value: object): boolean {
    return #issued in value;
  }
}

/**
 * True when `verdict` was issued by core's validator for `command` (the same definition object),
 * for exactly these `params` (same own keys, each value identical) and these flags. A provider
 * uses it to skip a second validation of a call its caller already validated.
 */
export function isValidatedCall(
  verdict: unknown,
  command: CommandDefinition,
  params: unknown,
  options: CommandValidationOptions = {},
): verdict is ValidatedCommandCall {
  if (typeof verdict !== "object" || verdict === null || !IssuedMark.has(verdict)) return false;
  const v = verdict as ValidatedCommandCall;
  if (
    v.command !== command ||
    v.dryRun !== (options.dryRun === true) ||
    v.confirmed !== (options.confirmed === true)
  )
    return false;
  if (!isRecord(params)) return false;
  const keys = Object.keys(params);
  if (keys.length !== Object.keys(v.params).length) return false;
  return keys.every((key) => Object.hasOwn(v.params, key) && Object.is(v.params[key], params[key]));
}

function cloneDefault(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}

function describeThrow(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return String(error);
  } catch {
    return "unprintable error";
  }
}

/** Reads the call flags from whatever was passed (null, a proxy, a getter that throws): never throws, only `true` counts. */
function readOptions(options: unknown, errors: ValidationIssue[]): CommandValidatorInput["options"] {
  if (!isRecord(options)) return { dryRun: false, confirmed: false };
  try {
    return { dryRun: options.dryRun === true, confirmed: options.confirmed === true };
  } catch (error) {
    errors.push({
      code: "VALIDATOR_FAILED",
      message: `options could not be read: ${describeThrow(error)}`,
      path: "options",
    });
    return { dryRun: false, confirmed: false };
  }
}

function isIssue(value: unknown): value is CommandIssue {
  return isRecord(value) && typeof value.code === "string" && typeof value.message === "string";
}

/**
 * Validates a command call against its {@link CommandDefinition} and the `commandConfig.validation`
 * settings, running the built-in validators (`requiredParams`, `typeCheck`, `sensitiveParams`,
 * `dryRunCheck`, `dangerousCommandCheck`) and any added ones. It never throws, reports every
 * violation with its path (`params.cpu`), and returns the params to run with (defaults filled in,
 * no coercion) and a redacted copy for display.
 */
export class InfrastructureCommandValidator {
  readonly #validators = new Map<string, CommandValidatorFn>(Object.entries(BUILT_IN_VALIDATORS));
  readonly #config: CommandValidationConfig;

  /**
   * @param config `commandConfig.validation`; missing keys take the spec defaults (strict, dry runs
   * allowed, dangerous commands need explicit confirmation). Throws `INVALID_ARGUMENT` on a bad config.
   */
  constructor(config: Partial<CommandValidationConfig> = {}) {
    const parsed = tieredSafeParse(commandValidationConfigSchema, config);
    if (!parsed.success)
      throw new InfrastructureError(
        "INVALID_ARGUMENT",
        `Invalid command validation config: ${parsed.error.issues[0]?.message ?? "invalid"}`,
        {
          cause: parsed.error,
        },
      );
    this.#config = Object.freeze(parsed.data);
  }

  /** The validation settings in force. */
  get config(): Readonly<CommandValidationConfig> {
    return this.#config;
  }

  /** Names of the validators, in the order they run. */
  get validatorNames(): readonly string[] {
    return [...this.#validators.keys()];
  }

  /** Adds a validator that runs after the existing ones. Throws `ALREADY_EXISTS` if the name is taken. */
  addValidator(name: string, validator: CommandValidatorFn): this {
    if (this.#validators.has(name)) throw new AlreadyExistsError("validator", name, { field: "name" });
    this.#validators.set(name, validator);
    return this;
  }

  /** Removes a validator (built-ins included); returns false when there was none by that name. */
  removeValidator(name: string): boolean {
    return this.#validators.delete(name);
  }

  /** Validates `params` (any value) for `command` with the call's `dryRun`/`confirmed` flags (anything but `true` counts as false). */
  validate(
    command: CommandDefinition,
    params: unknown,
    options: CommandValidationOptions = {},
  ): CommandValidationResult {
    const errors: ValidationIssue[] = [];
    const warnings: ValidationIssue[] = [];
    const input: CommandValidatorInput = {
      command,
      params,
      options: readOptions(options, errors),
      config: this.#config,
    };
    for (const [name, validator] of this.#validators) this.#run(name, validator, input, errors, warnings);
    try {
      const compiled = compileCommand(command);
      const effective = this.#effectiveParams(compiled, params);
      const redactedParams = redactCompiled(compiled, effective);
      if (errors.length > 0) return { valid: false, errors, warnings, params: effective, redactedParams };
      const validated: ValidatedCommandCall = Object.freeze(
        IssuedMark.mark({
          command,
          params: Object.freeze({ ...effective }),
          dryRun: input.options.dryRun,
          confirmed: input.options.confirmed,
          config: this.#config,
        }),
      );
      return { valid: true, errors, warnings, params: effective, redactedParams, validated };
    } catch (error) {
      // Only hostile input (a proxy or getter that throws) gets here; it is still a result.
      errors.push({
        code: "VALIDATOR_FAILED",
        message: `parameters could not be read: ${describeThrow(error)}`,
        path: "params",
      });
      return { valid: false, errors, warnings, params: {}, redactedParams: {} };
    }
  }

  #run(
    name: string,
    validator: CommandValidatorFn,
    input: CommandValidatorInput,
    errors: ValidationIssue[],
    warnings: ValidationIssue[],
  ): void {
    let found: unknown;
    try {
      found = validator(input);
    } catch (error) {
      errors.push({
        code: "VALIDATOR_FAILED",
        message: `validator "${name}" threw: ${describeThrow(error)}`,
      });
      return;
    }
    if (!Array.isArray(found)) {
      errors.push({
        code: "VALIDATOR_FAILED",
        message: `validator "${name}" did not return an array of issues`,
      });
      return;
    }
    try {
      for (const issue of found as unknown[]) {
        if (!isIssue(issue)) {
          errors.push({
            code: "VALIDATOR_FAILED",
            message: `validator "${name}" returned a malformed issue`,
          });
          continue;
        }
        const plain: ValidationIssue =
          typeof issue.path === "string"
            ? { code: issue.code, message: issue.message, path: issue.path }
            : { code: issue.code, message: issue.message };
        (issue.severity === "warning" ? warnings : errors).push(plain);
      }
    } catch (error) {
      errors.push({
        code: "VALIDATOR_FAILED",
        message: `validator "${name}" returned unreadable issues: ${describeThrow(error)}`,
      });
    }
  }

  #effectiveParams(compiled: ReturnType<typeof compileCommand>, params: unknown): Record<string, unknown> {
    const source = isRecord(params) ? params : {};
    const out: Record<string, unknown> = {};
    for (const p of compiled.parameters) {
      const value = ownValue(source, p.name);
      if (!isAbsent(value)) setOwn(out, p.name, value);
      else if (p.hasDefault) setOwn(out, p.name, cloneDefault(p.defaultValue));
    }
    if (!this.#config.strict) {
      for (const key of Object.keys(source)) if (!compiled.byName.has(key)) setOwn(out, key, source[key]);
    }
    return out;
  }
}
