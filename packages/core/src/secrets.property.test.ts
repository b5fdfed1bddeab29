import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isRedacted, isSecretKey, REDACTED, redactSecrets, SECRET_KEY_FRAGMENTS } from "./secrets.js";

const MARK = "SeCrEt-VaLuE-";

/** A secret-looking key: a fragment, randomly cased, with an optional prefix and separators. */
const secretKey = fc
  .tuple(
    fc.constantFrom(...SECRET_KEY_FRAGMENTS),
    fc.stringMatching(/^[a-zA-Z0-9]{0,6}$/),
    fc.constantFrom("", "_", "-", ".", " "),
    fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
  )
  .map(([fragment, prefix, separator, upper]) => {
    const cased = [...fragment].map((ch, i) => (upper[i] === true ? ch.toUpperCase() : ch)).join("");
    return prefix === "" ? cased : `${prefix}${separator}${cased}`;
  })
  .filter((key) => isSecretKey(key) || /^(?:max|min|num|total|count)/i.test(key));

/** A key core calls public. */
const publicKey = fc
  .oneof(
    fc.string(),
    fc.constantFrom("region", "name", "id", "maxTokens", "authMethod", "__proto__", "toString"),
  )
  .filter((key) => !isSecretKey(key));

/** Data whose secret values all carry {@link MARK}, under secret keys at random depths. */
const withSecrets = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.oneof(
      fc.string().map((s) => s.replaceAll(MARK, "")),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
    ),
    fc.array(tie("node"), { maxLength: 4 }),
    fc
      .array(fc.tuple(fc.oneof(secretKey, publicKey), tie("node"), fc.string({ maxLength: 4 })), {
        maxLength: 4,
      })
      .map((entries) => {
        const out: Record<string, unknown> = {};
        for (const [key, child, salt] of entries) {
          const value = isSecretKey(key) ? { plain: `${MARK}${salt}`, nested: child } : child;
          Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
        }
        return out;
      }),
  ),
})).node;

/** Data without a single secret key. */
const publicData = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.oneof(fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined)),
    fc.array(tie("node"), { maxLength: 4 }),
    fc.dictionary(publicKey, tie("node"), { maxKeys: 4 }),
  ),
})).node;

/** Visits every (key, value) pair of a redacted copy. */
function* entries(value: unknown, seen = new Set<unknown>()): Generator<[string, unknown]> {
  if (typeof value !== "object" || value === null || seen.has(value)) return;
  seen.add(value);
  const pairs: [unknown, unknown][] =
    value instanceof Map
      ? [...value]
      : Array.isArray(value)
        ? value.map((v, i) => [String(i), v])
        : Object.entries(value);
  for (const [key, child] of pairs) {
    yield [String(key), child];
    yield* entries(child, seen);
  }
}

describe("secret redaction (properties)", () => {
  it("a key that ends with a secret fragment is secret whatever its case, prefix or separator", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SECRET_KEY_FRAGMENTS),
        fc.stringMatching(/^[a-z]{0,5}$/),
        fc.constantFrom("", "_", "-", " "),
        (fragment, prefix, separator) => {
          fc.pre(!/^(?:max|min|num|total|count)/.test(prefix) || !fragment.startsWith("token"));
          const key = `${prefix}${separator}${fragment}`;
          expect(isSecretKey(key)).toBe(true);
          expect(isSecretKey(key.toUpperCase())).toBe(true);
        },
      ),
    );
  });

  it("no value under a secret key survives at any depth", () => {
    fc.assert(
      fc.property(withSecrets, (input) => {
        const out = redactSecrets(input);
        expect(JSON.stringify(out) ?? "").not.toContain(MARK);
        for (const [key, value] of entries(out))
          if (isSecretKey(key)) expect(value === REDACTED || value === undefined, key).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("isRedacted: true exactly when redaction gives the value back equal; true of every redacted copy", () => {
    fc.assert(
      fc.property(fc.oneof(withSecrets, publicData), (input) => {
        const out = redactSecrets(input);
        // the copy of data with a secret in it differs; data without one is equal
        const unchanged = !JSON.stringify(input ?? null).includes(MARK);
        expect(isRedacted(input)).toBe(unchanged);
        if (isRedacted(input)) expect(out).toStrictEqual(input);
        expect(isRedacted(out)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("isRedacted answers false (the walk decides) for what it does not read as plain data, and never throws", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const throwing = Object.defineProperty({}, "x", {
      enumerable: true,
      get() {
        throw new Error("no");
      },
    });
    let deep: unknown = "leaf";
    for (let i = 0; i < 40; i++) deep = { next: deep };
    for (const value of [new Map([["password", "p"]]), new Date(0), cyclic, throwing, deep, [new Set([1])]])
      expect(isRedacted(value)).toBe(false);
    expect(isRedacted({ password: REDACTED, nested: [{ apiKey: REDACTED, region: "eu" }] })).toBe(true);
    expect(isRedacted({ password: "hunter2" })).toBe(false);
    expect(isRedacted(Object.assign(Object.create(null) as object, { token: REDACTED }))).toBe(true);
  });

  it("data without secret keys comes back equal (a copy, never the same object)", () => {
    fc.assert(
      fc.property(publicData, (input) => {
        const out = redactSecrets(input);
        expect(out).toStrictEqual(input);
        if (typeof input === "object" && input !== null) expect(out).not.toBe(input);
      }),
      { numRuns: 300 },
    );
  });

  it("never throws and never mutates, on junk, cyclic, proxied or throwing input", () => {
    const junk = fc.anything({
      withNullPrototype: true,
      withObjectString: true,
      withMap: true,
      withSet: true,
      withDate: true,
      withBigInt: true,
      withSparseArray: true,
      withBoxedValues: true,
      withTypedArray: true,
    });
    fc.assert(
      fc.property(
        junk,
        fc.constantFrom("cycle", "getter", "proxy", "revoked", "plain"),
        fc.oneof(secretKey, publicKey),
        (base, hostility, key) => {
          let input: unknown = base;
          if (hostility === "cycle" && typeof base === "object" && base !== null) {
            input = { base, [key]: base };
            (input as Record<string, unknown>).self = input;
          } else if (hostility === "getter") {
            input = Object.defineProperty({ base }, key, {
              enumerable: true,
              get() {
                throw new Error("getter");
              },
            });
          } else if (hostility === "proxy") {
            input = {
              base,
              p: new Proxy(
                {},
                {
                  ownKeys() {
                    throw new Error("trap");
                  },
                  getPrototypeOf() {
                    throw new Error("trap");
                  },
                },
              ),
            };
          } else if (hostility === "revoked") {
            const r = Proxy.revocable({}, {});
            r.revoke();
            input = [base, r.proxy];
          }
          const before = hostility === "plain" ? safeSnapshot(base) : undefined;
          expect(() => redactSecrets(input)).not.toThrow();
          if (before !== undefined) expect(safeSnapshot(base)).toBe(before);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** A string snapshot of a value (for the no-mutation check), tolerant of bigint and cycles. */
function safeSnapshot(value: unknown): string {
  const seen = new WeakSet<object>();
  return String(
    JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === "bigint") return `${v}n`;
      if (typeof v === "object" && v !== null) {
        if (seen.has(v)) return "[seen]";
        seen.add(v);
        if (v instanceof Map) return [...(v as Iterable<unknown>)];
        if (v instanceof Set) return [...(v as Iterable<unknown>)];
      }
      return v;
    }),
  );
}
