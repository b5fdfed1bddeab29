// fast-check arbitraries of plugin configs, valid and invalid, walked from the manifest's JSON Schema.
// The schema only steers the generator to the config's real shape (every section, provider objects
// included); which values are valid is decided by core's zod schema, the oracle of the tests that use
// these. Each node is, with a small probability, replaced by a mutation: a value of another type, a
// number out of range, a string breaking its pattern or length, an unknown key, a missing required key.
// Written in erasable TypeScript so Node 24 can import it unchanged (the real-host parity check).
import fc from "fast-check";
import type { Arbitrary } from "fast-check";

/** A JSON Schema node, as zod's exporter writes it. */
export type SchemaNode = Readonly<Record<string, unknown>>;

/** JSON values the generators produce. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isNode = (value: unknown): value is SchemaNode =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const anyJson: Arbitrary<Json> = fc.jsonValue({ maxDepth: 2 }) as Arbitrary<Json>;

/** A value of a JSON type other than `type` (`integer` counts as `number`). */
function otherType(type: unknown): Arbitrary<Json> {
  const all: Record<string, Arbitrary<Json>> = {
    string: fc.string({ maxLength: 8 }),
    number: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
    boolean: fc.boolean(),
    null: fc.constant(null),
    array: fc.array(fc.integer(), { maxLength: 2 }),
    object: fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
  };
  const own = type === "integer" ? "number" : String(type);
  return fc.oneof(
    ...Object.entries(all)
      .filter(([name]) => name !== own)
      .map(([, arb]) => arb),
  );
}

const num = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);

function numberArb(node: SchemaNode, integer: boolean): Arbitrary<number> {
  const exclusiveMin = num(node.exclusiveMinimum);
  const exclusiveMax = num(node.exclusiveMaximum);
  let min =
    num(node.minimum) ?? (exclusiveMin === undefined ? -1e6 : exclusiveMin + (integer ? 1 : Number.EPSILON));
  let max =
    num(node.maximum) ?? (exclusiveMax === undefined ? 1e9 : exclusiveMax - (integer ? 1 : Number.EPSILON));
  if (integer) {
    min = Math.max(Math.ceil(min), Number.MIN_SAFE_INTEGER);
    max = Math.min(Math.floor(max), Number.MAX_SAFE_INTEGER);
    // Mostly small values near the lower bound (where defaults live), sometimes the whole range.
    return fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min, max: Math.min(max, min + 1000) }) },
      { weight: 1, arbitrary: fc.integer({ min, max }) },
    );
  }
  return fc.double({
    min: exclusiveMin === undefined ? min : Math.max(min, exclusiveMin),
    max,
    noNaN: true,
    noDefaultInfinity: true,
    minExcluded: exclusiveMin !== undefined,
  });
}

function badNumber(node: SchemaNode, integer: boolean): Arbitrary<Json> {
  const options: Arbitrary<Json>[] = [];
  const min = num(node.minimum) ?? num(node.exclusiveMinimum);
  const max = num(node.maximum) ?? num(node.exclusiveMaximum);
  if (min !== undefined) options.push(fc.constantFrom(min - 1, num(node.exclusiveMinimum) ?? min - 0.5));
  if (max !== undefined) options.push(fc.constantFrom(max + 1, num(node.exclusiveMaximum) ?? max + 0.5));
  if (integer) options.push(fc.constantFrom(0.5, 1.25));
  options.push(fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -1e21));
  return fc.oneof(...options);
}

function stringArb(node: SchemaNode): Arbitrary<string> {
  const minLength = num(node.minLength) ?? 0;
  const maxLength = num(node.maxLength);
  if (typeof node.pattern === "string") {
    const matching = fc.stringMatching(new RegExp(node.pattern));
    return maxLength === undefined && minLength === 0
      ? matching
      : matching.filter((s) => s.length >= minLength && (maxLength === undefined || s.length <= maxLength));
  }
  if (node.format === "date-time")
    return fc
      .date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true })
      .map((d) => d.toISOString());
  if (node.format === "uri")
    return fc.oneof(
      fc.webUrl(),
      fc.constantFrom("ftp://example.com/x", "HTTP://EXAMPLE.COM/i", "https://[::1]:8443/i", "file:///etc/x"),
    );
  return fc.string({ minLength, maxLength: maxLength ?? Math.max(minLength, 12) });
}

function badString(node: SchemaNode): Arbitrary<Json> {
  const options: Arbitrary<Json>[] = [fc.constantFrom("", " ", "Not Valid!", "x".repeat(300))];
  if (typeof node.pattern === "string") options.push(fc.string({ maxLength: 10 }));
  if (node.format === "date-time")
    options.push(fc.constantFrom("2026-13-01T00:00:00Z", "yesterday", "2026-01-01"));
  if (node.format === "uri") options.push(fc.constantFrom("not a url", "//no-scheme", "http://"));
  return fc.oneof(...options);
}

