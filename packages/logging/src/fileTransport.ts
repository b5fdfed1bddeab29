import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import TransportStream from "winston-transport";
import type { LogLevel } from "@espada/infra-core";

/** Options of {@link FileTransport}. */
export interface FileTransportOptions {
  /** The active log file (`logs/app.log`); its folder is created when missing. */
  readonly path: string;
  /** Size in bytes past which the file is rotated (default 10 MiB). */
  readonly maxSize?: number;
  /** Rotated files kept: `app.log.1` (newest) … `app.log.<maxFiles>`; 0 keeps none (default 5). */
  readonly maxFiles?: number;
  /** Least severe level this transport writes (default: all the logger passes on). */
  readonly level?: LogLevel;
  /** Milliseconds to wait after a failed write before trying the disk again (default 1000). */
  readonly retryAfter?: number;
  /** Entries held in memory while the disk is busy; past it new entries are dropped (default 100 000). */
  readonly maxQueue?: number;
  /**
   * Called once when writing starts failing (and again only after a later recovery); by default
   * reported once on stderr. The transport never throws and never crashes the process.
   */
  readonly onError?: (error: Error) => void;
  /** Clock for the retry delay (tests). */
  readonly now?: () => number;
}

const DEFAULT_MAX_SIZE = 10 * 1024 * 1024;

const isMissing = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { code?: unknown }).code === "ENOENT";

/** A batch of queued lines written with one or more `write` calls. */
interface Chunk {
  readonly lines: readonly string[];
  readonly text: string;
}

/** A write that stopped part-way: `kept` whole lines of the chunk are in the file, the rest is lost. */
class PartialWriteError extends Error {
  readonly kept: number;
  constructor(kept: number, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.kept = kept;
  }
}

/** Raised when `write` reports no progress without an error (it never should; this stops a busy loop). */
function noProgressError(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`write to "${path}" made no progress (disk full?)`), { code: "ENOSPC" });
}

/**
 * Appends each entry as one JSON line, rotating by size (`app.log` → `app.log.1` → `app.log.2` …).
 * Writes are asynchronous and ordered and every `write` is checked for the bytes it took. A failing
 * disk (full, removed, read-only) is reported through `onError` once, the entries it cost are
 * counted in {@link FileTransport.droppedEntries}, and writing resumes when the disk recovers.
 * No torn line is left behind: a line cut short by a full disk is truncated away (or, if that fails,
 * closed with a newline before the next entry, so it never merges with a valid one). When the file is
 * deleted or moved away while open (log rotation, `rm -r` of the folder) the transport notices after
 * the next write, re-opens the path and writes the entries again there; if the folder is gone it
 * reports and drops until the folder comes back. The folder is created only at the first open.
 */
export class FileTransport extends TransportStream {
  /** The active log file. */
  readonly path: string;
  readonly #maxSize: number;
  readonly #maxFiles: number;
  readonly #retryAfter: number;
  readonly #maxQueue: number;
  readonly #onError: (error: Error) => void;
  readonly #now: () => number;
  #queue: string[] = [];
  #handle: FileHandle | undefined;
  #size = 0;
  #running: Promise<void> | undefined;
  #failing = false;
  #retryAt = 0;
  #dropped = 0;
  #closed = false;
  /** True once the file was opened: from then on a missing folder is reported, not re-created. */
  #opened = false;
  /** The file does not end with a newline (a torn line): the next write starts with one. */
  #needsNewline = false;

  constructor(options: FileTransportOptions) {
    super(options.level === undefined ? {} : { level: options.level });
    this.path = options.path;
    this.#maxSize = options.maxSize ?? DEFAULT_MAX_SIZE;
    this.#maxFiles = options.maxFiles ?? 5;
    this.#retryAfter = options.retryAfter ?? 1000;
    this.#maxQueue = options.maxQueue ?? 100_000;
    this.#now = options.now ?? Date.now;
    this.#onError =
      options.onError ??
      ((error) => {
        process.stderr.write(`[espada-logging] cannot write log file "${this.path}": ${error.message}\n`);
      });
  }

  /** Entries lost to write errors (a full disk, a removed folder), a full queue, or arriving after shutdown. */
  get droppedEntries(): number {
    return this.#dropped;
  }

  /** Winston entry point: queues one JSON line. */
  override log(info: object, next: () => void): void {
    if (
      this.#closed ||
      this.#queue.length >= this.#maxQueue ||
      (this.#failing && this.#now() < this.#retryAt)
    ) {
      this.#dropped += 1;
    } else {
      this.#queue.push(`${JSON.stringify(info)}\n`);
      this.#pump();
    }
    next();
  }

  /** Resolves once every queued entry has been written (or dropped on error). */
  async flush(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  /** Writes what is queued, then closes the file; later entries are dropped. */
  async shutdown(): Promise<void> {
    this.#closed = true;
    await this.flush();
    await this.#closeHandle();
  }

  #pump(): void {
    this.#running ??= this.#drain().finally(() => {
      this.#running = undefined;
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      /** Lines of the current chunk not (or no longer) in a live file. */
      let pending = 0;
      try {
        let handle = await this.#open();
        const first = this.#queue[0] ?? "";
        if (this.#size > 0 && this.#size + Buffer.byteLength(first) > this.#maxSize) {
          await this.#rotate();
          continue;
        }
        const chunk = this.#take();
        pending = chunk.lines.length;
        await this.#append(handle, chunk);
        pending = 0;
        const where = await this.#whereIsFile(handle);
        if (where !== "in-place") await this.#closeHandle();
        if (where === "unlinked") {
          // The chunk went to a file already deleted: write it again at the path.
          pending = chunk.lines.length;
          handle = await this.#open();
          await this.#append(handle, chunk);
          pending = 0;
        }
        this.#failing = false;
      } catch (error) {
        this.#dropped += error instanceof PartialWriteError ? pending - error.kept : pending;
        await this.#fail(error instanceof PartialWriteError ? error.cause : error);
      }
    }
  }

