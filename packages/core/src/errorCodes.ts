/** What an error code means and what the person who sees it should do. */
export interface ErrorCodeInfo {
  /** What happened, in one sentence. */
  readonly meaning: string;
  /** What to do about it. */
  readonly action: string;
}

/**
 * The catalogue of every error code the framework throws (`InfrastructureError.code`) or returns
 * (`CommandFailure.error.code` of a failure the framework itself produces). One mistake has one
 * code whoever reports it: the executor, a provider built with the SDK, the registry or sessions.
 * Providers may return codes of their own (`QUOTA_EXCEEDED`); codes in this catalogue keep the
 * meaning given here.
 */
export const ERROR_CODES = {
  INVALID_ARGUMENT: {
    meaning:
      "A method was called with an argument of the wrong shape (not a config section, not command parameters).",
    action: "Fix the argument named by `field`; the message says what was expected.",
  },
  CONFIG_INVALID: {
    meaning: "A configuration object failed core's schema; `issues` lists every problem with its path.",
    action: "Fix each key named in `issues` (`sessionConfig.timeout`, `providers[0].auth.method`).",
  },
  VALIDATION_FAILED: {
    meaning:
      "Input (command parameters, provider meta, a record read back) failed validation; `issues` names each field.",
    action: "Fix each field named in `issues` (`params.name: expected string, got number`) and call again.",
  },
  NOT_FOUND: {
    meaning: "A named thing (provider, instance, command, session, pending operation) does not exist.",
    action: "Check the id; the message lists what exists or suggests the closest id.",
  },
  ALREADY_EXISTS: {
    meaning: "A thing with this id already exists (a provider factory, an instance, a pending operation).",
    action: "Pick another id, or remove the existing one first.",
  },
  ILLEGAL_TRANSITION: {
    meaning:
      "A lifecycle or session transition the state table does not allow (start a terminated provider, activate a terminated session).",
    action: "Read the current state and take a transition it allows.",
  },
  NOT_ACTIVE: {
    meaning:
      "A command was asked of a provider instance or a session that is not active (suspended, initializing, expired…).",
    action: "Start the instance or extend/activate the session, then call again; nothing ran.",
  },
  LIFECYCLE_FAILED: {
    meaning: "A provider's lifecycle step (initialize, start, stop, destroy) threw or failed.",
    action: "Read `cause`; the instance is in `error` until restarted or destroyed.",
  },
  TIMEOUT: {
    meaning: "An operation ran past its time limit (a command attempt, a factory, a lifecycle step).",
    action: "Raise the limit or find why it is slow; a timed-out command may have had effects.",
  },
  CANCELLED: {
    meaning: "The caller aborted the operation through its AbortSignal.",
    action: "Nothing to fix; call again if it is still wanted.",
  },
  LIMIT_EXCEEDED: {
    meaning: "A configured limit was reached (concurrent sessions, a rate limit).",
    action: "Wait, free a slot, or raise the limit named by `field`.",
  },
  CONFLICT: {
    meaning:
      "Another writer or operation got there first (a record changed, a pending operation is being resumed, a provider is busy).",
    action: "Read the current state and retry.",
  },
  EXPIRED: {
    meaning: "A pending operation, approval or session outlived its expiry.",
    action: "Submit the operation again.",
  },
  CONFIRMATION_REQUIRED: {
    meaning:
      "The operation needs explicit confirmation (a dangerous command, `requireConfirmation`, or the security gate asked); nothing ran.",
    action:
      "Review it and resume (or call again) with `confirmed: true`; pass a session so the operation can wait.",
  },
  APPROVAL_REQUIRED: {
    meaning: "The security gate requires an approval before the operation runs; nothing ran.",
    action: "Pass a session so the operation waits as a pending operation, get it approved, then resume it.",
  },
  DRY_RUN_UNSUPPORTED: {
    meaning:
      "A dry run was asked of a command that does not declare `supportsDryRun` (or dry runs are disabled); nothing ran.",
    action: "Run it for real, or use a command that supports dry runs.",
  },
  SECURITY_DENIED: {
    meaning: "The security gate denied the operation; `details.reasons` has one reason per check.",
    action: "Read the failed checks (RBAC, time window, approval…) and ask for the missing right or window.",
  },
  GATE_FAILED: {
    meaning:
      "The security gate could not decide (it threw or timed out); this is a failure of the gate, not a decision about the operation. Nothing ran.",
    action: "Fix the gate (see the logs), then resume or call again; a pending operation is kept.",
  },
  AUDIT_FAILED: {
    meaning:
      "The audit sink could not record the operation, so a mutating operation was not run (fail closed).",
    action: "Fix the audit sink (disk, store), then call again.",
  },
  STORAGE_FAILED: {
    meaning: "A state store could not read or write.",
    action:
      "Check the state directory or store connection (disk full, permissions); nothing stored was lost.",
  },
  STORAGE_LOCKED: {
    meaning: "Another process holds the state directory's lock.",
    action: "Stop the other process or point this one at another state directory.",
  },
  STORAGE_UNAVAILABLE: {
    meaning:
      "The shared state store (Redis) cannot be reached right now; nothing was read or written, so a mutating operation was denied (fail closed).",
    action:
      "Bring the store back (check the server, network, TLS and credentials); the client reconnects by itself with backoff, then call again.",
  },
  STORAGE_CORRUPT: {
    meaning: "A stored record is corrupt or was written by something else.",
    action: "Restore the file from a backup or move it away; the rest of the store still loads.",
  },
  CRYPTO_FAILED: {
    meaning: "Encryption or decryption failed (wrong or missing key, tampered record).",
    action:
      "Provide the key the records were sealed with (`securityConfig.encryption.key` or `previousKeys`).",
  },
  PROVIDER_FAILED: {
    meaning:
      "The provider's own code failed: a command handler or factory threw, or returned something malformed.",
    action:
      "Read the message and the provider's logs; this is a bug or outage of the provider, not of the call.",
  },
  DISCOVERY_FAILED: {
    meaning: "Plugin discovery could not run.",
    action: "Check the discovery directories and manifests named in the message.",
  },
  SHUTDOWN: {
    meaning: "The component is shutting down or was shut down; new work is refused.",
    action: "Nothing to fix; the process is stopping.",
  },
} as const satisfies Readonly<Record<string, ErrorCodeInfo>>;

