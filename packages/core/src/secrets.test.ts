import { describe, expect, it } from "vitest";
import {
  CIRCULAR,
  createSecretKeyPredicate,
  isSecretKey,
  REDACTED,
  redactSecretRecord,
  redactSecrets,
  TRUNCATED,
  UNREADABLE,
} from "./secrets.js";

/** Keys the issue named as slipping through one component or another, plus the usual suspects. */
export const SECRET_KEYS = [
  "password",
  "Password",
  "PASSWORD",
  "db_password",
  "dbPassword",
  "passwords",
  "passwd",
  "pwd",
  "userPwd",
  "passphrase",
  "secret",
  "secrets",
  "clientSecret",
  "client_secret",
  "token",
  "tokens",
  "accessToken",
  "refresh_tokens",
  "sessionToken",
  "apiKey",
  "api_key",
  "apiKeys",
  "X-Api-Key",
  "auth",
  "Auth",
  "basicAuth",
  "oauth",
  "authorization",
  "Authorization",
  "Proxy-Authorization",
  "credential",
  "credentials",
  "privateKey",
  "private_key",
  "privateKeys",
  "accessKey",
  "awsSecretAccessKey",
  "secretKey",
  "signingKey",
  "sessionKey",
  "encryptionKey",
  "cookie",
  "cookies",
  "Set-Cookie",
  "bearer",
  "dbPass",
  "user_pass",
  "connectionString",
];

const PUBLIC_KEYS = [
  "region",
  "name",
  "user",
  "username",
  "id",
  "key",
  "keyId",
  "author",
  "authMethod",
  "authorName",
  "maxTokens",
  "max_output_tokens",
  "numTokens",
  "tokenCount",
  "tokenizer",
  "passwordPolicy",
  "bypass",
  "compass",
  "passed",
  "cwd",
  "",
  "-",
];

describe("isSecretKey", () => {
  it("calls every secret-looking key secret, whatever its case, separators, prefix or plural", () => {
    for (const key of SECRET_KEYS) expect(isSecretKey(key), key).toBe(true);
  });

  it("leaves ordinary keys alone (counts of tokens, auth method, ids, words merely ending in 'pass')", () => {
    for (const key of PUBLIC_KEYS) expect(isSecretKey(key), key).toBe(false);
  });

  it("answers false for anything that is not a string", () => {
    for (const key of [undefined, null, 1, Symbol("password"), { password: 1 }])
      expect(isSecretKey(key)).toBe(false);
  });

  it("can only be widened, never narrowed", () => {
    const wider = createSecretKeyPredicate(["tenant-id"]);
    expect(wider("tenantId")).toBe(true);
    expect(wider("myTenant_ID")).toBe(true);
    for (const key of SECRET_KEYS) expect(wider(key), key).toBe(true);
    expect(wider("region")).toBe(false);
    expect(createSecretKeyPredicate([])).toBe(isSecretKey);
  });
});

describe("redactSecrets", () => {
  it("reaches nested keys, arrays, maps and sets", () => {
    const input = {
      region: "eu",
      options: { password: "p1", size: 3, nested: [{ apiKeys: ["k1", "k2"] }, { tokens: { a: "t" } }] },
      headers: new Map<unknown, unknown>([
        ["Authorization", "Bearer x"],
        ["accept", "json"],
      ]),
      tags: new Set([{ cookie: "c" }]),
    };
    expect(redactSecrets(input)).toEqual({
      region: "eu",
      options: { password: REDACTED, size: 3, nested: [{ apiKeys: REDACTED }, { tokens: REDACTED }] },
      headers: new Map([
        ["Authorization", REDACTED],
        ["accept", "json"],
      ]),
      tags: new Set([{ cookie: REDACTED }]),
    });
  });

  it("keeps an absent secret absent and redacts every other value under a secret key", () => {
    expect(redactSecrets({ password: undefined, token: null, secret: 0, auth: { method: "x" } })).toEqual({
      password: undefined,
      token: REDACTED,
      secret: REDACTED,
      auth: REDACTED,
    });
  });

  it("never mutates its input and returns equal copies of non-secret data", () => {
    const date = new Date(0);
    const input = {
      a: [1, "two", { b: null }],
      date,
      re: /x/g,
      bytes: new Uint8Array([1, 2]),
      fn: Math.max,
      options: { password: "p" },
    };
    const before = structuredClone({ ...input, fn: undefined });
    const out = redactSecrets(input) as typeof input;
    expect({ ...input, fn: undefined }).toEqual(before);
    expect(out.a).toEqual(input.a);
    expect(out.a).not.toBe(input.a);
    expect(out.date).toBe(date);
    expect(out.bytes).toBe(input.bytes);
    expect(out.fn).toBe(Math.max);
    expect(out.options.password).toBe(REDACTED);
    expect(input.options.password).toBe("p");
  });

  it("survives cycles, throwing getters, hostile proxies and deep nesting", () => {
    const cyclic: Record<string, unknown> = { v: 1 };
    cyclic.self = cyclic;
    const shared = { x: 1 };
    const getter = Object.defineProperty({ ok: 1 }, "boom", {
      enumerable: true,
      get() {
        throw new Error("no");
      },
    });
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("trap");
        },
      },
    );
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    let deep: unknown = "bottom";
    for (let i = 0; i < 10_000; i += 1) deep = { next: deep };
    expect(redactSecrets(cyclic)).toEqual({ v: 1, self: CIRCULAR });
    expect(redactSecrets([shared, shared])).toEqual([{ x: 1 }, { x: 1 }]);
    expect(redactSecrets(getter)).toEqual({ ok: 1, boom: UNREADABLE });
    expect(redactSecrets({ hostile })).toEqual({ hostile: UNREADABLE });
    expect(redactSecrets({ revoked: revocable.proxy })).toEqual({ revoked: UNREADABLE });
    expect(JSON.stringify(redactSecrets(deep))).toContain(TRUNCATED);
    expect(redactSecrets(deep, { maxDepth: 2 })).toEqual({ next: { next: TRUNCATED } });
  });

  it("copies class instances and errors as plain objects, keeping an error's name and message", () => {
    class Creds {
      user = "u";
      password = "p";
    }
    const error = Object.assign(new Error("failed"), { token: "t" });
    expect(redactSecrets(new Creds())).toEqual({ user: "u", password: REDACTED });
    expect(redactSecrets(error)).toEqual({ name: "Error", message: "failed", token: REDACTED });
  });

  it("keeps a __proto__ key as data, never as a prototype", () => {
    const input = JSON.parse('{"__proto__": {"password": "p", "x": 1}}') as unknown;
    const out = redactSecrets(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(out["__proto__"]).toEqual({ password: REDACTED, x: 1 });
  });

  it("fails closed when a custom predicate throws", () => {
    const throwing = (): boolean => {
      throw new Error("bad predicate");
    };
    expect(redactSecrets({ a: 1 }, { isSecretKey: throwing })).toEqual({ a: REDACTED });
  });
});

describe("redactSecretRecord", () => {
  it("always yields a plain object", () => {
    expect(redactSecretRecord({ apiKey: "k", n: 1 })).toEqual({ apiKey: REDACTED, n: 1 });
    for (const junk of [null, undefined, 1, "s", [1], new Map()])
      expect(redactSecretRecord(junk)).toEqual({});
  });
});
