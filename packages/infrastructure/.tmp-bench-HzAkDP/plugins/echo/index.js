import { createSimpleProvider, defineProvider } from "@espada/infra-sdk";
export const meta = defineProvider().id("echo").name("echo").displayName("Echo").description("bench").version("1.0.0").category("custom").capabilities("monitor").supportedResources("custom").authMethods("api-key").build();
export function createProvider({ instanceId, logger }) {
  return createSimpleProvider({ meta, instanceId, logger, commands: [], onInitialize() {}, onStart() {}, onHealthCheck: () => [{ name: "echo", status: "healthy" }] });
}
