import { describe, expect, it } from "vitest";
import type { CommandHistoryEntry, JsonValue, LogEntry, StateStore } from "@espada/infra-core";
import { createInfrastructureSessionManager } from "./sessionManager.js";
import type { InfrastructureSessionManager, SessionManagerOptions } from "./sessionManager.js";
import { HISTORY_LOG_PREFIX, SESSION_KEY_PREFIX, StateSessionStorage } from "./sessionStorage.js";
import { InMemoryStateStore } from "./memoryStateStore.js";
import { FileStateStore } from "./fileStateStore.js";
import { capturingLogger } from "../test/capturingLogger.js";
import { fakeClock, cleanupAfterEach } from "../test/helpers.js";

const DAY_MS = 86_400_000;
const { defer, dir: dirPath } = cleanupAfterEach();

function entry(n: number, startedAt = Date.now()): CommandHistoryEntry {
  return {
    executionId: `e${n}`,
    commandId: "vm.list",
    providerId: "p",
    userId: "u",
    params: { n },
    status: "succeeded",
    dryRun: false,
    startedAt,
    duration: 1,
    affectedResources: [],
  };
}

/** A store whose appends (or trims) can be made to fail, to prove what a failing disk loses. */
class FlakyStore extends InMemoryStateStore {
  failAppends = false;
  failTrims = false;
  appends = 0;
  override append<T extends JsonValue>(log: string, value: T): Promise<LogEntry<T>> {
    this.appends++;
    if (this.failAppends) return Promise.reject(new Error("disk full"));
    return super.append(log, value);
  }
  override trim(log: string, options: Parameters<StateStore["trim"]>[1]): Promise<number> {
    if (this.failTrims) return Promise.reject(new Error("disk full"));
    return super.trim(log, options);
  }
}

/** A store counting (or failing) compare-and-set writes of session records. */
class CountingStore extends InMemoryStateStore {
  sessionWrites = 0;
  failSessionWrites = false;
  override compareAndSet<T extends JsonValue>(
    key: string,
    expectedVersion: number,
    value: T,
    options?: Parameters<StateStore["compareAndSet"]>[3],
  ) {
    if (key.startsWith(SESSION_KEY_PREFIX)) {
      this.sessionWrites++;
      if (this.failSessionWrites) return Promise.reject(new Error("disk full"));
    }
    return super.compareAndSet(key, expectedVersion, value, options);
  }
}

async function managerOver(
  store: StateStore,
  options: SessionManagerOptions = {},
): Promise<InfrastructureSessionManager> {
  const storage = new StateSessionStorage({ store, parse: false });
  const m = await createInfrastructureSessionManager({
    ...options,
    storage,
    sessionConfig: { persistState: false, maxConcurrent: 1000, ...options.sessionConfig },
  });
  defer(() => m.shutdown());
  return m;
}

async function fileManager(
  directory: string,
  options: SessionManagerOptions = {},
): Promise<InfrastructureSessionManager> {
  const m = await createInfrastructureSessionManager({
    ...options,
    stateDirectory: directory,
    env: {},
    sessionConfig: { maxConcurrent: 1000, ...options.sessionConfig },
  });
  defer(() => m.shutdown());
  return m;
}

