import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { AuditEventType, GateDecision, JsonValue, OperationRequest } from "@espada/infra-core";
import { decisionEvent, InfrastructureAuditLogger } from "./audit.js";
import type { DecisionRecordInput } from "./audit.js";
import { memoryStore } from "../test/support.js";

// The facade records a gate decision with `recordDecision`, which composes the record's text
// straight from the request and the decision. It must store exactly the text that recording the
// built event (`decisionEvent`) stores, whatever the values: secrets in params or details, non-ASCII
// text, frozen or shared risk assessments and reasons, values of unexpected types.

const KEY = Buffer.alloc(32, 9);

const text = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.constantFrom("prod-db", 'quote " and \\ backslash', "naïve ✓", "\u00d7", "\ud800", "line\nfeed"),
);
const scalar = fc.oneof(
  text,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);
const keyName = fc.constantFrom(
  "target",
  "count",
  "password",
  "apiKey",
  "token",
  "note",
  "ü",
  "toJSON",
  "__proto__",
);
const json = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    scalar,
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(keyName, tie("v"), { maxKeys: 3 }),
  ),
})).v;
const maybeFrozen = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  fc.tuple(arb, fc.boolean()).map(([v, freeze]) => (freeze ? deepFreeze(v) : v));

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null) {
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}

const factor = fc.record({
  name: text,
  weight: fc.double({ noNaN: true, noDefaultInfinity: true }),
  value: fc.double({ noNaN: true, noDefaultInfinity: true }),
  contribution: fc.double({ noNaN: true, noDefaultInfinity: true }),
  description: text,
});
const risk = maybeFrozen(
  fc.oneof(
    fc.record({
      score: fc.double({ min: 0, max: 100 }),
      level: text,
      factors: fc.array(factor, { maxLength: 4 }),
    }),
    // not the usual shape: written through the protector
    fc.record({ score: fc.double(), level: text, factors: fc.array(json, { maxLength: 2 }), extra: json }),
  ),
);
const reason = maybeFrozen(
  fc.oneof(
    fc.record({ check: text, passed: fc.boolean(), message: text }),
    fc.record({ check: text, passed: json, message: text }),
    fc.dictionary(keyName, json, { maxKeys: 2 }),
  ),
);
const details = fc.oneof(
  fc.constant({}),
  fc.constantFrom({ deniedBy: "rbac" }, { approvalId: "a-1", chainId: "c", reused: true }),
  fc.dictionary(fc.oneof(keyName, fc.constantFrom("permission", "params", "approvalId")), json, {
    maxKeys: 3,
  }),
);
const request = fc.record(
  {
    operationId: text,
    commandId: text,
    commandCategory: fc.constantFrom("provision", "manage", "monitor"),
    providerId: text,
    userId: fc.oneof(text, fc.constant(""), fc.integer()),
    environment: text,
    sessionId: fc.oneof(text, fc.constant(undefined), fc.constant(null), fc.integer()),
    params: fc.oneof(
      fc.dictionary(keyName, scalar, { maxKeys: 4 }),
      fc.dictionary(keyName, json, { maxKeys: 3 }),
      maybeFrozen(fc.dictionary(keyName, json, { maxKeys: 3 })),
    ),
    resourceIds: fc.oneof(fc.array(text, { maxLength: 3 }), fc.array(json, { maxLength: 2 })),
  },
  {
    requiredKeys: [
      "operationId",
      "commandId",
      "providerId",
      "userId",
      "environment",
      "params",
      "resourceIds",
    ],
  },
);
const input = fc.record({
  type: fc.constantFrom<AuditEventType>(
    "permission_granted",
    "permission_denied",
    "access_denied",
    "operation_requested",
  ),
  outcome: fc.constantFrom("success", "denied", "pending"),
  request,
  decision: fc.record({
    outcome: fc.constantFrom("allowed", "denied", "needs-approval", "needs-confirmation"),
    risk,
    reasons: fc.array(reason, { maxLength: 4 }),
  }),
  permission: fc.oneof(fc.constantFrom("infra:read", "infra:delete"), text),
  details,
});

