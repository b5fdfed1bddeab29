import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { frozenJsonCopy } from "@espada/infra-core";
import { createSessionInputSchema, parseCreateInput } from "./createInput.js";

const name = fc.constantFrom(undefined, "prod", "", 3, null);
const jsonObject = fc.oneof(
  fc.constantFrom(undefined, null, [], "x", new Date(0)),
  fc.dictionary(
    fc.constantFrom("a", "b", "__proto__", "constructor", "0"),
    fc.oneof(
      fc.constantFrom(1, -0, "s", true, null, undefined, Number.NaN, new Date(0), () => 1),
      fc.array(fc.constantFrom(1, "t", undefined)),
      fc.constant({ deep: { list: [1, 2] } }),
    ),
    { maxKeys: 3 },
  ),
  fc.constant({ [Symbol("s")]: 1, a: 1 }),
  fc.constant(Object.create({ inherited: 1 }) as object),
);

/** Valid JSON objects for variables and metadata, keys that name prototype machinery among them. */
const validJsonObject = fc.dictionary(
  fc.constantFrom("a", "b", "__proto__", "constructor", "0"),
  fc.oneof(fc.constantFrom(1, -0, "s", true, null, undefined), fc.constant({ deep: { list: [1, 2] } })),
  { maxKeys: 3 },
);

/**
 * Inputs around the fast path's edges. Each field's edge cases make most of them invalid, so valid
 * ones (every field drawn from its valid values) are a branch of their own: without it, a run of
 * 2,000 inputs sometimes held no valid one.
 */
const input = fc.oneof(
  fc.record(
    {
      userId: fc.constant("u"),
      environment: fc.constantFrom(undefined, "prod"),
      providerId: fc.constantFrom(undefined, "aws"),
      instanceId: fc.constantFrom(undefined, "main"),
      auth: fc.constantFrom(undefined, { method: "api-key", credentials: { k: "v" } }),
      variables: fc.option(validJsonObject, { nil: undefined }),
      metadata: fc.option(validJsonObject, { nil: undefined }),
      timeout: fc.constantFrom(undefined, 1, 60_000),
    },
    { requiredKeys: ["userId"] },
  ),
  fc.constantFrom(undefined, null, [], "u"),
  fc.record(
    {
      userId: fc.constantFrom("u", "", 1, undefined),
      environment: name,
      providerId: name,
      instanceId: name,
      auth: fc.constantFrom(undefined, { method: "api-key", credentials: { k: "v" } }, { method: "nope" }),
      variables: jsonObject,
      metadata: jsonObject,
      timeout: fc.constantFrom(undefined, 1, 60_000, 0, -1, 1.5, Number.NaN, 2 ** 53, "5"),
      extra: fc.constantFrom(undefined, "ignored"),
    },
    { requiredKeys: ["userId"] },
  ),
);

/** The parse's result, or the fields of its error. */
function outcome(parse: () => unknown): unknown {
  try {
    const parsed = parse() as Record<string, unknown>;
    // what the manager reads: the fields (one set to `undefined` is one not given); variables and
    // metadata as the store keeps them
    return {
      ...Object.fromEntries(Object.entries(parsed).filter(([, field]) => field !== undefined)),
      variables: frozenJsonCopy(parsed["variables"]),
      metadata: frozenJsonCopy(parsed["metadata"]),
    };
  } catch (error) {
    return { error: (error as { code?: unknown }).code };
  }
}

describe("parseCreateInput", () => {
  it("gives what the schema gives (and fails where it fails), on inputs around its fast path", () => {
    let valid = 0;
    fc.assert(
      fc.property(input, (value) => {
        const zod = createSessionInputSchema.safeParse(value);
        const expected = zod.success ? outcome(() => zod.data) : { error: "VALIDATION_FAILED" };
        if (zod.success) valid++;
        const actual = outcome(() => parseCreateInput(value));
        // not toStrictEqual: its type check compares the objects' `.constructor`, which a generated
        // `constructor` key of the metadata shadows with two equal but distinct objects
        expect(actual).toEqual(expected);
        expect(JSON.stringify(actual)).toBe(JSON.stringify(expected)); // key order too
      }),
      { numRuns: 2_000 },
    );
    expect(valid).toBeGreaterThan(0);
  });

  it("names the bad field when the input is invalid", () => {
    expect(() => parseCreateInput({ userId: "u", variables: { when: new Date(0) } })).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED", field: "variables.when" }),
    );
    expect(() => parseCreateInput({ userId: "u", timeout: 1.5 })).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED", field: "timeout" }),
    );
  });
});
