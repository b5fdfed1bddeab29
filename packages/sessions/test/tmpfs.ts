import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A small tmpfs mounted for one test file, or why it could not be mounted. */
export type SmallDisk =
  | { readonly path: string; readonly unmount: () => void }
  | { readonly path?: undefined; readonly reason: string };

/**
 * Mounts a tmpfs of `sizeKiB` on a fresh directory (needs root, as in CI). Synchronous, so a test
 * file can decide at collection time whether to skip (`describe.skipIf(disk.path === undefined)`).
 */
export function mountSmallDisk(sizeKiB: number): SmallDisk {
  const path = mkdtempSync(join(tmpdir(), "espada-tmpfs-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeKiB}k,mode=0700`, "tmpfs", path], {
      stdio: "pipe",
    });
  } catch (error) {
    rmdirSync(path);
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return { reason: stderr === undefined || stderr === "" ? String(error) : stderr };
  }
  return {
    path,
    unmount: () => {
      try {
        execFileSync("umount", [path], { stdio: "pipe" });
      } catch {
        execFileSync("umount", ["-l", path], { stdio: "pipe" });
      }
      rmdirSync(path);
    },
  };
}

const CHUNK = Buffer.alloc(64 * 1024, 0x61);

/** Writes into `file` until the disk is full (ENOSPC); returns how many bytes fitted. */
function fillFile(file: string, limit = Number.POSITIVE_INFINITY): number {
  const fd = openSync(file, "w");
  let written = 0;
  try {
    while (written < limit) {
      try {
        const n = writeSync(fd, CHUNK, 0, Math.min(CHUNK.length, limit - written));
        if (n === 0) break;
        written += n;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOSPC") break;
        throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

/**
 * Fills the disk holding `directory` so that exactly `freeBytes` (a multiple of the 4 KiB page) stay
 * free: a slack file of that size is written first, the rest is filled, then the slack is removed.
 * Returns the function that frees the space again.
 */
export function fillDisk(directory: string, freeBytes: number): () => void {
  const slack = join(directory, "slack.fill");
  const filler = join(directory, "filler.fill");
  if (freeBytes > 0 && fillFile(slack, freeBytes) < freeBytes)
    throw new Error(`the disk has less than ${freeBytes} bytes free`);
  fillFile(filler);
  rmSync(slack, { force: true });
  return () => rmSync(filler, { force: true });
}
