// Disk-full fault tests on a real, small tmpfs: a write that cannot complete (ENOSPC, or a short
// write that the kernel accepts in part) must reject with a typed error, lose nothing acknowledged,
// and the store must work again once space frees. Needs root to mount (CI runs as root).
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { FileStateStore } from "./fileStateStore.js";
import { createInfrastructureSessionManager } from "./sessionManager.js";
import { fillDisk, mountSmallDisk } from "../test/tmpfs.js";

const disk = mountSmallDisk(1024);
if (disk.path === undefined) {
  console.warn(
    `[sessions] disk-full tests SKIPPED: cannot mount a tmpfs here (${disk.reason}); they run where mounting is allowed (CI runs as root).`,
  );
}
afterAll(() => disk.path !== undefined && disk.unmount());

const PAGE = 4096;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let n = 0;
function stateDir(): string {
  const d = join(disk.path ?? "", `case-${n++}`);
  mkdirSync(d);
  return d;
}
/** Fills the disk leaving one page free, and frees it again after the test. */
function fillLeavingOnePage(d: string): () => void {
  const free = fillDisk(d, PAGE);
  cleanups.push(free);
  return free;
}

describe.skipIf(disk.path === undefined)("on a full disk (tmpfs)", () => {
  it("overwriting a record with a larger value rejects typed and keeps the previous version", async () => {
    const d = stateDir();
    const store = await FileStateStore.open({ directory: d });
    cleanups.push(() => store.close());
    await store.put("k", "small");
    const free = fillLeavingOnePage(d);
    const big = "x".repeat(64 * 1024);
    const error: unknown = await store.put("k", big).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "StorageError", code: "STORAGE_FAILED", details: { key: "k" } });
    expect((error as Error & { cause: unknown }).cause).toMatchObject({
      code: "STORAGE_FAILED",
      details: { errno: "ENOSPC" },
    });
    await expect(store.compareAndSet("k", 1, big)).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    expect(await store.get("k")).toMatchObject({ value: "small", version: 1 });
    expect(readdirSync(join(d, "records"))).toHaveLength(1); // no temp file left behind
    // a small write that fits still works on the nearly full disk
    await store.put("other", 1);
    await store.close();
    const reopened = await FileStateStore.open({ directory: d });
    cleanups.push(() => reopened.close());
    expect(reopened.problems).toEqual([]);
    expect(await reopened.get("k")).toMatchObject({ value: "small", version: 1 });
    expect(await reopened.get("other")).toMatchObject({ value: 1 });
    free();
    expect(await reopened.put("k", big)).toMatchObject({ version: 2 });
    await reopened.close();
    const again = await FileStateStore.open({ directory: d });
    cleanups.push(() => again.close());
    expect((await again.get("k"))?.value).toBe(big);
    expect(again.problems).toEqual([]);
  });

  it("a log append that does not fit rejects typed; earlier and later entries survive a reopen", async () => {
    const d = stateDir();
    const store = await FileStateStore.open({ directory: d });
    cleanups.push(() => store.close());
    const acked: unknown[] = [];
    for (let i = 0; i < 3; i++) acked.push((await store.append("audit", { i })).value);
    const free = fillLeavingOnePage(d);
    const big = { blob: "y".repeat(64 * 1024) };
    await expect(store.append("audit", big)).rejects.toMatchObject({
      name: "StorageError",
      code: "STORAGE_FAILED",
      details: { log: "audit" },
    });
    // what fits is appended after the good entries, not glued to a torn one
    const entry = await store.append("audit", { i: 3 });
    expect(entry.position).toBe(3);
    acked.push(entry.value);
    expect((await store.read("audit")).map((e) => e.value)).toEqual(acked);
    await store.close();
    const reopened = await FileStateStore.open({ directory: d });
    cleanups.push(() => reopened.close());
    expect(reopened.problems).toEqual([]);
    expect((await reopened.read("audit")).map((e) => e.value)).toEqual(acked);
    free();
    expect((await reopened.append("audit", big)).position).toBe(4);
    await reopened.close();
    const again = await FileStateStore.open({ directory: d });
    cleanups.push(() => again.close());
    expect((await again.read("audit")).map((e) => e.value)).toEqual([...acked, big]);
    expect(again.problems).toEqual([]);
  });

  it("updateVariables on a full disk rejects typed and keeps the whole session, credentials included", async () => {
    const d = stateDir();
    const options = { stateDirectory: d, env: {} } as const;
    const first = await createInfrastructureSessionManager(options);
    cleanups.push(() => first.shutdown());
    const session = await first.createSession({
      userId: "alice",
      providerId: "aws",
      auth: { method: "api-key", credentials: { apiKey: "k-123" } },
    });
    await first.updateVariables(session.id, { region: "eu-west-1" });
    const free = fillLeavingOnePage(d);
    await expect(first.updateVariables(session.id, { big: "z".repeat(64 * 1024) })).rejects.toMatchObject({
      code: "STORAGE_FAILED",
    });
    expect((await first.getSession(session.id))?.variables).toEqual({ region: "eu-west-1" });
    await first.shutdown();
    const second = await createInfrastructureSessionManager(options);
    cleanups.push(() => second.shutdown());
    expect(second.problems).toEqual([]);
    const kept = await second.getSession(session.id);
    expect(kept?.variables).toEqual({ region: "eu-west-1" });
    expect(kept?.auth?.credentials).toEqual({ apiKey: "k-123" });
    free();
    await second.updateVariables(session.id, { big: "z".repeat(64 * 1024) });
    await second.shutdown();
    const third = await createInfrastructureSessionManager(options);
    cleanups.push(() => third.shutdown());
    expect((await third.getSession(session.id))?.variables).toMatchObject({
      region: "eu-west-1",
      big: "z".repeat(64 * 1024),
    });
    expect(third.problems).toEqual([]);
  });
});
