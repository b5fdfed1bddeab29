import { afterEach, describe, expect, it, vi } from "vitest";
import { createAllowAllGate } from "@espada/infra-core";
import type {
  AuditEventInput,
  AuditSink,
  CommandEvent,
  GateDecision,
  OperationOutcomeReport,
  OperationRequest,
  ResourceEvent,
  SecurityGate,
} from "@espada/infra-core";
import { InfrastructureProviderRegistry } from "./registry.js";
import { createCommandExecutor } from "./executor.js";
import type { CommandConfigInput, ExecutionOutcome } from "./executor.js";
import { FakeProvider } from "../test/fakeProvider.js";
import { MemorySessionStore } from "../test/memorySessionStore.js";

const risk = { score: 10, level: "minimal" as const, factors: [] };

function scriptedGate(
  decide: (request: OperationRequest) => GateDecision,
): SecurityGate & { requests: OperationRequest[] } {
  const requests: OperationRequest[] = [];
  return {
    requests,
    checkOperation: (request) => {
      requests.push(request);
      return Promise.resolve(decide(request));
    },
  };
}

async function setup(
  options: {
    gate?: SecurityGate;
    config?: CommandConfigInput;
    random?: () => number;
    audit?: AuditSink;
    auditConfig?: { readOnlyWhenUnavailable?: boolean; logAllCommands?: boolean };
  } = {},
) {
  const registry = new InfrastructureProviderRegistry();
  const provider = new FakeProvider({ id: "fake" });
  registry.registerFactory(provider.meta, () => provider);
  await registry.createAndInitializeProvider("fake", { instanceId: "p" });
  const sessions = new MemorySessionStore();
  sessions.create("s1", "alice", "staging");
  const audits: AuditEventInput[] = [];
  const audit: AuditSink = {
    record: (event) => {
      audits.push(event);
      return Promise.resolve();
    },
  };
  const executor = createCommandExecutor({
    providers: registry,
    gate: options.gate ?? createAllowAllGate(),
    sessions,
    audit: options.audit ?? audit,
    ...(options.auditConfig === undefined ? {} : { auditConfig: options.auditConfig }),
    events: registry.events,
    ...(options.config === undefined ? {} : { config: options.config }),
    random: options.random ?? (() => 0.5),
  });
  const events: { type: string; event: CommandEvent | ResourceEvent }[] = [];
  registry.events.on("*", (type, event) => {
    if (type.startsWith("command:") || type.startsWith("resource:"))
      events.push({ type, event: event as CommandEvent });
  });
  const history = () => sessions.history("s1");
  return {
    registry,
    provider,
    sessions,
    executor,
    audits,
    events,
    history,
    types: () => events.map((e) => e.type),
  };
}

function expectStatus<S extends ExecutionOutcome["status"]>(
  outcome: ExecutionOutcome,
  status: S,
): Extract<ExecutionOutcome, { status: S }> {
  expect(outcome.status).toBe(status);
  return outcome as Extract<ExecutionOutcome, { status: S }>;
}

