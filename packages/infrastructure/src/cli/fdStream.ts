import { fstatSync, writeSync } from "node:fs";
import type { CliStream } from "./run.js";

/** Dependencies of {@link fdStream}, replaceable in tests. */
export interface FdStreamOptions {
  /** The stream the rest of the output goes to once a synchronous write fails (not `EPIPE`). */
  readonly fallback: () => { write(chunk: string | Uint8Array): unknown };
  /** Writes `bytes` from `offset` to `fd` and returns how many were written (`fs.writeSync`). */
  readonly write?: (fd: number, bytes: Uint8Array, offset: number) => number;
}

/**
 * The standalone CLI's stdout or stderr: a {@link CliStream} over a file descriptor, written with
 * `fs.writeSync`, as Node writes to a file, a TTY or a pipe on Linux anyway, without creating
 * `process.stdout`/`process.stderr` (for a pipe, Node's `net` and stream modules: a tenth of a short
 * command such as `espada-infra status | cat`).
 * - A partial write is continued.
 * - When the reader is gone (`EPIPE`, `| head`), output stops quietly, where `process.stdout` would
 *   crash the command with a stack trace.
 * - On any other failure (`EAGAIN`: a non-blocking pipe shared with a Node parent, and full), the rest
 *   of that text and everything after it go to `options.fallback()`, so the order holds.
 */
export function fdStream(fd: number, options: FdStreamOptions): CliStream {
  const write = options.write ?? ((target, bytes, offset) => writeSync(target, bytes, offset));
  let fallback: ReturnType<FdStreamOptions["fallback"]> | undefined;
  let readerGone = false;
  let tty: boolean | undefined;
  return {
    get isTTY() {
      return (tty ??= isTerminal(fd));
    },
    write(text: string) {
      if (readerGone) return;
      if (fallback !== undefined) {
        fallback.write(text);
        return;
      }
      const bytes = Buffer.from(text, "utf8");
      let written = 0;
      try {
        while (written < bytes.length) written += write(fd, bytes, written);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EPIPE") {
          readerGone = true;
          return;
        }
        fallback = options.fallback();
        fallback.write(bytes.subarray(written));
      }
    },
  };
}

/** The process's stdout (fd 1) or stderr (fd 2) as an {@link fdStream}, falling back to `process.stdout`/`process.stderr`. */
export function processStream(fd: 1 | 2): CliStream {
  return fdStream(fd, { fallback: () => (fd === 1 ? process.stdout : process.stderr) });
}

/**
 * Whether `fd` is a terminal. A terminal is a character device, so a pipe or a file is told apart by
 * `fstat` alone, without `node:tty` (which loads `net`); a character device is then asked properly
 * (it may be `/dev/null`). The `bigint` stat is on purpose: a plain one leaves a pipe's mode in the
 * array Node 20's `fs.realpathSync` reads back for a path it has already seen, which then stops
 * resolving symlinks, so a later `require()` of a linked package loaded a second copy of it.
 */
function isTerminal(fd: number): boolean {
  try {
    if (!fstatSync(fd, { bigint: true }).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  return process.getBuiltinModule("node:tty").isatty(fd);
}
