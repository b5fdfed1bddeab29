import { z } from "zod";
import { ConfigValidationError } from "../errors.js";
import type { ValidationIssue } from "../errors.js";
import { tieredSafeParse } from "../validation/tiered.js";
import { toValidationIssues } from "./issues.js";
import { deepMerge } from "./merge.js";
import { isValidatedInfrastructureConfig } from "./validated.js";
import {
  CONFIG_SECTIONS,
  commandConfigSchema,
  infrastructureConfigSchema,
  loggingConfigSchema,
  providerConfigSchema,
  securityConfigSchema,
  sessionConfigSchema,
} from "./schemas.js";
import type {
  CommandConfig,
  ConfigSection,
  ConfigSectionName,
  InfrastructureConfig,
  InfrastructureConfigInput,
  LoggingConfig,
  ProviderConfig,
  SecurityConfig,
  SessionConfig,
} from "./schemas.js";

/** The outcome of validating a config section: the parsed value with defaults, or every problem found. */
export type ConfigResult<T> =
  | { readonly success: true; readonly data: T }
  | { readonly success: false; readonly errors: readonly ValidationIssue[] };

function validateWith<T>(schema: z.ZodType<T>, input: unknown): ConfigResult<T> {
  try {
    const parsed = tieredSafeParse(schema, input, { reportInput: true });
    if (parsed.success) return { success: true, data: parsed.data };
    return { success: false, errors: toValidationIssues(parsed.error.issues) };
  } catch (error) {
    // Only reachable with hostile input (a getter or proxy that throws); still a result, not a throw.
    const reason = error instanceof Error ? error.message : String(error);
    return {
      success: false,
      errors: [{ code: "UNREADABLE", message: `configuration could not be read: ${reason}` }],
    };
  }
}

/** Validates a whole `extensions.infrastructure` block; issues name paths such as `providers[0].auth.method`. */
export function validateInfrastructureConfig(config: unknown): ConfigResult<InfrastructureConfig> {
  return validateWith(infrastructureConfigSchema, config);
}

/** Validates one `providers[]` entry; paths are relative to it (`auth.method`). */
export function validateProviderConfig(config: unknown): ConfigResult<ProviderConfig> {
  return validateWith(providerConfigSchema, config);
}

/** Validates a `sessionConfig` section; paths are relative to it (`timeout`). */
export function validateSessionConfig(config: unknown): ConfigResult<SessionConfig> {
  return validateWith(sessionConfigSchema, config);
}

/** Validates a `commandConfig` section; paths are relative to it (`execution.maxRetries`). */
export function validateCommandConfig(config: unknown): ConfigResult<CommandConfig> {
  return validateWith(commandConfigSchema, config);
}

/** Validates a `loggingConfig` section; paths are relative to it (`destinations[0].type`). */
export function validateLoggingConfig(config: unknown): ConfigResult<LoggingConfig> {
  return validateWith(loggingConfigSchema, config);
}

/** Validates one section by its key (any of `CONFIG_SECTIONS`); paths are relative to it. */
export function validateConfigSection<N extends ConfigSectionName>(
  name: N,
  config: unknown,
): ConfigResult<ConfigSection<N>> {
  const schema = (CONFIG_SECTIONS as Readonly<Record<string, z.ZodType | undefined>>)[name] as
    z.ZodType<ConfigSection<N>> | undefined;
  if (schema === undefined) {
    return {
      success: false,
      errors: [
        {
          code: "UNKNOWN_KEY",
          message: `unknown configuration section "${String(name)}"`,
          path: String(name),
        },
      ],
    };
  }
  return validateWith(schema, config);
}

/** Validates a `securityConfig` section; paths are relative to it (`encryption.algorithm`). */
export function validateSecurityConfig(config: unknown): ConfigResult<SecurityConfig> {
  return validateWith(securityConfigSchema, config);
}

/** The safe defaults of the spec (no providers, console logging, encryption and audit on); a fresh object every call. */
export function getDefaultInfrastructureConfig(): InfrastructureConfig {
  return infrastructureConfigSchema.parse({});
}

/**
 * Deep-merges `partial` onto the defaults (objects merge, arrays replace, `undefined` keeps the
 * default) and validates the result. Never throws: a getter or proxy of `partial` that throws
 * gives an `UNREADABLE` issue naming the field (`sessionConfig.timeout`).
 */
export function mergeWithDefaults(
  partial: InfrastructureConfigInput | undefined,
): ConfigResult<InfrastructureConfig> {
  const merged = deepMerge(getDefaultInfrastructureConfig(), partial ?? {});
  return merged.ok ? validateInfrastructureConfig(merged.value) : { success: false, errors: [merged.issue] };
}

/**
 * Validates a whole config and returns it with defaults filled in, or throws a
 * {@link ConfigValidationError} listing every issue (for callers that prefer a throw). A config
 * core has already validated and branded (`isValidatedInfrastructureConfig`: frozen, from
 * `safeParseInfrastructureConfig`) is returned as it is, not parsed twice.
 */
export function parseInfrastructureConfig(config: unknown): InfrastructureConfig {
  if (isValidatedInfrastructureConfig(config)) return config;
  const result = validateInfrastructureConfig(config);
  if (result.success) return result.data;
  const first = result.errors[0];
  const where = first?.path === undefined ? "" : ` at ${first.path}`;
  const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : "";
  throw new ConfigValidationError(
    `Invalid infrastructure config${where}: ${first?.message ?? "invalid"}${more}`,
    result.errors,
  );
}

/** The JSON Schema (draft 2020-12) of what a user may write in `extensions.infrastructure`, from zod's own exporter. */
export function getInfrastructureConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(infrastructureConfigSchema, { io: "input", unrepresentable: "any" });
}
