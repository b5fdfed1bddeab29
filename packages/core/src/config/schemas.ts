import { z } from "zod";
import { authMethodSchema } from "../taxonomy.js";
import { logLevelSchema } from "../logger.js";
import { providerIdSchema } from "../provider.js";
import { isRecord } from "../validation/record.js";
import { MAX_TIMER_MS } from "../async.js";
import { securityPoliciesSchema } from "./securityPolicies.js";

// Every object of the configuration is strict: an unknown key (a typo such as `sesionConfig`) is an
// error naming the key, never silently ignored. Open maps (`settings`, `credentials`, destination
// `config`) stay open because their keys belong to providers and transports.

/** A strictly positive integer (intervals, limits, counts). */
const positiveInt = z.number().int().positive();
/** A non-negative integer (retries, delays). */
const nonNegativeInt = z.number().int().nonnegative();
const TIMER_LIMIT_MESSAGE = `must be at most ${MAX_TIMER_MS} ms (the longest delay a Node timer honours)`;
/** A positive delay or interval in ms that a Node timer can honour. */
const timerMs = positiveInt.max(MAX_TIMER_MS, TIMER_LIMIT_MESSAGE);

/** Schema of a provider's authentication block: the method and its credential values. */
export const providerAuthConfigSchema = z.strictObject({
  method: authMethodSchema,
  /** Secret values, usually `${ENV_VAR}` references the host interpolates before validation. */
  credentials: z.record(z.string(), z.string()).default({}),
});
/** A provider's authentication block. */
export type ProviderAuthConfig = z.infer<typeof providerAuthConfigSchema>;

/** Schema of one `providers[]` entry. */
export const providerConfigSchema = z.strictObject({
  /** The provider (factory) id, lowercase kebab-case. */
  id: providerIdSchema,
  enabled: z.boolean().default(true),
  /** Optional: a provider that needs no credentials omits it. */
  auth: providerAuthConfigSchema.optional(),
  /** Provider-specific settings, passed through untouched. */
  settings: z.record(z.string(), z.unknown()).default({}),
});
/** One configured provider. */
export type ProviderConfig = z.infer<typeof providerConfigSchema>;

/** Schema of `sessionConfig`. */
export const sessionConfigSchema = z.strictObject({
  /** Session TTL in ms. */
  timeout: positiveInt.default(3_600_000),
  /** Most sessions open at once. */
  maxConcurrent: positiveInt.default(10),
  /** Persist sessions to disk (under `stateDir`). */
  persistState: z.boolean().default(true),
  /** Expired-session sweep interval in ms. */
  cleanupInterval: timerMs.default(300_000),
});
/** Session settings. */
export type SessionConfig = z.infer<typeof sessionConfigSchema>;

/** Schema of `commandConfig.validation`. */
export const commandValidationConfigSchema = z.strictObject({
  /** Unknown parameters are errors (true) or warnings (false). */
  strict: z.boolean().default(true),
  /** Dry-run requests are allowed at all. */
  allowDryRun: z.boolean().default(true),
  /** Every non-dry-run command needs explicit confirmation. */
  requireConfirmation: z.boolean().default(false),
  /** Commands declared `dangerous` need explicit confirmation. */
  dangerousCommandsRequireExplicit: z.boolean().default(true),
});
/** Command validation settings (what `InfrastructureCommandValidator` enforces). */
export type CommandValidationConfig = z.infer<typeof commandValidationConfigSchema>;

/** Schema of `commandConfig.execution`. */
export const commandExecutionConfigSchema = z.strictObject({
  /** Timeout of a command that declares none, in ms. */
  defaultTimeout: timerMs.default(60_000),
  /** Retries of a recoverable failure. */
  maxRetries: nonNegativeInt.default(3),
  /** Delay between retries, in ms. */
  retryDelay: nonNegativeInt.max(MAX_TIMER_MS, TIMER_LIMIT_MESSAGE).default(1_000),
  /** Commands running at once. */
  parallelLimit: positiveInt.default(5),
});
/** Command execution settings. */
export type CommandExecutionConfig = z.infer<typeof commandExecutionConfigSchema>;

/** Schema of `commandConfig.history`. */
export const commandHistoryConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Entries kept per session. */
  maxEntries: positiveInt.default(1_000),
  /** Days an entry is kept. */
  retentionDays: positiveInt.default(30),
});
/** Command history settings. */
export type CommandHistoryConfig = z.infer<typeof commandHistoryConfigSchema>;

