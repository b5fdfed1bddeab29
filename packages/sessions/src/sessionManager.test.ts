import { randomBytes } from "node:crypto";
import { chmodSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createEventBus, parseInfrastructureConfig } from "@espada/infra-core";
import type { CommandHistoryEntry, PendingOperation, SessionEvent, SessionStore } from "@espada/infra-core";
import { createInfrastructureSessionManager, InfrastructureSessionManager } from "./sessionManager.js";
import type { SessionManagerOptions } from "./sessionManager.js";
import type { StoreProblem } from "./problems.js";
import { InMemorySessionStorage } from "./sessionStorage.js";
import { ENCRYPTION_KEY_ENV, KEYRING_FILE } from "./keyring.js";
import { capturingLogger } from "../test/capturingLogger.js";
import { cleanupAfterEach, fakeClock } from "../test/helpers.js";

const { defer, dir } = cleanupAfterEach();
afterEach(() => {
  vi.useRealTimers();
});
async function manager(options: SessionManagerOptions = {}): Promise<InfrastructureSessionManager> {
  const m = await createInfrastructureSessionManager({
    ...options,
    sessionConfig: { persistState: false, ...options.sessionConfig },
  });
  defer(() => m.shutdown());
  return m;
}
function collect(bus: ReturnType<typeof createEventBus>): { type: string; event: SessionEvent }[] {
  const seen: { type: string; event: SessionEvent }[] = [];
  for (const type of [
    "session:created",
    "session:activated",
    "session:expired",
    "session:terminated",
  ] as const) {
    bus.on(type, (event) => seen.push({ type, event }));
  }
  return seen;
}
const SECRET = "hunter2-very-secret-token";
const DAY_MS = 86_400_000;

function historyEntry(startedAt: number, n = 0): CommandHistoryEntry {
  return {
    executionId: `e${n}`,
    commandId: "vm.list",
    providerId: "p",
    userId: "u",
    params: {},
    status: "succeeded",
    dryRun: false,
    startedAt,
    duration: 1,
    affectedResources: [],
  };
}
function pendingOp(id: string): PendingOperation {
  return {
    id,
    kind: "approval",
    commandId: "vm.delete",
    commandCategory: "manage",
    providerId: "p",
    instanceId: "i",
    userId: "u",
    environment: "production",
    params: { name: "db", password: SECRET },
    dryRun: false,
    createdAt: 1,
    reason: "needs approval",
  };
}

