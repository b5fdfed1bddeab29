import { join } from "node:path";
import type { InfrastructureEventMap, InfrastructureEventType, SecurityPoliciesInput } from "@espada/infra-core";
import { LocalCloudProvider, createLocalCloudFactory, localCloudMeta } from "@espada/examples-local-cloud";
import { InfrastructureLoggerImpl } from "@espada/infra-logging";
import { InfrastructureProviderRegistry, createCommandExecutor } from "@espada/infra-registry";
import type { InfrastructureCommandExecutor } from "@espada/infra-registry";
import { InfrastructureSecurityFacade } from "@espada/infra-security";
import { FileStateStore, createInfrastructureSessionManager } from "@espada/infra-sessions";
import type { InfrastructureSessionManager } from "@espada/infra-sessions";

/** Instance id of the local-cloud provider in every stack. */
export const LOCAL_INSTANCE = "local-1";

/** Who may do what in the demo (core's `securityConfig.policies`): the default roles, four people. */
export const DEMO_POLICIES: { assignments: { userId: string; roleId: string }[] } = {
  assignments: [
    { userId: "alice", roleId: "sre" },
    { userId: "bob", roleId: "viewer" },
    { userId: "carol", roleId: "admin" },
    { userId: "dave", roleId: "developer" },
  ],
};

/** One running framework over a state directory: what the plugin shell will wire. */
export interface LocalStack {
  readonly stateDir: string;
  readonly registry: InfrastructureProviderRegistry;
  readonly sessions: InfrastructureSessionManager;
  readonly security: InfrastructureSecurityFacade;
  readonly executor: InfrastructureCommandExecutor;
  readonly logger: InfrastructureLoggerImpl;
  /** Events seen on the bus, in order. */
  readonly events: { type: InfrastructureEventType; event: InfrastructureEventMap[InfrastructureEventType] }[];
  /** Pids of the compute processes local-cloud runs now (read from its `list-resources`). */
  livePids(): Promise<number[]>;
  /** Closes executor, registry (stopping every process), security, stores and logger. */
  close(): Promise<void>;
}

/**
 * Opens the registry (with local-cloud registered and one instance started), file-backed sessions,
 * the security facade on a file state store (its audit log included) as the executor's gate and
 * audit sink, and a JSON-lines log file: everything under `stateDir`.
 */
export async function openLocalStack(stateDir: string, options: { readonly policies?: SecurityPoliciesInput } = {}): Promise<LocalStack> {
  const logger = new InfrastructureLoggerImpl({ level: "info", destinations: [{ type: "file", config: { path: join(stateDir, "logs", "infra.log") } }] });
  const registry = new InfrastructureProviderRegistry({ logger, lifecycle: { healthCheckInterval: 3_600_000 } });
  const events: LocalStack["events"] = [];
  registry.events.on("*", (type, event) => events.push({ type, event }));
  const sessions = await createInfrastructureSessionManager({ stateDirectory: join(stateDir, "sessions"), events: registry.events, logger });
  const securityStore = await FileStateStore.open({ directory: join(stateDir, "security") });
  const security = await InfrastructureSecurityFacade.create({ store: securityStore, policies: options.policies ?? DEMO_POLICIES });
  registry.registerFactory(localCloudMeta, createLocalCloudFactory());
  await registry.createAndInitializeProvider(localCloudMeta.id, {
    instanceId: LOCAL_INSTANCE,
    settings: { stateDir: join(stateDir, "local-cloud") },
    auth: { method: "custom", credentials: {} },
  });
  await registry.lifecycle.checkHealth(LOCAL_INSTANCE);
  const executor = createCommandExecutor({ providers: registry, gate: security, audit: security, sessions, events: registry.events, logger });
  return {
    stateDir,
    registry,
    sessions,
    security,
    executor,
    logger,
    events,
    async livePids() {
      const listed = await executor.runner.execute({ instanceId: LOCAL_INSTANCE, commandId: "list-resources", userId: "carol" });
      if (listed.status !== "succeeded") return [];
      const data = listed.result.data as { instances: { processes: { pid: number; running: boolean }[] }[] };
      return data.instances.flatMap((i) => i.processes.filter((p) => p.running).map((p) => p.pid));
    },
    async close() {
      await executor.close();
      await registry.shutdown();
      await security.close();
      await securityStore.close();
      await sessions.close();
      await logger.close();
    },
  };
}

export { LocalCloudProvider };
