import { copyFile, mkdir, readdir, rename, stat } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { throwIfAborted } from "./errors.js";
import { remove } from "./state.js";

/** Every regular file under `dir`, as paths relative to it, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** File count and total bytes under `dir`. */
export async function usage(dir: string): Promise<{ files: number; bytes: number }> {
  const files = await listFiles(dir);
  let bytes = 0;
  for (const f of files) bytes += (await stat(join(dir, f))).size;
  return { files: files.length, bytes };
}

/**
 * Copies the tree `from` to `to`, which must not exist: into a temp sibling first, renamed into place
 * at the end, so `to` is either absent or complete. Checks `signal` before each file (a cancelled copy
 * leaves nothing behind) and reports each file copied.
 */
export async function copyTree(
  from: string,
  to: string,
  signal: AbortSignal,
  onFile: (done: number, total: number) => void = () => undefined,
): Promise<number> {
  const files = await listFiles(from);
  const temp = `${to}.partial-${process.pid}-${Date.now()}`;
  await mkdir(temp, { recursive: true });
  try {
    let done = 0;
    for (const file of files) {
      throwIfAborted(signal);
      await mkdir(dirname(join(temp, file)), { recursive: true });
      await copyFile(join(from, file), join(temp, file));
      done += 1;
      onFile(done, files.length);
    }
    throwIfAborted(signal);
    await mkdir(dirname(to), { recursive: true });
    await rename(temp, to);
    return files.length;
  } catch (error) {
    await remove(temp);
    throw error;
  }
}

/** True when `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