describe("InfrastructureSessionManager", () => {
  it("applies the spec's defaults", () => {
    const m = new InfrastructureSessionManager({ sessionConfig: { persistState: false } });
    expect(m.config.sessionConfig).toEqual({
      timeout: 3_600_000,
      maxConcurrent: 10,
      persistState: false,
      cleanupInterval: 300_000,
    });
    expect(m.config.commandConfig.history).toEqual({ enabled: true, maxEntries: 1000, retentionDays: 30 });
    expect(m.config.securityConfig.encryption).toMatchObject({
      enabled: true,
      algorithm: "aes-256-gcm",
      keyRotationDays: 90,
    });
    expect(() => new InfrastructureSessionManager({})).toThrow(
      expect.objectContaining({ field: "stateDirectory" }) as Error,
    );
    expect(
      () => new InfrastructureSessionManager({ sessionConfig: { timeout: -1, persistState: false } }),
    ).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED", field: "sessionConfig.timeout" }) as Error,
    );
  });

  it("takes core's validated config sections as they are, and names the path of a bad or unknown key", () => {
    const config = parseInfrastructureConfig({
      sessionConfig: { timeout: 60_000, persistState: false },
      commandConfig: { history: { maxEntries: 5 } },
    });
    const m = new InfrastructureSessionManager({
      sessionConfig: config.sessionConfig,
      commandConfig: config.commandConfig,
      securityConfig: config.securityConfig,
    });
    expect(m.config.sessionConfig).toEqual(config.sessionConfig);
    expect(m.config.commandConfig.history).toEqual({ enabled: true, maxEntries: 5, retentionDays: 30 });
    expect(m.config.securityConfig.encryption).toMatchObject(config.securityConfig.encryption);
    const bad = (options: object): unknown => {
      try {
        new InfrastructureSessionManager({ sessionConfig: { persistState: false }, ...options });
      } catch (error) {
        return error;
      }
      return undefined;
    };
    expect(bad({ sessionConfig: { persistState: false, tmeout: 5 } })).toMatchObject({
      code: "VALIDATION_FAILED",
      field: "sessionConfig.tmeout",
    });
    expect(bad({ commandConfig: { history: { retentionDays: 0 } } })).toMatchObject({
      field: "commandConfig.history.retentionDays",
    });
    expect(bad({ securityConfig: { encryption: { algorithm: "des" } } })).toMatchObject({
      field: "securityConfig.encryption.algorithm",
    });
    expect(bad({ securityConfig: { encryption: { keyId: "x" } } })).toMatchObject({
      field: "securityConfig.encryption.keyId",
    });
  });

  it("forgets deleted resources through core's SessionStore (what the executor calls)", async () => {
    const m = await manager();
    const store: SessionStore = m;
    const s = await m.createSession({ userId: "alice" });
    await store.trackResources(s.id, [
      { id: "vm-1", type: "compute", providerId: "aws", updatedAt: 1 },
      { id: "vm-2", type: "compute", providerId: "aws", updatedAt: 1 },
    ]);
    await store.forgetResources?.(s.id, ["vm-1", "never-tracked"]);
    expect(Object.keys((await m.getSession(s.id))!.resources)).toEqual(["vm-2"]);
    await expect(m.forgetResources(s.id, [5 as unknown as string])).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
  });

  it("creates, gets, lists, updates, extends and terminates with events", async () => {
    const clock = fakeClock();
    const events = createEventBus();
    const seen = collect(events);
    const m = await manager({ events, now: clock.now });
    const s = await m.createSession({
      userId: "alice",
      environment: "staging",
      providerId: "aws",
      instanceId: "aws-1",
      variables: { a: 1 },
      metadata: { via: "cli" },
    });
    expect(s).toMatchObject({
      state: "active",
      userId: "alice",
      environment: "staging",
      expiresAt: clock.now() + 3_600_000,
    });
    await m.createSession({ userId: "bob" });
    expect((await m.getSession(s.id))?.variables).toEqual({ a: 1 });
    expect((await m.listSessions({ userId: "alice" })).map((x) => x.id)).toEqual([s.id]);
    expect(await m.listSessions({ environment: "development" })).toHaveLength(1);
    expect((await m.updateVariables(s.id, { b: 2 })).variables).toEqual({ a: 1, b: 2 });
    expect((await m.updateVariables(s.id, { c: 3 }, { replace: true })).variables).toEqual({ c: 3 });
    await m.trackResources(s.id, [{ id: "vm-1", type: "compute", providerId: "aws", updatedAt: 1 }]);
    expect(Object.keys((await m.getSession(s.id))!.resources)).toEqual(["vm-1"]);
    expect((await m.updateResources(s.id, [], ["vm-1"])).resources).toEqual({});
    clock.advance(1000);
    expect((await m.extendSession(s.id, 60_000)).expiresAt).toBe(s.expiresAt + 60_000);
    const handle = m.session(s.id);
    expect((await handle.extend()).expiresAt).toBe(s.expiresAt + 60_000 + 3_600_000);
    expect((await handle.activate()).state).toBe("active");
    expect((await handle.terminate("done")).state).toBe("terminated");
    await expect(m.updateVariables(s.id, { x: 1 })).rejects.toMatchObject({ code: "NOT_ACTIVE" });
    await expect(m.activateSession(s.id)).rejects.toMatchObject({ code: "ILLEGAL_TRANSITION" });
    await expect(m.extendSession("nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(seen.map((e) => e.type)).toEqual([
      "session:created",
      "session:created",
      "session:activated",
      "session:terminated",
    ]);
    expect(seen[3]?.event).toMatchObject({ sessionId: s.id, userId: "alice", reason: "done" });
  });

  it("hands out deeply frozen sessions, in memory and from a state directory, without freezing the caller's input", async () => {
    const deeplyFrozen = (value: unknown): boolean =>
      typeof value !== "object" ||
      value === null ||
      (Object.isFrozen(value) && Object.values(value).every(deeplyFrozen));
    for (const m of [
      await manager(),
      await manager({ sessionConfig: { persistState: true }, stateDirectory: dir(), env: {} }),
    ]) {
      const variables = { nested: { list: [1, { deep: true }] } };
      const auth = { method: "api-key" as const, credentials: { apiKey: "k" } };
      const created = await m.createSession({ userId: "u", variables, auth });
      expect(Object.isFrozen(variables) || Object.isFrozen(variables.nested)).toBe(false);
      const extra = { more: { x: [1] } };
      const updated = await m.updateVariables(created.id, extra);
      expect(Object.isFrozen(extra)).toBe(false);
      const read = await m.getSession(created.id);
      const [listed] = await m.listSessions();
      for (const s of [created, updated, read, listed]) expect(deeplyFrozen(s)).toBe(true);
      expect(read?.variables).toEqual({ nested: { list: [1, { deep: true }] }, more: { x: [1] } });
      expect(read?.auth?.credentials).toEqual({ apiKey: "k" });
    }
  });

  it("a session handed out is not changed by later updates, and the caller's objects stay the caller's", async () => {
    const m = await manager();
    const variables = { list: [1], nested: { a: 1 } };
    const metadata = { source: { name: "cli" } };
    const created = await m.createSession({ userId: "u", variables, metadata });
    variables.list.push(2); // after create: the stored copy does not see it
    metadata.source.name = "changed";
    const extra = { more: [1] };
    const updated = await m.updateVariables(created.id, extra);
    extra.more.push(2); // after update: neither
    const read = await m.getSession(created.id);
    expect(created.variables).toEqual({ list: [1], nested: { a: 1 } }); // what was handed out first stays
    expect(created.lastActivityAt).toBeLessThanOrEqual(updated.lastActivityAt);
    expect(updated.variables).toEqual({ list: [1], nested: { a: 1 }, more: [1] });
    expect(read?.variables).toEqual({ list: [1], nested: { a: 1 }, more: [1] });
    expect(read?.metadata).toEqual({ source: { name: "cli" } });
    expect(() => {
      (read?.variables["list"] as number[]).push(3);
    }).toThrow(TypeError);
    expect((await m.getSession(created.id))?.variables["list"]).toEqual([1]);
  });

  it("refuses bad input with a typed error naming the field", async () => {
    const m = await manager();
    await expect(m.createSession({ userId: "" })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      field: "userId",
    });
    await expect(m.createSession({ userId: "u", auth: { method: "nope" } } as never)).rejects.toMatchObject({
      field: "auth.method",
    });
    await expect(m.createSession({ userId: "u", variables: { when: new Date(0) } })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      field: "variables.when",
    });
    await expect(m.createSession({ userId: "u", timeout: 0 })).rejects.toMatchObject({ field: "timeout" });
  });

  it("updateVariables stores a copy of JSON input and refuses anything else with a typed error naming the path", async () => {
    const m = await manager();
    const s = await m.createSession({ userId: "u" });
    const extra = { nested: { list: [1] }, gone: undefined };
    await m.updateVariables(s.id, extra);
    extra.nested.list.push(2); // the caller's object stays the caller's
    expect((await m.getSession(s.id))?.variables).toEqual({ nested: { list: [1] } });
    for (const [bad, path] of [
      [{ when: new Date(0) }, "when"],
      [{ n: Number.NaN }, "n"],
      [{ list: [() => 1] }, "list"],
    ] as const) {
      await expect(m.updateVariables(s.id, bad as never)).rejects.toMatchObject({
        code: "VALIDATION_FAILED",
        field: expect.stringContaining(path),
      });
    }
    await expect(m.updateVariables(s.id, { [Symbol("s")]: 1 })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
    expect((await m.getSession(s.id))?.variables).toEqual({ nested: { list: [1] } });
  });

  it("enforces maxConcurrent with LIMIT_EXCEEDED and frees a slot on terminate", async () => {
    const m = await manager({ sessionConfig: { maxConcurrent: 2 } });
    const a = await m.createSession({ userId: "u" });
    await m.createSession({ userId: "u" });
    await expect(m.createSession({ userId: "u" })).rejects.toMatchObject({
      code: "LIMIT_EXCEEDED",
      field: "sessionConfig.maxConcurrent",
    });
    await m.terminateSession(a.id);
    await expect(m.createSession({ userId: "u" })).resolves.toMatchObject({ state: "active" });
    const burst = await Promise.allSettled([
      m.createSession({ userId: "u" }),
      m.createSession({ userId: "u" }),
    ]);
    expect(burst.every((r) => r.status === "rejected")).toBe(true);
  });

  it("sweeps every cleanupInterval, expiring sessions with session:expired (fake timers)", async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    const events = createEventBus();
    const seen = collect(events);
    const m = await manager({
      events,
      sessionConfig: { timeout: 10_000, cleanupInterval: 5_000, maxConcurrent: 1 },
    });
    const s = await m.createSession({ userId: "u" });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(seen.filter((e) => e.type === "session:expired")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(seen.filter((e) => e.type === "session:expired").map((e) => e.event.sessionId)).toEqual([s.id]);
    expect((await m.getSession(s.id))?.state).toBe("expired");
    await vi.advanceTimersByTimeAsync(20_000);
    expect(seen.filter((e) => e.type === "session:expired")).toHaveLength(1);
    await expect(m.createSession({ userId: "u" })).resolves.toBeDefined(); // the slot was freed
    const reopened = await m.activateSession(s.id).catch((e: unknown) => e);
    expect(reopened).toMatchObject({ code: "LIMIT_EXCEEDED" });
    await m.shutdown();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("refuses a cleanupInterval a Node timer cannot honour (it would sweep every millisecond), naming it", () => {
    expect(
      () =>
        new InfrastructureSessionManager({
          sessionConfig: { persistState: false, cleanupInterval: 2 ** 32 },
        }),
    ).toThrow(expect.objectContaining({ field: "sessionConfig.cleanupInterval" }) as Error);
  });

  it("refuses a lockStaleMs whose refresh timer could not be honoured, naming it", () => {
    expect(
      () => new InfrastructureSessionManager({ stateDirectory: "/tmp/unused", lockStaleMs: 2 ** 31 }),
    ).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED", field: "lockStaleMs" }) as Error);
  });

  it("expires lazily on read even between sweeps", async () => {
    const clock = fakeClock();
    const events = createEventBus();
    const seen = collect(events);
    const m = await manager({ events, now: clock.now, sessionConfig: { timeout: 1000 } });
    const s = await m.createSession({ userId: "u" });
    clock.advance(1000);
    expect((await m.getSession(s.id))?.state).toBe("expired");
    await expect(m.extendSession(s.id)).rejects.toMatchObject({ code: "NOT_ACTIVE" });
    expect((await m.activateSession(s.id)).expiresAt).toBe(clock.now() + 1000);
    expect(seen.map((e) => e.type)).toEqual(["session:created", "session:expired", "session:activated"]);
  });

  it("applies history limits maxEntries and retentionDays on append", async () => {
    const clock = fakeClock();
    const m = await manager({
      now: clock.now,
      commandConfig: { history: { maxEntries: 3, retentionDays: 1 } },
    });
    const s = await m.createSession({ userId: "u" });
    await m.appendHistory(s.id, historyEntry(clock.now() - 2 * 86_400_000, 0));
    for (let i = 1; i <= 5; i++) await m.appendHistory(s.id, historyEntry(clock.now(), i));
    expect((await m.getHistory(s.id)).map((h) => h.executionId)).toEqual(["e3", "e4", "e5"]);
    await expect(
      m.appendHistory(s.id, { ...historyEntry(1), status: "weird" } as never),
    ).rejects.toMatchObject({ field: "status" });
  });

  it("never stores a secret-keyed history param in plaintext, at any depth (core's redactSecrets)", async () => {
    const m = await manager();
    const s = await m.createSession({ userId: "u" });
    await m.appendHistory(s.id, {
      ...historyEntry(Date.now()),
      params: { name: "db", options: { password: SECRET, list: [{ apiKeys: [SECRET] }] }, auth: SECRET },
    });
    const [stored] = await m.getHistory(s.id);
    expect(stored?.params).toEqual({
      name: "db",
      options: { password: "[REDACTED]", list: [{ apiKeys: "[REDACTED]" }] },
      auth: "[REDACTED]",
    });
    expect(JSON.stringify(await m.getHistory(s.id))).not.toContain(SECRET);
  });

  it("takes a pending operation exactly once, also across two managers over one storage", async () => {
    const storage = new InMemorySessionStorage();
    const a = await manager({ storage });
    const b = await manager({ storage });
    const s = await a.createSession({ userId: "u" });
    await a.addPendingOperation(s.id, pendingOp("op-1"));
    await expect(a.addPendingOperation(s.id, pendingOp("op-1"))).rejects.toMatchObject({
      code: "ALREADY_EXISTS",
    });
    const takes = await Promise.all([
      a.takePendingOperation(s.id, "op-1"),
      b.takePendingOperation(s.id, "op-1"),
      a.takePendingOperation(s.id, "op-1"),
      b.takePendingOperation(s.id, "op-1"),
    ]);
    expect(takes.filter((t) => t !== undefined)).toHaveLength(1);
    expect(await a.takePendingOperation("missing", "op-1")).toBeUndefined();
    // concurrent updates from both managers are all kept
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).updateVariables(s.id, { [`k${i}`]: i })),
    );
    expect(Object.keys((await a.getSession(s.id))!.variables)).toHaveLength(20);
    await storage.close();
  });

  it("claims a pending operation for exactly one of racing resumes across two managers; release keeps it, complete removes it", async () => {
    const clock = fakeClock();
    const storage = new InMemorySessionStorage({ now: clock.now });
    const a = await manager({ storage, now: clock.now });
    const b = await manager({ storage, now: clock.now });
    const s = await a.createSession({ userId: "u" });
    await a.addPendingOperation(s.id, pendingOp("op-1"));
    const until = clock.now() + 1_000;
    const claims = await Promise.all(
      ["c1", "c2", "c3", "c4"].map((id, i) =>
        (i % 2 === 0 ? a : b).claimPendingOperation(s.id, "op-1", { id, until }),
      ),
    );
    const won = claims.flatMap((c, i) => (c.ok ? [`c${i + 1}`] : []));
    expect(won).toHaveLength(1);
    expect(claims.filter((c) => !c.ok)).toEqual([
      { ok: false, reason: "claimed" },
      { ok: false, reason: "claimed" },
      { ok: false, reason: "claimed" },
    ]);
    const winner = won[0] ?? "";
    const loser = winner === "c1" ? "c2" : "c1";
    expect(await b.completePendingOperation(s.id, "op-1", loser)).toBe(false);
    expect(
      await b.releasePendingOperation(s.id, "op-1", winner, { approvalId: "ap-2", kind: "confirmation" }),
    ).toBe(true);
    const waiting = (await a.getSession(s.id))!.pendingOperations;
    expect(waiting).toMatchObject([{ id: "op-1", approvalId: "ap-2", kind: "confirmation" }]);
    expect(waiting[0]?.claim).toBeUndefined();
    // an abandoned claim (its holder died) lapses after `until`
    expect((await a.claimPendingOperation(s.id, "op-1", { id: "dead", until: clock.now() + 10 })).ok).toBe(
      true,
    );
    expect(await b.claimPendingOperation(s.id, "op-1", { id: "late", until: clock.now() + 10 })).toEqual({
      ok: false,
      reason: "claimed",
    });
    clock.advance(11);
    expect((await b.claimPendingOperation(s.id, "op-1", { id: "late", until: clock.now() + 10 })).ok).toBe(
      true,
    );
    expect(await a.completePendingOperation(s.id, "op-1", "dead")).toBe(false);
    expect(await a.completePendingOperation(s.id, "op-1", "late")).toBe(true);
    expect((await a.getSession(s.id))!.pendingOperations).toEqual([]);
    expect(await a.claimPendingOperation(s.id, "op-1", { id: "x", until })).toEqual({
      ok: false,
      reason: "not-found",
    });
    expect(await a.claimPendingOperation("missing", "op-1", { id: "x", until })).toEqual({
      ok: false,
      reason: "not-found",
    });
    await storage.close();
  });

  it("persists to a state directory with credentials and pending params encrypted at rest", async () => {
    const d = dir();
    const { logger, lines } = capturingLogger();
    const first = await createInfrastructureSessionManager({ stateDirectory: d, logger, env: {} });
    const s = await first.createSession({
      userId: "u",
      auth: { method: "api-key", credentials: { apiKey: SECRET } },
    });
    await first.addPendingOperation(s.id, pendingOp("op-1"));
    await first.shutdown();
    const onDisk = readdirSync(join(d, "records"))
      .map((f) => readFileSync(join(d, "records", f), "utf8"))
      .join("\n");
    expect(onDisk).toContain(s.id);
    expect(onDisk).not.toContain(SECRET);
    expect(onDisk).toContain('"kid"');
    const second = await createInfrastructureSessionManager({ stateDirectory: d, logger, env: {} });
    defer(() => second.shutdown());
    const back = await second.getSession(s.id);
    expect(back?.auth?.credentials).toEqual({ apiKey: SECRET });
    expect(back?.pendingOperations[0]?.params).toEqual({ name: "db", password: SECRET });
    await second.terminateSession(s.id);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("\n")).not.toContain(SECRET);
  });

  it("rotates the generated key after keyRotationDays while running; every session still decrypts after a restart", async () => {
    const d = dir();
    const clock = fakeClock();
    const options = { stateDirectory: d, env: {}, now: clock.now, sessionConfig: { timeout: 400 * DAY_MS } };
    const first = await createInfrastructureSessionManager(options);
    const auth = (n: number) => ({ method: "api-key" as const, credentials: { apiKey: `${SECRET}-${n}` } });
    const before = await first.createSession({ userId: "u", auth: auth(1) });
    clock.advance(91 * DAY_MS);
    const after = await first.createSession({ userId: "u", auth: auth(2) });
    await first.shutdown();
    const kids = readdirSync(join(d, "records")).map(
      (f) => /"kid":"([^"]+)"/.exec(readFileSync(join(d, "records", f), "utf8"))?.[1],
    );
    expect(new Set(kids).size).toBe(2);
    const ring = JSON.parse(readFileSync(join(d, KEYRING_FILE), "utf8")) as { keys: unknown[] };
    expect(ring.keys).toHaveLength(2);
    const second = await createInfrastructureSessionManager(options);
    defer(() => second.shutdown());
    expect((await second.getSession(before.id))?.auth?.credentials).toEqual(auth(1).credentials);
    expect((await second.getSession(after.id))?.auth?.credentials).toEqual(auth(2).credentials);
    expect(second.problems).toEqual([]);
  });

  it("a session under a wrong key is CRYPTO_FAILED (reported); the others load", async () => {
    const d = dir();
    const keyA = randomBytes(32).toString("base64");
    const keyB = randomBytes(32).toString("base64");
    const a = await createInfrastructureSessionManager({
      stateDirectory: d,
      env: { [ENCRYPTION_KEY_ENV]: keyA },
    });
    const secret = await a.createSession({
      userId: "u",
      auth: { method: "token", credentials: { token: SECRET } },
    });
    await a.shutdown();
    const b = await createInfrastructureSessionManager({
      stateDirectory: d,
      env: { [ENCRYPTION_KEY_ENV]: keyB },
    });
    const plain = await b.createSession({ userId: "v" });
    await b.shutdown();
    const { logger, lines } = capturingLogger();
    const c = await createInfrastructureSessionManager({
      stateDirectory: d,
      env: { [ENCRYPTION_KEY_ENV]: keyB },
      logger,
    });
    defer(() => c.shutdown());
    expect((await c.listSessions()).map((x) => x.id)).toEqual([plain.id]);
    expect(c.problems.map((p) => [p.kind, p.key, p.error.code])).toEqual([
      ["crypto", secret.id, "CRYPTO_FAILED"],
    ]);
    const error: unknown = await c.getSession(secret.id).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "CRYPTO_FAILED" });
    expect(String((error as Error).message)).not.toContain(SECRET);
    expect(lines.join("\n")).not.toContain(SECRET);
    expect(lines.join("\n")).not.toContain(keyA);
  });

  it("tightens a keyring left 0644 on start, reports it once to onProblem and the logger, and never logs the key", async () => {
    const d = dir();
    const a = await createInfrastructureSessionManager({ stateDirectory: d, env: {} });
    const kept = await a.createSession({
      userId: "u",
      auth: { method: "token", credentials: { token: SECRET } },
    });
    await a.shutdown();
    const path = join(d, KEYRING_FILE);
    chmodSync(path, 0o644);
    const material =
      (JSON.parse(readFileSync(path, "utf8")) as { keys: { material: string }[] }).keys[0]?.material ?? "";
    const { logger, lines } = capturingLogger();
    const seen: StoreProblem[] = [];
    const b = await createInfrastructureSessionManager({
      stateDirectory: d,
      env: {},
      logger,
      onProblem: (p) => seen.push(p),
    });
    defer(() => b.shutdown());
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(seen.map((p) => p.kind)).toEqual(["permissions"]);
    expect(b.problems.map((p) => [p.kind, p.file])).toEqual([["permissions", path]]);
    expect(lines.filter((l) => l.includes("tightened it to 0600"))).toHaveLength(1);
    expect(material).not.toBe("");
    expect(lines.join("\n")).not.toContain(material);
    expect((await b.getSession(kept.id))?.auth?.credentials).toEqual({ token: SECRET });
  });

  it("quarantines a stored session that fails its schema and loads the others", async () => {
    const d = dir();
    const a = await createInfrastructureSessionManager({ stateDirectory: d, env: {} });
    const good = await a.createSession({ userId: "u" });
    await a.shutdown();
    const { FileStateStore } = await import("./fileStateStore.js");
    const store = await FileStateStore.open({ directory: d });
    await store.put("sessions/broken", { v: 1, session: { id: "broken", userId: 5 } });
    await store.close();
    const b = await createInfrastructureSessionManager({ stateDirectory: d, env: {} });
    defer(() => b.shutdown());
    expect((await b.listSessions()).map((s) => s.id)).toEqual([good.id]);
    expect(b.problems.map((p) => [p.kind, p.key])).toEqual([["invalid", "broken"]]);
    expect(readdirSync(join(d, "quarantine")).some((f) => f.includes("session"))).toBe(true);
  });

  it("shutdown() clears the sweep timer, is safe twice, and later calls fail with SHUTDOWN", async () => {
    const d = dir();
    const before = process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const m = await createInfrastructureSessionManager({ stateDirectory: d, env: {} });
    await m.createSession({ userId: "u" });
    await m.shutdown();
    await m.shutdown();
    await new Promise((r) => setImmediate(r));
    expect(process.getActiveResourcesInfo().filter((r) => r === "Timeout").length).toBeLessThanOrEqual(
      before,
    );
    await expect(m.getSession("x")).rejects.toMatchObject({ code: "SHUTDOWN" });
  });
});
