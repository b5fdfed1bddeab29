// `pnpm demo`: drives the spec's example provider through the SDK and prints each step.
import { LIFECYCLE_HOOK_STAGES, isInfrastructureError } from "@espada/infra-core";
import type { CommandResult, InfrastructureLogger, LogMeta } from "@espada/infra-core";
import { createDemoProvider } from "./cloud.js";

const heading = (text: string): void => {
  console.log(`\n== ${text}`);
};

const printResult = (result: CommandResult): void => {
  const head = `${result.success ? "success" : `failure ${result.error.code}`} in ${result.duration.toFixed(2)} ms${result.dryRun === true ? " (dry run)" : ""}`;
  console.log(`  ${head}`);
  if (result.success) {
    console.log(`  data: ${JSON.stringify(result.data)}`);
    console.log(`  affected resources: ${result.affectedResources.join(", ") || "none"}`);
  } else {
    console.log(`  message: ${result.error.message}`);
    const issues = (result.error.details?.issues ?? []) as readonly { path?: string; message: string }[];
    for (const issue of issues) console.log(`  field ${issue.path ?? "?"}: ${issue.message}`);
  }
};

const consoleLogger = (): InfrastructureLogger => {
  const line =
    (level: string) =>
    (message: string, _meta?: LogMeta): void => {
      if (level !== "debug" && level !== "trace") console.log(`  [provider ${level}] ${message}`);
    };
  const logger: InfrastructureLogger = {
    trace: line("trace"),
    debug: line("debug"),
    info: line("info"),
    warn: line("warn"),
    error: line("error"),
    fatal: line("fatal"),
    child: () => logger,
    withContext: () => logger,
    isLevelEnabled: (level) => level !== "debug" && level !== "trace",
  };
  return logger;
};

const provider = createDemoProvider(consoleLogger());
for (const stage of LIFECYCLE_HOOK_STAGES) {
  provider.onLifecycle(stage, ({ state, data }) => {
    const extra = stage === "onHealthCheck" ? ` -> ${(data as { status: string }).status}` : "";
    console.log(`  hook ${stage.padEnd(13)} state=${state}${extra}`);
  });
}

heading(`provider ${provider.meta.displayName} (${provider.meta.id} ${provider.meta.version}), state=${provider.state}`);
console.log(`  capabilities: ${provider.meta.capabilities.join(", ")}`);
console.log(`  commands: ${provider.getCommands().map((c) => `${c.id}${c.dangerous ? " (dangerous)" : ""}`).join(", ")}`);

heading("health check before initialize");
console.log(`  status: ${(await provider.healthCheck()).status}`);

heading("initialize (api-key)");
await provider.initialize({ method: "api-key", credentials: { apiKey: "demo-key" }, options: {} });
console.log(`  state: ${provider.state}`);

heading("execute before start is refused");
printResult(await provider.executeCommand("create-instance", { name: "web-1", region: "us-east-1" }));

heading("start");
await provider.start();
console.log(`  state: ${provider.state}`);

heading("health check");
const health = await provider.healthCheck();
for (const check of health.checks) console.log(`  ${check.name}: ${check.status}${check.message === undefined ? "" : ` (${check.message})`}`);

heading("dry run: create-instance web-1 in us-east-1 (cpu and memory take their defaults)");
printResult(await provider.executeCommand("create-instance", { name: "web-1", region: "us-east-1" }, { dryRun: true }));

heading("real run: create-instance web-1 in us-east-1 with 4 CPUs");
printResult(await provider.executeCommand("create-instance", { name: "web-1", region: "us-east-1", cpu: 4 }));

heading("validation failure: create-instance without region, cpu as a string");
printResult(await provider.executeCommand("create-instance", { name: "web-2", cpu: "eight" }));

heading("dry run refused: delete-instance does not support dry run");
printResult(await provider.executeCommand("delete-instance", { instanceId: "i-123" }, { dryRun: true }));

heading("dangerous command without confirmation: delete-instance i-123");
printResult(await provider.executeCommand("delete-instance", { instanceId: "i-123" }));

heading("dangerous command with confirmation: delete-instance i-123");
printResult(await provider.executeCommand("delete-instance", { instanceId: "i-123" }, { confirmed: true, userId: "alice" }));

heading("cancelled: the caller's signal is already aborted");
printResult(await provider.executeCommand("create-instance", { name: "web-3", region: "eu-west-1" }, { signal: AbortSignal.abort() }));

heading("stop");
await provider.stop();
console.log(`  state: ${provider.state}`);

heading("destroy");
await provider.destroy();
console.log(`  state: ${provider.state}`);

heading("start after destroy is refused by the transition table");
try {
  await provider.start();
} catch (error) {
  console.log(`  ${isInfrastructureError(error) ? `${error.code}: ` : ""}${error instanceof Error ? error.message : String(error)}`);
}
