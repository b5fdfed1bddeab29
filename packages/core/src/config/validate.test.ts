import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ConfigValidationError } from "../errors.js";
import { appendPath } from "../validation/path.js";
import {
  getDefaultInfrastructureConfig,
  getInfrastructureConfigJsonSchema,
  mergeWithDefaults,
  parseInfrastructureConfig,
  validateCommandConfig,
  validateInfrastructureConfig,
  validateLoggingConfig,
  validateProviderConfig,
  validateSecurityConfig,
  validateSessionConfig,
  validateConfigSection,
} from "./validate.js";
import { CONFIG_SECTIONS } from "./schemas.js";
import type { ConfigResult } from "./validate.js";

/** The spec's "Configuration keys" block, minus the illustrative provider. */
const SPEC_DEFAULTS = {
  enabled: true,
  providers: [],
  sessionConfig: { timeout: 3600000, maxConcurrent: 10, persistState: true, cleanupInterval: 300000 },
  commandConfig: {
    validation: {
      strict: true,
      allowDryRun: true,
      requireConfirmation: false,
      dangerousCommandsRequireExplicit: true,
    },
    execution: { defaultTimeout: 60000, maxRetries: 3, retryDelay: 1000, parallelLimit: 5 },
    history: { enabled: true, maxEntries: 1000, retentionDays: 30 },
  },
  lifecycleConfig: {
    healthCheckInterval: 60000,
    autoRestart: true,
    maxRestartAttempts: 3,
    restartDelay: 5000,
    restartWindow: 600000,
    shutdownTimeout: 30000,
    operationTimeout: 30000,
  },
  discoveryConfig: {
    enabled: true,
    bundledDirs: [],
    installedDirs: ["node_modules"],
    localDirs: [],
    remoteRegistries: [],
    cacheTtl: 60000,
    remoteTimeout: 10000,
    maxManifestBytes: 1048576,
  },
  conversationConfig: {
    enabled: true,
    confirmationPolicy: "mutating",
    confirmationTtl: 300000,
    modelTimeout: 2000,
    timeZone: "UTC",
    maxConversations: 1000,
    minConfidence: 0.42,
  },
  stateStoreConfig: { backend: "file" },
  loggingConfig: {
    level: "info",
    includeTimestamps: true,
    includeMetadata: true,
    destinations: [{ type: "console", config: {} }],
    redactPatterns: [],
  },
  securityConfig: {
    encryption: { enabled: true, algorithm: "aes-256-gcm", keyRotationDays: 90 },
    audit: { enabled: true, logAllCommands: true, logSensitiveData: false },
    access: { requireMfa: false },
  },
};

/** The spec's YAML example, as the host hands it over. */
const SPEC_EXAMPLE = {
  ...structuredClone(SPEC_DEFAULTS),
  providers: [
    {
      id: "my-cloud",
      enabled: true,
      auth: { method: "api-key", credentials: { apiKey: "${MY_API_KEY}" } },
      settings: {},
    },
  ],
  defaultProvider: "my-cloud",
};

function errorsOf<T>(result: ConfigResult<T>): readonly { code: string; path?: string; message: string }[] {
  if (result.success) throw new Error("expected a failure");
  return result.errors;
}

describe("getDefaultInfrastructureConfig", () => {
  it("returns exactly the spec's defaults", () => {
    expect(getDefaultInfrastructureConfig()).toStrictEqual(SPEC_DEFAULTS);
  });

  it("returns a fresh object every call", () => {
    const a = getDefaultInfrastructureConfig();
    a.loggingConfig.destinations.push({ type: "file", config: {} });
    a.sessionConfig.timeout = 1;
    expect(getDefaultInfrastructureConfig()).toStrictEqual(SPEC_DEFAULTS);
  });
});

