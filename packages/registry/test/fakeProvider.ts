import {
  commandDefinitionSchema,
  createLifecycleStateMachine,
  LifecycleTransitionError,
  providerMetaSchema,
} from "@espada/infra-core";
import type {
  CommandDefinition,
  CommandResult,
  ConfigValidationResult,
  ExecutionContext,
  HealthStatus,
  InfrastructureProvider,
  LifecycleHook,
  LifecycleHookStage,
  LifecycleState,
  LifecycleStateMachine,
  ProviderAuth,
  ProviderCapability,
  ProviderHealth,
  ProviderMeta,
  ResourceState,
  ResourceType,
  Unsubscribe,
} from "@espada/infra-core";

/** How a fake lifecycle step behaves: ok, throws, or never settles. A number delays that many ms. */
export type StepBehaviour = "ok" | "throw" | "hang" | number;

/** Knobs of {@link FakeProvider}. Each may be changed between calls through `provider.options`. */
export interface FakeProviderOptions {
  id?: string;
  initialize?: StepBehaviour;
  /** Throw on the first N initialize calls, then succeed. */
  initializeFailures?: number;
  start?: StepBehaviour;
  stop?: StepBehaviour;
  destroy?: StepBehaviour;
  health?: HealthStatus | "throw" | "hang";
  /** Errors `validateConfig` reports (with paths). */
  configErrors?: { code: string; message: string; path?: string }[];
  capabilities?: ProviderCapability[];
}

const meta = (id: string): ProviderMeta =>
  providerMetaSchema.parse({
    id,
    name: id,
    displayName: `Fake ${id}`,
    version: "1.0.0",
    category: "custom",
    capabilities: ["provision", "deprovision", "dry-run"],
    supportedResources: ["compute"],
    authMethods: ["api-key"],
  });

const def = (input: Record<string, unknown>): CommandDefinition => commandDefinitionSchema.parse(input);

/** The commands every fake provider offers. */
export const FAKE_COMMANDS: readonly CommandDefinition[] = [
  def({
    id: "echo",
    name: "Echo",
    category: "utility",
    supportsDryRun: true,
    parameters: [
      { name: "message", type: "string", required: true },
      { name: "token", type: "secret" },
    ],
  }),
  def({
    id: "progress",
    name: "Progress",
    category: "utility",
    parameters: [{ name: "steps", type: "number", default: 3 }],
  }),
  def({ id: "wait", name: "Wait for abort", category: "utility" }),
  def({ id: "hang", name: "Hang, ignoring abort", category: "utility" }),
  def({ id: "hold", name: "Hang, keeping the context (its signal unread)", category: "utility" }),
  def({
    id: "sleep",
    name: "Sleep",
    category: "utility",
    parameters: [{ name: "ms", type: "number", default: 1 }],
  }),
  def({
    id: "flaky",
    name: "Recoverable until Nth attempt",
    category: "manage",
    parameters: [{ name: "succeedOn", type: "number", default: 3 }],
  }),
  def({
    id: "fail",
    name: "Fail",
    category: "manage",
    parameters: [{ name: "recoverable", type: "boolean", default: false }],
  }),
  def({ id: "throw", name: "Throw", category: "manage" }),
  def({ id: "garbage", name: "Return garbage", category: "manage" }),
  def({
    id: "create-instance",
    name: "Create",
    category: "provision",
    supportsDryRun: true,
    resourceTypes: ["compute"],
    parameters: [{ name: "name", type: "string", required: true }],
  }),
  def({
    id: "delete-instance",
    name: "Delete",
    category: "manage",
    dangerous: true,
    resourceTypes: ["compute"],
    parameters: [{ name: "name", type: "string", required: true }],
  }),
  def({
    id: "resize-instance",
    name: "Resize",
    category: "manage",
    parameters: [{ name: "name", type: "string", required: true }],
  }),
  def({ id: "explicit-changes", name: "Explicit changes", category: "manage" }),
  def({ id: "restart-service", name: "Restart (no dry run)", category: "manage" }),
  def({
    id: "status",
    name: "Status (read-only)",
    category: "monitor",
    parameters: [{ name: "target", type: "resource-ref" }],
  }),
  def({
    id: "scale-group",
    name: "Scale a group",
    category: "manage",
    estimatedCost: { amount: 12.5, currency: "EUR", period: "monthly" },
    parameters: [
      { name: "members", type: "array", items: "resource-ref", required: true },
      { name: "lb", type: "resource-ref" },
    ],
  }),
];

