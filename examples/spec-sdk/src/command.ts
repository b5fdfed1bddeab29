import { defineCommand } from "@espada/infra-sdk";

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

export { command };