/** Schema of `commandConfig`. */
export const commandConfigSchema = z.strictObject({
  validation: commandValidationConfigSchema.prefault({}),
  execution: commandExecutionConfigSchema.prefault({}),
  history: commandHistoryConfigSchema.prefault({}),
});
/** Command settings. */
export type CommandConfig = z.infer<typeof commandConfigSchema>;

/** Schema of `lifecycleConfig`: the registry's lifecycle manager (health checks, restarts, shutdown). */
export const lifecycleConfigSchema = z.strictObject({
  /** Periodic health poll of every active provider, in ms. */
  healthCheckInterval: timerMs.default(60_000),
  /** Restart a running provider that fails or turns unhealthy. */
  autoRestart: z.boolean().default(true),
  /** Automatic restarts allowed within one `restartWindow`; one more failure leaves the provider in `error`. */
  maxRestartAttempts: nonNegativeInt.default(3),
  /** Delay before a restart, in ms; doubles with each restart already made in the window. */
  restartDelay: nonNegativeInt.max(MAX_TIMER_MS, TIMER_LIMIT_MESSAGE).default(5_000),
  /** Sliding window, in ms, in which at most `maxRestartAttempts` restarts are made (a healthy check does not reset it). */
  restartWindow: timerMs.default(600_000),
  /** Time each provider gets to stop and destroy at shutdown, in ms. */
  shutdownTimeout: timerMs.default(30_000),
  /** Bound on every single provider call and hook, in ms. */
  operationTimeout: timerMs.default(30_000),
});
/** Lifecycle manager settings. */
export type LifecycleConfig = z.infer<typeof lifecycleConfigSchema>;

/** The three log destination types. */
export const LOG_DESTINATION_TYPES = ["console", "file", "remote"] as const;
/** Schema of one `loggingConfig.destinations[]` entry. */
export const logDestinationSchema = z.strictObject({
  type: z.enum(LOG_DESTINATION_TYPES),
  /** Transport options (a file path, a URL…), interpreted by the logging package. */
  config: z.record(z.string(), z.unknown()).default({}),
});
/** One log destination. */
export type LogDestination = z.infer<typeof logDestinationSchema>;

/** A regular-expression source that compiles. */
const regexSourceSchema = z.string().refine(
  (source) => {
    try {
      new RegExp(source);
      return true;
    } catch {
      return false;
    }
  },
  { message: "must be a valid regular expression" },
);

/** Schema of `loggingConfig`. */
export const loggingConfigSchema = z.strictObject({
  level: logLevelSchema.default("info"),
  includeTimestamps: z.boolean().default(true),
  includeMetadata: z.boolean().default(true),
  destinations: z.array(logDestinationSchema).default(() => [{ type: "console" as const, config: {} }]),
  /** Regular-expression sources; matching text is redacted from every log entry. */
  redactPatterns: z.array(regexSourceSchema).default(() => []),
});
/** Logging settings. */
export type LoggingConfig = z.infer<typeof loggingConfigSchema>;

/** Schema of `securityConfig.encryption`. */
export const encryptionConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Only AES-256-GCM is supported. */
  algorithm: z.literal("aes-256-gcm").default("aes-256-gcm"),
  keyRotationDays: positiveInt.default(90),
  /**
   * The key (base64 of 32 bytes), usually a `${ENV_VAR}` reference the host interpolates. When
   * absent the sessions package reads `ESPADA_INFRA_ENCRYPTION_KEY`, else generates a keyring.
   */
  key: z.string().min(1).optional(),
  /** Earlier keys (base64 of 32 bytes), still used to decrypt records sealed before a rotation. */
  previousKeys: z.array(z.string().min(1)).optional(),
});
/** Encryption-at-rest settings. */
export type EncryptionConfig = z.infer<typeof encryptionConfigSchema>;

/** Schema of `securityConfig.audit`. */
export const auditConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  logAllCommands: z.boolean().default(true),
  /** Record parameter values marked sensitive (off: they are redacted). */
  logSensitiveData: z.boolean().default(false),
  /**
   * When the audit sink cannot record, read-only operations (`monitor`, `cost`, dry runs) still run.
   * Mutating operations never do (fail closed). Absent or false: nothing runs unaudited.
   */
  readOnlyWhenUnavailable: z.boolean().optional(),
});
/** Audit settings. */
export type AuditConfig = z.infer<typeof auditConfigSchema>;

