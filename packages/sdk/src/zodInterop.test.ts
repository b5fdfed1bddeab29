// A provider imports `zod` itself; our packages run on core's bundled copy (`@espada/infra-core/zod`).
// These tests hold the two copies to one behaviour where they meet: a provider's schemas around ours
// and ours around a provider's, errors, settings, issue conversion and JSON Schema.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as zodEntry from "zod";
import { z } from "zod";
import * as sharedEntry from "@espada/infra-core/zod";
import { z as shared } from "@espada/infra-core/zod";
import {
  ValidationError,
  providerMetaSchema,
  resourceTypeSchema,
  toValidationIssues,
  validateInfrastructureConfig,
} from "@espada/infra-core";
import { createSimpleProvider } from "./simpleProvider.js";
import { defineProvider } from "./defineProvider.js";

// What both copies have (the shared one leaves out `locales`).
type Zod = Omit<typeof z, "locales">;

/** One schema, built by the given copy of zod: nesting, defaults, refinements, unions, records. */
const build = (zod: Zod) =>
  zod.object({
    name: zod
      .string()
      .min(2)
      .max(8)
      .regex(/^[a-z]+$/),
    size: zod.enum(["small", "large"]).default("small"),
    replicas: zod.number().int().min(1).max(10).optional(),
    tags: zod.array(zod.string()).max(3).default([]),
    labels: zod.record(zod.string(), zod.union([zod.string(), zod.number()])).optional(),
    window: zod
      .object({ start: zod.number(), end: zod.number() })
      .refine((w) => w.start <= w.end, { message: "start after end", path: ["end"] })
      .optional(),
  });

const outcome = (result: { success: boolean; data?: unknown; error?: { issues: unknown[] } }) =>
  result.success ? { ok: true, data: result.data } : { ok: false, issues: result.error?.issues };

const input = fc.record(
  {
    name: fc.oneof(fc.constantFrom("web", "a", "toolongname", "Web"), fc.string(), fc.integer()),
    size: fc.oneof(fc.constantFrom("small", "large", "huge"), fc.integer()),
    replicas: fc.oneof(fc.integer({ min: -2, max: 12 }), fc.double(), fc.string()),
    tags: fc.oneof(fc.array(fc.string(), { maxLength: 5 }), fc.string()),
    labels: fc.oneof(
      fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean())),
      fc.integer(),
    ),
    window: fc.oneof(fc.record({ start: fc.integer(), end: fc.integer() }), fc.constant(null)),
  },
  { requiredKeys: [] },
);

describe("zod interop: a provider's own zod and the copy our packages share", () => {
  it("really are two copies (so the tests below compare two instances)", () => {
    expect(shared.object).not.toBe(z.object);
    expect(shared.ZodType).not.toBe(z.ZodType);
    // @ts-expect-error the bundled copy leaves zod's locales out, and its declarations say so
    expect(shared.locales).toBeUndefined();
    expect(typeof z.locales.en).toBe("function");
  });

  it("the shared copy holds zod's exports less its locales, as core's declarations say", () => {
    const zodNames = (names: string[]) => names.filter((n) => n !== "locales" && n !== "default").sort();
    expect(Object.keys(sharedEntry).sort()).toEqual(zodNames(Object.keys(zodEntry)));
    // Its `z` also holds zod's own `z` at run time, which core declares as no value.
    expect(
      Object.keys(shared)
        .filter((n) => n !== "z")
        .sort(),
    ).toEqual(zodNames(Object.keys(z)));
  });

  it("recognise each other's schemas and errors (instanceof checks traits)", () => {
    expect(z.string()).toBeInstanceOf(shared.ZodType);
    expect(shared.string()).toBeInstanceOf(z.ZodString);
    const error = z.object({ a: z.string() }).safeParse({ a: 1 }).error;
    expect(error).toBeInstanceOf(shared.ZodError);
    expect(shared.number().safeParse("x").error).toBeInstanceOf(z.ZodError);
  });

  it("parse alike, nested either way round, on any input (property)", () => {
    const providerOnly = build(z);
    const oursOnly = build(shared);
    const providerAroundOurs = z.object({ inner: oursOnly, type: resourceTypeSchema });
    const oursAroundProvider = shared.object({ inner: providerOnly, type: resourceTypeSchema });
    const reference = shared.object({ inner: oursOnly, type: resourceTypeSchema });
    fc.assert(
      fc.property(input, fc.constantFrom("compute", "nope", 3), (value, type) => {
        expect(outcome(providerOnly.safeParse(value))).toEqual(outcome(oursOnly.safeParse(value)));
        const wrapped = { inner: value, type };
        const expected = outcome(reference.safeParse(wrapped));
        expect(outcome(providerAroundOurs.safeParse(wrapped))).toEqual(expected);
        expect(outcome(oursAroundProvider.safeParse(wrapped))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("give English messages and field paths that core turns into the same issues", () => {
    const value = { name: 7, window: { start: 2, end: 1 } };
    const fromProvider = build(z).safeParse(value).error?.issues ?? [];
    const fromOurs = build(shared).safeParse(value).error?.issues ?? [];
    expect(toValidationIssues(fromProvider, "settings")).toEqual(toValidationIssues(fromOurs, "settings"));
    expect(fromProvider.map((i) => i.message)).toEqual(fromOurs.map((i) => i.message));
    expect(fromProvider[0]?.message).toBe("Invalid input: expected string, received number");
    expect(toValidationIssues(fromProvider, "settings").map((i) => i.path)).toEqual([
      "settings.name",
      "settings.window.end",
    ]);
  });

  it("let our JSON Schema export read a provider's schema and its descriptions", () => {
    const schema = z.object({ region: z.string().describe("Target region"), cpu: z.number().default(2) });
    expect(shared.toJSONSchema(schema, { io: "input" })).toEqual(z.toJSONSchema(schema, { io: "input" }));
    expect(shared.toJSONSchema(schema)).toMatchObject({
      properties: { region: { type: "string", description: "Target region" } },
    });
  });

  it("validate a provider's settings schema and core's schemas around it", async () => {
    const meta = defineProvider()
      .id("interop")
      .name("interop")
      .displayName("Interop")
      .description("zod interop")
      .version("1.0.0")
      .category("custom")
      .capabilities("monitor")
      .supportedResources("custom")
      .authMethods("api-key")
      .build();
    expect(z.object({ meta: providerMetaSchema }).parse({ meta })).toEqual({ meta });
    const provider = createSimpleProvider({
      meta,
      instanceId: "interop-1",
      commands: [],
      settingsSchema: z.object({ region: z.string().min(1) }),
    });
    const refused = await provider.validateConfig({ region: 5 });
    expect(refused.valid).toBe(false);
    expect(refused.errors.map((e) => e.path)).toEqual(["region"]);
    expect((await provider.validateConfig({ region: "eu-1" })).valid).toBe(true);
    const config = validateInfrastructureConfig({ providers: [{ id: "interop", settings: { region: 5 } }] });
    expect(config.success).toBe(true);
  });

  it("throw errors that core's ValidationError handling does not mistake for its own", () => {
    let thrown: unknown;
    try {
      z.string().parse(1);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(shared.ZodError);
    expect(thrown).not.toBeInstanceOf(ValidationError);
  });
});
