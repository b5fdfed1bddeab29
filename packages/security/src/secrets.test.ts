import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isSecretKey } from "@espada/infra-core";
import { HMAC_PREFIX, protectSecrets, SecretProtector } from "./secrets.js";

const KEY = Buffer.alloc(32, 7);

/** The straightforward protected copy (the reference the serialiser must match). */
function reference(value: unknown): unknown {
  const seen = new Set<object>();
  const hmac = (secret: unknown): string =>
    HMAC_PREFIX +
    createHmac("sha256", KEY)
      .update(typeof secret === "string" ? secret : (JSON.stringify(walk(secret, 0, false)) ?? "null"))
      .digest("hex");
  function walk(v: unknown, depth: number, secret: boolean): unknown {
    if (secret && v !== undefined && v !== null) return hmac(v);
    if (v === null || typeof v === "string" || typeof v === "boolean") return v;
    if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
    if (typeof v === "bigint") return v.toString();
    if (typeof v !== "object") return undefined;
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
    if (v instanceof Error) return { name: v.name, message: v.message };
    if (depth >= 12) return "[Truncated]";
    if (seen.has(v)) return "[Circular]";
    seen.add(v);
    try {
      if (Array.isArray(v)) return v.map((item: unknown) => walk(item, depth + 1, false) ?? null);
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) {
        const safe = walk((v as Record<string, unknown>)[k], depth + 1, isSecretKey(k));
        if (safe !== undefined)
          Object.defineProperty(out, k, {
            value: safe,
            enumerable: true,
            writable: true,
            configurable: true,
          });
      }
      return out;
    } finally {
      seen.delete(v);
    }
  }
  return walk(value, 0, false);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const keyName = fc.oneof(
  fc.constantFrom("password", "apiKey", "token", "secret", "name", "value", "__proto__", "1", "a"),
  fc.string(),
);
const tree = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small" },
    fc.oneof(
      fc.string(),
      fc.boolean(),
      fc.double(),
      fc.integer(),
      fc.constant(null),
      fc.constant(undefined),
      fc.constant(() => 1),
      fc.bigInt(),
      fc.date(),
    ),
    fc.array(tie("node"), { maxLength: 4 }),
    fc.dictionary(keyName, tie("node"), { maxKeys: 5 }),
  ),
})).node;

describe("SecretProtector", () => {
  it("writes exactly the JSON of the protected copy, frozen or not, on a reused protector", () => {
    const protector = new SecretProtector(KEY);
    fc.assert(
      fc.property(tree, fc.boolean(), (value, freeze) => {
        const input = freeze ? deepFreeze(value) : value;
        const expected = JSON.stringify(reference(input));
        expect(protector.json(input)).toBe(expected);
        expect(protector.json(input)).toBe(expected); // second time from the frozen cache
        expect(JSON.stringify(protectSecrets(input, KEY))).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("plain JSON data (written by JSON.stringify) gives the walker's text, secrets and frozen subtrees included", () => {
    const protector = new SecretProtector(KEY);
    const plainTree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        fc.oneof(fc.string(), fc.boolean(), fc.integer(), fc.double({ noNaN: true }), fc.constant(null)),
        fc.array(tie("node"), { maxLength: 4 }),
        fc.dictionary(keyName, tie("node"), { maxKeys: 5 }),
      ),
    })).node;
    fc.assert(
      fc.property(plainTree, fc.boolean(), (value, freeze) => {
        const input = freeze ? deepFreeze(value) : value;
        const expected = JSON.stringify(reference(input));
        expect(protector.json(input)).toBe(expected);
        expect(protector.json(input)).toBe(expected);
        const record = { value: input, token: freeze ? "t" : undefined, n: 1 };
        expect(`{${protector.fields(record)}}`).toBe(JSON.stringify(reference(record)));
      }),
      { numRuns: 500 },
    );
  });

  it("falls back to the walker for what JSON.stringify would write differently", () => {
    const protector = new SecretProtector(KEY);
    const unreadable = Object.defineProperty({ a: 1 }, "b", {
      enumerable: true,
      get: () => {
        throw new Error("no");
      },
    });
    expect(protector.json(unreadable)).toBe('{"a":1,"b":"[Unreadable]"}');
    const cases: unknown[] = [
      { n: Number.NaN, i: Number.POSITIVE_INFINITY },
      { when: new Date(0), error: new Error("x") },
      { custom: { toJSON: () => "replaced", a: 1 } },
      { boxed: Object("text") as object, map: new Map([[1, 2]]) },
      { token: "hunter2", nested: [{ password: 1 }] },
    ];
    let deep: unknown = { leaf: 1 };
    for (let i = 0; i < 14; i++) deep = { next: deep };
    cases.push(deep);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    cases.push(cyclic);
    for (const value of cases) {
      expect(protector.json(value)).toBe(JSON.stringify(reference(value)));
      expect(`{${protector.fields({ value })}}`).toBe(JSON.stringify(reference({ value })));
    }
    expect(protector.fields({})).toBe("");
    expect(protector.fields(Object.freeze({ a: [1] }))).toBe('"a":[1]');
    expect(protector.json(cases[4])).not.toContain("hunter2");
    // a frozen plain subtree is remembered; a mutable child of a frozen object is scanned every time
    const child = { note: "x" } as Record<string, unknown>;
    const parent = Object.freeze({ child });
    expect(protector.json(parent)).toBe('{"child":{"note":"x"}}');
    child.password = "changed";
    expect(protector.json(parent)).not.toContain("changed");
    expect(protector.json(parent)).toBe(JSON.stringify(reference(parent)));
  });

  it("reuses a frozen subtree only where it is not truncated, and never a mutable one", () => {
    const protector = new SecretProtector(KEY);
    let deep: unknown = "leaf";
    for (let i = 0; i < 8; i++) deep = Object.freeze({ next: deep });
    const shallow = { a: deep };
    expect(protector.json(shallow)).toBe(JSON.stringify(reference(shallow)));
    let nested: unknown = { a: deep };
    for (let i = 0; i < 6; i++) nested = { more: nested };
    expect(protector.json(nested)).toBe(JSON.stringify(reference(nested)));
    expect(protector.json(nested)).toContain("[Truncated]");
    const child = { password: "hunter2" };
    const parent = Object.freeze({ child });
    expect(protector.json(parent)).not.toContain("hunter2");
    child.password = "changed";
    expect(protector.json(parent)).toBe(JSON.stringify(reference(parent)));
  });
});
