import {
  BaseInfrastructureProvider,
  defineProvider,
  failure,
  implementCommand,
  success,
  validation,
} from "@espada/infra-sdk";
import type { BaseProviderOptions } from "@espada/infra-sdk";
import type {
  CommandDefinition,
  CommandResult,
  ConfigValidationResult,
  HealthCheckItem,
  ProviderAuth,
} from "@espada/infra-core";
import { InMemoryKvBackend } from "./backend.js";
import type { Database } from "./backend.js";
import { createDatabase, deleteDatabase, listDatabases, resizeDatabase, rotatePassword } from "./commands.js";

/** The provider's meta. */
export const kvMeta = defineProvider()
  .id("kv-db")
  .name("KV Database")
  .version("1.0.0")
  .category("database")
  .description("Key-value databases on an in-memory backend")
  .capabilities("provision", "deprovision", "scale", "dry-run")
  .supportedResources("database")
  .authMethods("api-key")
  .build();

/** Options of {@link KvProvider}. */
export interface KvProviderOptions extends BaseProviderOptions {
  /** The service to talk to. Default: a fresh in-memory backend. */
  readonly backend?: InMemoryKvBackend;
  /** Quota: `create-database` fails with `QUOTA_EXCEEDED` beyond it. Default 10. */
  readonly maxDatabases?: number;
}

/** A key-value database provider: five typed commands, resource tracking, health and settings checks. */
export class KvProvider extends BaseInfrastructureProvider {
  /** The service the provider manages. */
  readonly backend: InMemoryKvBackend;
  readonly #maxDatabases: number;
  #connected = false;

  constructor(options: KvProviderOptions = {}) {
    const { backend, maxDatabases, ...base } = options;
    super(kvMeta, base);
    this.backend = backend ?? new InMemoryKvBackend();
    this.#maxDatabases = maxDatabases ?? 10;

    this.registerCommand(
      implementCommand(createDatabase, async (params, ctx, log) => {
        if (this.backend.list().length >= this.#maxDatabases) {
          return failure("QUOTA_EXCEEDED", `at most ${this.#maxDatabases} databases`, {
            details: { max: this.#maxDatabases },
          });
        }
        if (this.backend.get(params.name))
          return failure("ALREADY_EXISTS", `database "${params.name}" exists`);
        if (ctx.dryRun) return success({ wouldCreate: params });
        ctx.progress({ message: "allocating", percent: 10, step: 1, totalSteps: 2 });
        const db = await this.backend.create(params.name, params.engine, params.sizeGb, ctx.signal);
        ctx.progress({ message: "ready", percent: 100, step: 2, totalSteps: 2 });
        this.#track(db);
        log.info("database created", { id: db.id });
        return success(db, [db.id]);
      }),
    );

    this.registerCommand(
      implementCommand(listDatabases, ({ engine }) =>
        success(this.backend.list().filter((db) => engine === undefined || db.engine === engine)),
      ),
    );

    this.registerCommand(
      implementCommand(resizeDatabase, async ({ database, sizeGb }, ctx) => {
        const db = this.backend.get(database);
        if (!db) return failure("NOT_FOUND", `no database "${database}"`, { details: { database } });
        const steps = Math.abs(sizeGb - db.sizeGb) > 100 ? 4 : 1;
        let current = db;
        for (let step = 1; step <= steps; step++) {
          const size = Math.round(db.sizeGb + ((sizeGb - db.sizeGb) * step) / steps);
          current = await this.backend.resize(db.id, size, ctx.signal);
          this.#track(current);
          ctx.progress({
            message: `resized to ${size} GB`,
            percent: Math.round((step / steps) * 100),
            step,
            totalSteps: steps,
          });
        }
        return success(current, [current.id]);
      }),
    );

    this.registerCommand(
      implementCommand(deleteDatabase, async ({ database }, ctx) => {
        const db = this.backend.get(database);
        if (!db) return failure("NOT_FOUND", `no database "${database}"`, { details: { database } });
        await this.backend.delete(db.id, ctx.signal);
        this.removeResource(db.id);
        return success({ deleted: db.id }, [db.id]);
      }),
    );

    this.registerCommand(
      implementCommand(rotatePassword, async ({ database, newPassword }, ctx, log) => {
        const db = this.backend.get(database);
        if (!db) return failure("NOT_FOUND", `no database "${database}"`, { details: { database } });
        const updated = await this.backend.setPassword(db.id, newPassword, ctx.signal);
        log.info("password rotated", { id: db.id, version: updated.passwordVersion });
        return success({ id: db.id, passwordVersion: updated.passwordVersion }, [db.id]);
      }),
    );
  }

  #track(db: Database): void {
    this.updateResource({
      id: db.id,
      type: "database",
      name: db.name,
      status: "available",
      metadata: { engine: db.engine, sizeGb: db.sizeGb },
    });
  }

  protected override async onInitialize(auth: ProviderAuth): Promise<void> {
    if (!auth.credentials["apiKey"]) throw new Error("credentials.apiKey is required");
    this.#connected = await this.backend.ping();
  }

  protected override onStart(): Promise<void> {
    return Promise.resolve();
  }

  protected override onStop(): Promise<void> {
    return Promise.resolve();
  }

  protected override onDestroy(): Promise<void> {
    this.#connected = false;
    return Promise.resolve();
  }

  protected override async performHealthChecks(): Promise<readonly HealthCheckItem[]> {
    const started = performance.now();
    const up = await this.backend.ping();
    const backend: HealthCheckItem = up
      ? { name: "backend", status: "healthy", latencyMs: performance.now() - started }
      : { name: "backend", status: "unhealthy", message: "backend does not answer" };
    return [backend, { name: "connection", status: this.#connected ? "healthy" : "degraded" }];
  }

  /** Settings: `{ region: "eu-west-1", maxDatabases?: number }`; paths are relative to the settings. */
  protected override onValidateConfig(config: unknown): Promise<ConfigValidationResult> {
    if (typeof config !== "object" || config === null)
      return Promise.resolve(validation.error("TYPE_MISMATCH", "settings must be an object"));
    const { region, maxDatabases } = config as { region?: unknown; maxDatabases?: unknown };
    return Promise.resolve(
      validation.combine(
        typeof region === "string" && /^[a-z]+-[a-z]+-\d$/.test(region)
          ? validation.ok()
          : validation.error("INVALID_VALUE", "region must look like eu-west-1", "region"),
        maxDatabases === undefined
          ? validation.warning("DEFAULTED", "maxDatabases not set, using 10", "maxDatabases")
          : Number.isInteger(maxDatabases) && (maxDatabases as number) > 0
            ? validation.ok()
            : validation.error("INVALID_VALUE", "maxDatabases must be a positive integer", "maxDatabases"),
      ),
    );
  }

  /** Every command is registered with its own handler, so this only answers unknown definitions. */
  protected override onExecuteCommand(cmd: CommandDefinition): Promise<CommandResult> {
    return Promise.resolve(failure("NOT_FOUND", `command "${cmd.id}" has no handler`));
  }
}
