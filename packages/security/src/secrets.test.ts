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
