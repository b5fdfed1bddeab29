// Pipelined log appends on the file store: a batch is written while the one before it is being
// synced, acknowledged strictly in order, and a failure takes every later batch in flight with it.
// Every step is driven by explicit gates in an injected io (no sleeps, no clocks).
import { readFileSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileStateStore } from "./fileStateStore.js";
import { encodeKey } from "./fileFormat.js";
import { writeAll } from "./durableWrite.js";
import { cleanupAfterEach } from "../test/helpers.js";

const { defer, dir } = cleanupAfterEach();

interface Gate {
  readonly promise: Promise<void>;
  open(): void;
  fail(error: Error): void;
}

function gate(): Gate {
  let open = (): void => undefined;
  let fail = (_error: Error): void => undefined;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

/** Waits (one macrotask at a time, no clock) until `ready` holds. */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((resolve) => setImmediate(resolve));
}

/** Lets every pending callback run (a few macrotask turns); used only to show something has NOT happened. */
async function settleTurns(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** An io whose log writes and syncs each wait for a gate the test opens (or fails). */
function gatedIo(): {
  io: {
    appendBytes(handle: FileHandle, data: Uint8Array): Promise<void>;
    syncLog(handle: FileHandle): Promise<void>;
  };
  events: string[];
  writes: Gate[];
  syncs: Gate[];
} {
  const events: string[] = [];
  const writes: Gate[] = [];
  const syncs: Gate[] = [];
  return {
    events,
    writes,
    syncs,
    io: {
      appendBytes: async (handle, data) => {
        const g = gate();
        const n = writes.push(g);
        events.push(`write ${n} start`);
        await g.promise;
        await writeAll(handle, data);
        events.push(`write ${n} done`);
      },
      syncLog: async (handle) => {
        const g = gate();
        const n = syncs.push(g);
        events.push(`sync ${n} start`);
        await g.promise;
        await handle.datasync();
        events.push(`sync ${n} done`);
      },
    },
  };
}

function track<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  return { promise, settled: () => done };
}

async function open(directory: string, io?: ReturnType<typeof gatedIo>["io"]): Promise<FileStateStore> {
  const store = await FileStateStore.open({ directory, ...(io === undefined ? {} : { io }) });
  defer(() => store.close());
  return store;
}

const fileOf = (directory: string, log: string): string => join(directory, "logs", `${encodeKey(log)}.jsonl`);

