import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { NOT_FAST, compileFastParser, providerMetaSchema } from "@espada/infra-core";
import { meta } from "../test/fixtures.js";
import {
  manifestProviderSchema,
  packageJsonIdentitySchema,
  packageJsonManifestSchema,
  pluginManifestSchema,
  remoteIndexSchema,
  remotePluginSchema,
} from "./manifest.js";

const INTEGRITY = `sha512-${"A".repeat(86)}==`;

function validManifest(): Record<string, unknown> {
  return {
    name: "acme",
    version: "1.2.0",
    frameworkVersion: "^0.1.0",
    description: "Acme plugin",
    providers: [{ meta: meta("acme"), entry: "./dist/index.js", export: "acme" }],
  };
}

function validRemote(): Record<string, unknown> {
  return {
    name: "acme",
    version: "1.2.0",
    frameworkVersion: ">=0.1.0",
    artifact: { url: "/a.mjs", integrity: INTEGRITY },
    providers: [{ meta: meta("acme") }],
  };
}

/** Asserts the fast parser either steps aside or returns exactly what zod returns. */
function agrees(schema: z.ZodType, value: unknown): "fast" | "zod" {
  const fast = compileFastParser(schema);
  if (fast === undefined) throw new Error("no fast parser");
  const out = fast(value);
  const slow = schema.safeParse(value);
  if (out === NOT_FAST) return "zod";
  expect(slow.success).toBe(true);
  expect(out).toStrictEqual(slow.data);
  // same keys in the same order (messages and JSON output depend on it)
  expect(JSON.stringify(out)).toBe(JSON.stringify(slow.data));
  return "fast";
}

const tricky = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    "",
    "a",
    "😀",
    "😀😀",
    "1.0.0",
    "^0.1.0",
    "not a range",
    "acme",
    "Acme",
    "cloud",
    "api-key",
    "./dist/index.js",
    "../x.js",
    "x".repeat(65),
    "x".repeat(215),
    "😀".repeat(110),
    "😀".repeat(40),
    null,
    [],
    {},
    ["api-key"],
    ["provision", "nope"],
    [],
    "__proto__",
  ),
);

/** Paths into a manifest (`providers.0.meta.id`) a mutation may hit. */
const MANIFEST_PATHS = [
  "",
  "name",
  "version",
  "frameworkVersion",
  "description",
  "providers",
  "providers.0",
  "providers.0.meta",
  "providers.0.entry",
  "providers.0.export",
  "providers.0.meta.id",
  "providers.0.meta.name",
  "providers.0.meta.displayName",
  "providers.0.meta.description",
  "providers.0.meta.version",
  "providers.0.meta.category",
  "providers.0.meta.capabilities",
  "providers.0.meta.capabilities.0",
  "providers.0.meta.supportedResources",
  "providers.0.meta.authMethods",
  "providers.0.meta.authMethods.0",
  "providers.0.meta.tags",
  "providers.0.meta.author",
  "providers.0.meta.homepage",
  "artifact",
  "artifact.url",
  "artifact.integrity",
] as const;

interface Mutation {
  readonly path: string;
  readonly op: "delete" | "set" | "extra" | "proto";
  readonly value: unknown;
}

function mutate(root: Record<string, unknown>, mutation: Mutation): Record<string, unknown> {
  const segments = mutation.path === "" ? [] : mutation.path.split(".");
  let node: unknown = root;
  for (const segment of segments.slice(0, -1)) {
    if (typeof node !== "object" || node === null) return root;
    node = (node as Record<string, unknown>)[segment];
  }
  if (typeof node !== "object" || node === null) return root;
  const target = node as Record<string, unknown>;
  const last = segments.at(-1);
  if (mutation.op === "extra") {
    const holder = last === undefined ? target : target[last];
    if (typeof holder === "object" && holder !== null)
      (holder as Record<string, unknown>).extraKey = mutation.value;
  } else if (mutation.op === "proto") {
    // JSON.parse makes "__proto__" an own key; so does defineProperty
    const holder = last === undefined ? target : target[last];
    if (typeof holder === "object" && holder !== null)
      Object.defineProperty(holder, "__proto__", {
        value: mutation.value,
        enumerable: true,
        writable: true,
        configurable: true, // a second "proto" mutation of the same object redefines it
      });
  } else if (last !== undefined) {
    if (mutation.op === "delete") delete target[last];
    else target[last] = mutation.value;
  }
  return root;
}

