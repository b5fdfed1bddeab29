import { describe, expect, it } from "vitest";
import { failure, success, validation, validationIssuesOf } from "./results.js";

describe("result helpers", () => {
  it("success wraps data and affected resources", () => {
    expect(success({ instanceId: "i-1" }, ["i-1"])).toEqual({
      success: true,
      data: { instanceId: "i-1" },
      duration: 0,
      logs: [],
      affectedResources: ["i-1"],
      rollbackAvailable: false,
    });
    expect(success(null, [], { logs: ["done"], rollbackAvailable: true })).toMatchObject({
      logs: ["done"],
      rollbackAvailable: true,
    });
  });

  it("failure defaults to not recoverable and carries the options", () => {
    expect(failure("UNKNOWN_CMD", "Unknown: x")).toEqual({
      success: false,
      error: { code: "UNKNOWN_CMD", message: "Unknown: x", recoverable: false },
      duration: 0,
      logs: [],
      affectedResources: [],
      rollbackAvailable: false,
    });
    const f = failure("QUOTA", "over quota", {
      recoverable: true,
      details: { limit: 2 },
      logs: ["l"],
      rollbackAvailable: true,
    });
    expect(f.error).toEqual({
      code: "QUOTA",
      message: "over quota",
      recoverable: true,
      details: { limit: 2 },
    });
    expect(f).toMatchObject({ logs: ["l"], rollbackAvailable: true });
  });

  it("validation builders and combine", () => {
    expect(validation.ok()).toEqual({ valid: true, errors: [], warnings: [] });
    expect(validation.error("MISSING", "region is required", "settings.region")).toEqual({
      valid: false,
      errors: [{ code: "MISSING", message: "region is required", path: "settings.region" }],
      warnings: [],
    });
    expect(validation.warning("OLD", "deprecated")).toEqual({
      valid: true,
      errors: [],
      warnings: [{ code: "OLD", message: "deprecated" }],
    });
    const combined = validation.combine(
      validation.ok(),
      validation.warning("W", "w"),
      validation.error("E", "e", "x"),
    );
    expect(combined.valid).toBe(false);
    expect(combined.errors.map((i) => i.code)).toEqual(["E"]);
    expect(combined.warnings.map((i) => i.code)).toEqual(["W"]);
    expect(validation.combine().valid).toBe(true);
  });

  it("validationIssuesOf reads a failure's details.issues, keeping well-formed issues only", () => {
    const issues = [
      { code: "REQUIRED", message: "name is required", path: "params.name" },
      { code: "TOO_BIG", message: "cpu is too big" },
    ];
    expect(validationIssuesOf(failure("VALIDATION_FAILED", "bad", { details: { issues } }))).toEqual(issues);
    expect(
      validationIssuesOf(
        failure("VALIDATION_FAILED", "bad", {
          details: { issues: [...issues, { code: 1 }, "x", null, { code: "A", message: "m", path: 3 }] },
        }),
      ),
    ).toEqual(issues);
    expect(validationIssuesOf(failure("VALIDATION_FAILED", "bad", { details: { issues: "nope" } }))).toEqual(
      [],
    );
    expect(validationIssuesOf(failure("QUOTA", "over"))).toEqual([]);
    expect(validationIssuesOf(success({ issues }))).toEqual([]);
  });
});
