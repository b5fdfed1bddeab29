import { copyFile, mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  BaseInfrastructureProvider,
  createCommandClient,
  defineProvider,
  failure,
  implementCommand,
  success,
  validation,
} from "@espada/infra-sdk";
import type { BaseProviderOptions, CommandClient } from "@espada/infra-sdk";
import type {
  CommandDefinition,
  CommandResult,
  ConfigValidationResult,
  ExecutionContext,
  HealthCheckItem,
  ProviderAuth,
  ProviderFactory,
  ResourceType,
} from "@espada/infra-core";
import { z } from "zod";
import * as commands from "./commands.js";
import { localCloudCommands } from "./commands.js";
import { ProcessSupervisor } from "./compute.js";
import type { Replica } from "./compute.js";
import { backupDatabase, createDatabaseFile, describeDatabase, runSql, withDatabase } from "./databases.js";
import { LocalCloudError, throwIfAborted } from "./errors.js";
import { copyTree, exists, listFiles, usage } from "./files.js";
import { localCloudSettingsSchema } from "./settings.js";
import type { LocalCloudSettings, LocalCloudSettingsInput } from "./settings.js";
import { newSnapshotId, snapshotMetaSchema, undoRecordSchema } from "./snapshots.js";
import type { SnapshotMeta, UndoRecord } from "./snapshots.js";
import {
  KeyedQueue,
  StatePaths,
  listNames,
  nameOf,
  parseResourceId,
  readJson,
  remove,
  resourceId,
  writeJson,
} from "./state.js";
import type { Kind } from "./state.js";

/** The provider's meta. */
export const localCloudMeta = defineProvider()
  .id("local-cloud")
  .name("Local Cloud")
  .displayName("Local Cloud")
  .description(
    "Real local resources: buckets as directories, compute instances as child processes, databases as SQLite files",
  )
  .version("1.0.0")
  .category("cloud")
  .capabilities(
    "provision",
    "deprovision",
    "scale",
    "monitor",
    "backup",
    "restore",
    "snapshot",
    "rollback",
    "dry-run",
  )
  .supportedResources("storage", "compute", "database")
  .authMethods("custom", "api-key")
  .build();

const instanceRecordSchema = z.object({
  name: z.string(),
  replicas: z.number().int().positive(),
  desired: z.enum(["running", "stopped"]),
  createdAt: z.number(),
});

/** What `compute/<name>.json` holds: the desired state of an instance. */
export type InstanceRecord = z.infer<typeof instanceRecordSchema>;

/** Options of {@link LocalCloudProvider}: its settings plus the SDK's base options. */
export type LocalCloudOptions = LocalCloudSettingsInput &
  Omit<BaseProviderOptions<LocalCloudSettings>, "settings" | "settingsSchema">;

const RESOURCE_TYPE: Record<Kind, ResourceType> = {
  bucket: "storage",
  instance: "compute",
  database: "database",
};

type Ctx = ExecutionContext;

/**
 * A provider of real local resources under one state directory: buckets are directories, compute
 * instances are child processes (health read from the processes over IPC), databases are SQLite files.
 * Mutating commands record how to undo them (`rollback-operation`); deletes and restores take a
 * snapshot first. Commands on one resource run one at a time; every process is stopped on `stop()`.
 */
export class LocalCloudProvider extends BaseInfrastructureProvider<LocalCloudSettings> {
  readonly #queue = new KeyedQueue();
  #paths: StatePaths | undefined;
  #supervisor: ProcessSupervisor | undefined;

  constructor(options: LocalCloudOptions) {
    const { stateDir, stopGraceMs, pingTimeoutMs, ...base } = options;
    // Typed settings: the SDK parses them with the schema (at validateConfig, or at initialize) and
    // an invalid one fails naming its field (`settings.stateDir`).
    super(localCloudMeta, {
      ...base,
      settingsSchema: localCloudSettingsSchema,
      settings: { stateDir, stopGraceMs, pingTimeoutMs },
    });
    this.#registerCommands();
  }

