import { Command } from "ioredis";
import type { Redis } from "ioredis";
import { createHash } from "node:crypto";

/** Bytes on the wire: a string of code points below 0x80 (sent as those very bytes), or a Buffer. */
export type Wire = string | Buffer;

const CRLF = "\r\n";

/**
 * A command whose RESP bytes are already built: ioredis writes them as they are and matches the
 * reply like any other command (one connection, replies in order).
 */
class EncodedCommand extends Command {
  private readonly bytes: Buffer;

  constructor(name: string, bytes: Buffer) {
    super(name, [], { replyEncoding: "utf8" });
    this.bytes = bytes;
  }

  override toWritable(): Buffer {
    return this.bytes;
  }
}

/** `$<bytes>\r\n<bytes>\r\n` of one argument given as wire bytes (ASCII string or Buffer). */
function frameLength(arg: Wire): number {
  const length = arg.length;
  return 1 + String(length).length + 2 + length + 2;
}

function writeFrame(out: Buffer, at: number, arg: Wire): number {
  at += out.write(`$${String(arg.length)}${CRLF}`, at, "latin1");
  at += typeof arg === "string" ? out.write(arg, at, "latin1") : arg.copy(out, at);
  return at + out.write(CRLF, at, "latin1");
}

/**
 * A Lua script whose RESP command is built in one buffer: a run of text arguments (a log batch)
 * is encoded once as UTF-8 straight into it, instead of ioredis framing every argument as its own
 * string and copying them all into a command buffer again; the small calls of every audited check
 * (a counter, the append lease) skip ioredis's per-call script wrapping the same way. Redis
 * receives exactly the arguments a plain `EVALSHA sha numkeys head… texts…` would give.
 */
export class BatchScript {
  private readonly sha: string;
  private readonly lua: string;
  private readonly numberOfKeys: number;

  constructor(lua: string, numberOfKeys: number) {
    this.lua = lua;
    this.numberOfKeys = numberOfKeys;
    this.sha = createHash("sha1").update(lua).digest("hex");
  }

  /**
   * The command's bytes: `head` (keys first, then the leading arguments, as wire bytes), then one
   * argument per entry: `prefix` (ASCII) followed by the entry's pieces (a text split as core's
   * `encodeLogValueParts` gives it), each copied out once, never joined into a new string first.
   */
  encode(head: readonly Wire[], prefix: string, entries: readonly (readonly string[])[]): Buffer {
    const count = 3 + head.length + entries.length;
    const keys = String(this.numberOfKeys);
    const start = `*${String(count)}${CRLF}$7${CRLF}EVALSHA${CRLF}$40${CRLF}${this.sha}${CRLF}$${String(keys.length)}${CRLF}${keys}${CRLF}`;
    let size = start.length;
    for (const arg of head) size += frameLength(arg);
    // UTF-8 length of every piece; a piece as long in UTF-8 as in UTF-16 is ASCII, copied as one byte per unit
    const pieceBytes: number[] = [];
    const lengths = new Array<number>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      let bytes = prefix.length;
      for (const piece of entries[i] as readonly string[]) {
        const n = Buffer.byteLength(piece, "utf8");
        pieceBytes.push(n);
        bytes += n;
      }
      lengths[i] = bytes;
      size += 1 + String(bytes).length + 2 + bytes + 2;
    }
    const out = Buffer.allocUnsafe(size);
    let at = out.write(start, 0, "latin1");
    for (const arg of head) at = writeFrame(out, at, arg);
    let p = 0;
    for (let i = 0; i < entries.length; i++) {
      at += out.write(`$${String(lengths[i])}${CRLF}${prefix}`, at, "latin1");
      for (const piece of entries[i] as readonly string[]) {
        const n = pieceBytes[p++] as number;
        at += out.write(piece, at, n === piece.length ? "latin1" : "utf8");
      }
      at += out.write(CRLF, at, "latin1");
    }
    if (at !== size)
      throw new Error(`batch command encoded to ${String(at)} bytes, expected ${String(size)}`);
    return out;
  }

  /**
   * Sends a command made by {@link encode}: `EVALSHA`, and when the server does not hold the script
   * (`NOSCRIPT`: a restarted or flushed Redis, where nothing ran) the same call as `EVAL` once.
   */
  async call(redis: Redis, bytes: Buffer): Promise<unknown> {
    try {
      return await redis.sendCommand(new EncodedCommand("evalsha", bytes));
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      // `*N\r\n$7\r\nEVALSHA\r\n$40\r\n<sha>\r\n` becomes `*N\r\n$4\r\nEVAL\r\n$<n>\r\n<lua>\r\n`
      const countEnd = bytes.indexOf(CRLF) + 2;
      const shaEnd = countEnd + `$7${CRLF}EVALSHA${CRLF}$40${CRLF}`.length + 40 + 2;
      const lua = Buffer.from(this.lua, "utf8");
      const head = Buffer.from(`$4${CRLF}EVAL${CRLF}$${String(lua.length)}${CRLF}`, "latin1");
      const evalBytes = Buffer.concat([
        bytes.subarray(0, countEnd),
        head,
        lua,
        Buffer.from(CRLF, "latin1"),
        bytes.subarray(shaEnd),
      ]);
      return redis.sendCommand(new EncodedCommand("eval", evalBytes));
    }
  }
}
