import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { FileStateStore } from "./fileStateStore.js";
import { acquireDirectoryLock, LOCK_NAME } from "./lock.js";
import type { RacerOrder, RacerReport } from "../test/lockRacer.js";
import { cleanupAfterEach, tempDir } from "../test/helpers.js";

const { defer, dir } = cleanupAfterEach("espada-lock-");
afterEach(() => {
  vi.useRealTimers();
});

/** The pid of a process that has exited (what a SIGKILLed owner leaves in its lock). */
function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ["-e", ""]);
  if (pid === undefined) throw new Error("could not spawn");
  return pid;
}

/** Leaves `<dir>/.lock` as a process that died while holding it would. */
function deadLock(
  directory: string,
  kind: "owner" | "legacy-owner" | "ownerless" | "other-host",
  pid: number,
): void {
  const lock = join(directory, LOCK_NAME);
  mkdirSync(lock);
  if (kind === "owner")
    writeFileSync(
      join(lock, "owner-0123456789abcdef.json"),
      JSON.stringify({ pid, host: hostname(), nonce: "0123456789abcdef" }),
    );
  if (kind === "legacy-owner")
    writeFileSync(join(lock, "owner.json"), JSON.stringify({ pid, host: hostname() }));
  if (kind === "other-host")
    writeFileSync(
      join(lock, "owner-00000000000000aa.json"),
      JSON.stringify({ pid, host: "elsewhere", nonce: "00000000000000aa" }),
    );
}

async function open(
  directory: string,
  extra: Partial<Parameters<typeof FileStateStore.open>[0]> = {},
): Promise<FileStateStore> {
  const store = await FileStateStore.open({ directory, ...extra });
  defer(() => store.close());
  return store;
}

describe("state directory lock", () => {
  it.each(["owner", "legacy-owner", "ownerless"] as const)(
    "takes over a lock left by a killed process (%s) at once, with the default lockStaleMs",
    async (kind) => {
      const d = dir();
      deadLock(d, kind, deadPid());
      const store = await open(d, { lockWaitMs: 0 });
      await store.put("k", 1);
      expect(readdirSync(join(d, LOCK_NAME))).toEqual([expect.stringMatching(/^owner-[0-9a-f]{16}\.json$/)]);
    },
  );

  it("a lock of another host is held until it is not refreshed for lockStaleMs", async () => {
    const d = dir();
    deadLock(d, "other-host", 1);
    await expect(FileStateStore.open({ directory: d, lockStaleMs: 60_000 })).rejects.toMatchObject({
      code: "STORAGE_LOCKED",
      details: { host: "elsewhere", pid: 1 },
    });
    const old = new Date(Date.now() - 120_000);
    utimesSync(join(d, LOCK_NAME, "owner-00000000000000aa.json"), old, old);
    await open(d, { lockStaleMs: 60_000 });
  });

  it("waits up to lockWaitMs for a lock another live process holds, and takes it once released", async () => {
    const d = dir();
    deadLock(d, "other-host", 1); // held: its host is not this one, and it is fresh
    let settled = false;
    const opening = open(d, { lockWaitMs: 600_000 }).finally(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    rmSync(join(d, LOCK_NAME), { recursive: true }); // the holder releases it
    const store = await opening;
    await store.put("k", 1);
    expect((await store.get("k"))?.value).toBe(1);
  });

  it("gives up with STORAGE_LOCKED, naming the holder, once lockWaitMs has passed", async () => {
    const d = dir();
    deadLock(d, "other-host", 1);
    await expect(FileStateStore.open({ directory: d, lockWaitMs: 120 })).rejects.toMatchObject({
      code: "STORAGE_LOCKED",
      details: { host: "elsewhere", pid: 1 },
    });
    expect(readdirSync(join(d, LOCK_NAME))).toEqual(["owner-00000000000000aa.json"]);
  });

  it("a lock with this process's pid but another nonce was left by an earlier process with the same pid", async () => {
    const d = dir();
    deadLock(d, "owner", process.pid);
    await open(d);
  });

  it("removes candidates and reaped owner files that killed processes left beside the lock", async () => {
    const d = dir();
    const pid = deadPid();
    mkdirSync(join(d, `${LOCK_NAME}.${pid}.00aa.candidate`));
    writeFileSync(join(d, `${LOCK_NAME}.${pid}.00aa.candidate`, "owner-00aa.json"), "{}");
    writeFileSync(join(d, `${LOCK_NAME}.${pid}.00bb.reaped`), "{}");
    mkdirSync(join(d, `${LOCK_NAME}.${process.pid}.00cc.candidate`)); // maybe an open in progress here: kept
    await open(d);
    expect(readdirSync(d).filter((n) => n.startsWith(`${LOCK_NAME}.`))).toEqual([
      `${LOCK_NAME}.${process.pid}.00cc.candidate`,
    ]);
  });

  it("release removes the lock; a released lock is free at once", async () => {
    const d = dir();
    const first = await FileStateStore.open({ directory: d });
    await expect(FileStateStore.open({ directory: d })).rejects.toMatchObject({
      code: "STORAGE_LOCKED",
      details: { pid: process.pid },
    });
    await first.close();
    expect(existsSync(join(d, LOCK_NAME))).toBe(false);
    await open(d);
  });

  it("reports the lock lost when its owner file is taken away, and the store then refuses writes", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const d = dir();
    let lost: (problem: unknown) => void = () => undefined;
    const reported = new Promise((resolve) => (lost = resolve));
    const store = await open(d, { lockStaleMs: 2000, onProblem: (p) => lost(p) });
    await store.put("k", 1);
    const [owner] = readdirSync(join(d, LOCK_NAME));
    rmSync(join(d, LOCK_NAME, owner ?? ""));
    vi.advanceTimersByTime(1000);
    expect(await reported).toMatchObject({
      kind: "unreadable",
      error: { message: expect.stringMatching(/Lost the lock/) as string },
    });
    await expect(store.put("k", 2)).rejects.toMatchObject({ code: "STORAGE_LOCKED" });
    expect((await store.get("k"))?.value).toBe(1);
  });

  it("a lock refreshed in time stays held", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const d = dir();
    let compromised = false;
    const release = await acquireDirectoryLock(d, {
      staleMs: 2000,
      waitMs: 0,
      onCompromised: () => (compromised = true),
    });
    defer(release);
    const [owner] = readdirSync(join(d, LOCK_NAME));
    const old = new Date(Date.now() - 10_000);
    utimesSync(join(d, LOCK_NAME, owner ?? ""), old, old);
    vi.advanceTimersByTime(1000);
    await vi.waitFor(() =>
      expect(statSync(join(d, LOCK_NAME, owner ?? "")).mtimeMs).toBeGreaterThan(old.getTime() + 5000),
    );
    expect(compromised).toBe(false);
  });
});

