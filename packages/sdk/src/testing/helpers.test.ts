import { describe, expect, expectTypeOf, it } from "vitest";
import type { CommandResult } from "@espada/infra-core";
import { failure, success } from "../results.js";
import {
  ResultExpectationError,
  createMockLogger,
  createTestContext,
  expectFailure,
  expectSuccess,
} from "./helpers.js";

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
    expect(ctx).toMatchObject({
      userId: "alice",
      dryRun: true,
      confirmed: false,
      environment: "development",
    });
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
    expect(() => expectSuccess(failure("BAD", "went wrong"))).toThrow(
      "expected success, got failure BAD: went wrong",
    );
    expect(expectFailure(failure("BAD", "x")).code).toBe("BAD");
    expect(expectFailure(failure("BAD", "x"), "BAD").message).toBe("x");
    expect(() => expectFailure(success(1))).toThrow(ResultExpectationError);
    expect(() => expectFailure(failure("BAD", "x"), "OTHER")).toThrow("expected failure OTHER, got BAD: x");
  });

  it("expectSuccess types the data from a typed result, a type guard or a parser", () => {
    expectTypeOf(expectSuccess(success({ id: "a" }))).toEqualTypeOf<{ id: string }>();
    const untyped: CommandResult = success({ id: "a" });
    expectTypeOf(expectSuccess(untyped)).toEqualTypeOf<unknown>();
    const isId = (d: unknown): d is { id: string } =>
      typeof d === "object" && d !== null && typeof (d as { id?: unknown }).id === "string";
    const byGuard = expectSuccess(untyped, isId);
    expectTypeOf(byGuard).toEqualTypeOf<{ id: string }>();
    expect(byGuard).toEqual({ id: "a" });
    const parser = {
      parse(d: unknown): number {
        if (typeof d !== "number") throw new Error("not a number");
        return d;
      },
    };
    const byParser = expectSuccess(success(7) as CommandResult, parser);
    expectTypeOf(byParser).toEqualTypeOf<number>();
    expect(byParser).toBe(7);
    expect(() => expectSuccess(untyped, parser)).toThrow("expected success data to parse: not a number");
    expect(() => expectSuccess(success(7) as CommandResult, isId)).toThrow(ResultExpectationError);
    expect(() => expectSuccess(failure("BAD", "x"), isId)).toThrow("expected success, got failure BAD: x");
    // @ts-expect-error an untyped result's data cannot be claimed as T without a check
    expectSuccess<{ id: string }>(untyped);
  });
});
