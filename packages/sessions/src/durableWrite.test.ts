import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appendAll, writeAll, writeFileAtomically } from "./durableWrite.js";
import { cleanupAfterEach } from "../test/helpers.js";

const { dir } = cleanupAfterEach("espada-write-");

/** A file handle that accepts at most `perCall` bytes per write, then nothing after `capacity` bytes. */
function shortWritingHandle(
  perCall: number,
  capacity = Number.POSITIVE_INFINITY,
): { handle: FileHandle; written: number[]; synced: () => boolean } {
  const written: number[] = [];
  let synced = false;
  const handle = {
    write(data: Uint8Array, offset: number, length: number, position: number | null) {
      expect(position === null || position === written.length).toBe(true);
      const n = Math.max(0, Math.min(perCall, length, capacity - written.length));
      written.push(...data.subarray(offset, offset + n));
      return Promise.resolve({ bytesWritten: n, buffer: data });
    },
    datasync() {
      synced = true;
      return Promise.resolve();
    },
  } as unknown as FileHandle;
  return { handle, written, synced: () => synced };
}

describe("durable writes", () => {
  it("writeAll loops over short writes until every byte is written, at the right offsets", async () => {
    const fake = shortWritingHandle(3);
    const data = Buffer.from("0123456789abcdef");
    await writeAll(fake.handle, data, 0);
    expect(Buffer.from(fake.written).toString()).toBe("0123456789abcdef");
  });

  it("a write that makes no progress rejects as ENOSPC instead of resolving early", async () => {
    const fake = shortWritingHandle(4, 10);
    await expect(writeAll(fake.handle, Buffer.alloc(16), 0)).rejects.toMatchObject({ code: "ENOSPC" });
    await expect(appendAll(shortWritingHandle(4, 10).handle, "x".repeat(16))).rejects.toMatchObject({
      code: "ENOSPC",
    });
  });

  it("appendAll syncs only after every byte is written", async () => {
    const fake = shortWritingHandle(5);
    await appendAll(fake.handle, "héllo wörld\n");
    expect(Buffer.from(fake.written).toString()).toBe("héllo wörld\n");
    expect(fake.synced()).toBe(true);
  });

  it("writeFileAtomically replaces the file, mode 0600, and leaves no temp file", async () => {
    const d = dir();
    const file = join(d, "r.json");
    writeFileSync(file, "old");
    await writeFileAtomically(file, "new content");
    expect(readFileSync(file, "utf8")).toBe("new content");
    expect(readdirSync(d)).toEqual(["r.json"]);
    await writeFileAtomically(join(d, "fresh.json"), "x");
    expect(statSync(join(d, "fresh.json")).mode & 0o777).toBe(0o600);
  });

  it("a failed replace rejects with a typed error, keeps the old content and removes the temp file", async () => {
    const d = dir();
    const target = join(d, "taken");
    mkdirSync(target); // rename over a directory fails
    writeFileSync(join(target, "keep"), "x");
    const error: unknown = await writeFileAtomically(target, "data").catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: "StorageError",
      code: "STORAGE_FAILED",
      details: { path: target, errno: expect.stringMatching(/^E/) as string },
    });
    expect(readdirSync(d)).toEqual(["taken"]);
    await expect(writeFileAtomically(join(d, "missing", "f"), "data")).rejects.toMatchObject({
      code: "STORAGE_FAILED",
      details: { errno: "ENOENT" },
    });
  });
});
