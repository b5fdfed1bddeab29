import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isSecretKey, SECRET_KEY_FRAGMENTS } from "@espada/infra-core";
import { createRedactor } from "./redact.js";

const SECRET_KEY_NAMES = [
  "password",
  "Password",
  "db_password",
  "secret",
  "clientSecret",
  "client_secret",
  "token",
  "sessionToken",
  "session_token",
  "accessToken",
  "apiKey",
  "api_key",
  "X-Api-Key",
  "authorization",
  "Authorization",
  "credentials",
  "privateKey",
  "private_key",
  "accessKey",
  "awsSecretAccessKey",
  "cookie",
  "Set-Cookie",
  "passphrase",
  "tokens",
  "passwords",
  "apiKeys",
  "privateKeys",
  "pwd",
  "auth",
];

describe("createRedactor", () => {
  const redactor = createRedactor({ patterns: ["sk-[A-Za-z0-9]{8,}", "\\b\\d{4}-\\d{4}-\\d{4}-\\d{4}\\b"] });

  it("treats secret-looking keys as secret whatever their case or separators", () => {
    for (const key of SECRET_KEY_NAMES) expect(redactor.isSecretKey(key), key).toBe(true);
    for (const key of ["region", "maxTokens", "tokenCount", "authMethod", "user", "id"])
      expect(redactor.isSecretKey(key), key).toBe(false);
  });

  it("replaces every value under a secret key at any depth, arrays included", () => {
    const input = {
      a: { b: [{ password: "p1" }, { nested: { apiKey: ["k1", "k2"] } }] },
      credentials: { user: "u", pass: "p2" },
      list: [[{ token: { deep: "t1" } }]],
    };
    expect(redactor.value(input)).toEqual({
      a: { b: [{ password: "[REDACTED]" }, { nested: { apiKey: "[REDACTED]" } }] },
      credentials: "[REDACTED]",
      list: [[{ token: "[REDACTED]" }]],
    });
  });

  it("replaces pattern matches inside strings, keys left alone", () => {
    expect(redactor.text("use sk-abcdef123456 and 1234-5678-9012-3456 now")).toBe(
      "use [REDACTED] and [REDACTED] now",
    );
    expect(redactor.value({ note: "key=sk-abcdefgh99" })).toEqual({ note: "key=[REDACTED]" });
  });

  it("never mutates its input", () => {
    const input = { password: "p", inner: { token: "t", list: ["sk-abcdefgh12"] } };
    const before = structuredClone(input);
    redactor.value(input);
    expect(input).toEqual(before);
  });

  it("handles cycles, shared references, exotic values and throwing getters", () => {
    const shared = { v: 1 };
    const cyclic: Record<string, unknown> = { shared, again: shared };
    cyclic.me = cyclic;
    const hostile = Object.defineProperty({}, "boom", {
      enumerable: true,
      get() {
        throw new Error("no");
      },
    });
    expect(redactor.value(cyclic)).toEqual({ shared: { v: 1 }, again: { v: 1 }, me: "[Circular]" });
    expect(
      redactor.value({
        big: 10n,
        nan: Number.NaN,
        date: new Date("2026-01-01T00:00:00.000Z"),
        map: new Map([
          ["token", "t"],
          ["k", "v"],
        ]),
        set: new Set(["sk-abcdefgh12"]),
        bytes: new Uint8Array(3),
        fn: function named() {},
        hostile,
        skip: undefined,
      }),
    ).toEqual({
      big: "10",
      nan: "NaN",
      date: "2026-01-01T00:00:00.000Z",
      map: { token: "[REDACTED]", k: "v" },
      set: ["[REDACTED]"],
      bytes: "[Binary 3 bytes]",
      fn: "[Function named]",
      hostile: { boom: "[Unreadable]" },
    });
  });

  it("keeps a __proto__ key as data instead of a prototype", () => {
    const input = JSON.parse('{"__proto__": {"password": "p"}, "x": 1}') as unknown;
    expect(JSON.stringify(redactor.value(input))).toBe('{"__proto__":{"password":"[REDACTED]"},"x":1}');
  });

  it("truncates past the depth limit", () => {
    const shallow = createRedactor({ maxDepth: 2 });
    expect(shallow.value({ a: { b: { c: 1 } } })).toEqual({ a: { b: "[Truncated]" } });
  });

  it("serializes an error with its cause chain, redacting its text", () => {
    const inner = Object.assign(new Error("token sk-abcdefgh12 rejected"), { code: 401 });
    const outer = new Error("login failed", { cause: inner });
    const cycle = new Error("cycle");
    (cycle as { cause?: unknown }).cause = cycle;
    expect(redactor.error(outer)).toMatchObject({
      name: "Error",
      message: "login failed",
      cause: { name: "Error", message: "token [REDACTED] rejected", code: 401 },
    });
    expect(redactor.error(cycle).cause).toBe("[Circular]");
    expect(redactor.error(new AggregateError([new Error("a")], "many")).errors).toMatchObject([
      { message: "a" },
    ]);
  });

  it("adds custom secret keys to core's, never removing one", () => {
    const custom = createRedactor({ secretKeys: ["ssn"] });
    expect(custom.value({ userSsn: "1", password: "p", region: "eu" })).toEqual({
      userSsn: "[REDACTED]",
      password: "[REDACTED]",
      region: "eu",
    });
  });

  it("decides secrecy exactly as core's isSecretKey does", () => {
    const keys = [
      ...SECRET_KEY_NAMES,
      ...SECRET_KEY_FRAGMENTS,
      "tokens",
      "passwords",
      "apiKeys",
      "privateKeys",
      "pwd",
      "auth",
      "region",
      "maxTokens",
      "authMethod",
      "key",
    ];
    for (const key of keys) expect(redactor.isSecretKey(key), key).toBe(isSecretKey(key));
    fc.assert(fc.property(fc.string(), (key) => redactor.isSecretKey(key) === isSecretKey(key)));
  });

  describe("property: a secret never survives serialization", () => {
    const secretArb = fc.stringMatching(/^[A-Za-z0-9]{12}$/).map((s) => `ZQX${s}`);
    const keyArb = fc.string({ maxLength: 6 }).filter((k) => !createRedactor().isSecretKey(k));
    const valueArb = fc.jsonValue({ maxDepth: 3 });

    /** Places `secret` inside a random nested structure, at a random depth, via `wrap`. */
    const embed = (leaf: unknown) =>
      fc
        .array(fc.tuple(fc.boolean(), keyArb, fc.dictionary(keyArb, valueArb, { maxKeys: 3 }), fc.nat(3)), {
          maxLength: 4,
        })
        .map((levels) =>
          levels.reduce<unknown>((inner, [asArray, key, siblings, position]) => {
            if (asArray) {
              const items: unknown[] = Object.values(siblings);
              items.splice(Math.min(position, items.length), 0, inner);
              return items;
            }
            return { ...siblings, [key]: inner };
          }, leaf),
        );

    it("under a secret key", () => {
      fc.assert(
        fc.property(
          secretArb,
          fc.constantFrom(...SECRET_KEY_NAMES),
          fc.constantFrom("plain", "array", "object"),
          (secret, key, shape) =>
            fc.assert(
              fc.property(
                embed({
                  [key]: shape === "plain" ? secret : shape === "array" ? [1, secret] : { inner: secret },
                }),
                (structure) => {
                  const out = JSON.stringify(redactor.value(structure));
                  expect(out).not.toContain(secret);
                  expect(out).toContain("[REDACTED]");
                },
              ),
              { numRuns: 5 },
            ),
        ),
        { numRuns: 60 },
      );
    });

    it("matching a pattern anywhere in a string value", () => {
      const patterned = createRedactor({ patterns: ["ZQX[A-Za-z0-9]{12}"] });
      fc.assert(
        fc.property(
          secretArb,
          fc.string({ maxLength: 8 }),
          fc.string({ maxLength: 8 }),
          (secret, before, after) =>
            fc.assert(
              fc.property(embed({ note: `${before}${secret}${after}` }), (structure) => {
                expect(JSON.stringify(patterned.value(structure))).not.toContain(secret);
              }),
              { numRuns: 5 },
            ),
        ),
        { numRuns: 60 },
      );
    });
  });
});
