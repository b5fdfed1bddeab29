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
});

describe("createCorrector", () => {
  const corrector = createCorrector(["delete", "restart", "database", "bucket", "list", "logs", "kubernetes"]);
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