describe("validateInfrastructureConfig", () => {
  it("accepts the spec's example and fills nothing it already has", () => {
    const result = validateInfrastructureConfig(SPEC_EXAMPLE);
    expect(result).toStrictEqual({ success: true, data: SPEC_EXAMPLE });
  });

  it("fills every default for an empty or partial config", () => {
    const result = validateInfrastructureConfig({ commandConfig: { execution: { maxRetries: 0 } } });
    expect(result.success).toBe(true);
    if (!result.success) return;
    expect(result.data.commandConfig.execution).toStrictEqual({
      defaultTimeout: 60000,
      maxRetries: 0,
      retryDelay: 1000,
      parallelLimit: 5,
    });
    expect(result.data.commandConfig.validation.strict).toBe(true);
    expect(result.data.stateDir).toBeUndefined();
  });

  it("names every problem by path in one pass", () => {
    const errors = errorsOf(
      validateInfrastructureConfig({
        providers: [{ id: "ok" }, { id: "x", auth: { method: "password" } }],
        sessionConfig: { timeout: -5, cleanupInterval: 1.5 },
        loggingConfig: { destinations: [{ type: "syslog" }], redactPatterns: ["ok", "(unclosed"] },
        securityConfig: { encryption: { algorithm: "aes-128-cbc" } },
      }),
    );
    expect(errors.map((e) => [e.code, e.path])).toStrictEqual([
      ["INVALID_VALUE", "providers[1].auth.method"],
      ["TOO_SMALL", "sessionConfig.timeout"],
      ["TYPE_MISMATCH", "sessionConfig.cleanupInterval"],
      ["INVALID_VALUE", "loggingConfig.destinations[0].type"],
      ["INVALID_VALUE", "loggingConfig.redactPatterns[1]"],
      ["INVALID_VALUE", "securityConfig.encryption.algorithm"],
    ]);
    expect(errors[4]?.message).toMatch(/regular expression/);
  });

  it("rejects unknown keys at any depth, one issue per key, naming the key", () => {
    const errors = errorsOf(
      validateInfrastructureConfig({
        sesionConfig: {},
        commandConfig: { execution: { timeout: 5, retries: 1 } },
        providers: [{ id: "a", region: "x" }],
      }),
    );
    expect(errors).toContainEqual({
      code: "UNKNOWN_KEY",
      message: 'unknown configuration key "sesionConfig"',
      path: "sesionConfig",
    });
    expect(errors.filter((e) => e.code === "UNKNOWN_KEY").map((e) => e.path)).toStrictEqual([
      "providers[0].region",
      "commandConfig.execution.timeout",
      "commandConfig.execution.retries",
      "sesionConfig",
    ]);
  });

  it("keeps open maps open (settings, credentials, destination config)", () => {
    const result = validateInfrastructureConfig({
      providers: [
        {
          id: "a",
          settings: { region: "eu", nested: { x: 1 } },
          auth: { method: "token", credentials: { token: "t" } },
        },
      ],
      loggingConfig: { destinations: [{ type: "file", config: { path: "/var/log/infra.log" } }] },
    });
    expect(result.success).toBe(true);
  });

  it("reports a missing required key as REQUIRED", () => {
    expect(errorsOf(validateInfrastructureConfig({ providers: [{ enabled: true }] }))).toStrictEqual([
      { code: "REQUIRED", message: "is required (expected string)", path: "providers[0].id" },
    ]);
  });

  it("checks cross-field rules: duplicate ids, unknown or disabled default provider", () => {
    const dup = errorsOf(
      validateInfrastructureConfig({ providers: [{ id: "a" }, { id: "b" }, { id: "a" }] }),
    );
    expect(dup).toStrictEqual([
      {
        code: "DUPLICATE_ID",
        message: 'duplicate provider id "a" (already used by providers[0])',
        path: "providers[2].id",
      },
    ]);
    expect(
      errorsOf(validateInfrastructureConfig({ providers: [{ id: "a" }], defaultProvider: "b" }))[0],
    ).toMatchObject({
      code: "UNKNOWN_PROVIDER",
      path: "defaultProvider",
    });
    expect(
      errorsOf(
        validateInfrastructureConfig({ providers: [{ id: "a", enabled: false }], defaultProvider: "a" }),
      )[0],
    ).toMatchObject({
      code: "PROVIDER_DISABLED",
      path: "defaultProvider",
    });
  });

  it("reports cross-field problems together with field problems", () => {
    const errors = errorsOf(
      validateInfrastructureConfig({
        providers: [{ id: "a" }, { id: "a" }],
        defaultProvider: "z",
        sessionConfig: { timeout: 0 },
      }),
    );
    expect(errors.map((e) => e.code).sort()).toStrictEqual(["DUPLICATE_ID", "TOO_SMALL", "UNKNOWN_PROVIDER"]);
  });

  it("requires kebab-case provider ids and positive integer intervals", () => {
    expect(errorsOf(validateInfrastructureConfig({ providers: [{ id: "My Cloud" }] }))[0]?.path).toBe(
      "providers[0].id",
    );
    for (const bad of [0, -1, 1.5, Number.NaN, "60"]) {
      expect(errorsOf(validateSessionConfig({ cleanupInterval: bad }))[0]?.path).toBe("cleanupInterval");
    }
    expect(validateCommandConfig({ execution: { maxRetries: 0, retryDelay: 0 } }).success).toBe(true);
  });

  it("rejects a non-object config without a path", () => {
    for (const input of [null, 5, "x", []]) {
      const errors = errorsOf(validateInfrastructureConfig(input));
      expect(errors).toHaveLength(1);
      expect(errors[0]?.path).toBeUndefined();
    }
  });

  it("quotes keys that are not identifiers in paths", () => {
    const errors = errorsOf(
      validateInfrastructureConfig({
        providers: [{ id: "a", auth: { method: "token", credentials: { "api key": 5 } } }],
      }),
    );
    expect(errors[0]?.path).toBe('providers[0].auth.credentials["api key"]');
  });
});

