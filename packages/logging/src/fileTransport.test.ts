import { readlinkSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileTransport, createInfrastructureLogger } from "./index.js";

const next = (): void => undefined;
const entry = (n: number): { level: string; message: string } => ({ level: "info", message: `entry-${String(n).padStart(4, "0")}` });
const ENTRY_BYTES = Buffer.byteLength(`${JSON.stringify(entry(0))}\n`);

const openFdTargets = (): string[] =>
  readdirSync("/proc/self/fd").flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return [];
    }
  });

const readLines = async (path: string): Promise<string[]> =>
  (await readFile(path, "utf8"))
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => (JSON.parse(line) as { message: string }).message);

describe("FileTransport", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "espada-file-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates the folder and appends one JSON object per line", async () => {
    const path = join(dir, "a", "b", "app.log");
    const transport = new FileTransport({ path });
    for (let i = 0; i < 5; i += 1) transport.log(entry(i), next);
    await transport.shutdown();
    expect(await readLines(path)).toEqual(["entry-0000", "entry-0001", "entry-0002", "entry-0003", "entry-0004"]);
  });

  it("appends to an existing file and counts its size toward rotation", async () => {
    const path = join(dir, "app.log");
    await writeFile(path, `${JSON.stringify(entry(99))}\n`);
    const transport = new FileTransport({ path, maxSize: ENTRY_BYTES * 2, maxFiles: 3 });
    transport.log(entry(0), next);
    transport.log(entry(1), next);
    await transport.shutdown();
    expect(await readLines(`${path}.1`)).toEqual(["entry-0099", "entry-0000"]);
    expect(await readLines(path)).toEqual(["entry-0001"]);
  });

  it("rotates by size, app.log → app.log.1 → app.log.2, keeping maxFiles rotated files in order", async () => {
    const path = join(dir, "app.log");
    const transport = new FileTransport({ path, maxSize: ENTRY_BYTES * 3, maxFiles: 2 });
    for (let i = 0; i < 10; i += 1) transport.log(entry(i), next);
    await transport.shutdown();
    expect((await readdir(dir)).sort()).toEqual(["app.log", "app.log.1", "app.log.2"]);
    expect(await readLines(`${path}.2`)).toEqual(["entry-0003", "entry-0004", "entry-0005"]);
    expect(await readLines(`${path}.1`)).toEqual(["entry-0006", "entry-0007", "entry-0008"]);
    expect(await readLines(path)).toEqual(["entry-0009"]);
    for (const file of await readdir(dir)) {
      expect((await readFile(join(dir, file))).byteLength).toBeLessThanOrEqual(ENTRY_BYTES * 3);
    }
  });

  it("rotates the same way when entries arrive one at a time", async () => {
    const path = join(dir, "app.log");
    const transport = new FileTransport({ path, maxSize: ENTRY_BYTES * 2, maxFiles: 5 });
    for (let i = 0; i < 5; i += 1) {
      transport.log(entry(i), next);
      await transport.flush();
    }
    await transport.shutdown();
    expect(await readLines(`${path}.2`)).toEqual(["entry-0000", "entry-0001"]);
    expect(await readLines(`${path}.1`)).toEqual(["entry-0002", "entry-0003"]);
    expect(await readLines(path)).toEqual(["entry-0004"]);
  });

  it("keeps no rotated file when maxFiles is 0", async () => {
    const path = join(dir, "app.log");
    const transport = new FileTransport({ path, maxSize: ENTRY_BYTES, maxFiles: 0 });
    for (let i = 0; i < 3; i += 1) transport.log(entry(i), next);
    await transport.shutdown();
    expect(await readdir(dir)).toEqual(["app.log"]);
    expect(await readLines(path)).toEqual(["entry-0002"]);
  });

  it("survives a path whose parent is a file: reports once, drops, keeps going", async () => {
    await writeFile(join(dir, "blocker"), "not a folder");
    const errors: Error[] = [];
    const transport = new FileTransport({ path: join(dir, "blocker", "app.log"), onError: (error) => errors.push(error) });
    for (let i = 0; i < 3; i += 1) {
      transport.log(entry(i), next);
      await transport.flush();
    }
    await transport.shutdown();
    expect(errors).toHaveLength(1);
    expect((errors[0] as NodeJS.ErrnoException).code).toMatch(/ENOTDIR|EEXIST/);
    expect(transport.droppedEntries).toBe(3);
  });

  it("recovers when the disk does, and reports a later failure again", async () => {
    const path = join(dir, "app.log");
    await mkdir(path);
    let clock = 0;
    const errors: string[] = [];
    const transport = new FileTransport({
      path,
      retryAfter: 1000,
      now: () => clock,
      onError: (error) => errors.push((error as NodeJS.ErrnoException).code ?? error.message),
    });
    transport.log(entry(0), next);
    await transport.flush();
    transport.log(entry(1), next); // inside the retry delay: dropped without touching the disk
    await rm(path, { recursive: true });
    clock = 1000;
    transport.log(entry(2), next);
    await transport.flush();
    expect(await readLines(path)).toEqual(["entry-0002"]);
    expect(errors).toEqual(["EISDIR"]);
    expect(transport.droppedEntries).toBe(2);
    await transport.shutdown();
  });

  it("never lets an onError that throws escape", async () => {
    const transport = new FileTransport({
      path: join(dir, "missing-parent-is-file", "x.log"),
      onError: () => {
        throw new Error("callback exploded");
      },
    });
    await writeFile(join(dir, "missing-parent-is-file"), "");
    transport.log(entry(0), next);
    await expect(transport.shutdown()).resolves.toBeUndefined();
  });

  it("closes its file handle on shutdown and drops entries after it", async () => {
    const path = join(dir, "app.log");
    const transport = new FileTransport({ path });
    transport.log(entry(0), next);
    await transport.flush();
    expect(openFdTargets()).toContain(path);
    await transport.shutdown();
    expect(openFdTargets()).not.toContain(path);
    transport.log(entry(1), next);
    expect(transport.droppedEntries).toBe(1);
    expect(await readLines(path)).toEqual(["entry-0000"]);
  });

  it("keeps a logger usable when its file destination cannot be written", async () => {
    await writeFile(join(dir, "file"), "");
    const reported: string[] = [];
    const logger = createInfrastructureLogger(
      { destinations: [{ type: "file", config: { path: "file/app.log" } }] },
      { baseDir: dir, onError: (_error, source) => reported.push(source) },
    );
    logger.info("a");
    logger.error("b");
    await logger.flush();
    logger.info("c");
    await logger.close();
    expect(reported).toEqual(["destinations[0] (file)"]);
  });
});
