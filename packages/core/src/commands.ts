import { z } from "zod";
import { deferred } from "./deferredSchema.js";
import {
  commandCategorySchema,
  parameterTypeSchema,
  providerCapabilitySchema,
  resourceTypeSchema,
} from "./taxonomy.js";
import type { Environment } from "./taxonomy.js";
import type { InfrastructureLogger } from "./logger.js";
import { createNoopLogger } from "./logger.js";
import { MAX_TIMER_MS } from "./async.js";
import type { ValidatedCommandCall } from "./validation/types.js";
import { estimatedCostSchema } from "./security.js";

// Built on first use (`deferred`): constructing zod schemas is most of what importing core would
// cost, and most importers never parse with most of them.
/** Schema of one command parameter declaration. */
export const commandParameterSchema = deferred(() =>
  z.object({
    name: z.string().min(1),
    type: parameterTypeSchema,
    description: z.string().default(""),
    required: z.boolean().default(false),
    default: z.unknown().optional(),
    /** Regular expression (source) a string value must match. */
    pattern: z.string().optional(),
    /** Minimum: value for numbers, length for strings and arrays. */
    min: z.number().optional(),
    /** Maximum: value for numbers, length for strings and arrays. */
    max: z.number().optional(),
    /** Allowed values. */
    enum: z.array(z.union([z.string(), z.number(), z.boolean()])).optional(),
    /** Redacted in anything shown or logged. `secret` parameters are always sensitive. */
    sensitive: z.boolean().default(false),
    /** Element type, for `array` parameters. */
    items: parameterTypeSchema.optional(),
    /** Resource type a `resource-ref` must point at. */
    resourceType: resourceTypeSchema.optional(),
  }),
);
/** A command parameter declaration. */
export type CommandParameter = z.infer<typeof commandParameterSchema>;

/** Schema of a usage example attached to a command. */
export const commandExampleSchema = deferred(() =>
  z.object({
    description: z.string(),
    params: z.record(z.string(), z.unknown()),
  }),
);
/** A usage example of a command. */
export type CommandExample = z.infer<typeof commandExampleSchema>;

/** Schema of a command definition. */
export const commandDefinitionSchema = deferred(
  () =>
    z.object({
      id: z.string().min(1),
      name: z.string().min(1),
      description: z.string().default(""),
      category: commandCategorySchema,
      parameters: z.array(commandParameterSchema).default([]),
      requiredCapabilities: z.array(providerCapabilitySchema).default([]),
      supportsDryRun: z.boolean().default(false),
      dangerous: z.boolean().default(false),
      examples: z.array(commandExampleSchema).default([]),
      /** Per-command timeout in ms; overrides `commandConfig.execution.defaultTimeout`. */
      timeout: z.number().int().positive().max(MAX_TIMER_MS).optional(),
      /** Resource types the command touches. */
      resourceTypes: z.array(resourceTypeSchema).default([]),
      /** What one run is estimated to cost; reaches the security gate as `OperationRequest.estimatedCost`. */
      estimatedCost: estimatedCostSchema.optional(),
    }),
  "core.commandDefinition",
);
/** A command a provider offers. */
export type CommandDefinition = z.infer<typeof commandDefinitionSchema>;

/** One progress update a running command reports. */
export interface ProgressUpdate {
  /** 0–100 when known. */
  readonly percent?: number;
  readonly message: string;
  readonly step?: number;
  readonly totalSteps?: number;
}

/** Receives progress from a running command; the executor turns each call into a `command:progress` event. */
export type ProgressReporter = (update: ProgressUpdate) => void;

/** What a command runs with. Every field has a default (see {@link createExecutionContext}). */
export interface ExecutionContext {
  /** Unique id of this run. */
  readonly executionId: string;
  /** Session the run belongs to, when any. */
  readonly sessionId: string | undefined;
  /** Who asked. Default `"system"`. */
  readonly userId: string;
  /** Where it runs. Default `"development"`. */
  readonly environment: Environment;
  /** Simulate without changing anything. Default `false`. */
  readonly dryRun: boolean;
  /** The caller explicitly confirmed a dangerous command. Default `false`. */
  readonly confirmed: boolean;
  /** Aborted when the run is cancelled or times out; providers pass it to their I/O. */
  readonly signal: AbortSignal;
  /** Progress sink. Default: discards updates. */
  readonly progress: ProgressReporter;
  /** Logger scoped to the run. Default: records nothing. */
  readonly logger: InfrastructureLogger;
  /** Session variables visible to the command. */
  readonly variables: Readonly<Record<string, unknown>>;
  /**
   * Time limit of this run in ms, set by the caller (the executor passes the limit it enforces).
   * When absent a provider applies the command's declared `timeout`, and none when it declares none.
   */
  readonly timeout?: number;
  /**
   * The verdict core's validator already gave this call (the executor passes it). A provider that
   * finds it issued by core's validator for this very command, params and flags does not validate
   * again, so the caller's `commandConfig.validation` decides; otherwise the provider validates.
   */
  readonly validated?: ValidatedCommandCall;
}

const neverAborted = new AbortController().signal;

/** Builds a full {@link ExecutionContext} from a partial one, filling every default. */
export function createExecutionContext(partial: Partial<ExecutionContext> = {}): ExecutionContext {
  return {
    executionId: partial.executionId ?? globalThis.crypto.randomUUID(),
    sessionId: partial.sessionId,
    userId: partial.userId ?? "system",
    environment: partial.environment ?? "development",
    dryRun: partial.dryRun ?? false,
    confirmed: partial.confirmed ?? false,
    signal: partial.signal ?? neverAborted,
    progress: partial.progress ?? (() => undefined),
    logger: partial.logger ?? createNoopLogger(),
    variables: partial.variables ?? {},
    ...(partial.timeout === undefined ? {} : { timeout: partial.timeout }),
    ...(partial.validated === undefined ? {} : { validated: partial.validated }),
  };
}

/** The error half of a failed {@link CommandResult}. */
export interface CommandError {
  /** Stable code (`QUOTA_EXCEEDED`, `TIMEOUT`, …). */
  readonly code: string;
  readonly message: string;
  /** True when retrying may succeed; the executor retries only these. */
  readonly recoverable: boolean;
  /** Structured detail safe to show. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Fields every result carries. */
interface CommandResultBase {
  /** Wall time in milliseconds. */
  readonly duration: number;
  /** Log lines the command produced for the caller. */
  readonly logs: readonly string[];
  /** Ids of the resources the command touched. */
  readonly affectedResources: readonly string[];
  /** True when the change can be rolled back. */
  readonly rollbackAvailable: boolean;
  /** True when the run was a dry run. */
  readonly dryRun?: boolean;
}

/** A successful command result. */
export interface CommandSuccess<T = unknown> extends CommandResultBase {
  readonly success: true;
  readonly data: T;
}

/** A failed command result: an expected failure is a result, not a throw. */
export interface CommandFailure extends CommandResultBase {
  readonly success: false;
  readonly error: CommandError;
}

/** What running a command yields: data, or an error with code, message and `recoverable`. */
export type CommandResult<T = unknown> = CommandSuccess<T> | CommandFailure;