describe("section validators", () => {
  it("validate each section with paths relative to it", () => {
    expect(errorsOf(validateProviderConfig({ id: "a", auth: { method: "nope" } }))[0]?.path).toBe(
      "auth.method",
    );
    expect(errorsOf(validateSessionConfig({ maxConcurrent: 0 }))[0]?.path).toBe("maxConcurrent");
    expect(errorsOf(validateCommandConfig({ validation: { strict: "yes" } }))[0]?.path).toBe(
      "validation.strict",
    );
    expect(errorsOf(validateLoggingConfig({ level: "verbose" }))[0]?.path).toBe("level");
    expect(errorsOf(validateSecurityConfig({ audit: { logSensitiveData: 1 } }))[0]?.path).toBe(
      "audit.logSensitiveData",
    );
  });

  it("fill the section's defaults", () => {
    expect(validateProviderConfig({ id: "a" })).toStrictEqual({
      success: true,
      data: { id: "a", enabled: true, settings: {} },
    });
    expect(validateSessionConfig({})).toStrictEqual({ success: true, data: SPEC_DEFAULTS.sessionConfig });
    expect(validateCommandConfig(undefined).success).toBe(false);
    expect(validateCommandConfig({})).toStrictEqual({ success: true, data: SPEC_DEFAULTS.commandConfig });
    expect(validateLoggingConfig({})).toStrictEqual({ success: true, data: SPEC_DEFAULTS.loggingConfig });
    expect(validateSecurityConfig({})).toStrictEqual({ success: true, data: SPEC_DEFAULTS.securityConfig });
  });

  it("refuse delays a Node timer cannot honour, naming the path", () => {
    const limit = 2 ** 31 - 1;
    expect(validateCommandConfig({ execution: { defaultTimeout: limit } }).success).toBe(true);
    const tooLong = errorsOf(
      validateCommandConfig({ execution: { defaultTimeout: limit + 1, retryDelay: limit + 1 } }),
    );
    expect(tooLong.map((i) => i.path)).toEqual(["execution.defaultTimeout", "execution.retryDelay"]);
    expect(tooLong[0]?.message).toContain("longest delay a Node timer honours");
    expect(errorsOf(validateSessionConfig({ cleanupInterval: limit + 1 }))[0]?.path).toBe("cleanupInterval");
  });

  it("accept every level and destination type of the spec", () => {
    for (const level of ["trace", "debug", "info", "warn", "error", "fatal"])
      expect(validateLoggingConfig({ level }).success).toBe(true);
    for (const type of ["console", "file", "remote"])
      expect(validateLoggingConfig({ destinations: [{ type }] }).success).toBe(true);
  });
});

