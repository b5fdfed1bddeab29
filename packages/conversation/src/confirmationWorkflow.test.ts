import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { RiskAssessment } from "@espada/infra-core";
import {
  InfrastructureConfirmationWorkflow,
  OPERATION_NAMES,
  isAffirmative,
  isMutatingOperation,
  isNegative,
} from "./index.js";
import { answerOf, normalizeAnswer } from "./confirmationWorkflow.js";

const risk = (score: number, level: RiskAssessment["level"]): RiskAssessment => ({
  score,
  level,
  factors: [
    {
      name: "environment",
      weight: 0.25,
      value: 100,
      contribution: 25,
      description: "production environment (2×)",
    },
  ],
});

describe("InfrastructureConfirmationWorkflow", () => {
  it("asks for every change by default, never for reads", () => {
    const w = new InfrastructureConfirmationWorkflow();
    for (const operation of OPERATION_NAMES) {
      const d = w.decide({ operation, environment: "development", targets: [] });
      expect(d.required).toBe(isMutatingOperation(operation));
    }
  });

  it("with the risky policy, lets a low-risk change in development through", () => {
    const w = new InfrastructureConfirmationWorkflow({ policy: "risky" });
    expect(
      w.decide({
        operation: "restart",
        environment: "development",
        targets: [{ id: "x" }],
        risk: risk(10, "minimal"),
        confidence: 0.9,
      }).required,
    ).toBe(false);
    expect(
      w.decide({ operation: "restart", environment: "production", targets: [{ id: "x" }], confidence: 0.9 })
        .required,
    ).toBe(true);
    expect(
      w.decide({ operation: "restart", environment: "development", targets: [{ id: "x" }], confidence: 0.3 })
        .required,
    ).toBe(true);
  });

  it("makes the operator type the name for destructive high/critical risk", () => {
    const w = new InfrastructureConfirmationWorkflow();
    const input = {
      operation: "delete" as const,
      environment: "production",
      targets: [{ id: "db-9", name: "orders-db", type: "database" }],
      risk: risk(92, "critical"),
    };
    const d = w.decide(input);
    expect(d).toMatchObject({ required: true, level: "typed", expectedText: "orders-db" });
    const impact = w.impact(input);
    expect(impact).toMatchObject({ deletes: ["orders-db (db-9)"], reversible: false });
    expect(impact.text).toContain("risk 92/100 (critical)");
    const pending = w.request(input, d, { run: 1 });
    expect(w.respond(pending.id, "yes")).toMatchObject({ status: "mismatch" });
    expect(w.respond(pending.id, "  Orders-DB ")).toMatchObject({
      status: "confirmed",
      confirmation: { payload: { run: 1 } },
    });
    expect(w.respond(pending.id, "orders-db")).toEqual({ status: "not-found" });
    expect(w.decide({ ...input, risk: risk(30, "low") }).level).toBe("simple");
  });

  it("expires pending confirmations on the injected clock", () => {
    let now = 0;
    const w = new InfrastructureConfirmationWorkflow({ now: () => now, ttlMs: 1_000 });
    const input = { operation: "scale" as const, environment: "staging", targets: [{ id: "web" }] };
    const a = w.request(input, w.decide(input), null);
    const b = w.request(input, w.decide(input), null);
    now = 999;
    expect(w.respond(a.id, "yes").status).toBe("confirmed");
    now = 1_000;
    expect(w.respond(b.id, "yes").status).toBe("expired");
    expect(w.list()).toEqual([]);
    expect(() => new InfrastructureConfirmationWorkflow({ ttlMs: 0 })).toThrow(/ttlMs/);
  });

  it("consumes a confirmation exactly once, whatever the answers", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("yes", "no", "maybe", "orders-db", "cancel", "ok"), {
          minLength: 1,
          maxLength: 8,
        }),
        (answers) => {
          const w = new InfrastructureConfirmationWorkflow();
          const input = {
            operation: "delete" as const,
            environment: "production",
            targets: [{ id: "db-9", name: "orders-db" }],
          };
          const p = w.request(input, w.decide(input), null);
          const finals = answers
            .map((a) => w.respond(p.id, a).status)
            .filter((s) => s === "confirmed" || s === "rejected");
          expect(finals.length).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});

describe("answers", () => {
  it("reads yes and no the same with or without the length shortcut", () => {
    // answerOf skips normalising a message with more letters and digits than any answer has: it
    // must agree with normalising every message.
    const yes = ["yes", "y", "yep", "ok", "go ahead", "do it", "yes please", "yes, do it", "run it"];
    const no = ["no", "nope", "cancel", "don't", "never mind", "cancel that", "no thanks"];
    const text = fc.oneof(
      fc.string(),
      fc
        .constantFrom(...yes, ...no)
        .chain((w) =>
          fc
            .tuple(
              fc.constantFrom("", " ", "  ", "\t"),
              fc.constantFrom("", "!", "?!", ".", "..."),
              fc.boolean(),
            )
            .map(([pad, end, upper]) => `${pad}${upper ? w.toUpperCase() : w}${end}${pad}`),
        ),
      fc.constantFrom(...yes, ...no).map((w) => `${w} and also delete everything else`),
    );
    fc.assert(
      fc.property(text, (t) => {
        const n = normalizeAnswer(t);
        const expected = yes.includes(n) ? "yes" : no.includes(n) || n === "n" ? "no" : undefined;
        if (expected !== undefined) expect(answerOf(t)).toBe(expected);
        expect(isAffirmative(t)).toBe(answerOf(t) === "yes");
        expect(isNegative(t)).toBe(answerOf(t) === "no");
      }),
      { numRuns: 500 },
    );
    expect(answerOf("  YES, DO IT!!  ")).toBe("yes");
    expect(answerOf("yes delete the production database now")).toBeUndefined();
  });
});
