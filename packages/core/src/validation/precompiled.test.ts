import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { deferred } from "../deferredSchema.js";
import {
  portableRefine,
  portableSuperRefine,
  portableTransform,
  precompileFastParser,
  precompiledFastParser,
  registerFastParsers,
} from "./precompiled.js";
import type { PrecompiledParser } from "./precompiled.js";
import { NOT_FAST, SOURCE_PARAMETERS } from "./schemaCompiler.js";
import { tieredSafeParse } from "./tiered.js";

let next = 0;
/** An id no other test took (ids are unique in the process). */
const freshId = (name: string): string => `test.${name}${next++}`;

/** Precompiles `schema` as the build does: the source written as a function, the data beside it. */
function asBuilt(schema: z.ZodType): PrecompiledParser {
  const compiled = precompileFastParser(schema);
  if (compiled === undefined) throw new Error("no fast parser");
  const { source, ...data } = compiled;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the test stands in for the build, which writes this source as code
  const make = new Function(...SOURCE_PARAMETERS, source) as PrecompiledParser["make"];
  return { make, ...data };
}

/** A stand-in with a fresh id whose schema is built by `build`, counting builds, with its parser registered. */
function precompiled<T extends z.ZodType>(build: () => T): { schema: T; builds: () => number } {
  const id = freshId("schema");
  let builds = 0;
  const counted = (): T => {
    builds += 1;
    return build();
  };
  registerFastParsers({ [id]: asBuilt(build()) });
  return { schema: deferred(counted, id), builds: () => builds };
}

const isSlug = portableRefine(freshId("isSlug"), (value: string) => /^[a-z]+$/.test(value));
const ordered = portableSuperRefine(freshId("ordered"), (value: { from: number; to: number }, ctx) => {
  if (value.from > value.to) ctx.addIssue({ code: "custom", message: "from after to", path: ["to"] });
});
const sorted = portableTransform(freshId("sorted"), (value: string[], ctx: z.core.ParsePayload) => {
  if (value.some((v) => v === "")) {
    ctx.issues.push({ code: "custom", message: "empty tag", input: value });
    return z.NEVER;
  }
  return [...value].sort();
});

const build = () =>
  z.strictObject({
    name: z.string().min(1).refine(isSlug, "must be a slug"),
    range: z.strictObject({ from: z.number().int(), to: z.number().int() }).check(ordered()),
    tags: z.array(z.string()).transform(sorted).default([]),
    labels: z.record(z.string(), z.string()).default({}),
    limits: z.object({ max: z.number().default(10) }).prefault({}),
    mode: z.union([z.literal("a"), z.literal("b")]).optional(),
    note: z
      .string()
      .refine((s) => !s.includes("!"))
      .optional(),
  });

const outcome = (result: z.ZodSafeParseResult<unknown>): unknown =>
  result.success ? { data: result.data } : { issues: result.error.issues };