const mutations = fc.array(
  fc.record({
    path: fc.constantFrom(...MANIFEST_PATHS),
    op: fc.constantFrom("delete", "set", "set", "extra", "proto"),
    value: tricky,
  }),
  { maxLength: 3 },
);

describe("core's compileFastParser on discovery's manifest schemas", () => {
  it("compiles every schema discovery parses with", () => {
    for (const schema of [
      pluginManifestSchema,
      packageJsonManifestSchema,
      packageJsonIdentitySchema,
      manifestProviderSchema,
      remotePluginSchema,
      remoteIndexSchema,
      providerMetaSchema,
    ]) {
      expect(compileFastParser(schema)).toBeTypeOf("function");
    }
  });

  it("takes the fast path for valid manifests and returns what zod returns, defaults included", () => {
    expect(agrees(pluginManifestSchema, validManifest())).toBe("fast");
    expect(agrees(remotePluginSchema, validRemote())).toBe("fast");
    expect(agrees(remoteIndexSchema, { plugins: [1, "x", validRemote()], other: true })).toBe("fast");
    const { name: _name, version: _version, ...body } = validManifest();
    expect(agrees(packageJsonManifestSchema, body)).toBe("fast");
    expect(
      agrees(packageJsonIdentitySchema, { name: "x", version: "1.0.0", type: "module", main: "x" }),
    ).toBe("fast");
    // defaults filled in: description, capabilities, supportedResources, tags
    const bare = {
      id: "a",
      name: "a",
      displayName: "A",
      version: "1.0.0",
      category: "cloud",
      authMethods: ["api-key"],
    };
    expect(agrees(providerMetaSchema, bare)).toBe("fast");
    // an unknown key of a stripping object is dropped, as zod drops it
    expect(agrees(providerMetaSchema, { ...bare, unknownKey: 1 })).toBe("fast");
  });

  it("steps aside for zod on anything invalid, so diagnostics are zod's", () => {
    const wrong = validManifest();
    wrong.version = "one";
    expect(agrees(pluginManifestSchema, wrong)).toBe("zod");
    expect(agrees(pluginManifestSchema, { ...validManifest(), extra: 1 })).toBe("zod");
    expect(agrees(pluginManifestSchema, JSON.parse('{"__proto__": 1}'))).toBe("zod");
    expect(agrees(pluginManifestSchema, null)).toBe("zod");
    expect(agrees(pluginManifestSchema, [])).toBe("zod");
    const unsafe = validManifest();
    (unsafe.providers as Record<string, unknown>[])[0]!.entry = "../x.js";
    expect(agrees(pluginManifestSchema, unsafe)).toBe("zod");
  });

  it("property: on mutated manifests it returns zod's value or steps aside, never accepts what zod refuses", () => {
    let fast = 0;
    fc.assert(
      fc.property(mutations, (list) => {
        const local = list.reduce(mutate, validManifest());
        const remote = list.reduce(mutate, validRemote());
        const meta0 = (local.providers as { meta?: unknown }[] | undefined)?.[0]?.meta;
        for (const [schema, value] of [
          [pluginManifestSchema, local],
          [remotePluginSchema, remote],
          [providerMetaSchema, meta0],
        ] as const) {
          if (agrees(schema, value) === "fast") fast += 1;
        }
      }),
      { numRuns: 400 },
    );
    // the property is not vacuous: many values took the fast path
    expect(fast).toBeGreaterThan(100);
  });
});
