import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync } from "node:fs";
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
  if (!ENTRY_EXTENSIONS.some((ext) => entry.endsWith(ext))) return `must be a JavaScript module (${ENTRY_EXTENSIONS.join(", ")})`;
  return undefined;
}

/** True when `path` is `dir` itself or lies below it (both real, absolute paths). */
export function isInside(dir: string, path: string): boolean {
  const base = dir.endsWith(sep) ? dir : dir + sep;
  return path.startsWith(base);
}

/** Outcome of a file system check: a value, or a reason safe to show. */
export type FsResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string; readonly missing?: boolean };

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

/**
 * Resolves `entry` (already checked by {@link checkEntryPath}) against the real plugin directory
 * and refuses a result outside it — a symlink pointing out is as bad as `..`.
 */
export function resolveEntry(realDir: string, entry: string): FsResult<string> {
  const resolved = realPath(join(realDir, entry));
  if (!resolved.ok) return resolved;
  if (!isInside(realDir, resolved.value)) return { ok: false, reason: "resolves (through a symlink) outside the plugin directory" };
  try {
    if (!statSync(resolved.value).isFile()) return { ok: false, reason: "is not a regular file" };
  } catch (error) {
    return { ok: false, reason: describeFsError(error) };
  }
  return resolved;
}

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * Reads a regular file of at most `maxBytes`, refusing a symlink as the last component (the
 * manifest must live in the plugin directory itself). `missing` tells "no such file" apart.
 */
export function readSmallFile(path: string, maxBytes: number): FsResult<string> {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | O_NOFOLLOW);
  } catch (error) {
    return { ok: false, reason: describeFsError(error), missing: errnoCode(error) === "ENOENT" || errnoCode(error) === "ENOTDIR" };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { ok: false, reason: "is not a regular file" };
    if (stat.size > maxBytes) return { ok: false, reason: `is larger than ${maxBytes} bytes (${stat.size})` };
    const buffer = Buffer.allocUnsafe(stat.size);
    let read = 0;
    while (read < stat.size) {
      const n = readSync(fd, buffer, read, stat.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return { ok: true, value: buffer.toString("utf8", 0, read) };
  } catch (error) {
    return { ok: false, reason: describeFsError(error) };
  } finally {
    closeSync(fd);
  }
}
