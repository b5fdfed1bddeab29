import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { NOT_FAST, compileFastParser, compileShapeCheck } from "./schemaCompiler.js";

/** Asserts the fast parser either steps aside or returns exactly what zod returns. */
function parses(schema: z.ZodType, value: unknown): "fast" | "zod" {
  const fast = compileFastParser(schema);
  if (fast === undefined) throw new Error("no fast parser");
  const out = fast(value);
  if (out === NOT_FAST) return "zod";
  const slow = schema.safeParse(value);
  expect(slow.success).toBe(true);
  expect(out).toStrictEqual(slow.data);
  expect(JSON.stringify(out)).toBe(JSON.stringify(slow.data));
  return "fast";
}

/** JSON text with object keys sorted: "unchanged" does not depend on key order. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );

/** Asserts a true shape check means zod accepts the value and gives back the same JSON (up to key order). */
function checks(schema: z.ZodType, value: unknown): boolean {
  const check = compileShapeCheck(schema);
  if (check === undefined) throw new Error("no shape check");
  if (!check(value)) return false;
  const slow = schema.safeParse(value);
  expect(slow.success).toBe(true);
  expect(canonical(slow.data)).toBe(canonical(value));
  return true;
}

const shape = z.object({
  name: z.string().min(1).max(8),
  code: z.string().regex(/^[A-Z]{3}$/),
  count: z.number().int().nonnegative(),
  ratio: z.number().gt(-1).lte(1),
  on: z.boolean(),
  kind: z.enum(["a", "b"]),
  fixed: z.literal("x"),
  note: z.string().optional(),
  mode: z.enum(["fast", "slow"]).default("fast"),
  tags: z.array(z.string()).max(3).default([]),
  labels: z.record(z.string(), z.string()),
  nested: z.strictObject({ at: z.number(), by: z.string().optional() }).optional(),
  anything: z.unknown(),
});

const validValue = (): Record<string, unknown> => ({
  name: "n",
  code: "USD",
  count: 2,
  ratio: 0.5,
  on: true,
  kind: "a",
  fixed: "x",
  mode: "slow",
  tags: ["t"],
  labels: { a: "b" },
  nested: { at: 1 },
  anything: [1, { a: null }],
});

const field = fc.constantFrom(...Object.keys(shape.shape), "extra", "constructor", "__proto__", "toString");
const replacement = fc.oneof(
  fc.constant("<delete>"),
  fc.constant(undefined),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -1, 1, 1.5, 2 ** 60, 0, ""),
  fc.constantFrom("USD", "usd", "😀😀😀😀😀", "a", "fast", "x", [], {}, null, true, new Date(0)),
  fc.constantFrom({ at: 1, by: undefined }, { at: 1, extra: 1 }, { a: 1 }, ["a", "b", "c", "d"]),
  fc.jsonValue({ maxDepth: 2 }),
);

