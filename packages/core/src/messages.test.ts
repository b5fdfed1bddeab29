import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  closestMatch,
  describeKind,
  editDistance,
  formatIssue,
  formatIssues,
  notFoundMessage,
  typeMismatchReason,
} from "./messages.js";

describe("messages", () => {
  it("names the field and the kinds, never the value", () => {
    expect(typeMismatchReason("string", 5)).toBe("expected string, got number");
    expect(
      formatIssue({ code: "TYPE_MISMATCH", message: typeMismatchReason("string", 5), path: "params.name" }),
    ).toBe("params.name: expected string, got number");
    expect(formatIssue({ code: "X", message: "m" })).toBe("m");
    expect(
      formatIssues([
        { code: "A", message: "a", path: "x" },
        { code: "B", message: "b", path: "y" },
      ]),
    ).toBe("x: a; y: b");
    expect([null, [], Number.NaN, "s", {}, undefined].map(describeKind)).toEqual([
      "null",
      "array",
      "non-finite number",
      "string",
      "object",
      "undefined",
    ]);
  });

  it("suggests a close id only", () => {
    expect(closestMatch("web-2", ["db-1", "web-1"])).toBe("web-1");
    expect(closestMatch("Web-1", ["web-1"])).toBe("web-1");
    expect(closestMatch("cerate-instance", ["create-instance", "delete-instance"])).toBe("create-instance");
    expect(closestMatch("abc", ["xyz"])).toBeUndefined();
    expect(notFoundMessage("instance", "a")).toBe('Instance "a" not found');
  });

  it("edit distance is a metric with swaps counted once", () => {
    expect(editDistance("ab", "ba")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        const d = editDistance(a, b);
        expect(d).toBe(editDistance(b, a));
        expect(d === 0).toBe(a === b);
        expect(d).toBeLessThanOrEqual(Math.max(a.length, b.length));
      }),
    );
  });
});
