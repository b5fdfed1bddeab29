import { describe, expect, expectTypeOf, it } from "vitest";
import {
  createMockLogger,
  createTestContext,
  expectFailure,
  expectSuccess,
  runProviderLifecycle,
  validationIssuesOf,
} from "@espada/infra-sdk";
import type { ParamsOf, InputOf } from "@espada/infra-sdk";
import type { CommandResult, ProviderAuth } from "@espada/infra-core";
import { InMemoryKvBackend } from "./backend.js";
import type { Database } from "./backend.js";
import type { createDatabase, listDatabases, rotatePassword } from "./commands.js";
import { KvProvider } from "./kvProvider.js";
import { createSimpleKvProvider } from "./simpleKvProvider.js";

const auth: ProviderAuth = { method: "api-key", credentials: { apiKey: "k" }, options: {} };

async function activeProvider(
  maxDatabases = 10,
): Promise<{ provider: KvProvider; logger: ReturnType<typeof createMockLogger> }> {
  const logger = createMockLogger();
  const provider = new KvProvider({ backend: new InMemoryKvBackend(1), logger, maxDatabases });
  await provider.initialize(auth);
  await provider.start();
  return { provider, logger };
}

const issuesOf = (result: CommandResult): string[] =>
  validationIssuesOf(result)
    .map((i) => `${i.path ?? ""}:${i.code}`)
    .sort();

const isDatabase = (data: unknown): data is Database =>
  typeof data === "object" &&
  data !== null &&
  "id" in data &&
  "sizeGb" in data &&
  typeof data.sizeGb === "number";

