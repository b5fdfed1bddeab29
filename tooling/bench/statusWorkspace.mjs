// The workspace of the `espada-infra status` benchmark (packages/infrastructure/bench) and of the
// build's code-cache priming (tooling/scripts/primeCodeCaches.mjs): the README's set-up, an espada.yaml
// with one configured provider that discovery finds in a local plugin folder, so `status` really
// parses the config, discovers, brings the provider up and checks its health.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Creates the workspace in a new folder under `parentDir` (which must resolve `@espada/infra-sdk`,
 * imported by the plugin) and returns its path. `frameworkVersion` is core's version.
 */
export function createStatusWorkspace(parentDir, frameworkVersion) {
  const dir = mkdtempSync(join(parentDir, ".tmp-status-"));
  const plugin = join(dir, "plugins", "echo");
  mkdirSync(plugin, { recursive: true });
  const meta = {
    id: "echo",
    name: "echo",
    displayName: "Echo",
    description: "bench",
    version: "1.0.0",
    category: "custom",
    capabilities: ["monitor"],
    supportedResources: ["custom"],
    authMethods: ["api-key"],
    tags: [],
  };
  writeFileSync(
    join(plugin, "infrastructure.plugin.json"),
    JSON.stringify({
      name: "echo",
      version: "1.0.0",
      frameworkVersion: `^${frameworkVersion}`,
      providers: [{ meta, entry: "./index.js" }],
    }),
  );
  writeFileSync(
    join(plugin, "index.js"),
    `import { createSimpleProvider, defineProvider } from "@espada/infra-sdk";
export const meta = defineProvider().id("echo").name("echo").displayName("Echo").description("bench").version("1.0.0").category("custom").capabilities("monitor").supportedResources("custom").authMethods("api-key").build();
export function createProvider({ instanceId, logger }) {
  return createSimpleProvider({ meta, instanceId, logger, commands: [], onInitialize() {}, onStart() {}, onHealthCheck: () => [{ name: "echo", status: "healthy" }] });
}
`,
  );
  writeFileSync(
    join(dir, "espada.yaml"),
    "extensions:\n  infrastructure:\n    providers:\n      - id: echo\n    discoveryConfig:\n      installedDirs: []\n      localDirs: [plugins]\n",
  );
  return dir;
}
