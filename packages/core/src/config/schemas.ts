import { z } from "zod";
import { commandValidationConfigSchema } from "./commandValidation.js";
import { deferred } from "../deferredSchema.js";
import { described, describedDeferred } from "./described.js";
import { authMethodSchema } from "../taxonomy.js";
import { logLevelSchema } from "../logger.js";
import { providerIdSchema } from "../provider.js";
import { isRecord } from "../validation/record.js";
import { portableSuperRefine } from "../validation/precompiled.js";
import { MAX_TIMER_MS } from "../async.js";
import { isRegexSource, securityPoliciesSchema, timeZoneSchema } from "./securityPolicies.js";
import type { SecurityPoliciesInput } from "./securityPolicies.js";

// Every object of the configuration is strict: an unknown key (a typo such as `sesionConfig`) is an
// error naming the key, never silently ignored. Open maps (`settings`, `credentials`, destination
// `config`) stay open because their keys belong to providers and transports.
// Every schema here, the internal helpers too, is built on first use (`deferred`): importing core
// builds none of them, and parsing a configuration builds the sections it has (see
// `optionalPolicies` for the one part a parse leaves unbuilt when it is absent).

/** A strictly positive integer (intervals, limits, counts). */
const positiveInt = deferred(() => z.number().int().positive());
/** A non-negative integer (retries, delays). */
const nonNegativeInt = deferred(() => z.number().int().nonnegative());
const TIMER_LIMIT_MESSAGE = `must be at most ${MAX_TIMER_MS} ms (the longest delay a Node timer honours)`;
/** A positive delay or interval in ms that a Node timer can honour. */
const timerMs = deferred(() => positiveInt.max(MAX_TIMER_MS, TIMER_LIMIT_MESSAGE));

/** Schema of a provider's authentication block: the method and its credential values. */
export const providerAuthConfigSchema = deferred(() =>
  z.strictObject({
    method: authMethodSchema.describe("How the provider authenticates."),
    credentials: described(
      z.record(z.string(), z.string()).default({}),
      "Secret values, usually `${ENV_VAR}` references the host interpolates before validation.",
    ),
  }),
);
/** A provider's authentication block. */
export type ProviderAuthConfig = z.infer<typeof providerAuthConfigSchema>;

/** Schema of one `providers[]` entry. */
export const providerConfigSchema = deferred(() =>
  z.strictObject({
    id: providerIdSchema.describe("The provider (factory) id, lowercase kebab-case."),
    enabled: described(
      z.boolean().default(true),
      "Create and start this provider (false: configured but left off).",
    ),
    auth: described(
      providerAuthConfigSchema.optional(),
      "Optional: a provider that needs no credentials omits it.",
    ),
    settings: described(
      z.record(z.string(), z.unknown()).default({}),
      "Provider-specific settings, passed through untouched.",
    ),
  }),
);
/** One configured provider. */
export type ProviderConfig = z.infer<typeof providerConfigSchema>;

/** Schema of `sessionConfig`. */
export const sessionConfigSchema = deferred(() =>
  z.strictObject({
    timeout: described(positiveInt.default(3_600_000), "Session TTL in ms."),
    maxConcurrent: described(positiveInt.default(10), "Most sessions open at once."),
    persistState: described(z.boolean().default(true), "Persist sessions to disk (under `stateDir`)."),
    cleanupInterval: described(timerMs.default(300_000), "Expired-session sweep interval in ms."),
  }),
);
/** Session settings. */
export type SessionConfig = z.infer<typeof sessionConfigSchema>;

// Its own module, so the command validator (and the sdk) load it without every config schema.
export { commandValidationConfigSchema } from "./commandValidation.js";
export type { CommandValidationConfig } from "./commandValidation.js";

