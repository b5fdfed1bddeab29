import { z } from "zod";
import { deferred } from "./deferredSchema.js";
import {
  authMethodSchema,
  providerCapabilitySchema,
  providerCategorySchema,
  resourceTypeSchema,
} from "./taxonomy.js";
import type { ProviderCapability, ResourceType } from "./taxonomy.js";
import type {
  LifecycleHook,
  LifecycleHookStage,
  LifecycleState,
  LifecycleStateHolder,
  Unsubscribe,
} from "./lifecycle.js";
import type { CommandDefinition, CommandResult, ExecutionContext } from "./commands.js";
import type { ValidationIssue } from "./errors.js";
import type { InfrastructureLogger } from "./logger.js";
import { jsonObjectSchema } from "./json.js";

// Built on first use (`deferred`): constructing zod schemas is most of what importing core would
// cost, and most importers never parse with most of them.
/** Ids are lowercase kebab-case: letters, digits and dashes, starting with a letter. */
export const providerIdSchema = deferred(() =>
  z
    .string()
    .regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/, "must be lowercase kebab-case (letters, digits, dashes)")
    .max(64),
);

/** Schema of a provider's descriptive metadata. */
export const providerMetaSchema = deferred(
  () =>
    z.object({
      id: providerIdSchema,
      name: z.string().min(1),
      displayName: z.string().min(1),
      description: z.string().default(""),
      version: z
        .string()
        .regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/, "must be a semantic version (1.2.3)"),
      category: providerCategorySchema,
      capabilities: z.array(providerCapabilitySchema).default([]),
      supportedResources: z.array(resourceTypeSchema).default([]),
      authMethods: z.array(authMethodSchema).min(1, "at least one auth method is required"),
      author: z.string().optional(),
      homepage: z.string().optional(),
      tags: z.array(z.string()).default([]),
    }),
  "core.providerMeta",
);
/** A provider's descriptive metadata. */
export type ProviderMeta = z.infer<typeof providerMetaSchema>;

/** Schema of the credentials a provider initializes with. */
export const providerAuthSchema = deferred(
  () =>
    z.object({
      method: authMethodSchema,
      /** Secret values; encrypted at rest and never logged. */
      credentials: z.record(z.string(), z.string()).default({}),
      /** Non-secret options (region, tenant, scopes…). */
      options: jsonObjectSchema.default({}),
      /** Epoch ms after which the credentials are stale. */
      expiresAt: z.number().optional(),
    }),
  "core.providerAuth",
);
/** The credentials a provider initializes with. */
export type ProviderAuth = z.infer<typeof providerAuthSchema>;

/** Health of one sub-check or of a whole provider. */
export const HEALTH_STATUSES = ["healthy", "degraded", "unhealthy", "unknown"] as const;
/** A health status. */
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** One sub-check of a provider's health. */
export interface HealthCheckItem {
  readonly name: string;
  readonly status: HealthStatus;
  readonly message?: string;
  /** Round-trip time of the check, in ms. */
  readonly latencyMs?: number;
}

/** A provider's health report: the worst of its items decides `status`. */
export interface ProviderHealth {
  readonly status: HealthStatus;
  readonly checks: readonly HealthCheckItem[];
  /** Epoch ms. */
  readonly checkedAt: number;
}

/** Folds item statuses into one: any unhealthy → unhealthy, any degraded/unknown → degraded, none → unknown. */
export function summarizeHealth(checks: readonly HealthCheckItem[]): HealthStatus {
  if (checks.length === 0) return "unknown";
  if (checks.some((c) => c.status === "unhealthy")) return "unhealthy";
  if (checks.some((c) => c.status !== "healthy")) return "degraded";
  return "healthy";
}

/** The result of validating a provider's config. */
export interface ConfigValidationResult {
  readonly valid: boolean;
  readonly errors: readonly ValidationIssue[];
  readonly warnings: readonly ValidationIssue[];
}

/** A resource a provider manages, as it last saw it. */
export interface ResourceState {
  readonly id: string;
  readonly type: ResourceType;
  readonly name?: string;
  /** Provider-defined status (`running`, `stopped`, …). */
  readonly status: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Epoch ms. */
  readonly updatedAt: number;
}

/** The contract every provider implements; `@espada/infra-sdk` builds one for you. */
export interface InfrastructureProvider {
  readonly meta: ProviderMeta;
  /** Current lifecycle state: always `lifecycle.state`. */
  readonly state: LifecycleState;
  /**
   * The one holder of this instance's state (core's `LifecycleStateMachine`). The provider moves it
   * in its own lifecycle calls; the registry's lifecycle manager reads it and moves it too when it
   * decides for the provider (an operation that timed out or an unhealthy check → `error`, a forced
   * shutdown → `terminated`), so the provider and the manager never report different states.
   */
  readonly lifecycle: LifecycleStateHolder;
  /** Authenticate and connect: uninitialized → initializing → ready (or error). */
  initialize(auth: ProviderAuth): Promise<void>;
  /** ready → active. */
  start(): Promise<void>;
  /** active → suspending → suspended. */
  stop(): Promise<void>;
  /** → terminating → terminated; releases everything. */
  destroy(): Promise<void>;
  healthCheck(): Promise<ProviderHealth>;
  validateConfig(config: unknown): Promise<ConfigValidationResult>;
  getCommands(): readonly CommandDefinition[];
  /** Run a command; missing context fields get the defaults of `createExecutionContext`. */
  executeCommand(
    commandId: string,
    params: Record<string, unknown>,
    context?: Partial<ExecutionContext>,
  ): Promise<CommandResult>;
  hasCapability(capability: ProviderCapability): boolean;
  supportsResource(type: ResourceType): boolean;
  getResources(): readonly ResourceState[];
  /** Subscribe to a lifecycle hook stage. */
  onLifecycle(stage: LifecycleHookStage, hook: LifecycleHook): Unsubscribe;
}

/** What a factory receives when the registry creates an instance. */
export interface ProviderFactoryOptions {
  /** Unique id of the instance being created. */
  readonly instanceId: string;
  /** Provider-specific settings (`providers[].settings`). */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Logger scoped to the instance. */
  readonly logger: InfrastructureLogger;
}

/** Creates provider instances. */
export type ProviderFactory = (
  options: ProviderFactoryOptions,
) => InfrastructureProvider | Promise<InfrastructureProvider>;

/** The package or folder a factory came from. */
export interface PluginInfo {
  readonly name: string;
  readonly version?: string;
  readonly path?: string;
}
