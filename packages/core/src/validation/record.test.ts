import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isRecord } from "../index.js";

describe("isRecord", () => {
  it("is true exactly for non-null, non-array objects", () => {
    expect(isRecord({})).toBe(true);
    expect(isRecord(Object.create(null))).toBe(true);
    expect(isRecord(new Map())).toBe(true);
    for (const value of [null, undefined, [], [1], "x", 1, true, () => 1])
      expect(isRecord(value)).toBe(false);
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(isRecord(value)).toBe(typeof value === "object" && value !== null && !Array.isArray(value));
      }),
    );
  });
});