describe("mergeWithDefaults", () => {
  it("deep-merges objects and replaces arrays", () => {
    const result = mergeWithDefaults({
      sessionConfig: { timeout: 1000 },
      loggingConfig: { destinations: [{ type: "file", config: { path: "/tmp/x.log" } }] },
    });
    expect(result.success).toBe(true);
    if (!result.success) return;
    expect(result.data.sessionConfig).toStrictEqual({ ...SPEC_DEFAULTS.sessionConfig, timeout: 1000 });
    expect(result.data.loggingConfig.destinations).toStrictEqual([
      { type: "file", config: { path: "/tmp/x.log" } },
    ]);
    expect(result.data.securityConfig).toStrictEqual(SPEC_DEFAULTS.securityConfig);
  });

  it("does not mutate its input and keeps defaults for undefined values", () => {
    const partial = { sessionConfig: { timeout: undefined, maxConcurrent: 3 } };
    const before = structuredClone(partial);
    const result = mergeWithDefaults(partial);
    expect(partial).toStrictEqual(before);
    expect(result.success && result.data.sessionConfig.timeout).toBe(3600000);
  });

  it("returns every problem of the merged result", () => {
    expect(
      errorsOf(mergeWithDefaults({ sessionConfig: { timeout: -1 }, defaultProvider: "ghost" })).map(
        (e) => e.path,
      ),
    ).toStrictEqual(["sessionConfig.timeout", "defaultProvider"]);
    expect(mergeWithDefaults(undefined)).toStrictEqual({ success: true, data: SPEC_DEFAULTS });
  });

  it("returns a failure naming the field when a getter or proxy of the input throws", () => {
    const boom = (): never => {
      throw new Error("boom");
    };
    const getter = {
      sessionConfig: Object.defineProperty({ maxConcurrent: 3 }, "timeout", { enumerable: true, get: boom }),
    };
    const inArray = {
      providers: [Object.defineProperty({ id: "aws" }, "auth", { enumerable: true, get: boom })],
    };
    const ownKeys = { loggingConfig: new Proxy({}, { ownKeys: boom }) };
    const prototype = { securityConfig: new Proxy({}, { getPrototypeOf: boom }) };
    const root = new Proxy({}, { ownKeys: boom });
    const thrownString = {
      commandConfig: Object.defineProperty({}, "history", {
        enumerable: true,
        get() {
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- hostile input throws anything
          throw "nope";
        },
      }),
    };
    expect(mergeWithDefaults(getter)).toStrictEqual({
      success: false,
      errors: [{ code: "UNREADABLE", message: "could not be read: boom", path: "sessionConfig.timeout" }],
    });
    expect(errorsOf(mergeWithDefaults(inArray as never))).toStrictEqual([
      { code: "UNREADABLE", message: "could not be read: boom", path: "providers[0].auth" },
    ]);
    expect(errorsOf(mergeWithDefaults(ownKeys as never)).map((e) => e.path)).toStrictEqual(["loggingConfig"]);
    expect(errorsOf(mergeWithDefaults(prototype as never)).map((e) => e.path)).toStrictEqual([
      "securityConfig",
    ]);
    expect(errorsOf(mergeWithDefaults(root as never))).toStrictEqual([
      { code: "UNREADABLE", message: "configuration could not be read: boom" },
    ]);
    expect(errorsOf(mergeWithDefaults(thrownString as never))).toStrictEqual([
      { code: "UNREADABLE", message: "could not be read: nope", path: "commandConfig.history" },
    ]);
  });

  it("cannot be used to pollute prototypes", () => {
    const hostile = JSON.parse(
      '{"__proto__": {"polluted": true}, "sessionConfig": {"__proto__": {"x": 1}}}',
    ) as Record<string, unknown>;
    const result = mergeWithDefaults(hostile);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(errorsOf(result).map((e) => e.code)).toContain("UNKNOWN_KEY");
  });
});

