// Runs the spec's provider (provider.ts) through its whole lifecycle and executes create-instance.
import { LIFECYCLE_HOOK_STAGES } from "@espada/infra-core";
import { provider } from "./provider.js";

for (const stage of LIFECYCLE_HOOK_STAGES) {
  provider.onLifecycle(stage, ({ state }) => {
    console.log(`  hook ${stage} (state: ${state})`);
  });
}

const show = (label: string, value: unknown): void => {
  console.log(`${label}: ${JSON.stringify(value)}`);
};

console.log(`provider ${provider.meta.id} ${provider.meta.version}: ${provider.state}`);
await provider.initialize({ method: "api-key", credentials: { apiKey: "example-key" }, options: {} });
show("initialize ->", provider.state);
await provider.start();
show("start ->", provider.state);
show(
  "commands",
  provider.getCommands().map((c) => c.id),
);
show("health", await provider.healthCheck());
show(
  "create-instance (dry run)",
  await provider.executeCommand("create-instance", { name: "web-1", region: "us-east-1" }, { dryRun: true }),
);
show(
  "create-instance",
  await provider.executeCommand("create-instance", { name: "web-1", region: "us-east-1", cpu: 4 }),
);
show("create-instance without region", await provider.executeCommand("create-instance", { name: "web-2" }));
await provider.stop();
show("stop ->", provider.state);
await provider.destroy();
show("destroy ->", provider.state);
