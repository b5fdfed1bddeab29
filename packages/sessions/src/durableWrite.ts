import { randomBytes } from "node:crypto";
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

/**
 * Appends `data` to a file opened for appending and fsyncs it (data only). Resolves only once every
 * byte is written and synced; on failure the caller must truncate back to the size it had before
 * (a torn append is never acknowledged).
 */
export async function appendAll(handle: FileHandle, data: string | Uint8Array): Promise<void> {
  await writeAll(handle, typeof data === "string" ? Buffer.from(data, "utf8") : data);
  await handle.datasync();
}