/** Schema of `commandConfig.execution`. */
export const commandExecutionConfigSchema = deferred(() =>
  z.strictObject({
    defaultTimeout: described(timerMs.default(60_000), "Timeout of a command that declares none, in ms."),
    maxRetries: described(nonNegativeInt.default(3), "Retries of a recoverable failure."),
    retryDelay: described(
      nonNegativeInt.max(MAX_TIMER_MS, TIMER_LIMIT_MESSAGE).default(1_000),
      "Delay between retries, in ms.",
    ),
    parallelLimit: described(positiveInt.default(5), "Commands running at once."),
  }),
);
/** Command execution settings. */
export type CommandExecutionConfig = z.infer<typeof commandExecutionConfigSchema>;

/** Schema of `commandConfig.history`. */
export const commandHistoryConfigSchema = deferred(() =>
  z.strictObject({
    enabled: described(z.boolean().default(true), "Record executed commands in the session's history."),
    maxEntries: described(positiveInt.default(1_000), "Entries kept per session."),
    retentionDays: described(positiveInt.default(30), "Days an entry is kept."),
  }),
);
/** Command history settings. */
export type CommandHistoryConfig = z.infer<typeof commandHistoryConfigSchema>;

/** Schema of `commandConfig`. */
export const commandConfigSchema = deferred(() =>
  z.strictObject({
    validation: described(commandValidationConfigSchema.prefault({}), "What the command validator enforces."),
    execution: described(
      commandExecutionConfigSchema.prefault({}),
      "How commands run: timeouts, retries, parallelism.",
    ),
    history: described(commandHistoryConfigSchema.prefault({}), "Per-session command history."),
  }),
);
/** Command settings. */
export type CommandConfig = z.infer<typeof commandConfigSchema>;

/** Schema of `lifecycleConfig`: the registry's lifecycle manager (health checks, restarts, shutdown). */
export const lifecycleConfigSchema = deferred(
  () =>
    z.strictObject({
      healthCheckInterval: described(
        timerMs.default(60_000),
        "Periodic health poll of every active provider, in ms.",
      ),
      autoRestart: described(
        z.boolean().default(true),
        "Restart a running provider that fails or turns unhealthy.",
      ),
      maxRestartAttempts: described(
        nonNegativeInt.default(3),
        "Automatic restarts allowed within one `restartWindow`; one more failure leaves the provider in `error`.",
      ),
      restartDelay: described(
        nonNegativeInt.max(MAX_TIMER_MS, TIMER_LIMIT_MESSAGE).default(5_000),
        "Delay before a restart, in ms; doubles with each restart already made in the window.",
      ),
      restartWindow: described(
        timerMs.default(600_000),
        "Sliding window, in ms, in which at most `maxRestartAttempts` restarts are made (a healthy check does not reset it).",
      ),
      shutdownTimeout: described(
        timerMs.default(30_000),
        "Time each provider gets to stop and destroy at shutdown, in ms.",
      ),
      operationTimeout: described(
        timerMs.default(30_000),
        "Bound on every single provider call and hook, in ms.",
      ),
    }),
  "core.lifecycleConfig",
);
/** Lifecycle manager settings. */
export type LifecycleConfig = z.infer<typeof lifecycleConfigSchema>;

/** The three log destination types. */
export const LOG_DESTINATION_TYPES = ["console", "file", "remote"] as const;
/** Schema of one `loggingConfig.destinations[]` entry. */
export const logDestinationSchema = deferred(() =>
  z.strictObject({
    type: described(z.enum(LOG_DESTINATION_TYPES), "Where entries go: console, file or remote."),
    config: described(
      z.record(z.string(), z.unknown()).default({}),
      "Transport options (a file path, a URL…), interpreted by the logging package.",
    ),
  }),
);
/** One log destination. */
export type LogDestination = z.infer<typeof logDestinationSchema>;

/** A regular-expression source that compiles. */
const regexSourceSchema = deferred(() =>
  z.string().refine(isRegexSource, { message: "must be a valid regular expression" }),
);

