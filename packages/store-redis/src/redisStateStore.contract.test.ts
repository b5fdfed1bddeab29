import { afterAll, beforeAll, describe, it } from "vitest";
import { runStateStoreContract } from "@espada/infra-core/testing";
import { RedisStateStore } from "./index.js";
import { startRedisServer } from "./testing.js";
import type { RedisServer } from "./testing.js";

let server: RedisServer;
let stores = 0;

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.destroy();
});

// Each check gets its own key prefix on one real redis-server; `reopen` connects again to the same state.
runStateStoreContract(
  { describe, it },
  "RedisStateStore (core's StateStore contract, unchanged)",
  async (clock) => {
    const keyPrefix = `contract-${process.pid}-${stores++}`;
    // The test clock jumps ahead of real time; Redis's own expiry must not run before the store's.
    const open = (): Promise<RedisStateStore> =>
      RedisStateStore.connect({ url: server.url, keyPrefix, now: clock.now, expiryGrace: 3_600_000 });
    return { store: await open(), reopen: open };
  },
);
