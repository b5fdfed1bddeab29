import { describe, expect, expectTypeOf, it } from "vitest";
import type { AuditEventInput } from "./security.js";
import type { CommandHistoryEntry, InfrastructureSession, JsonValue, PendingOperation } from "./index.js";
import {
  infrastructureSessionSchema,
  isJsonValue,
  jsonObjectSchema,
  pendingOperationSchema,
  toJsonObject,
} from "./index.js";

describe("core records are JSON values", () => {
  it("type-check as JsonValue without casts", () => {
    expectTypeOf<PendingOperation>().toExtend<JsonValue>();
    expectTypeOf<AuditEventInput>().toExtend<JsonValue>();
    expectTypeOf<InfrastructureSession>().toExtend<JsonValue>();
    expectTypeOf<CommandHistoryEntry>().toExtend<JsonValue>();
    const session = infrastructureSessionSchema.parse({
      id: "s",
      userId: "u",
      state: "active",
      createdAt: 1,
      lastActivityAt: 1,
      expiresAt: 2,
    });
    const asJson: JsonValue = session;
    expect(isJsonValue(asJson)).toBe(true);
  });

  it("a session has no inline history", () => {
    const parsed = infrastructureSessionSchema.parse({
      id: "s",
      userId: "u",
      state: "active",
      createdAt: 1,
      lastActivityAt: 1,
      expiresAt: 2,
      history: [{}],
    });
    expect("history" in parsed).toBe(false);
  });

  it("checks loosely typed records to be JSON, naming the path", () => {
    const loose: Record<string, unknown> = { a: 1, nested: { when: new Date(0) } };
    const result = jsonObjectSchema.safeParse(loose);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["nested", "when"]);
    const op = pendingOperationSchema.safeParse({
      id: "p",
      kind: "confirmation",
      commandId: "c",
      commandCategory: "manage",
      providerId: "p",
      instanceId: "i",
      userId: "u",
      environment: "dev",
      params: { f: () => 1 },
      dryRun: false,
      createdAt: 1,
      reason: "r",
    });
    expect(op.error?.issues[0]?.path).toEqual(["params", "f"]);
    expect(jsonObjectSchema.parse({ a: undefined, b: [1] })).toEqual({ b: [1] });
  });

  it("isJsonValue refuses what JSON cannot hold", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    for (const bad of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      undefined,
      () => 1,
      1n,
      new Date(0),
      new Map(),
      cyclic,
      [undefined],
    ]) {
      expect(isJsonValue(bad)).toBe(false);
    }
    for (const good of [
      null,
      0,
      "x",
      true,
      [],
      {},
      { a: [1, { b: null }] },
      Object.create(null) as object,
      { gone: undefined },
    ]) {
      expect(isJsonValue(good)).toBe(true);
    }
  });

  it("toJsonObject copies what JSON.stringify would keep, without throwing", () => {
    const cyclic: Record<string, unknown> = { n: 1 };
    cyclic["self"] = cyclic;
    const throwing = Object.defineProperty({}, "boom", {
      enumerable: true,
      get: () => {
        throw new Error("getter");
      },
    });
    expect(
      toJsonObject({
        when: new Date(0),
        big: 10n,
        nan: Number.NaN,
        f: () => 1,
        u: undefined,
        list: [undefined, 1],
        cyclic,
        throwing,
      }),
    ).toEqual({
      when: "1970-01-01T00:00:00.000Z",
      big: "10",
      nan: null,
      list: [null, 1],
      cyclic: { n: 1, self: "[Circular]" },
      throwing: {},
    });
    const already = { a: { b: [1] } };
    expect(toJsonObject(already)).toBe(already);
  });
});
