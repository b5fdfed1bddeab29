import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { StorageError } from "@espada/infra-core";

/** Name of the lock directory inside a state directory. */
export const LOCK_NAME = ".lock";
/** Candidate lock directories and reaped owner files left beside `.lock` by a process killed mid-way: `.lock.<pid>.<nonce>.<kind>`. */
const LEFTOVER = /^\.lock\.(\d+)\.[0-9a-f]+\.(?:candidate|reaped)$/;
/** How many times one attempt re-reads a lock that changed under it before reporting it held. */
const MAX_STEPS = 64;

/** Options of {@link acquireDirectoryLock}. */
export interface DirectoryLockOptions {
  /** A lock whose owner file was not refreshed for this long is stale and may be taken over (ms). */
  readonly staleMs: number;
  /** How long to keep trying while another live process holds the lock (ms; 0 = fail at once). */
  readonly waitMs: number;
  /** Called once if the lock is lost while held (its owner file was taken over or removed). */
  readonly onCompromised: (error: Error) => void;
}

/** Who holds a lock, as written into its owner file. */
interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly nonce?: string;
}

/** One entry of the lock directory: an owner file, its parsed content and its last refresh. */
interface Holder {
  readonly entry: string;
  readonly owner: LockOwner | undefined;
  readonly mtimeMs: number;
}

/** Nonces of the locks this process holds now (a lock with this pid but another nonce is a dead earlier process). */
const heldHere = new Set<string>();

function parseOwner(text: string): LockOwner | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null) {
      const { pid, host, nonce } = parsed as Record<string, unknown>;
      if (typeof pid === "number" && typeof host === "string")
        return typeof nonce === "string" ? { pid, host, nonce } : { pid, host };
    }
  } catch {
    // unreadable: judged by its age alone
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

const codeOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;

/** The entries of the lock directory (undefined when it is gone). An entry that vanishes while read is left out. */
function inspect(lockPath: string): Holder[] | undefined {
  let entries: string[];
  try {
    entries = fs.readdirSync(lockPath);
  } catch (error) {
    if (codeOf(error) === "ENOENT") return undefined;
    throw error;
  }
  const holders: Holder[] = [];
  for (const entry of entries) {
    try {
      const file = join(lockPath, entry);
      const stats = fs.statSync(file);
      const owner = stats.isFile() ? parseOwner(fs.readFileSync(file, "utf8")) : undefined;
      holders.push({ entry, owner, mtimeMs: stats.mtimeMs });
    } catch (error) {
      if (codeOf(error) !== "ENOENT") throw error;
    }
  }
  return holders;
}

/** True when the holder can be taken over: its owner process on this host is dead, or it was not refreshed for `staleMs`. */
function isFree(holder: Holder, staleMs: number): boolean {
  const owner = holder.owner;
  if (owner !== undefined && owner.host === hostname()) {
    if (owner.pid !== process.pid) {
      if (!isProcessAlive(owner.pid)) return true;
    } else if (owner.nonce !== undefined && !heldHere.has(owner.nonce)) {
      return true; // an earlier process that had this pid
    }
  }
  return Date.now() - holder.mtimeMs > staleMs;
}

/**
 * Moves one dead owner file out of the lock directory. The name is unique to one acquisition, so
 * this removes exactly the owner that was judged dead, never a newer one; of several processes
 * reaping it, one rename succeeds and the others find it gone.
 */
function reap(directory: string, lockPath: string, entry: string): void {
  const target = join(directory, `${LOCK_NAME}.${process.pid}.${randomBytes(8).toString("hex")}.reaped`);
  try {
    fs.renameSync(join(lockPath, entry), target);
  } catch (error) {
    if (codeOf(error) === "ENOENT") return;
    throw error;
  }
  fs.rmSync(target, { recursive: true, force: true });
}

/**
 * One attempt: rename the prepared candidate directory onto `.lock`. The kernel refuses to rename a
 * directory onto a non-empty one, so of any number of processes exactly one succeeds while `.lock`
 * is free (absent or empty). When it is held by dead or stale owners, their owner files are reaped
 * and the rename is tried again. Returns the live holders when the lock is held.
 */
function tryTake(
  directory: string,
  lockPath: string,
  candidate: string,
  staleMs: number,
): Holder[] | undefined {
  let holders: Holder[] = [];
  for (let step = 0; step < MAX_STEPS; step++) {
    try {
      fs.renameSync(candidate, lockPath);
      return undefined;
    } catch (error) {
      const code = codeOf(error);
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
    }
    holders = inspect(lockPath) ?? [];
    const live = holders.filter((h) => !isFree(h, staleMs));
    if (live.length > 0) return live;
    for (const holder of holders) reap(directory, lockPath, holder.entry);
  }
  return holders;
}

/** Removes candidates and reaped files that processes killed mid-way left beside the lock. */
function removeLeftovers(directory: string): void {
  for (const name of fs.readdirSync(directory)) {
    const match = LEFTOVER.exec(name);
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isProcessAlive(pid)) continue; // maybe an open in progress
    fs.rmSync(join(directory, name), { recursive: true, force: true });
  }
}

