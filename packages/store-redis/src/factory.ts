import { ConfigValidationError, validateConfigSection } from "@espada/infra-core";
import type { InfrastructureLogger, StateStoreConfigInput } from "@espada/infra-core";
import { RedisStateStore } from "./redisStateStore.js";

/** What {@link createRedisStateStore} takes besides the configuration. */
export interface CreateRedisStateStoreOptions {
  /** The clock of expiries, counter windows and log timestamps (default `Date.now`). */
  readonly now?: () => number;
  /** Told when the connection is lost and back (target shown without credentials). */
  readonly logger?: InfrastructureLogger;
}

/**
 * Creates the Redis `StateStore` from core's `stateStoreConfig` section (`backend: "redis"` and its
 * `redis` settings), validated by core's schema: a bad section throws `CONFIG_INVALID` naming each
 * field under `stateStoreConfig.`. Resolves once Redis answers; rejects with `STORAGE_UNAVAILABLE`
 * when it cannot be reached within `connectTimeout`. The caller owns the store and calls `close()`.
 */
export async function createRedisStateStore(
  config: StateStoreConfigInput,
  options: CreateRedisStateStoreOptions = {},
): Promise<RedisStateStore> {
  const result = validateConfigSection("stateStoreConfig", config);
  if (!result.success) {
    const issues = result.errors.map((issue) => ({
      ...issue,
      path:
        issue.path === undefined || issue.path === "" ? "stateStoreConfig" : `stateStoreConfig.${issue.path}`,
    }));
    throw new ConfigValidationError(
      `Invalid stateStoreConfig: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
      issues,
    );
  }
  const section = result.data;
  if (section.backend !== "redis" || section.redis === undefined) {
    const issue = {
      code: "INVALID_VALUE",
      message: 'must be "redis" to create the Redis store',
      path: "stateStoreConfig.backend",
    };
    throw new ConfigValidationError(`Invalid stateStoreConfig: ${issue.path}: ${issue.message}`, [issue]);
  }
  const { redis } = section;
  return RedisStateStore.connect({
    url: redis.url,
    username: redis.username,
    password: redis.password,
    tls: redis.tls,
    keyPrefix: redis.keyPrefix,
    connectTimeout: redis.connectTimeout,
    commandTimeout: redis.commandTimeout,
    reconnectMinDelay: redis.reconnectMinDelay,
    reconnectMaxDelay: redis.reconnectMaxDelay,
    expiryGrace: redis.expiryGrace,
    now: options.now,
    logger: options.logger,
  });
}
