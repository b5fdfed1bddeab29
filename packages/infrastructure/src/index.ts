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
  HostCliDescriptor,
  HostCliOptions,
  ToolContent,
  ToolResult,
  HostTool,
  HostPluginApi,
} from "./host.js";
export {
  CLI_COMMANDS,
  COMMON_OPTIONS,
  EXIT_CODES,
  renderTable,
  parseKeyValues,
  coerceParams,
} from "./cli/table.js";
export type {
  CliCommand,
  PositionalSpec,
  OptionSpec,
  RawArgs,
  CommandRunContext,
  CommandResult,
} from "./cli/table.js";
export { runCliCommand, resolveUser, createProgress, printResult } from "./cli/run.js";
export type { CliIo, CliStream, RunCliOptions } from "./cli/run.js";
export { runStandalone } from "./cli/standalone.js";
export type { StandaloneOptions } from "./cli/standalone.js";
export {
  addInfraCommands,
  registerHostCli,
  CLI_ROOT,
  CLI_ROOT_DESCRIPTION,
  CLI_DESCRIPTORS,
} from "./cli/commander.js";
export type { CommanderAdapterOptions } from "./cli/commander.js";
export {
  listProviders,
  listInstances,
  frameworkStatus,
  discoverProviders,
  execCommand,
  assessRisk,
  listSessions,
  listApprovals,
  decideApproval,
  activateBreakGlass,
  deactivateBreakGlass,
  auditTail,
  auditVerify,
  chat,
  resolveInstance,
  sessionFor,
  describeOutcome,
  outcomeResult,
  toOperationError,
  parseInput,
  toJsonData,
  providersInputSchema,
  instancesInputSchema,
  statusInputSchema,
  discoverInputSchema,
  execInputSchema,
  riskInputSchema,
  sessionsInputSchema,
  approvalsListInputSchema,
  approvalDecisionInputSchema,
  breakGlassActivateInputSchema,
  breakGlassDeactivateInputSchema,
  auditTailInputSchema,
  chatInputSchema,
} from "./operations.js";
export type {
  OperationContext,
  OperationError,
  OperationResult,
  ProviderEntry,
  InstanceEntry,
  StatusData,
  DiscoverData,
  ExecData,
  ExecInput,
} from "./operations.js";
export {
  registerGatewayMethods,
  createGatewayHandler,
  GATEWAY_METHODS,
  GATEWAY_METHOD_NAMES,
  GATEWAY_PREFIX,
  GATEWAY_DEFAULT_USER,
} from "./gateway.js";
export type { GatewayRuntime } from "./gateway.js";
export { registerAgentTools, TOOL_NAMES, TOOL_USER, ToolFailure } from "./tools.js";
export type { ToolName } from "./tools.js";

/** The plugin the host loads: `{ id: "infrastructure", name, configSchema, register(api) }`. */
export default infrastructurePlugin;
