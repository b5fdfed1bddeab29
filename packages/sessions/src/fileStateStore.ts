import { isUtf8 } from "node:buffer";
import * as fs from "node:fs";
import { open as openFile, readFile, rm, truncate as truncateFile } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { InfrastructureError, MAX_TIMER_MS, StorageError } from "@espada/infra-core";
import type { LogEntry, StoredRecord, TrimOptions } from "@espada/infra-core";
import { StateEngine, trimmedCount } from "./engine.js";
import type { RecordSpace, StatePersistence } from "./engine.js";
import { LogIndex } from "./logIndex.js";
import { EngineStateStore } from "./engineStore.js";
import { fsyncOnPool, replaceFile, writeAll } from "./durableWrite.js";
import type { DiskWait } from "./durableWrite.js";
import {
  decodeKey,
  decodeLogLine,
  decodeRecordFile,
  encodeKey,
  encodeLogLine,
  encodeLogLines,
  encodeLogStartLine,
  encodeRecordFile,
  isNameOfAsciiKey,
  isSealedBytes,
  recordOfBody,
} from "./fileFormat.js";
import type { DecodeFailure } from "./fileFormat.js";
import { Cascade } from "./cascade.js";
import { acquireDirectoryLock } from "./lock.js";
import { parseOptions } from "./problems.js";
import type { ProblemListener, StoreProblem, StoreProblemKind } from "./problems.js";

/** Schema of the serialisable options of a {@link FileStateStore}. */
export const fileStateStoreOptionsSchema = z.object({
  /** The state directory; created when missing. */
  directory: z.string().min(1),
  /**
   * A lock not refreshed for this long is stale (ms, 2000 … 2^31 − 1: the lock is refreshed on a
   * timer every half of it). A dead owner on this host is stale at once.
   */
  lockStaleMs: z.number().int().min(2000).max(MAX_TIMER_MS).default(30_000),
  /**
   * How long to wait for the lock while another live process holds it (ms, 0 … 2^31 − 1; 0 = fail
   * at once with `STORAGE_LOCKED`).
   */
  lockWaitMs: z.number().int().min(0).max(MAX_TIMER_MS).default(0),
});

/**
 * The file operations a {@link FileStateStore} performs when writing; a seam for fault injection
 * (tests replace one with a failing version to prove that a failed write loses nothing).
 */
export interface FileStoreIo {
  /**
   * Atomically replaces a file: temp file, every byte written, fsync, rename (the directory fsync
   * follows, coalesced). `wait` says how the fsync waits (`block` for a write with nothing else in flight).
   */
  writeFile(path: string, data: string, wait?: DiskWait): Promise<void>;
  /** Removes a file; a missing file is not an error. */
  removeFile(path: string): Promise<void>;
  /** Appends every byte (the UTF-8 lines of a batch) to a file opened for appending; rejects on a short or failed write. */
  appendBytes(handle: FileHandle, data: Uint8Array): Promise<void>;
  /**
   * fdatasyncs a log file: makes every byte written to it before the call durable. Appends are
   * pipelined: the next batch may be written while this runs.
   */
  syncLog(handle: FileHandle): Promise<void>;
}

/** Options of {@link FileStateStore.open}. */
export type FileStateStoreOptions = z.input<typeof fileStateStoreOptionsSchema> & {
  /** Told about each record that could not be loaded (the others load). */
  readonly onProblem?: ProblemListener;
  /** Clock (epoch ms). */
  readonly now?: () => number;
  /** Replaces file operations (fault injection). */
  readonly io?: Partial<FileStoreIo>;
};

const SPACE_DIRS: Record<RecordSpace, string> = { record: "records", counter: "counters" };
const LOG_DIR = "logs";
const QUARANTINE_DIR = "quarantine";
const MAX_CONCURRENT_WRITES = 2;
/** Log files kept open for appending at once; the least recently used idle one is closed past it. */
const MAX_OPEN_LOGS = 64;
const TEMP_FILE = /\.json\.[0-9a-f]+$/;
const NEWLINE = 0x0a;
const noop = (): void => undefined;

const defaultIo: FileStoreIo = {
  writeFile: (path, data, wait) => replaceFile(path, data, 0o600, wait),
  removeFile: (path) => rm(path, { force: true }),
  appendBytes: (handle, data) => writeAll(handle, data),
  syncLog: (handle) => handle.datasync(),
};

