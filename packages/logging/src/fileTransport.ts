import { mkdir, open, rename, rm } from "node:fs/promises";
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

/**
 * Appends each entry as one JSON line, rotating by size (`app.log` → `app.log.1` → `app.log.2` …).
 * Writes are asynchronous and ordered; a failing disk is reported once and the entries of that moment are
 * dropped (counted in {@link FileTransport.droppedEntries}), then writing resumes when the disk recovers.
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

  /** Entries lost to write errors, a full queue, or arriving after shutdown. */
  get droppedEntries(): number {
    return this.#dropped;
  }

  /** Winston entry point: queues one JSON line. */
  override log(info: object, next: () => void): void {
    if (this.#closed || this.#queue.length >= this.#maxQueue || (this.#failing && this.#now() < this.#retryAt)) {
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
      let taken = 0;
      try {
        const handle = await this.#open();
        const first = this.#queue[0] ?? "";
        if (this.#size > 0 && this.#size + Buffer.byteLength(first) > this.#maxSize) {
          await this.#rotate();
          continue;
        }
        const chunk = this.#take();
        taken = chunk.count;
        await handle.write(chunk.text);
        this.#size += chunk.bytes;
        this.#failing = false;
      } catch (error) {
        this.#dropped += taken;
        await this.#fail(error);
      }
    }
  }

  /** Takes queued lines that fit under `maxSize` (always at least one). */
  #take(): { text: string; bytes: number; count: number } {
    let bytes = 0;
    let count = 0;
    for (const line of this.#queue) {
      const size = Buffer.byteLength(line);
      if (count > 0 && this.#size + bytes + size > this.#maxSize) break;
      bytes += size;
      count += 1;
    }
    const text = this.#queue.slice(0, count).join("");
    this.#queue = this.#queue.slice(count);
    return { text, bytes, count };
  }

  async #open(): Promise<FileHandle> {
    if (this.#handle !== undefined) return this.#handle;
    await mkdir(dirname(this.path), { recursive: true });
    const handle = await open(this.path, "a");
    try {
      this.#size = (await handle.stat()).size;
    } catch (error) {
      await handle.close();
      throw error;
    }
    this.#handle = handle;
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
