// The file store keeps no log entry in memory: a read decodes the lines it needs from the file, by
// the byte ranges of its index. These tests show reads come from the file (and only acknowledged
// bytes of it), across reopens, damaged lines, trims and deletes racing reads.
import { readFileSync, writeFileSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JsonValue, LogEntry } from "@espada/infra-core";
import { FileStateStore } from "./fileStateStore.js";
import { InMemoryStateStore } from "./memoryStateStore.js";
import { encodeKey } from "./fileFormat.js";
import { writeAll } from "./durableWrite.js";
import { cleanupAfterEach, fakeClock } from "../test/helpers.js";

const { defer, dir } = cleanupAfterEach();

async function open(
  directory: string,
  extra: Partial<Parameters<typeof FileStateStore.open>[0]> = {},
): Promise<FileStateStore> {
  const store = await FileStateStore.open({ directory, ...extra });
  defer(() => store.close());
  return store;
}

const fileOf = (directory: string, log: string): string => join(directory, "logs", `${encodeKey(log)}.jsonl`);

/** A promise the test resolves when it chooses. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Waits (one macrotask at a time, no clock) until `ready` holds. */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((resolve) => setImmediate(resolve));
}

const values = (entries: readonly LogEntry[]): unknown[] => entries.map((e) => e.value);