/** Schema of `loggingConfig`. */
export const loggingConfigSchema = deferred(() =>
  z.strictObject({
    level: described(logLevelSchema.default("info"), "Least severe level written."),
    includeTimestamps: described(z.boolean().default(true), "Prefix each entry with its ISO time."),
    includeMetadata: described(z.boolean().default(true), "Write each entry's structured metadata."),
    destinations: described(
      z.array(logDestinationSchema).default(() => [{ type: "console" as const, config: {} }]),
      "Log destinations, each with its transport options.",
    ),
    redactPatterns: described(
      z.array(regexSourceSchema).default(() => []),
      "Regular-expression sources; matching text is redacted from every log entry.",
    ),
  }),
);
/** Logging settings. */
export type LoggingConfig = z.infer<typeof loggingConfigSchema>;

/** Schema of `securityConfig.encryption`. */
export const encryptionConfigSchema = deferred(() =>
  z.strictObject({
    enabled: described(z.boolean().default(true), "Encrypt persisted sessions and credentials at rest."),
    algorithm: described(z.literal("aes-256-gcm").default("aes-256-gcm"), "Only AES-256-GCM is supported."),
    keyRotationDays: described(
      positiveInt.default(90),
      "Days after which a new key should replace the current one.",
    ),
    key: described(
      z.string().min(1).optional(),
      "The key (base64 of 32 bytes), usually a `${ENV_VAR}` reference the host interpolates. When absent the sessions package reads `ESPADA_INFRA_ENCRYPTION_KEY`, else generates a keyring.",
    ),
    previousKeys: described(
      z.array(z.string().min(1)).optional(),
      "Earlier keys (base64 of 32 bytes), still used to decrypt records sealed before a rotation.",
    ),
  }),
);
/** Encryption-at-rest settings. */
export type EncryptionConfig = z.infer<typeof encryptionConfigSchema>;

/** Schema of `securityConfig.audit`. */
export const auditConfigSchema = deferred(() =>
  z.strictObject({
    enabled: described(z.boolean().default(true), "Record an audit trail."),
    logAllCommands: described(z.boolean().default(true), "Audit read-only commands too, not only changes."),
    logSensitiveData: described(
      z.boolean().default(false),
      "Record parameter values marked sensitive (off: they are redacted).",
    ),
    readOnlyWhenUnavailable: described(
      z.boolean().optional(),
      "When the audit sink cannot record, read-only operations (`monitor`, `cost`, dry runs) still run. Mutating operations never do (fail closed). Absent or false: nothing runs unaudited.",
    ),
  }),
);
/** Audit settings. */
export type AuditConfig = z.infer<typeof auditConfigSchema>;

/** Schema of `securityConfig.access`. */
export const accessConfigSchema = deferred(() =>
  z.strictObject({
    requireMfa: described(z.boolean().default(false), "Require multi-factor authentication of the caller."),
  }),
);
/** Access settings. */
export type AccessConfig = z.infer<typeof accessConfigSchema>;

/**
 * The schema of `securityConfig.policies`: `securityPoliciesSchema`, optional, built only when a
 * configuration has `policies` (~250 zod instances a `status` run never parses with). Written with
 * zod's own parts so that nothing of the policies schema is read before a value is there: the
 * preprocess step (which keeps the value as it is) is what zod asks whether the key may be absent,
 * and `z.lazy` keeps the policies schema out of zod's look over a container's children on its first
 * parse. A present value is parsed by `securityPoliciesSchema` itself, in the same parse (same
 * output, issues and paths); its input and output types and its JSON Schema are the policies
 * schema's, as with `securityPoliciesSchema.optional()`.
 */
function optionalPolicies() {
  return z
    .preprocess(
      (policies: SecurityPoliciesInput) => policies,
      z.lazy(() => securityPoliciesSchema),
    )
    .optional();
}

