import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { deferred } from "./deferredSchema.js";

describe("deferred: a zod schema built on first use", () => {
  const shape = () => z.object({ name: z.string().min(1), size: z.number().int().default(1) });

  it("builds nothing until used, then once", () => {
    const build = vi.fn(shape);
    const schema = deferred(build);
    expect(build).not.toHaveBeenCalled();
    expect(schema.safeParse({ name: "a" })).toEqual({ success: true, data: { name: "a", size: 1 } });
    schema.parse({ name: "b" });
    expect(build).toHaveBeenCalledTimes(1);
  });

  it("behaves as the schema it stands for: instanceof, methods, nesting, issue paths, JSON Schema", () => {
    const direct = shape();
    const late = deferred(shape);
    expect(late).toBeInstanceOf(z.ZodObject);
    expect("_zod" in late).toBe(true);
    expect(late.optional().parse(undefined)).toBeUndefined();
    const outer = z.object({ item: late });
    const bad = outer.safeParse({ item: { name: "", size: 1.5 } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path)).toEqual([
      ["item", "name"],
      ["item", "size"],
    ]);
    expect(z.toJSONSchema(outer)).toEqual(z.toJSONSchema(z.object({ item: direct })));
  });

  it("an enum keeps its enum API", () => {
    const level = deferred(() => z.enum(["low", "high"]));
    expect(level.options).toEqual(["low", "high"]);
    expect(level.default("low").parse(undefined)).toBe("low");
  });
});
