import { createSimpleProvider, failure, implementCommand, success, validation } from "@espada/infra-sdk";
import type { BaseInfrastructureProvider } from "@espada/infra-sdk";
import { InMemoryKvBackend } from "./backend.js";
import { createDatabase, deleteDatabase, listDatabases } from "./commands.js";
import { kvMeta } from "./kvProvider.js";

/**
 * The same provider with three commands and `createSimpleProvider`: callbacks, no class. Handlers
 * track what they create and delete through the `resources` tracker they receive fourth.
 */
export function createSimpleKvProvider(backend = new InMemoryKvBackend()): BaseInfrastructureProvider {
  return createSimpleProvider({
    meta: kvMeta,
    commands: [
      implementCommand(createDatabase, async (params, ctx, _logger, resources) => {
        if (ctx.dryRun) return success({ wouldCreate: params });
        const db = await backend.create(params.name, params.engine, params.sizeGb, ctx.signal);
        resources.update({
          id: db.id,
          type: "database",
          name: db.name,
          status: "available",
          metadata: { engine: db.engine, sizeGb: db.sizeGb },
        });
        return success(db, [db.id]);
      }),
      implementCommand(listDatabases, ({ engine }) =>
        success(backend.list().filter((db) => engine === undefined || db.engine === engine)),
      ),
      implementCommand(deleteDatabase, async ({ database }, ctx, _logger, resources) => {
        const db = backend.get(database);
        if (!db) return failure("NOT_FOUND", `no database "${database}"`);
        await backend.delete(db.id, ctx.signal);
        resources.remove(db.id);
        return success({ deleted: db.id }, [db.id]);
      }),
    ],
    onInitialize(auth, logger) {
      if (!auth.credentials["apiKey"]) throw new Error("credentials.apiKey is required");
      logger.info("connected");
    },
    onStart() {},
    async onHealthCheck() {
      return [{ name: "backend", status: (await backend.ping()) ? "healthy" : "unhealthy" }];
    },
    onValidateConfig(config) {
      const region = (config as { region?: unknown } | null)?.region;
      return typeof region === "string"
        ? validation.ok()
        : validation.error("REQUIRED", "region is required", "region");
    },
  });
}