const ok = (data: unknown, affectedResources: string[] = []): CommandResult => ({
  success: true,
  data,
  duration: 0,
  logs: [],
  affectedResources,
  rollbackAvailable: false,
});
const fail = (code: string, recoverable: boolean): CommandResult => ({
  success: false,
  error: { code, message: `${code} happened`, recoverable },
  duration: 0,
  logs: [],
  affectedResources: [],
  rollbackAvailable: false,
});

/**
 * A provider implementing core's contract directly, with configurable faults. For tests and benches.
 * Its state is core's state machine, moved as a real provider does: into the transitional state
 * when a step begins, to the next state when it succeeds, to `error` when it throws (a hanging
 * step stays in the transitional state until someone else moves it).
 */
export class FakeProvider implements InfrastructureProvider {
  readonly meta: ProviderMeta;
  readonly lifecycle: LifecycleStateMachine;
  options: FakeProviderOptions;
  /** Steps that completed (their step function returned), by name, in order. */
  readonly completed: string[] = [];
  /** Calls by method name. */
  readonly calls: string[] = [];
  /** Attempts per execution id (for `flaky`). */
  readonly attempts = new Map<string, number>();
  /** Signals of `wait` calls, to check they were aborted. */
  readonly signals: AbortSignal[] = [];
  /** Contexts of `hold` calls, kept without reading their signal. */
  readonly contexts: Partial<ExecutionContext>[] = [];
  lastAuth: ProviderAuth | undefined;
  #initFailures = 0;
  readonly #hooks = new Map<LifecycleHookStage, LifecycleHook[]>();
  readonly #resources = new Map<string, ResourceState>();

  constructor(options: FakeProviderOptions = {}) {
    this.options = options;
    this.meta = meta(options.id ?? "fake");
    this.lifecycle = createLifecycleStateMachine(this.meta.id);
  }

  /** Current state: the machine's. */
  get state(): LifecycleState {
    return this.lifecycle.state;
  }