/** An error code of the catalogue (`NOT_FOUND`, `GATE_FAILED`, …). */
export type InfrastructureErrorCode = keyof typeof ERROR_CODES;

/** Every error code of the catalogue, in catalogue order. */
export const INFRASTRUCTURE_ERROR_CODES = Object.freeze(
  Object.keys(ERROR_CODES),
) as readonly InfrastructureErrorCode[];

/** True when `code` is a code of the catalogue. */
export function isInfrastructureErrorCode(code: unknown): code is InfrastructureErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}

/** The catalogue entry of a code, or undefined for a code outside the catalogue (a provider's own). */
export function describeErrorCode(code: string): ErrorCodeInfo | undefined {
  return isInfrastructureErrorCode(code) ? ERROR_CODES[code] : undefined;
}

/**
 * The catalogue of issue codes (`ValidationIssue.code`) the framework's validators produce. Issues
 * always carry a `path`; providers may add issue codes of their own.
 */
export const ISSUE_CODES = {
  REQUIRED: "A required field is missing.",
  TYPE_MISMATCH: "A field has the wrong type (`expected string, got number`).",
  INVALID_VALUE: "A field has a value outside what it accepts.",
  INVALID_FORMAT: "A string does not have the required format.",
  INVALID_KEY: "A map key is not accepted.",
  UNKNOWN_KEY: "A configuration key is not known (a typo such as `sesionConfig`).",
  UNKNOWN_PARAM: "A command parameter is not declared (an error in strict mode, a warning otherwise).",
  TOO_SMALL: "A number, string or array is below its minimum.",
  TOO_BIG: "A number, string or array is above its maximum.",
  NOT_MULTIPLE_OF: "A number is not a multiple of the required step.",
  NOT_IN_ENUM: "A value is not one of the allowed values.",
  PATTERN_MISMATCH: "A string does not match the declared pattern.",
  INVALID_PATH: "A file path is empty or contains a NUL byte.",
  PATH_TRAVERSAL: "A relative path escapes its base directory.",
  INVALID_REFERENCE: "A resource reference has no usable id or type.",
  RESOURCE_TYPE_MISMATCH: "A resource reference points at a resource of the wrong type.",
  EMPTY_SECRET: "A secret parameter is empty.",
  UNRESOLVED_SECRET: "A secret parameter still holds an unresolved `${ENV}` reference.",
  CONFIRMATION_REQUIRED: "The command needs explicit confirmation.",
  DRY_RUN_UNSUPPORTED: "A dry run was asked of a command that does not support one.",
  INVALID_DEFINITION: "A command definition itself is invalid (bad type, pattern, min > max…).",
  SENSITIVE_DEFAULT: "A sensitive parameter declares a default value.",
  VALIDATOR_FAILED: "A validator threw instead of returning issues.",
  DUPLICATE_ID: "An id is used twice (providers, commands).",
  UNKNOWN_PROVIDER: "A key names a provider that is not configured.",
  PROVIDER_DISABLED: "A key names a provider that is disabled.",
  UNSUPPORTED_AUTH_METHOD: "The auth method is not one the provider declares.",
  NOT_FOUND: "The field names something that does not exist.",
  NOT_ACTIVE: "The field names an instance or session that is not active.",
  SESSION_REQUIRED: "The operation must wait (approval or confirmation) and no session was given to hold it.",
  UNREADABLE: "The input could not be read (a getter or proxy threw).",
} as const satisfies Readonly<Record<string, string>>;

/** An issue code of the catalogue. */
export type IssueCode = keyof typeof ISSUE_CODES;
