import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { compileFastParser } from "./schemaCompiler.js";
import { COLD_USES, tieredSafeParse } from "./tiered.js";

/** A schema core's fast parser handles (objects, strings, numbers, enums, defaults, arrays, unknown). */
const fastable = (): z.ZodType =>
  z.object({
    name: z.string().min(1).max(8),
    code: z.string().regex(/^[A-Z]{3}$/),
    count: z.number().int().nonnegative(),
    kind: z.enum(["a", "b"]),
    note: z.string().optional(),
    mode: z.enum(["fast", "slow"]).default("fast"),
    tags: z.array(z.string()).max(3).default([]),
    nested: z.strictObject({ at: z.number(), by: z.string().optional() }).optional(),
    anything: z.unknown(),
  });

/** One the fast parser declines (a record), so warm parses go to zod with its JIT. */
const zodOnly = (): z.ZodType => z.object({ labels: z.record(z.string(), z.number()), id: z.string() });

const valid = { name: "n", code: "USD", count: 2, kind: "a", tags: ["t"], nested: { at: 1 }, anything: [1] };
const invalid = { name: "", code: "usd", count: -1, kind: "c", extra: 1, nested: { at: "x", more: 1 } };

/** What a parse answered, comparable across tiers: success and data, or the issues. */
const outcome = (result: z.ZodSafeParseResult<unknown>): unknown =>
  result.success ? { data: result.data } : { issues: result.error.issues };

const field = fc.constantFrom(...Object.keys(valid), "note", "mode", "extra", "__proto__");
const value = fc.oneof(
  fc.constant("<delete>"),
  fc.constantFrom("USD", "a", "b", "slow", "", "toolongname", -1, 0, 3, 1.5, null, true, [], {}),
  fc.constantFrom({ at: 1 }, { at: 1, by: "x" }, { at: 1, extra: 1 }, ["a", "b", "c", "d"]),
  fc.jsonValue({ maxDepth: 2 }),
);

function mutate(base: Record<string, unknown>, key: string, replacement: unknown): Record<string, unknown> {
  const out = { ...base };
  if (replacement === "<delete>") delete out[key];
  else
    Object.defineProperty(out, key, {
      value: replacement,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

describe("tieredSafeParse", () => {
  it("gives the same result and issues on the first and on every later parse", () => {
    for (const make of [fastable, zodOnly]) {
      const schema = make();
      const inputs = [valid, invalid, { labels: { a: 1 }, id: "x" }, { labels: { a: "1" } }, null, "s"];
      const first = inputs.map((input) => outcome(tieredSafeParse(schema, input)));
      const firstReported = inputs.map((input) =>
        outcome(tieredSafeParse(schema, input, { reportInput: true })),
      );
      for (let round = 0; round < 3 * COLD_USES; round++) {
        inputs.forEach((input, i) => {
          expect(outcome(tieredSafeParse(schema, input))).toStrictEqual(first[i]);
          expect(outcome(tieredSafeParse(schema, input, { reportInput: true }))).toStrictEqual(
            firstReported[i],
          );
        });
      }
      inputs.forEach((input, i) => expect(first[i]).toStrictEqual(outcome(schema.safeParse(input))));
    }
  });

  it("parses jitless while the schema is cold, then through the fast parser without calling zod", () => {
    const schema = fastable();
    expect(compileFastParser(schema)).toBeDefined();
    const spy = vi.spyOn(schema, "safeParse");
    for (let i = 0; i < COLD_USES; i++) tieredSafeParse(schema, valid, { reportInput: true });
    expect(spy).toHaveBeenCalledTimes(COLD_USES);
    for (const call of spy.mock.calls) expect(call[1]).toStrictEqual({ reportInput: true, jitless: true });
    expect(tieredSafeParse(schema, valid).success).toBe(true);
    expect(spy).toHaveBeenCalledTimes(COLD_USES);
    // a value the fast parser declines goes to zod, now allowed to compile (no `jitless`)
    expect(tieredSafeParse(schema, invalid, { reportInput: true }).success).toBe(false);
    expect(spy).toHaveBeenLastCalledWith(invalid, { reportInput: true });
  });

  it("counts each schema on its own", () => {
    const hot = fastable();
    const cold = fastable();
    for (let i = 0; i <= COLD_USES; i++) tieredSafeParse(hot, valid);
    const spy = vi.spyOn(cold, "safeParse");
    tieredSafeParse(cold, valid);
    expect(spy).toHaveBeenCalledWith(valid, { jitless: true });
  });

  it("agrees with zod's own parse on any input, across both tiers (property)", () => {
    for (const make of [fastable, zodOnly]) {
      const schema = make();
      fc.assert(
        fc.property(field, value, fc.boolean(), (key, replacement, reportInput) => {
          const input = mutate(valid, key, replacement);
          const options = reportInput ? { reportInput } : {};
          expect(outcome(tieredSafeParse(schema, input, options))).toStrictEqual(
            outcome(schema.safeParse(input, options)),
          );
        }),
        { numRuns: 20 * COLD_USES },
      );
    }
  });
});
