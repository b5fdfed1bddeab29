import { createSimpleProvider, success, failure } from "@espada/infra-sdk";
import { meta } from "./meta.js";
import { command } from "./command.js";

const provider = createSimpleProvider({
  meta,
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

export { provider };
