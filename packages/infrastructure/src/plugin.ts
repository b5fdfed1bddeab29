// The Espada / OpenClaw plugin object. `register(api)` is synchronous: it registers the service,
// CLI commands, gateway methods and agent tools and returns; the framework itself is built on first
// use (the service's `start`, a CLI command, a gateway call or a tool call).
import { join } from "node:path";
import { homedir } from "node:os";
import {
  getInfrastructureConfigJsonSchema,
  infrastructureConfigSchema,
  redactSecretRecord,
  redactSecretText,
} from "@espada/infra-core";
import type { InfrastructureConfig, InfrastructureLogger, LogMeta } from "@espada/infra-core";
import { createInfrastructureFramework } from "./framework.js";
import type { InfrastructureFramework } from "./framework.js";
import type { HostLogger, HostPluginApi, HostServiceContext } from "./host.js";
import { registerHostCli } from "./cli/commander.js";
import { registerGatewayMethods } from "./gateway.js";
import { registerAgentTools } from "./tools.js";

/** The plugin id the host knows this plugin by. */
export const PLUGIN_ID = "infrastructure";
/** The id of the background service. */
export const SERVICE_ID = "infrastructure-framework";
/** Sub-folder of the host's state directory holding this plugin's state. */
export const HOST_STATE_SUBDIR = "infrastructure";

/** Success or every issue, the shape hosts call on a plugin's `configSchema`. */
export type ConfigSafeParseResult =
  | { readonly success: true; readonly data: InfrastructureConfig }
  | {
      readonly success: false;
      readonly error: {
        readonly issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[];
      };
    };

/** The plugin's `configSchema`: core's zod schema (`safeParse`/`parse`) and its JSON Schema. */
export interface PluginConfigSchema {
  safeParse(value: unknown): ConfigSafeParseResult;
  parse(value: unknown): InfrastructureConfig;
  /** JSON Schema (draft 2020-12) of what a user may write, generated from the zod schema. */
  readonly jsonSchema: Record<string, unknown>;
}

/** The plugin's config schema object. */
export const configSchema: PluginConfigSchema = {
  safeParse(value) {
    const result = infrastructureConfigSchema.safeParse(value ?? {});
    if (result.success) return { success: true, data: result.data };
    return {
      success: false,
      error: { issues: result.error.issues.map((issue) => ({ path: issue.path, message: issue.message })) },
    };
  },
  parse: (value) => infrastructureConfigSchema.parse(value ?? {}),
  get jsonSchema() {
    return getInfrastructureConfigJsonSchema();
  },
};

/** Where the plugin keeps its state inside a host: `<host state dir>/infrastructure`. */
export function hostStateDir(api: HostPluginApi, context?: HostServiceContext): string {
  const base =
    context?.stateDir ??
    safe(() => api.runtime?.state?.resolveStateDir?.()) ??
    process.env.OPENCLAW_STATE_DIR ??
    process.env.ESPADA_STATE_DIR ??
    join(homedir(), ".openclaw");
  return join(base, HOST_STATE_SUBDIR);
}

