// The spec's SDK section, code block by code block ("Provider builder", "Command builder",
// "Simple provider"), with one change: the provider is made by a factory, so the registry can create
// instances of it (each with its own id and logger).
import { createSimpleProvider, defineCommand, defineProvider, failure, success } from "@espada/infra-sdk";
import type { ProviderFactory } from "@espada/infra-core";

/** The spec's provider meta. */
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

/** The spec's command. */
const command = defineCommand()
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

/** The spec's simple provider, as a registry factory. */
export const factory: ProviderFactory = ({ instanceId, logger: instanceLogger }) =>
  createSimpleProvider({
    meta,
    instanceId,
    logger: instanceLogger,
    commands: [command],

    async onInitialize(auth, logger) {
      logger.info("Connecting with API key");
      // Validate credentials…
    },

    async onStart(logger) {
      logger.info("Provider started");
    },

    async onHealthCheck(logger) {
      return [{ name: "api", status: "healthy" }];
    },

    async onExecuteCommand(cmd, params, ctx, logger) {
      if (cmd.id === "create-instance") {
        // Provision resource…
        return success({ instanceId: "i-123" }, ["i-123"]);
      }
      return failure("UNKNOWN_CMD", `Unknown: ${cmd.id}`);
    },
  });
