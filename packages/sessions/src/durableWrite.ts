import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { promises as fsp } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { StorageError } from "@espada/infra-core";
import { syncDirectory } from "./syncDirectory.js";

/** Options of {@link writeFileAtomically}. */
export interface AtomicWriteOptions {
  /** Mode of a newly created file (default 0600). */
  readonly mode?: number;
  /** fsync the parent directory after the rename (default true); a caller that coalesces directory fsyncs turns it off and does it itself. */
  readonly syncDirectory?: boolean;
}

function writeFailed(message: string, path: string, cause: unknown): StorageError {
  const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
  return new StorageError("STORAGE_FAILED", message, {
    cause,
    details: { path, ...(errno === undefined ? {} : { errno }) },
  });
}

/**
 * Writes every byte of `data` to `handle`, looping over short writes (a nearly full disk accepts
 * part of a write and refuses the rest). `position` is the file offset of the first byte; omit it for
 * a file opened for appending. Rejects (never resolves early) when a write fails or makes no progress.
 */
export async function writeAll(handle: FileHandle, data: Uint8Array, position?: number): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(
      data,
      offset,
      data.length - offset,
      position === undefined ? null : position + offset,
    );
    if (bytesWritten <= 0) {
      throw Object.assign(new Error(`write made no progress after ${offset} of ${data.length} bytes`), {
        code: "ENOSPC",
      });
    }
    offset += bytesWritten;
  }
}

/**
 * Replaces a file atomically and durably: a new temp file beside it (`<path>.<hex>`, created
 * exclusively), every byte written ({@link writeAll}), fsync, rename over `path`, then an fsync of
 * the directory. On any failure the temp file is removed, `path` still holds its previous content,
 * and the promise rejects with a `StorageError` `STORAGE_FAILED` (`details.errno`, e.g. `ENOSPC`).
 */
export async function writeFileAtomically(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const temp = `${path}.${randomBytes(6).toString("hex")}`;
  let handle: FileHandle | undefined;
  try {
    handle = await fsp.open(temp, "wx", options.mode ?? 0o600);
    await writeAll(handle, bytes, 0);
    await handle.sync();
    const closing = handle;
    handle = undefined;
    await closing.close();
    await fsp.rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await fsp.rm(temp, { force: true }).catch(() => undefined);
    throw writeFailed(`Could not write "${path}"`, path, error);
  }
  if (options.syncDirectory ?? true) {
    try {
      await syncDirectory(dirname(path));
    } catch (error) {
      throw writeFailed(`Could not sync the directory of "${path}"`, path, error);
    }
  }
}

/** Temp-file names of {@link replaceFile}: a random prefix per process, then a counter (hex, unique per write). */
const TEMP_PREFIX = randomBytes(4).toString("hex");
let tempCounter = 0;

/** Like {@link writeAll}, on a file descriptor, synchronously (for a small record in the page cache). */
function writeAllSync(fd: number, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) {
    // through the `fs` object (not a named import) so the crash test's hooks see each step
    const bytesWritten = fs.writeSync(fd, data, offset, data.length - offset, offset);
    if (bytesWritten <= 0) {
      throw Object.assign(new Error(`write made no progress after ${offset} of ${data.length} bytes`), {
        code: "ENOSPC",
      });
    }
    offset += bytesWritten;
  }
}

/** fsync on the thread pool: the event loop keeps running while the disk flushes. */
export function fsyncOnPool(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.fsync(fd, (error) => {
      if (error === null) resolve();
      else reject(error);
    });
  });
}

/**
 * How a write waits for the disk: `pool` (fsync on the thread pool, the event loop keeps running)
 * or `block` (fsync on the calling thread). A lone write is faster blocking: each thread-pool fsync
 * costs two more thread wake-ups, which on a busy machine cost more than the fsync itself.
 */
export type DiskWait = "pool" | "block";

/**
 * {@link writeFileAtomically} for the state store's records, without the directory fsync (the
 * store does it, coalesced): the same steps and guarantees — a new temp file `<path>.<hex>`
 * (created exclusively, mode 0600), every byte written, fsync, close, rename over `path`. Creating,
 * writing (a few KiB into the page cache), closing and renaming are quick system calls made
 * synchronously; the fsync waits as `wait` says. On failure the temp file is removed, `path` keeps
 * its previous content, and the promise rejects with `STORAGE_FAILED` (`details.errno`).
 */
export async function replaceFile(
  path: string,
  data: string,
  mode = 0o600,
  wait: DiskWait = "pool",
): Promise<void> {
  const bytes = Buffer.from(data, "utf8");
  const temp = `${path}.${TEMP_PREFIX}${(tempCounter++).toString(16)}`;
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, "wx", mode);
    writeAllSync(fd, bytes);
    if (wait === "block") fs.fsyncSync(fd);
    else await fsyncOnPool(fd);
    const closing = fd;
    fd = undefined;
    fs.closeSync(closing);
    fs.renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing: the original error is the one reported
      }
    }
    try {
      fs.rmSync(temp, { force: true });
    } catch {
      // a temp file left behind is removed at the next open (never acknowledged)
    }
    throw writeFailed(`Could not write "${path}"`, path, error);
  }
}

/**
 * Appends `data` to a file opened for appending and fsyncs it (data only). Resolves only once every
 * byte is written and synced; on failure the caller must truncate back to the size it had before
 * (a torn append is never acknowledged).
 */
export async function appendAll(handle: FileHandle, data: string | Uint8Array): Promise<void> {
  await writeAll(handle, typeof data === "string" ? Buffer.from(data, "utf8") : data);
  await handle.datasync();
}