describe("parseInfrastructureConfig", () => {
  it("returns the config with defaults", () => {
    expect(parseInfrastructureConfig({})).toStrictEqual(SPEC_DEFAULTS);
  });

  it("throws ConfigValidationError listing every issue", () => {
    let caught: unknown;
    try {
      parseInfrastructureConfig({ sessionConfig: { timeout: 0 }, bogus: 1 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigValidationError);
    const error = caught as ConfigValidationError;
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.field).toBe("sessionConfig.timeout");
    expect(error.issues.map((i) => i.path)).toStrictEqual(["sessionConfig.timeout", "bogus"]);
    expect(error.message).toMatch(/sessionConfig\.timeout.*and 1 more/);
  });
});

describe("getInfrastructureConfigJsonSchema", () => {
  it("exports the input schema with defaults and closed objects", () => {
    const schema = getInfrastructureConfigJsonSchema() as {
      $schema: string;
      type: string;
      additionalProperties: boolean;
      properties: Record<
        string,
        { properties?: Record<string, { default?: unknown }>; additionalProperties?: unknown }
      >;
      required?: string[];
    };
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(schema.type).toBe("object");
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties).sort()).toStrictEqual(
      [
        "commandConfig",
        "conversationConfig",
        "defaultProvider",
        "discoveryConfig",
        "enabled",
        "lifecycleConfig",
        "loggingConfig",
        "providers",
        "securityConfig",
        "sessionConfig",
        "stateDir",
        "stateStoreConfig",
      ].sort(),
    );
    expect(schema.required ?? []).toStrictEqual([]);
    expect(schema.properties.sessionConfig?.properties?.timeout?.default).toBe(3600000);
    expect(schema.properties.sessionConfig?.additionalProperties).toBe(false);
    expect(JSON.parse(JSON.stringify(schema))).toStrictEqual(schema);
  });

  it("returns a fresh object every call", () => {
    const a = getInfrastructureConfigJsonSchema();
    a.type = "string";
    expect(getInfrastructureConfigJsonSchema().type).toBe("object");
  });
});

