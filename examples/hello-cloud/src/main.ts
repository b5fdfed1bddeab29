// `pnpm --filter @espada/examples-hello-cloud start`: the spec's SDK example provider, registered and
// driven through the whole framework — registry, lifecycle manager, command executor, sessions and the
// security gate (with its audit log) — printing each step.
import { LIFECYCLE_HOOK_STAGES, createConsoleLogger } from "@espada/infra-core";
import type { ExecuteRequest, ExecutionOutcome } from "@espada/infra-core";
import { InfrastructureProviderRegistry, createCommandExecutor } from "@espada/infra-registry";
import { InfrastructureSecurityFacade } from "@espada/infra-security";
import { InMemoryStateStore, createInfrastructureSessionManager } from "@espada/infra-sessions";
import { factory, meta } from "./provider.js";

const heading = (text: string): void => console.log(`\n== ${text}`);
const line = (text: string): void => console.log(`   ${text}`);

// Core's console logger, writing to stdout so its lines stay in order with the walkthrough's.
const logger = createConsoleLogger({ level: "info", write: (text) => line(`log ${text}`) });
const registry = new InfrastructureProviderRegistry({
  logger,
  lifecycle: { healthCheckInterval: 3_600_000 },
});
const sessions = await createInfrastructureSessionManager({
  sessionConfig: { persistState: false },
  events: registry.events,
  logger,
});
const store = new InMemoryStateStore();
const security = await InfrastructureSecurityFacade.create({
  store,
  policies: {
    assignments: [
      { userId: "alice", roleId: "sre" },
      { userId: "bob", roleId: "viewer" },
    ],
  },
});
const executor = createCommandExecutor({
  providers: registry,
  gate: security,
  audit: security,
  sessions,
  events: registry.events,
  logger,
});

async function run(label: string, request: ExecuteRequest): Promise<ExecutionOutcome> {
  const outcome = await executor.runner.execute(request);
  const risk =
    "decision" in outcome && outcome.decision !== undefined
      ? ` [risk ${outcome.decision.risk.score}/100 ${outcome.decision.risk.level}]`
      : "";
  const detail =
    outcome.status === "succeeded"
      ? JSON.stringify(outcome.result.data)
      : outcome.status === "pending"
        ? outcome.pending.reason
        : outcome.status === "denied"
          ? outcome.decision.reasons
              .filter((r) => !r.passed)
              .map((r) => `${r.check}: ${r.message}`)
              .join("; ")
          : `${outcome.result.error.code}: ${outcome.result.error.message}`;
  line(`${label}\n     → ${outcome.status}${risk} ${detail}`);
  return outcome;
}

try {
  heading("register the spec's provider factory");
  registry.registerFactory(meta, factory);
  for (const stage of LIFECYCLE_HOOK_STAGES)
    registry.lifecycle.on(stage, (ctx) => line(`hook ${stage.padEnd(13)} ${ctx.providerId} → ${ctx.state}`));
  for (const f of registry.getAllFactories())
    line(
      `${f.meta.displayName} (${f.id} ${f.meta.version}, ${f.meta.category}): ${f.meta.capabilities.join(", ")}`,
    );

  heading("create, initialize and start an instance through the lifecycle manager");
  await registry.createAndInitializeProvider(meta.id, {
    instanceId: "my-cloud-1",
    auth: { method: "api-key", credentials: { apiKey: "hello-cloud-key" } },
  });
  await registry.lifecycle.checkHealth("my-cloud-1");
  for (const i of registry.getAllInstances())
    line(`instance ${i.instanceId}: ${i.state}, health ${i.health ?? "unknown"}`);

  heading(
    "alice (sre) runs the spec's command through the executor: validation → security gate → audit → provider",
  );
  const session = await sessions.createSession({ userId: "alice", environment: "development" });
  const base = { instanceId: "my-cloud-1", sessionId: session.id, commandId: "create-instance" } as const;
  await run("create-instance web-1 in us-east-1 (dry run)", {
    ...base,
    params: { name: "web-1", region: "us-east-1" },
    dryRun: true,
  });
  await run("create-instance web-1 in us-east-1 with 4 CPUs", {
    ...base,
    params: { name: "web-1", region: "us-east-1", cpu: 4 },
  });
  await run("create-instance without a region", { ...base, params: { name: "web-2" } });
  await run("a command the provider does not have", { ...base, commandId: "delete-instance", params: {} });

  heading("bob (viewer) is denied by the gate before the provider sees anything");
  const bob = await sessions.createSession({ userId: "bob", environment: "development" });
  await run("create-instance as bob", {
    ...base,
    sessionId: bob.id,
    params: { name: "web-3", region: "eu-west-1" },
  });

  heading("what the framework kept");
  for (const h of await sessions.getHistory(session.id))
    line(
      `history: ${h.commandId} ${h.status}${h.dryRun ? " (dry run)" : ""}${h.errorCode === undefined ? "" : ` ${h.errorCode}`}`,
    );
  const stats = registry.getStatistics();
  line(
    `statistics: ${stats.factories} factory, ${stats.instances} instance, health ${JSON.stringify(stats.health)}`,
  );
  const records = (await security.auditLog?.query({})) ?? [];
  line(`audit: ${records.map((r) => r.type).join(", ")}`);
  const verified = await security.auditLog?.verify();
  line(`audit chain verified: ${verified?.ok === true ? "yes" : "NO"}`);
} finally {
  heading("shutdown");
  await executor.close();
  await registry.shutdown();
  await security.close();
  await store.close();
  await sessions.close();
  line("every provider stopped, every store closed");
}
