import { describe, expect, it } from "vitest";
import { toJsonObject } from "./json.js";

describe("toJsonObject", () => {
  it("keeps an own __proto__ key as data when it has to copy", () => {
    const input = JSON.parse('{"__proto__":{"polluted":true},"at":0}') as Record<string, unknown>;
    input.at = new Date(0); // not JSON yet, so the value is copied
    const copied = toJsonObject(input);
    expect(Object.getPrototypeOf(copied)).toBe(Object.prototype);
    expect(JSON.stringify(copied)).toBe('{"__proto__":{"polluted":true},"at":"1970-01-01T00:00:00.000Z"}');
  });
});
