import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InfrastructureError } from "./errors.js";
import { assertJsonValue, frozenJsonCopy, isJsonValue, toJsonObject } from "./json.js";

describe("toJsonObject", () => {
  it("keeps an own __proto__ key as data when it has to copy", () => {
    const input = JSON.parse('{"__proto__":{"polluted":true},"at":0}') as Record<string, unknown>;
    input.at = new Date(0); // not JSON yet, so the value is copied
    const copied = toJsonObject(input);
    expect(Object.getPrototypeOf(copied)).toBe(Object.prototype);
    expect(JSON.stringify(copied)).toBe('{"__proto__":{"polluted":true},"at":"1970-01-01T00:00:00.000Z"}');
  });
});

const nested = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

describe("frozenJsonCopy", () => {
  it("copies any JSON value equal to its JSON round trip, frozen at every level, sharing nothing", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const copied = frozenJsonCopy(value);
        expect(copied).toStrictEqual(JSON.parse(JSON.stringify(value)));
        const walk = (original: unknown, copy: unknown): void => {
          if (typeof copy !== "object" || copy === null) return;
          expect(Object.isFrozen(copy)).toBe(true);
          expect(copy).not.toBe(original);
          for (const key of Object.keys(copy))
            walk((original as Record<string, unknown>)[key], (copy as Record<string, unknown>)[key]);
        };
        walk(value, copied);
      }),
    );
  });

  it("accepts exactly what isJsonValue accepts, and names the same path as assertJsonValue", () => {
    const anything = fc.anything({
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withDate: true,
      withNullPrototype: true,
      withSparseArray: true,
      withBigInt: true,
      withTypedArray: true,
    });
    fc.assert(
      fc.property(anything, (value) => {
        let assertError: unknown;
        try {
          assertJsonValue(value, "v");
        } catch (error) {
          assertError = error;
        }
        if (assertError === undefined) {
          expect(isJsonValue(value)).toBe(true);
          expect(frozenJsonCopy(value, "v")).toStrictEqual(JSON.parse(JSON.stringify(value)));
          return;
        }
        expect(isJsonValue(value)).toBe(false);
        expect(() => frozenJsonCopy(value, "v")).toThrow(assertError);
        expect(frozenJsonCopyError(value, "v")).toMatchObject({
          code: "INVALID_ARGUMENT",
          field: (assertError as InfrastructureError).field,
        });
      }),
    );
  });

  it("refuses undefined inside an array, naming its index", () => {
    expect(frozenJsonCopyError({ list: [1, undefined] })).toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "value.list[1]",
    });
  });

  it("turns -0 into 0, as JSON text does (a memory store reads back what a file store would)", () => {
    expect(Object.is(frozenJsonCopy(-0), 0)).toBe(true);
    expect(Object.is((frozenJsonCopy({ a: [-0] }) as { a: number[] }).a[0], 0)).toBe(true);
  });

  it("drops object properties set to undefined, as JSON.stringify does", () => {
    expect(frozenJsonCopy({ a: 1, b: undefined })).toStrictEqual({ a: 1 });
  });

  it("refuses nesting deeper than 256 levels with a typed error instead of exhausting the stack", () => {
    expect(frozenJsonCopy(nested(256))).toBeTruthy();
    expect(isJsonValue(nested(256))).toBe(true);
    const deep = nested(100_000);
    expect(isJsonValue(deep)).toBe(false);
    const error = frozenJsonCopyError(deep);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect(error?.message).toMatch(/nested deeper than 256 levels/);
  });

  it("keeps an own __proto__ key as data", () => {
    const copied = frozenJsonCopy(JSON.parse('{"__proto__":{"polluted":true}}'));
    expect(Object.getPrototypeOf(copied)).toBe(Object.prototype);
    expect(JSON.stringify(copied)).toBe('{"__proto__":{"polluted":true}}');
  });
});

function frozenJsonCopyError(value: unknown, field?: string): InfrastructureError | undefined {
  try {
    frozenJsonCopy(value, field);
  } catch (error) {
    if (error instanceof InfrastructureError) return error;
    throw error;
  }
  return undefined;
}
