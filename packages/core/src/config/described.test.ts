import { describe, expect, it } from "vitest";
import { z } from "zod";
import { described } from "./described.js";
import { CONFIG_SECTIONS, infrastructureConfigSchema } from "./schemas.js";

describe("described", () => {
  it("registers the description on the schema itself, without a copy", () => {
    const schema = z.number().int().default(3);
    const result = described(schema, "How many.");
    expect(result).toBe(schema);
    expect(result.description).toBe("How many.");
  });

  it("gives the same JSON Schema and parse results as zod's .describe", () => {
    const build = () =>
      z.strictObject({ n: z.number().int().positive().default(5), s: z.string().min(1).default("x") });
    const viaDescribe = z.strictObject({ inner: build().prefault({}).describe("Inner block.") });
    const viaDescribed = z.strictObject({ inner: described(build().prefault({}), "Inner block.") });
    for (const io of ["input", "output"] as const)
      expect(z.toJSONSchema(viaDescribed, { io })).toEqual(z.toJSONSchema(viaDescribe, { io }));
    for (const input of [{}, { inner: {} }, { inner: { n: 0, s: "" } }, { inner: { x: 1 } }, null]) {
      const a = viaDescribe.safeParse(input);
      const b = viaDescribed.safeParse(input);
      expect(b.success).toBe(a.success);
      expect(b.data).toEqual(a.data);
      expect(b.error?.issues).toEqual(a.error?.issues);
    }
  });

  it("leaves every field of the configuration described", () => {
    const json = z.toJSONSchema(infrastructureConfigSchema, { io: "input", unrepresentable: "any" }) as {
      properties: Record<
        string,
        { description?: string; properties?: Record<string, { description?: string }> }
      >;
    };
    for (const name of ["enabled", "providers", "defaultProvider", "stateDir"])
      expect(json.properties[name]?.description, name).toEqual(expect.any(String));
    for (const name of Object.keys(CONFIG_SECTIONS)) {
      const section = json.properties[name];
      expect(section?.properties, name).toBeDefined();
      for (const [key, field] of Object.entries(section?.properties ?? {}))
        expect(field.description, `${name}.${key}`).toEqual(expect.any(String));
    }
  });
});