describe("config validation properties", () => {
  const validators = [
    validateInfrastructureConfig,
    validateProviderConfig,
    validateSessionConfig,
    validateCommandConfig,
    validateLoggingConfig,
    validateSecurityConfig,
    (input: unknown) => mergeWithDefaults(input as Parameters<typeof mergeWithDefaults>[0]),
  ];

  it("never throws on arbitrary input and always returns a well-formed result", () => {
    fc.assert(
      fc.property(
        fc.anything({
          withNullPrototype: true,
          withObjectString: true,
          withMap: true,
          withSet: true,
          withDate: true,
          withBigInt: true,
        }),
        (input) => {
          for (const validate of validators) {
            const result = validate(input);
            if (result.success) continue;
            expect(result.errors.length).toBeGreaterThan(0);
            for (const issue of result.errors) {
              expect(typeof issue.code).toBe("string");
              expect(typeof issue.message).toBe("string");
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("mergeWithDefaults names the field of a throwing getter placed at any depth", () => {
    const key = fc.constantFrom(
      "sessionConfig",
      "commandConfig",
      "history",
      "timeout",
      "x",
      "a b",
      "__proto__",
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, fc.boolean()), { minLength: 1, maxLength: 4 }),
        fc.anything(),
        (steps, sibling) => {
          // Build nested plain objects/arrays along `steps`; the last step is a throwing getter.
          const boom = (): never => {
            throw new Error("boom");
          };
          let path = "";
          const root: Record<string, unknown> = {};
          let parent: Record<string, unknown> | unknown[] = root;
          steps.forEach(([name, asArray], index) => {
            const last = index === steps.length - 1;
            const slot: string | number = Array.isArray(parent) ? 0 : name;
            path = appendPath(path, slot);
            if (last) {
              Object.defineProperty(parent, slot, { enumerable: true, configurable: true, get: boom });
              return;
            }
            const child: Record<string, unknown> | unknown[] = asArray ? [] : { sibling };
            Object.defineProperty(parent, slot, {
              value: child,
              enumerable: true,
              writable: true,
              configurable: true,
            });
            parent = child;
          });
          expect(() => mergeWithDefaults(root as never)).not.toThrow();
          expect(mergeWithDefaults(root as never)).toStrictEqual({
            success: false,
            errors: [{ code: "UNREADABLE", message: "could not be read: boom", path }],
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it("never throws on arbitrary values placed at real config paths", () => {
    const sections = fc.record(
      {
        providers: fc.array(
          fc.record(
            { id: fc.anything(), enabled: fc.anything(), auth: fc.anything(), settings: fc.anything() },
            { requiredKeys: [] },
          ),
        ),
        defaultProvider: fc.anything(),
        sessionConfig: fc.dictionary(
          fc.constantFrom("timeout", "maxConcurrent", "persistState", "cleanupInterval", "x"),
          fc.anything(),
        ),
        loggingConfig: fc.record(
          { level: fc.anything(), destinations: fc.anything(), redactPatterns: fc.array(fc.string()) },
          { requiredKeys: [] },
        ),
        securityConfig: fc.anything(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(sections, (input) => {
        const result = validateInfrastructureConfig(input);
        if (!result.success) for (const issue of result.errors) expect(issue.code).toMatch(/^[A-Z_]+$/);
      }),
      { numRuns: 300 },
    );
  });
});

describe("configuration sections", () => {
  it("core accepts every key a package reads: securityConfig.encryption.key and previousKeys, audit.readOnlyWhenUnavailable", () => {
    const config = {
      securityConfig: {
        encryption: { key: "${ESPADA_KEY}", previousKeys: ["b2xk"] },
        audit: { readOnlyWhenUnavailable: true },
      },
    };
    const result = validateInfrastructureConfig(config);
    expect(result.success).toBe(true);
    if (result.success)
      expect(result.data.securityConfig.encryption).toMatchObject({
        key: "${ESPADA_KEY}",
        previousKeys: ["b2xk"],
        algorithm: "aes-256-gcm",
      });
    const schema = JSON.stringify(getInfrastructureConfigJsonSchema());
    expect(schema).toContain('"previousKeys"');
    expect(schema).toContain('"readOnlyWhenUnavailable"');
  });

  it("every section is validated by its key, and the whole schema is made of the sections", () => {
    expect(Object.keys(CONFIG_SECTIONS).sort()).toEqual([
      "commandConfig",
      "conversationConfig",
      "discoveryConfig",
      "lifecycleConfig",
      "loggingConfig",
      "securityConfig",
      "sessionConfig",
      "stateStoreConfig",
    ]);
    const properties = (getInfrastructureConfigJsonSchema() as { properties: Record<string, unknown> })
      .properties;
    for (const name of Object.keys(CONFIG_SECTIONS)) expect(properties[name]).toBeDefined();
    expect(validateConfigSection("sessionConfig", { timeout: 5 })).toMatchObject({
      success: true,
      data: { timeout: 5, maxConcurrent: 10 },
    });
    expect(errorsOf(validateConfigSection("securityConfig", { encryption: { kee: "x" } }))).toMatchObject([
      { code: "UNKNOWN_KEY", path: "encryption.kee" },
    ]);
    expect(errorsOf(validateConfigSection("nope" as "sessionConfig", {}))).toMatchObject([
      { code: "UNKNOWN_KEY", path: "nope" },
    ]);
  });
});

describe("conversationConfig", () => {
  it("has the conversation pipeline's defaults and refuses a time zone Intl does not know, naming it", () => {
    expect(validateConfigSection("conversationConfig", {})).toMatchObject({
      success: true,
      data: { confirmationPolicy: "mutating", timeZone: "UTC" },
    });
    const bad = validateConfigSection("conversationConfig", {
      timeZone: "Mars/Olympus",
      confirmationPolicy: "never",
    });
    expect(bad.success).toBe(false);
    if (!bad.success)
      expect(bad.errors.map((e) => e.path).sort()).toEqual(["confirmationPolicy", "timeZone"]);
  });
});

describe("stateStoreConfig", () => {
  it("defaults to the file store; redis needs its settings and takes defaults for the rest", () => {
    expect(validateConfigSection("stateStoreConfig", {})).toStrictEqual({
      success: true,
      data: { backend: "file" },
    });
    const missing = validateConfigSection("stateStoreConfig", { backend: "redis" });
    expect(missing.success).toBe(false);
    if (!missing.success) expect(missing.errors.map((e) => e.path)).toEqual(["redis"]);
    const ok = validateConfigSection("stateStoreConfig", {
      backend: "redis",
      redis: { url: "rediss://:pw@cache:6380/1" },
    });
    expect(ok).toMatchObject({
      success: true,
      data: {
        redis: {
          url: "rediss://:pw@cache:6380/1",
          keyPrefix: "espada",
          tls: false,
          commandTimeout: 5000,
          expiryGrace: 60000,
        },
      },
    });
    const bad = validateConfigSection("stateStoreConfig", {
      backend: "redis",
      redis: { url: "http://cache", tls: { ca: 3 }, keyPrefix: "a b", retries: 1 },
    });
    expect(bad.success).toBe(false);
    if (!bad.success)
      expect(bad.errors.map((e) => e.path).sort()).toEqual([
        "redis.keyPrefix",
        "redis.retries",
        "redis.tls",
        "redis.url",
      ]);
  });
});