describe("a fast parser compiled at build time", () => {
  it("parses valid input without building its schema (portable refinements, transforms, defaults)", () => {
    const { schema, builds } = precompiled(build);
    const parsed = tieredSafeParse(schema, { name: "web", range: { from: 1, to: 2 }, tags: ["b", "a"] });
    expect(parsed).toEqual({
      success: true,
      data: { name: "web", range: { from: 1, to: 2 }, tags: ["a", "b"], labels: {}, limits: { max: 10 } },
    });
    expect(builds()).toBe(0);
  });

  it("leaves a value it cannot vouch for to zod, which reports as it always did", () => {
    const { schema } = precompiled(build);
    const reference = build();
    for (const input of [
      { name: "Web", range: { from: 1, to: 2 } },
      { name: "web", range: { from: 3, to: 2 } },
      { name: "web", range: { from: 1, to: 2 }, tags: ["a", ""] },
      { name: "web", range: { from: 1, to: 2 }, mode: "b" },
      { name: "web", range: { from: 1, to: 2 }, note: "hi!" },
      { name: "web", range: { from: 1.5, to: 2 } },
      { name: "web", range: { from: 1, to: 2 }, extra: 1 },
    ])
      expect(outcome(tieredSafeParse(schema, input))).toEqual(outcome(reference.safeParse(input)));
  });

  it("builds its schema the first time it reaches a refinement that is not portable, and gives zod's answer", () => {
    const { schema, builds } = precompiled(build);
    expect(tieredSafeParse(schema, { name: "web", range: { from: 1, to: 2 }, note: "fine" }).success).toBe(
      true,
    );
    expect(builds()).toBeGreaterThan(0);
  });

  it("property: gives exactly what zod gives, for any value", () => {
    const { schema } = precompiled(build);
    const reference = build();
    const value = fc.record(
      {
        name: fc.constantFrom("web", "Web", "", 1),
        range: fc.record({ from: fc.constantFrom(1, 2, 1.5, -0, 2 ** 60), to: fc.constantFrom(1, 2, "2") }),
        tags: fc.array(fc.constantFrom("a", "b", "", 1), { maxLength: 3 }),
        labels: fc.dictionary(fc.constantFrom("a", "b", "__proto__"), fc.constantFrom("x", 1)),
        limits: fc.constantFrom({}, { max: 3 }, { max: "3" }, null),
        mode: fc.constantFrom("a", "b", "c"),
        note: fc.constantFrom("ok", "no!"),
        extra: fc.constant(1),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(value, (input) => {
        expect(outcome(tieredSafeParse(schema, input))).toEqual(outcome(reference.safeParse(input)));
      }),
      { numRuns: 500 },
    );
  });

  it("keeps no computed default: one read with a clock or a random source is taken from the schema", () => {
    const schema = z.object({
      at: z.number().default(() => Date.now()),
      id: z.string().default(() => crypto.randomUUID()),
      fixed: z.array(z.string()).default(() => ["x"]),
      when: z.date().default(() => new Date(0)),
    });
    const data = precompileFastParser(schema);
    expect(data?.defaults).toEqual([null, null, { value: ["x"] }, null]);
  });

  it("refuses a parser whose schema changed since the build once it reaches the schema: the value goes to zod", () => {
    const id = freshId("stale");
    const refined = (pattern: RegExp) =>
      z.object({ a: z.string().regex(pattern), b: z.string().refine((s) => s.length > 1) });
    registerFastParsers({ [id]: asBuilt(refined(/^a/)) });
    // the schema now says something else; the stale parser must not answer for it
    const schema = deferred(() => refined(/^x/), id);
    const parser = precompiledFastParser(schema);
    expect(() => parser?.({ a: "abc", b: "bc" })).toThrow("stale precompiled parser");
    expect(tieredSafeParse(schema, { a: "abc", b: "bc" }).success).toBe(false);
    expect(tieredSafeParse(schema, { a: "xbc", b: "bc" }).success).toBe(true);
  });

  it("is found only for a stand-in with an id whose package registered it", () => {
    expect(precompiledFastParser(z.object({}))).toBeUndefined();
    const id = freshId("late");
    const schema = deferred(() => z.object({ a: z.string() }), id);
    expect(precompiledFastParser(schema)).toBeUndefined();
    registerFastParsers({ [id]: asBuilt(z.object({ a: z.string() })) });
    expect(precompiledFastParser(schema)?.({ a: "x" })).toEqual({ a: "x" });
    expect(precompiledFastParser(schema)?.({ a: 1 })).toBe(NOT_FAST);
  });

  it("leaves the value to zod when a portable function it names is not registered", () => {
    const id = freshId("unregistered");
    const built = asBuilt(z.object({ a: z.string().refine(isSlug) }));
    registerFastParsers({ [id]: { ...built, refines: ["test.nobody"] } });
    const schema = deferred(() => z.object({ a: z.string().refine(isSlug) }), id);
    expect(tieredSafeParse(schema, { a: "web" })).toEqual({ success: true, data: { a: "web" } });
    expect(tieredSafeParse(schema, { a: "Web" }).success).toBe(false);
  });

  it("refuses a second registration of an id", () => {
    const id = freshId("twice");
    portableRefine(id, () => true);
    expect(() => portableRefine(id, () => true)).toThrow(TypeError);
    deferred(() => z.string(), id);
    expect(() => deferred(() => z.string(), id)).toThrow(TypeError);
  });

  it("does not swap the clocks for good while reading defaults", () => {
    const now = vi.spyOn(Date, "now");
    precompileFastParser(z.object({ at: z.number().default(() => Date.now()) }));
    expect(Date.now).toBe(now);
    expect(Object.hasOwn(performance, "now")).toBe(false);
    now.mockRestore();
  });
});