function safe<T>(read: () => T | undefined): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** Adapts the host's logger to core's `InfrastructureLogger` (so framework logs land in the host's log). */
export function hostLoggerAdapter(
  host: HostLogger,
  subsystem = PLUGIN_ID,
  context: LogMeta = {},
): InfrastructureLogger {
  const line = (message: string, meta?: LogMeta): string => {
    const merged = redactSecretRecord({ ...context, ...meta });
    const error = merged.error;
    delete merged.error;
    const parts = Object.entries(merged)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
    if (error instanceof Error) parts.push(`error=${redactSecretText(error.message)}`);
    return redactSecretText(`[${subsystem}] ${message}${parts.length === 0 ? "" : ` ${parts.join(" ")}`}`);
  };
  const debug = (message: string, meta?: LogMeta): void => host.debug?.(line(message, meta));
  const logger: InfrastructureLogger = {
    trace: debug,
    debug,
    info: (message, meta) => host.info(line(message, meta)),
    warn: (message, meta) => host.warn(line(message, meta)),
    error: (message, meta) => host.error(line(message, meta)),
    fatal: (message, meta) => host.error(line(message, meta)),
    child: (name) => hostLoggerAdapter(host, `${subsystem}:${name}`, context),
    withContext: (extra) => hostLoggerAdapter(host, subsystem, { ...context, ...extra }),
    isLevelEnabled: (level) => level !== "trace" && (level !== "debug" || host.debug !== undefined),
  };
  return logger;
}

/**
 * The plugin's per-host state: one framework, built on first use from the host's plugin config and
 * state directory, shared by the service, the CLI, gateway methods and tools.
 */
export class PluginRuntime {
  readonly api: HostPluginApi;
  #framework: Promise<InfrastructureFramework> | undefined;
  #stateDir: string | undefined;

  constructor(api: HostPluginApi) {
    this.api = api;
  }

  /** Fixes the state directory (the service's context knows the host's). */
  useStateDir(dir: string): void {
    this.#stateDir ??= dir;
  }

  /** The framework shared by the service, gateway methods and tools: built once (a failed build is retried on the next call). */
  framework(): Promise<InfrastructureFramework> {
    this.#framework ??= this.openFramework().catch((error: unknown) => {
      this.#framework = undefined;
      throw error;
    });
    return this.#framework;
  }

  /** A new framework from the host's plugin config (a CLI command opens its own and shuts it down). */
  openFramework(): Promise<InfrastructureFramework> {
    return (async () => {
      const { resolveHostConfig, formatConfigIssue } = await import("@espada/infra-discovery");
      const loaded = resolveHostConfig(this.api.pluginConfig ?? {});
      if (!loaded.success) {
        const { ConfigValidationError } = await import("@espada/infra-core");
        throw new ConfigValidationError(
          `Invalid infrastructure plugin config: ${loaded.errors.map(formatConfigIssue).join("; ")}`,
          loaded.errors,
        );
      }
      return createInfrastructureFramework(loaded.config, {
        stateDir: loaded.config.stateDir ?? this.#stateDir ?? hostStateDir(this.api),
        ...(this.api.logger === undefined ? {} : { logger: hostLoggerAdapter(this.api.logger) }),
        // CLI commands run in their own process while the gateway may hold the state lock: wait a little.
        lockWaitMs: 1000,
      });
    })();
  }

  /** Shuts the framework down, when one was built. */
  async shutdown(): Promise<void> {
    const pending = this.#framework;
    this.#framework = undefined;
    if (pending === undefined) return;
    const framework = await pending.catch(() => undefined);
    await framework?.shutdown();
  }
}

/** The plugin definition the host loads (the package's default export). */
export interface InfrastructurePlugin {
  readonly id: typeof PLUGIN_ID;
  readonly name: string;
  readonly description: string;
  readonly configSchema: PluginConfigSchema;
  /** Registers everything synchronously; returns nothing (hosts ignore a returned promise). */
  register(api: HostPluginApi): void;
}

/** The plugin: service, CLI commands, gateway methods and agent tools. */
export const infrastructurePlugin: InfrastructurePlugin = {
  id: PLUGIN_ID,
  name: "Infrastructure",
  description:
    "Infrastructure provider framework: registry, lifecycle, sessions, security, discovery and chat for infrastructure providers",
  configSchema,
  register(api) {
    const runtime = new PluginRuntime(api);
    api.registerService({
      id: SERVICE_ID,
      async start(context) {
        runtime.useStateDir(hostStateDir(api, context));
        const framework = await runtime.framework();
        const report = await framework.start();
        const log = context.logger ?? api.logger;
        log?.info(
          `[${PLUGIN_ID}] ready: ${framework.registry.getAllFactories().length} provider(s), ${report.started.length} instance(s) started` +
            (report.failed.length === 0
              ? ""
              : `, ${report.failed.length} failed (${report.failed.map((f) => `${f.providerId}: ${f.code}`).join(", ")})`),
        );
      },
      async stop() {
        await runtime.shutdown();
      },
    });
    registerHostCli(api, () => runtime.openFramework());
    registerGatewayMethods(api, runtime);
    registerAgentTools(api, runtime);
  },
};
