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
} from "./errors.js";

describe("errors", () => {
  it("carry a stable code, field, details and cause", () => {
    const cause = new Error("root");
    const error = new InfrastructureError("PROVIDER_FAILED", "boom", { cause, field: "providers[0]", details: { id: "a" } });
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
    const error = new ConfigValidationError("bad config", [{ code: "UNKNOWN_KEY", message: "unknown", path: "foo" }]);
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
    expect(new NotFoundError("Factory", "x").message).toBe('Factory "x" not found');
    expect(new AlreadyExistsError("Factory", "x").code).toBe("ALREADY_EXISTS");
    const timeout = new TimeoutError("Command create", 500);
    expect([timeout.code, timeout.timeoutMs, timeout.message]).toStrictEqual(["TIMEOUT", 500, "Command create timed out after 500 ms"]);
    expect(new StorageError("STORAGE_CORRUPT", "bad file").code).toBe("STORAGE_CORRUPT");
  });

  it("isInfrastructureError narrows by class and code", () => {
    expect(isInfrastructureError(new NotFoundError("a", "b"))).toBe(true);
    expect(isInfrastructureError(new NotFoundError("a", "b"), "TIMEOUT")).toBe(false);
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

  it("has unique codes", () => {
    expect(new Set(INFRASTRUCTURE_ERROR_CODES).size).toBe(INFRASTRUCTURE_ERROR_CODES.length);
  });
});
