// The JSON Schema check an OpenClaw host applies to `plugins.entries.<id>.config`, rebuilt from the
// same library at the same version (TypeBox 1.3.30, `Compile` from `typebox/schema`), with the host's
// schema normalization and format rules (openclaw 2026.9.6: dist/schema-validator-*.mjs and
// dist/json-schema-*.mjs, re-exported as `openclaw/plugin-sdk/json-schema-runtime`):
// - `type: [a, b]` becomes `anyOf` of one branch per type;
// - `additionalProperties: <schema>` without `properties`/`patternProperties` becomes
//   `patternProperties: { ".*": <schema> }, additionalProperties: false`;
// - format `uri` is checked with `URL.canParse`, every other format is an annotation only.
// The end-to-end test (tooling/scripts/openclaw-e2e.mjs) runs the same property against the host's
// own validator, so this copy cannot drift unnoticed.
import { Compile } from "typebox/schema";
import { Format } from "typebox/format";

type Node = Record<string, unknown>;

const isNode = (value: unknown): value is Node =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const mapKeywords = new Set(["$defs", "definitions", "dependentSchemas", "patternProperties", "properties"]);
const valueKeywords = new Set([
  "additionalItems",
  "additionalProperties",
  "contains",
  "else",
  "if",
  "items",
  "not",
  "propertyNames",
  "then",
  "unevaluatedItems",
  "unevaluatedProperties",
]);
const arrayKeywords = new Set(["allOf", "anyOf", "oneOf", "prefixItems"]);

const annotationOnlyFormats = [
  "date-time",
  "date",
  "duration",
  "email",
  "hostname",
  "idn-email",
  "idn-hostname",
  "ipv4",
  "ipv6",
  "iri-reference",
  "iri",
  "json-pointer-uri-fragment",
  "json-pointer",
  "regex",
  "relative-json-pointer",
  "time",
  "uri-reference",
  "uri-template",
  "url",
  "uuid",
];

function expandTypeArray(schema: Node): Node {
  const { type, ...rest } = schema;
  if (!Array.isArray(type)) return schema;
  return { anyOf: type.map((entry: unknown) => ({ ...rest, type: entry })) };
}

function recordToPatternProperties(schema: Node): Node {
  if (!isNode(schema.additionalProperties) || isNode(schema.properties) || isNode(schema.patternProperties))
    return schema;
  const { additionalProperties, ...rest } = schema;
  return { ...rest, patternProperties: { ".*": additionalProperties }, additionalProperties: false };
}

/** The host's normalization of a manifest schema before compiling it. */
export function normalizeForHost(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(normalizeForHost);
  if (!isNode(schema)) return schema;
  const node = recordToPatternProperties(expandTypeArray(schema));
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => {
      if (mapKeywords.has(key) && isNode(value))
        return [key, Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalizeForHost(v)]))];
      if (valueKeywords.has(key) || arrayKeywords.has(key)) return [key, normalizeForHost(value)];
      return [key, value];
    }),
  );
}

/** Compiles `schema` the way the host does; the returned check says whether the host accepts a value. */
export function compileHostValidator(schema: Record<string, unknown>): (value: unknown) => boolean {
  const validator = Compile(normalizeForHost(schema) as Parameters<typeof Compile>[0]);
  return (value) => {
    const previous = Format.Entries();
    Format.Set("uri", (text: string) => URL.canParse(text));
    for (const format of annotationOnlyFormats) Format.Set(format, () => true);
    try {
      return validator.Check(value);
    } finally {
      Format.Clear();
      for (const [format, check] of previous) Format.Set(format, check);
    }
  };
}