interface Options {
  /** Weight of a mutation against 100 for the conforming value, at every node. */
  readonly mutationWeight: number;
}

// Values for the fields whose rules JSON Schema cannot carry (zod refinements), so that conforming
// shapes are often fully valid: time zones, regular expressions, http(s) URLs, role references.
const timeZones = fc.constantFrom("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo");
const regexSources = fc.constantFrom("^TICKET-\\d+$", "password=\\S+", "[a-z]+", "(?:x|y)");
const roleIds = fc.constantFrom("admin", "operator", "viewer");
const hints: Readonly<Record<string, Arbitrary<Json>>> = {
  timezone: timeZones,
  timeZone: timeZones,
  ticketPattern: regexSources,
  redactPatterns: fc.array(regexSources, { maxLength: 2 }),
  url: fc.webUrl({ validSchemes: ["http", "https"] }),
  role: roleIds,
  roleId: roleIds,
  toRole: roleIds,
};

/** Orders `start`/`end` pairs (clock times and instants), the rule `end` after (or unlike) `start` checks. */
function orderWindow(value: Json): Json {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const { start, end } = value;
  if (typeof start !== "string" || typeof end !== "string") return value;
  if (/^\d\d:\d\d$/.test(start) && /^\d\d:\d\d$/.test(end))
    return start === end ? { ...value, end: start === "00:00" ? "24:00" : "00:00" } : value;
  const [from, to] = [Date.parse(start), Date.parse(end)];
  if (Number.isNaN(from) || Number.isNaN(to)) return value;
  if (from === to) return { ...value, end: new Date(to + 60_000).toISOString() };
  return from < to ? value : { ...value, start: end, end: start };
}

function objectArb(node: SchemaNode, options: Options): Arbitrary<Json> {
  const properties = isNode(node.properties) ? node.properties : {};
  const required = new Set(Array.isArray(node.required) ? (node.required as string[]) : []);
  const additional = node.additionalProperties;
  const entries = Object.entries(properties).filter((entry): entry is [string, SchemaNode] =>
    isNode(entry[1]),
  );
  if (entries.length === 0 && isNode(additional)) {
    // A record: keys from propertyNames, values from additionalProperties.
    const keyNode = isNode(node.propertyNames) ? node.propertyNames : { type: "string" };
    const keys =
      keyNode.enum !== undefined ? fc.constantFrom(...(keyNode.enum as string[])) : stringArb(keyNode);
    return fc.dictionary(keys, arbitraryFromSchema(additional, options), { maxKeys: 3 });
  }
  const record: Record<string, Arbitrary<Json>> = {};
  for (const [key, child] of entries) {
    const hint = hints[key];
    record[key] =
      hint === undefined
        ? arbitraryFromSchema(child, options)
        : fc.oneof(
            { weight: 100, arbitrary: hint },
            { weight: options.mutationWeight, arbitrary: arbitraryFromSchema(child, options) },
          );
  }
  const shaped = (
    fc.record(record, { requiredKeys: [...required].filter((key) => key in record) }) as Arbitrary<Json>
  ).map(orderWindow);
  if (options.mutationWeight === 0) return shaped;
  return fc.oneof(
    { weight: 100, arbitrary: shaped },
    // an unknown key (refused when additionalProperties is false)
    {
      weight: options.mutationWeight,
      arbitrary: fc
        .tuple(shaped, fc.constantFrom("unknownKey", "Enabled", "__extra"), anyJson)
        .map(([value, key, extra]) => ({ ...(value as Record<string, Json>), [key]: extra })),
    },
    // a required key dropped
    ...(required.size === 0
      ? []
      : [
          {
            weight: options.mutationWeight,
            arbitrary: fc.tuple(shaped, fc.constantFrom(...required)).map(([value, key]) => {
              const copy = { ...(value as Record<string, Json>) };
              delete copy[key];
              return copy;
            }),
          },
        ]),
  );
}

function arrayArb(node: SchemaNode, options: Options): Arbitrary<Json> {
  const items = isNode(node.items) ? node.items : {};
  const minLength = num(node.minItems) ?? 0;
  const maxLength = Math.max(minLength, Math.min(num(node.maxItems) ?? 3, minLength + 3));
  const filled = fc.array(arbitraryFromSchema(items, options), { minLength, maxLength });
  // Lists without a minimum are often empty: each entry can only add reasons to refuse.
  return minLength > 0
    ? filled
    : fc.oneof({ weight: 2, arbitrary: fc.constant<Json[]>([]) }, { weight: 1, arbitrary: filled });
}

