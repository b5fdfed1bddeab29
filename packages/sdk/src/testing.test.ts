import { describe, expect, it } from "vitest";
import { failure, success } from "./results.js";
import { ResultExpectationError, createMockLogger, createTestContext, expectFailure, expectSuccess } from "./testing.js";

describe("testing kit", () => {
  it("createMockLogger captures entries from children and context loggers", () => {
    const logger = createMockLogger();
    logger.info("root");
    logger.child("api").withContext({ commandId: "c" }).warn("child", { duration: 3 });
    expect(logger.entries).toEqual([
      { level: "info", message: "root", name: "", context: {}, meta: undefined },
      { level: "warn", message: "child", name: "api", context: { commandId: "c" }, meta: { duration: 3 } },
    ]);
    expect(logger.find("warn")).toHaveLength(1);
    expect(logger.isLevelEnabled("trace")).toBe(true);
    logger.clear();
    expect(logger.entries).toEqual([]);
  });

  it("createTestContext fills defaults, captures progress and can abort", () => {
    const ctx = createTestContext({ userId: "alice", dryRun: true });
    expect(ctx).toMatchObject({ userId: "alice", dryRun: true, confirmed: false, environment: "development" });
    ctx.progress({ message: "half", percent: 50 });
    expect(ctx.progressUpdates).toEqual([{ message: "half", percent: 50 }]);
    ctx.logger.info("x");
    expect(ctx.logger.entries).toHaveLength(1);
    expect(ctx.signal.aborted).toBe(false);
    ctx.abort(new Error("stop"));
    expect(ctx.signal.aborted).toBe(true);
  });

  it("expectSuccess / expectFailure return the payload or throw a clear error", () => {
    expect(expectSuccess(success(42))).toBe(42);
    expect(() => expectSuccess(failure("BAD", "went wrong"))).toThrow("expected success, got failure BAD: went wrong");
    expect(expectFailure(failure("BAD", "x")).code).toBe("BAD");
    expect(expectFailure(failure("BAD", "x"), "BAD").message).toBe("x");
    expect(() => expectFailure(success(1))).toThrow(ResultExpectationError);
    expect(() => expectFailure(failure("BAD", "x"), "OTHER")).toThrow("expected failure OTHER, got BAD: x");
  });
});