describe("kv provider", () => {
  it("types each command's params from its builder", () => {
    expectTypeOf<ParamsOf<typeof createDatabase>>().toEqualTypeOf<{
      name: string;
      engine: "redis" | "memcached" | "etcd";
      sizeGb: number;
    }>();
    expectTypeOf<InputOf<typeof createDatabase>>().toEqualTypeOf<{
      name: string;
      engine?: "redis" | "memcached" | "etcd";
      sizeGb?: number;
    }>();
    expectTypeOf<ParamsOf<typeof listDatabases>>().toEqualTypeOf<{
      engine?: "redis" | "memcached" | "etcd";
    }>();
    expectTypeOf<ParamsOf<typeof rotatePassword>>().toEqualTypeOf<{
      database: string;
      newPassword: string;
    }>();
  });

  it("runs its whole lifecycle with the testing kit", async () => {
    const report = await runProviderLifecycle(new KvProvider({ backend: new InMemoryKvBackend(1) }), {
      auth,
      commands: [
        { id: "create-database", params: { name: "sessions" } },
        { id: "list-databases", params: { engine: "redis" } },
        { id: "delete-database", params: { database: "kv-sessions" }, context: { confirmed: true } },
      ],
    });
    expect(report.error).toBeUndefined();
    expect(report.states).toEqual(["uninitialized", "ready", "active", "suspended", "terminated"]);
    expect(report.health?.status).toBe("healthy");
    expect(report.results.map((r) => r.result.success)).toEqual([true, true, true]);
  });

  it("creates with defaults filled, reports progress and tracks the resource", async () => {
    const { provider } = await activeProvider();
    const ctx = createTestContext();
    const db = expectSuccess(await provider.executeCommand("create-database", { name: "cache" }, ctx));
    expect(db).toEqual({ id: "kv-cache", name: "cache", engine: "redis", sizeGb: 1, passwordVersion: 1 });
    expect(ctx.progressUpdates.map((p) => p.percent)).toEqual([10, 100]);
    expect(provider.getResources()).toMatchObject([
      { id: "kv-cache", type: "database", metadata: { engine: "redis", sizeGb: 1 } },
    ]);
  });

  it("refuses bad params, naming each field", async () => {
    const { provider } = await activeProvider();
    const refused = await provider.executeCommand("create-database", {
      name: "x",
      engine: "mysql",
      sizeGb: 5000,
    });
    expectFailure(refused, "VALIDATION_FAILED");
    expect(issuesOf(refused)).toEqual([
      "params.engine:NOT_IN_ENUM",
      "params.name:PATTERN_MISMATCH",
      "params.sizeGb:TOO_BIG",
    ]);
  });

  it("simulates a dry run and refuses one for a command without dry-run support", async () => {
    const { provider } = await activeProvider();
    expect(
      expectSuccess(await provider.executeCommand("create-database", { name: "cache" }, { dryRun: true })),
    ).toEqual({
      wouldCreate: { name: "cache", engine: "redis", sizeGb: 1 },
    });
    expect(provider.backend.list()).toEqual([]);
    expectFailure(
      await provider.executeCommand("resize-database", { database: "kv-cache", sizeGb: 2 }, { dryRun: true }),
      "DRY_RUN_UNSUPPORTED",
    );
  });

  it("deletes only when confirmed, and forgets the resource", async () => {
    const { provider } = await activeProvider();
    expectSuccess(await provider.executeCommand("create-database", { name: "cache" }));
    expectFailure(
      await provider.executeCommand("delete-database", { database: "kv-cache" }),
      "CONFIRMATION_REQUIRED",
    );
    expect(provider.backend.list()).toHaveLength(1);
    expectSuccess(
      await provider.executeCommand(
        "delete-database",
        { database: { id: "kv-cache", type: "database" } },
        { confirmed: true },
      ),
    );
    expect(provider.getResources()).toEqual([]);
  });

  it("resizes in reported steps and stops when cancelled", async () => {
    const { provider } = await activeProvider();
    expectSuccess(await provider.executeCommand("create-database", { name: "cache" }));
    const ctx = createTestContext();
    const db = expectSuccess(
      await provider.executeCommand("resize-database", { database: "kv-cache", sizeGb: 401 }, ctx),
      isDatabase,
    );
    expect(db.sizeGb).toBe(401);
    expect(ctx.progressUpdates.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    const cancelled = createTestContext();
    const pending = provider.executeCommand(
      "resize-database",
      { database: "kv-cache", sizeGb: 1 },
      cancelled,
    );
    cancelled.abort();
    expectFailure(await pending, "CANCELLED");
    expect(provider.backend.get("kv-cache")?.sizeGb).toBe(401);
  });

  it("rotates a password without the secret reaching the log", async () => {
    const { provider, logger } = await activeProvider();
    expectSuccess(await provider.executeCommand("create-database", { name: "cache" }));
    expect(
      expectSuccess(
        await provider.executeCommand("rotate-password", {
          database: "kv-cache",
          newPassword: "correct-horse-battery",
        }),
      ),
    ).toEqual({
      id: "kv-cache",
      passwordVersion: 2,
    });
    expect(logger.find("info").map((e) => e.message)).toContain("password rotated");
    expect(JSON.stringify(logger.entries)).not.toContain("correct-horse-battery");
    const short = await provider.executeCommand("rotate-password", {
      database: "kv-cache",
      newPassword: "short",
    });
    expectFailure(short, "VALIDATION_FAILED");
    expect(issuesOf(short)).toEqual(["params.newPassword:TOO_SMALL"]);
  });

  it("returns expected failures as results", async () => {
    const { provider } = await activeProvider(1);
    expectSuccess(await provider.executeCommand("create-database", { name: "one" }));
    expectFailure(await provider.executeCommand("create-database", { name: "one" }), "QUOTA_EXCEEDED");
    expectFailure(
      await provider.executeCommand("resize-database", { database: "kv-none", sizeGb: 2 }),
      "NOT_FOUND",
    );
  });

  it("validates its settings, naming each path", async () => {
    const provider = new KvProvider();
    const bad = await provider.validateConfig({ region: "mars", maxDatabases: -1 });
    expect(bad.valid).toBe(false);
    expect(bad.errors.map((e) => e.path)).toEqual(["region", "maxDatabases"]);
    const defaulted = await provider.validateConfig({ region: "eu-west-1" });
    expect(defaulted).toMatchObject({ valid: true, warnings: [{ code: "DEFAULTED", path: "maxDatabases" }] });
  });

  it("fails initialize without an api key and reports an unhealthy backend", async () => {
    const provider = new KvProvider();
    await expect(provider.initialize({ ...auth, credentials: {} })).rejects.toMatchObject({
      code: "LIFECYCLE_FAILED",
    });
    expect(provider.state).toBe("error");
    const { provider: active } = await activeProvider();
    active.backend.healthy = false;
    expect(await active.healthCheck()).toMatchObject({
      status: "unhealthy",
      checks: [{ name: "backend", status: "unhealthy" }, { name: "connection" }],
    });
  });
});

describe("simple kv provider", () => {
  it("runs the same commands through createSimpleProvider", async () => {
    const backend = new InMemoryKvBackend(1);
    const report = await runProviderLifecycle(createSimpleKvProvider(backend), {
      auth,
      commands: [
        { id: "create-database", params: { name: "cache", engine: "etcd" } },
        { id: "list-databases", params: { engine: "etcd" } },
        { id: "delete-database", params: { database: "cache" } },
      ],
    });
    expect(report.error).toBeUndefined();
    expect(report.results.map((r) => (r.result.success ? "ok" : r.result.error.code))).toEqual([
      "ok",
      "ok",
      "CONFIRMATION_REQUIRED",
    ]);
    expect(report.results[1]?.result).toMatchObject({ data: [{ id: "kv-cache", engine: "etcd" }] });
    expect(backend.list()).toHaveLength(1);
  });
  it("tracks its databases through the resources tracker its handlers receive", async () => {
    const provider = createSimpleKvProvider(new InMemoryKvBackend(1));
    await provider.initialize(auth);
    await provider.start();
    const db = expectSuccess(
      await provider.executeCommand("create-database", { name: "cache", sizeGb: 2 }),
      isDatabase,
    );
    expect(provider.getResources()).toMatchObject([
      {
        id: db.id,
        type: "database",
        name: "cache",
        status: "available",
        metadata: { engine: "redis", sizeGb: 2 },
      },
    ]);
    expectSuccess(await provider.executeCommand("delete-database", { database: db.id }, { confirmed: true }));
    expect(provider.getResources()).toEqual([]);
    await provider.destroy();
  });
});
