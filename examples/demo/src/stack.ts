import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type {
  InfrastructureEventMap,
  InfrastructureEventType,
  SecurityPoliciesInput,
} from "@espada/infra-core";
import { createInfrastructureFramework } from "@espada/infrastructure";
import type { InfrastructureFramework } from "@espada/infrastructure";
import type { InfrastructureProviderRegistry, InfrastructureCommandExecutor } from "@espada/infra-registry";
import type { InfrastructureSecurityFacade } from "@espada/infra-security";
import type { InfrastructureSessionManager } from "@espada/infra-sessions";

/** Instance id of the local-cloud provider (the shell names an instance after its provider id). */
export const LOCAL_INSTANCE = "local-cloud";

/**
 * Who may do what in the demo (core's `securityConfig.policies`): the default roles, four people.
 * The time-of-day risk factor weighs nothing here, so the walk-through takes the same path at any
 * hour (outside business hours it would add 10 points in production and ask for more approvals).
 */
export const DEMO_POLICIES = {
  risk: { weights: { timeOfDay: 0 } },
  assignments: [
    { userId: "alice", roleId: "sre" },
    { userId: "bob", roleId: "viewer" },
    { userId: "carol", roleId: "admin" },
    { userId: "dave", roleId: "developer" },
  ],
} satisfies SecurityPoliciesInput;

/** The folder of the local-cloud example package: plugin discovery finds its manifest there. */
export const LOCAL_CLOUD_PLUGIN_DIR = dirname(
  dirname(fileURLToPath(import.meta.resolve("@espada/examples-local-cloud"))),
);

/**
 * The `extensions.infrastructure` block the demo runs with: local-cloud found by plugin discovery
 * (its package.json manifest) and started with its state under `stateDir`, the demo's people, a log
 * file instead of the console. The same block works for the `espada-infra` CLI.
 */
export function demoConfig(
  stateDir: string,
  policies: SecurityPoliciesInput = DEMO_POLICIES,
): Record<string, unknown> {
  return {
    stateDir,
    providers: [
      {
        id: "local-cloud",
        settings: { stateDir: join(stateDir, "local-cloud") },
        auth: { method: "custom", credentials: {} },
      },
    ],
    discoveryConfig: { localDirs: [LOCAL_CLOUD_PLUGIN_DIR] },
    lifecycleConfig: { healthCheckInterval: 3_600_000 },
    loggingConfig: {
      level: "info",
      destinations: [{ type: "file", config: { path: join(stateDir, "logs", "infra.log") } }],
    },
    securityConfig: { policies },
  };
}

/** One running framework over a state directory. */
export interface LocalStack {
  readonly stateDir: string;
  /** The plugin shell's composition root. */
  readonly framework: InfrastructureFramework;
  readonly registry: InfrastructureProviderRegistry;
  readonly sessions: InfrastructureSessionManager;
  readonly security: InfrastructureSecurityFacade;
  readonly executor: InfrastructureCommandExecutor;
  /** Events seen on the bus, in order. */
  readonly events: {
    type: InfrastructureEventType;
    event: InfrastructureEventMap[InfrastructureEventType];
  }[];
  /** Pids of the compute processes local-cloud runs now (read from its `list-resources`). */
  livePids(): Promise<number[]>;
  /** Shuts the framework down: executor, registry (every process stopped), security, stores, logger. */
  close(): Promise<void>;
}

/**
 * Builds the framework with the plugin shell's `createInfrastructureFramework` over {@link demoConfig}
 * and starts it: discovery registers local-cloud, the lifecycle manager starts one instance, and the
 * executor puts the security facade (file store, audit log) and file-backed sessions in front of it.
 */
export async function openLocalStack(
  stateDir: string,
  options: { readonly policies?: SecurityPoliciesInput } = {},
): Promise<LocalStack> {
  const framework = await createInfrastructureFramework(demoConfig(stateDir, options.policies), { stateDir });
  const events: LocalStack["events"] = [];
  framework.events.on("*", (type, event) => events.push({ type, event }));
  try {
    const report = await framework.start();
    const failed = report.failed[0];
    if (failed !== undefined) throw new Error(`local-cloud did not start: ${failed.code} ${failed.message}`);
    await framework.registry.lifecycle.checkHealth(LOCAL_INSTANCE);
    const [sessions, security, executor] = await Promise.all([
      framework.sessions(),
      framework.security(),
      framework.executor(),
    ]);
    return {
      stateDir,
      framework,
      registry: framework.registry,
      sessions,
      security,
      executor,
      events,
      async livePids() {
        const listed = await executor.runner.execute({
          instanceId: LOCAL_INSTANCE,
          commandId: "list-resources",
          userId: "carol",
        });
        if (listed.status !== "succeeded") return [];
        const data = listed.result.data as {
          instances: { processes: { pid: number; running: boolean }[] }[];
        };
        return data.instances.flatMap((i) => i.processes.filter((p) => p.running).map((p) => p.pid));
      },
      async close() {
        await framework.shutdown();
      },
    };
  } catch (error) {
    await framework.shutdown();
    throw error;
  }
}