/** The conforming arbitrary of one node (its children may still mutate). */
function conforming(node: SchemaNode, options: Options): Arbitrary<Json> {
  if (node.const !== undefined) return fc.constant(node.const as Json);
  if (Array.isArray(node.enum)) return fc.constantFrom(...(node.enum as Json[]));
  const union = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined;
  if (union) return fc.oneof(...union.filter(isNode).map((branch) => arbitraryFromSchema(branch, options)));
  switch (node.type) {
    case "object":
      return objectArb(node, options);
    case "array":
      return arrayArb(node, options);
    case "string":
      return stringArb(node);
    case "integer":
      return numberArb(node, true);
    case "number":
      return numberArb(node, false);
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    default:
      return anyJson;
  }
}

/** A mutation of one node: something its schema (and zod) should refuse. */
function mutation(node: SchemaNode): Arbitrary<Json> {
  const options: Arbitrary<Json>[] = [];
  if (node.type !== undefined) options.push(otherType(node.type));
  if (Array.isArray(node.enum)) options.push(fc.constantFrom("not-a-member", "UNKNOWN", 42));
  if (node.const !== undefined) options.push(fc.constant("not-the-constant"));
  if (node.type === "integer" || node.type === "number")
    options.push(badNumber(node, node.type === "integer"));
  if (node.type === "string") options.push(badString(node));
  if (node.type === "array" && num(node.minItems) !== undefined && (num(node.minItems) ?? 0) > 0)
    options.push(fc.constant([]));
  return options.length === 0 ? anyJson : fc.oneof(...options);
}

/**
 * An arbitrary of values shaped by `schema`: conforming at every node except, with weight
 * `mutationWeight` (against 100), a mutation there. `mutationWeight: 0` gives conforming shapes only
 * (still not always valid for zod: refinements such as time zones and cross-field rules are not in
 * the schema).
 */
export function arbitraryFromSchema(
  schema: SchemaNode,
  options: Options = { mutationWeight: 4 },
): Arbitrary<Json> {
  const ok = conforming(schema, options);
  if (
    options.mutationWeight === 0 ||
    (schema.type === undefined &&
      schema.enum === undefined &&
      schema.const === undefined &&
      !Array.isArray(schema.anyOf))
  )
    return ok;
  return fc.oneof(
    { weight: 100, arbitrary: ok },
    { weight: options.mutationWeight, arbitrary: mutation(schema) },
  );
}

const asRecord = (value: Json | undefined): Record<string, Json> | undefined =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? value : undefined;

/**
 * Makes the cross-field references of a config resolve, as a user's config would: the roles the
 * security policies name exist, `defaultProvider` names an enabled provider, a redis state store
 * has a redis:// URL.
 */
export function linkReferences(config: Json): Json {
  const root = asRecord(config);
  if (root === undefined) return config;
  const out: Record<string, Json> = { ...root };
  const providers = Array.isArray(root.providers) ? root.providers.map(asRecord) : [];
  const firstId = providers.find((p) => typeof p?.id === "string" && p.enabled !== false)?.id;
  if (typeof out.defaultProvider === "string") {
    if (typeof firstId === "string") out.defaultProvider = firstId;
    else delete out.defaultProvider;
  }
  // A redis state store names a redis:// server.
  const stateStore = asRecord(root.stateStoreConfig);
  if (
    stateStore !== undefined &&
    (stateStore.backend === "redis" || asRecord(stateStore.redis) !== undefined)
  ) {
    out.stateStoreConfig = {
      ...stateStore,
      redis: { ...asRecord(stateStore.redis), url: "redis://127.0.0.1:6379/0" },
    };
  }
  const security = asRecord(root.securityConfig);
  const policies = asRecord(security?.policies);
  if (security !== undefined && policies !== undefined) {
    const roles = Array.isArray(policies.roles) ? policies.roles : [];
    const present = new Set(roles.map((r) => asRecord(r)?.id).filter((id) => typeof id === "string"));
    const denyRoles = (Array.isArray(policies.denyRules) ? policies.denyRules : []).flatMap((rule) => {
      const named = asRecord(rule)?.roles;
      return Array.isArray(named)
        ? named.filter((id): id is string => typeof id === "string" && id.length > 0 && id.length <= 128)
        : [];
    });
    const wanted = [...new Set(["admin", "operator", "viewer", ...denyRoles])];
    const missing = wanted.filter((id) => !present.has(id)).map((id): Json => ({ id }));
    out.securityConfig = { ...security, policies: { ...policies, roles: [...roles, ...missing] } };
  }
  return out;
}

/** Configs for the parity property: near-valid shapes, conforming shapes with their references linked, arbitrary JSON. */
export function configArbitrary(schema: SchemaNode): Arbitrary<Json> {
  return fc.oneof(
    { weight: 5, arbitrary: arbitraryFromSchema(schema, { mutationWeight: 3 }) },
    { weight: 4, arbitrary: arbitraryFromSchema(schema, { mutationWeight: 0 }).map(linkReferences) },
    { weight: 1, arbitrary: arbitraryFromSchema(schema, { mutationWeight: 0 }) },
    { weight: 1, arbitrary: anyJson },
  );
}