/** At most `limit` tasks at once; the rest wait in order. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** True when no task runs or waits. */
  get idle(): boolean {
    return this.active === 0 && this.waiting.length === 0;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * Coalesces directory fsyncs: callers arriving while one runs share the next one. The directory is
 * opened once and kept open (an fsync of that descriptor flushes the directory's current entries),
 * so a sync is one thread-pool fsync, not an open, an fsync and a close.
 */
class DirectorySync {
  private readonly path: string;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private fd: number | undefined;

  constructor(path: string) {
    this.path = path;
  }

  /** `block`: when no sync is in flight, fsync on this thread (a lone write, see {@link DiskWait}). */
  sync(wait: DiskWait = "pool"): Promise<void> {
    if (wait === "block" && this.running === undefined && this.queued === undefined) {
      try {
        this.syncNow();
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    if (this.running === undefined) {
      this.running = this.run().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.sync();
      });
    return this.queued;
  }

  /** Closes the kept descriptor (after the last sync). */
  async close(): Promise<void> {
    await Promise.allSettled([this.running, this.queued]);
    this.drop();
  }

  private async run(): Promise<void> {
    this.fd ??= fs.openSync(this.path, "r");
    try {
      await fsyncOnPool(this.fd);
    } catch (error) {
      // EINVAL: a file system that cannot fsync a directory (the rename is still atomic there)
      if ((error as NodeJS.ErrnoException).code === "EINVAL") return;
      this.drop(); // opened again on the next sync
      throw error;
    }
  }

  private syncNow(): void {
    this.fd ??= fs.openSync(this.path, "r");
    try {
      fs.fsyncSync(this.fd);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EINVAL") return;
      this.drop();
      throw error;
    }
  }

  private drop(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return;
    try {
      fs.closeSync(fd);
    } catch {
      // nothing to release any more
    }
  }
}

interface LogFile {
  /** Bytes acknowledged so far. */
  size: number;
  /** Bytes once every append in flight is written: where the next append starts. */
  end: number;
  /** Position of the first entry of the next append (a batch at any other position is refused). */
  next: number;
  /** Where the acknowledged entries are in the file (read back on demand, never kept in memory). */
  index: LogIndex;
  /** Counts replacements and removals of the file: a read that overlapped one reads again. */
  generation: number;
  /** Settles when the replacement or removal of the file in progress is over. */
  replacing: Promise<void> | undefined;
  /** A failed append takes the appends issued after it and still in flight with it. */
  readonly cascade: Cascade;
  /** Where the file must be cut back to before the next write (a failed append's bytes could not be cut off yet). */
  cut: number | undefined;
  /** Open for appending, or not open now (opened again on the next append). */
  handle: FileHandle | undefined;
  /** The open in progress (concurrent appends share it). */
  opening: Promise<FileHandle> | undefined;
  /** Appends in flight on the handle (a busy handle is never closed to make room). */
  busy: number;
  /** The fdatasync in flight, and the one queued after it (shared by every batch written meanwhile). */
  syncing: Promise<void> | undefined;
  syncQueued: Promise<void> | undefined;
  /** Settles when the write stage of the last append issued is over (its bytes written or cut off); never rejects. */
  written: Promise<void>;
  /** Settles when the last append issued is acknowledged or failed; never rejects. */
  settled: Promise<void>;
}

/** Indexes the lines of `entries`, encoded one line each in `data`, written to the file at `offset`. */
function indexLines(index: LogIndex, entries: readonly LogEntry[], data: Buffer, offset: number): void {
  let start = 0;
  for (const entry of entries) {
    const end = data.indexOf(NEWLINE, start) + 1;
    index.add(entry.position, entry.timestamp, offset + start, offset + end);
    start = end;
  }
}

/** Reads the bytes `[start, end)` of a file. */
async function readRange(path: string, start: number, end: number): Promise<Buffer> {
  const handle = await openFile(path, "r");
  try {
    const bytes = Buffer.allocUnsafe(end - start);
    for (let at = 0; at < bytes.length;) {
      const { bytesRead } = await handle.read(bytes, at, bytes.length - at, start + at);
      if (bytesRead === 0) throw new Error(`the file ends before byte ${start + at} (expected ${end})`);
      at += bytesRead;
    }
    return bytes;
  } finally {
    await handle.close();
  }
}

/** An append that fails because one before it in the log's order failed (its bytes are cut off with it). */
function cascaded(): Error {
  return new Error("an earlier append to this log failed; later appends in flight fail with it");
}

/** The persistence of a {@link FileStateStore}: one file per record, a JSON-lines file per log. */
class FilePersistence implements StatePersistence {
  private readonly directory: string;
  private readonly io: FileStoreIo;
  private readonly report: (problem: StoreProblem) => void;
  private readonly release: () => Promise<void>;
  private readonly dirSyncs: Record<RecordSpace | "log", DirectorySync>;
  /** Loaded logs, in least-recently-appended-first order (a Map keeps insertion order). */
  private readonly logs = new Map<string, LogFile>();
  private openHandles = 0;
  /** Bounds concurrent file writes so that the lock refresh is never starved of the libuv thread pool. */
  private readonly writes = new Limiter(MAX_CONCURRENT_WRITES);
  /** Log appends in flight (on every log). */
  private appending = 0;
  /** Set when the lock was lost: every later write fails. */
  compromised: Error | undefined;

  constructor(
    directory: string,
    io: FileStoreIo,
    report: (problem: StoreProblem) => void,
    release: () => Promise<void>,
  ) {
    this.directory = directory;
    this.io = io;
    this.report = report;
    this.release = release;
    this.dirSyncs = {
      record: new DirectorySync(join(directory, SPACE_DIRS.record)),
      counter: new DirectorySync(join(directory, SPACE_DIRS.counter)),
      log: new DirectorySync(join(directory, LOG_DIR)),
    };
  }

  private assertLocked(): void {
    if (this.compromised !== undefined) {
      throw new StorageError(
        "STORAGE_LOCKED",
        `The lock of "${this.directory}" was lost; refusing to write`,
        { cause: this.compromised },
      );
    }
  }

  async writeRecord(
    space: RecordSpace,
    key: string,
    record: StoredRecord | undefined,
    contended = true,
  ): Promise<void> {
    this.assertLocked();
    const path = join(this.directory, SPACE_DIRS[space], `${encodeKey(key)}.json`);
    try {
      // a lone write waits for the disk on this thread: no other write would run meanwhile
      // (and no log append is in flight: blocking would hold up answering it)
      const wait: DiskWait = !contended && this.writes.idle && this.appending === 0 ? "block" : "pool";
      await this.writes.run(() =>
        record === undefined
          ? this.io.removeFile(path)
          : this.io.writeFile(path, encodeRecordFile(space, record), wait),
      );
      await this.dirSyncs[space].sync(wait);
    } catch (error) {
      throw new StorageError("STORAGE_FAILED", `Could not write record "${key}"`, {
        cause: error,
        details: { key },
      });
    }
  }

  private logPath(log: string): string {
    return join(this.directory, LOG_DIR, `${encodeKey(log)}.jsonl`);
  }

  async loadLog(log: string): Promise<number> {
    const path = this.logPath(log);
    let bytes = Buffer.alloc(0);
    try {
      bytes = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        throw new StorageError("STORAGE_FAILED", `Could not read log "${log}"`, {
          cause: error,
          details: { log },
        });
      }
    }
    // every byte after the last newline: an interrupted append that was never acknowledged
    const goodBytes = bytes.lastIndexOf(NEWLINE) + 1;
    if (goodBytes < bytes.length)
      this.report(problem("torn", `Ignored a torn last line of log "${log}"`, { file: path, key: log }));
    const index = new LogIndex();
    let next = 0;
    let damaged = false;
    for (let start = 0; start < goodBytes;) {
      const end = bytes.indexOf(NEWLINE, start) + 1;
      const decoded = decodeLogLine(bytes.toString("utf8", start, end - 1));
      if (decoded.ok && "start" in decoded && start === 0) next = decoded.start;
      else if (decoded.ok && "entry" in decoded && decoded.entry.position >= next) {
        index.add(decoded.entry.position, decoded.entry.timestamp, start, end);
        next = decoded.entry.position + 1;
      } else {
        damaged = true;
        const reason = !decoded.ok
          ? decoded.failure.reason
          : "entry" in decoded
            ? `position ${decoded.entry.position} out of order`
            : "start marker not on the first line";
        this.report(
          problem(
            decoded.ok ? "corrupt" : decoded.failure.kind,
            `Skipped a line of log "${log}": ${reason}`,
            {
              file: path,
              key: log,
            },
          ),
        );
      }
      start = end;
    }
    if (damaged) {
      const copy = join(this.directory, QUARANTINE_DIR, `${Date.now()}-log-${encodeKey(log)}.jsonl`);
      await fs.promises.copyFile(path, copy).catch(() => undefined);
    }
    if (goodBytes < bytes.length) await truncateFile(path, goodBytes);
    this.logs.set(log, {
      size: goodBytes,
      end: goodBytes,
      next,
      index,
      generation: 0,
      replacing: undefined,
      cascade: new Cascade(),
      syncing: undefined,
      syncQueued: undefined,
      cut: undefined,
      handle: undefined,
      opening: undefined,
      busy: 0,
      written: Promise.resolve(),
      settled: Promise.resolve(),
    });
    return next;
  }

  private loaded(log: string): LogFile {
    const file = this.logs.get(log);
    if (file === undefined) throw new StorageError("STORAGE_FAILED", `Log "${log}" is not loaded`);
    return file;
  }

  /**
   * Reads entries back from the file: the byte range of the indexed lines wanted, each line decoded
   * and checked against the position the index holds for it (a line skipped at load, or the bytes of
   * an append not acknowledged, are never returned). A read overlapping a trim or a delete of the log
   * (the file replaced or removed) reads again once that is over.
   */
  async readLog(log: string, fromPosition: number, limit: number): Promise<LogEntry[]> {
    const file = this.loaded(log);
    for (;;) {
      while (file.replacing !== undefined) await file.replacing;
      const generation = file.generation;
      const index = file.index;
      const first = index.firstAtOrAfter(fromPosition);
      const last = Math.min(index.length, first + limit);
      if (first >= last) return [];
      const offset = index.startAt(first);
      let bytes: Buffer;
      try {
        bytes = await readRange(this.logPath(log), offset, index.endAt(last - 1));
      } catch (error) {
        if (file.generation !== generation) continue;
        throw new StorageError("STORAGE_FAILED", `Could not read log "${log}"`, {
          cause: error,
          details: { log },
        });
      }
      if (file.generation !== generation) continue;
      const entries: LogEntry[] = [];
      for (let i = first; i < last; i++) {
        const line = bytes.toString("utf8", index.startAt(i) - offset, index.endAt(i) - offset - 1);
        const decoded = decodeLogLine(line);
        if (!decoded.ok || !("entry" in decoded) || decoded.entry.position !== index.positionAt(i)) {
          throw new StorageError("STORAGE_CORRUPT", `Log "${log}" changed on disk since it was loaded`, {
            details: { log, position: index.positionAt(i) },
          });
        }
        entries.push(Object.freeze(decoded.entry));
      }
      return entries;
    }
  }

  /** The log's open append handle, opening it (and closing the least recently used idle one past the limit). */
  private handleOf(log: string, file: LogFile): Promise<FileHandle> {
    if (file.handle !== undefined) return Promise.resolve(file.handle);
    file.opening ??= (async () => {
      try {
        if (this.openHandles >= MAX_OPEN_LOGS) await this.closeIdleHandle();
        const handle = await openFile(this.logPath(log), "a", 0o600);
        this.openHandles++;
        file.handle = handle;
        if (file.size === 0) await this.dirSyncs.log.sync(); // a new file: make its name durable
        return handle;
      } finally {
        file.opening = undefined;
      }
    })();
    return file.opening;
  }

  private async closeIdleHandle(): Promise<void> {
    for (const file of this.logs.values()) {
      if (file.handle === undefined || file.busy > 0) continue;
      const handle = file.handle;
      file.handle = undefined;
      this.openHandles--;
      await handle.close().catch(() => undefined);
      return;
    }
  }

  private async dropHandle(file: LogFile): Promise<void> {
    const handle = file.handle;
    if (handle === undefined) return;
    file.handle = undefined;
    this.openHandles--;
    await handle.close().catch(() => undefined);
  }

  /**
   * Appends a batch of entries durably. Calls for one log may overlap and are pipelined in call
   * order: a batch is written once the one before it is written (so it can be written while that
   * one's fdatasync is in flight), synced, and acknowledged only after every batch before it. When
   * a batch fails (write or sync), the file is cut back to where it started, so neither its bytes
   * nor those of any batch issued after it and still in flight remain, and those batches fail too;
   * a batch issued after the failure is unaffected (it is written after the cut).
   */
  async appendLog(log: string, entries: readonly LogEntry[]): Promise<void> {
    this.assertLocked();
    const file = this.logs.get(log);
    if (file === undefined) throw new StorageError("STORAGE_FAILED", `Log "${log}" is not loaded`);
    const first = entries[0]?.position ?? file.next;
    if (first !== file.next) {
      // chained after a batch whose failure was not known yet when it was made: never written
      throw new StorageError("STORAGE_FAILED", `Could not append to log "${log}"`, {
        cause: cascaded(),
        details: { log },
      });
    }
    // encoded to bytes once: the same buffer is written and gives the new size
    const data = encodeLogLines(entries);
    const seq = file.cascade.issue();
    const start = file.end;
    file.end += data.length;
    file.next += entries.length;
    const before = { written: file.written, settled: file.settled };
    let endWrite = noop;
    let endAppend = noop;
    file.written = new Promise((resolve) => (endWrite = resolve));
    file.settled = new Promise((resolve) => (endAppend = resolve));
    this.logs.delete(log);
    this.logs.set(log, file); // most recently used last
    file.busy++;
    this.appending++;
    /** This batch failed first: it and every batch issued after it are cut off; the next one starts here. */
    const failHere = (): void => {
      file.cascade.fail(seq);
      file.end = start;
      file.next = first;
      file.cut = Math.min(file.cut ?? start, start);
    };
    let failure: { cause: unknown } | undefined;
    let cutting: Promise<void> | undefined;
    let handle: FileHandle | undefined;
    try {
      // write stage: one batch at a time, in call order
      try {
        await before.written;
        if (file.cascade.doomed(seq)) throw cascaded();
        handle = await this.handleOf(log, file);
        if (file.cut !== undefined) {
          await handle.truncate(file.cut); // an earlier failed append left bytes behind
          file.cut = undefined;
        }
        await this.io.appendBytes(handle, data);
      } catch (cause) {
        failure = { cause };
        if (!file.cascade.doomed(seq)) {
          failHere();
          await this.cutBack(file);
        }
      } finally {
        endWrite();
      }
      // sync stage: overlaps the next batch's write
      if (failure === undefined && handle !== undefined) {
        try {
          await this.syncLog(file, handle);
        } catch (cause) {
          failure = { cause };
          if (!file.cascade.doomed(seq)) {
            // cut its bytes (and those of every later batch) off, in the write stage
            failHere();
            cutting = file.written.then(() => this.cutBack(file));
            file.written = cutting;
          }
        }
      }
      // acknowledgement: strictly after every batch before this one (a failure is reported at once)
      if (failure === undefined) {
        await before.settled;
        if (file.cascade.doomed(seq)) failure = { cause: cascaded() };
      }
      if (failure !== undefined) {
        await cutting; // the cut is made before the failure is reported
        throw new StorageError("STORAGE_FAILED", `Could not append to log "${log}"`, {
          cause: failure.cause,
          details: { log },
        });
      }
      file.size = start + data.length;
      indexLines(file.index, entries, data, start);
    } finally {
      this.appending--;
      if (--file.busy === 0) file.cascade.idle();
      // settled for the batches after it only once every batch before it is
      void before.settled.then(endAppend);
    }
  }

  /**
   * fdatasyncs a log file, one sync at a time: a batch written while a sync is in flight waits for
   * the next one, which starts as soon as that one ends and covers every batch written meanwhile.
   */
  private syncLog(file: LogFile, handle: FileHandle): Promise<void> {
    if (file.syncing === undefined) {
      const run = this.io.syncLog(handle).finally(() => {
        if (file.syncing === run) file.syncing = undefined;
      });
      file.syncing = run;
      return run;
    }
    file.syncQueued ??= file.syncing.catch(noop).then(() => {
      file.syncQueued = undefined;
      return this.syncLog(file, handle);
    });
    return file.syncQueued;
  }

  /** Cuts the file back to `file.cut`; when that fails, the next append does it before writing. */
  private async cutBack(file: LogFile): Promise<void> {
    const cut = file.cut;
    const handle = file.handle;
    if (cut === undefined || handle === undefined) return;
    try {
      await handle.truncate(cut);
      if (file.cut === cut) file.cut = undefined;
    } catch {
      // left in `file.cut`: retried before the next write
    }
  }

  async trimLog(log: string, options: TrimOptions, next: number): Promise<number> {
    this.assertLocked();
    const file = this.loaded(log);
    const index = file.index;
    const removed = trimmedCount(index.length, (i) => index.timestampAt(i), options);
    if (removed === 0) return 0;
    const kept = removed < index.length ? await this.readLog(log, index.positionAt(removed), Infinity) : [];
    const lines = kept.map(encodeLogLine);
    const startLine = encodeLogStartLine(kept[0]?.position ?? next);
    const trimmed = new LogIndex();
    let at = Buffer.byteLength(startLine, "utf8");
    kept.forEach((entry, i) => {
      const end = at + Buffer.byteLength(lines[i] as string, "utf8");
      trimmed.add(entry.position, entry.timestamp, at, end);
      at = end;
    });
    await this.replaceLog(log, file, "trim", async () => {
      await this.dropHandle(file); // the rename below replaces the file: the old handle would append to the old one
      await this.writes.run(() => this.io.writeFile(this.logPath(log), startLine + lines.join("")));
      // the file holds the trimmed content from here on, even if the directory sync below fails
      file.size = file.end = at;
      file.cut = undefined;
      file.next = next;
      file.index = trimmed;
      await this.dirSyncs.log.sync();
    });
    return removed;
  }

  /**
   * Replaces or removes a log's file with `change`: reads wait for it, and a read that overlapped it
   * reads again (the offsets it had may not be those of the file any more).
   */
  private async replaceLog(
    log: string,
    file: LogFile,
    what: string,
    change: () => Promise<void>,
  ): Promise<void> {
    file.generation++;
    const replacing = change();
    file.replacing = replacing.catch(noop);
    try {
      await replacing;
    } catch (error) {
      throw new StorageError("STORAGE_FAILED", `Could not ${what} log "${log}"`, {
        cause: error,
        details: { log },
      });
    } finally {
      file.replacing = undefined;
    }
  }

  async deleteLog(log: string): Promise<void> {
    this.assertLocked();
    const file = this.loaded(log);
    await this.replaceLog(log, file, "delete", async () => {
      await this.dropHandle(file);
      await this.io.removeFile(this.logPath(log));
      file.size = file.end = 0;
      file.cut = undefined;
      file.next = 0;
      file.index = new LogIndex();
      await this.dirSyncs.log.sync();
    });
  }

  async close(): Promise<void> {
    const handles = [...this.logs.values()].map((l) => this.dropHandle(l));
    this.logs.clear();
    await Promise.allSettled(handles);
    await Promise.allSettled(Object.values(this.dirSyncs).map((d) => d.close()));
    if (this.compromised === undefined) await this.release().catch(() => undefined);
  }
}

function problem(
  kind: StoreProblemKind,
  message: string,
  where: { file?: string; key?: string; movedTo?: string; cause?: unknown },
): StoreProblem {
  const code = kind === "unreadable" ? "STORAGE_FAILED" : "STORAGE_CORRUPT";
  const error = new StorageError(code, message, {
    ...(where.cause === undefined ? {} : { cause: where.cause }),
    details: { kind, ...(where.file === undefined ? {} : { file: where.file }) },
  });
  return {
    kind,
    error,
    ...(where.file === undefined ? {} : { file: where.file }),
    ...(where.key === undefined ? {} : { key: where.key }),
    ...(where.movedTo === undefined ? {} : { movedTo: where.movedTo }),
  };
}

/** Bytes of record files parsed with one `JSON.parse` at load (a batch closes once past it). */
const BATCH_BYTES = 1 << 20;
const OPEN_BRACKET = 0x5b;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;
/** Offset of the checksum's hex digits in a record file (after `{"c":"`). */
const CHECKSUM_AT = 6;

/** A record file read into the current batch, its envelope and checksum verified. */
interface BatchedFile {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Loads every record file of one space, synchronously (startup only: ~4x faster than async reads
 * for 10k files), in one pass over the directory: each file is read into one reused buffer (no
 * buffer or string per file), its envelope and checksum verified on the bytes, and the files of a
 * batch (about {@link BATCH_BYTES}) are parsed together as one JSON array, so that thousands of
 * small records make one string and one `JSON.parse` call, not one of each per file. Every file
 * is then checked on its own (format, kind, key against its name, fields); a file whose bytes do
 * not verify, and every file of a batch that does not parse as exactly one element per file, are
 * decoded one by one as before, so a damaged file is quarantined with its reason and never takes
 * another record with it.
 */
function loadSpace(
  directory: string,
  space: RecordSpace,
  now: number,
  report: (problem: StoreProblem) => void,
): StoredRecord[] {
  const dir = join(directory, SPACE_DIRS[space]);
  const records: StoredRecord[] = [];
  const quarantine = (
    name: string,
    failure: DecodeFailure | { kind: StoreProblemKind; reason: string },
    key?: string,
    cause?: unknown,
  ): void => {
    const file = join(dir, name);
    const target = join(directory, QUARANTINE_DIR, `${Date.now()}-${SPACE_DIRS[space]}-${name}`);
    let movedTo: string | undefined;
    try {
      fs.renameSync(file, target);
      movedTo = target;
    } catch {
      movedTo = undefined;
    }
    const label = key === undefined ? `file "${name}"` : `record "${key}"`;
    report(
      problem(failure.kind, `Moved aside ${label}: ${failure.reason}`, {
        file,
        ...(key === undefined ? {} : { key }),
        ...(movedTo === undefined ? {} : { movedTo }),
        cause,
      }),
    );
  };
  const accept = (
    name: string,
    key: string,
    decoded: { ok: true; record: StoredRecord } | { ok: false; failure: DecodeFailure },
  ): void => {
    if (!decoded.ok) quarantine(name, decoded.failure, key);
    else if (decoded.record.expiresAt !== undefined && decoded.record.expiresAt <= now)
      fs.rmSync(`${dir}/${name}`, { force: true });
    else records.push(Object.freeze(decoded.record));
  };

  // the batch: the JSON array text `[file,file,…` of the files read so far, in `buffer`
  let buffer = Buffer.allocUnsafe(BATCH_BYTES + 64 * 1024);
  buffer[0] = OPEN_BRACKET;
  let used = 1;
  const batch: BatchedFile[] = [];
  const foreignName = (name: string): void =>
    quarantine(name, { kind: "foreign", reason: "not a record file name" });
  /** One file on its own: the reference decoding of its text. */
  const decodeAlone = (file: BatchedFile): void => {
    const key = decodeKey(file.name.slice(0, -5));
    if (key === undefined) foreignName(file.name);
    else accept(file.name, key, decodeRecordFile(buffer.toString("utf8", file.start, file.end), space, key));
  };
  const flush = (): void => {
    if (batch.length === 0) return;
    buffer[used] = CLOSE_BRACKET;
    let items: unknown;
    if (isUtf8(buffer.subarray(0, used + 1))) {
      try {
        items = JSON.parse(buffer.toString("utf8", 0, used + 1));
      } catch {
        items = undefined; // some file is not JSON on its own: each is decoded alone below
      }
    }
    if (Array.isArray(items) && items.length === batch.length) {
      for (let i = 0; i < batch.length; i++) {
        const file = batch[i] as BatchedFile;
        const body = envelopeBody(items[i], buffer, file.start);
        if (body === undefined) {
          decodeAlone(file);
          continue;
        }
        // the file name is checked against the key the file holds (no decoding for the common
        // ASCII key); any other name is decoded, as the file-name check defines
        const held = body["key"];
        const key =
          typeof held === "string" && isNameOfAsciiKey(file.name.slice(0, -5), held)
            ? held
            : decodeKey(file.name.slice(0, -5));
        if (key === undefined) foreignName(file.name);
        else accept(file.name, key, recordOfBody(body, space, key));
      }
    } else for (const file of batch) decodeAlone(file);
    batch.length = 0;
    used = 1;
  };
  /** Reads a file into the buffer from `start` (growing it when needed); the end offset. */
  const readInto = (path: string, start: number): number => {
    const fd = fs.openSync(path, "r");
    try {
      let at = start;
      for (;;) {
        if (at === buffer.length) {
          const grown = Buffer.allocUnsafe(buffer.length * 2);
          buffer.copy(grown, 0, 0, at);
          buffer = grown;
        }
        const read = fs.readSync(fd, buffer, at, buffer.length - at, null);
        if (read === 0) return at;
        at += read;
      }
    } finally {
      fs.closeSync(fd);
    }
  };

  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const name = entry.name;
    if (entry.isFile() && TEMP_FILE.test(name)) {
      fs.rmSync(`${dir}/${name}`, { force: true }); // an interrupted atomic write: never acknowledged
      continue;
    }
    if (!entry.isFile() || !name.endsWith(".json")) {
      foreignName(name);
      continue;
    }
    const start = batch.length === 0 ? used : used + 1; // after the comma that will separate it
    let end: number;
    try {
      end = readInto(`${dir}/${name}`, start);
    } catch (error) {
      const key = decodeKey(name.slice(0, -5));
      if (key === undefined) foreignName(name);
      else
        quarantine(
          name,
          { kind: "unreadable", reason: (error as NodeJS.ErrnoException).code ?? "read failed" },
          key,
          error,
        );
      continue;
    }
    const file: BatchedFile = { name, start, end };
    if (!isSealedBytes(buffer, start, end)) {
      decodeAlone(file); // damaged or foreign: decoded alone for its reason
      continue;
    }
    if (batch.length > 0) buffer[used] = COMMA;
    used = end;
    batch.push(file);
    if (used >= BATCH_BYTES) flush();
  }
  flush();
  return records;
}

/**
 * The body `e` of a parsed envelope `{"c": "<crc32>", "e": {…}}` whose checksum `c` is the one in
 * the file's bytes at `start` (the element of a batch is the file it is taken for), or undefined.
 */
function envelopeBody(item: unknown, bytes: Buffer, start: number): Record<string, unknown> | undefined {
  if (typeof item !== "object" || item === null) return undefined;
  const sum = (item as Record<string, unknown>)["c"];
  const body = (item as Record<string, unknown>)["e"];
  if (typeof sum !== "string" || sum.length !== 8) return undefined;
  for (let i = 0; i < 8; i++) if (sum.charCodeAt(i) !== bytes[start + CHECKSUM_AT + i]) return undefined;
  return typeof body === "object" && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : undefined;
}

/**
 * A durable {@link StateStore} in one state directory. Layout (format version 1):
 * `records/<base64url(key)>.json` and `counters/<base64url(key)>.json` (one checksummed file per
 * record, replaced atomically: temp file, every byte written, fsync, rename, directory fsync),
 * `logs/<base64url(name)>.jsonl` (one checksummed JSON line per entry; a torn last line is ignored),
 * `quarantine/` (files moved aside), `.lock/owner-<nonce>.json` (the lock). All records are loaded at
 * open and served from memory; writes to one key are coalesced and acknowledged once durable; a write
 * that cannot complete (a full disk) rejects with `STORAGE_FAILED` and leaves the previous version.
 */
export class FileStateStore extends EngineStateStore {
  /** The state directory. */
  readonly directory: string;
  private readonly found: StoreProblem[];

  private constructor(engine: StateEngine, directory: string, found: StoreProblem[]) {
    super(engine);
    this.directory = directory;
    this.found = found;
  }

  /** Every problem found so far (records moved aside, torn log lines, a lost lock). */
  get problems(): readonly StoreProblem[] {
    return this.found;
  }

  /**
   * Opens (creating when missing) a state directory: takes its lock (`STORAGE_LOCKED` when another
   * live process holds it) and loads every record, moving aside and reporting the ones that cannot be read.
   */
  static async open(options: FileStateStoreOptions): Promise<FileStateStore> {
    const parsed = parseOptions(fileStateStoreOptionsSchema, options, "FileStateStore options");
    const directory = parsed.directory;
    const now = options.now ?? Date.now;
    const found: StoreProblem[] = [];
    const report = (p: StoreProblem): void => {
      found.push(p);
      options.onProblem?.(p);
    };
    try {
      for (const sub of [...Object.values(SPACE_DIRS), LOG_DIR, QUARANTINE_DIR])
        fs.mkdirSync(join(directory, sub), { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new StorageError("STORAGE_FAILED", `Could not create state directory "${directory}"`, {
        cause: error,
        field: "directory",
      });
    }
    let persistence: FilePersistence | undefined;
    const release = await acquireDirectoryLock(directory, {
      staleMs: parsed.lockStaleMs,
      waitMs: parsed.lockWaitMs,
      onCompromised: (error) => {
        if (persistence !== undefined) persistence.compromised = error;
        report(problem("unreadable", `Lost the lock of "${directory}"`, { cause: error }));
      },
    });
    try {
      const at = now();
      const records = loadSpace(directory, "record", at, report);
      const counters = loadSpace(directory, "counter", at, report);
      persistence = new FilePersistence(directory, { ...defaultIo, ...options.io }, report, release);
      return new FileStateStore(new StateEngine({ persistence, now, records, counters }), directory, found);
    } catch (error) {
      await release().catch(() => undefined);
      if (error instanceof InfrastructureError) throw error;
      throw new StorageError("STORAGE_FAILED", `Could not load state directory "${directory}"`, {
        cause: error,
      });
    }
  }
}

/** Opens a {@link FileStateStore} (see {@link FileStateStore.open}). */
export function createFileStateStore(options: FileStateStoreOptions): Promise<FileStateStore> {
  return FileStateStore.open(options);
}
