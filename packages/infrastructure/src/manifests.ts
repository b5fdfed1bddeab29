// The host manifests (`openclaw.plugin.json`, `espada.plugin.json`): what a host reads before it
// loads the plugin's code. Built here from the one source of each fact (the config schema from
// core's zod schema, id and name from the plugin object, version and description from package.json,
// tool names from what `register` registers); `scripts/gen-manifests.mjs` writes them, a test checks the
// committed files equal what this builds.
import { getInfrastructureConfigJsonSchema } from "@espada/infra-core";

/** The root CLI command the plugin registers in a host (`registerCli` descriptor and manifest `cliCommands` row). */
export const INFRA_CLI_DESCRIPTOR = {
  name: "infra",
  description: "Infrastructure providers, instances, status, discovery, operations, approvals and audit",
  hasSubcommands: true,
} as const;

/** The manifest file names, one per host: OpenClaw, and Espada (its fork with the same plugin API). */
export const MANIFEST_FILES = ["openclaw.plugin.json", "espada.plugin.json"] as const;

/** What a manifest is built from. */
export interface ManifestInputs {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly version: string;
  /** Every agent tool name the plugin registers (hosts refuse tools missing from `contracts.tools`). */
  readonly toolNames: readonly string[];
}

/** A host plugin manifest (the fields of `openclaw.plugin.json` this plugin uses). */
export interface HostPluginManifest {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly version: string;
  /** Loaded at gateway start-up, so the `infrastructure-framework` service runs. */
  readonly activation: { readonly onStartup: true };
  readonly cliCommands: readonly (typeof INFRA_CLI_DESCRIPTOR)[];
  readonly contracts?: { readonly tools: readonly string[] };
  /** JSON Schema of `plugins.entries.infrastructure.config`, from core's zod config schema. */
  readonly configSchema: Record<string, unknown>;
}

/** Builds the manifest both hosts read (the same content under each file name). */
export function buildHostManifest(inputs: ManifestInputs): HostPluginManifest {
  const tools = [...inputs.toolNames].sort();
  return {
    id: inputs.id,
    name: inputs.name,
    description: inputs.description,
    version: inputs.version,
    activation: { onStartup: true },
    cliCommands: [INFRA_CLI_DESCRIPTOR],
    ...(tools.length === 0 ? {} : { contracts: { tools } }),
    configSchema: getInfrastructureConfigJsonSchema(),
  };
}

/** The text of a manifest file: two-space JSON and a final newline. */
export function manifestText(manifest: HostPluginManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** The part of a plugin object {@link registeredToolNames} needs. */
export interface RegisteringPlugin {
  register(api: never): void;
}

/**
 * Runs `plugin.register` against a recording host api and returns the names of the agent tools it
 * registers (a tool object's `name`, or the `name`/`names` options of a tool factory). Every other
 * registration is accepted and ignored; `register` builds nothing, so this has no side effect.
 */
export function registeredToolNames(plugin: RegisteringPlugin): string[] {
  const names = new Set<string>();
  const ignore = (): void => undefined;
  const logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
  const api = {
    id: "infrastructure",
    name: "infrastructure",
    source: "manifest-builder",
    registrationMode: "discovery",
    config: {},
    pluginConfig: {},
    logger,
    resolvePath: (input: string) => input,
    registerTool(tool: unknown, options?: { readonly name?: string; readonly names?: readonly string[] }) {
      if (typeof tool === "object" && tool !== null && "name" in tool && typeof tool.name === "string")
        names.add(tool.name);
      if (options?.name !== undefined) names.add(options.name);
      for (const name of options?.names ?? []) names.add(name);
    },
    registerCli: ignore,
    registerGatewayMethod: ignore,
    registerService: ignore,
    registerHook: ignore,
    on: ignore,
  };
  plugin.register(api as never);
  return [...names].sort();
}
