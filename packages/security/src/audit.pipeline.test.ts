// The audit log's pipeline on the file store: the next batch is chained and written while the one
// before it is being synced, records are acknowledged strictly in order, and a failed batch takes
// every batch chained on it with it. Every disk step waits for a gate the test opens or fails
// (injected io), so nothing here depends on timing.
import { mkdtempSync, rmSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { AppendAtResult, AuditEventInput, JsonValue, StateStore } from "@espada/infra-core";
import { FileStateStore } from "@espada/infra-sessions";
import { InfrastructureAuditLogger } from "./audit.js";
import { memoryStore } from "../test/support.js";

const KEY = Buffer.alloc(32, 3);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function dir(): string {
  const d = mkdtempSync(join(tmpdir(), "espada-audit-pipeline-"));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const event = (i: number): AuditEventInput => ({
  type: "operation_requested",
  actor: `user-${i % 3}`,
  operationId: `op-${i}`,
  details: { i },
});

interface Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve = (_: T): void => undefined;
  let reject = (_: Error): void => undefined;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

/**
 * A batch big enough to be sent while another is in flight (the logger holds smaller ones back
 * until the batch in flight is answered): `count` records from `from` on, as one promise.
 */
function records(
  logger: InfrastructureAuditLogger,
  from: number,
  count = 64,
): Promise<{ seq: number; hash: string }[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => logger.append(event(from + i))));
}

/** Waits (one macrotask at a time, no clock) until `ready` holds. */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((resolve) => setImmediate(resolve));
}

/** Lets pending callbacks run (a few macrotask turns); used only to show something has NOT happened. */
async function settleTurns(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

function track<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  return { promise, settled: () => done };
}

/** A file store whose log writes and fdatasyncs each wait for a gate the test opens or fails. */
async function gatedStore(directory: string): Promise<{
  store: FileStateStore;
  writes: Deferred[];
  syncs: Deferred[];
  done: string[];
}> {
  const writes: Deferred[] = [];
  const syncs: Deferred[] = [];
  const done: string[] = [];
  const store = await FileStateStore.open({
    directory,
    io: {
      appendBytes: async (handle: FileHandle, data: Uint8Array) => {
        const gate = deferred();
        const n = writes.push(gate);
        await gate.promise;
        await handle.write(data);
        done.push(`write ${n}`);
      },
      syncLog: async (handle: FileHandle) => {
        const gate = deferred();
        const n = syncs.push(gate);
        await gate.promise;
        await handle.datasync();
        done.push(`sync ${n}`);
      },
    },
  });
  cleanups.push(() => store.close());
  return { store, writes, syncs, done };
}

/** Reopens the directory without gates and verifies the chain there. */
async function verifyReopened(directory: string): Promise<unknown> {
  const store = await FileStateStore.open({ directory });
  try {
    const logger = await InfrastructureAuditLogger.open({ store, key: KEY });
    const result = await logger.verify();
    await logger.close();
    return result;
  } finally {
    await store.close();
  }
}

const eio = (): Error => Object.assign(new Error("EIO: i/o error"), { code: "EIO" });