function lockedError(directory: string, holders: readonly Holder[], cause?: unknown): StorageError {
  const owner = holders.find((h) => h.owner !== undefined)?.owner;
  const by = owner === undefined ? "another process" : `process ${owner.pid} on ${owner.host}`;
  return new StorageError("STORAGE_LOCKED", `State directory "${directory}" is locked by ${by}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { directory, ...(owner === undefined ? {} : { pid: owner.pid, host: owner.host }) },
  });
}

/**
 * Takes the exclusive lock of a state directory and resolves with its release function; rejects with
 * `STORAGE_LOCKED` when another live process still holds it after `waitMs` (tried again after 50 ms,
 * doubling to at most 500 ms between tries, and once more at the deadline).
 *
 * The lock is the directory `<dir>/.lock` holding one owner file `owner-<nonce>.json` (pid, host,
 * nonce). It is prepared complete under a private name and renamed into place, so a lock never
 * exists without its owner, and of processes racing for a free lock exactly one wins. A held lock
 * whose owner process on this host is dead (or whose owner file was not refreshed for `staleMs`) is
 * taken over by moving that one owner file out (a rename of its unique name: it can never remove a
 * newer owner) and renaming again. The owner file is touched every `staleMs / 2` (unref'd timer).
 */
export async function acquireDirectoryLock(
  directory: string,
  options: DirectoryLockOptions,
): Promise<() => Promise<void>> {
  const lockPath = join(directory, LOCK_NAME);
  const nonce = randomBytes(8).toString("hex");
  const ownerName = `owner-${nonce}.json`;
  const candidate = join(directory, `${LOCK_NAME}.${process.pid}.${nonce}.candidate`);
  try {
    fs.mkdirSync(candidate, { mode: 0o700 });
    fs.writeFileSync(
      join(candidate, ownerName),
      JSON.stringify({ pid: process.pid, host: hostname(), nonce } satisfies LockOwner),
      { mode: 0o600 },
    );
    heldHere.add(nonce);
    const deadline = Date.now() + options.waitMs;
    for (let attempt = 0; ; attempt++) {
      const live = tryTake(directory, lockPath, candidate, options.staleMs);
      if (live === undefined) break;
      const left = deadline - Date.now();
      if (left <= 0) throw lockedError(directory, live);
      await delay(Math.min(left, 500, 50 * 2 ** attempt));
    }
    removeLeftovers(directory);
  } catch (error) {
    heldHere.delete(nonce);
    fs.rmSync(candidate, { recursive: true, force: true });
    if (error instanceof StorageError) throw error;
    throw new StorageError("STORAGE_FAILED", `Could not lock state directory "${directory}"`, {
      cause: error,
      details: { directory },
    });
  }
  return holdLock(lockPath, join(lockPath, ownerName), nonce, options);
}

/** Keeps a taken lock fresh until released; reports it compromised once if its owner file vanishes. */
function holdLock(
  lockPath: string,
  ownerFile: string,
  nonce: string,
  options: DirectoryLockOptions,
): () => Promise<void> {
  let released = false;
  let lastRefresh = Date.now();
  const compromise = (error: Error): void => {
    if (released) return;
    released = true;
    clearInterval(timer);
    heldHere.delete(nonce);
    options.onCompromised(error);
  };
  const timer = setInterval(
    () => {
      const at = new Date();
      fs.utimes(lockPath, at, at, () => undefined); // the previous version (proper-lockfile) judged the directory's mtime
      fs.utimes(ownerFile, at, at, (error) => {
        if (error === null) {
          lastRefresh = at.getTime();
        } else if (error.code === "ENOENT" || at.getTime() - lastRefresh > options.staleMs) {
          compromise(new StorageError("STORAGE_LOCKED", `Lost the lock "${lockPath}"`, { cause: error }));
        }
      });
    },
    Math.max(1, Math.floor(options.staleMs / 2)),
  );
  timer.unref();
  return async () => {
    if (released) return;
    released = true;
    clearInterval(timer);
    heldHere.delete(nonce);
    // removing our uniquely named owner file frees the lock at once (an empty .lock is free)
    await fs.promises.rm(ownerFile, { force: true });
    await fs.promises.rmdir(lockPath).catch(() => undefined); // taken by another process meanwhile
  };
}