describe("lock race: two processes open a dead owner's directory at the same instant", () => {
  const ROUNDS = 50;
  const racers: ChildProcess[] = [];
  const inbox = new Map<ChildProcess, RacerReport[]>();
  const waiters = new Map<ChildProcess, () => void>();
  let base: { path: string; cleanup: () => void };

  beforeAll(() => {
    base = tempDir("espada-lock-race-");
    for (let i = 0; i < 2; i++) {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", join(import.meta.dirname, "../test/lockRacer.ts")],
        { stdio: ["ignore", "inherit", "inherit", "ipc"] },
      );
      inbox.set(child, []);
      child.on("message", (report: RacerReport) => {
        inbox.get(child)?.push(report);
        waiters.get(child)?.();
      });
      child.on("exit", () => waiters.get(child)?.());
      racers.push(child);
    }
  });
  afterAll(() => {
    for (const child of racers) child.kill("SIGKILL");
    base.cleanup();
  });

  /** The next report of `child` (awaited event, no timing). */
  async function next(child: ChildProcess): Promise<RacerReport> {
    const box = inbox.get(child) ?? [];
    while (box.length === 0) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`racer ${child.pid} exited (${child.exitCode ?? child.signalCode})`);
      await new Promise<void>((resolve) => waiters.set(child, resolve));
      waiters.delete(child);
    }
    return box.shift() as RacerReport;
  }
  const order = (child: ChildProcess, o: RacerOrder): void => void child.send(o);

  it(`exactly one wins in each of ${ROUNDS} rounds, and only the winner's compareAndSet(key, 0) succeeds`, async () => {
    const dead = deadPid();
    const kinds = ["owner", "legacy-owner", "ownerless"] as const;
    const bad: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const directory = join(base.path, `round-${round}`);
      const seed = await FileStateStore.open({ directory });
      await seed.put("seed", round);
      await seed.close();
      const kind = kinds[round % kinds.length] ?? "owner";
      deadLock(directory, kind, dead);
      const barrier = join(base.path, `go-${round}`);
      for (const child of racers) order(child, { type: "race", directory, barrier });
      for (const child of racers) expect(await next(child)).toEqual({ type: "armed" });
      writeFileSync(barrier, "");
      const results = await Promise.all(racers.map(async (child) => ({ child, report: await next(child) })));
      const winners = results.filter((r) => r.report.type === "result" && r.report.won);
      const casOk = results.filter((r) => r.report.type === "result" && r.report.won && r.report.cas);
      const losers = results.filter((r) => r.report.type === "result" && !r.report.won);
      if (
        winners.length !== 1 ||
        casOk.length !== 1 ||
        losers.some((r) => r.report.type === "result" && !r.report.won && r.report.code !== "STORAGE_LOCKED")
      ) {
        bad.push(`round ${round} (${kind}): ${JSON.stringify(results.map((r) => r.report))}`);
      }
      for (const { child } of winners) {
        order(child, { type: "release" });
        expect(await next(child)).toEqual({ type: "released" });
      }
      const check = await FileStateStore.open({ directory });
      try {
        expect(check.problems).toEqual([]);
        expect((await check.get("seed"))?.value).toBe(round);
        if (winners.length === 1)
          expect((await check.get("job"))?.value).toEqual({ by: winners[0]?.child.pid });
      } finally {
        await check.close();
      }
    }
    expect(bad).toEqual([]);
  }, 120_000);
});
