import { createSimpleProvider, defineCommand, defineProvider, failure, success } from "@espada/infra-sdk";
import type { ProviderFactory } from "@espada/infra-core";

/** The spec's provider meta, built exactly as the spec's SDK section shows. */
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

/** The spec's command, built exactly as the spec's SDK section shows. */
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

/** A dangerous command without dry-run support (for confirmation and dry-run enforcement). */
export const deleteInstance = defineCommand()
  .id("delete-instance")
  .name("Delete Instance")
  .description("Delete a compute instance")
  .category("manage")
  .stringParam("instanceId", "Instance id", { required: true })
  .requiredCapabilities("deprovision")
  .resourceTypes("compute")
  .dangerous()
  .build();

/** A command taking a secret whose name no logger key rule recognises: only the framework can keep it out. */
export const configureInstance = defineCommand()
  .id("configure-instance")
  .name("Configure Instance")
  .description("Install a licence on an instance")
  .category("manage")
  .stringParam("instanceId", "Instance id", { required: true })
  .secretParam("licenseBlob", "Licence blob", { required: true })
  .build();

/** One provider call as the provider saw it. */
export interface ProviderRun {
  readonly instanceId: string;
  readonly commandId: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly dryRun: boolean;
  readonly sessionId: string | undefined;
}

/**
 * A factory of the spec's example provider (`createSimpleProvider` with the spec's callbacks),
 * extended with `delete-instance` and `configure-instance`. Every command call is appended to `runs`,
 * which outlives any one registry (so a "restart" keeps counting).
 */
export function exampleProviderFactory(runs: ProviderRun[]): ProviderFactory {
  return ({ instanceId, logger }) =>
    createSimpleProvider({
      meta,
      instanceId,
      logger,
      commands: [createInstance, deleteInstance, configureInstance],

      onInitialize(auth, log) {
        log.info("Connecting with API key");
        // A careless provider: its auth object goes to the log; the logger must redact it.
        log.debug("auth received", { auth });
      },

      onStart(log) {
        log.info("Provider started");
      },

      onHealthCheck() {
        return [{ name: "api", status: "healthy" }];
      },

      onExecuteCommand(cmd, params, ctx) {
        runs.push({
          instanceId,
          commandId: cmd.id,
          params: { ...params },
          dryRun: ctx.dryRun,
          sessionId: ctx.sessionId,
        });
        if (cmd.id === "create-instance") {
          // Provision resource…
          return ctx.dryRun
            ? success({ instanceId: "i-123", simulated: true })
            : success({ instanceId: "i-123" }, ["i-123"]);
        }
        if (cmd.id === "delete-instance")
          return success({ deleted: params.instanceId }, [String(params.instanceId)]);
        if (cmd.id === "configure-instance")
          return success({ configured: params.instanceId }, [String(params.instanceId)]);
        return failure("UNKNOWN_CMD", `Unknown: ${cmd.id}`);
      },
    });
}