  /** Where everything lives (from the parsed settings). */
  get paths(): StatePaths {
    return (this.#paths ??= new StatePaths(this.settings.stateDir));
  }

  get #processes(): ProcessSupervisor {
    return (this.#supervisor ??= new ProcessSupervisor({
      stopGraceMs: this.settings.stopGraceMs,
      pingTimeoutMs: this.settings.pingTimeoutMs,
    }));
  }

  /**
   * A typed call side: `cloud.client.call("create-instance", { name: "web", replicas: 2 })` checks the
   * command id and the parameter types at compile time (`"replicas": "two"` does not compile).
   */
  readonly client: CommandClient<typeof localCloudCommands> = createCommandClient(
    localCloudCommands,
    (id, params, ctx) => this.executeCommand(id, params, ctx),
  );

  /** Pids of every live replica process (what a test checks is empty after `stop()`). */
  livePids(): number[] {
    return this.#supervisor?.livePids() ?? []; // no supervisor yet: no process was ever started
  }

  /** The replica processes of an instance, as the supervisor sees them. */
  replicas(instance: string): readonly Replica[] {
    return this.#supervisor?.replicas(instance) ?? [];
  }

  /** Resolves once every command still working (including one whose caller gave up) has finished. */
  settled(): Promise<void> {
    return this.#queue.idle();
  }

  // ---------------------------------------------------------------- lifecycle

  protected override async onInitialize(_auth: ProviderAuth): Promise<void> {
    await this.paths.ensure();
    await this.#probeWrite();
  }

  /** Starts the processes of every instance whose desired state is running. */
  protected override async onStart(): Promise<void> {
    for (const record of await this.#instanceRecords()) {
      if (record.desired === "running")
        await this.#processes.scale(record.name, record.replicas, new AbortController().signal);
    }
    await this.#refreshAll();
  }

  protected override async onStop(): Promise<void> {
    await this.#queue.idle();
    await this.#supervisor?.stopAll();
  }

  protected override async onDestroy(): Promise<void> {
    await this.#queue.idle();
    await this.#supervisor?.stopAll();
  }

  protected override async performHealthChecks(): Promise<readonly HealthCheckItem[]> {
    const items: HealthCheckItem[] = [];
    const started = performance.now();
    try {
      await this.#probeWrite();
      items.push({
        name: "state-directory",
        status: "healthy",
        latencyMs: performance.now() - started,
        message: this.paths.root,
      });
    } catch (error) {
      items.push({ name: "state-directory", status: "unhealthy", message: (error as Error).message });
    }
    for (const record of await this.#instanceRecords()) items.push(await this.#instanceHealth(record));
    for (const name of await listNames(this.paths.databases, ".sqlite")) {
      try {
        const info = describeDatabase(name, this.paths.database(name));
        items.push({
          name: `database:${name}`,
          status: "healthy",
          message: `${info.tables.length} tables, ${info.pageCount} pages`,
        });
      } catch (error) {
        const code = error instanceof LocalCloudError ? error.code : "IO_FAILED";
        items.push({
          name: `database:${name}`,
          status: "degraded",
          message: `${code}: ${(error as Error).message}`,
        });
      }
    }
    return items;
  }

  /** The settings schema says it all. */
  protected override onValidateConfig(): Promise<ConfigValidationResult> {
    return Promise.resolve(validation.ok());
  }

  protected override onExecuteCommand(cmd: CommandDefinition): Promise<CommandResult> {
    return Promise.resolve(failure("NOT_FOUND", `command "${cmd.id}" has no handler`));
  }

  // ---------------------------------------------------------------- commands

  #registerCommands(): void {
    const c = commands;

    this.registerCommand(
      implementCommand(c.createBucket, (p, ctx) =>
        this.#locked(resourceId("bucket", p.name), async () => {
          const dir = this.paths.bucket(p.name);
          if (await exists(dir))
            throw new LocalCloudError("ALREADY_EXISTS", `bucket "${p.name}" exists`, { bucket: p.name });
          if (ctx.dryRun) return success({ wouldCreate: { bucket: p.name, path: dir } });
          await mkdir(dir, { recursive: true });
          const id = resourceId("bucket", p.name);
          await this.#recordUndo(ctx, "create-bucket", id, { kind: "delete" });
          await this.#refresh("bucket", p.name);
          return success({ id, name: p.name, path: dir }, [id], { rollbackAvailable: true });
        }),
      ),
    );

    this.registerCommand(
      implementCommand(c.putObject, (p, ctx) => {
        const name = nameOf("bucket", p.bucket);
        return this.#locked(resourceId("bucket", name), async () => {
          const dir = this.paths.bucket(name);
          if (!(await exists(dir)))
            throw new LocalCloudError("NOT_FOUND", `no bucket "${name}"`, { bucket: name });
          const bytes = Buffer.byteLength(p.content);
          if (ctx.dryRun) return success({ wouldWrite: { bucket: name, key: p.key, bytes } });
          const file = join(dir, p.key);
          await mkdir(dirname(file), { recursive: true });
          await writeFile(`${file}.tmp-${process.pid}`, p.content);
          await rename(`${file}.tmp-${process.pid}`, file);
          await this.#refresh("bucket", name);
          return success({ bucket: name, key: p.key, bytes }, [resourceId("bucket", name)]);
        });
      }),
    );

    this.registerCommand(
      implementCommand(c.deleteBucket, (p, ctx) => {
        const name = nameOf("bucket", p.bucket);
        const id = resourceId("bucket", name);
        return this.#locked(id, async () => {
          const dir = this.paths.bucket(name);
          if (!(await exists(dir)))
            throw new LocalCloudError("NOT_FOUND", `no bucket "${name}"`, { bucket: name });
          const { files, bytes } = await usage(dir);
          if (ctx.dryRun) return success({ wouldDelete: { bucket: name, files, bytes } });
          const snapshot = await this.#snapshot("bucket", name, "before delete-bucket", ctx);
          await rm(dir, { recursive: true, force: true });
          await this.#recordUndo(ctx, "delete-bucket", id, { kind: "restore", snapshotId: snapshot.id });
          this.removeResource(id);
          return success({ deleted: id, files, bytes, snapshotId: snapshot.id }, [id], {
            rollbackAvailable: true,
          });
        });
      }),
    );

    this.registerCommand(
      implementCommand(c.createInstance, (p, ctx) => {
        const id = resourceId("instance", p.name);
        return this.#locked(id, async () => {
          if (await this.#instanceRecord(p.name))
            throw new LocalCloudError("ALREADY_EXISTS", `instance "${p.name}" exists`, { instance: p.name });
          if (ctx.dryRun) return success({ wouldCreate: { instance: p.name, replicas: p.replicas } });
          const replicas = await this.#scale(p.name, p.replicas, ctx);
          await writeJson(this.paths.instance(p.name), {
            name: p.name,
            replicas: p.replicas,
            desired: "running",
            createdAt: Date.now(),
          } satisfies InstanceRecord);
          await this.#recordUndo(ctx, "create-instance", id, { kind: "delete" });
          await this.#refresh("instance", p.name);
          return success({ id, name: p.name, replicas: p.replicas, pids: replicas.map((r) => r.pid) }, [id], {
            rollbackAvailable: true,
          });
        });
      }),
    );

    this.registerCommand(
      implementCommand(c.scaleInstance, (p, ctx) =>
        this.#onInstance(p.instance, ctx, "scale-instance", async (record) => {
          if (ctx.dryRun)
            return { wouldScale: { instance: record.name, from: record.replicas, to: p.replicas } };
          const replicas =
            record.desired === "running" ? await this.#scale(record.name, p.replicas, ctx) : [];
          await writeJson(this.paths.instance(record.name), { ...record, replicas: p.replicas });
          return {
            instance: record.name,
            from: record.replicas,
            to: p.replicas,
            desired: record.desired,
            pids: replicas.map((r) => r.pid),
          };
        }),
      ),
    );

    this.registerCommand(
      implementCommand(c.stopInstance, (p, ctx) =>
        this.#onInstance(p.instance, ctx, "stop-instance", async (record) => {
          if (ctx.dryRun)
            return {
              wouldStop: {
                instance: record.name,
                pids: this.#processes.replicas(record.name).map((r) => r.pid),
              },
            };
          await this.#processes.stopInstance(record.name);
          await writeJson(this.paths.instance(record.name), { ...record, desired: "stopped" });
          return { instance: record.name, desired: "stopped" };
        }),
      ),
    );

    this.registerCommand(
      implementCommand(c.startInstance, (p, ctx) =>
        this.#onInstance(p.instance, ctx, "start-instance", async (record) => {
          if (ctx.dryRun) return { wouldStart: { instance: record.name, replicas: record.replicas } };
          const replicas = await this.#scale(record.name, record.replicas, ctx);
          await writeJson(this.paths.instance(record.name), { ...record, desired: "running" });
          return { instance: record.name, desired: "running", pids: replicas.map((r) => r.pid) };
        }),
      ),
    );

    this.registerCommand(
      implementCommand(c.deleteInstance, (p, ctx) => {
        const name = nameOf("instance", p.instance);
        const id = resourceId("instance", name);
        return this.#locked(id, async () => {
          const record = await this.#requireInstance(name);
          if (ctx.dryRun)
            return success({
              wouldDelete: { instance: name, pids: this.#processes.replicas(name).map((r) => r.pid) },
            });
          const snapshot = await this.#snapshot("instance", name, "before delete-instance", ctx);
          await this.#processes.stopInstance(name);
          await remove(this.paths.instance(name));
          await this.#recordUndo(ctx, "delete-instance", id, { kind: "restore", snapshotId: snapshot.id });
          this.removeResource(id);
          return success({ deleted: id, replicas: record.replicas, snapshotId: snapshot.id }, [id], {
            rollbackAvailable: true,
          });
        });
      }),
    );

    this.registerCommand(
      implementCommand(c.createDatabase, (p, ctx) => {
        const id = resourceId("database", p.name);
        return this.#locked(id, async () => {
          const file = this.paths.database(p.name);
          if (await exists(file))
            throw new LocalCloudError("ALREADY_EXISTS", `database "${p.name}" exists`, { database: p.name });
          if (ctx.dryRun) {
            // Check the schema compiles, in memory, without creating anything.
            withDatabase(p.name, ":memory:", { create: true }, (db) =>
              p.schema === undefined ? undefined : db.exec(p.schema),
            );
            return success({ wouldCreate: { database: p.name, path: file } });
          }
          const { tables } = await createDatabaseFile(p.name, file, p.schema);
          await this.#recordUndo(ctx, "create-database", id, { kind: "delete" });
          await this.#refresh("database", p.name);
          return success({ id, name: p.name, path: file, tables }, [id], { rollbackAvailable: true });
        });
      }),
    );

    this.registerCommand(
      implementCommand(c.queryDatabase, (p) => {
        const name = nameOf("database", p.database);
        return this.#locked(resourceId("database", name), () => {
          const file = this.paths.database(name);
          const reader = withDatabase(name, file, { readonly: true }, (db) => db.prepare(p.sql).reader);
          if (!reader)
            throw new LocalCloudError(
              "INVALID_STATE",
              "query-database runs read-only queries; use execute-sql to change data",
              { database: name },
            );
          return Promise.resolve(success(runSql(name, file, p.sql, p.args ?? [], { readonly: true })));
        });
      }),
    );

    this.registerCommand(
      implementCommand(c.executeSql, (p, ctx) => {
        const name = nameOf("database", p.database);
        const id = resourceId("database", name);
        return this.#locked(id, async () => {
          const file = this.paths.database(name);
          const reader = withDatabase(name, file, { readonly: true }, (db) => db.prepare(p.sql).reader);
          if (reader) return success(runSql(name, file, p.sql, p.args ?? [], { readonly: true }));
          // A write: snapshot first, so the statement can be rolled back.
          const snapshot = await this.#snapshot("database", name, "before execute-sql", ctx);
          const result = runSql(name, file, p.sql, p.args ?? []);
          await this.#recordUndo(ctx, "execute-sql", id, { kind: "restore", snapshotId: snapshot.id });
          await this.#refresh("database", name);
          return success({ ...result, snapshotId: snapshot.id }, [id], { rollbackAvailable: true });
        });
      }),
    );

    this.registerCommand(
      implementCommand(c.deleteDatabase, (p, ctx) => {
        const name = nameOf("database", p.database);
        const id = resourceId("database", name);
        return this.#locked(id, async () => {
          const file = this.paths.database(name);
          if (!(await exists(file)))
            throw new LocalCloudError("NOT_FOUND", `no database "${name}"`, { database: name });
          const bytes = (await stat(file)).size;
          if (ctx.dryRun) return success({ wouldDelete: { database: name, bytes } });
          const snapshot = await this.#snapshot("database", name, "before delete-database", ctx);
          await this.#removeDatabaseFiles(file);
          await this.#recordUndo(ctx, "delete-database", id, { kind: "restore", snapshotId: snapshot.id });
          this.removeResource(id);
          return success({ deleted: id, bytes, snapshotId: snapshot.id }, [id], { rollbackAvailable: true });
        });
      }),
    );

    this.registerCommand(
      implementCommand(c.createSnapshot, (p, ctx) => {
        const target = parseResourceId(p.resource);
        if (target === undefined)
          return Promise.resolve(
            failure("NOT_FOUND", `"${p.resource}" is not a resource id (bucket-…, vm-…, db-…)`, {
              details: { resource: p.resource },
            }),
          );
        return this.#locked(p.resource, async () => {
          if (!(await this.#resourceExists(target.kind, target.name)))
            throw new LocalCloudError("NOT_FOUND", `no ${target.kind} "${target.name}"`, {
              resource: p.resource,
            });
          if (ctx.dryRun) return success({ wouldSnapshot: p.resource });
          const meta = await this.#snapshot(target.kind, target.name, "requested", ctx);
          return success(meta, [p.resource]);
        });
      }),
    );

    this.registerCommand(
      implementCommand(c.listSnapshots, async (p) => {
        const all = await this.#snapshots();
        return success(all.filter((s) => p.resource === undefined || s.resourceId === p.resource).reverse());
      }),
    );

    this.registerCommand(
      implementCommand(c.restoreSnapshot, async (p, ctx) => {
        const meta = await this.#snapshotMeta(p.snapshot);
        return this.#locked(meta.resourceId, async () => {
          if (ctx.dryRun) return success({ wouldRestore: meta });
          // What is there now is kept too (byte for byte when SQLite cannot read it), so the restore can be undone.
          const before = (await this.#resourceExists(meta.kind, meta.name))
            ? await this.#snapshot(meta.kind, meta.name, `before restore-snapshot ${meta.id}`, ctx, {
                rawIfCorrupt: true,
              })
            : undefined;
          await this.#restore(meta, ctx);
          await this.#recordUndo(
            ctx,
            "restore-snapshot",
            meta.resourceId,
            before === undefined ? { kind: "delete" } : { kind: "restore", snapshotId: before.id },
          );
          return success(
            { restored: meta.resourceId, snapshotId: meta.id, previousStateSnapshotId: before?.id ?? null },
            [meta.resourceId],
            { rollbackAvailable: true },
          );
        });
      }),
    );

    this.registerCommand(
      implementCommand(c.rollbackOperation, async (p, ctx) => {
        const record = await readJson(this.paths.operation(p.executionId), undoRecordSchema).catch(
          (error: unknown) => {
            throw error instanceof LocalCloudError ? error : new LocalCloudError("IO_FAILED", String(error));
          },
        );
        if (record === undefined)
          return failure("NO_ROLLBACK", `operation ${p.executionId} recorded no way to undo it`, {
            details: { executionId: p.executionId },
          });
        if (record.rolledBackAt !== undefined)
          return failure("INVALID_STATE", `operation ${p.executionId} was already rolled back`, {
            details: { executionId: p.executionId, rolledBackAt: record.rolledBackAt },
          });
        return this.#locked(record.resourceId, async () => {
          if (ctx.dryRun) return success({ wouldUndo: record });
          const target = parseResourceId(record.resourceId);
          if (target === undefined)
            throw new LocalCloudError("NO_ROLLBACK", `unknown resource ${record.resourceId}`);
          if (record.undo.kind === "delete") await this.#deleteResource(target.kind, target.name);
          else await this.#restore(await this.#snapshotMeta(record.undo.snapshotId), ctx);
          await writeJson(this.paths.operation(p.executionId), {
            ...record,
            rolledBackAt: Date.now(),
          } satisfies UndoRecord);
          return success(
            {
              rolledBack: p.executionId,
              commandId: record.commandId,
              resource: record.resourceId,
              undo: record.undo.kind,
            },
            [record.resourceId],
          );
        });
      }),
    );

    this.registerCommand(
      implementCommand(c.listResources, async () => {
        const buckets = await Promise.all(
          (await listNames(this.paths.buckets)).map(async (name) => ({
            id: resourceId("bucket", name),
            name,
            ...(await usage(this.paths.bucket(name))),
          })),
        );
        const instances = (await this.#instanceRecords()).map((r) => ({
          id: resourceId("instance", r.name),
          name: r.name,
          desired: r.desired,
          replicas: r.replicas,
          processes: this.#processes
            .replicas(r.name)
            .map((x) => ({ index: x.index, pid: x.pid, running: x.exit === undefined })),
        }));
        const databases = await Promise.all(
          (await listNames(this.paths.databases, ".sqlite")).map(async (name) => ({
            id: resourceId("database", name),
            name,
            bytes: (await stat(this.paths.database(name))).size,
          })),
        );
        return success({ buckets, instances, databases });
      }),
    );
  }

  // ---------------------------------------------------------------- helpers

  /** Runs `work` under the resource's queue; a {@link LocalCloudError} becomes a failure result. */
  #locked(key: string, work: () => Promise<CommandResult>): Promise<CommandResult> {
    return this.#queue.run(key, async () => {
      try {
        return await work();
      } catch (error) {
        if (error instanceof LocalCloudError)
          return failure(error.code, error.message, { details: { ...error.details } });
        throw error;
      }
    });
  }

  #onInstance(
    ref: string,
    ctx: Ctx,
    commandId: string,
    change: (record: InstanceRecord) => Promise<Record<string, unknown>>,
  ): Promise<CommandResult> {
    let name: string;
    try {
      name = nameOf("instance", ref);
    } catch (error) {
      const e = error as LocalCloudError;
      return Promise.resolve(failure(e.code, e.message, { details: { ...e.details } }));
    }
    const id = resourceId("instance", name);
    return this.#locked(id, async () => {
      const record = await this.#requireInstance(name);
      if (ctx.dryRun) return success(await change(record));
      const snapshot = await this.#snapshot("instance", name, `before ${commandId}`, ctx);
      const data = await change(record);
      await this.#recordUndo(ctx, commandId, id, { kind: "restore", snapshotId: snapshot.id });
      await this.#refresh("instance", name);
      return success({ ...data, snapshotId: snapshot.id }, [id], { rollbackAvailable: true });
    });
  }

  async #scale(name: string, count: number, ctx: Ctx): Promise<readonly Replica[]> {
    const current = this.#processes.replicas(name).filter((r) => r.exit === undefined).length;
    const total = Math.max(1, Math.abs(count - current));
    let step = 0;
    return this.#processes.scale(name, count, ctx.signal, (message) => {
      step += 1;
      ctx.progress({ message, step, totalSteps: total, percent: Math.round((step / total) * 100) });
    });
  }

  async #probeWrite(): Promise<void> {
    const probe = join(this.paths.root, `.probe-${process.pid}`);
    await writeFile(probe, "ok");
    await rm(probe, { force: true });
  }

  async #instanceRecords(): Promise<InstanceRecord[]> {
    const records: InstanceRecord[] = [];
    for (const name of await listNames(this.paths.compute, ".json")) {
      const record = await this.#instanceRecord(name).catch((error: unknown) => {
        this.logger.warn(`instance record ${name} unreadable`, { error: String(error) });
        return undefined;
      });
      if (record) records.push(record);
    }
    return records;
  }

  #instanceRecord(name: string): Promise<InstanceRecord | undefined> {
    return readJson(this.paths.instance(name), instanceRecordSchema);
  }

  async #requireInstance(name: string): Promise<InstanceRecord> {
    const record = await this.#instanceRecord(name);
    if (record === undefined)
      throw new LocalCloudError("NOT_FOUND", `no instance "${name}"`, { instance: name });
    return record;
  }

  async #instanceHealth(record: InstanceRecord): Promise<HealthCheckItem> {
    const name = `instance:${record.name}`;
    if (record.desired === "stopped") return { name, status: "healthy", message: "stopped" };
    const started = performance.now();
    const replicas = await this.#processes.health(record.name);
    const alive = replicas.filter((r) => r.alive);
    const dead = replicas
      .filter((r) => !r.alive)
      .map((r) => `replica ${r.index} (pid ${r.pid}) ${r.alive ? "" : r.reason}`);
    if (alive.length === record.replicas && dead.length === 0) {
      return {
        name,
        status: "healthy",
        latencyMs: performance.now() - started,
        message: `${alive.length}/${record.replicas} replicas answer`,
      };
    }
    const missing = record.replicas - replicas.length;
    const why = [...dead, ...(missing > 0 ? [`${missing} replica(s) not running`] : [])].join("; ");
    return {
      name,
      status: "unhealthy",
      message: `${alive.length}/${record.replicas} replicas answer: ${why}`,
    };
  }

  async #resourceExists(kind: Kind, name: string): Promise<boolean> {
    if (kind === "bucket") return exists(this.paths.bucket(name));
    if (kind === "database") return exists(this.paths.database(name));
    return (await this.#instanceRecord(name)) !== undefined;
  }

  async #snapshot(
    kind: Kind,
    name: string,
    reason: string,
    ctx: Ctx,
    options: { rawIfCorrupt?: boolean } = {},
  ): Promise<SnapshotMeta> {
    throwIfAborted(ctx.signal);
    const id = newSnapshotId();
    const dir = this.paths.snapshot(id);
    const partial = `${dir}.partial`;
    await remove(partial);
    await mkdir(partial, { recursive: true });
    try {
      let meta: SnapshotMeta = {
        id,
        resourceId: resourceId(kind, name),
        kind,
        name,
        createdAt: Date.now(),
        reason,
      };
      if (kind === "bucket") {
        const files = await copyTree(
          this.paths.bucket(name),
          join(partial, "data"),
          ctx.signal,
          (done, total) =>
            ctx.progress({
              message: `snapshot ${id}: ${done}/${total} files`,
              percent: Math.round((done / total) * 100),
            }),
        );
        meta = { ...meta, files };
      } else if (kind === "database") {
        try {
          await backupDatabase(
            name,
            this.paths.database(name),
            join(partial, "data.sqlite"),
            ctx.signal,
            (percent) => ctx.progress({ message: `snapshot ${id}: backup`, percent }),
          );
        } catch (error) {
          if (!(
            options.rawIfCorrupt === true &&
            error instanceof LocalCloudError &&
            error.code === "DATABASE_CORRUPT"
          ))
            throw error;
          await copyFile(this.paths.database(name), join(partial, "data.sqlite"));
          meta = { ...meta, reason: `${reason} (raw copy: the file was corrupt)` };
        }
      } else {
        const record = await this.#requireInstance(name);
        meta = { ...meta, instance: { replicas: record.replicas, desired: record.desired } };
      }
      await writeJson(join(partial, "meta.json"), meta);
      await rename(partial, dir);
      return meta;
    } catch (error) {
      await remove(partial);
      throw error;
    }
  }

  async #snapshots(): Promise<SnapshotMeta[]> {
    const out: SnapshotMeta[] = [];
    for (const id of await listNames(this.paths.snapshots)) {
      if (id.endsWith(".partial")) continue;
      const meta = await readJson(join(this.paths.snapshot(id), "meta.json"), snapshotMetaSchema).catch(
        () => undefined,
      );
      if (meta) out.push(meta);
    }
    return out.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async #snapshotMeta(id: string): Promise<SnapshotMeta> {
    if (!/^snap-[a-z0-9]+-[0-9a-f]+$/.test(id))
      throw new LocalCloudError("NOT_FOUND", `"${id}" is not a snapshot id`, { snapshot: id });
    const meta = await readJson(join(this.paths.snapshot(id), "meta.json"), snapshotMetaSchema);
    if (meta === undefined) throw new LocalCloudError("NOT_FOUND", `no snapshot "${id}"`, { snapshot: id });
    return meta;
  }

  /** Puts a resource back as the snapshot holds it (whole bucket tree or database file swapped in at once). */
  async #restore(meta: SnapshotMeta, ctx: Ctx): Promise<void> {
    const source = this.paths.snapshot(meta.id);
    if (meta.kind === "bucket") {
      const target = this.paths.bucket(meta.name);
      const incoming = `${target}.restoring`;
      await remove(incoming);
      await copyTree(join(source, "data"), incoming, ctx.signal, (done, total) =>
        ctx.progress({
          message: `restore: ${done}/${total} files`,
          percent: Math.round((done / total) * 100),
        }),
      );
      await remove(target);
      await rename(incoming, target);
    } else if (meta.kind === "database") {
      throwIfAborted(ctx.signal);
      const target = this.paths.database(meta.name);
      await copyFile(join(source, "data.sqlite"), `${target}.restoring`);
      await this.#removeDatabaseFiles(target, false);
      await rename(`${target}.restoring`, target);
    } else {
      const instance = meta.instance;
      if (instance === undefined)
        throw new LocalCloudError("IO_FAILED", `snapshot ${meta.id} holds no instance settings`);
      const existing = await this.#instanceRecord(meta.name);
      if (instance.desired === "running") await this.#scale(meta.name, instance.replicas, ctx);
      else await this.#processes.stopInstance(meta.name);
      await writeJson(this.paths.instance(meta.name), {
        name: meta.name,
        replicas: instance.replicas,
        desired: instance.desired,
        createdAt: existing?.createdAt ?? Date.now(),
      } satisfies InstanceRecord);
    }
    await this.#refresh(meta.kind, meta.name);
  }

  async #deleteResource(kind: Kind, name: string): Promise<void> {
    if (kind === "bucket") await remove(this.paths.bucket(name));
    else if (kind === "database") await this.#removeDatabaseFiles(this.paths.database(name));
    else {
      await this.#processes.stopInstance(name);
      await remove(this.paths.instance(name));
    }
    this.removeResource(resourceId(kind, name));
  }

  async #removeDatabaseFiles(file: string, main = true): Promise<void> {
    for (const suffix of ["-wal", "-shm", "-journal"]) await remove(`${file}${suffix}`);
    if (main) await remove(file);
  }

  async #recordUndo(ctx: Ctx, commandId: string, id: string, undo: UndoRecord["undo"]): Promise<void> {
    await writeJson(this.paths.operation(ctx.executionId), {
      executionId: ctx.executionId,
      commandId,
      resourceId: id,
      at: Date.now(),
      undo,
    } satisfies UndoRecord);
  }

  async #refresh(kind: Kind, name: string): Promise<void> {
    const id = resourceId(kind, name);
    if (!(await this.#resourceExists(kind, name))) {
      this.removeResource(id);
      return;
    }
    let status = "available";
    let metadata: Record<string, unknown> = {};
    if (kind === "instance") {
      const record = await this.#requireInstance(name);
      status = record.desired;
      metadata = { replicas: record.replicas, pids: this.#processes.replicas(name).map((r) => r.pid) };
    } else if (kind === "bucket") {
      metadata = { ...(await usage(this.paths.bucket(name))) };
    } else {
      metadata = { bytes: (await stat(this.paths.database(name))).size };
    }
    this.updateResource({ id, type: RESOURCE_TYPE[kind], name, status, metadata });
  }

  async #refreshAll(): Promise<void> {
    for (const name of await listNames(this.paths.buckets)) await this.#refresh("bucket", name);
    for (const record of await this.#instanceRecords()) await this.#refresh("instance", record.name);
    for (const name of await listNames(this.paths.databases, ".sqlite"))
      await this.#refresh("database", name);
  }
}

/** A registry factory: settings (`providers[].settings`) are `{ stateDir, stopGraceMs?, pingTimeoutMs? }`. */
export function createLocalCloudFactory(defaults: Partial<LocalCloudSettingsInput> = {}): ProviderFactory {
  return ({ instanceId, settings, logger }) => {
    const merged = { ...defaults, ...settings } as Record<string, unknown>;
    return new LocalCloudProvider({ ...(merged as LocalCloudSettingsInput), instanceId, logger });
  };
}

/** Files of a bucket (for tests and the demo). */
export function bucketFiles(provider: LocalCloudProvider, bucket: string): Promise<string[]> {
  return listFiles(provider.paths.bucket(bucket));
}
