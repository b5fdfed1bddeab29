import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { InfrastructureIntentClassifier, intentResultSchema } from "./index.js";

const classifier = new InfrastructureIntentClassifier();

describe("InfrastructureIntentClassifier", () => {
  it.each([
    ["spin up 3 servers in prod", "provision", "create"],
    ["Delete the production database cluster", "provision", "delete"],
    ["scale the web tier to 5 replicas", "manage", "scale"],
    ["reboot web-1", "manage", "restart"],
    ["show me the logs for checkout-api", "monitor", "logs"],
    ["what's the cpu usage on web-1", "monitor", "metrics"],
    ["who has access to orders-db", "security", "audit"],
    ["how much does production cost", "cost", "cost-report"],
    ["how much would 3 more servers cost", "cost", "cost-estimate"],
    ["What infrastructure providers are running?", "utility", "list-providers"],
    ["Discover infrastructure plugins", "utility", "discover"],
    ["how do I create a bucket?", "utility", "help"],
  ])("%s → %s/%s", (text, category, operation) => {
    const r = classifier.classify(text);
    expect(r.outOfScope).toBe(false);
    expect(r.needsClarification).toBe(false);
    expect(r.category).toBe(category);
    expect(r.operation).toBe(operation);
  });

  it.each([
    ["ship version 2.3 of the billing service", "provision", "deploy"],
    ["roll back db-2 to yesterday's snapshot", "manage", "restore"],
    ["i'd like two more t3.medium boxes in eu-west-1", "provision", "create"],
    ["change the retention on the logs bucket to 30 days", "manage", "update"],
    ["list the permissions of the ci-deployer account", "security", "audit"],
    ["suggest ways to lower the storage bill", "cost", "cost-optimize"],
    ["what kinds of things can i ask", "utility", "help"],
    ["which kubernetes clusters are in staging", "monitor", "list"],
    ["what providers are configured", "utility", "list-providers"],
  ])("frames and service names: %s → %s/%s", (text, category, operation) => {
    const r = classifier.classify(text);
    expect(r.needsClarification).toBe(false);
    expect([r.category, r.operation]).toEqual([category, operation]);
  });

  it("keeps an upgrade to the latest version an update, and a booking out of scope", () => {
    expect(classifier.classify("upgrade orders-db to the latest version").operation).toBe("update");
    expect(classifier.classify("book a table for two at 8pm").outOfScope).toBe(true);
  });

  it("corrects typos", () => {
    expect(classifier.classify("delte the staging databse").operation).toBe("delete");
    expect(classifier.classify("restrat nginx-edge").operation).toBe("restart");
  });

  it.each([
    "what's the weather like today",
    "tell me a joke",
    "create a playlist of 80s rock",
    "restart my phone",
    "book a flight to lisbon",
    "",
  ])("out of scope: %j", (text) => {
    const r = classifier.classify(text);
    expect(r.outOfScope).toBe(true);
    expect(r.mutating).toBe(false);
  });

  it("asks when the request is vague, composite or names no operation", () => {
    expect(classifier.classify("fix the api servers").clarification?.reason).toBe("vague-request");
    const composite = classifier.classify("list the buckets and delete the old ones");
    expect(composite.needsClarification).toBe(true);
    expect(composite.clarification?.reason).toBe("composite-request");
    expect(composite.mutating).toBe(true);
    expect(composite.destructive).toBe(true);
    expect(classifier.classify("the prod cluster").needsClarification).toBe(true);
  });

  it("ignores a negated verb and never reads a quoted name as a verb", () => {
    const r = classifier.classify("don't delete web-1, just restart it");
    expect(r.operation).toBe("restart");
    expect(r.negated).toContain("delete");
    expect(classifier.classify('show me the bucket "delete-everything"').operation).not.toBe("delete");
  });

  it("returns plain JSON that matches its schema, for any input", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc
            .array(
              fc.constantFrom(
                "delete",
                "the",
                "prod",
                "db",
                "and",
                "list",
                "'x'",
                "don't",
                "scale",
                "to",
                "5",
                "cost",
              ),
              { maxLength: 12 },
            )
            .map((w) => w.join(" ")),
        ),
        (text) => {
          const r = classifier.classify(text);
          expect(intentResultSchema.safeParse(r).success).toBe(true);
          expect(JSON.parse(JSON.stringify(r))).toEqual(r);
          expect(r.confidence).toBeGreaterThanOrEqual(0);
          expect(r.confidence).toBeLessThanOrEqual(1);
          if (r.outOfScope) expect(r.category).toBeNull();
          if (r.operation !== null && r.composite.length === 0) expect(classifier.classify(text)).toEqual(r);
        },
      ),
    );
  });

  it("a negated destructive verb never becomes the operation", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("delete", "destroy", "drop", "terminate", "remove"),
        fc.constantFrom("web-1", "the prod database", "orders-db", "the cluster"),
        fc.constantFrom("don't", "do not", "never"),
        (verb, target, neg) => {
          const r = classifier.classify(`${neg} ${verb} ${target}`);
          expect(r.operation === "delete" && !r.needsClarification).toBe(false);
        },
      ),
    );
  });
});