/** Schema of `securityConfig`. */
export const securityConfigSchema = deferred(() =>
  z.strictObject({
    encryption: described(encryptionConfigSchema.prefault({}), "Encryption at rest."),
    audit: described(auditConfigSchema.prefault({}), "Audit trail."),
    access: described(accessConfigSchema.prefault({}), "Caller access requirements."),
    policies: described(
      optionalPolicies(),
      "Policies of the security facade (roles, deny rules, windows, approval chains, break-glass, risk). Optional, so the spec's defaults stay as they are; absent means `securityPoliciesSchema`'s defaults.",
    ),
  }),
);
/** Security settings. */
export type SecurityConfig = z.infer<typeof securityConfigSchema>;

/** A directory path in the configuration. */
const directory = deferred(() => z.string().min(1).max(4096));

/** Schema of one `discoveryConfig.remoteRegistries[]` entry: an HTTP(S) plugin index. */
export const remoteRegistryConfigSchema = deferred(() =>
  z.strictObject({
    url: described(
      z.url({ protocol: /^https?$/, error: "must be an http or https URL" }),
      "URL of the index (JSON listing plugins, versions and sha512 integrity).",
    ),
    timeout: described(
      timerMs.optional(),
      "Request timeout in ms; defaults to `discoveryConfig.remoteTimeout`.",
    ),
    headers: described(
      z.record(z.string(), z.string()).default({}),
      "Extra request headers (an auth token…); sent only to the index's own origin, never logged.",
    ),
  }),
);
/** One remote plugin index. */
export type RemoteRegistryConfig = z.infer<typeof remoteRegistryConfigSchema>;

/** Schema of `discoveryConfig`: where plugin discovery looks and how long it caches. */
export const discoveryConfigSchema = deferred(
  () =>
    z.strictObject({
      enabled: described(z.boolean().default(true), "Discovery on or off (off: `discover()` finds nothing)."),
      bundledDirs: described(
        z.array(directory).default(() => []),
        "Plugin folders shipped with the installation (highest precedence).",
      ),
      installedDirs: described(
        z.array(directory).default(() => ["node_modules"]),
        "`node_modules` folders whose packages may declare a plugin in their package.json.",
      ),
      localDirs: described(
        z.array(directory).default(() => []),
        "Further plugin folders on disk.",
      ),
      remoteRegistries: described(
        z.array(remoteRegistryConfigSchema).default(() => []),
        "Remote plugin indexes (lowest precedence).",
      ),
      cacheTtl: described(
        z.number().int().nonnegative().default(60_000),
        "How long a discovery result is reused, in ms (0: never cached).",
      ),
      remoteTimeout: described(timerMs.default(10_000), "Timeout of a remote request, in ms."),
      maxManifestBytes: described(
        z
          .number()
          .int()
          .positive()
          .max(64 * 1024 * 1024)
          .default(1024 * 1024),
        "Largest manifest file read, in bytes.",
      ),
    }),
  "core.discoveryConfig",
);
/** Discovery settings, every default filled in. */
export type DiscoveryConfig = z.infer<typeof discoveryConfigSchema>;
/** What a user may write in `discoveryConfig`. */
export type DiscoveryConfigInput = z.input<typeof discoveryConfigSchema>;