/** `base` with `key` set to `value` (or removed), as an own data property even for `__proto__`. */
function mutate(base: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const out = { ...base };
  if (value === "<delete>") delete out[key];
  else Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

describe("compileShapeCheck", () => {
  it("accepts a value the schema gives back unchanged", () => {
    expect(checks(shape, validValue())).toBe(true);
    expect(checks(shape, { ...validValue(), note: "n", nested: { at: 1, by: "b" } })).toBe(true);
  });

  it("refuses what zod would refuse or change: defaults to fill, unknown or undefined keys, other prototypes", () => {
    const { mode: _mode, ...withoutDefault } = validValue();
    expect(checks(shape, withoutDefault)).toBe(false);
    expect(checks(shape, { ...validValue(), extra: 1 })).toBe(false);
    expect(checks(shape, { ...validValue(), note: undefined })).toBe(false);
    expect(checks(shape, { ...validValue(), nested: { at: 1, extra: 1 } })).toBe(false);
    expect(checks(shape, Object.assign(Object.create({ inherited: 1 }) as object, validValue()))).toBe(false);
    expect(checks(shape, { ...validValue(), labels: new Map() })).toBe(false);
    for (const value of [null, undefined, 1, "s", [], {}, new Date(0)])
      expect(checks(shape, value)).toBe(false);
  });

  it("property: under any single change it never accepts what zod refuses or changes", () => {
    let accepted = 0;
    fc.assert(
      fc.property(field, replacement, (key, value) => {
        if (checks(shape, mutate(validValue(), key, value))) accepted += 1;
      }),
      { numRuns: 1500 },
    );
    // not vacuous: many changed values were still accepted
    expect(accepted).toBeGreaterThan(50);
  });

  it("checks a known schema (a transform that keeps its input) with the function given", () => {
    const json = z.unknown().transform((v) => v);
    const schema = z.object({ data: json });
    expect(compileShapeCheck(schema)).toBeUndefined();
    const check = compileShapeCheck(schema, [[json, (v) => typeof v === "number"]]);
    expect(check?.({ data: 1 })).toBe(true);
    expect(check?.({ data: "1" })).toBe(false);
  });
});

describe("compileFastParser", () => {
  it("property: returns zod's value or steps aside, never accepts what zod refuses", () => {
    const parsed = shape.omit({ labels: true }); // records are copied by zod: no fast parser
    let fast = 0;
    fc.assert(
      fc.property(field, replacement, (key, value) => {
        if (parses(parsed, mutate(validValue(), key, value)) === "fast") fast += 1;
      }),
      { numRuns: 1500 },
    );
    expect(fast).toBeGreaterThan(50);
  });

  it("fills defaults and strips unknown keys as zod does", () => {
    const { mode: _mode, tags: _tags, labels: _labels, ...bare } = validValue();
    expect(parses(shape.omit({ labels: true }), { ...bare, extra: 1 })).toBe("fast");
  });

  it("runs other checks as zod runs them (superRefine, overwrite)", () => {
    const schema = z.strictObject({
      a: z.string().trim().max(3),
      b: z.string().superRefine((value, ctx) => {
        if (value === "bad") ctx.addIssue({ code: "custom", message: "bad" });
      }),
      c: z.string().min(3),
    });
    expect(parses(schema, { a: "  ab ", b: "ok", c: "abc" })).toBe("fast");
    expect(parses(schema, { a: "ab", b: "bad", c: "abc" })).toBe("zod");
    // code points, not units: zod decides when units and code points disagree
    expect(parses(schema, { a: "ab", b: "ok", c: "😀😀" })).toBe("zod");
    expect(parses(schema, { a: "😀😀", b: "ok", c: "abc" })).toBe("zod");
    // a check that changes the value fails a shape check
    expect(checks(schema, { a: "  ab ", b: "ok", c: "abc" })).toBe(false);
    expect(checks(schema, { a: "ab", b: "ok", c: "abc" })).toBe(true);
  });

  it("leaves schemas it does not know to zod: at the root, none; inside, the node declines", () => {
    expect(compileFastParser(z.union([z.string(), z.number()]))).toBeUndefined();
    expect(compileFastParser(z.looseObject({ a: z.string() }))).toBeUndefined();
    expect(compileShapeCheck(z.record(z.string().min(2), z.string()))).toBeUndefined();
    const schema = z.object({ a: z.string(), u: z.union([z.string(), z.number()]).optional() });
    expect(parses(schema, { a: "x" })).toBe("fast");
    expect(parses(schema, { a: "x", u: 1 })).toBe("zod");
  });

  it("parses an empty strict object (no key to name)", () => {
    const schema = z.strictObject({});
    expect(parses(schema, {})).toBe("fast");
    expect(parses(schema, { a: 1 })).toBe("zod");
  });

  it("property: records, prefaults, pipes, transforms, number formats and object checks as zod parses them", () => {
    const schema = z.strictObject({
      labels: z.record(z.string(), z.string().max(3)).default({}),
      limits: z.object({ max: z.number().int().default(10), ratio: z.number().default(1) }).prefault({}),
      port: z.number().int().gte(1).lte(65535).optional(),
      tags: z
        .array(z.string())
        .transform((tags) => [...tags].sort())
        .optional(),
      code: z
        .preprocess((v) => (typeof v === "string" ? v.toUpperCase() : v), z.string().length(3))
        .optional(),
      span: z
        .object({ from: z.number(), to: z.number() })
        .superRefine((v, ctx) => {
          if (v.from > v.to) ctx.addIssue({ code: "custom", message: "order" });
        })
        .optional(),
    });
    /** Mostly `valid`, sometimes anything of `any`: most values are accepted, each part refused now and then. */
    const mostly = <T, U>(valid: fc.Arbitrary<T>, any: fc.Arbitrary<U>) =>
      fc.oneof({ arbitrary: valid, weight: 6 }, { arbitrary: any, weight: 1 });
    const value = fc.record(
      {
        labels: mostly(
          fc.dictionary(fc.constantFrom("a", "b", "__proto__", "constructor"), fc.constantFrom("x", "abc")),
          fc.constantFrom(null, [], "s", { a: "long" }, { a: 1 }),
        ),
        limits: mostly(fc.constantFrom({}, { max: 2 }), fc.constantFrom({ max: 2.5 }, { ratio: "1" }, null)),
        port: mostly(fc.constantFrom(1, 80, 65535), fc.constantFrom(0, 65536, 1.5, 2 ** 53)),
        code: mostly(fc.constantFrom("usd", "USD"), fc.constantFrom("us", 1)),
        span: mostly(fc.constant({ from: 1, to: 2 }), fc.constantFrom({ from: 2, to: 1 }, { from: 1 })),
      },
      { requiredKeys: [] },
    );
    let fast = 0;
    fc.assert(
      fc.property(value, (input) => {
        if (parses(schema, input) === "fast") fast += 1;
      }),
      { numRuns: 1000 },
    );
    expect(fast).toBeGreaterThan(100);
  });
});
