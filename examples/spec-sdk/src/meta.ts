import { defineProvider } from "@espada/infra-sdk";

const meta = defineProvider()
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

export { meta };
