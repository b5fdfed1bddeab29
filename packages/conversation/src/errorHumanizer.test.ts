import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ERROR_CATALOGUE, InfrastructureErrorHumanizer, humanizedErrorSchema } from "./index.js";

const humanizer = new InfrastructureErrorHumanizer();

describe("InfrastructureErrorHumanizer", () => {
  it("has at least fifty shapes across clouds, Kubernetes, Terraform, network, TLS and DNS", () => {
    expect(ERROR_CATALOGUE.length).toBeGreaterThanOrEqual(50);
    expect(new Set(ERROR_CATALOGUE.map((p) => p.id)).size).toBe(ERROR_CATALOGUE.length);
    for (const source of ["aws", "azure", "gcp", "kubernetes", "terraform", "network", "dns", "tls"])
      expect(ERROR_CATALOGUE.some((p) => p.source === source)).toBe(true);
    for (const category of ["authentication", "authorization", "quota", "throttling", "timeout"])
      expect(ERROR_CATALOGUE.some((p) => p.category === category)).toBe(true);
  });

  it("recognises every catalogued code and every catalogued message shape", () => {
    for (const p of ERROR_CATALOGUE) {
      for (const code of p.codes ?? []) {
        const h = humanizer.humanize({ code, message: "x" });
        expect(h.category).toBe(
          humanizer.catalogue.find((q) => q.codes?.some((c) => c.toLowerCase() === code.toLowerCase()))
            ?.category,
        );
      }
    }
  });

  it.each([
    [
      Object.assign(new Error("Rate exceeded"), {
        name: "ThrottlingException",
        $metadata: { httpStatusCode: 400 },
      }),
      "throttling",
      "aws.throttling",
    ],
    [new Error("getaddrinfo ENOTFOUND api.example.invalid"), "dns", "dns.notfound"],
    [
      {
        error: {
          code: "AuthorizationFailed",
          message: "The client 'x' does not have authorization to perform action",
        },
      },
      "authorization",
      "azure.authorization-failed",
    ],
    [
      "Error: Back-off restarting failed container app in pod web-1\n    at kubelet (sync.go:12)",
      "provider",
      "k8s.crashloop",
    ],
    [
      new Error("Error acquiring the state lock: ConditionalCheckFailedException"),
      "conflict",
      "terraform.state-lock",
    ],
    [Object.assign(new Error("certificate has expired"), { code: "CERT_HAS_EXPIRED" }), "tls", "tls.expired"],
    [
      { code: "QUOTA_EXCEEDED", message: "Quota 'CPUS' exceeded. Limit: 24.0 in region us-central1." },
      "quota",
      "gcp.quota",
    ],
    [
      new Error(
        "InstanceLimitExceeded: You have requested more instances (21) than your current instance limit of 20",
      ),
      "quota",
      "aws.instance-limit",
    ],
  ])("%#: humanizes a real shape", (error, category, id) => {
    const h = humanizer.humanize(error);
    expect(h.category).toBe(category);
    expect(h.matched).toBe(id);
    expect(h.remediation.length).toBeGreaterThan(0);
    expect(h.explanation).toMatch(/\.$/);
  });

  it("keeps the raw code of an unknown error", () => {
    const h = humanizer.humanize({ code: "WEIRD_THING_42", message: "the flux capacitor is misaligned" });
    expect(h).toMatchObject({ category: "unknown", code: "WEIRD_THING_42", matched: null });
    expect(h.explanation).toContain("flux capacitor");
  });

  it("never echoes a secret and never throws", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9]{10,24}$/),
        fc.constantFrom("password", "token", "apiKey", "client_secret"),
        fc.anything(),
        (secret, key, junk) => {
          for (const error of [
            new Error(`auth failed: ${key}=${secret}`),
            { code: "ECONNREFUSED", message: `connect to postgres://app:${secret}@db:5432 refused` },
            `${key}: ${secret}`,
          ]) {
            const h = humanizer.humanize(error);
            expect(JSON.stringify(h)).not.toContain(secret);
            expect(humanizedErrorSchema.safeParse(h).success).toBe(true);
          }
          expect(humanizedErrorSchema.safeParse(humanizer.humanize(junk)).success).toBe(true);
        },
      ),
    );
    const cyclic: Record<string, unknown> = { message: "loop" };
    cyclic["cause"] = cyclic;
    expect(humanizer.humanize(cyclic).detail).toBe("loop");
  });

  it("formats for chat", () => {
    expect(humanizer.format({ code: "ETIMEDOUT" })).toMatch(/time limit.*\(ETIMEDOUT\)\n1\. /s);
  });
});
