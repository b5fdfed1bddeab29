/**
 * @espada/infra-store-redis — core's `StateStore` on Redis, for several Espada instances sharing one
 * state (sessions, approvals, break-glass, role assignments, rate limits, the audit log).
 * @packageDocumentation
 */
export { RedisStateStore, describeRedisTarget } from "./redisStateStore.js";
export type { RedisStateStoreOptions, RedisStoreStatus, RedisTlsOptions } from "./redisStateStore.js";
export { createRedisStateStore } from "./factory.js";
export type { CreateRedisStateStoreOptions } from "./factory.js";
