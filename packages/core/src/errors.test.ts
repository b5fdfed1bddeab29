import { describe, expect, it } from "vitest";
import {
  AlreadyExistsError,
  ConfigValidationError,
  INFRASTRUCTURE_ERROR_CODES,
  InfrastructureError,
  LifecycleTransitionError,
  NotFoundError,
  StorageError,
  TimeoutError,
  ValidationError,
  isInfrastructureError,
  toError,
  GateFailureError,
  isGateFailure,
} from "./errors.js";
import { ERROR_CODES, ISSUE_CODES, describeErrorCode, isInfrastructureErrorCode } from "./errorCodes.js";

describe("errors", () => {
  it("carry a stable code, field, details and cause", () => {
    const cause = new Error("root");
    const error = new InfrastructureError("PROVIDER_FAILED", "boom", {
      cause,
      field: "providers[0]",
      details: { id: "a" },
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("InfrastructureError");
    expect(error.code).toBe("PROVIDER_FAILED");
    expect(error.field).toBe("providers[0]");
    expect(error.details).toStrictEqual({ id: "a" });
    expect(error.cause).toBe(cause);
    expect(new InfrastructureError("TIMEOUT", "x").cause).toBeUndefined();
  });

  it("ValidationError lists its issues and names the first path", () => {
    const issues = [
      { code: "REQUIRED", message: "is required", path: "params.name" },
      { code: "TOO_BIG", message: "too big", path: "params.cpu" },
    ];
    const error = new ValidationError("invalid", issues);
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.field).toBe("params.name");
    expect(error.issues).toBe(issues);
    expect(new ValidationError("x", []).field).toBeUndefined();
  });

  it("ConfigValidationError is a ValidationError with code CONFIG_INVALID", () => {
    const error = new ConfigValidationError("bad config", [
      { code: "UNKNOWN_KEY", message: "unknown", path: "foo" },
    ]);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.name).toBe("ConfigValidationError");
    expect(error.code).toBe("CONFIG_INVALID");
    expect(isInfrastructureError(error, "CONFIG_INVALID")).toBe(true);
  });

  it("specialised errors build clear messages", () => {
    const transition = new LifecycleTransitionError("my-cloud", "terminated", "active");
    expect([transition.code, transition.from, transition.to, transition.message]).toStrictEqual([
      "ILLEGAL_TRANSITION",
      "terminated",
      "active",
      'Provider "my-cloud" cannot move from "terminated" to "active"',
    ]);
    expect(new NotFoundError("provider", "x").message).toBe('Provider "x" not found');
    expect(new AlreadyExistsError("instance", "x")).toMatchObject({
      code: "ALREADY_EXISTS",
      message: 'Instance "x" already exists',
    });
    const timeout = new TimeoutError("Command create", 500);
    expect([timeout.code, timeout.timeoutMs, timeout.message]).toStrictEqual([
      "TIMEOUT",
      500,
      "Command create timed out after 500 ms",
    ]);
    expect(new StorageError("STORAGE_CORRUPT", "bad file").code).toBe("STORAGE_CORRUPT");
  });

  it("isInfrastructureError narrows by class and code", () => {
    expect(isInfrastructureError(new NotFoundError("session", "b"))).toBe(true);
    expect(isInfrastructureError(new NotFoundError("session", "b"), "TIMEOUT")).toBe(false);
    expect(isInfrastructureError(new Error("x"))).toBe(false);
    expect(isInfrastructureError({ code: "NOT_FOUND" })).toBe(false);
  });

  it("toError normalises anything thrown", () => {
    const original = new TypeError("t");
    expect(toError(original)).toBe(original);
    expect(toError("text").message).toBe("text");
    expect(toError({ a: 1 }).message).toBe('{"a":1}');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(toError(circular).message).toBe("[object Object]");
    expect(toError(undefined)).toBeInstanceOf(Error);
  });

  it("has unique codes, each documented with what it means and what to do", () => {
    expect(new Set(INFRASTRUCTURE_ERROR_CODES).size).toBe(INFRASTRUCTURE_ERROR_CODES.length);
    for (const code of INFRASTRUCTURE_ERROR_CODES) {
      expect(ERROR_CODES[code].meaning.length).toBeGreaterThan(10);
      expect(ERROR_CODES[code].action.length).toBeGreaterThan(5);
      expect(describeErrorCode(code)).toBe(ERROR_CODES[code]);
    }
    expect(describeErrorCode("QUOTA_EXCEEDED")).toBeUndefined();
    expect(isInfrastructureErrorCode("toString")).toBe(false);
    for (const [code, meaning] of Object.entries(ISSUE_CODES))
      expect([code, meaning.length > 10]).toEqual([code, true]);
  });

  it("NotFoundError suggests the closest id, or lists what exists, with the kind's word", () => {
    const typo = new NotFoundError("instance", "web-2", {
      field: "instanceId",
      available: ["web-1", "db-1"],
    });
    expect(typo.message).toBe('Instance "web-2" not found; did you mean "web-1"?');
    expect(typo).toMatchObject({
      code: "NOT_FOUND",
      field: "instanceId",
      kind: "instance",
      id: "web-2",
      details: { kind: "instance", id: "web-2", available: ["web-1", "db-1"] },
    });
    expect(new NotFoundError("provider", "zzz", { available: ["aws", "gcp"] }).message).toBe(
      'Provider "zzz" not found (existing: "aws", "gcp")',
    );
    expect(new NotFoundError("command", "x", { available: [] }).message).toBe(
      'Command "x" not found (no command exists)',
    );
    const many = Array.from({ length: 12 }, (_, i) => `item-${i}-long-name`);
    expect(new NotFoundError("session", "q", { available: many }).message).toMatch(/and 2 more\)$/);
  });

  it("tells a gate failure from a decision", () => {
    const failure = new GateFailureError("rbac store offline", { cause: new Error("ECONNREFUSED") });
    expect(failure).toMatchObject({ code: "GATE_FAILED", name: "GateFailureError" });
    expect(isGateFailure(failure)).toBe(true);
    expect(isGateFailure({ success: false, error: { code: "GATE_FAILED" } })).toBe(true);
    expect(isGateFailure({ success: false, error: { code: "SECURITY_DENIED" } })).toBe(false);
    expect(isGateFailure(new InfrastructureError("SECURITY_DENIED", "no"))).toBe(false);
    expect(isGateFailure(null)).toBe(false);
  });
});
