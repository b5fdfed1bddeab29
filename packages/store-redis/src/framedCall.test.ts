import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import { BatchScript } from "./framedCall.js";
import type { Wire } from "./framedCall.js";
import { startRedisServer } from "./testing.js";
import type { RedisServer } from "./testing.js";

/** The reference: RESP of an argument list, each argument framed on its own (what ioredis writes). */
function resp(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${String(args.length)}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === "string" ? Buffer.from(arg, "utf8") : arg;
    parts.push(Buffer.from(`$${String(bytes.length)}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

/** Wire bytes as the store makes them: an ASCII string, or a Buffer. */
const wireArb: fc.Arbitrary<Wire> = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)) }),
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
);

describe("BatchScript.encode", () => {
  it("gives exactly the RESP of EVALSHA sha numkeys head… prefix+text…, for any text (lone surrogates included)", () => {
    const lua = "return 1";
    const script = new BatchScript(lua, 2);
    const sha = createHash("sha1").update(lua).digest("hex");
    fc.assert(
      fc.property(
        fc.array(wireArb, { minLength: 2, maxLength: 6 }),
        fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }),
        fc.array(
          fc.array(
            fc.oneof(
              fc.string({ unit: "binary" }),
              fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)) }),
              // any UTF-16 code unit, so lone surrogates too (written as U+FFFD, 3 bytes, both ways)
              fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
            ),
            { minLength: 1, maxLength: 3 },
          ),
          { minLength: 1, maxLength: 20 },
        ),
        (head, prefix, entries) => {
          const expected = resp([
            "EVALSHA",
            sha,
            "2",
            ...head,
            ...entries.map((parts) => prefix + parts.join("")),
          ]);
          expect(script.encode(head, prefix, entries).equals(expected)).toBe(true);
        },
      ),
    );
  });
});

describe("BatchScript.call on a real redis-server", () => {
  let server: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    await redis.quit();
    await server.destroy();
  });

  it("delivers every argument as sent, and runs as EVAL when the server does not hold the script", async () => {
    const script = new BatchScript("return {KEYS[1], ARGV[1], ARGV[#ARGV], #ARGV}", 1);
    const texts = [["é€𝄞"], ["pl", "ain"], ["x".repeat(70_000)], ["\ud800", " lone"]];
    await redis.script("FLUSH");
    const first = await script.call(redis, script.encode(["k"], "7:", texts)); // NOSCRIPT, then EVAL
    const second = await script.call(redis, script.encode(["k"], "7:", texts)); // EVALSHA
    const expected = ["k", "7:é€𝄞", `7:${"\ufffd"} lone`, 4];
    expect(first).toEqual(expected);
    expect(second).toEqual(expected);
  });

  it("rejects with the server's error for anything but NOSCRIPT", async () => {
    const script = new BatchScript("return redis.error_reply('NOPE refused')", 0);
    await expect(script.call(redis, script.encode([], "", [["a"]]))).rejects.toThrow(/NOPE refused/);
  });
});
