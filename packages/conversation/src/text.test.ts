import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { analyze, createCorrector, editDistance, stem } from "./text.js";

describe("stem", () => {
  it("brings inflected forms together", () => {
    expect(new Set(["delete", "deleting", "deleted", "deletes"].map(stem)).size).toBe(1);
    expect(stem("servers")).toBe(stem("server"));
    expect(stem("stopped")).toBe(stem("stop"));
    expect(stem("vms")).toBe(stem("vm"));
    expect(stem("status")).toBe("status");
  });
});

describe("analyze", () => {
  it("keeps a quoted span as one token that is never a keyword", () => {
    const a = analyze(`remove "delete-me now" please`);
    expect(a.quoted).toEqual(["delete-me now"]);
    expect(a.tokens.find((t) => t.quoted)?.stem).toBe("");
  });
  it("does not take an apostrophe inside a word for a quote", () => {
    const a = analyze("don't delete bob's access");
    expect(a.quoted).toEqual([]);
    expect(a.tokens.map((t) => t.lower)).toEqual(["don't", "delete", "bob", "access"]);
    expect(a.tokens[2]?.possessive).toBe(true);
  });
  it("never throws and never loses a word character", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const a = analyze(text);
        for (const t of a.tokens) expect(t.raw.length).toBeGreaterThan(0);
      }),
    );
  });
});

describe("editDistance", () => {
  it("is symmetric, zero only for equal strings, and counts a swap as one", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        const d = editDistance(a, b, 24);
        expect(d).toBe(editDistance(b, a, 24));
        expect(d === 0).toBe(a === b);
        expect(d).toBeLessThanOrEqual(Math.max(a.length, b.length));
      }),
    );
    expect(editDistance("delte", "delete")).toBe(1);
    expect(editDistance("lsit", "list")).toBe(1);
  });

  it("equals a plain reference implementation for every cap, across calls sharing its reused rows", () => {
    // Optimal string alignment, the textbook full matrix: no early exit, nothing reused.
    const reference = (a: string, b: string): number => {
      const d = Array.from({ length: a.length + 1 }, (_, x) =>
        Array.from({ length: b.length + 1 }, (_, y) => (x === 0 ? y : y === 0 ? x : 0)),
      );
      for (let x = 1; x <= a.length; x++) {
        for (let y = 1; y <= b.length; y++) {
          const row = d[x] as number[];
          const up = d[x - 1] as number[];
          row[y] = Math.min(
            (up[y] as number) + 1,
            (row[y - 1] as number) + 1,
            (up[y - 1] as number) + (a[x - 1] === b[y - 1] ? 0 : 1),
          );
          if (x > 1 && y > 1 && a[x - 1] === b[y - 2] && a[x - 2] === b[y - 1])
            row[y] = Math.min(row[y] as number, ((d[x - 2] as number[])[y - 2] as number) + 1);
        }
      }
      return (d[a.length] as number[])[b.length] as number;
    };
    const word = fc.string({ unit: fc.constantFrom("a", "b", "c", "d", "-", "1"), maxLength: 90 });
    fc.assert(
      fc.property(word, word, fc.nat(6), (a, b, max) => {
        expect(editDistance(a, b, max)).toBe(Math.min(reference(a, b), max + 1));
      }),
    );
  });
});

describe("createCorrector", () => {
  const corrector = createCorrector([
    "delete",
    "restart",
    "database",
    "bucket",
    "list",
    "logs",
    "kubernetes",
  ]);
  it("fixes typos of known words", () => {
    expect(corrector.correct("databse")).toBe("database");
    expect(corrector.correct("restrat")).toBe("restart");
    expect(corrector.correct("bukcet")).toBe("bucket");
    expect(corrector.correct("lsit")).toBe("list");
    expect(corrector.correct("kuberntes")).toBe("kubernetes");
  });
  it("leaves known and common words alone", () => {
    expect(corrector.correct("delete")).toBeUndefined();
    expect(corrector.correct("last")).toBeUndefined();
    expect(corrector.correct("print")).toBeUndefined();
    expect(corrector.correct("zzzzzz")).toBeUndefined();
  });
});
