import { z } from "zod";
import { deferred } from "./deferredSchema.js";

/** The 11 provider categories. */
export const PROVIDER_CATEGORIES = [
  "cloud",
  "container",
  "kubernetes",
  "serverless",
  "database",
  "storage",
  "network",
  "security",
  "monitoring",
  "ci-cd",
  "custom",
] as const;
// Built on first use (`deferred`): constructing zod schemas is most of what importing core would
// cost, and most importers never parse with most of them.
/** Schema of a provider category. */
export const providerCategorySchema = deferred(() => z.enum(PROVIDER_CATEGORIES));
/** A provider category (`cloud`, `kubernetes`, …). */
export type ProviderCategory = z.infer<typeof providerCategorySchema>;

/** The 14 capabilities a provider may declare. */
export const PROVIDER_CAPABILITIES = [
  "provision",
  "deprovision",
  "scale",
  "monitor",
  "backup",
  "restore",
  "migrate",
  "audit",
  "cost-analysis",
  "security-scan",
  "dry-run",
  "rollback",
  "snapshot",
  "replicate",
] as const;
/** Schema of a provider capability. */
export const providerCapabilitySchema = deferred(() => z.enum(PROVIDER_CAPABILITIES));
/** A provider capability (`provision`, `scale`, …). */
export type ProviderCapability = z.infer<typeof providerCapabilitySchema>;

/** The 16 resource types a provider may manage. */
export const RESOURCE_TYPES = [
  "compute",
  "storage",
  "network",
  "database",
  "cache",
  "queue",
  "function",
  "container",
  "cluster",
  "load-balancer",
  "dns",
  "certificate",
  "secret",
  "policy",
  "identity",
  "custom",
] as const;
/** Schema of a resource type. */
export const resourceTypeSchema = deferred(() => z.enum(RESOURCE_TYPES));
/** A resource type (`compute`, `database`, …). */
export type ResourceType = z.infer<typeof resourceTypeSchema>;

/** The 7 authentication methods. */
export const AUTH_METHODS = [
  "api-key",
  "oauth2",
  "service-account",
  "iam-role",
  "certificate",
  "token",
  "custom",
] as const;
/** Schema of an authentication method. */
export const authMethodSchema = deferred(() => z.enum(AUTH_METHODS));
/** An authentication method (`api-key`, `oauth2`, …). */
export type AuthMethod = z.infer<typeof authMethodSchema>;

/**
 * The 6 command categories. They match the intent categories of the conversational pipeline so a
 * classified chat intent maps straight onto the commands that serve it.
 */
export const COMMAND_CATEGORIES = ["provision", "manage", "monitor", "security", "cost", "utility"] as const;
/** Schema of a command category. */
export const commandCategorySchema = deferred(() => z.enum(COMMAND_CATEGORIES));
/** A command category. */
export type CommandCategory = z.infer<typeof commandCategorySchema>;

/** The 8 parameter types a command parameter may declare. */
export const PARAMETER_TYPES = [
  "string",
  "number",
  "boolean",
  "array",
  "object",
  "file",
  "secret",
  "resource-ref",
] as const;
/** Schema of a parameter type. */
export const parameterTypeSchema = deferred(() => z.enum(PARAMETER_TYPES));
/** A command parameter type. */
export type ParameterType = z.infer<typeof parameterTypeSchema>;

/** Deployment environments the framework knows how to weigh; any other name is allowed too. */
export const KNOWN_ENVIRONMENTS = ["development", "staging", "production"] as const;
/** An environment name (`production`, `staging`, `development` or a custom one). */
export type Environment = (typeof KNOWN_ENVIRONMENTS)[number] | (string & {});
