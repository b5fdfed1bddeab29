import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeKey,
  decodeLogLine,
  encodeKey,
  encodeLogLine,
  encodeLogLines,
  isNameOfAsciiKey,
  seal,
} from "./fileFormat.js";

/** The definition `decodeKey` implements without encoding again: canonical means `encodeKey` gives the name back. */
function reference(name: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) return undefined;
  const key = Buffer.from(name, "base64url").toString("utf8");
  return encodeKey(key) === name ? key : undefined;
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=.";

describe("file names of keys", () => {
  it("decodes every encoded key back (any Unicode, lone surrogates excepted by the store)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 1, maxLength: 60 }), (key) => {
        expect(decodeKey(encodeKey(key))).toBe(key);
      }),
    );
  });

  it("accepts exactly the canonical names the reference definition accepts", () => {
    const names = fc.oneof(
      fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 40 }),
      // encoded bytes (invalid UTF-8 too), then perhaps one character changed or dropped
      fc
        .tuple(
          fc.uint8Array({ minLength: 1, maxLength: 30 }),
          fc.nat(),
          fc.constantFrom(...alphabet),
          fc.boolean(),
        )
        .map(([bytes, at, char, drop]) => {
          const name = Buffer.from(bytes).toString("base64url");
          const i = at % name.length;
          return drop ? name.slice(0, i) + name.slice(i + 1) : name.slice(0, i) + char + name.slice(i + 1);
        }),
    );
    fc.assert(
      fc.property(names, (name) => {
        expect(decodeKey(name)).toBe(reference(name));
      }),
      { numRuns: 2000 },
    );
    // the cases the fast check singles out
    expect(decodeKey("QQ")).toBe("A"); // "A" is QQ; QR would decode to the same byte
    expect(decodeKey("QR")).toBeUndefined();
    expect(decodeKey("QUI")).toBe("AB");
    expect(decodeKey("QUJ")).toBeUndefined();
    expect(decodeKey("QUJDR")).toBeUndefined(); // a length of 1 modulo 4
    expect(decodeKey(Buffer.from([0xff, 0xfe]).toString("base64url"))).toBeUndefined(); // not UTF-8
    expect(decodeKey("")).toBeUndefined();
  });
});

describe("the file name of an ASCII key, checked without decoding", () => {
  it("is true exactly for the name encodeKey gives an ASCII key", () => {
    const names = fc.oneof(
      fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 12 }),
      fc.string({ maxLength: 8 }).map((key) => encodeKey(key)),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 9 }), names, (key, name) => {
        const ascii = key.length > 0 && /^[\x00-\x7f]*$/.test(key);
        expect(isNameOfAsciiKey(encodeKey(key), key)).toBe(ascii);
        expect(isNameOfAsciiKey(name, key)).toBe(ascii && decodeKey(name) === key);
      }),
      { numRuns: 2000 },
    );
    expect(isNameOfAsciiKey("QQ", "A")).toBe(true);
    expect(isNameOfAsciiKey("QR", "A")).toBe(false);
    expect(isNameOfAsciiKey(encodeKey("é"), "é")).toBe(false); // not ASCII: the caller decodes the name
  });
});

describe("log lines", () => {
  it("a batch encoded at once is the bytes of its lines one by one, and each line reads back", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            position: fc.nat(),
            timestamp: fc.nat(),
            value: fc.jsonValue(),
            text: fc.oneof(
              fc.string({ unit: "grapheme" }),
              // long members are written raw (unescaped): quotes, tabs, the mark, line feeds, non-ASCII
              fc.string({ unit: "grapheme", minLength: 250, maxLength: 500 }),
              // ASCII only (every control character included): written as latin1, its own UTF-8
              fc.string({ unit: "binary-ascii", minLength: 250, maxLength: 500 }),
              fc.string({
                unit: fc.constantFrom("a", '"', "\\", "\t", "\x01", "\n", "é", "😀"),
                minLength: 250,
                maxLength: 500,
              }),
              // lone surrogates (not written raw; each is three UTF-8 bytes, like the ASCII size test expects)
              fc.string({
                unit: fc.constantFrom("a", "\ud800", "\udfff", "\u0100", "é"),
                minLength: 1,
                maxLength: 500,
              }),
            ),
          }),
          { maxLength: 6 },
        ),
        (items) => {
          const entries = items.map(({ position, timestamp, value, text }) => ({
            position,
            timestamp,
            value: { value, text },
          }));
          const bytes = encodeLogLines(entries);
          expect(bytes.equals(Buffer.from(entries.map(encodeLogLine).join(""), "utf8"))).toBe(true);
          const lines = bytes.toString("utf8").split("\n");
          expect(lines.pop()).toBe("");
          expect(lines.map((line) => decodeLogLine(line))).toEqual(
            entries.map((entry) => ({ ok: true, entry: JSON.parse(JSON.stringify(entry)) as unknown })),
          );
        },
      ),
    );
  });
});

describe("log lines, raw members", () => {
  it("writes a long text member unescaped, and still reads lines of the earlier sealed-envelope form", () => {
    const b = JSON.stringify({ seq: 1, note: "x".repeat(300), quoted: '"q"' });
    const entry = { position: 7, timestamp: 1000, value: { s: 1, b } };
    const line = encodeLogLine(entry);
    expect(line.includes(b)).toBe(true);
    expect(decodeLogLine(line.slice(0, -1))).toEqual({ ok: true, entry });
    const earlier = seal(JSON.stringify({ format: "espada-state", v: 1, p: 7, t: 1000, value: { s: 1, b } }));
    expect(decodeLogLine(earlier)).toEqual({ ok: true, entry });
  });

  it("reports any damaged character of a line as corrupt", () => {
    const line = encodeLogLine({
      position: 3,
      timestamp: 5,
      value: { s: 3, b: JSON.stringify({ a: "y".repeat(300) }) },
    }).slice(0, -1);
    fc.assert(
      fc.property(fc.nat(line.length - 1), fc.constantFrom("z", "\x01", "\t", '"', "é"), (at, char) => {
        fc.pre(line[at] !== char);
        const damaged = line.slice(0, at) + char + line.slice(at + 1);
        expect(decodeLogLine(damaged).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
    expect(decodeLogLine(line.slice(0, -1)).ok).toBe(false); // torn
    expect(decodeLogLine("\x01").ok).toBe(false);
  });
});
