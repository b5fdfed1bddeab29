import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeLogValue, encodeLogValue, encodeLogValueParts } from "./logEncoding.js";

const long = (text: string): string => text.repeat(Math.ceil(300 / text.length));

describe("log entry encoding", () => {
  it("writes a long string member of an object unescaped after a header, and reads it back", () => {
    const b = long('{"seq":1,"note":"09:00–18:00 \\"quoted\\" 😀"}');
    const value = { s: 1, p: "ab", b, h: "cd" };
    const text = encodeLogValue(value);
    expect(text.startsWith("\x01")).toBe(true);
    expect(text.endsWith(b)).toBe(true);
    expect(text.length).toBeLessThan(JSON.stringify(value).length);
    const back = decodeLogValue(text);
    expect(back).toEqual(value);
    expect(Object.keys(back as object)).toEqual(["s", "p", "b", "h"]);
  });

  it("keeps plain JSON for anything else: short strings, arrays, scalars, lone surrogates", () => {
    for (const value of [
      { a: "short" },
      [long("x")],
      long("x"),
      null,
      3,
      { a: `${long("x")}\uD800` },
      { a: `${long("x")}\n` },
    ]) {
      const text = encodeLogValue(value);
      expect(text).toBe(JSON.stringify(value));
      expect(decodeLogValue(text)).toEqual(value);
    }
  });

  it("keeps an own __proto__ member as data", () => {
    const value = JSON.parse(`{"__proto__":${JSON.stringify(long("p"))},"x":1}`) as Record<string, unknown>;
    const back = decodeLogValue(encodeLogValue(value)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(JSON.stringify(back)).toBe(JSON.stringify(value));
  });

  it("refuses a damaged entry", () => {
    const text = encodeLogValue({ b: long("y") });
    for (const damaged of [text.slice(0, -1), `${text}z`, "\x01[[]", '\x01[[["b",5]],{}]\x01hello', "{"])
      expect(() => decodeLogValue(damaged)).toThrow(SyntaxError);
  });

  it("reads back exactly what was written (property)", () => {
    const member = fc.oneof(
      fc.jsonValue(),
      fc.string({ unit: "grapheme", minLength: 250, maxLength: 600 }),
      fc.string({ unit: "binary", minLength: 250, maxLength: 600 }),
      fc.string({ unit: fc.constantFrom("a", "\n", '"', "\\", "\x01", "é"), minLength: 250, maxLength: 600 }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), member)), (value) => {
        const text = encodeLogValue(value);
        // the pieces are the text, in order; every piece after the first is a member as the value holds it
        const parts = encodeLogValueParts(value);
        expect(parts.join("")).toBe(text);
        for (const part of parts.slice(1)) expect(Object.values(value as object)).toContain(part);
        expect(text.includes("\n")).toBe(false); // one line
        // what Redis hands back: the UTF-8 bytes decoded again
        const stored = Buffer.from(text, "utf8").toString("utf8");
        expect(JSON.stringify(decodeLogValue(stored))).toBe(JSON.stringify(value));
      }),
      { numRuns: 300 },
    );
  });
});