  /**
   * Writes a chunk in full, checking every `write` for the bytes it took. On failure the file is cut
   * back to the last whole line and a {@link PartialWriteError} tells how many lines of it stayed.
   */
  async #append(handle: FileHandle, chunk: Chunk): Promise<void> {
    const prefix = this.#needsNewline ? "\n" : "";
    const buffer = Buffer.from(prefix + chunk.text);
    const start = this.#size;
    let written = 0;
    try {
      while (written < buffer.length) {
        const { bytesWritten } = await handle.write(buffer, written, buffer.length - written);
        if (bytesWritten <= 0) throw noProgressError(this.path);
        written += bytesWritten;
        if (written >= prefix.length) this.#needsNewline = false;
      }
      this.#size = start + buffer.length;
    } catch (error) {
      let keptBytes = prefix.length <= written ? prefix.length : 0;
      let kept = 0;
      for (const line of chunk.lines) {
        const size = Buffer.byteLength(line);
        if (keptBytes + size > written) break;
        keptBytes += size;
        kept += 1;
      }
      if (written > keptBytes) {
        try {
          await handle.truncate(start + keptBytes);
          written = keptBytes;
        } catch {
          // Could not cut the torn line away: the next write closes it with a newline first.
        }
      }
      this.#size = start + written;
      this.#needsNewline = written > 0 && buffer[written - 1] !== 0x0a;
      throw new PartialWriteError(kept, error);
    }
  }

  /** Whether the open file is still the one at the path, was moved away (data kept) or deleted (data lost). */
  async #whereIsFile(handle: FileHandle): Promise<"in-place" | "moved" | "unlinked"> {
    const own = await handle.stat();
    if (own.nlink === 0) return "unlinked";
    try {
      const current = await stat(this.path);
      return current.ino === own.ino && current.dev === own.dev ? "in-place" : "moved";
    } catch (error) {
      if (isMissing(error)) return "moved";
      throw error;
    }
  }

  /** Takes queued lines that fit under `maxSize` (always at least one). */
  #take(): Chunk {
    let bytes = 0;
    let count = 0;
    for (const line of this.#queue) {
      const size = Buffer.byteLength(line);
      if (count > 0 && this.#size + bytes + size > this.#maxSize) break;
      bytes += size;
      count += 1;
    }
    const lines = this.#queue.slice(0, count);
    this.#queue = this.#queue.slice(count);
    return { lines, text: lines.join("") };
  }

  async #open(): Promise<FileHandle> {
    if (this.#handle !== undefined) return this.#handle;
    // A folder removed at run time is not re-created (it may be an unmounted volume): entries are
    // reported and dropped until it comes back.
    if (!this.#opened) await mkdir(dirname(this.path), { recursive: true });
    const handle = await open(this.path, "a+");
    try {
      const size = (await handle.stat()).size;
      let last = 0x0a;
      if (size > 0) {
        const probe = Buffer.alloc(1);
        const { bytesRead } = await handle.read(probe, 0, 1, size - 1);
        if (bytesRead === 1) last = probe[0] ?? 0x0a;
      }
      this.#size = size;
      this.#needsNewline = last !== 0x0a;
    } catch (error) {
      await handle.close();
      throw error;
    }
    this.#handle = handle;
    this.#opened = true;
    return handle;
  }

  async #rotate(): Promise<void> {
    await this.#closeHandle();
    if (this.#maxFiles === 0) {
      await rm(this.path, { force: true });
    } else {
      await rm(`${this.path}.${this.#maxFiles}`, { force: true });
      for (let index = this.#maxFiles - 1; index >= 1; index -= 1) {
        await renameIfPresent(`${this.path}.${index}`, `${this.path}.${index + 1}`);
      }
      await renameIfPresent(this.path, `${this.path}.1`);
    }
    this.#size = 0;
  }

  async #closeHandle(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle !== undefined) await handle.close();
  }

  async #fail(error: unknown): Promise<void> {
    this.#dropped += this.#queue.length;
    this.#queue = [];
    this.#retryAt = this.#now() + this.#retryAfter;
    await this.#closeHandle().catch(() => undefined);
    if (this.#failing) return;
    this.#failing = true;
    try {
      this.#onError(error instanceof Error ? error : new Error(String(error)));
    } catch {
      // A throwing error callback must not stop the transport.
    }
  }
}

async function renameIfPresent(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
}