describe("InfrastructureAuditLogger pipeline (file store)", () => {
  it("chains and writes the next batch while the one before is syncing, and acknowledges in order", async () => {
    const d = dir();
    const g = await gatedStore(d);
    const logger = await InfrastructureAuditLogger.open({ store: g.store, key: KEY });
    const a = track(logger.append(event(0)));
    await until(() => g.writes.length === 1);
    g.writes[0]?.resolve();
    await until(() => g.syncs.length === 1); // batch A is syncing …
    const b = track(records(logger, 1));
    await until(() => g.writes.length === 2); // … while batch B is chained and handed to the store
    g.writes[1]?.resolve();
    await until(() => g.done.includes("write 2"));
    await settleTurns();
    expect(b.settled()).toBe(false); // not durable yet: the sync after A's covers it
    expect(a.settled()).toBe(false);
    g.syncs[0]?.resolve();
    expect((await a.promise).seq).toBe(0);
    await until(() => g.syncs.length === 2);
    await settleTurns();
    expect(b.settled()).toBe(false);
    g.syncs[1]?.resolve();
    expect((await b.promise).map((r) => r.seq)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    expect(await logger.verify()).toEqual({ ok: true, records: 65 });
    await logger.close();
    await g.store.close();
    expect(await verifyReopened(d)).toEqual({ ok: true, records: 65 });
  });

  it("a failed sync of batch N rejects N and N+1 in flight, acknowledges nothing later, and the chain continues", async () => {
    const d = dir();
    const g = await gatedStore(d);
    const logger = await InfrastructureAuditLogger.open({ store: g.store, key: KEY });
    const first = logger.append(event(0));
    await until(() => g.writes.length === 1);
    g.writes[0]?.resolve();
    await until(() => g.syncs.length === 1);
    g.syncs[0]?.resolve();
    await first;
    const n = track(logger.append(event(1)));
    await until(() => g.writes.length === 2);
    g.writes[1]?.resolve();
    await until(() => g.syncs.length === 2);
    const n1 = track(records(logger, 2)); // chained on N, which is not durable yet
    await until(() => g.writes.length === 3);
    g.writes[2]?.resolve();
    await until(() => g.done.includes("write 3"));
    g.syncs[1]?.reject(eio()); // N's sync fails
    await expect(n.promise).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    await until(() => g.syncs.length === 3);
    g.syncs[2]?.resolve(); // the sync after it succeeds, yet N+1 was chained on N
    await expect(n1.promise).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    expect(logger.size).toBe(1);
    const next = track(logger.append(event(99)));
    await until(() => g.writes.length === 4);
    g.writes[3]?.resolve();
    await until(() => g.syncs.length === 4);
    g.syncs[3]?.resolve();
    expect((await next.promise).seq).toBe(1);
    expect(await logger.verify()).toEqual({ ok: true, records: 2 });
    await logger.close();
    await g.store.close();
    expect(await verifyReopened(d)).toEqual({ ok: true, records: 2 });
  });

  it("a failed write of batch N rejects N+1 queued behind it; a record after the failure is written", async () => {
    const d = dir();
    const g = await gatedStore(d);
    const logger = await InfrastructureAuditLogger.open({ store: g.store, key: KEY });
    const n = track(logger.append(event(0)));
    await until(() => g.writes.length === 1);
    const n1 = track(records(logger, 1));
    await settleTurns(); // N+1 is chained and handed over, waiting behind N's write
    g.writes[0]?.reject(Object.assign(new Error("ENOSPC"), { code: "ENOSPC" }));
    await expect(n.promise).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    await expect(n1.promise).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    expect(g.writes).toHaveLength(1); // N+1 never reached the disk
    const next = track(logger.append(event(99)));
    await until(() => g.writes.length === 2);
    g.writes[1]?.resolve();
    await until(() => g.syncs.length === 1);
    g.syncs[0]?.resolve();
    expect((await next.promise).seq).toBe(0);
    await logger.close();
    await g.store.close();
    expect(await verifyReopened(d)).toEqual({ ok: true, records: 1 });
  });

  it("close() with batches in flight (a hanging sync) waits for them; what was acknowledged verifies", async () => {
    const d = dir();
    const g = await gatedStore(d);
    const logger = await InfrastructureAuditLogger.open({ store: g.store, key: KEY });
    const a = track(logger.append(event(0)));
    await until(() => g.writes.length === 1);
    g.writes[0]?.resolve();
    await until(() => g.syncs.length === 1); // hangs until the test opens it
    const b = track(records(logger, 1));
    await until(() => g.writes.length === 2);
    g.writes[1]?.resolve();
    await until(() => g.done.includes("write 2"));
    const closing = track(logger.close());
    await settleTurns();
    expect(closing.settled()).toBe(false);
    expect(a.settled()).toBe(false);
    g.syncs[0]?.resolve();
    await until(() => g.syncs.length === 2);
    await settleTurns();
    expect(closing.settled()).toBe(false);
    g.syncs[1]?.resolve();
    await closing.promise;
    expect((await a.promise).seq).toBe(0);
    expect((await b.promise).at(-1)?.seq).toBe(64);
    await expect(logger.append(event(99))).rejects.toMatchObject({ code: "SHUTDOWN" });
    await g.store.close();
    expect(await verifyReopened(d)).toEqual({ ok: true, records: 65 });
  });
});

/**
 * A memory store whose `appendAt` calls wait for the test: each is held until the test forwards it
 * to the store (`pass`) or fails it (`fail`), in any order.
 */
function heldStore(): { store: StateStore; calls: { pass(): void; fail(error: Error): void }[] } {
  const inner = memoryStore();
  const calls: { pass(): void; fail(error: Error): void }[] = [];
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      if (property !== "appendAt") return Reflect.get(target, property, receiver) as unknown;
      return (log: string, expected: number, values: readonly JsonValue[]) =>
        new Promise<AppendAtResult>((resolve, reject) => {
          calls.push({
            pass: () => void inner.appendAt(log, expected, values).then(resolve, reject),
            fail: reject,
          });
        });
    },
  });
  return { store, calls };
}