describe("session history as an append-only log", () => {
  it("an append never puts history into the session record: the record stays the same size at entry 1 and entry 50", async () => {
    const clock = fakeClock();
    const store = new InMemoryStateStore({ now: clock.now });
    const m = await managerOver(store, { now: clock.now });
    const s = await m.createSession({ userId: "u" });
    const sizes: number[] = [];
    for (let i = 0; i < 50; i++) {
      clock.advance(1);
      await m.appendHistory(s.id, entry(i));
      sizes.push(JSON.stringify((await store.get(SESSION_KEY_PREFIX + s.id))?.value).length);
    }
    expect(new Set(sizes).size).toBe(1); // only lastActivityAt (same width) changed
    expect((await m.getHistory(s.id)).map((h) => h.executionId)).toEqual(
      Array.from({ length: 50 }, (_, i) => `e${i}`),
    );
    expect(await m.getSession(s.id)).not.toHaveProperty("history");
  });

  it("an append moves lastActivityAt of an active session to the time of the append (memory and file, across a restart)", async () => {
    for (const onFile of [false, true]) {
      const clock = fakeClock();
      const directory = onFile ? dirPath() : "";
      let m = onFile
        ? await fileManager(directory, { now: clock.now })
        : await managerOver(new InMemoryStateStore({ now: clock.now }), { now: clock.now });
      const s = await m.createSession({ userId: "u" });
      expect(s.lastActivityAt).toBe(clock.now());
      clock.advance(5_000);
      await m.appendHistory(s.id, entry(1, clock.now()));
      expect((await m.getSession(s.id))?.lastActivityAt).toBe(clock.now());
      const touchedAt = clock.now();
      if (onFile) {
        await m.shutdown();
        m = await fileManager(directory, { now: clock.now });
        expect((await m.getSession(s.id))?.lastActivityAt).toBe(touchedAt);
      }
    }
  });

  it("touches of a burst of appends are coalesced into few record writes, and lastActivityAt never moves back", async () => {
    const clock = fakeClock();
    const store = new CountingStore({ now: clock.now });
    const m = await managerOver(store, { now: clock.now });
    const s = await m.createSession({ userId: "u" });
    store.sessionWrites = 0;
    clock.advance(1_000);
    await Promise.all(Array.from({ length: 100 }, (_, i) => m.appendHistory(s.id, entry(i))));
    expect(store.sessionWrites).toBeLessThanOrEqual(2); // the one in flight and ONE for every later append
    expect((await m.getSession(s.id))?.lastActivityAt).toBe(clock.now());
    clock.set(clock.now() - 500); // a clock stepping back does not move it back
    await m.appendHistory(s.id, entry(100));
    expect((await m.getSession(s.id))?.lastActivityAt).toBe(clock.now() + 500);
    expect(await m.getHistory(s.id)).toHaveLength(101);
  });

  it("appends at a time the session's last activity already reached write no session record", async () => {
    const clock = fakeClock();
    const store = new CountingStore({ now: clock.now });
    const m = await managerOver(store, { now: clock.now });
    const s = await m.createSession({ userId: "u" });
    clock.advance(10);
    await m.appendHistory(s.id, entry(0));
    store.sessionWrites = 0;
    for (let i = 1; i <= 20; i++) await m.appendHistory(s.id, entry(i)); // the same millisecond
    expect(store.sessionWrites).toBe(0);
    clock.advance(1);
    await m.appendHistory(s.id, entry(21));
    expect(store.sessionWrites).toBe(1);
    expect((await m.getSession(s.id))?.lastActivityAt).toBe(clock.now());
    expect(await m.getHistory(s.id)).toHaveLength(22);
  });

  it("an entry redacted already is stored as given (a copy: the caller's object stays its own); one with a secret is redacted", async () => {
    const m = await managerOver(new InMemoryStateStore());
    const s = await m.createSession({ userId: "u" });
    const redacted = {
      ...entry(1),
      params: { name: "db", password: "[REDACTED]", nested: [{ token: "[REDACTED]" }] },
    };
    await m.appendHistory(s.id, redacted);
    const withSecret = { ...entry(2), params: { name: "db", nested: [{ token: "t0ps3cret" }] } };
    await m.appendHistory(s.id, withSecret);
    expect(Object.isFrozen(redacted) || Object.isFrozen(redacted.params)).toBe(false);
    expect(withSecret.params.nested[0]?.token).toBe("t0ps3cret");
    const [first, second] = await m.getHistory(s.id);
    expect(first).toEqual(redacted);
    expect(second?.params).toEqual({ name: "db", nested: [{ token: "[REDACTED]" }] });
  });

  it("an append to an ended session does not touch it (its purge is not postponed)", async () => {
    const clock = fakeClock();
    const store = new InMemoryStateStore({ now: clock.now });
    const m = await managerOver(store, { now: clock.now, endedSessionRetentionMs: 1_000 });
    const s = await m.createSession({ userId: "u" });
    const ended = await m.terminateSession(s.id);
    clock.advance(600);
    await m.appendHistory(s.id, entry(1));
    expect((await m.getSession(s.id))?.lastActivityAt).toBe(ended.lastActivityAt);
    clock.advance(400);
    expect(await m.getSession(s.id)).toBeUndefined();
  });

  it("a failing touch never fails the append: the entry is stored and the failure logged", async () => {
    const clock = fakeClock();
    const store = new CountingStore({ now: clock.now });
    const { logger, lines } = capturingLogger();
    const m = await managerOver(store, { logger, now: clock.now });
    const s = await m.createSession({ userId: "u" });
    clock.advance(1); // a later time: the append has something to touch
    store.failSessionWrites = true;
    await m.appendHistory(s.id, entry(1));
    store.failSessionWrites = false;
    expect((await m.getHistory(s.id)).map((h) => h.executionId)).toEqual(["e1"]);
    expect(lines.join("\n")).toMatch(/Could not record the last activity/);
  });

  it("keeps every one of many concurrent appends, in call order (memory and file)", async () => {
    for (const onFile of [false, true]) {
      const m = onFile ? await fileManager(dirPath()) : await managerOver(new InMemoryStateStore());
      const sessions = await Promise.all([
        m.createSession({ userId: "a" }),
        m.createSession({ userId: "b" }),
      ]);
      const appends: Promise<void>[] = [];
      for (let i = 0; i < 300; i++)
        appends.push(m.appendHistory((sessions[i % 2] as { id: string }).id, entry(i)));
      await Promise.all(appends);
      for (const [k, s] of sessions.entries()) {
        const ids = (await m.getHistory(s.id)).map((h) => h.executionId);
        expect(ids).toEqual(Array.from({ length: 150 }, (_, i) => `e${2 * i + k}`));
      }
    }
  });

  it("keeps appends that race with every other kind of session change", async () => {
    const m = await managerOver(new InMemoryStateStore());
    const s = await m.createSession({ userId: "u" });
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++) {
      work.push(m.appendHistory(s.id, entry(i)));
      if (i % 10 === 0) work.push(m.updateVariables(s.id, { [`v${i}`]: i }));
      if (i % 25 === 0) work.push(m.extendSession(s.id));
    }
    await Promise.all(work);
    expect((await m.getHistory(s.id)).map((h) => h.executionId)).toEqual(
      Array.from({ length: 100 }, (_, i) => `e${i}`),
    );
    expect(Object.keys((await m.getSession(s.id))?.variables ?? {})).toHaveLength(10);
  });

  it("a throwing store: the append rejects typed, the session and earlier entries stay, later appends work", async () => {
    const store = new FlakyStore();
    const m = await managerOver(store);
    const s = await m.createSession({ userId: "u" });
    await m.appendHistory(s.id, entry(1));
    store.failAppends = true;
    await expect(m.appendHistory(s.id, entry(2))).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    store.failAppends = false;
    await m.appendHistory(s.id, entry(3));
    expect((await m.getHistory(s.id)).map((h) => h.executionId)).toEqual(["e1", "e3"]);
    expect((await m.getSession(s.id))?.state).toBe("active");
  });

  it("a failing trim never loses the acknowledged entry; the next trim catches up", async () => {
    const store = new FlakyStore();
    const m = await managerOver(store, { commandConfig: { history: { maxEntries: 8 } } });
    const s = await m.createSession({ userId: "u" });
    store.failTrims = true;
    for (let i = 0; i < 20; i++) await m.appendHistory(s.id, entry(i));
    expect(await store.read(HISTORY_LOG_PREFIX + s.id)).toHaveLength(20);
    expect((await m.getHistory(s.id)).map((h) => h.executionId)).toEqual(
      Array.from({ length: 8 }, (_, i) => `e${12 + i}`),
    );
    store.failTrims = false;
    await m.appendHistory(s.id, entry(20));
    await m.appendHistory(s.id, entry(21));
    expect((await store.read(HISTORY_LOG_PREFIX + s.id)).length).toBeLessThanOrEqual(8 + 1);
  });

  it("keeps the stored log within maxEntries + maxEntries/8 and reads exactly maxEntries", async () => {
    const store = new InMemoryStateStore();
    const m = await managerOver(store, { commandConfig: { history: { maxEntries: 40 } } });
    const s = await m.createSession({ userId: "u" });
    for (let i = 0; i < 1000; i++) {
      await m.appendHistory(s.id, entry(i));
      expect((await store.read(HISTORY_LOG_PREFIX + s.id)).length).toBeLessThanOrEqual(45);
    }
    const history = await m.getHistory(s.id);
    expect(history.map((h) => h.executionId)).toEqual(Array.from({ length: 40 }, (_, i) => `e${960 + i}`));
    expect((await m.getHistory(s.id, { limit: 3 })).map((h) => h.executionId)).toEqual([
      "e997",
      "e998",
      "e999",
    ]);
    await expect(m.getHistory(s.id, { limit: 0 })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      field: "limit",
    });
  });

  it("drops entries past retentionDays on read and on trim", async () => {
    const clock = fakeClock();
    const store = new InMemoryStateStore({ now: clock.now });
    const m = await managerOver(store, {
      now: clock.now,
      commandConfig: { history: { maxEntries: 8, retentionDays: 1 } },
    });
    const s = await m.createSession({ userId: "u", timeout: 10 * DAY_MS });
    for (let i = 0; i < 4; i++) await m.appendHistory(s.id, entry(i, clock.now()));
    clock.advance(DAY_MS + 1);
    for (let i = 4; i < 6; i++) await m.appendHistory(s.id, entry(i, clock.now()));
    expect((await m.getHistory(s.id)).map((h) => h.executionId)).toEqual(["e4", "e5"]);
    for (let i = 6; i < 8; i++) await m.appendHistory(s.id, entry(i, clock.now())); // the 8th append trims
    expect(
      (await store.read(HISTORY_LOG_PREFIX + s.id)).map(
        (e) => (e.value as { executionId: string }).executionId,
      ),
    ).toEqual(["e4", "e5", "e6", "e7"]);
  });

  it("refuses unknown sessions and bad entries with typed errors, storing nothing", async () => {
    const store = new FlakyStore();
    const m = await managerOver(store);
    const s = await m.createSession({ userId: "u" });
    await expect(m.appendHistory("missing", entry(1))).rejects.toMatchObject({
      code: "NOT_FOUND",
      field: "sessionId",
    });
    await expect(m.appendHistory(s.id, { ...entry(1), params: { when: new Date() } })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      field: "params.when",
    });
    await expect(m.getHistory("missing")).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(store.appends).toBe(0);
  });

  it("survives a restart, and an ended session's history is purged with it after the retention", async () => {
    const clock = fakeClock();
    const directory = dirPath();
    const options = { now: clock.now, endedSessionRetentionMs: 1000 };
    let m = await fileManager(directory, options);
    const s = await m.createSession({ userId: "u" });
    for (let i = 0; i < 5; i++) await m.appendHistory(s.id, entry(i, clock.now()));
    await m.shutdown();
    m = await fileManager(directory, options);
    expect(await m.getHistory(s.id)).toHaveLength(5);
    await m.terminateSession(s.id);
    clock.advance(999);
    expect(await m.getHistory(s.id)).toHaveLength(5); // an ended session stays readable for the retention
    clock.advance(1);
    expect(await m.getSession(s.id)).toBeUndefined();
    await m.cleanupExpiredSessions();
    await m.shutdown();
    const store = await FileStateStore.open({ directory, now: clock.now });
    defer(() => store.close());
    expect(await store.get(SESSION_KEY_PREFIX + s.id)).toBeUndefined();
    expect(await store.read(HISTORY_LOG_PREFIX + s.id)).toEqual([]);
    expect(await store.deleteLog(HISTORY_LOG_PREFIX + s.id)).toBe(false); // nothing left behind
  });
});
