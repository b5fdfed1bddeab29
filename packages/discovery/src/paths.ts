import { closeSync, constants, lstatSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import type { Stats } from "node:fs";
import { join, sep } from "node:path";

/** File extensions an entry module may have. */
export const ENTRY_EXTENSIONS = [".js", ".mjs", ".cjs"] as const;

/**
 * Checks an entry path lexically: relative, forward slashes, no `..` segment, no scheme, no NUL,
 * a JavaScript extension. Returns the reason it is refused, or undefined when it is acceptable.
 * (Symlinks are checked separately against the real plugin directory.)
 */
export function checkEntryPath(entry: string): string | undefined {
  if (entry.length === 0) return "must not be empty";
  if (entry.includes("\0")) return "must not contain a NUL character";
  if (entry.includes("\\")) return "must use forward slashes";
  if (entry.startsWith("/")) return "must be relative to the plugin directory";
  if (entry.includes(":")) return "must be a relative path, not a URL or drive path";
  const segments = entry.split("/");
  if (segments.includes("..")) return "must not leave the plugin directory (no '..' segment)";
  if (segments.every((segment) => segment === "" || segment === ".")) return "must name a file";
  if (!ENTRY_EXTENSIONS.some((ext) => entry.endsWith(ext)))
    return `must be a JavaScript module (${ENTRY_EXTENSIONS.join(", ")})`;
  return undefined;
}

/** True when `path` is `dir` itself or lies below it (both real, absolute paths). */
function isInside(dir: string, path: string): boolean {
  const base = dir.endsWith(sep) ? dir : dir + sep;
  return path.startsWith(base);
}

/** `dir` + separator + `name` without `path.join`'s normalisation (both already clean). */
export function childPath(dir: string, name: string): string {
  return dir.endsWith(sep) ? `${dir}${name}` : `${dir}${sep}${name}`;
}

/** Outcome of a file system check: a value, or a reason safe to show. */
export type FsResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string; readonly missing?: boolean };

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Describes an fs error without echoing anything but its code. */
export function describeFsError(error: unknown): string {
  const code = errnoCode(error);
  switch (code) {
    case "ENOENT":
      return "does not exist";
    case "ELOOP":
      return "is a symbolic link loop (or a symlink where none is allowed)";
    case "EACCES":
    case "EPERM":
      return "is not readable (permission denied)";
    case "ENOTDIR":
      return "is not a directory";
    case "ENAMETOOLONG":
      return "has a name that is too long";
    default:
      return `could not be read (${code ?? (error instanceof Error ? error.message : String(error))})`;
  }
}

/** Resolves every symlink of `path`; a loop or a dangling link becomes a reason, never a throw. */
export function realPath(path: string): FsResult<string> {
  try {
    return { ok: true, value: realpathSync.native(path) };
  } catch (error) {
    return { ok: false, reason: describeFsError(error), missing: errnoCode(error) === "ENOENT" };
  }
}

const NO_THROW = { throwIfNoEntry: false } as const;

/**
 * Resolves `entry` (already checked by {@link checkEntryPath}) against the real plugin directory
 * and refuses a result outside it — a symlink pointing out is as bad as `..` — or one that is not a
 * regular file. Walks the entry's own segments with `lstat` (the directory is already real) and
 * falls back to a full `realpath` only where a segment is a symlink.
 */
export function resolveEntry(realDir: string, entry: string): FsResult<string> {
  const segments = entry.split("/").filter((segment) => segment !== "" && segment !== ".");
  let current = realDir;
  for (let i = 0; i < segments.length; i++) {
    current = childPath(current, segments[i] ?? "");
    let info: Stats | undefined;
    try {
      info = lstatSync(current, NO_THROW);
    } catch (error) {
      return { ok: false, reason: describeFsError(error) };
    }
    if (info === undefined) return { ok: false, reason: "does not exist", missing: true };
    if (info.isSymbolicLink()) return resolveThroughLink(realDir, join(current, ...segments.slice(i + 1)));
    const last = i === segments.length - 1;
    if (!last && !info.isDirectory()) return { ok: false, reason: "is not a directory" };
    if (last && !info.isFile()) return { ok: false, reason: "is not a regular file" };
  }
  return { ok: true, value: current };
}

function resolveThroughLink(realDir: string, path: string): FsResult<string> {
  const resolved = realPath(path);
  if (!resolved.ok) return resolved;
  if (!isInside(realDir, resolved.value))
    return { ok: false, reason: "resolves (through a symlink) outside the plugin directory" };
  try {
    if (!statSync(resolved.value).isFile()) return { ok: false, reason: "is not a regular file" };
  } catch (error) {
    return { ok: false, reason: describeFsError(error) };
  }
  return resolved;
}

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;
const scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * Reads a file of at most `maxBytes`, refusing a symlink as the last component (the manifest must
 * live in the plugin directory itself) and never blocking on a FIFO. Reads into a reused buffer
 * (no `fstat`): the cap holds whatever the file claims. `missing` tells "no such file" apart.
 */
export function readSmallFile(path: string, maxBytes: number): FsResult<string> {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    const code = errnoCode(error);
    return { ok: false, reason: describeFsError(error), missing: code === "ENOENT" || code === "ENOTDIR" };
  }
  try {
    // The shared scratch buffer serves small files; a larger one grows a private copy up to the cap.
    let buffer = scratch;
    let size = 0;
    for (;;) {
      if (size === buffer.length) {
        if (size > maxBytes) break;
        const bigger = Buffer.allocUnsafe(Math.min(buffer.length * 2, maxBytes + 1));
        buffer.copy(bigger, 0, 0, size);
        buffer = bigger;
      }
      const wanted = Math.min(buffer.length, maxBytes + 1) - size;
      const n = readSync(fd, buffer, size, wanted, null);
      size += n;
      // A short read is the end of a regular file (a FIFO opened non-blocking reads 0 or fails).
      if (n < wanted || size > maxBytes) break;
    }
    if (size > maxBytes) return { ok: false, reason: `is larger than ${maxBytes} bytes` };
    return { ok: true, value: buffer.toString("utf8", 0, size) };
  } catch (error) {
    const code = errnoCode(error);
    if (code === "EISDIR") return { ok: false, reason: "is not a regular file" };
    return { ok: false, reason: describeFsError(error) };
  } finally {
    closeSync(fd);
  }
}
