import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  commandHistoryEntrySchema,
  infrastructureSessionSchema,
  isCommandHistoryEntry,
  isInfrastructureSession,
} from "./index.js";

const json: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });
const jsonObject = fc.dictionary(fc.string({ maxLength: 6 }), json, { maxKeys: 4 });
const word = fc.string({ maxLength: 8 });
const num = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));

const operation = fc.record(
  {
    id: word,
    kind: fc.constantFrom("approval", "confirmation"),
    approvalId: word,
    commandId: word,
    commandCategory: fc.constantFrom("provision", "manage", "monitor", "security", "cost", "utility"),
    providerId: word,
    instanceId: word,
    userId: word,
    environment: word,
    params: jsonObject,
    dryRun: fc.boolean(),
    createdAt: num,
    expiresAt: num,
    reason: word,
    confirmedBy: word,
    resourceIds: fc.array(word, { maxLength: 3 }),
    estimatedCost: fc.record({
      amount: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
      currency: fc.constantFrom("USD", "EUR"),
      period: fc.constantFrom("once", "hourly", "daily", "monthly"),
    }),
    rollbackOf: word,
    claim: fc.record({ id: word, at: num, until: num }),
  },
  {
    requiredKeys: [
      "id",
      "kind",
      "commandId",
      "commandCategory",
      "providerId",
      "instanceId",
      "userId",
      "environment",
      "params",
      "dryRun",
      "createdAt",
      "reason",
    ],
  },
);

const session = fc.record(
  {
    id: fc.string({ minLength: 1, maxLength: 8 }),
    userId: fc.string({ minLength: 1, maxLength: 8 }),
    state: fc.constantFrom("active", "expired", "terminated"),
    environment: word,
    providerId: word,
    instanceId: word,
    auth: fc.record(
      {
        method: fc.constantFrom("api-key", "oauth2", "token", "custom"),
        credentials: fc.dictionary(word, word, { maxKeys: 3 }),
        options: jsonObject,
        expiresAt: num,
      },
      { requiredKeys: ["method", "credentials", "options"] },
    ),
    resources: fc.dictionary(
      word,
      fc.record(
        { id: word, type: word, providerId: word, name: word, updatedAt: num },
        { requiredKeys: ["id", "type", "providerId", "updatedAt"] },
      ),
      { maxKeys: 3 },
    ),
    variables: jsonObject,
    pendingOperations: fc.array(operation, { maxLength: 2 }),
    metadata: jsonObject,
    createdAt: num,
    lastActivityAt: num,
    expiresAt: num,
  },
  {
    requiredKeys: [
      "id",
      "userId",
      "state",
      "environment",
      "resources",
      "variables",
      "pendingOperations",
      "metadata",
      "createdAt",
      "lastActivityAt",
      "expiresAt",
    ],
  },
);

const historyEntry = fc.record(
  {
    executionId: word,
    commandId: word,
    providerId: word,
    instanceId: word,
    userId: word,
    params: jsonObject,
    status: fc.constantFrom("succeeded", "failed", "cancelled", "denied", "pending"),
    dryRun: fc.boolean(),
    startedAt: num,
    duration: num,
    errorCode: word,
    errorMessage: word,
    affectedResources: fc.array(word, { maxLength: 3 }),
  },
  {
    requiredKeys: [
      "executionId",
      "commandId",
      "providerId",
      "userId",
      "params",
      "status",
      "dryRun",
      "startedAt",
      "duration",
      "affectedResources",
    ],
  },
);

// "Unchanged" means the same JSON text, which is what a store keeps and what an authenticated
// record's check covers.

/** Every path to an object or array inside `value` (the root included). */
function containers(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== "object" || value === null) return [];
  const out = [path];
  for (const [key, item] of Object.entries(value)) {
    out.push(...containers(item, [...path, Array.isArray(value) ? Number(key) : key]));
  }
  return out;
}

/** `value` with the container at `path` changed: a key set, removed or added. */
function mutate(value: unknown, path: (string | number)[], key: string, replacement: unknown): unknown {
  const copy: unknown = structuredClone(value);
  let target = copy as Record<string | number, unknown>;
  for (const step of path) target = target[step] as Record<string | number, unknown>;
  const keys = Object.keys(target);
  const chosen = keys.length > 0 && key.length % 2 === 0 ? (keys[key.length % keys.length] as string) : key;
  // An array's `length` is not a key a store keeps; setting it to NaN or "" would throw here.
  if (Array.isArray(target) && chosen === "length") return copy;
  if (replacement === "<delete>") delete target[chosen];
  else target[chosen] = replacement;
  return copy;
}

const replacement = fc.oneof(
  fc.constant("<delete>"),
  fc.constant(undefined),
  fc.constant(Number.NaN),
  fc.constant(Number.POSITIVE_INFINITY),
  fc.constant(""),
  fc.constant([]),
  fc.constant({}),
  fc.constant(new Date(0)),
  json,
);

/** The two properties every generated shape check must hold against its schema. */
function holdsToItsSchema(
  check: (value: unknown) => boolean,
  schema: { parse(value: unknown): unknown; safeParse(value: unknown): { success: boolean; data?: unknown } },
  valid: fc.Arbitrary<unknown>,
): void {
  it("accepts every value the schema gives back unchanged", () => {
    fc.assert(
      fc.property(valid, (value) => {
        expect(check(value)).toBe(true);
        expect(JSON.stringify(schema.parse(value))).toBe(JSON.stringify(value));
      }),
      { numRuns: 300 },
    );
  });

  it("never accepts what the schema refuses or would change", () => {
    fc.assert(
      fc.property(valid, fc.nat(), word, replacement, (value, at, key, swapped) => {
        const paths = containers(value);
        const changed = mutate(value, paths[at % paths.length] ?? [], key, swapped);
        if (!check(changed)) return;
        const parsed = schema.safeParse(changed);
        expect(parsed.success).toBe(true);
        // the same JSON: what a store keeps (a prototype or an array's named property is not kept)
        expect(JSON.stringify(parsed.data)).toBe(JSON.stringify(changed));
      }),
      { numRuns: 1000 },
    );
  });
}

describe("isInfrastructureSession", () => {
  holdsToItsSchema(isInfrastructureSession, infrastructureSessionSchema, session);

  it("refuses what is not a session", () => {
    for (const value of [null, undefined, 1, "s", [], {}, new Date(0), Object.create({ id: "s" })])
      expect(isInfrastructureSession(value)).toBe(false);
  });
});

describe("isCommandHistoryEntry", () => {
  holdsToItsSchema(isCommandHistoryEntry, commandHistoryEntrySchema, historyEntry);

  it("refuses an entry missing its defaulted affectedResources (the schema would add it)", () => {
    const entry = {
      executionId: "e",
      commandId: "c",
      providerId: "p",
      userId: "u",
      params: {},
      status: "succeeded",
      dryRun: false,
      startedAt: 0,
      duration: 1,
    };
    expect(isCommandHistoryEntry(entry)).toBe(false);
    expect(isCommandHistoryEntry({ ...entry, affectedResources: [] })).toBe(true);
  });
});