describe("InfrastructureCommandExecutor", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("never writes a secret nested in an object parameter into the history or the audit", async () => {
    const { executor, history, audits } = await setup({ config: { validation: { strict: false } } });
    const params = {
      message: "hi",
      options: { password: "pw-1", size: 2, headers: [{ Authorization: "Bearer pw-2" }] },
      apiKeys: ["pw-3"],
    };
    expectStatus(
      await executor.execute({ instanceId: "p", commandId: "echo", params, sessionId: "s1" }),
      "succeeded",
    );
    expect(history()).toMatchObject([
      {
        params: {
          message: "hi",
          options: { password: "[REDACTED]", size: 2, headers: [{ Authorization: "[REDACTED]" }] },
          apiKeys: "[REDACTED]",
        },
      },
    ]);
    const strict = await setup();
    expectStatus(
      await strict.executor.execute({ instanceId: "p", commandId: "echo", params, sessionId: "s1" }),
      "invalid",
    );
    for (const written of [history(), audits, strict.history(), strict.audits])
      expect(JSON.stringify(written)).not.toMatch(/pw-\d/);
  });

  it("runs an allowed command: history (redacted), events and audit", async () => {
    const { executor, history, types, audits } = await setup();
    const outcome = await executor.execute({
      instanceId: "p",
      commandId: "echo",
      params: { message: "hi", token: "s3cret" },
      sessionId: "s1",
    });
    const ok = expectStatus(outcome, "succeeded");
    expect(ok.result.data).toEqual({ message: "hi", dryRun: false });
    expect(ok.attempts).toBe(1);
    expect(history()).toMatchObject([
      {
        executionId: outcome.executionId,
        commandId: "echo",
        status: "succeeded",
        userId: "alice",
        params: { message: "hi", token: "[REDACTED]" },
      },
    ]);
    expect(types()).toEqual(["command:started", "command:completed"]);
    expect(audits).toMatchObject([
      {
        type: "operation_requested",
        outcome: "allowed",
        operationId: outcome.executionId,
        actor: "alice",
        details: { params: { token: "[REDACTED]" } },
      },
      {
        type: "operation_completed",
        outcome: "success",
        operationId: outcome.executionId,
        actor: "alice",
        environment: "staging",
        details: { params: { token: "[REDACTED]" } },
      },
    ]);
    expect(JSON.stringify(audits)).not.toContain("s3cret");
  });

  it("validates with the core validator and returns the issues naming fields", async () => {
    const { executor, provider, history, types } = await setup();
    const outcome = await executor.execute({
      instanceId: "p",
      commandId: "echo",
      params: { message: 5, extra: true },
      sessionId: "s1",
    });
    const invalid = expectStatus(outcome, "invalid");
    expect(invalid.result.error.code).toBe("VALIDATION_FAILED");
    expect(invalid.issues.map((i) => i.path).sort()).toEqual(["params.extra", "params.message"]);
    expect(provider.calls.filter((c) => c.startsWith("exec:"))).toEqual([]);
    expect(history()).toMatchObject([{ status: "failed", errorCode: "VALIDATION_FAILED" }]);
    expect(types()).toEqual([]);
  });

  it("names the unknown instance, command and session, and refuses a provider that is not active", async () => {
    const { executor, registry } = await setup();
    const cases = [
      [{ instanceId: "nope", commandId: "echo" }, "instanceId"],
      [{ instanceId: "p", commandId: "nope" }, "commandId"],
      [{ instanceId: "p", commandId: "echo", params: { message: "x" }, sessionId: "ghost" }, "sessionId"],
    ] as const;
    for (const [request, field] of cases) {
      const invalid = expectStatus(await executor.execute(request), "invalid");
      expect(invalid.issues[0]?.path).toBe(field);
    }
    await registry.lifecycle.stopProvider("p");
    const stopped = expectStatus(
      await executor.execute({ instanceId: "p", commandId: "echo", params: { message: "x" } }),
      "invalid",
    );
    expect(stopped.result.error).toMatchObject({
      code: "NOT_ACTIVE",
      message: expect.stringContaining("suspended") as string,
    });
  });

  it("returns the gate's reasons when denied and runs nothing", async () => {
    const gate = scriptedGate(() => ({
      outcome: "denied",
      risk,
      reasons: [{ check: "rbac", passed: false, message: "alice lacks infra:update" }],
    }));
    const { executor, provider, history, audits } = await setup({ gate });
    const denied = expectStatus(
      await executor.execute({
        instanceId: "p",
        commandId: "resize-instance",
        params: { name: "vm" },
        sessionId: "s1",
      }),
      "denied",
    );
    expect(denied.result.error).toMatchObject({
      code: "SECURITY_DENIED",
      message: "Denied: rbac: alice lacks infra:update",
    });
    expect(denied.decision.reasons[0]?.check).toBe("rbac");
    expect(provider.calls.filter((c) => c.startsWith("exec:"))).toEqual([]);
    expect(gate.requests[0]).toMatchObject({
      commandId: "resize-instance",
      commandCategory: "manage",
      userId: "alice",
      environment: "staging",
      providerId: "fake",
      instanceId: "p",
    });
    expect(history()).toMatchObject([{ status: "denied" }]);
    expect(audits).toMatchObject([{ type: "operation_rejected", outcome: "denied" }]);
  });

  it("runs nothing when the gate itself fails, and reports a gate failure, not a risk score (fail closed)", async () => {
    const gate: SecurityGate = { checkOperation: () => Promise.reject(new Error("rbac store offline")) };
    const { executor, provider } = await setup({ gate });
    const failed = expectStatus(
      await executor.execute({ instanceId: "p", commandId: "echo", params: { message: "x" } }),
      "failed",
    );
    expect(failed.result.error).toMatchObject({
      code: "GATE_FAILED",
      message: expect.stringMatching(/rbac store offline/) as string,
    });
    expect(failed.attempts).toBe(0);
    expect(failed.decision).toBeUndefined();
    expect(provider.calls.filter((c) => c.startsWith("exec:"))).toEqual([]);
  });

  it("stores a needs-approval operation in the session and resumes it exactly once", async () => {
    const gate = scriptedGate((request) =>
      request.approvalId === "appr-1"
        ? { outcome: "allowed", risk, reasons: [] }
        : {
            outcome: "needs-approval",
            approvalId: "appr-1",
            risk,
            reasons: [{ check: "approval", passed: false, message: "needs infra:admin" }],
          },
    );
    const { executor, sessions, history, types } = await setup({ gate });
    const pending = expectStatus(
      await executor.execute({
        instanceId: "p",
        commandId: "create-instance",
        params: { name: "vm-1" },
        sessionId: "s1",
      }),
      "pending",
    );
    expect(pending.pending).toMatchObject({
      kind: "approval",
      approvalId: "appr-1",
      commandId: "create-instance",
      params: { name: "vm-1" },
      reason: "approval: needs infra:admin",
    });
    expect(sessions.sessions.get("s1")?.pendingOperations).toHaveLength(1);
    expect(types()).toEqual([]);
    const [a, b] = await Promise.all([
      executor.resume("s1", pending.pending.id),
      executor.resume("s1", pending.pending.id),
    ]);
    const ok = expectStatus(a, "succeeded");
    expect(ok.executionId).toBe(pending.executionId);
    expect(["CONFLICT", "NOT_FOUND"]).toContain(
      b.status === "failed" || b.status === "invalid" ? b.result.error.code : b.status,
    );
    expect(gate.requests[1]?.approvalId).toBe("appr-1");
    expect(history().map((h) => h.status)).toEqual(["pending", "succeeded"]);
    expect(sessions.sessions.get("s1")?.resources["vm-1"]).toMatchObject({
      type: "compute",
      providerId: "fake",
    });
  });

  it("asks for explicit confirmation of a dangerous command", async () => {
    const { executor, provider, events, sessions } = await setup();
    await sessions.trackResources("s1", [{ id: "vm-1", type: "compute", providerId: "fake", updatedAt: 1 }]);
    const request = { instanceId: "p", commandId: "delete-instance", params: { name: "vm-1" } };
    const noSession = expectStatus(await executor.execute(request), "invalid");
    expect(noSession.result.error.code).toBe("CONFIRMATION_REQUIRED");
    expect(noSession.issues).toMatchObject([{ code: "CONFIRMATION_REQUIRED", path: "options.confirmed" }]);
    expect(noSession.result.error.message).toMatch(/^sessionId: .*a session is required/);
    const pending = expectStatus(await executor.execute({ ...request, sessionId: "s1" }), "pending");
    expect(pending.pending.kind).toBe("confirmation");
    expect(provider.calls.filter((c) => c.startsWith("exec:"))).toEqual([]);
    expectStatus(await executor.resume("s1", pending.pending.id, { confirmed: true }), "succeeded");
    expect(events.find((e) => e.type === "resource:deleted")?.event).toMatchObject({
      resourceId: "vm-1",
      resourceType: "compute",
    });
    expect(sessions.sessions.get("s1")?.resources).toEqual({});
    expectStatus(await executor.execute({ ...request, confirmed: true }), "succeeded");
  });

  it("runs nothing in an expired or terminated session and keeps its pending operations", async () => {
    const { executor, sessions, provider } = await setup();
    const pending = expectStatus(
      await executor.execute({
        instanceId: "p",
        commandId: "delete-instance",
        params: { name: "vm-1" },
        sessionId: "s1",
      }),
      "pending",
    );
    for (const state of ["expired", "terminated"] as const) {
      const current = sessions.sessions.get("s1");
      if (current !== undefined) sessions.sessions.set("s1", { ...current, state });
      const refused = expectStatus(
        await executor.execute({
          instanceId: "p",
          commandId: "echo",
          params: { message: "x" },
          sessionId: "s1",
        }),
        "invalid",
      );
      expect(refused.result.error.code).toBe("NOT_ACTIVE");
      expect(refused.issues).toMatchObject([{ code: "NOT_ACTIVE", path: "sessionId" }]);
      expectStatus(await executor.resume("s1", pending.pending.id, { confirmed: true }), "invalid");
    }
    expect(provider.calls.filter((c) => c.startsWith("exec:"))).toEqual([]);
    expect(sessions.sessions.get("s1")?.pendingOperations.map((op) => op.id)).toEqual([pending.pending.id]);
  });

  it("turns a gate needs-confirmation into a pending operation", async () => {
    const gate = scriptedGate((request) =>
      request.confirmed
        ? { outcome: "allowed", risk, reasons: [] }
        : {
            outcome: "needs-confirmation",
            risk,
            reasons: [{ check: "confirmation", passed: false, message: "production" }],
          },
    );
    const { executor } = await setup({ gate });
    const pending = expectStatus(
      await executor.execute({
        instanceId: "p",
        commandId: "resize-instance",
        params: { name: "vm" },
        sessionId: "s1",
      }),
      "pending",
    );
    expectStatus(await executor.resume("s1", pending.pending.id, { confirmed: true }), "succeeded");
  });

  it("enforces dry-run: refused without supportsDryRun, passed to the provider otherwise", async () => {
    const { executor, types } = await setup();
    const refused = expectStatus(
      await executor.execute({ instanceId: "p", commandId: "restart-service", dryRun: true }),
      "invalid",
    );
    expect(refused.issues[0]).toMatchObject({ code: "DRY_RUN_UNSUPPORTED" });
    const dry = expectStatus(
      await executor.execute({
        instanceId: "p",
        commandId: "create-instance",
        params: { name: "vm" },
        dryRun: true,
      }),
      "succeeded",
    );
    expect(dry.result.data).toEqual({ wouldCreate: "vm" });
    expect(types().filter((t) => t.startsWith("resource:"))).toEqual([]);
  });

  it("times out a hanging provider and keeps working afterwards", async () => {
    vi.useFakeTimers();
    const { executor } = await setup({ config: { execution: { defaultTimeout: 1_000 } } });
    const hung = executor.execute({ instanceId: "p", commandId: "hang" });
    await vi.advanceTimersByTimeAsync(1_000);
    const failed = expectStatus(await hung, "failed");
    expect(failed.result.error).toMatchObject({ code: "TIMEOUT", recoverable: false });
    expect(executor.running).toBe(0);
    expectStatus(
      await executor.execute({ instanceId: "p", commandId: "echo", params: { message: "still alive" } }),
      "succeeded",
    );
  });

  it("uses the per-call timeout over the command's and the default", async () => {
    vi.useFakeTimers();
    const { executor } = await setup();
    const hung = executor.execute({ instanceId: "p", commandId: "hang", timeout: 50 });
    await vi.advanceTimersByTimeAsync(50);
    expect(expectStatus(await hung, "failed").result.error.code).toBe("TIMEOUT");
  });

  it("refuses a per-call timeout a timer cannot honour, naming the field, and never runs the command", async () => {
    vi.useFakeTimers();
    const { executor, provider } = await setup();
    for (const timeout of [Number.POSITIVE_INFINITY, Number.NaN, 0, -5, 1.5, 2 ** 31]) {
      const invalid = expectStatus(
        await executor.execute({ instanceId: "p", commandId: "hang", timeout }),
        "invalid",
      );
      expect(invalid.issues).toEqual([expect.objectContaining({ path: "timeout" })]);
    }
    expect(provider.calls.filter((c) => c.startsWith("exec:"))).toEqual([]);
  });

  it("refuses a default timeout a Node timer cannot honour (it would fire at once), naming it", async () => {
    await expect(setup({ config: { execution: { defaultTimeout: 2 ** 32 } } })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      field: "commandConfig.execution.defaultTimeout",
    });
  });

  it("cancels through the caller's AbortSignal, which reaches the provider", async () => {
    const { executor, provider, types } = await setup();
    const controller = new AbortController();
    const run = executor.execute({
      instanceId: "p",
      commandId: "wait",
      signal: controller.signal,
      sessionId: "s1",
    });
    await vi.waitFor(() => expect(provider.signals).toHaveLength(1));
    controller.abort();
    const cancelled = expectStatus(await run, "cancelled");
    expect(cancelled.result.error.code).toBe("CANCELLED");
    expect(provider.signals[0]?.aborted).toBe(true);
    expect(types()).toEqual(["command:started", "command:cancelled"]);
  });

  it("a provider reading its signal only after a timeout or a cancellation finds it aborted with the reason", async () => {
    const { executor, provider } = await setup();
    const timedOut = expectStatus(
      await executor.execute({ instanceId: "p", commandId: "hold", timeout: 20 }),
      "failed",
    );
    expect(timedOut.result.error.code).toBe("TIMEOUT");
    const late = provider.contexts[0]?.signal;
    expect(late?.aborted).toBe(true);
    expect(late?.reason).toMatchObject({ code: "TIMEOUT" });

    const controller = new AbortController();
    const run = executor.execute({ instanceId: "p", commandId: "hold", signal: controller.signal });
    await vi.waitFor(() => expect(provider.contexts).toHaveLength(2));
    controller.abort();
    expect(expectStatus(await run, "cancelled").result.error.code).toBe("CANCELLED");
    expect(provider.contexts[1]?.signal?.reason).toMatchObject({ code: "CANCELLED" });
  });

  it("a provider that reads its signal first and later sees it abort (timeout, then close)", async () => {
    const { executor, provider } = await setup();
    const run = executor.execute({ instanceId: "p", commandId: "hold", timeout: 60_000 });
    await vi.waitFor(() => expect(provider.contexts).toHaveLength(1));
    const signal = provider.contexts[0]?.signal;
    expect(signal?.aborted).toBe(false);
    const aborted = new Promise((resolve) => signal?.addEventListener("abort", resolve, { once: true }));
    await executor.close();
    await aborted;
    expect(signal?.reason).toMatchObject({ code: "SHUTDOWN" });
    expect(expectStatus(await run, "cancelled").result.error.code).toBe("SHUTDOWN");
  });

  it("the gate's signal aborts on close when the caller gave none, and with the caller's signal when one was given", async () => {
    const seen: AbortSignal[] = [];
    const gate: SecurityGate = {
      checkOperation: (_request, signal) =>
        new Promise((_resolve, reject) => {
          if (signal !== undefined) seen.push(signal);
          signal?.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
        }),
    };
    const { executor } = await setup({ gate });
    const controller = new AbortController();
    const byCaller = executor.execute({
      instanceId: "p",
      commandId: "echo",
      params: { message: "a" },
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    controller.abort();
    expect(expectStatus(await byCaller, "cancelled").result.error.code).toBe("CANCELLED");
    expect(seen[0]?.reason).toMatchObject({ code: "CANCELLED" });

    const byClose = executor.execute({ instanceId: "p", commandId: "echo", params: { message: "b" } });
    await vi.waitFor(() => expect(seen).toHaveLength(2));
    expect(seen[1]?.aborted).toBe(false);
    await executor.close();
    expect(seen[1]?.aborted).toBe(true);
    expect(expectStatus(await byClose, "cancelled").result.error.code).toBe("SHUTDOWN");
  });

  it("cancels a provider that ignores the signal", async () => {
    const { executor } = await setup();
    const controller = new AbortController();
    const run = executor.execute({ instanceId: "p", commandId: "hang", signal: controller.signal });
    controller.abort();
    expect(expectStatus(await run, "cancelled").result.error.code).toBe("CANCELLED");
  });

  it("retries recoverable failures with exponential backoff and jitter", async () => {
    vi.useFakeTimers();
    const { executor, provider, events } = await setup({
      config: { execution: { retryDelay: 1_000, maxRetries: 3 } },
      random: () => 0,
    });
    const run = executor.execute({ instanceId: "p", commandId: "flaky", params: { succeedOn: 3 } });
    const attempts = (): number => [...provider.attempts.values()][0] ?? 0;
    await vi.advanceTimersByTimeAsync(0);
    expect(attempts()).toBe(1);
    await vi.advanceTimersByTimeAsync(499); // first backoff: 1000 × 2⁰, jitter 0 → 500
    expect(attempts()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(attempts()).toBe(2);
    await vi.advanceTimersByTimeAsync(1_000); // second: 2000 → 1000
    const ok = expectStatus(await run, "succeeded");
    expect(ok.attempts).toBe(3);
    expect(events.find((e) => e.type === "command:completed")?.event).toMatchObject({ attempt: 3 });
  });

  it("stops retrying after maxRetries and never retries a non-recoverable failure", async () => {
    const { executor } = await setup({ config: { execution: { retryDelay: 0, maxRetries: 1 } } });
    const exhausted = expectStatus(
      await executor.execute({ instanceId: "p", commandId: "flaky", params: { succeedOn: 5 } }),
      "failed",
    );
    expect(exhausted.attempts).toBe(2);
    expect(exhausted.result.error).toMatchObject({ code: "THROTTLED", recoverable: true });
    const hard = expectStatus(await executor.execute({ instanceId: "p", commandId: "fail" }), "failed");
    expect(hard.attempts).toBe(1);
  });

  it("turns a throwing or garbage-returning provider into failures", async () => {
    const { executor, types } = await setup();
    expect(
      expectStatus(await executor.execute({ instanceId: "p", commandId: "throw" }), "failed").result.error,
    ).toMatchObject({ code: "PROVIDER_FAILED", message: /provider exploded/ });
    expect(
      expectStatus(await executor.execute({ instanceId: "p", commandId: "garbage" }), "failed").result.error
        .message,
    ).toMatch(/malformed/);
    expect(types()).toEqual(["command:started", "command:failed", "command:started", "command:failed"]);
  });

  it("limits parallel runs; queued runs honour abort", async () => {
    const { executor, provider } = await setup({ config: { execution: { parallelLimit: 2 } } });
    const controllers = [0, 1, 2, 3].map(() => new AbortController());
    const runs = controllers.map((c) =>
      executor.execute({ instanceId: "p", commandId: "wait", signal: c.signal }),
    );
    await vi.waitFor(() => expect(provider.signals).toHaveLength(2));
    expect(executor.running).toBe(2);
    expect(executor.queued).toBe(2);
    controllers[3]!.abort();
    expect(expectStatus(await runs[3]!, "cancelled").attempts).toBe(0);
    controllers[0]!.abort();
    await vi.waitFor(() => expect(provider.signals).toHaveLength(3));
    for (const c of controllers) c.abort();
    const outcomes = await Promise.all(runs);
    expect(outcomes.map((o) => o.status)).toEqual(["cancelled", "cancelled", "cancelled", "cancelled"]);
    expect(provider.signals).toHaveLength(3);
  });

  it("turns provider progress into command:progress events", async () => {
    const { executor, events } = await setup();
    await executor.execute({ instanceId: "p", commandId: "progress", params: { steps: 2 } });
    const progress = events
      .filter((e) => e.type === "command:progress")
      .map((e) => (e.event as CommandEvent).progress);
    expect(progress).toEqual([
      { message: "step 1", step: 1, totalSteps: 2, percent: 50 },
      { message: "step 2", step: 2, totalSteps: 2, percent: 100 },
    ]);
  });

  it("emits resource events by change type and tracks resources in the session", async () => {
    const { executor, events, sessions } = await setup();
    await executor.execute({
      instanceId: "p",
      commandId: "create-instance",
      params: { name: "vm-1" },
      sessionId: "s1",
    });
    await executor.execute({
      instanceId: "p",
      commandId: "resize-instance",
      params: { name: "vm-1" },
      sessionId: "s1",
    });
    await executor.execute({ instanceId: "p", commandId: "explicit-changes", sessionId: "s1" });
    const resources = events
      .filter((e) => e.type.startsWith("resource:"))
      .map((e) => [e.type, (e.event as ResourceEvent).resourceId, (e.event as ResourceEvent).resourceType]);
    expect(resources).toEqual([
      ["resource:created", "vm-1", "compute"],
      ["resource:updated", "vm-1", "compute"],
      ["resource:created", "db-1", "database"],
      ["resource:deleted", "old-1", undefined],
    ]);
    expect(Object.keys(sessions.sessions.get("s1")?.resources ?? {}).sort()).toEqual(["db-1", "vm-1"]);
  });

  it("keeps working when the session store fails", async () => {
    const { executor, sessions } = await setup();
    sessions.failWrites = true;
    expectStatus(
      await executor.execute({
        instanceId: "p",
        commandId: "echo",
        params: { message: "x" },
        sessionId: "s1",
      }),
      "succeeded",
    );
  });

  it("parses its config and names the bad field", () => {
    const registry = new InfrastructureProviderRegistry();
    expect(() =>
      createCommandExecutor({
        providers: registry,
        gate: createAllowAllGate(),
        config: { execution: { parallelLimit: 0 } },
      }),
    ).toThrow(/commandConfig\.execution\.parallelLimit/);
    const executor = createCommandExecutor({ providers: registry, gate: createAllowAllGate() });
    expect(executor.config.execution).toEqual({
      defaultTimeout: 60_000,
      maxRetries: 3,
      retryDelay: 1_000,
      parallelLimit: 5,
    });
    expect(executor.config.history).toEqual({ enabled: true, maxEntries: 1_000, retentionDays: 30 });
  });

  it("close() cancels running work and refuses new calls", async () => {
    const { executor, provider } = await setup();
    const run = executor.execute({ instanceId: "p", commandId: "wait" });
    await vi.waitFor(() => expect(provider.signals).toHaveLength(1));
    await executor.close();
    expect(expectStatus(await run, "cancelled").result.error.code).toBe("SHUTDOWN");
    expect(
      expectStatus(
        await executor.execute({ instanceId: "p", commandId: "echo", params: { message: "x" } }),
        "failed",
      ).result.error.code,
    ).toBe("SHUTDOWN");
  });

  describe("the security seam", () => {
    const allowed = (request: OperationRequest): GateDecision => ({
      outcome: "allowed",
      risk,
      reasons: [{ check: "rbac", passed: true, message: `${request.userId} may` }],
    });
    const exec = (provider: FakeProvider) => provider.calls.filter((c) => c.startsWith("exec:"));

    it("asks the gate before anyone is asked to confirm: a user who may not run it is denied at once", async () => {
      const gate = scriptedGate(() => ({
        outcome: "denied",
        risk,
        reasons: [{ check: "rbac", passed: false, message: "alice lacks infra:delete" }],
      }));
      const { executor, sessions, provider } = await setup({ gate });
      const outcome = await executor.execute({
        instanceId: "p",
        commandId: "delete-instance",
        params: { name: "vm-1" },
        sessionId: "s1",
      });
      expect(expectStatus(outcome, "denied").result.error.code).toBe("SECURITY_DENIED");
      expect(sessions.sessions.get("s1")?.pendingOperations).toEqual([]);
      expect(gate.requests[0]).toMatchObject({
        confirmationRequired: true,
        confirmed: false,
        confirmationReasons: [expect.stringMatching(/dangerous/) as string],
      });
      expect(exec(provider)).toEqual([]);
    });

    it("keeps the validator's confirmation with every gate: an allowing gate cannot remove it", async () => {
      for (const gate of [createAllowAllGate(), scriptedGate(allowed)]) {
        const { executor, provider } = await setup({ gate });
        const pending = expectStatus(
          await executor.execute({
            instanceId: "p",
            commandId: "delete-instance",
            params: { name: "vm-1" },
            sessionId: "s1",
          }),
          "pending",
        );
        expect(pending.pending).toMatchObject({
          kind: "confirmation",
          reason: expect.stringMatching(/dangerous/) as string,
        });
        expect(exec(provider)).toEqual([]);
        expectStatus(await executor.resume("s1", pending.pending.id), "pending");
        expect(exec(provider)).toEqual([]);
        expectStatus(
          await executor.resume("s1", pending.pending.id, { confirmed: true, confirmedBy: "bob" }),
          "succeeded",
        );
        expect(exec(provider)).toEqual(["exec:delete-instance"]);
      }
      const strict = await setup({ config: { validation: { requireConfirmation: true } } });
      expectStatus(
        await strict.executor.execute({
          instanceId: "p",
          commandId: "resize-instance",
          params: { name: "vm" },
          sessionId: "s1",
        }),
        "pending",
      );
      expect(exec(strict.provider)).toEqual([]);
    });

    it("a confirmation given before an approval is kept: the approved resume does not ask again", async () => {
      const gate = scriptedGate((request) =>
        request.approvalId === "ap-1"
          ? allowed(request)
          : {
              outcome: "needs-approval",
              approvalId: "ap-1",
              risk,
              reasons: [{ check: "approval", passed: false, message: "needs admin" }],
            },
      );
      const { executor, provider } = await setup({ gate });
      const pending = expectStatus(
        await executor.execute({
          instanceId: "p",
          commandId: "delete-instance",
          params: { name: "vm-1" },
          sessionId: "s1",
          confirmed: true,
        }),
        "pending",
      );
      expect(pending.pending).toMatchObject({ kind: "approval", confirmedBy: "alice" });
      const done = await executor.resume("s1", pending.pending.id, {
        approvalId: "ap-1",
        approvedBy: "root",
      });
      expectStatus(done, "succeeded");
      expect(gate.requests.at(-1)).toMatchObject({
        approvalId: "ap-1",
        approvedBy: "root",
        confirmedBy: "alice",
        confirmed: true,
        resumed: true,
        userId: "alice",
      });
      expect(exec(provider)).toEqual(["exec:delete-instance"]);
    });

    it("loses nothing on resume: a passing failure (instance suspended, gate failure) leaves the operation pending", async () => {
      let failGate = false;
      const gate = scriptedGate((request) => {
        if (failGate) throw new Error("approval store offline");
        return request.approvalId === "ap-1"
          ? allowed(request)
          : { outcome: "needs-approval", approvalId: "ap-1", risk, reasons: [] };
      });
      const { executor, sessions, registry, provider } = await setup({ gate });
      const pending = expectStatus(
        await executor.execute({
          instanceId: "p",
          commandId: "resize-instance",
          params: { name: "vm" },
          sessionId: "s1",
        }),
        "pending",
      );
      await registry.lifecycle.stopProvider("p");
      const suspended = expectStatus(
        await executor.resume("s1", pending.pending.id, { approvalId: "ap-1" }),
        "invalid",
      );
      expect(suspended.result.error.code).toBe("NOT_ACTIVE");
      expect(sessions.sessions.get("s1")?.pendingOperations.map((op) => [op.id, op.claim])).toEqual([
        [pending.pending.id, undefined],
      ]);
      await registry.lifecycle.startProvider("p");
      failGate = true;
      const gateDown = expectStatus(
        await executor.resume("s1", pending.pending.id, { approvalId: "ap-1" }),
        "failed",
      );
      expect(gateDown.result.error.code).toBe("GATE_FAILED");
      expect(sessions.sessions.get("s1")?.pendingOperations).toHaveLength(1);
      failGate = false;
      expectStatus(await executor.resume("s1", pending.pending.id, { approvalId: "ap-1" }), "succeeded");
      expect(sessions.sessions.get("s1")?.pendingOperations).toEqual([]);
      expect(exec(provider)).toEqual(["exec:resize-instance"]);
    });

    it("consumes a pending operation when it is definitively refused (denied, expired)", async () => {
      let deny = false;
      const gate = scriptedGate(() =>
        deny
          ? { outcome: "denied", risk, reasons: [{ check: "rbac", passed: false, message: "revoked" }] }
          : { outcome: "needs-approval", approvalId: "ap", risk, reasons: [] },
      );
      const { executor, sessions } = await setup({ gate });
      const a = expectStatus(
        await executor.execute({
          instanceId: "p",
          commandId: "resize-instance",
          params: { name: "a" },
          sessionId: "s1",
        }),
        "pending",
      );
      deny = true;
      expectStatus(await executor.resume("s1", a.pending.id), "denied");
      expect(sessions.sessions.get("s1")?.pendingOperations).toEqual([]);
      deny = false;
      const b = expectStatus(
        await executor.execute({
          instanceId: "p",
          commandId: "resize-instance",
          params: { name: "b" },
          sessionId: "s1",
        }),
        "pending",
      );
      const session = sessions.sessions.get("s1");
      if (session !== undefined)
        sessions.sessions.set("s1", {
          ...session,
          pendingOperations: session.pendingOperations.map((op) => ({ ...op, expiresAt: 1 })),
        });
      expect(expectStatus(await executor.resume("s1", b.pending.id), "failed").result.error.code).toBe(
        "EXPIRED",
      );
      expect(sessions.sessions.get("s1")?.pendingOperations).toEqual([]);
    });

    it("runs a pending operation exactly once under racing resumes", async () => {
      const gate = scriptedGate((request) =>
        request.approvalId === "ap-1"
          ? allowed(request)
          : { outcome: "needs-approval", approvalId: "ap-1", risk, reasons: [] },
      );
      const { executor, provider } = await setup({ gate });
      const pending = expectStatus(
        await executor.execute({
          instanceId: "p",
          commandId: "resize-instance",
          params: { name: "vm" },
          sessionId: "s1",
        }),
        "pending",
      );
      const outcomes = await Promise.all(
        Array.from({ length: 6 }, () => executor.resume("s1", pending.pending.id, { approvalId: "ap-1" })),
      );
      expect(outcomes.filter((o) => o.status === "succeeded")).toHaveLength(1);
      for (const o of outcomes)
        if (o.status !== "succeeded")
          expect(["CONFLICT", "NOT_FOUND"]).toContain(
            o.status === "failed" || o.status === "invalid" ? o.result.error.code : o.status,
          );
      expect(exec(provider)).toEqual(["exec:resize-instance"]);
    });

    it("audits before and after; a mutating operation the audit cannot record does not run", async () => {
      let failing = false;
      const records: AuditEventInput[] = [];
      const audit: AuditSink = {
        record: (event) => {
          if (failing) return Promise.reject(new Error("audit disk full"));
          records.push(event);
          return Promise.resolve();
        },
      };
      const { executor, provider } = await setup({ audit });
      const ok = await executor.execute({
        instanceId: "p",
        commandId: "resize-instance",
        params: { name: "vm" },
        sessionId: "s1",
      });
      expect(records.map((r) => [r.type, r.outcome, r.operationId])).toEqual([
        ["operation_requested", "allowed", ok.executionId],
        ["operation_completed", "success", ok.executionId],
      ]);
      failing = true;
      const refused = expectStatus(
        await executor.execute({
          instanceId: "p",
          commandId: "resize-instance",
          params: { name: "vm" },
          sessionId: "s1",
        }),
        "failed",
      );
      expect(refused.result.error.code).toBe("AUDIT_FAILED");
      expect(refused.attempts).toBe(0);
      expect(
        expectStatus(await executor.execute({ instanceId: "p", commandId: "status" }), "failed").result.error
          .code,
      ).toBe("AUDIT_FAILED");
      expect(exec(provider)).toEqual(["exec:resize-instance"]);
    });

    it("lets read-only operations run unaudited only when the config says so", async () => {
      const audit: AuditSink = { record: () => Promise.reject(new Error("down")) };
      const { executor, provider } = await setup({ audit, auditConfig: { readOnlyWhenUnavailable: true } });
      expectStatus(await executor.execute({ instanceId: "p", commandId: "status" }), "succeeded");
      expectStatus(
        await executor.execute({
          instanceId: "p",
          commandId: "create-instance",
          params: { name: "vm" },
          dryRun: true,
        }),
        "succeeded",
      );
      expect(
        expectStatus(
          await executor.execute({ instanceId: "p", commandId: "resize-instance", params: { name: "vm" } }),
          "failed",
        ).result.error.code,
      ).toBe("AUDIT_FAILED");
      expect(exec(provider)).toEqual(["exec:status", "exec:create-instance"]);
    });

    it("with audit.logAllCommands off, records changes and refusals but not allowed read-only operations", async () => {
      const gate = scriptedGate((request) =>
        request.commandId === "delete-instance"
          ? { outcome: "denied", risk, reasons: [{ check: "rbac", passed: false, message: "no" }] }
          : allowed(request),
      );
      const quiet = await setup({ gate, auditConfig: { logAllCommands: false } });
      expectStatus(await quiet.executor.execute({ instanceId: "p", commandId: "status" }), "succeeded");
      expectStatus(
        await quiet.executor.execute({
          instanceId: "p",
          commandId: "create-instance",
          params: { name: "vm" },
          dryRun: true,
        }),
        "succeeded",
      );
      const resized = expectStatus(
        await quiet.executor.execute({
          instanceId: "p",
          commandId: "resize-instance",
          params: { name: "vm" },
        }),
        "succeeded",
      );
      const refused = expectStatus(
        await quiet.executor.execute({
          instanceId: "p",
          commandId: "delete-instance",
          params: { name: "vm" },
        }),
        "denied",
      );
      expect(quiet.audits.map((r) => [r.type, r.outcome, r.operationId])).toEqual([
        ["operation_requested", "allowed", resized.executionId],
        ["operation_completed", "success", resized.executionId],
        ["operation_rejected", "denied", refused.executionId],
      ]);
      // the default (true) records the read-only operations as well
      const all = await setup({ gate });
      const status = expectStatus(
        await all.executor.execute({ instanceId: "p", commandId: "status" }),
        "succeeded",
      );
      expect(all.audits.map((r) => [r.type, r.outcome, r.operationId])).toEqual([
        ["operation_requested", "allowed", status.executionId],
        ["operation_completed", "success", status.executionId],
      ]);
    });

    it("shows the gate the resource ids of resource-ref params, the declared cost and whether it mutates", async () => {
      const gate = scriptedGate(allowed);
      const { executor } = await setup({ gate });
      await executor.execute({
        instanceId: "p",
        commandId: "scale-group",
        params: { members: ["vm-1", { id: "vm-2", type: "compute" }, "vm-1"], lb: "lb-1" },
      });
      expect(gate.requests[0]).toMatchObject({
        resourceIds: ["vm-1", "vm-2", "lb-1"],
        estimatedCost: { amount: 12.5, currency: "EUR", period: "monthly" },
        mutating: true,
        resumed: false,
      });
      await executor.execute({
        instanceId: "p",
        commandId: "scale-group",
        params: { members: ["vm-1"] },
        resourceIds: ["group-7"],
        estimatedCost: { amount: 1, currency: "USD", period: "once" },
      });
      expect(gate.requests[1]).toMatchObject({ resourceIds: ["group-7"], estimatedCost: { amount: 1 } });
      await executor.execute({ instanceId: "p", commandId: "status", params: { target: "vm-9" } });
      expect(gate.requests[2]).toMatchObject({ resourceIds: ["vm-9"], mutating: false });
      expect(gate.requests[2]?.estimatedCost).toBeUndefined();
    });

    it("tells the gate the outcome of every operation it allowed, rollbacks included", async () => {
      const reports: OperationOutcomeReport[] = [];
      const gate: SecurityGate = {
        checkOperation: (request) => Promise.resolve(allowed(request)),
        recordOutcome: (report) => void reports.push(report),
      };
      const { executor } = await setup({ gate, config: { execution: { maxRetries: 0 } } });
      const created = await executor.execute({
        instanceId: "p",
        commandId: "create-instance",
        params: { name: "vm-1" },
      });
      await executor.execute({ instanceId: "p", commandId: "fail" });
      await executor.execute({
        instanceId: "p",
        commandId: "delete-instance",
        params: { name: "vm-1" },
        confirmed: true,
        rollbackOf: created.executionId,
      });
      expect(
        reports.map((r) => [
          r.operationId === created.executionId ? "create" : r.request.commandId,
          r.result,
          r.errorCode,
        ]),
      ).toEqual([
        ["create", "success", undefined],
        ["fail", "failure", "QUOTA_EXCEEDED"],
        ["delete-instance", "success", undefined],
        ["create", "rolled-back", undefined],
      ]);
      expect(reports[0]?.affectedResources).toEqual(["vm-1"]);
    });

    it("shows denied and pending outcomes to listeners, and a throwing listener harms nothing", async () => {
      const gate = scriptedGate((request) =>
        request.commandId === "resize-instance"
          ? { outcome: "denied", risk, reasons: [{ check: "time-window", passed: false, message: "closed" }] }
          : allowed(request),
      );
      const { executor } = await setup({ gate });
      const seen: string[] = [];
      executor.runner.onOutcome(() => {
        throw new Error("listener bug");
      });
      const off = executor.runner.onOutcome((outcome) => seen.push(`${outcome.commandId}:${outcome.status}`));
      await executor.execute({
        instanceId: "p",
        commandId: "resize-instance",
        params: { name: "vm" },
        sessionId: "s1",
      });
      const pending = expectStatus(
        await executor.runner.execute({
          instanceId: "p",
          commandId: "delete-instance",
          params: { name: "vm" },
          sessionId: "s1",
        }),
        "pending",
      );
      await executor.runner.resume("s1", pending.pending.id, { confirmed: true });
      off();
      await executor.execute({ instanceId: "p", commandId: "echo", params: { message: "x" } });
      expect(seen).toEqual([
        "resize-instance:denied",
        "delete-instance:pending",
        "delete-instance:succeeded",
      ]);
      expect(Object.keys(executor.runner).sort()).toEqual(["execute", "onOutcome", "resume"]);
    });

    it("names what exists when an instance or command is not found", async () => {
      const { executor } = await setup();
      const instance = expectStatus(
        await executor.execute({ instanceId: "q", commandId: "echo" }),
        "invalid",
      );
      expect(instance.result.error.message).toBe('instanceId: Instance "q" not found; did you mean "p"?');
      const command = expectStatus(await executor.execute({ instanceId: "p", commandId: "ecoh" }), "invalid");
      expect(command.result.error.message).toBe(
        'commandId: Command "ecoh" not found on instance "p"; did you mean "echo"?',
      );
      const typed = expectStatus(
        await executor.execute({ instanceId: "p", commandId: "echo", params: { message: 5 } }),
        "invalid",
      );
      expect(typed.result.error.message).toBe(
        'Invalid call of "echo": params.message: expected string, got number',
      );
    });
  });
});
