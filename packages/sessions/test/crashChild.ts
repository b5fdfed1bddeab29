// Crash-test child. The crash test bundles this file into one script that imports the BUILT package
// (`dist/index.js`), so each child starts quickly and what is crash-tested is what ships. The child
// opens a state directory with FileSessionStorage, writes sessions from a fixed pool of ids with four
// concurrent writers, and prints "opened" once open, then "ack <id> <version>" after
// each acknowledged write, until it is killed. Content is a pure function of (id, version), so the
// parent can check that every acknowledged session is present and intact after the kill.
//
// Besides being killed by the parent, a child can kill itself at an exact point: just before its
// k-th file-system step (mkdir, write, fsync, rename, rm, … on `fs`, `fs.promises` and file
// handles), counted from its start (a kill inside open: lock, load, keyring) or from its first
// acknowledged write (a kill between any two steps of a durable write).
import { createRequire, syncBuiltinESMExports } from "node:module";
import type * as FileSystem from "node:fs";
import type { InfrastructureSession } from "@espada/infra-core";
import type * as Sessions from "../src/index.js";

/** What one child does, passed as JSON in its first argument. */
export interface CrashChildPlan {
  /** The state directory. */
  readonly directory: string;
  /** The session ids it writes (created, then updated). */
  readonly ids: readonly string[];
  /** Kill itself just before this file-system step counted from its start (0 = no). */
  readonly killAtStep: number;
  /** Kill itself just before this file-system step counted from its first acknowledged write (0 = no). */
  readonly killAtStepAfterAck: number;
}

/** The session with `id` at `version`. */
export function expectedSession(id: string, version: number): InfrastructureSession {
  return {
    id,
    userId: `user-${id}`,
    state: "active",
    environment: "production",
    providerId: "crash-cloud",
    auth: { method: "api-key", credentials: { token: `secret-${id}-${version}` }, options: { region: "eu" } },
    resources: {},
    variables: { version, payload: `${id}:${version}:`.padEnd(256, "x") },
    pendingOperations: [],
    metadata: {},
    createdAt: 1,
    lastActivityAt: version,
    expiresAt: 4_000_000_000_000,
  };
}

type AnyFunction = (...args: unknown[]) => unknown;

/** The mutable `fs` object (an ESM namespace is read-only); its hooks reach ESM imports through `syncBuiltinESMExports`. */
const fs = createRequire(import.meta.url)("node:fs") as typeof FileSystem;

/** Counts file-system steps; SIGKILLs this process just before the armed one. */
async function installKillSwitch(): Promise<(step: number) => void> {
  let remaining = 0;
  const step = (): void => {
    if (remaining > 0 && --remaining === 0) process.kill(process.pid, "SIGKILL");
  };
  const wrap = (target: object, names: readonly string[]): void => {
    const record = target as Record<string, AnyFunction>;
    for (const name of names) {
      const original = record[name];
      if (typeof original !== "function") throw new Error(`cannot hook ${name}`);
      record[name] = function (this: unknown, ...args: unknown[]): unknown {
        step();
        return original.apply(this, args);
      };
    }
  };
  const probe = await fs.promises.open(process.execPath, "r");
  const handlePrototype = Object.getPrototypeOf(probe) as object;
  await probe.close();
  wrap(fs, [
    "mkdirSync",
    "writeFileSync",
    "renameSync",
    "rmSync",
    "rmdirSync",
    "copyFileSync",
    "utimes",
    "openSync",
    "writeSync",
    "fsync",
    "fsyncSync",
  ]);
  wrap(fs.promises, ["open", "rename", "rm", "rmdir", "copyFile", "truncate", "writeFile"]);
  wrap(handlePrototype, ["write", "sync", "datasync", "truncate"]);
  syncBuiltinESMExports(); // named imports of node:fs and node:fs/promises see the hooks too
  return (at) => {
    remaining = at;
  };
}

/** Runs one child until it is killed. */
export async function runCrashChild(sessions: typeof Sessions, plan: CrashChildPlan): Promise<void> {
  const arm = await installKillSwitch();
  arm(plan.killAtStep);
  const storage = await sessions.FileSessionStorage.open({ directory: plan.directory, lockWaitMs: 0 });
  const versions = new Map<string, number>();
  for (const { session, version } of await storage.list()) versions.set(session.id, version);
  process.stdout.write("opened\n");
  const busy = new Set<string>();
  let acked = false;
  const worker = async (): Promise<never> => {
    for (;;) {
      const free = plan.ids.filter((id) => !busy.has(id));
      const id = free[Math.floor(Math.random() * free.length)] as string;
      busy.add(id); // two writers never race on one id
      const current = versions.get(id) ?? 0;
      const written = await storage.write(expectedSession(id, current + 1), current);
      if (written === undefined) throw new Error(`unexpected conflict on ${id}`);
      versions.set(id, written.version);
      busy.delete(id);
      process.stdout.write(`ack ${id} ${written.version}\n`); // synchronous on a pipe: never lost to the kill
      if (!acked) {
        acked = true;
        arm(plan.killAtStepAfterAck);
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}
