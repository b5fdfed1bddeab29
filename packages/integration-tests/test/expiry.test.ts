import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ProviderRun } from "./support/exampleProvider.js";
import { ScriptedGate } from "./support/gates.js";
import { INSTANCE_ID, createWorkspace, openStack } from "./support/stack.js";
import type { Stack, Workspace } from "./support/stack.js";

const TIMEOUT = 60_000;
const SWEEP = 5_000;

describe("session expiry across the stack", () => {
  let workspace: Workspace;
  let stack: Stack | undefined;
  let clock = 0;
  const runs: ProviderRun[] = [];

  beforeEach(async () => {
    workspace = await createWorkspace();
    runs.length = 0;
    clock = 1_700_000_000_000;
    // Only the sweep's interval is faked: file I/O, locks and the logger keep real timers.
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
  });

  afterEach(async () => {
    vi.useRealTimers();
    await stack?.close();
    stack = undefined;
    await workspace.remove();
  });

  it("the sweep expires an idle session on the shared bus, and the executor refuses to run in it", async () => {
    const gate = new ScriptedGate({ confirm: ["delete-instance"] });
    stack = await openStack({
      workspace,
      runs,
      gate,
      now: () => clock,
      sessionConfig: { timeout: TIMEOUT, cleanupInterval: SWEEP },
    });
    const idle = await stack.sessions.createSession({ userId: "alice" });
    const busy = await stack.sessions.createSession({ userId: "bob" });
    const waiting = await stack.executor.execute({
      instanceId: INSTANCE_ID,
      commandId: "delete-instance",
      sessionId: idle.id,
      params: { instanceId: "i-1" },
    });
    expect(waiting.status).toBe("pending");
    if (waiting.status !== "pending") return;

    const expired = new Promise<string>((resolve) =>
      stack?.registry.events.on("session:expired", (e) => resolve(e.sessionId)),
    );
    clock += TIMEOUT / 2;
    await stack.sessions.session(busy.id).extend();
    clock += TIMEOUT / 2 + 1;
    await vi.advanceTimersByTimeAsync(SWEEP);
    expect(await expired).toBe(idle.id);

    expect((await stack.sessions.getSession(idle.id))?.state).toBe("expired");
    expect((await stack.sessions.getSession(busy.id))?.state).toBe("active");
    expect(stack.seen.filter((s) => s.type === "session:expired")).toHaveLength(1);

    // an operation in the expired session does not run; neither does its pending operation
    const late = await stack.executor.execute({
      instanceId: INSTANCE_ID,
      commandId: "create-instance",
      sessionId: idle.id,
      params: { name: "x", region: "r" },
    });
    expect(late.status).toBe("invalid");
    if (late.status === "invalid") expect(late.issues.map((i) => i.path)).toEqual(["sessionId"]);
    const resumed = await stack.executor.resume(idle.id, waiting.pending.id, { confirmed: true });
    expect(resumed.status).toBe("invalid");
    expect(runs).toEqual([]);

    // the extended session keeps working
    const ok = await stack.executor.execute({
      instanceId: INSTANCE_ID,
      commandId: "create-instance",
      sessionId: busy.id,
      params: { name: "x", region: "r" },
    });
    expect(ok.status).toBe("succeeded");

    // expiry is durable: a restarted stack sees the session expired and does not expire it twice
    await stack.close();
    stack = await openStack({
      workspace,
      runs,
      gate,
      now: () => clock,
      sessionConfig: { timeout: TIMEOUT, cleanupInterval: SWEEP },
    });
    expect((await stack.sessions.getSession(idle.id))?.state).toBe("expired");
    await vi.advanceTimersByTimeAsync(SWEEP);
    expect(await stack.sessions.cleanupExpiredSessions()).toBe(0);
    expect(stack.seen.filter((s) => s.type === "session:expired")).toEqual([]);
  });
});