/** Schema of `conversationConfig`: the chat pipeline (`@espada/infra-conversation`). */
export const conversationConfigSchema = deferred(() =>
  z.strictObject({
    enabled: described(z.boolean().default(true), "The conversational pipeline on or off."),
    confirmationPolicy: described(
      z.enum(["mutating", "risky"]).default("mutating"),
      "`mutating`: every change started from chat is confirmed; `risky`: only destructive, production, medium+ risk or unsure ones.",
    ),
    confirmationTtl: described(
      timerMs.default(300_000),
      "How long a confirmation waits for the user, in ms.",
    ),
    modelTimeout: described(
      timerMs.default(2_000),
      "Time limit of one call to a plugged-in language model, in ms.",
    ),
    timeZone: described(
      timeZoneSchema.default("UTC"),
      'IANA time zone that "2am" and "tomorrow" are read in.',
    ),
    maxConversations: described(
      positiveInt.default(1_000),
      "Conversations whose context is kept at once (least recently used dropped).",
    ),
    minConfidence: described(
      z.number().min(0).max(1).default(0.42),
      "Below this classifier confidence the pipeline asks what the user means.",
    ),
  }),
);
/** Conversation settings, every default filled in. */
export type ConversationConfig = z.infer<typeof conversationConfigSchema>;
/** What a user may write in `conversationConfig`. */
export type ConversationConfigInput = z.input<typeof conversationConfigSchema>;

/** TLS towards Redis: `true` for the system's CAs, or the PEM text of a private CA or client certificate. */
export const redisTlsConfigSchema = describedDeferred(
  () =>
    z.union([
      z.boolean(),
      z.strictObject({
        ca: described(
          z.string().min(1).optional(),
          "PEM of the CA(s) that signed the server certificate (the text, not a path).",
        ),
        cert: described(z.string().min(1).optional(), "PEM of a client certificate, for mutual TLS."),
        key: described(
          z.string().min(1).optional(),
          "PEM of the client certificate's private key (a secret: never logged).",
        ),
        servername: described(
          z.string().min(1).optional(),
          "Server name checked against the certificate, when it differs from the URL's host.",
        ),
        rejectUnauthorized: described(
          z.boolean().default(true),
          "Refuse a server whose certificate does not verify (false only for tests).",
        ),
      }),
    ]),
  "TLS towards Redis: `true` for the system's CAs, or `{ ca, cert, key, servername, rejectUnauthorized }`; a `rediss://` URL turns TLS on by itself.",
);

/** Settings of the Redis state store (`stateStoreConfig.redis`). */
export const redisStoreConfigSchema = deferred(() =>
  z.strictObject({
    url: described(
      z
        .string()
        .min(1)
        .refine((url) => /^rediss?:\/\/[^\s]+$/i.test(url), {
          message: "must be a redis:// or rediss:// URL",
        }),
      "`redis://[user:password@]host[:port][/db]`, or `rediss://…` for TLS. Credentials in it are never logged.",
    ),
    username: described(z.string().min(1).optional(), "ACL user name, when not in the URL."),
    password: described(
      z.string().min(1).optional(),
      "Password, when not in the URL (use `${REDIS_PASSWORD}`); never logged.",
    ),
    tls: redisTlsConfigSchema.default(false),
    keyPrefix: described(
      z
        .string()
        .min(1)
        .max(64)
        .regex(/^[A-Za-z0-9_.:-]+$/, "letters, digits and _ . : - only")
        .default("espada"),
      "Prefix of every Redis key this store writes (one prefix per shared state; written as the cluster hash tag `{prefix}`).",
    ),
    connectTimeout: described(timerMs.default(5_000), "Time limit of one connection attempt, in ms."),
    commandTimeout: described(
      timerMs.default(5_000),
      "Time limit of one call before it rejects with STORAGE_UNAVAILABLE, in ms.",
    ),
    reconnectMinDelay: described(
      timerMs.default(100),
      "First reconnection delay, in ms (doubles per attempt up to `reconnectMaxDelay`, with jitter).",
    ),
    reconnectMaxDelay: described(timerMs.default(5_000), "Longest reconnection delay, in ms."),
    expiryGrace: described(
      timerMs.default(60_000),
      "Redis drops an expired record this long (ms) after the framework's clock hid it; clocks of instances may differ by up to this much.",
    ),
  }),
);
/** Redis store settings, every default filled in. */
export type RedisStoreConfig = z.infer<typeof redisStoreConfigSchema>;
/** What a user may write in `stateStoreConfig.redis`. */
export type RedisStoreConfigInput = z.input<typeof redisStoreConfigSchema>;

