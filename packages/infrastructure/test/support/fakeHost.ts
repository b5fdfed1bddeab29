// A fake host API for unit tests: records what the plugin registers, the way the real host's
// `register(api)` receives it (see /work/wt/openclaw-facts.md for the real host's API).
import type {
  GatewayErrorShape,
  GatewayHandler,
  HostCliRegistrar,
  HostLogger,
  HostPluginApi,
  HostService,
  HostTool,
} from "../../src/host.js";

/** One answer of a gateway handler. */
export interface GatewayAnswer {
  readonly ok: boolean;
  readonly payload: unknown;
  readonly error: GatewayErrorShape | undefined;
}

/** What the fake host recorded, plus helpers to drive it. */
export interface FakeHost {
  readonly api: HostPluginApi;
  readonly services: HostService[];
  readonly gateway: Map<string, GatewayHandler>;
  readonly tools: HostTool[];
  readonly cli: { registrar: HostCliRegistrar; commands: readonly string[] | undefined }[];
  readonly logs: { level: string; message: string }[];
  /** Calls a gateway method and resolves with its (single) answer; fails if it answered twice or threw. */
  call(method: string, params?: Record<string, unknown>): Promise<GatewayAnswer>;
}

/** Creates a fake host api around a plugin config. */
export function createFakeHost(pluginConfig: Record<string, unknown> = {}, stateDir?: string): FakeHost {
  const services: HostService[] = [];
  const gateway = new Map<string, GatewayHandler>();
  const tools: HostTool[] = [];
  const cli: FakeHost["cli"] = [];
  const logs: FakeHost["logs"] = [];
  const logger: HostLogger = {
    debug: (message) => logs.push({ level: "debug", message }),
    info: (message) => logs.push({ level: "info", message }),
    warn: (message) => logs.push({ level: "warn", message }),
    error: (message) => logs.push({ level: "error", message }),
  };
  const api: HostPluginApi = {
    id: "infrastructure",
    pluginConfig,
    config: {},
    logger,
    ...(stateDir === undefined ? {} : { runtime: { state: { resolveStateDir: () => stateDir } } }),
    registerCli: (registrar, options) => cli.push({ registrar, commands: options?.commands }),
    registerGatewayMethod: (method, handler) => {
      if (gateway.has(method)) throw new Error(`gateway method "${method}" registered twice`);
      gateway.set(method, handler);
    },
    registerService: (service) => services.push(service),
    registerTool: (tool) => tools.push(tool),
  };
  return {
    api,
    services,
    gateway,
    tools,
    cli,
    logs,
    async call(method, params = {}) {
      const handler = gateway.get(method);
      if (handler === undefined) throw new Error(`no gateway method "${method}"`);
      const answers: GatewayAnswer[] = [];
      await handler({ params, respond: (ok, payload, error) => answers.push({ ok, payload, error }) });
      if (answers.length !== 1)
        throw new Error(`gateway method "${method}" answered ${answers.length} times`);
      return answers[0] as GatewayAnswer;
    },
  };
}
