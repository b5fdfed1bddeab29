/**
 * @espada/infrastructure — the Espada plugin shell of the infrastructure framework: the composition
 * root, the plugin (service, CLI commands, gateway methods, agent tools) and the standalone
 * `espada-infra` CLI. The default export is the plugin the host loads.
 * @packageDocumentation
 */
import { infrastructurePlugin } from "./plugin.js";

export { createInfrastructureFramework, STANDALONE_STATE_DIR } from "./framework.js";
export type { InfrastructureFramework, FrameworkOptions, StartReport } from "./framework.js";
export {
  infrastructurePlugin,
  configSchema,
  hostStateDir,
  hostLoggerAdapter,
  PluginRuntime,
  PLUGIN_ID,
  SERVICE_ID,
  HOST_STATE_SUBDIR,
} from "./plugin.js";
export type { InfrastructurePlugin, PluginConfigSchema, ConfigSafeParseResult } from "./plugin.js";
export type {
  HostLogger,
  GatewayErrorShape,
  GatewayRespond,
  GatewayHandlerOptions,
  GatewayHandler,
  HostServiceContext,
  HostService,
  CommanderCommand,
  HostCliContext,
  HostCliRegistrar,
  ToolContent,
  ToolResult,
  HostTool,
  HostPluginApi,
} from "./host.js";

/** The plugin the host loads: `{ id: "infrastructure", name, configSchema, register(api) }`. */
export default infrastructurePlugin;