/** Schema of `securityConfig.access`. */
export const accessConfigSchema = z.strictObject({
  requireMfa: z.boolean().default(false),
});
/** Access settings. */
export type AccessConfig = z.infer<typeof accessConfigSchema>;

/** Schema of `securityConfig`. */
export const securityConfigSchema = z.strictObject({
  encryption: encryptionConfigSchema.prefault({}),
  audit: auditConfigSchema.prefault({}),
  access: accessConfigSchema.prefault({}),
  /**
   * Policies of the security facade (roles, deny rules, windows, approval chains, break-glass, risk).
   * Optional, so the spec's defaults stay as they are; absent means `securityPoliciesSchema`'s defaults.
   */
  policies: securityPoliciesSchema.optional(),
});
/** Security settings. */
export type SecurityConfig = z.infer<typeof securityConfigSchema>;

/** A directory path in the configuration. */
const directory = z.string().min(1).max(4096);

/** Schema of one `discoveryConfig.remoteRegistries[]` entry: an HTTP(S) plugin index. */
export const remoteRegistryConfigSchema = z.strictObject({
  /** URL of the index (JSON listing plugins, versions and sha512 integrity). */
  url: z.url({ protocol: /^https?$/, error: "must be an http or https URL" }),
  /** Request timeout in ms; defaults to `discoveryConfig.remoteTimeout`. */
  timeout: timerMs.optional(),
  /** Extra request headers (an auth token…); sent only to the index's own origin, never logged. */
  headers: z.record(z.string(), z.string()).default({}),
});
/** One remote plugin index. */
export type RemoteRegistryConfig = z.infer<typeof remoteRegistryConfigSchema>;

/** Schema of `discoveryConfig`: where plugin discovery looks and how long it caches. */
export const discoveryConfigSchema = z.strictObject({
  /** Discovery on or off (off: `discover()` finds nothing). */
  enabled: z.boolean().default(true),
  /** Plugin folders shipped with the installation (highest precedence). */
  bundledDirs: z.array(directory).default(() => []),
  /** `node_modules` folders whose packages may declare a plugin in their package.json. */
  installedDirs: z.array(directory).default(() => ["node_modules"]),
  /** Further plugin folders on disk. */
  localDirs: z.array(directory).default(() => []),
  /** Remote plugin indexes (lowest precedence). */
  remoteRegistries: z.array(remoteRegistryConfigSchema).default(() => []),
  /** How long a discovery result is reused, in ms (0: never cached). */
  cacheTtl: z.number().int().nonnegative().default(60_000),
  /** Timeout of a remote request, in ms. */
  remoteTimeout: timerMs.default(10_000),
  /** Largest manifest file read, in bytes. */
  maxManifestBytes: z.number().int().positive().max(64 * 1024 * 1024).default(1024 * 1024),
});
/** Discovery settings, every default filled in. */
export type DiscoveryConfig = z.infer<typeof discoveryConfigSchema>;
/** What a user may write in `discoveryConfig`. */
export type DiscoveryConfigInput = z.input<typeof discoveryConfigSchema>;

/** Schema of `conversationConfig`: the chat pipeline (`@espada/infra-conversation`). */
export const conversationConfigSchema = z.strictObject({
  /** The conversational pipeline on or off. */
  enabled: z.boolean().default(true),
  /** `mutating`: every change started from chat is confirmed; `risky`: only destructive, production, medium+ risk or unsure ones. */
  confirmationPolicy: z.enum(["mutating", "risky"]).default("mutating"),
  /** How long a confirmation waits for the user, in ms. */
  confirmationTtl: timerMs.default(300_000),
  /** Time limit of one call to a plugged-in language model, in ms. */
  modelTimeout: timerMs.default(2_000),
  /** IANA time zone that "2am" and "tomorrow" are read in. */
  timeZone: z
    .string()
    .min(1)
    .default("UTC")
    .refine((tz) => isTimeZone(tz), { message: "must be an IANA time zone such as UTC or Europe/Berlin" }),
  /** Conversations whose context is kept at once (least recently used dropped). */
  maxConversations: positiveInt.default(1_000),
  /** Below this classifier confidence the pipeline asks what the user means. */
  minConfidence: z.number().min(0).max(1).default(0.42),
});
/** Conversation settings, every default filled in. */
export type ConversationConfig = z.infer<typeof conversationConfigSchema>;
/** What a user may write in `conversationConfig`. */
export type ConversationConfigInput = z.input<typeof conversationConfigSchema>;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Every section of `extensions.infrastructure`, by key: the one place each package's settings are
 * defined. A package never parses a section of its own; it reads the schema from here. To add a
 * section (discovery, security policies, conversation…): define its strict schema with defaults
 * above and add one entry here; `infrastructureConfigSchema`, `validateConfigSection`, the types and
 * the host's JSON Schema all follow from this object.
 */
