import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runProviderConformance } from "@espada/infra-sdk/testing";
import { LocalCloudProvider } from "./index.js";

// The SDK's conformance suite, on a fresh provider per check, each with its own state directory
// under the one the settings name.
const root = mkdtempSync(join(tmpdir(), "local-cloud-conformance-"));
const made: { provider: LocalCloudProvider; dir: string }[] = [];

runProviderConformance({ describe, it }, "local-cloud conforms to the provider contract", {
  factory: ({ instanceId, logger, settings }) => {
    const dir = mkdtempSync(join(String(settings["stateDir"]), "provider-"));
    const provider = new LocalCloudProvider({ stateDir: dir, instanceId, logger, stopGraceMs: 10_000 });
    made.push({ provider, dir });
    return provider;
  },
  settings: { stateDir: root },
  auth: { method: "api-key", credentials: { apiKey: "lc-conformance-key-5a1f" }, options: {} },
  samples: {
    "create-bucket": { name: "assets" },
    "put-object": { bucket: "assets", key: "a.txt", content: "hello" },
    "delete-bucket": { bucket: "assets" },
    "create-instance": { name: "web", replicas: 1 },
    "scale-instance": { instance: "web", replicas: 2 },
    "stop-instance": { instance: "web" },
    "start-instance": { instance: "web" },
    "delete-instance": { instance: "web" },
    "create-database": { name: "orders", schema: "create table t (x integer)" },
    "query-database": { database: "orders", sql: "select count(*) as n from t" },
    "execute-sql": { database: "orders", sql: "insert into t values (1)" },
    "delete-database": { database: "orders" },
    "create-snapshot": { resource: "bucket-assets" },
    "restore-snapshot": { snapshot: "snap-0-000000" },
    "rollback-operation": { executionId: "none" },
  },
});

describe("after the conformance suite", () => {
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("every provider it made, once stopped, left no process running", async () => {
    for (const { provider } of made) {
      await provider.settled();
      if (provider.state === "active" || provider.state === "ready" || provider.state === "suspended")
        await provider.destroy();
    }
    const alive = made.flatMap(({ provider }) => provider.livePids());
    expect(made.length).toBeGreaterThan(0);
    expect(alive).toEqual([]);
  });
});
