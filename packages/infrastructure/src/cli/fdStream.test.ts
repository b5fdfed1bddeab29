import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fdStream } from "./fdStream.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempFile(): { path: string; fd: number } {
  const dir = mkdtempSync(join(tmpdir(), "espada-fd-"));
  dirs.push(dir);
  const path = join(dir, "out.txt");
  return { path, fd: openSync(path, "w") };
}

function errno(code: string): Error {
  return Object.assign(new Error(code), { code });
}

/** A fallback that records what it was given, as text. */
function recorder(): { chunks: string[]; fallback: () => { write(chunk: string | Uint8Array): unknown } } {
  const chunks: string[] = [];
  return {
    chunks,
    fallback: () => ({ write: (chunk) => chunks.push(Buffer.from(chunk).toString("utf8")) }),
  };
}

describe("fdStream", () => {
  it("writes text to the descriptor as UTF-8, in order", () => {
    const { path, fd } = tempFile();
    const stream = fdStream(fd, { fallback: () => process.stdout });
    stream.write("status: ");
    stream.write("ok — 1 instance\n");
    closeSync(fd);
    expect(readFileSync(path, "utf8")).toBe("status: ok — 1 instance\n");
  });

  it("continues a partial write until every byte is written", () => {
    const written: number[] = [];
    const stream = fdStream(7, {
      fallback: () => process.stdout,
      write: (_fd, bytes, offset) => {
        const n = Math.min(3, bytes.length - offset);
        written.push(...bytes.subarray(offset, offset + n));
        return n;
      },
    });
    stream.write("héllo, world");
    expect(Buffer.from(written).toString("utf8")).toBe("héllo, world");
  });

  it("sends the rest to the fallback when the descriptor would block, and everything after it", () => {
    const direct: number[] = [];
    const { chunks, fallback } = recorder();
    let calls = 0;
    const stream = fdStream(7, {
      fallback,
      write: (_fd, bytes, offset) => {
        calls += 1;
        if (calls > 1) throw errno("EAGAIN");
        direct.push(...bytes.subarray(offset, offset + 4));
        return 4;
      },
    });
    stream.write("abcdéfgh");
    stream.write("next\n");
    expect(Buffer.from(direct).toString("utf8")).toBe("abcd");
    expect(chunks.join("")).toBe("éfghnext\n");
    expect(calls).toBe(2);
  });

  it("stops writing quietly once the reader is gone (EPIPE)", () => {
    const { chunks, fallback } = recorder();
    let calls = 0;
    const stream = fdStream(7, {
      fallback,
      write: () => {
        calls += 1;
        throw errno("EPIPE");
      },
    });
    expect(() => stream.write("first\n")).not.toThrow();
    stream.write("second\n");
    expect(calls).toBe(1);
    expect(chunks).toEqual([]);
  });

  it("is not a TTY for a file, nor for a descriptor that is not open", () => {
    const { fd } = tempFile();
    expect(fdStream(fd, { fallback: () => process.stdout }).isTTY).toBe(false);
    closeSync(fd);
    expect(fdStream(987_654, { fallback: () => process.stdout }).isTTY).toBe(false);
  });
});