/** The stored text of each record, in order. */
async function texts(store: ReturnType<typeof memoryStore>): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await store.read<JsonValue>("security/audit"))
    out.push(...(entry.value as unknown as { b: string }).b.split("\x1e"));
  return out;
}

describe("recordDecision", () => {
  it("property: stores exactly what recording the built event stores", async () => {
    let now = 1_700_000_000_000;
    const clock = (): number => now;
    const composedStore = memoryStore();
    const builtStore = memoryStore();
    const composed = await InfrastructureAuditLogger.open({ store: composedStore, key: KEY, now: clock });
    const built = await InfrastructureAuditLogger.open({ store: builtStore, key: KEY, now: clock });
    let recorded = 0;
    await fc.assert(
      fc.asyncProperty(input, async (raw) => {
        const x = raw as unknown as DecisionRecordInput;
        now += 1;
        const a = await composed.recordDecision(x).then(
          () => "ok",
          (error: unknown) => (error as { code?: string }).code,
        );
        const b = await built.record(decisionEvent(x)).then(
          () => "ok",
          (error: unknown) => (error as { code?: string }).code,
        );
        expect(a).toBe(b);
        if (a === "ok") recorded += 1;
      }),
      { numRuns: 400 },
    );
    // The generator must reach the recording path, not only refusals: about 30 % of its inputs are
    // valid (120 of 400 on average, standard deviation ~9), so 50 holds for any seed in practice.
    expect(recorded).toBeGreaterThan(50);
    const composedTexts = await texts(composedStore);
    expect(composedTexts).toEqual(await texts(builtStore));
    for (const t of composedTexts) expect(t).toMatch(/^[\x20-\x7e]*$/);
    expect(await composed.verify()).toEqual({ ok: true, records: recorded });
  });

  it("composes the facade's usual records (no fallback) for plain requests", async () => {
    const store = memoryStore();
    const logger = await InfrastructureAuditLogger.open({ store, key: KEY, now: () => 5 });
    const frozenRisk = deepFreeze({
      score: 42.5,
      level: "medium",
      factors: [
        { name: "environment", weight: 0.25, value: 100, contribution: 25, description: "production (2×)" },
      ],
    });
    const r: OperationRequest = {
      operationId: "op-1",
      commandId: "delete-instance",
      commandCategory: "provision",
      providerId: "aws",
      userId: "alice",
      environment: "production",
      params: { target: "db-1", count: 2, force: true, note: null },
      resourceIds: ["db-1", "db-2"],
      dangerous: true,
      mutating: true,
      dryRun: false,
      rollbackAvailable: false,
      confirmationRequired: false,
      confirmationReasons: [],
      confirmed: false,
    } as unknown as OperationRequest;
    const decision: GateDecision = {
      outcome: "denied",
      risk: frozenRisk as GateDecision["risk"],
      reasons: [Object.freeze({ check: "rbac", passed: false, message: "no role grants infra:delete" })],
    };
    const x: DecisionRecordInput = {
      type: "permission_denied",
      outcome: "denied",
      request: r,
      decision,
      permission: "infra:delete",
      details: { deniedBy: "rbac" },
    };
    // composed, not built: the private composer answers for it
    const composer = logger as unknown as { decisionFields(input: DecisionRecordInput): string | undefined };
    expect(composer.decisionFields(x)).toBeTypeOf("string");
    await logger.recordDecision(x);
    const [t] = await texts(store);
    expect(t).toBe(
      '{"seq":0,"timestamp":5,"type":"permission_denied","actor":"alice","operationId":"op-1","providerId":"aws","commandId":"delete-instance","environment":"production","outcome":"denied","risk":[42.5,"medium",[["environment",0.25,100,25,"production (2\\u00d7)"]]],"reasons":[["rbac",false,"no role grants infra:delete"]],"details":{"permission":"infra:delete","decision":"denied","resourceIds":["db-1","db-2"],"params":{"target":"db-1","count":2,"force":true,"note":null},"deniedBy":"rbac"}}',
    );
  });
});