describe("InfrastructureAuditLogger pipeline (any single-writer store with appendAt)", () => {
  it("a batch chained on a failed one is refused by the store and rejected, and the head resyncs", async () => {
    const { store, calls } = heldStore();
    const logger = await InfrastructureAuditLogger.open({ store, key: KEY });
    const n = track(logger.append(event(0)));
    await until(() => calls.length === 1);
    const n1 = track(records(logger, 1));
    await until(() => calls.length === 2);
    calls[1]?.pass(); // reaches the store after N failed: the log does not end where it was chained
    await settleTurns();
    expect(n1.settled()).toBe(false); // answered only after N
    calls[0]?.fail(eio());
    await expect(n.promise).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    await expect(n1.promise).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    expect(await store.read("security/audit")).toEqual([]);
    const next = track(logger.append(event(99)));
    await until(() => calls.length === 3);
    calls[2]?.pass();
    expect((await next.promise).seq).toBe(0);
    expect(await logger.verify()).toEqual({ ok: true, records: 1 });
  });

  it("sends a batch while another is in flight only once it is worth a write; at most two in flight", async () => {
    const { store, calls } = heldStore();
    const logger = await InfrastructureAuditLogger.open({ store, key: KEY });
    const first = logger.append(event(0));
    await until(() => calls.length === 1);
    const small = records(logger, 1, 63);
    await settleTurns();
    expect(calls).toHaveLength(1); // 63 records wait for the batch in flight
    const one = logger.append(event(64)); // the 64th: worth a batch of its own
    await until(() => calls.length === 2);
    const more = records(logger, 65, 100);
    await settleTurns();
    expect(calls).toHaveLength(2); // two in flight: the rest wait
    calls[0]?.pass();
    await until(() => calls.length === 3); // the 100 go out together once one is answered
    calls[1]?.pass();
    calls[2]?.pass();
    const done = [await first, ...(await small), await one, ...(await more)];
    expect(done.map((r) => r.seq)).toEqual(Array.from({ length: 165 }, (_, i) => i));
    expect(calls).toHaveLength(3);
    expect(await logger.verify()).toEqual({ ok: true, records: 165 });
  });
});

describe("InfrastructureAuditLogger pipeline under random failure schedules (property)", () => {
  /** One step: `n` records appended at once, or the store answering its oldest open append (ok or failed). */
  type Step = { kind: "append"; n: number } | { kind: "pass" } | { kind: "fail" };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant("append" as const), n: fc.integer({ min: 1, max: 90 }) }),
    fc.record({ kind: fc.constant("pass" as const) }),
    fc.record({ kind: fc.constant("fail" as const) }),
  );

  it("every acknowledged record verifies, in acknowledgement order, and the log holds exactly them", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
        const { store, calls } = heldStore();
        const logger = await InfrastructureAuditLogger.open({ store, key: KEY });
        const acked: { op: string; seq: number; hash: string }[] = [];
        const rejected: string[] = [];
        const pending: Promise<unknown>[] = [];
        let answered = 0;
        let next = 0;
        const append = (): void => {
          const i = next++;
          pending.push(
            logger.append(event(i)).then(
              (r) => acked.push({ op: `op-${i}`, ...r }),
              (error: unknown) => {
                expect(error).toMatchObject({ code: "STORAGE_FAILED" });
                rejected.push(`op-${i}`);
              },
            ),
          );
        };
        for (const s of steps) {
          if (s.kind === "append") for (let k = 0; k < s.n; k++) append();
          else if (answered < calls.length) {
            const call = calls[answered++];
            if (s.kind === "pass") call?.pass();
            else call?.fail(eio());
          }
          await settleTurns();
        }
        // the store recovers: every append still open (and every one the logger makes from here) succeeds
        while (acked.length + rejected.length < next) {
          while (answered < calls.length) calls[answered++]?.pass();
          await settleTurns();
        }
        await Promise.all(pending);
        // acknowledged strictly in sequence order, without gaps: nothing after a failure overtook it
        expect(acked.map((r) => r.seq)).toEqual(acked.map((_, i) => i));
        expect(await logger.verify()).toEqual({ ok: true, records: acked.length });
        const stored = await logger.query();
        expect(stored.map((r) => r.operationId)).toEqual(acked.map((r) => r.op));
        expect(new Set([...acked.map((r) => r.op), ...rejected]).size).toBe(next);
        await logger.close();
        // and the log opens again (anchor included) and verifies the same
        const reopened = await InfrastructureAuditLogger.open({ store, key: KEY });
        expect(await reopened.verify()).toEqual({ ok: true, records: acked.length });
      }),
      { numRuns: 60 },
    );
  });
});
