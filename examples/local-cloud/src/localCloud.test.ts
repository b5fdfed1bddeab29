import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMockLogger, expectFailure, expectSuccess } from "@espada/infra-sdk";
import type { ProgressUpdate } from "@espada/infra-core";
import { LocalCloudProvider, bucketFiles } from "./index.js";

const AUTH = { method: "custom", credentials: {}, options: {} } as const;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("local-cloud: real local resources", () => {
  let stateDir: string;
  const providers: LocalCloudProvider[] = [];
  const everyPid = new Set<number>();

  async function open(): Promise<LocalCloudProvider> {
    const provider = new LocalCloudProvider({ stateDir, stopGraceMs: 10_000, logger: createMockLogger() });
    providers.push(provider);
    await provider.initialize(AUTH);
    await provider.start();
    for (const pid of provider.livePids()) everyPid.add(pid);
    return provider;
  }

  async function run(
    provider: LocalCloudProvider,
    id: string,
    params: Record<string, unknown>,
    ctx: Record<string, unknown> = {},
  ) {
    const result = await provider.executeCommand(id, params, ctx);
    for (const pid of provider.livePids()) everyPid.add(pid);
    return result;
  }

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "local-cloud-test-"));
  });

  afterEach(async () => {
    for (const p of providers.splice(0)) {
      await p.settled();
      if (p.state === "active" || p.state === "ready" || p.state === "suspended") await p.destroy();
    }
    // Every process any test started is gone once its provider stopped.
    expect([...everyPid].filter(isAlive)).toEqual([]);
    everyPid.clear();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("buckets are directories: dry run changes nothing, objects are files, delete snapshots first and rolls back", async () => {
    const cloud = await open();
    expectSuccess(await run(cloud, "create-bucket", { name: "assets" }, { dryRun: true }));
    expect(expectSuccess(await run(cloud, "list-resources", {}))).toMatchObject({ buckets: [] });

    const created = await run(cloud, "create-bucket", { name: "assets" });
    expect(expectSuccess(created)).toMatchObject({ id: "bucket-assets" });
    expectFailure(await run(cloud, "create-bucket", { name: "assets" }), "ALREADY_EXISTS");
    expectSuccess(
      await run(cloud, "put-object", { bucket: "assets", key: "css/site.css", content: "body{}" }),
    );
    expectSuccess(
      await run(cloud, "put-object", { bucket: "bucket-assets", key: "index.html", content: "<h1>hi</h1>" }),
    );
    expect(await readFile(join(stateDir, "buckets", "assets", "css", "site.css"), "utf8")).toBe("body{}");
    expectFailure(
      await run(cloud, "put-object", { bucket: "assets", key: "../escape", content: "x" }),
      "VALIDATION_FAILED",
    );

    expectFailure(await run(cloud, "delete-bucket", { bucket: "assets" }), "CONFIRMATION_REQUIRED");
    const deleted = await run(
      cloud,
      "delete-bucket",
      { bucket: "assets" },
      { confirmed: true, executionId: "exec-del-1" },
    );
    expect(deleted.rollbackAvailable).toBe(true);
    expect(await bucketFiles(cloud, "assets")).toEqual([]);
    expect(cloud.getResources().map((r) => r.id)).not.toContain("bucket-assets");

    const undone = await run(cloud, "rollback-operation", { executionId: "exec-del-1" });
    expect(expectSuccess(undone)).toMatchObject({ commandId: "delete-bucket", undo: "restore" });
    expect(await bucketFiles(cloud, "assets")).toEqual(["css/site.css", "index.html"]);
    expectFailure(await run(cloud, "rollback-operation", { executionId: "exec-del-1" }), "INVALID_STATE");
    expectFailure(await run(cloud, "rollback-operation", { executionId: "never-ran" }), "NO_ROLLBACK");
  });

  it("compute instances are child processes: start, scale, stop and health come from the real processes", async () => {
    const cloud = await open();
    const progress: ProgressUpdate[] = [];
    const created = expectSuccess(
      await run(
        cloud,
        "create-instance",
        { name: "web", replicas: 2 },
        { progress: (u: ProgressUpdate) => progress.push(u) },
      ),
    ) as { pids: number[] };
    expect(created.pids).toHaveLength(2);
    expect(created.pids.every(isAlive)).toBe(true);
    expect(progress.map((u) => u.step)).toEqual([1, 2]);
    expect((await cloud.healthCheck()).checks.find((c) => c.name === "instance:web")).toMatchObject({
      status: "healthy",
      message: "2/2 replicas answer",
    });

    // The typed call side: ids and parameter types are checked at compile time.
    const wrongType = await cloud.client.call(
      "scale-instance",
      // @ts-expect-error replicas is a number
      { instance: "web", replicas: "3" },
    );
    expectFailure(wrongType, "VALIDATION_FAILED");
    // @ts-expect-error there is no such command
    expectFailure(await cloud.client.call("resize-instance", {}), "NOT_FOUND");
    const up = expectSuccess(
      await cloud.client.call("scale-instance", { instance: "vm-web", replicas: 3 }),
    ) as { pids: number[] };
    for (const pid of up.pids) everyPid.add(pid);
    expect(up.pids).toHaveLength(3);
    expect(up.pids.slice(0, 2)).toEqual(created.pids);
    const down = expectSuccess(await run(cloud, "scale-instance", { instance: "web", replicas: 1 })) as {
      pids: number[];
    };
    expect(down.pids).toEqual([created.pids[0]]);
    expect(up.pids.slice(1).some(isAlive)).toBe(false);

    expectSuccess(await run(cloud, "stop-instance", { instance: "web" }));
    expect(cloud.livePids()).toEqual([]);
    expect(isAlive(created.pids[0]!)).toBe(false);
    expect((await cloud.healthCheck()).checks.find((c) => c.name === "instance:web")).toMatchObject({
      status: "healthy",
      message: "stopped",
    });
    const restarted = expectSuccess(await run(cloud, "start-instance", { instance: "web" })) as {
      pids: number[];
    };
    expect(restarted.pids).toHaveLength(1);
    expect(restarted.pids.every(isAlive)).toBe(true);

    await cloud.stop();
    expect(cloud.livePids()).toEqual([]);
    expect(restarted.pids.some(isAlive)).toBe(false);
  });

  it("a killed replica shows as unhealthy, naming the pid and the signal; starting the provider again replaces it", async () => {
    const cloud = await open();
    const { pids } = expectSuccess(await run(cloud, "create-instance", { name: "api", replicas: 2 })) as {
      pids: number[];
    };
    process.kill(pids[1]!, "SIGKILL");
    const health = await cloud.healthCheck();
    expect(health.status).toBe("unhealthy");
    const item = health.checks.find((c) => c.name === "instance:api");
    expect(item?.status).toBe("unhealthy");
    expect(item?.message).toContain(`pid ${pids[1]}`);
    expect(item?.message).toContain("SIGKILL");
    expect(item?.message).toContain("1/2 replicas answer");

    // Scaling (or a restart) replaces the dead replica with a new process.
    const healed = expectSuccess(await run(cloud, "scale-instance", { instance: "api", replicas: 2 })) as {
      pids: number[];
    };
    expect(healed.pids).toHaveLength(2);
    expect(healed.pids).toContain(pids[0]);
    expect(healed.pids).not.toContain(pids[1]);
    expect((await cloud.healthCheck()).status).toBe("healthy");
  });

  it("cancellation: aborting while replicas start stops the ones already started and creates nothing", async () => {
    const cloud = await open();
    const controller = new AbortController();
    const started: ProgressUpdate[] = [];
    const result = await run(
      cloud,
      "create-instance",
      { name: "batch", replicas: 4 },
      {
        signal: controller.signal,
        progress: (u: ProgressUpdate) => {
          started.push(u);
          controller.abort(new Error("operator cancelled"));
        },
      },
    );
    expectFailure(result, "CANCELLED");
    await cloud.settled();
    expect(started).toHaveLength(1);
    expect(cloud.livePids()).toEqual([]);
    expect(cloud.replicas("batch")).toEqual([]);
    expect(expectSuccess(await run(cloud, "list-resources", {}))).toMatchObject({ instances: [] });
    // The name is free again.
    expectSuccess(await run(cloud, "create-instance", { name: "batch", replicas: 1 }));
  });

  it("an instance survives a provider restart: the desired state is on disk, new processes are started", async () => {
    const first = await open();
    const before = expectSuccess(await run(first, "create-instance", { name: "worker", replicas: 2 })) as {
      pids: number[];
    };
    expectSuccess(await run(first, "create-instance", { name: "idle", replicas: 1 }));
    expectSuccess(await run(first, "stop-instance", { instance: "idle" }));
    await first.stop();
    await first.destroy();
    expect(before.pids.some(isAlive)).toBe(false);

    const second = await open();
    expect(second.replicas("worker")).toHaveLength(2);
    expect(second.replicas("idle")).toEqual([]);
    expect(second.livePids().every(isAlive)).toBe(true);
    expect(second.getResources().map((r) => [r.id, r.status])).toEqual([
      ["vm-idle", "stopped"],
      ["vm-worker", "running"],
    ]);
  });

  it("databases are SQLite files: schema, queries, writes rolled back from their snapshot", async () => {
    const cloud = await open();
    expectSuccess(
      await run(cloud, "create-database", {
        name: "orders",
        schema: "create table orders (id integer primary key, item text not null)",
      }),
    );
    expectFailure(
      await run(cloud, "query-database", { database: "orders", sql: "delete from orders" }),
      "INVALID_STATE",
    );
    const insert = await run(
      cloud,
      "execute-sql",
      { database: "orders", sql: "insert into orders (item) values (?), (?)", args: ["tea", "cake"] },
      { executionId: "exec-insert" },
    );
    expect(expectSuccess(insert)).toMatchObject({ kind: "changes", changes: 2 });
    expect(insert.rollbackAvailable).toBe(true);
    const rows = expectSuccess(
      await run(cloud, "query-database", {
        database: "db-orders",
        sql: "select item from orders order by id",
      }),
    );
    expect(rows).toEqual({ kind: "rows", rows: [{ item: "tea" }, { item: "cake" }], truncated: false });
    const bad = expectFailure(
      await run(cloud, "query-database", { database: "orders", sql: "select nope from orders" }),
      "SQL_ERROR",
    );
    expect(bad.message).toContain("no such column");

    expectSuccess(await run(cloud, "rollback-operation", { executionId: "exec-insert" }));
    expect(
      expectSuccess(
        await run(cloud, "query-database", { database: "orders", sql: "select count(*) as n from orders" }),
      ),
    ).toMatchObject({ rows: [{ n: 0 }] });

    expectFailure(
      await run(
        cloud,
        "create-database",
        { name: "broken", schema: "create table nope (" },
        { dryRun: true },
      ),
      "SQL_ERROR",
    );
    expectFailure(
      await run(cloud, "create-database", { name: "broken", schema: "create table nope (" }),
      "SQL_ERROR",
    );
    expectFailure(await run(cloud, "query-database", { database: "broken", sql: "select 1" }), "NOT_FOUND");
  });

  it("a corrupt SQLite file gives a typed DATABASE_CORRUPT failure and a degraded health item, and a snapshot restores it", async () => {
    const cloud = await open();
    expectSuccess(
      await run(cloud, "create-database", {
        name: "ledger",
        schema: "create table entries (amount integer)",
      }),
    );
    expectSuccess(
      await run(cloud, "execute-sql", { database: "ledger", sql: "insert into entries values (42)" }),
    );
    const snap = expectSuccess(await run(cloud, "create-snapshot", { resource: "db-ledger" })) as {
      id: string;
    };

    await writeFile(
      join(stateDir, "databases", "ledger.sqlite"),
      Buffer.from("this is not a database, just junk bytes ".repeat(200)),
    );
    const error = expectFailure(
      await run(cloud, "query-database", { database: "ledger", sql: "select * from entries" }),
      "DATABASE_CORRUPT",
    );
    expect(error.details).toMatchObject({ database: "ledger", sqliteCode: "SQLITE_NOTADB" });
    expect(error.message).toContain("restore it from a snapshot");
    expectFailure(await run(cloud, "create-snapshot", { resource: "db-ledger" }), "DATABASE_CORRUPT");
    const item = (await cloud.healthCheck()).checks.find((c) => c.name === "database:ledger");
    expect(item).toMatchObject({ status: "degraded" });
    expect(item?.message).toContain("DATABASE_CORRUPT");

    const restored = expectSuccess(
      await run(cloud, "restore-snapshot", { snapshot: snap.id }, { confirmed: true }),
    ) as { previousStateSnapshotId: string };
    const kept = expectSuccess(await run(cloud, "list-snapshots", { resource: "db-ledger" })) as {
      id: string;
      reason: string;
    }[];
    expect(kept.find((s) => s.id === restored.previousStateSnapshotId)?.reason).toContain(
      "raw copy: the file was corrupt",
    );
    expect(
      expectSuccess(
        await run(cloud, "query-database", { database: "ledger", sql: "select amount from entries" }),
      ),
    ).toMatchObject({ rows: [{ amount: 42 }] });
  });

  it("deleting an instance or database snapshots it; rollback brings it back (processes restarted)", async () => {
    const cloud = await open();
    expectSuccess(await run(cloud, "create-instance", { name: "cache", replicas: 2 }));
    expectSuccess(
      await run(cloud, "create-database", {
        name: "users",
        schema: "create table u (name text); insert into u values ('ada')",
      }),
    );
    expectSuccess(await run(cloud, "delete-instance", { instance: "cache" }, { dryRun: true }));
    expect(cloud.replicas("cache")).toHaveLength(2);
    expectSuccess(
      await run(cloud, "delete-instance", { instance: "cache" }, { confirmed: true, executionId: "del-vm" }),
    );
    expectSuccess(
      await run(cloud, "delete-database", { database: "users" }, { confirmed: true, executionId: "del-db" }),
    );
    expect(cloud.livePids()).toEqual([]);
    expect(expectSuccess(await run(cloud, "list-resources", {}))).toMatchObject({
      instances: [],
      databases: [],
    });

    expectSuccess(await run(cloud, "rollback-operation", { executionId: "del-vm" }));
    expectSuccess(await run(cloud, "rollback-operation", { executionId: "del-db" }));
    expect(cloud.replicas("cache").filter((r) => r.exit === undefined)).toHaveLength(2);
    expect(
      expectSuccess(await run(cloud, "query-database", { database: "users", sql: "select name from u" })),
    ).toMatchObject({ rows: [{ name: "ada" }] });
    const snapshots = expectSuccess(await run(cloud, "list-snapshots", {})) as {
      resourceId: string;
      reason: string;
    }[];
    expect(snapshots.map((s) => [s.resourceId, s.reason]).sort()).toEqual([
      ["db-users", "before delete-database"],
      ["vm-cache", "before delete-instance"],
    ]);
  });

  it("settings are validated with a message naming the field; a provider without a state directory does not initialize", async () => {
    const cloud = new LocalCloudProvider({ stateDir: "", logger: createMockLogger() });
    const verdict = await cloud.validateConfig({ stopGraceMs: -1 });
    expect(verdict.valid).toBe(false);
    expect(verdict.errors.map((e) => e.path)).toEqual(expect.arrayContaining(["stateDir", "stopGraceMs"]));
    // Without a passing validateConfig, the construction-time settings are parsed at initialize.
    const error = await cloud.initialize(AUTH).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(String(error?.cause)).toMatch(/settings\.stateDir: stateDir must name a directory/);
    expect(cloud.state).toBe("error");
    await cloud.destroy(); // nothing was started: destroying it still works

    // Settings the registry validated become the provider's settings (defaults filled).
    const valid = new LocalCloudProvider({ stateDir: "", logger: createMockLogger() });
    expect((await valid.validateConfig({ stateDir })).valid).toBe(true);
    expect(valid.settings).toEqual({ stateDir, stopGraceMs: 5_000, pingTimeoutMs: 2_000 });
  });
});

describe("local-cloud: plugin manifest", () => {
  it("the manifest in package.json names the entry's meta exactly, so discovery can register it without loading code", async () => {
    const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as {
      espadaInfrastructure: { providers: { meta: unknown; entry: string }[] };
    };
    const [declared] = pkg.espadaInfrastructure.providers;
    const plugin = await import("./plugin.js");
    expect(declared?.meta).toEqual(JSON.parse(JSON.stringify(plugin.meta)));
    expect(declared?.entry).toBe("./dist/plugin.js");
    expect(typeof plugin.createProvider).toBe("function");
  });
});
