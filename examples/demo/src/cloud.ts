import { createSimpleProvider, defineCommand, defineProvider, failure, success } from "@espada/infra-sdk";
import type { BaseInfrastructureProvider } from "@espada/infra-sdk";
import type { InfrastructureLogger } from "@espada/infra-core";

/** The spec's example meta. */
export const meta = defineProvider()
  .id("my-cloud")
  .name("My Cloud Provider")
  .displayName("My Cloud")
  .description("Custom cloud infrastructure provider")
  .version("1.0.0")
  .category("cloud")
  .capabilities("provision", "deprovision", "scale", "monitor")
  .supportedResources("compute", "storage", "network")
  .authMethods("api-key", "oauth2")
  .build();

/** The spec's example command. */
export const createInstance = defineCommand()
  .id("create-instance")
  .name("Create Instance")
  .description("Provision a new compute instance")
  .category("provision")
  .stringParam("name", "Instance name", { required: true })
  .stringParam("region", "Target region", { required: true })
  .numberParam("cpu", "CPU count", { default: 2 })
  .numberParam("memory", "Memory in GB", { default: 4 })
  .booleanParam("dryRun", "Simulate without provisioning")
  .requiredCapabilities("provision")
  .supportsDryRun()
  .dangerous(false)
  .example("Create a small instance", { name: "web-1", region: "us-east-1", cpu: 2 })
  .build();

interface Instance {
  readonly id: string;
  readonly name: string;
  readonly region: string;
  readonly cpu: number;
  readonly memory: number;
}

/** The spec's provider, plus a dangerous `delete-instance` command with a typed handler and an in-memory cloud. */
export function createDemoProvider(logger: InfrastructureLogger): BaseInfrastructureProvider {
  const instances = new Map<string, Instance>();
  let nextId = 123;

  const deleteInstance = defineCommand()
    .id("delete-instance")
    .name("Delete Instance")
    .description("Destroy a compute instance")
    .category("manage")
    .resourceRefParam("instanceId", "Instance to delete", { required: true, resourceType: "compute", pattern: "^i-[0-9]+$" })
    .requiredCapabilities("deprovision")
    .dangerous()
    .handler((params, ctx) => {
      // params is typed { instanceId: string }
      const instance = instances.get(params.instanceId);
      if (instance === undefined) return failure("NOT_FOUND", `No instance ${params.instanceId}`);
      if (!ctx.dryRun) instances.delete(instance.id);
      return success({ deleted: instance.id }, [instance.id], { rollbackAvailable: false });
    });

  return createSimpleProvider({
    meta,
    logger,
    commands: [createInstance, deleteInstance],

    async onInitialize(auth, log) {
      if (auth.method === "api-key" && (auth.credentials.apiKey ?? "") === "") throw new Error("credentials.apiKey is empty");
      log.info(`Connecting with ${auth.method}`);
      await Promise.resolve();
    },

    onStart(log) {
      log.info("Provider started");
    },

    onHealthCheck() {
      return [
        { name: "api", status: "healthy", latencyMs: 3 },
        { name: "quota", status: instances.size < 2 ? "healthy" : "degraded", message: `${instances.size} of 2 instances used` },
      ];
    },

    onExecuteCommand(cmd, params, ctx) {
      if (cmd.id === "create-instance") {
        const id = `i-${nextId}`;
        const instance: Instance = {
          id,
          name: String(params.name),
          region: String(params.region),
          cpu: Number(params.cpu),
          memory: Number(params.memory),
        };
        if (ctx.dryRun) return success({ wouldCreate: instance }, []);
        nextId += 1;
        instances.set(id, instance);
        return success({ instanceId: id, ...instance }, [id]);
      }
      return failure("UNKNOWN_CMD", `Unknown: ${cmd.id}`);
    },
  });
}
