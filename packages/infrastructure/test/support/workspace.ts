// A throwaway standalone workspace: espada.yaml, a local plugin folder with an SDK provider, and a
// state directory. It lives under this package so the plugin module resolves @espada/infra-sdk the
// way an installed plugin would.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { getFrameworkVersion } from "@espada/infra-discovery";
import type { CliIo } from "../../src/cli/run.js";

const packageDir = fileURLToPath(new URL("../..", import.meta.url));

/** A secret that must never reach any output. */
export const SECRET = "sk-live-9f8e7d6c5b4a39281706";

const META = {
  id: "echo",
  name: "echo",
  displayName: "Echo Cloud",
  description: "a test provider",
  version: "1.2.0",
  category: "custom",
  capabilities: ["provision", "monitor"],
  supportedResources: ["custom"],
  authMethods: ["api-key"],
  tags: [],
};

const MODULE = `
import { createSimpleProvider, defineCommand, defineProvider, success, failure } from "@espada/infra-sdk";
export const meta = defineProvider().id("echo").name("echo").displayName("Echo Cloud").description("a test provider")
  .version("1.2.0").category("custom").capabilities("provision", "monitor").supportedResources("custom").authMethods("api-key").build();
const say = defineCommand().id("say").name("Say").category("monitor")
  .stringParam("text", "What to say", { required: true })
  .numberParam("times", "How often", { default: 1, min: 1, max: 5 })
  .handler((params) => success({ said: Array(params.times).fill(params.text).join(" ") }));
const create = defineCommand().id("create-thing").name("Create Thing").category("provision")
  .stringParam("name", "Name", { required: true }).supportsDryRun()
  .handler(async (params, ctx) => {
    ctx.progress?.({ percentage: 50, message: "half way" });
    if (ctx.dryRun) return success({ wouldCreate: params.name });
    return success({ created: params.name }, { affectedResources: [params.name] });
  });
const drop = defineCommand().id("drop-thing").name("Drop Thing").category("provision")
  .resourceRefParam("thing", "Thing", { required: true, resourceType: "custom" }).dangerous()
  .handler((params) => success({ dropped: params.thing }));
const leak = defineCommand().id("leak").name("Leak").category("monitor")
  .handler(() => failure("PROVIDER_FAILED", "upstream said apiKey=${SECRET} is wrong"));
const rotate = defineCommand().id("rotate").name("Rotate").category("security")
  .secretParam("token", "New token", { required: true })
  .handler((params) => success({ rotated: true, length: params.token.length }));
export function createProvider({ instanceId, logger }) {
  return createSimpleProvider({ meta, instanceId, logger, commands: [say, create, drop, leak, rotate], onInitialize() {}, onStart() {},
    onHealthCheck: () => [{ name: "echo", status: "healthy" }] });
}
`;

/** A workspace folder and a captured CLI. */
export interface Workspace {
  readonly dir: string;
  readonly env: Record<string, string>;
  remove(): void;
}

/** Creates a workspace with `espada.yaml` (extra YAML appended under `extensions.infrastructure`). */
export function createWorkspace(extraYaml = ""): Workspace {
  const dir = mkdtempSync(join(packageDir, ".tmp-cli-"));
  const plugin = join(dir, "plugins", "echo");
  mkdirSync(plugin, { recursive: true });
  writeFileSync(
    join(plugin, "infrastructure.plugin.json"),
    JSON.stringify(
      {
        name: "echo-plugin",
        version: "1.0.0",
        frameworkVersion: `^${getFrameworkVersion()}`,
        providers: [{ meta: META, entry: "./index.js" }],
      },
      null,
      2,
    ),
  );
  writeFileSync(join(plugin, "index.js"), MODULE);
  writeFileSync(
    join(dir, "espada.yaml"),
    `extensions:
  infrastructure:
    providers:
      - id: echo
        auth:
          method: api-key
          credentials:
            apiKey: "\${ECHO_API_KEY}"
    discoveryConfig:
      installedDirs: []
      localDirs: [plugins]
    loggingConfig:
      level: error
    securityConfig:
      policies:
        assignments:
          - { userId: ann, roleId: admin, environments: [development] }
          - { userId: ann, roleId: sre }
          - { userId: bob, roleId: admin }
        approvalChains:
          - id: prod-changes
            riskLevels: [minimal, low, medium, high, critical]
            environments: [production]
            steps: [{ role: admin, approvers: 1 }]
${extraYaml}`,
  );
  return {
    dir,
    env: { ECHO_API_KEY: SECRET, ESPADA_INFRA_USER: "ann" },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A captured stdout/stderr pair. */
export interface Captured extends CliIo {
  readonly out: () => string;
  readonly err: () => string;
}

/** Captures what a command prints. */
export function capture(tty = false): Captured {
  let out = "";
  let err = "";
  return {
    stdout: { write: (text: string) => (out += text), isTTY: tty },
    stderr: { write: (text: string) => (err += text), isTTY: tty },
    out: () => out,
    err: () => err,
  };
}