describe("FileStateStore log pipeline", () => {
  it("writes the next batch while the one before is syncing; one sync then covers what was written meanwhile", async () => {
    const d = dir();
    const g = gatedIo();
    const store = await open(d, g.io);
    const a = track(store.append("log", "a"));
    await until(() => g.writes.length === 1);
    g.writes[0]?.open();
    await until(() => g.syncs.length === 1);
    const b = track(store.append("log", "b"));
    const c = track(store.append("log", "c")); // joins b's batch (same turn)
    await until(() => g.writes.length === 2);
    g.writes[1]?.open(); // b is written while a's sync is in flight
    await until(() => g.events.includes("write 2 done"));
    await settleTurns();
    expect(g.events).toEqual([
      "write 1 start",
      "write 1 done",
      "sync 1 start",
      "write 2 start",
      "write 2 done",
    ]);
    expect(g.syncs).toHaveLength(1); // one sync at a time: b waits for the next one
    expect(b.settled()).toBe(false);
    g.syncs[0]?.open();
    expect((await a.promise).position).toBe(0);
    await until(() => g.syncs.length === 2); // starts as soon as a's ends
    await settleTurns();
    expect(b.settled()).toBe(false); // not durable yet
    g.syncs[1]?.open();
    expect((await b.promise).position).toBe(1);
    expect((await c.promise).position).toBe(2);
    expect((await store.read("log")).map((e) => e.value)).toEqual(["a", "b", "c"]);
  });

  it("a failed sync of batch N fails batch N+1 in flight, cuts both off, and the next append works", async () => {
    const d = dir();
    const g = gatedIo();
    const store = await open(d, g.io);
    const first = store.append("log", "first");
    await until(() => g.writes.length === 1);
    g.writes[0]?.open();
    await until(() => g.syncs.length === 1);
    g.syncs[0]?.open();
    await first;
    const n = track(store.append("log", "n"));
    await until(() => g.writes.length === 2);
    g.writes[1]?.open();
    await until(() => g.syncs.length === 2);
    const n1 = track(store.append("log", "n+1"));
    await until(() => g.writes.length === 3);
    g.writes[2]?.open(); // N+1 is written while N's sync is in flight
    await until(() => g.events.includes("write 3 done"));
    g.syncs[1]?.fail(Object.assign(new Error("EIO"), { code: "EIO" })); // N's sync fails
    await expect(n.promise).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    await until(() => g.syncs.length === 3);
    g.syncs[2]?.open(); // the sync after it succeeds, yet N+1 followed N
    await expect(n1.promise).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    expect((await store.read("log")).map((e) => e.value)).toEqual(["first"]);
    expect(readFileSync(fileOf(d, "log"), "utf8").trim().split("\n")).toHaveLength(1); // cut back
    const next = track(store.append("log", "next"));
    await until(() => g.writes.length === 4);
    g.writes[3]?.open();
    await until(() => g.syncs.length === 4);
    g.syncs[3]?.open();
    expect((await next.promise).position).toBe(1);
    await store.close();
    const again = await open(d);
    expect((await again.read("log")).map((e) => [e.position, e.value])).toEqual([
      [0, "first"],
      [1, "next"],
    ]);
    expect(again.problems).toEqual([]);
  });

  it("a failed write of batch N fails batch N+1 queued behind it; a batch issued later is unaffected", async () => {
    const d = dir();
    const g = gatedIo();
    const store = await open(d, g.io);
    const older = track(store.append("log", "older"));
    await until(() => g.writes.length === 1);
    g.writes[0]?.open();
    await until(() => g.syncs.length === 1); // "older" stays in its sync throughout
    const n = track(store.append("log", "n"));
    await until(() => g.writes.length === 2);
    const n1 = track(store.append("log", "n+1"));
    await settleTurns();
    g.writes[1]?.fail(Object.assign(new Error("ENOSPC"), { code: "ENOSPC" }));
    await expect(n.promise).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    await expect(n1.promise).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    expect(g.writes).toHaveLength(2); // N+1 never reached the disk
    expect(older.settled()).toBe(false);
    const later = track(store.append("log", "later"));
    await until(() => g.writes.length === 3);
    g.writes[2]?.open();
    await until(() => g.events.includes("write 3 done"));
    await settleTurns();
    expect(later.settled()).toBe(false); // still behind "older"
    g.syncs[0]?.open();
    expect((await older.promise).position).toBe(0);
    await until(() => g.syncs.length === 2);
    g.syncs[1]?.open();
    expect((await later.promise).position).toBe(1);
    await store.close();
    const again = await open(d);
    expect((await again.read("log")).map((e) => e.value)).toEqual(["older", "later"]);
    expect(again.problems).toEqual([]);
  });

  it("when the earlier batch fails too, a batch issued after the later one's failure fails with it", async () => {
    const d = dir();
    const g = gatedIo();
    const store = await open(d, g.io);
    const older = track(store.append("log", "older"));
    await until(() => g.writes.length === 1);
    g.writes[0]?.open();
    await until(() => g.syncs.length === 1);
    const n = track(store.append("log", "n"));
    await until(() => g.writes.length === 2);
    g.writes[1]?.fail(Object.assign(new Error("ENOSPC"), { code: "ENOSPC" }));
    await expect(n.promise).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    const later = track(store.append("log", "later"));
    await until(() => g.writes.length === 3);
    g.writes[2]?.open();
    await until(() => g.events.includes("write 3 done"));
    g.syncs[0]?.fail(Object.assign(new Error("EIO"), { code: "EIO" }));
    await expect(older.promise).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    await until(() => g.syncs.length === 2);
    g.syncs[1]?.open();
    await expect(later.promise).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    expect(await store.read("log")).toEqual([]);
    const next = track(store.append("log", "next"));
    await until(() => g.writes.length === 4);
    g.writes[3]?.open();
    await until(() => g.syncs.length === 3);
    g.syncs[2]?.open();
    expect((await next.promise).position).toBe(0);
    await store.close();
    const again = await open(d);
    expect((await again.read("log")).map((e) => e.value)).toEqual(["next"]);
    expect(again.problems).toEqual([]);
  });

  it("close() while batches are in flight (a hanging sync) waits for them and keeps what was acknowledged", async () => {
    const d = dir();
    const g = gatedIo();
    const store = await FileStateStore.open({ directory: d, io: g.io });
    const a = track(store.append("log", "a"));
    await until(() => g.writes.length === 1);
    g.writes[0]?.open();
    await until(() => g.syncs.length === 1); // hangs until opened
    const b = track(store.append("log", "b"));
    await until(() => g.writes.length === 2);
    g.writes[1]?.open();
    await until(() => g.events.includes("write 2 done"));
    const closing = track(store.close());
    await expect(store.append("log", "refused")).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    await settleTurns();
    expect(closing.settled()).toBe(false);
    g.syncs[0]?.open();
    await until(() => g.syncs.length === 2);
    await settleTurns();
    expect(closing.settled()).toBe(false);
    g.syncs[1]?.open();
    await closing.promise;
    expect((await a.promise).position).toBe(0);
    expect((await b.promise).position).toBe(1);
    const again = await open(d);
    expect((await again.read("log")).map((e) => e.value)).toEqual(["a", "b"]);
  });

  it("appends arriving while the pipeline is full join one batch", async () => {
    const d = dir();
    const g = gatedIo();
    const store = await open(d, g.io);
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 3; i++) {
      pending.push(store.append("log", i));
      await until(() => g.writes.length === i + 1);
      g.writes[i]?.open();
      await until(() => g.events.includes(`write ${i + 1} done`));
    }
    for (let i = 3; i < 10; i++) pending.push(store.append("log", i)); // the pipeline holds 3 batches
    await settleTurns();
    expect(g.writes).toHaveLength(3);
    expect(g.syncs).toHaveLength(1);
    g.syncs[0]?.open();
    await until(() => g.writes.length === 4);
    g.writes[3]?.open();
    const all = track(Promise.all(pending));
    while (!all.settled()) {
      for (const s of g.syncs) s.open();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await all.promise;
    expect(g.writes).toHaveLength(4); // the seven waiting appends went out as one batch
    expect(g.syncs.length).toBeLessThanOrEqual(3); // one sync covered several batches
    expect((await store.read("log")).map((e) => e.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
