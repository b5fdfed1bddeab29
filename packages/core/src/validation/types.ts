import type { CommandDefinition } from "../commands.js";
import type { CommandValidationConfig } from "../config/commandValidation.js";
import type { ValidationIssue } from "../errors.js";
import type { ParameterType, ResourceType } from "../taxonomy.js";

/** An issue a command validator reports; `severity: "warning"` lands in `warnings`, anything else in `errors`. */
export interface CommandIssue extends ValidationIssue {
  readonly severity?: "error" | "warning";
}

/** The per-call flags a validation looks at; an `ExecutionContext` fits. */
export interface CommandValidationOptions {
  /** The caller asks for a dry run. */
  readonly dryRun?: boolean;
  /** The caller explicitly confirmed the command. */
  readonly confirmed?: boolean;
}

/** What every validator receives. `params` is whatever the caller passed: any value at all. */
export interface CommandValidatorInput {
  readonly command: CommandDefinition;
  readonly params: unknown;
  readonly options: { readonly dryRun: boolean; readonly confirmed: boolean };
  readonly config: CommandValidationConfig;
}

/**
 * A validator: a pure function from the input to the issues it finds (every one, not the first).
 * A validator that throws is reported as a `VALIDATOR_FAILED` issue naming it.
 */
export type CommandValidatorFn = (input: CommandValidatorInput) => readonly CommandIssue[];

/** The outcome of validating one command call. */
export interface CommandValidationResult {
  /** True when there is no error (warnings allowed). */
  readonly valid: boolean;
  readonly errors: readonly ValidationIssue[];
  readonly warnings: readonly ValidationIssue[];
  /** The params to run with: declared values as given (no coercion), defaults filled in; unknown keys kept only in non-strict mode. */
  readonly params: Record<string, unknown>;
  /** `params` with every sensitive value replaced by `"[REDACTED]"`: the only form to log, audit or show. */
  readonly redactedParams: Record<string, unknown>;
  /** When valid: the verdict to hand a provider (`ExecutionContext.validated`) so it does not validate again. */
  readonly validated?: ValidatedCommandCall;
}

/**
 * A verdict of core's validator: this command, with these params and flags, passed under these
 * settings. Only `InfrastructureCommandValidator.validate` issues one (see `isValidatedCall`), so a
 * look-alike object is never taken for a verdict.
 */
export interface ValidatedCommandCall {
  /** The definition validated against (compared by identity). */
  readonly command: CommandDefinition;
  /** The params that passed, defaults filled (a frozen shallow copy). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly dryRun: boolean;
  readonly confirmed: boolean;
  /** The `commandConfig.validation` settings it passed under. */
  readonly config: Readonly<CommandValidationConfig>;
}

/** A parameter declaration checked once and turned into what the per-call checks need. */
export interface CompiledParameter {
  readonly name: string;
  /** `params.<name>`, precomputed. */
  readonly path: string;
  /** `undefined` when the declared type is not one of the 8 parameter types. */
  readonly type: ParameterType | undefined;
  readonly required: boolean;
  readonly hasDefault: boolean;
  readonly defaultValue: unknown;
  /** `undefined` when none is declared or the declared one does not compile. */
  readonly pattern: RegExp | undefined;
  readonly patternSource: string | undefined;
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly enumValues: ReadonlySet<unknown> | undefined;
  readonly enumText: string;
  readonly sensitive: boolean;
  readonly items: ParameterType | undefined;
  readonly resourceType: ResourceType | undefined;
}

/** A command definition compiled for validation; cached per definition object. */
export interface CompiledCommand {
  readonly id: string;
  readonly parameters: readonly CompiledParameter[];
  readonly byName: ReadonlyMap<string, CompiledParameter>;
  readonly supportsDryRun: boolean;
  readonly dangerous: boolean;
  /** Problems of the definition itself (bad type, pattern that does not compile, duplicate name…). */
  readonly definitionIssues: readonly ValidationIssue[];
  /** Declaration-level warnings about sensitive parameters (a secret default). */
  readonly sensitiveWarnings: readonly ValidationIssue[];
}