describe("FileStateStore log reads", () => {
  it("reads entries back from the file: a line changed on disk is refused as STORAGE_CORRUPT, not served from memory", async () => {
    const d = dir();
    const store = await open(d);
    for (const v of ["a", "b", "c"]) await store.append("log", v);
    expect(values(await store.read("log", 1, 1))).toEqual(["b"]);
    const file = fileOf(d, "log");
    const lines = readFileSync(file, "utf8").split("\n");
    lines[1] = (lines[1] ?? "").replace(/"b"$/, '"B"'); // same length: its checksum no longer matches
    writeFileSync(file, lines.join("\n"));
    expect(values(await store.read("log", 2))).toEqual(["c"]);
    await expect(store.read("log", 0)).rejects.toMatchObject({ code: "STORAGE_CORRUPT" });
  });

  it("reads pages (from, limit) of long, non-ASCII and nested values as appended, before and after a reopen", async () => {
    const d = dir();
    const store = await open(d);
    const appended: JsonValue[] = [];
    for (let i = 0; i < 40; i++) {
      const value: JsonValue =
        i % 3 === 0
          ? { b: "x".repeat(300 + i), n: i } // a long member, written raw
          : i % 3 === 1
            ? { text: `é ✓ \u{1f600} ${i}`, list: [i, null, true] }
            : `line ${i}\nwith a newline`;
      appended.push(value);
    }
    await Promise.all(appended.map((v) => store.append("log", v)));
    const check = async (s: FileStateStore): Promise<void> => {
      expect(values(await s.read("log"))).toEqual(appended);
      for (const [from, limit] of [
        [0, 1],
        [5, 7],
        [39, 10],
        [40, 3],
        [12, 0],
      ] as const)
        expect(values(await s.read("log", from, limit))).toEqual(appended.slice(from, from + limit));
    };
    await check(store);
    await store.close();
    await check(await open(d));
  });

  it("never returns an append whose bytes are written but not yet synced", async () => {
    const d = dir();
    const syncs: ReturnType<typeof gate>[] = [];
    const store = await open(d, {
      io: {
        appendBytes: (handle: FileHandle, data: Uint8Array) => writeAll(handle, data),
        syncLog: async (handle: FileHandle) => {
          const g = gate();
          syncs.push(g);
          await g.promise;
          await handle.datasync();
        },
      },
    });
    const first = store.append("log", "durable");
    await until(() => syncs.length === 1);
    syncs[0]?.open();
    await first;
    const second = store.append("log", "written, not synced");
    await until(() => syncs.length === 2);
    expect(readFileSync(fileOf(d, "log"), "utf8")).toContain("written, not synced");
    expect(values(await store.read("log"))).toEqual(["durable"]);
    syncs[1]?.open();
    await second;
    expect(values(await store.read("log"))).toEqual(["durable", "written, not synced"]);
  });

  it("a read made while a trim replaces the file reads the trimmed file; a delete empties the log", async () => {
    const d = dir();
    const replace = gate();
    let replacing = false;
    const store = await open(d, {
      io: {
        writeFile: async (path: string, data: string) => {
          replacing = true;
          await replace.promise;
          writeFileSync(path, data);
        },
      },
    });
    for (let i = 0; i < 10; i++) await store.append("log", `v${i}`);
    const trim = store.trim("log", { maxEntries: 4 });
    await until(() => replacing);
    const read = store.read("log", 0, 5);
    replace.open();
    expect(await trim).toBe(6);
    expect(await read).toEqual(await store.read("log", 0, 5));
    expect(values(await read)).toEqual(["v6", "v7", "v8", "v9"]);
    expect((await read)[0]?.position).toBe(6);
    expect((await store.append("log", "v10")).position).toBe(10);
    const reading = store.read("log");
    const deleting = store.deleteLog("log");
    // the read overlapped the delete: it reads the log as before it or as after it, never a mix or an error
    expect([["v6", "v7", "v8", "v9", "v10"], []]).toContainEqual(values(await reading));
    expect(await deleting).toBe(true);
    expect(await store.read("log")).toEqual([]);
    expect((await store.append("log", "again")).position).toBe(0);
  });

  it("a damaged middle line is skipped in every range read, and a trim rewrites the log without it", async () => {
    const d = dir();
    const a = await open(d);
    for (const v of ["a", "b", "c", "d", "e"]) await a.append("log", v);
    await a.close();
    const file = fileOf(d, "log");
    const lines = readFileSync(file, "utf8").split("\n");
    lines[2] = (lines[2] ?? "").replace(/"c"$/, '"C"');
    writeFileSync(file, lines.join("\n"));
    const b = await open(d);
    expect((await b.read("log", 1, 2)).map((e) => [e.position, e.value])).toEqual([
      [1, "b"],
      [3, "d"],
    ]);
    expect(b.problems.map((p) => p.kind)).toEqual(["corrupt"]); // found when the log was loaded
    expect((await b.read("log", 2, 1)).map((e) => e.position)).toEqual([3]);
    expect(await b.trim("log", { maxEntries: 3 })).toBe(1);
    await b.close();
    const c = await open(d);
    expect((await c.read("log")).map((e) => [e.position, e.value])).toEqual([
      [1, "b"],
      [3, "d"],
      [4, "e"],
    ]);
    expect(c.problems).toEqual([]);
  });

  it("property: appends, page reads, trims and reopens read the same as the memory store", async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("append" as const), values: fc.array(fc.jsonValue(), { maxLength: 4 }) }),
      fc.record({
        kind: fc.constant("read" as const),
        from: fc.nat({ max: 12 }),
        limit: fc.option(fc.nat({ max: 6 }), { nil: undefined }),
      }),
      fc.record({
        kind: fc.constant("trim" as const),
        maxEntries: fc.option(fc.nat({ max: 6 }), { nil: undefined }),
        olderBy: fc.option(fc.nat({ max: 30 }), { nil: undefined }),
      }),
      fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 1, max: 20 }) }),
      fc.constant({ kind: "reopen" as const }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const clock = fakeClock();
        const d = dir();
        const memory = new InMemoryStateStore({ now: clock.now });
        let file = await FileStateStore.open({ directory: d, now: clock.now });
        try {
          for (const o of ops) {
            if (o.kind === "tick") clock.advance(o.ms);
            else if (o.kind === "reopen") {
              await file.close();
              file = await FileStateStore.open({ directory: d, now: clock.now });
              expect(file.problems).toEqual([]);
            } else if (o.kind === "append") {
              const appended = (s: FileStateStore | InMemoryStateStore): Promise<LogEntry[]> =>
                Promise.all(o.values.map((v) => s.append("log", v)));
              expect(await appended(file)).toEqual(await appended(memory));
            } else if (o.kind === "read") {
              expect(await file.read("log", o.from, o.limit)).toEqual(
                await memory.read("log", o.from, o.limit),
              );
            } else {
              const options = {
                ...(o.maxEntries === undefined ? {} : { maxEntries: o.maxEntries }),
                ...(o.olderBy === undefined ? {} : { olderThan: clock.now() - o.olderBy }),
              };
              expect(await file.trim("log", options)).toBe(await memory.trim("log", options));
            }
          }
          expect(await file.read("log")).toEqual(await memory.read("log"));
        } finally {
          await file.close();
        }
      }),
      { numRuns: 40 },
    );
  });
});