/**
 * Which `StateStore` keeps sessions, approvals, break-glass, roles, rate limits and the audit log:
 * `file` (the default: files under `stateDir`, one process) or `redis` (several instances sharing
 * one state; `redis` settings required).
 */
export const stateStoreConfigSchema = describedDeferred(
  () =>
    z
      .strictObject({
        backend: described(
          z.enum(["file", "redis"]).default("file"),
          "`file`: files under `stateDir` (one process); `redis`: several instances sharing one state (sessions too: give every instance the same `securityConfig.encryption.key`).",
        ),
        redis: described(
          redisStoreConfigSchema.optional(),
          "Settings of the Redis store; required when `backend` is `redis`.",
        ),
      })
      .check(redisSettingsRequired()),
  "Which state store keeps sessions, approvals, break-glass, roles, rate limits and the audit log.",
);
/** State store settings, every default filled in. */
export type StateStoreConfig = z.infer<typeof stateStoreConfigSchema>;
/** What a user may write in `stateStoreConfig`. */
export type StateStoreConfigInput = z.input<typeof stateStoreConfigSchema>;

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
  stateStoreConfig: stateStoreConfigSchema,
} as const;
/** The key of a configuration section (`sessionConfig`, `securityConfig`, …). */
export type ConfigSectionName = keyof typeof CONFIG_SECTIONS;
/** A section after defaults. */
export type ConfigSection<N extends ConfigSectionName> = z.output<(typeof CONFIG_SECTIONS)[N]>;
/** A section as a user may write it. */
export type ConfigSectionInput<N extends ConfigSectionName> = z.input<(typeof CONFIG_SECTIONS)[N]>;

type SectionShape = { [N in ConfigSectionName]: z.ZodPrefault<(typeof CONFIG_SECTIONS)[N]> };
/** Every section, defaulting to `{}`: the sections' part of the root schema's shape. */
function sectionShape(): SectionShape {
  return Object.fromEntries(
    Object.entries(CONFIG_SECTIONS as Readonly<Record<string, z.ZodObject>>).map(([name, schema]) => [
      name,
      schema.prefault({}),
    ]),
  ) as unknown as SectionShape;
}

/**
 * Schema of the whole `extensions.infrastructure` block. Every section is optional and defaults to
 * the values the spec shows. Cross-field rules: provider ids are unique, and `defaultProvider`
 * names a configured, enabled provider.
 */
export const infrastructureConfigSchema = deferred(
  () =>
    z
      .strictObject({
        enabled: described(z.boolean().default(true), "The extension switch of the spec's install snippet."),
        providers: described(
          z.array(providerConfigSchema).default(() => []),
          "The providers to create and start.",
        ),
        defaultProvider: described(
          providerIdSchema.optional(),
          "The provider a command without one goes to.",
        ),
        stateDir: described(
          z.string().min(1).optional(),
          "Directory of the file state stores (sessions, approvals, audit…); the host picks one when absent.",
        ),
        ...sectionShape(),
      })
      // The cross-field rules run even when other fields failed, so one pass reports every problem;
      // they therefore read the (possibly partial) value defensively.
      .check(crossFieldRules()),
  "core.infrastructureConfig",
);

/** `stateStoreConfig`: the redis backend needs its settings. */
const redisSettingsRequired = portableSuperRefine(
  "core.stateStoreRedisSettings",
  (config: { backend: string; redis?: unknown }, ctx) => {
    if (config.backend === "redis" && config.redis === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["redis"],
        message: 'backend "redis" needs redis settings (at least redis.url)',
        params: { code: "REQUIRED" },
      });
    }
  },
);

/** The config's cross-field rules (see {@link checkCrossFieldRules}). */
const crossFieldRules = portableSuperRefine("core.configCrossFieldRules", checkCrossFieldRules, {
  when: (payload) => isRecord(payload.value),
});

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
