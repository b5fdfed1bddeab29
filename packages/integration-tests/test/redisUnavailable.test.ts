// "The state store is down" has one reason, whatever step of an operation meets it first: the
// executor + the security facade on a real redis-server (no mock), stopped before the call or in
// the middle of it at a chosen store call (an explicit trigger, no sleeps).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ExecutionOutcome, SecurityPoliciesInput, StateStore } from "@espada/infra-core";
import { InfrastructureSecurityFacade } from "@espada/infra-security";
import { RedisStateStore } from "@espada/infra-store-redis";
import { startRedisServer } from "@espada/infra-store-redis/testing";
import type { RedisServer } from "@espada/infra-store-redis/testing";
import type { ProviderRun } from "./support/exampleProvider.js";
import { INSTANCE_ID, createWorkspace, openStack } from "./support/stack.js";
import type { Stack, Workspace } from "./support/stack.js";

const POLICIES: SecurityPoliciesInput = {
  roles: [
    { id: "admin", permissions: ["infra:admin"] },
    {
      id: "developer",
      permissions: ["infra:read", "infra:create", "infra:update"],
      environments: ["development"],
      // counted on the server (the store is shared): every check calls the store's `increment`
      rateLimit: { maxOperations: 1_000_000, windowMs: 60_000 },
    },
  ],
  assignments: [{ userId: "dev", roleId: "developer" }],
};

const CREATE = {
  instanceId: INSTANCE_ID,
  commandId: "create-instance",
  params: { name: "db-1", region: "eu-west-1" },
  userId: "dev",
  environment: "development",
  confirmed: true,
} as const;

/** The store, with a trigger that stops Redis just before the n-th call of one method goes out. */
function withStopTrigger(
  store: RedisStateStore,
  server: RedisServer,
): { store: StateStore; stopAt(method: keyof StateStore, nth?: number): void; fired(): boolean } {
  let trigger: { method: string; left: number } | undefined;
  let fired = false;
  const wrapped = new Proxy(store, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        if (trigger !== undefined && trigger.method === key && --trigger.left === 0) {
          trigger = undefined;
          await server.stop("SIGKILL");
          fired = true;
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    store: wrapped,
    stopAt(method, nth = 1) {
      trigger = { method, left: nth };
    },
    fired: () => fired,
  };
}

function expectUnavailable(
  outcome: ExecutionOutcome,
  server: RedisServer,
  runs: readonly ProviderRun[],
): void {
  expect(outcome.status).toBe("failed");
  if (outcome.status !== "failed") return;
  expect(outcome.attempts).toBe(0);
  expect(outcome.result.error).toMatchObject({
    code: "STORAGE_UNAVAILABLE",
    recoverable: true,
    details: { target: `redis://127.0.0.1:${server.port}` },
  });
  expect(outcome.result.error.message).toContain(
    `state store redis://127.0.0.1:${server.port} is unavailable`,
  );
  expect(outcome.result.error.message).toMatch(/nothing ran$/);
  expect(runs).toEqual([]);
}

describe("Redis down: one reason for a refused mutating operation (STORAGE_UNAVAILABLE)", () => {
  let server: RedisServer;
  let workspace: Workspace;
  let stack: Stack | undefined;
  let redis: RedisStateStore | undefined;
  const runs: ProviderRun[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server.destroy();
  });
  afterEach(async () => {
    await stack?.close();
    await redis?.close();
    stack = undefined;
    redis = undefined;
    await workspace.remove();
  });

  async function open(revalidateMs: number): Promise<ReturnType<typeof withStopTrigger>> {
    await server.start(); // no-op when it runs
    runs.length = 0;
    workspace = await createWorkspace();
    redis = await RedisStateStore.connect({
      url: server.url,
      keyPrefix: `down-${Math.random().toString(36).slice(2)}`,
      reconnectMinDelay: 20,
      reconnectMaxDelay: 200,
    });
    const trigger = withStopTrigger(redis, server);
    const facade = await InfrastructureSecurityFacade.create({
      store: trigger.store,
      policies: POLICIES,
      audit: { key: Buffer.alloc(32, 7) },
      timers: false,
      revalidateMs,
    });
    stack = await openStack({ workspace, runs, gate: facade, audit: facade });
    // the path works while Redis is up
    expect((await stack.executor.execute(CREATE)).status).toBe("succeeded");
    runs.length = 0;
    return trigger;
  }

  it.each([0, 3_600_000])("Redis stopped before the call (revalidateMs %i)", async (revalidateMs) => {
    await open(revalidateMs);
    await server.stop("SIGKILL");
    expectUnavailable(await stack!.executor.execute(CREATE), server, runs);
    // the same reason every time, not only the first
    expectUnavailable(await stack!.executor.execute(CREATE), server, runs);
  });

  it.each([
    { at: "get", nth: 1, step: "the gate reads the shared-state version" },
    { at: "increment", nth: 1, step: "the gate counts the rate limit" },
    { at: "appendAt", nth: 1, step: "the gate audits its decision" },
    { at: "appendAt", nth: 2, step: "the executor audits the operation before running it" },
  ] as const)("Redis stopped mid-call when $step", async ({ at, nth }) => {
    const trigger = await open(at === "get" ? 0 : 3_600_000);
    trigger.stopAt(at, nth);
    const outcome = await stack!.executor.execute(CREATE);
    expect(trigger.fired()).toBe(true);
    expectUnavailable(outcome, server, runs);
  });

  it("works again once Redis is back", async () => {
    await open(0);
    await server.stop("SIGKILL");
    expectUnavailable(await stack!.executor.execute(CREATE), server, runs);
    await server.start();
    await redis!.whenReady();
    expect((await stack!.executor.execute(CREATE)).status).toBe("succeeded");
  });
});
