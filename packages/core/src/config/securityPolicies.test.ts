import { describe, expect, it } from "vitest";
import { securityPoliciesSchema } from "./securityPolicies.js";
import { getInfrastructureConfigJsonSchema, validateInfrastructureConfig } from "./validate.js";

describe("securityConfig.policies", () => {
  it("defaults to the documented roles, one critical approval chain and a break-glass policy for every environment", () => {
    const config = validateInfrastructureConfig({ securityConfig: { policies: {} } });
    if (!config.success) throw new Error("default config invalid");
    const policies = config.data.securityConfig.policies;
    if (policies === undefined) throw new Error("policies expected");
    expect(policies.roles.map((r) => r.id)).toEqual(["admin", "sre", "developer", "viewer"]);
    expect(policies.roles[0]?.permissions).toHaveLength(15);
    expect(policies.approvalChains).toMatchObject([
      { id: "critical", riskLevels: ["critical"], steps: [{ role: "admin", approvers: 1 }] },
    ]);
    expect(policies.breakGlass).toMatchObject([{ environment: "*", maxConcurrent: 1 }]);
    expect(policies.risk.weights).toEqual({
      environment: 0.25,
      operationType: 0.2,
      resourceCount: 0.1,
      resourceCriticality: 0.15,
      timeOfDay: 0.05,
      userHistory: 0.1,
      recentChanges: 0.1,
      rollbackAvailability: 0.05,
    });
  });

  it("accepts its own output again (defaults satisfy the schema)", () => {
    const once = securityPoliciesSchema.parse({});
    expect(securityPoliciesSchema.safeParse(once).success).toBe(true);
  });

  it("reports every problem with its full path", () => {
    const result = validateInfrastructureConfig({
      securityConfig: {
        policies: {
          roles: [{ id: "ops", permissions: ["infra:fly"] }, { id: "ops" }],
          assignments: [{ userId: "a", roleId: "ghost" }],
          timeWindows: [{ id: "w", start: "25:00", end: "10:00", timezone: "Mars/Base" }],
          approvalChains: [{ id: "c", riskLevels: ["critical"], steps: [{ role: "admin" }] }],
          risk: { weights: { environment: 2 }, typo: 1 },
        },
      },
    });
    expect(result.success).toBe(false);
    const paths = result.success ? [] : result.errors.map((e) => `${e.code} ${e.path ?? ""}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        "INVALID_VALUE securityConfig.policies.roles[0].permissions[0]",
        "DUPLICATE_ID securityConfig.policies.roles[1].id",
        "UNKNOWN_ROLE securityConfig.policies.assignments[0].roleId",
        "INVALID_FORMAT securityConfig.policies.timeWindows[0].start",
        "INVALID_TIME_ZONE securityConfig.policies.timeWindows[0].timezone",
        "UNKNOWN_ROLE securityConfig.policies.approvalChains[0].steps[0].role",
        "TOO_BIG securityConfig.policies.risk.weights.environment",
        "UNKNOWN_KEY securityConfig.policies.risk.typo",
      ]),
    );
  });

  it("names approvalChains when roles drop admin but the default chain (which needs admin) applies", () => {
    const result = validateInfrastructureConfig({
      securityConfig: { policies: { roles: [{ id: "ops", permissions: ["infra:read"] }] } },
    });
    expect(result.success).toBe(false);
    const errors = result.success ? [] : result.errors;
    expect(errors.map((e) => `${e.code} ${e.path ?? ""}`)).toEqual([
      "UNKNOWN_ROLE securityConfig.policies.approvalChains",
    ]);
    expect(errors[0]?.message).toMatch(/default chain.*"admin"/);
    // written chains are checked step by step; with roles of their own there is no problem
    expect(
      validateInfrastructureConfig({
        securityConfig: {
          policies: { roles: [{ id: "ops", permissions: ["infra:approve"] }], approvalChains: [] },
        },
      }).success,
    ).toBe(true);
    expect(
      validateInfrastructureConfig({
        securityConfig: { policies: { roles: [{ id: "admin", permissions: ["infra:approve"] }] } },
      }).success,
    ).toBe(true);
  });

  it("appears in the configuration's JSON Schema", () => {
    const schema = JSON.stringify(getInfrastructureConfigJsonSchema());
    expect(schema).toContain("approvalChains");
    expect(schema).toContain("infra:break-glass");
  });
});