  async initialize(auth: ProviderAuth): Promise<void> {
    this.calls.push("initialize");
    this.lastAuth = auth;
    this.lifecycle.moveTo("initializing");
    await this.#run("initialize", async () => {
      if (
        this.options.initializeFailures !== undefined &&
        this.#initFailures < this.options.initializeFailures
      ) {
        this.#initFailures++;
        throw new Error("initialize failed");
      }
      await step(this.options.initialize);
    });
    this.lifecycle.moveTo("ready");
  }

  async start(): Promise<void> {
    this.calls.push("start");
    if (this.state === "suspended") this.lifecycle.moveTo("ready");
    if (!this.lifecycle.canMoveTo("active"))
      throw new LifecycleTransitionError(this.meta.id, this.state, "active");
    await this.#run("start", () => step(this.options.start));
    this.lifecycle.moveTo("active");
  }

  async stop(): Promise<void> {
    this.calls.push("stop");
    this.lifecycle.moveTo("suspending");
    await this.#run("stop", () => step(this.options.stop));
    this.lifecycle.moveTo("suspended");
  }

  async destroy(): Promise<void> {
    this.calls.push("destroy");
    if (this.state === "active") await this.stop();
    this.lifecycle.moveTo("terminating");
    await this.#run("destroy", () => step(this.options.destroy));
    this.lifecycle.moveTo("terminated");
  }

  async #run(name: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
      this.completed.push(name);
    } catch (error) {
      if (this.lifecycle.canMoveTo("error")) this.lifecycle.moveTo("error", error);
      throw error;
    }
  }

  async healthCheck(): Promise<ProviderHealth> {
    this.calls.push("healthCheck");
    const health = this.options.health ?? "healthy";
    if (health === "throw") throw new Error("health probe exploded");
    if (health === "hang") await new Promise<never>(() => undefined);
    await Promise.resolve();
    return {
      status: health as HealthStatus,
      checks: [{ name: "api", status: health as HealthStatus, message: `api is ${health}` }],
      checkedAt: Date.now(),
    };
  }

  validateConfig(): Promise<ConfigValidationResult> {
    const errors = this.options.configErrors ?? [];
    return Promise.resolve({ valid: errors.length === 0, errors, warnings: [] });
  }

  getCommands(): readonly CommandDefinition[] {
    return FAKE_COMMANDS;
  }

  async executeCommand(
    commandId: string,
    params: Record<string, unknown>,
    context: Partial<ExecutionContext> = {},
  ): Promise<CommandResult> {
    this.calls.push(`exec:${commandId}`);
    switch (commandId) {
      case "echo":
        return ok({ message: params.message, dryRun: context.dryRun });
      case "progress": {
        const steps = Number(params.steps);
        for (let i = 1; i <= steps; i++)
          context.progress?.({
            message: `step ${i}`,
            step: i,
            totalSteps: steps,
            percent: Math.round((i / steps) * 100),
          });
        return ok({ steps });
      }
      case "wait": {
        // read only where used, as a provider that needs no signal would (the executor makes it on first read)
        const signal = context.signal;
        if (signal !== undefined) this.signals.push(signal);
        return new Promise<CommandResult>((_, reject) => {
          signal?.addEventListener("abort", () => reject(new Error("aborted by signal")), { once: true });
        });
      }
      case "hang":
        return new Promise<CommandResult>(() => undefined);
      case "hold":
        this.contexts.push(context);
        return new Promise<CommandResult>(() => undefined);
      case "sleep":
        await new Promise<void>((resolve) => setTimeout(resolve, Number(params.ms)));
        return ok(null);
      case "flaky": {
        const id = context.executionId ?? "";
        const n = (this.attempts.get(id) ?? 0) + 1;
        this.attempts.set(id, n);
        return n >= Number(params.succeedOn) ? ok({ attempts: n }) : fail("THROTTLED", true);
      }
      case "fail":
        return fail("QUOTA_EXCEEDED", params.recoverable === true);
      case "throw":
        throw new Error("provider exploded");
      case "garbage":
        return 42 as unknown as CommandResult;
      case "create-instance": {
        const name = String(params.name);
        if (context.dryRun === true) return ok({ wouldCreate: name });
        this.#resources.set(name, {
          id: name,
          type: "compute",
          status: "running",
          metadata: {},
          updatedAt: Date.now(),
        });
        return ok({ id: name }, [name]);
      }
      case "delete-instance":
        this.#resources.delete(String(params.name));
        return ok(null, [String(params.name)]);
      case "resize-instance":
        return ok(null, [String(params.name)]);
      case "explicit-changes":
        return ok(
          {
            resourceChanges: [
              { id: "db-1", change: "created", type: "database" },
              { id: "old-1", change: "deleted" },
            ],
          },
          ["db-1", "old-1"],
        );
      case "restart-service":
        return ok(null);
      case "status":
        return ok({ status: "ok" });
      case "scale-group":
        return ok(null);
      default:
        return fail("NOT_FOUND", false);
    }
  }

  hasCapability(capability: ProviderCapability): boolean {
    return (this.options.capabilities ?? this.meta.capabilities).includes(capability);
  }

  supportsResource(type: ResourceType): boolean {
    return this.meta.supportedResources.includes(type);
  }

  getResources(): readonly ResourceState[] {
    return [...this.#resources.values()];
  }

  onLifecycle(stage: LifecycleHookStage, hook: LifecycleHook): Unsubscribe {
    const list = this.#hooks.get(stage) ?? [];
    list.push(hook);
    this.#hooks.set(stage, list);
    return () => list.splice(list.indexOf(hook), 1);
  }
}

async function step(behaviour: StepBehaviour | undefined): Promise<void> {
  if (behaviour === undefined || behaviour === "ok") return;
  if (behaviour === "throw") throw new Error("step failed");
  if (behaviour === "hang") return new Promise<never>(() => undefined);
  await new Promise<void>((resolve) => setTimeout(resolve, behaviour));
}

/** The auth fake providers are initialized with. */
export const FAKE_AUTH: ProviderAuth = { method: "api-key", credentials: { apiKey: "k" }, options: {} };