export const CONFIG_SECTIONS = {
  sessionConfig: sessionConfigSchema,
  commandConfig: commandConfigSchema,
  lifecycleConfig: lifecycleConfigSchema,
  loggingConfig: loggingConfigSchema,
  securityConfig: securityConfigSchema,
  discoveryConfig: discoveryConfigSchema,
  conversationConfig: conversationConfigSchema,
} as const;
/** The key of a configuration section (`sessionConfig`, `securityConfig`, …). */
export type ConfigSectionName = keyof typeof CONFIG_SECTIONS;
/** A section after defaults. */
export type ConfigSection<N extends ConfigSectionName> = z.output<(typeof CONFIG_SECTIONS)[N]>;
/** A section as a user may write it. */
export type ConfigSectionInput<N extends ConfigSectionName> = z.input<(typeof CONFIG_SECTIONS)[N]>;

type SectionShape = { [N in ConfigSectionName]: z.ZodPrefault<(typeof CONFIG_SECTIONS)[N]> };
const sectionShape = Object.fromEntries(Object.entries(CONFIG_SECTIONS as Readonly<Record<string, z.ZodObject>>).map(([name, schema]) => [name, schema.prefault({})])) as unknown as SectionShape;

/**
 * Schema of the whole `extensions.infrastructure` block. Every section is optional and defaults to
 * the values the spec shows. Cross-field rules: provider ids are unique, and `defaultProvider`
 * names a configured, enabled provider.
 */
export const infrastructureConfigSchema = z
  .strictObject({
    /** The extension switch of the spec's install snippet. */
    enabled: z.boolean().default(true),
    providers: z.array(providerConfigSchema).default(() => []),
    defaultProvider: providerIdSchema.optional(),
    /** Directory of the file state stores (sessions, approvals, audit…); the host picks one when absent. */
    stateDir: z.string().min(1).optional(),
    ...sectionShape,
  })
  // The cross-field rules run even when other fields failed, so one pass reports every problem;
  // they therefore read the (possibly partial) value defensively.
  .superRefine((config, ctx) => checkCrossFieldRules(config, ctx), { when: (payload) => isRecord(payload.value) });

function checkCrossFieldRules(config: unknown, ctx: z.RefinementCtx): void {
  if (!isRecord(config)) return;
  const providers = Array.isArray(config.providers) ? (config.providers as unknown[]) : [];
  const seen = new Map<string, { index: number; enabled: boolean }>();
  providers.forEach((provider, index) => {
    if (!isRecord(provider) || typeof provider.id !== "string") return;
    const first = seen.get(provider.id);
    if (first === undefined) seen.set(provider.id, { index, enabled: provider.enabled !== false });
    else
      ctx.addIssue({
        code: "custom",
        path: ["providers", index, "id"],
        message: `duplicate provider id "${provider.id}" (already used by providers[${first.index}])`,
        params: { code: "DUPLICATE_ID" },
      });
  });
  const name = config.defaultProvider;
  if (typeof name !== "string") return;
  const provider = seen.get(name);
  if (provider === undefined)
    ctx.addIssue({
      code: "custom",
      path: ["defaultProvider"],
      message: `names provider "${name}", which is not in providers`,
      params: { code: "UNKNOWN_PROVIDER" },
    });
  else if (!provider.enabled)
    ctx.addIssue({
      code: "custom",
      path: ["defaultProvider"],
      message: `names provider "${name}", which is disabled`,
      params: { code: "PROVIDER_DISABLED" },
    });
}

/** The validated infrastructure configuration, every default filled in. */
export type InfrastructureConfig = z.infer<typeof infrastructureConfigSchema>;
/** What a user may write: every key with a default is optional. */
export type InfrastructureConfigInput = z.input<typeof infrastructureConfigSchema>;
