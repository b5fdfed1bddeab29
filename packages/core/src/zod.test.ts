// The declarations of `@espada/infra-core/zod` match its bundled run time: zod's exports without
// its locales. Type-level: `pnpm typecheck` compiles this file, so a declared `locales` fails it.
import { describe, expect, expectTypeOf, it } from "vitest";
import * as zod from "zod";
import * as entry from "./zod.js";
import { z } from "./zod.js";

describe("@espada/infra-core/zod declarations", () => {
  it("declare no locales, neither as an export nor on z", () => {
    expectTypeOf(entry).not.toHaveProperty("locales");
    expectTypeOf(z).not.toHaveProperty("locales");
    expectTypeOf(zod).toHaveProperty("locales");
    expectTypeOf(zod.z).toHaveProperty("locales");
    // Each line's only possible error is the missing name (anything may be assigned to unknown).
    // @ts-expect-error a provider author is told at compile time, not given `undefined`
    const onZ: unknown = z.locales;
    // @ts-expect-error the named export is left out too
    const named: unknown = entry.locales;
    expectTypeOf([onZ, named]).toEqualTypeOf<unknown[]>();
  });

  it("declare the rest as zod's: values, and types through z", () => {
    expectTypeOf(z.object).toEqualTypeOf(zod.z.object);
    expectTypeOf(entry.ZodError).toEqualTypeOf(zod.ZodError);
    expectTypeOf(z.core.$ZodType).toEqualTypeOf(zod.core.$ZodType);
    const schema = z.object({ name: z.string(), size: z.number().default(1) });
    expectTypeOf<z.infer<typeof schema>>().toEqualTypeOf<{ name: string; size: number }>();
    expect(schema.parse({ name: "a" })).toEqual({ name: "a", size: 1 });
    expectTypeOf<z.input<typeof schema>>().toEqualTypeOf<zod.z.input<typeof schema>>();
    expectTypeOf<z.ZodType>().toEqualTypeOf<zod.ZodType>();
  });
});
