// The part of the host's plugin API (Espada, and OpenClaw upstream: the same API) this plugin uses.
// Structural types only: the real `api` object has more, and nothing here is imported from a host.

/** The host's logger handed to plugins (`api.logger`, service and CLI contexts). */
export interface HostLogger {
  debug?: (message: string) => void;
  info: (message: string) => void;
  warn: (message: string) => void;
  error: (message: string) => void;
}

/** The error shape a gateway handler answers with (`respond(false, undefined, error)`). */
export interface GatewayErrorShape {
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
  readonly retryable?: boolean;
  readonly retryAfterMs?: number;
}

/** How a gateway handler answers: once, with ok, a payload and (when not ok) an error. */
export type GatewayRespond = (ok: boolean, payload?: unknown, error?: GatewayErrorShape) => void;

/** What a gateway method handler receives. */
export interface GatewayHandlerOptions {
  readonly params: Record<string, unknown>;
  readonly respond: GatewayRespond;
  /** Aborted when the caller goes away. */
  readonly signal?: AbortSignal;
  readonly [key: string]: unknown;
}

/** A gateway method handler. */
export type GatewayHandler = (options: GatewayHandlerOptions) => void | Promise<void>;

/** What a service's `start`/`stop` receive. */
export interface HostServiceContext {
  readonly config?: unknown;
  readonly workspaceDir?: string;
  /** The host's state directory; the plugin keeps its state in `<stateDir>/infrastructure`. */
  readonly stateDir: string;
  readonly logger?: HostLogger;
}

/** A background service the host starts with the gateway and stops with it. */
export interface HostService {
  readonly id: string;
  start(context: HostServiceContext): void | Promise<void>;
  stop?(context: HostServiceContext): void | Promise<void>;
}

/** The part of a commander `Command` the CLI adapter uses. */
export interface CommanderCommand {
  command(nameAndArgs: string): CommanderCommand;
  description(text: string): CommanderCommand;
  option(flags: string, description?: string, defaultValue?: unknown): CommanderCommand;
  action(handler: (...args: unknown[]) => void | Promise<void>): CommanderCommand;
}

/** What a CLI registrar receives. */
export interface HostCliContext {
  readonly program: CommanderCommand;
  readonly parentPath?: readonly string[];
  readonly config?: unknown;
  readonly workspaceDir?: string;
  readonly logger?: HostLogger;
}

/** A root command the host can list without loading the plugin. */
export interface HostCliDescriptor {
  readonly name: string;
  readonly description: string;
  readonly hasSubcommands: boolean;
}

/** Options of `api.registerCli`: the root commands, and descriptors for lazy loading. */
export interface HostCliOptions {
  readonly commands?: readonly string[];
  readonly descriptors?: readonly HostCliDescriptor[];
}

/** A CLI registrar: adds commands to the host's commander program. */
export type HostCliRegistrar = (context: HostCliContext) => void | Promise<void>;

/** One content block of an agent tool's result. */
export interface ToolContent {
  readonly type: "text";
  readonly text: string;
}

/** What an agent tool returns. */
export interface ToolResult {
  readonly content: readonly ToolContent[];
  readonly details: unknown;
}

/** An agent tool: a JSON Schema of its parameters and an `execute`. */
export interface HostTool {
  readonly name: string;
  readonly label?: string;
  readonly description: string;
  readonly parameters: Record<string, unknown>;
  /** Throws on failure (the host shows the error); resolves with text content and details otherwise. */
  execute(
    toolCallId: string,
    params: unknown,
    signal?: AbortSignal,
    onUpdate?: (partial: ToolResult) => void,
  ): Promise<ToolResult>;
}

/** The host API `register(api)` receives (the members this plugin uses). */
export interface HostPluginApi {
  readonly id?: string;
  /** The plugin's own config block (`extensions.infrastructure` / `plugins.entries.infrastructure.config`). */
  readonly pluginConfig?: Record<string, unknown>;
  readonly config?: unknown;
  readonly logger?: HostLogger;
  readonly runtime?: { readonly state?: { readonly resolveStateDir?: () => string } };
  readonly resolvePath?: (input: string) => string;
  /** How the host is loading the plugin (`full`, `discovery`, `cli-metadata`, …); register is called once per mode. */
  readonly registrationMode?: string;
  registerCli(registrar: HostCliRegistrar, options?: HostCliOptions): void;
  registerGatewayMethod(method: string, handler: GatewayHandler): void;
  registerService(service: HostService): void;
  registerTool(tool: HostTool, options?: { readonly name?: string; readonly optional?: boolean }): void;
}
