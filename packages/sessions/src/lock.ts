import * as fs from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { StorageError } from "@espada/infra-core";

/** Name of the lock directory inside a state directory. */
export const LOCK_NAME = ".lock";
const OWNER_FILE = "owner.json";

/** Options of {@link acquireDirectoryLock}. */
export interface DirectoryLockOptions {
  /** A lock not refreshed for this long is stale and may be taken over (proper-lockfile; at least 2000). */
  readonly staleMs: number;
  /** How often to retry while another live process holds the lock. */
  readonly retries: number;
  /** Called if the lock is lost while held (its directory was removed or not refreshed in time). */
  readonly onCompromised: (error: Error) => void;
}

/** Who holds a lock, as written into it. */
interface LockOwner {
  readonly pid: number;
  readonly host: string;
}

function readOwner(lockPath: string): LockOwner | undefined {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(join(lockPath, OWNER_FILE), "utf8"));
    if (typeof parsed === "object" && parsed !== null) {
      const { pid, host } = parsed as Record<string, unknown>;
      if (typeof pid === "number" && typeof host === "string") return { pid, host };
    }
  } catch {
    // no owner written yet, or unreadable: fall back to the mtime rule
  }
  return undefined;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** True when the lock was written by a process of this host that no longer exists. */
function ownerIsDead(lockPath: string): boolean {
  const owner = readOwner(lockPath);
  return owner !== undefined && owner.host === hostname() && owner.pid !== process.pid && !isProcessAlive(owner.pid);
}

/**
 * The `fs` given to proper-lockfile: its stale rule (mtime older than `staleMs`) is extended so that
 * a lock whose owner process on this host is dead is stale at once (a SIGKILLed process is recovered
 * from immediately), and the lock directory is removed together with its owner file.
 */
function lockFs(lockPath: string): Record<string, unknown> {
  return {
    ...fs,
    stat(path: string, callback: (error: NodeJS.ErrnoException | null, stats?: fs.Stats) => void): void {
      fs.stat(path, (error, stats) => {
        if (error !== null || path !== lockPath || !ownerIsDead(lockPath)) {
          callback(error, stats);
          return;
        }
        callback(null, Object.assign(Object.create(Object.getPrototypeOf(stats) as object) as fs.Stats, stats, { mtime: new Date(0) }));
      });
    },
    rmdir(path: string, callback: (error: NodeJS.ErrnoException | null) => void): void {
      fs.rm(join(path, OWNER_FILE), { force: true }, () => fs.rmdir(path, callback));
    },
    rmdirSync(path: string): void {
      fs.rmSync(join(path, OWNER_FILE), { force: true });
      fs.rmdirSync(path);
    },
  };
}

/**
 * Takes the exclusive lock of a state directory (proper-lockfile, with stale detection by mtime and
 * by dead owner pid). Resolves with the release function; rejects with `STORAGE_LOCKED` when another
 * live process holds it.
 */
export async function acquireDirectoryLock(directory: string, options: DirectoryLockOptions): Promise<() => Promise<void>> {
  const lockPath = join(directory, LOCK_NAME);
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(directory, {
      lockfilePath: lockPath,
      stale: options.staleMs,
      retries: options.retries === 0 ? 0 : { retries: options.retries, minTimeout: 50, maxTimeout: 500 },
      realpath: false,
      fs: lockFs(lockPath),
      onCompromised: options.onCompromised,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOCKED") {
      const owner = readOwner(lockPath);
      const by = owner === undefined ? "another process" : `process ${owner.pid} on ${owner.host}`;
      throw new StorageError("STORAGE_LOCKED", `State directory "${directory}" is locked by ${by}`, {
        cause: error,
        details: { directory, ...(owner === undefined ? {} : { pid: owner.pid, host: owner.host }) },
      });
    }
    throw new StorageError("STORAGE_FAILED", `Could not lock state directory "${directory}"`, { cause: error, details: { directory } });
  }
  try {
    fs.writeFileSync(join(lockPath, OWNER_FILE), JSON.stringify({ pid: process.pid, host: hostname() } satisfies LockOwner));
  } catch (error) {
    await release();
    throw new StorageError("STORAGE_FAILED", `Could not write the lock owner of "${directory}"`, { cause: error });
  }
  return release;
}
