import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { REDACTED, redactSecretText } from "./index.js";

describe("redactSecretText", () => {
  it.each([
    ["password=hunter2 failed", "hunter2"],
    ["auth failed: password=hunter2", "hunter2"],
    ['{"clientSecret": "s3cr3t-value"}', "s3cr3t-value"],
    ["api_key: abcdef123456", "abcdef123456"],
    ["Authorization: Bearer eyJhbGciOi.abc.def-ghijkl", "eyJhbGciOi"],
    ["connect postgres://admin:Sup3rSecret@db.internal:5432/app", "Sup3rSecret"],
    ["connect redis://:Sup3rSecret@cache.internal:6379/0 failed", "Sup3rSecret"],
    ["connect rediss://default:Sup3rSecret@cache.internal:6380 failed", "Sup3rSecret"],
    ["The security token included in the request AKIAIOSFODNN7EXAMPLE is invalid", "AKIAIOSFODNN7EXAMPLE"],
    ["key -----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "MIIEow"],
    ["token ghp_abcdefghijklmnopqrstuvwxyz0123", "ghp_abcdefghijklmnopqrstuvwxyz0123"],
  ])("removes the secret from %j", (text, secret) => {
    const out = redactSecretText(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  it("keeps text without secrets as it is", () => {
    const text =
      "InstanceLimitExceeded: You have requested more instances (21) than your current limit of 20 (maxTokens=5)";
    expect(redactSecretText(text)).toBe(text);
  });

  it("never throws and never leaves a generated password behind", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.stringMatching(/^[A-Za-z0-9]{8,20}$/),
        fc.string(),
        (before, secret, after) => {
          const out = redactSecretText(`${before} password=${secret} ${after}`);
          expect(out).toContain(`password=${REDACTED}`);
        },
      ),
    );
    expect(redactSecretText(undefined)).toBe("");
  });
});
