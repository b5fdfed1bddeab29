import { spawn } from "node:child_process";
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { FileStateStore } from "./fileStateStore.js";
import { encodeKey, seal } from "./fileFormat.js";
import { writeAll, writeFileAtomically } from "./durableWrite.js";
import type { StoreProblem } from "./problems.js";
import { cleanupAfterEach } from "../test/helpers.js";

const { defer, dir } = cleanupAfterEach();

async function open(
  directory: string,
  extra: Partial<Parameters<typeof FileStateStore.open>[0]> = {},
): Promise<FileStateStore> {
  const store = await FileStateStore.open({ directory, ...extra });
  defer(() => store.close());
  return store;
}

describe("FileStateStore", () => {
  it("keeps records, counters and logs across a reopen", async () => {
    const d = dir();
    const a = await FileStateStore.open({ directory: d });
    await a.put("sessions/1", { user: "u" }, { ttlMs: 60_000 });
    await a.put("sessions/2", [1, 2, 3]);
    await a.increment("rate/u", 60_000, 3);
    await a.append("audit", { n: 1 });
    await a.append("audit", { n: 2 });
    await a.close();
    const b = await open(d);
    expect(await b.get("sessions/1")).toMatchObject({ value: { user: "u" }, version: 1 });
    expect((await b.list("sessions/")).map((r) => r.key)).toEqual(["sessions/1", "sessions/2"]);
    expect((await b.increment("rate/u", 60_000)).value).toBe(4);
    expect((await b.read("audit")).map((e) => [e.position, e.value])).toEqual([
      [0, { n: 1 }],
      [1, { n: 2 }],
    ]);
    expect((await b.append("audit", { n: 3 })).position).toBe(2);
    expect(b.problems).toEqual([]);
  });

  it("a write keeps the objects of a record it wrote itself, but copies those of a record read from disk", async () => {
    const d = dir();
    const a = await FileStateStore.open({ directory: d });
    await a.put("k", { kept: { list: [1] }, n: 1 });
    await a.close();
    const b = await open(d);
    const loaded = (await b.get("k"))?.value as { kept: { list: number[] }; n: number };
    // read from disk: the store's copy of it was never made by this process, so it is not shared
    const first = await b.compareAndSet("k", 1, { kept: loaded.kept, n: 2 });
    const stored = (first.ok ? first.record.value : undefined) as typeof loaded;
    expect(stored.kept).not.toBe(loaded.kept);
    expect(Object.isFrozen(stored.kept.list)).toBe(true);
    // written by this store (deeply frozen): the next write rebuilding the record around it keeps it
    const second = await b.compareAndSet("k", 2, { kept: stored.kept, n: 3 });
    const kept = (second.ok ? second.record.value : undefined) as typeof loaded | undefined;
    expect(kept?.kept).toBe(stored.kept);
    expect((await b.get("k"))?.value).toEqual({ kept: { list: [1] }, n: 3 });
  });

  it("encodes hostile keys into file names inside the directory", async () => {
    const d = dir();
    const store = await open(d);
    await store.put("../../etc/passwd", "x");
    await store.put("/etc/shadow", "y");
    await store.append("../../evil-log", 1);
    const files = readdirSync(join(d, "records"));
    expect(files.sort()).toEqual(
      [`${encodeKey("../../etc/passwd")}.json`, `${encodeKey("/etc/shadow")}.json`].sort(),
    );
    expect(files.every((f) => /^[A-Za-z0-9_-]+\.json$/.test(f))).toBe(true);
    expect(readdirSync(join(d, "logs"))).toEqual([`${encodeKey("../../evil-log")}.jsonl`]);
    expect(existsSync(resolve(d, "../../etc/passwd.json"))).toBe(false);
  });

  it("a failing disk write rejects with STORAGE_FAILED and loses nothing stored", async () => {
    const d = dir();
    let fail = false;
    const store = await open(d, {
      io: {
        writeFile: async (path, data) => {
          if (fail) throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
          await writeFileAtomically(path, data);
        },
        appendBytes: async (handle, data) => {
          if (fail) {
            await handle.write(data.slice(0, 5)); // a partial write before the failure
            throw Object.assign(new Error("EIO"), { code: "EIO" });
          }
          await handle.write(data);
        },
      },
    });
    await store.put("k", "safe");
    await store.append("log", "first");
    fail = true;
    await expect(store.put("k", "lost")).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    await expect(store.compareAndSet("k", 1, "lost")).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    await expect(store.append("log", "second")).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    expect((await store.get("k"))?.value).toBe("safe");
    expect(await store.read("log")).toHaveLength(1);
    fail = false;
    expect((await store.compareAndSet("k", 1, "next")).ok).toBe(true);
    expect((await store.append("log", "third")).position).toBe(1);
    await store.close();
    const again = await open(d);
    expect((await again.get("k"))?.value).toBe("next");
    expect((await again.read("log")).map((e) => e.value)).toEqual(["first", "third"]);
    expect(again.problems).toEqual([]);
  });

  it("reading a live counter with an increment of 0 writes nothing", async () => {
    const d = dir();
    const written: string[] = [];
    const store = await open(d, {
      io: {
        writeFile: async (path, data) => {
          written.push(path);
          await writeFileAtomically(path, data);
        },
      },
    });
    expect((await store.increment("rate/u", 60_000, 2)).value).toBe(2);
    const afterFirst = written.length;
    expect(afterFirst).toBeGreaterThan(0);
    expect((await store.increment("rate/u", 60_000, 0)).value).toBe(2);
    expect((await store.increment("rate/u", 60_000, 0)).value).toBe(2);
    expect(written).toHaveLength(afterFirst);
    expect((await store.increment("rate/u", 60_000, 1)).value).toBe(3);
    expect(written.length).toBeGreaterThan(afterFirst);
    await store.close();
  });

  it("a torn append that could not be cut off at once is cut off before the next append", async () => {
    const d = dir();
    let fail = false;
    const store = await open(d, {
      io: {
        appendBytes: async (handle, data) => {
          if (!fail) return writeAll(handle, data);
          fail = false;
          await handle.write(data.slice(0, 7)); // part of the line reached the file
          const truncate = handle.truncate.bind(handle);
          handle.truncate = () => {
            handle.truncate = truncate; // the cut-back right after the failure fails once too
            return Promise.reject(Object.assign(new Error("EIO"), { code: "EIO" }));
          };
          throw Object.assign(new Error("ENOSPC"), { code: "ENOSPC" });
        },
      },
    });
    await store.append("log", "first");
    fail = true;
    await expect(store.append("log", "lost")).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    expect((await store.append("log", "second")).position).toBe(1);
    await store.close();
    const again = await open(d);
    expect((await again.read("log")).map((e) => e.value)).toEqual(["first", "second"]);
    expect(again.problems).toEqual([]);
  });

  it("moves a corrupt record aside, reports it and loads the others", async () => {
    const d = dir();
    const a = await FileStateStore.open({ directory: d });
    await a.put("good", 1);
    await a.put("bad", 2);
    await a.put("flipped", 3);
    await a.close();
    const badFile = join(d, "records", `${encodeKey("bad")}.json`);
    writeFileSync(badFile, readFileSync(badFile, "utf8").slice(0, 20));
    const flipped = join(d, "records", `${encodeKey("flipped")}.json`);
    writeFileSync(flipped, readFileSync(flipped, "utf8").replace('"value":3', '"value":4'));
    const seen: StoreProblem[] = [];
    const b = await open(d, { onProblem: (p) => seen.push(p) });
    expect((await b.get("good"))?.value).toBe(1);
    expect(await b.get("bad")).toBeUndefined();
    expect(await b.get("flipped")).toBeUndefined();
    expect(seen.map((p) => [p.kind, p.key, p.error.code]).sort()).toEqual([
      ["corrupt", "bad", "STORAGE_CORRUPT"],
      ["corrupt", "flipped", "STORAGE_CORRUPT"],
    ]);
    expect(b.problems).toHaveLength(2);
    expect(readdirSync(join(d, "quarantine"))).toHaveLength(2);
    expect(seen.every((p) => p.movedTo !== undefined && existsSync(p.movedTo))).toBe(true);
  });

  it("reports a foreign or future-format file instead of misreading it", async () => {
    const d = dir();
    await (await FileStateStore.open({ directory: d })).close();
    writeFileSync(
      join(d, "records", `${encodeKey("future")}.json`),
      seal(
        JSON.stringify({
          format: "espada-state",
          v: 99,
          kind: "record",
          key: "future",
          version: 1,
          updatedAt: 1,
          value: 1,
        }),
      ),
    );
    writeFileSync(join(d, "records", `${encodeKey("plain")}.json`), JSON.stringify({ some: "json" }));
    writeFileSync(join(d, "records", "README.txt"), "hello");
    const b = await open(d);
    expect(b.problems.map((p) => p.kind).sort()).toEqual(["foreign", "foreign", "foreign"]);
    expect(b.problems.find((p) => p.key === "future")?.error.message).toMatch(
      /unsupported format version 99/,
    );
    expect(await b.list("")).toEqual([]);
  });

  it("ignores a torn last log line and keeps appending after the good ones", async () => {
    const d = dir();
    const a = await FileStateStore.open({ directory: d });
    await a.append("audit", "one");
    await a.append("audit", "two");
    await a.close();
    appendFileSync(join(d, "logs", `${encodeKey("audit")}.jsonl`), '{"c":"0000');
    const b = await open(d);
    expect((await b.read("audit")).map((e) => e.value)).toEqual(["one", "two"]);
    expect(b.problems.map((p) => p.kind)).toEqual(["torn"]);
    expect((await b.append("audit", "three")).position).toBe(2);
    await b.close();
    const c = await open(d);
    expect((await c.read("audit")).map((e) => e.value)).toEqual(["one", "two", "three"]);
    expect(c.problems).toEqual([]);
  });

  it("skips and reports a damaged middle log line", async () => {
    const d = dir();
    const a = await FileStateStore.open({ directory: d });
    for (const v of ["a", "b", "c"]) await a.append("log", v);
    await a.close();
    const file = join(d, "logs", `${encodeKey("log")}.jsonl`);
    const lines = readFileSync(file, "utf8").split("\n");
    expect(lines[1]).toMatch(/\t"b"$/); // the value after the header
    lines[1] = (lines[1] ?? "").replace(/"b"$/, '"B"');
    writeFileSync(file, lines.join("\n"));
    const b = await open(d);
    expect((await b.read("log")).map((e) => [e.position, e.value])).toEqual([
      [0, "a"],
      [2, "c"],
    ]);
    expect(b.problems.map((p) => p.kind)).toEqual(["corrupt"]);
    expect((await b.append("log", "d")).position).toBe(3);
  });

  it("removes leftover temp files of interrupted writes", async () => {
    const d = dir();
    await (await FileStateStore.open({ directory: d })).close();
    writeFileSync(join(d, "records", `${encodeKey("k")}.json.1a2b3c`), "partial");
    const b = await open(d);
    expect(b.problems).toEqual([]);
    expect(readdirSync(join(d, "records"))).toEqual([]);
  });

  it("coalesces a burst of writes to one key into few durable writes", async () => {
    const d = dir();
    let writes = 0;
    const store = await open(d, {
      io: {
        writeFile: async (path, data) => {
          writes++;
          await writeFileAtomically(path, data);
        },
      },
    });
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => store.put("hot", i)));
    expect(results.map((r) => r.version)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(writes).toBeLessThanOrEqual(2);
    expect((await store.get("hot"))?.value).toBe(99);
  });

  it("a second opener in this process gets STORAGE_LOCKED", async () => {
    const d = dir();
    await open(d);
    await expect(FileStateStore.open({ directory: d })).rejects.toMatchObject({
      code: "STORAGE_LOCKED",
      name: "StorageError",
    });
  });

  it("a lock held by another live process gives STORAGE_LOCKED; released when it exits", async () => {
    const d = dir();
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "../test/lockHolder.ts"), d],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    defer(() => {
      child.kill("SIGKILL");
    });
    await new Promise<void>((res, rej) => {
      child.stdout.on("data", (b: Buffer) => {
        if (b.toString().includes("locked")) res();
      });
      child.on("exit", () => rej(new Error("lock holder exited early")));
    });
    const error: unknown = await FileStateStore.open({ directory: d }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "STORAGE_LOCKED", details: { pid: child.pid } });
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const store = await open(d); // the dead owner's lock is stale at once
    expect(await store.list("")).toHaveLength(1);
  });

  it("close() leaves no open handles", async () => {
    const d = dir();
    const before = new Set(process.getActiveResourcesInfo());
    const store = await FileStateStore.open({ directory: d });
    await store.put("a", 1);
    await store.append("log", 1);
    await store.close();
    await new Promise((r) => setImmediate(r));
    const after = process.getActiveResourcesInfo().filter((r) => !before.has(r) && r !== "TTYWrap");
    expect(after.filter((r) => r === "Timeout" || r === "FileHandle")).toEqual([]);
    expect(existsSync(join(d, ".lock"))).toBe(false);
  });

  it("refuses invalid options with a ValidationError naming the field", async () => {
    await expect(FileStateStore.open({ directory: "" })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      field: "directory",
    });
    await expect(FileStateStore.open({ directory: dir(), lockStaleMs: 5 })).rejects.toMatchObject({
      field: "lockStaleMs",
    });
  });
});
