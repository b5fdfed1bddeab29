import type {
  CommandFailure,
  CommandResult,
  CommandSuccess,
  ConfigValidationResult,
  ValidationIssue,
} from "@espada/infra-core";

/** Extra fields a {@link success} result may carry. */
export interface SuccessOptions {
  /** Log lines for the caller. */
  readonly logs?: readonly string[];
  /** True when the change can be rolled back. Default `false`. */
  readonly rollbackAvailable?: boolean;
}

/**
 * Wraps a successful command result. `duration` starts at 0: the provider that runs the command
 * replaces it with the measured wall time.
 */
export function success<T>(
  data: T,
  affectedResources: readonly string[] = [],
  options: SuccessOptions = {},
): CommandSuccess<T> {
  return {
    success: true,
    data,
    duration: 0,
    logs: options.logs ?? [],
    affectedResources,
    rollbackAvailable: options.rollbackAvailable ?? false,
  };
}

/** Extra fields a {@link failure} result may carry. */
export interface FailureOptions {
  /** True when retrying may succeed; the executor retries only these. Default `false`. */
  readonly recoverable?: boolean;
  /** Structured detail safe to show (never a secret). */
  readonly details?: Readonly<Record<string, unknown>>;
  /** Log lines for the caller. */
  readonly logs?: readonly string[];
  /** True when what was changed before the failure can be rolled back. Default `false`. */
  readonly rollbackAvailable?: boolean;
  /** Ids of resources touched before the failure. */
  readonly affectedResources?: readonly string[];
}

/** Wraps an expected failure as a result: a stable `code`, a message, and whether a retry may help. */
export function failure(code: string, message: string, options: FailureOptions = {}): CommandFailure {
  return {
    success: false,
    error: {
      code,
      message,
      recoverable: options.recoverable ?? false,
      ...(options.details === undefined ? {} : { details: options.details }),
    },
    duration: 0,
    logs: options.logs ?? [],
    affectedResources: options.affectedResources ?? [],
    rollbackAvailable: options.rollbackAvailable ?? false,
  };
}

function issue(code: string, message: string, path: string | undefined): ValidationIssue {
  return path === undefined ? { code, message } : { code, message, path };
}

/** Builders for the result of `validateConfig`: `ok`, `error`, `warning`, and `combine` to merge them. */
export const validation = {
  /** A valid config with no warnings. */
  ok(): ConfigValidationResult {
    return { valid: true, errors: [], warnings: [] };
  },
  /**
   * An invalid config: one error with a stable code, a reason and the offending path — relative to
   * the object being validated (`region`, `limits.max`; the registry prefixes `settings.`).
   */
  error(code: string, message: string, path?: string): ConfigValidationResult {
    return { valid: false, errors: [issue(code, message, path)], warnings: [] };
  },
  /** A valid config with one warning. */
  warning(code: string, message: string, path?: string): ConfigValidationResult {
    return { valid: true, errors: [], warnings: [issue(code, message, path)] };
  },
  /** Merges results: every error and warning kept in order; valid only when no error remains. */
  combine(...results: readonly ConfigValidationResult[]): ConfigValidationResult {
    const errors = results.flatMap((r) => r.errors);
    const warnings = results.flatMap((r) => r.warnings);
    return { valid: errors.length === 0, errors, warnings };
  },
} as const;

function isValidationIssue(value: unknown): value is ValidationIssue {
  if (typeof value !== "object" || value === null) return false;
  const { code, message, path } = value as { code?: unknown; message?: unknown; path?: unknown };
  return (
    typeof code === "string" &&
    typeof message === "string" &&
    (path === undefined || typeof path === "string")
  );
}

/**
 * The typed `details.issues` of a failed result — set by a provider on `VALIDATION_FAILED`,
 * `DRY_RUN_UNSUPPORTED` and `CONFIRMATION_REQUIRED`, each issue naming its field (`params.cpu`).
 * Empty for a success or a failure without issues; entries that are not `{ code, message, path? }`
 * are left out.
 */
export function validationIssuesOf(result: CommandResult): readonly ValidationIssue[] {
  if (result.success) return [];
  const issues = result.error.details?.["issues"];
  return Array.isArray(issues) ? issues.filter(isValidationIssue) : [];
}
