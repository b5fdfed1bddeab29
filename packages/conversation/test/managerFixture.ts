// Test fixtures shared by the manager's tests: a catalogue of one active instance with commands for
// each kind of operation, and a runner that records every request and answers at once.
import type {
  CommandDefinition,
  ExecuteRequest,
  ExecutionOutcome,
  InfrastructureCatalogue,
  InstanceSummary,
  OperationRunner,
} from "@espada/infra-core";
import { commandDefinitionSchema } from "@espada/infra-core";

const command = (c: Record<string, unknown>): CommandDefinition => commandDefinitionSchema.parse(c);

/** The commands of instance `cloud-1`: create, delete, scale, restart, list, logs, cost report. */
const COMMANDS: readonly CommandDefinition[] = [
  command({
    id: "create-instance",
    name: "Create Instance",
    category: "provision",
    resourceTypes: ["compute"],
    parameters: [
      { name: "name", type: "string", required: true },
      { name: "region", type: "string", required: true },
      { name: "cpu", type: "number", default: 2 },
    ],
  }),
  command({
    id: "delete-instance",
    name: "Delete Instance",
    category: "manage",
    dangerous: true,
    resourceTypes: ["compute"],
    parameters: [{ name: "instanceId", type: "string", required: true }],
  }),
  command({
    id: "scale-instances",
    name: "Scale",
    category: "manage",
    resourceTypes: ["compute"],
    parameters: [{ name: "count", type: "number", required: true }],
  }),
  command({
    id: "restart-instance",
    name: "Restart",
    category: "manage",
    resourceTypes: ["compute"],
    parameters: [{ name: "instanceId", type: "resource-ref", required: true }],
  }),
  command({ id: "list-instances", name: "List Instances", category: "monitor", resourceTypes: ["compute"] }),
  command({
    id: "get-logs",
    name: "Logs",
    category: "monitor",
    parameters: [{ name: "name", type: "string" }],
  }),
  command({ id: "cost-report", name: "Cost report", category: "cost" }),
];
/** Ids of the commands that change infrastructure. */
export const MUTATING: ReadonlySet<string> = new Set([
  "create-instance",
  "delete-instance",
  "scale-instances",
  "restart-instance",
]);
/** The one active instance. */
const INSTANCE: InstanceSummary = {
  instanceId: "cloud-1",
  providerId: "my-cloud",
  state: "active",
  createdAt: 0,
  health: "healthy",
};

/** A catalogue of {@link INSTANCE} and its {@link COMMANDS}. */
export const catalogue: InfrastructureCatalogue = {
  listProviders: () => [],
  getProvider: () => undefined,
  listInstances: () => [INSTANCE],
  getInstance: (id) => (id === "cloud-1" ? INSTANCE : undefined),
  listCommands: (id) => (id === "cloud-1" ? COMMANDS : undefined),
  getCommand: (id, c) => (id === "cloud-1" ? COMMANDS.find((x) => x.id === c) : undefined),
};

/** Records every request and answers with `outcome` (default: succeeded) at once. */
export class FakeRunner implements OperationRunner {
  readonly calls: ExecuteRequest[] = [];
  outcome: (r: ExecuteRequest) => ExecutionOutcome = (r) => ({
    status: "succeeded",
    executionId: `e${this.calls.length}`,
    commandId: r.commandId,
    instanceId: r.instanceId,
    sessionId: r.sessionId,
    duration: 1,
    attempts: 1,
    warnings: [],
    decision: { outcome: "allowed", risk: { score: 10, level: "minimal", factors: [] }, reasons: [] },
    result: {
      success: true,
      data: { ok: true },
      duration: 1,
      logs: [],
      affectedResources: [],
      rollbackAvailable: false,
    },
  });
  execute(request: ExecuteRequest): Promise<ExecutionOutcome> {
    this.calls.push(request);
    return Promise.resolve(this.outcome(request));
  }
  resume(): Promise<ExecutionOutcome> {
    return Promise.reject(new Error("not used"));
  }
  onOutcome(): () => void {
    return () => undefined;
  }
}
